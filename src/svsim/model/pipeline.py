"""Requests to plans: new requests, the decision whether to assess, appeals and repeat requests, the officers' queue.

Assessments are limited by staff: at most `assessment capacity` hold an officer's place at once ((filled posts +
surge officers) x assessments each, dated), plus, when assessment.capacity_elasticity is set, a few elastic
places that open as the queue grows (overtime, prioritisation). An assessment keeps its place for at most
assessment.weeks_with_officer_max; a longer one then waits for advice without a place, still open. Requests that
find every place taken wait first come first served; when the capacity falls, running assessments finish and no
new one starts until the number running is below it.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from ..domain import AGE_BAND_OF_AGE
from .calendar import DAYS_PER_WEEK
from .state import MAX_AGE, Part

if TYPE_CHECKING:
    from .engine import Run


def _length_biased(mean: float, cv: float) -> tuple[float, float]:
    """(mean, cv) of the full duration of a task found in progress at a random moment (longer tasks are more
    likely to be found): for a gamma(shape k) duration it is gamma(shape k + 1) with the same scale. The time
    already spent is then a uniform share of it, which gives the stationary remaining time."""
    return mean * (1.0 + cv * cv), cv / math.sqrt(1.0 + cv * cv)


class Pipeline(Part):
    """From a request to an assessment's outcome (a plan is placement's `issue_plan`).

    Owns: `open_requests` (awaiting a decision), the officers' queue `assess_queue`, `in_assessment` (holding an
    officer's place) and `awaiting_advice` (open assessments past the officer's part); per
    child `cycle` (which request of the child's, 0 = the first) and `queued_t` (when it joined the queue); the
    new requests' times (`arrival_t`, rows from `arrival_first`).

    Draws (model/rng.py): a child's c-th request uses slot c of the stages decision_time, decision, appeal,
    appeal_success, rerequest, rerequest_time, assessment_time and not_issue. Slot 0 comes from columns
    (`self.u_<stage>[pid]`) over the children with a request (`asked`: all but the census plans); the few
    repeat requests draw their own numbers one at a time (`draws.uniform(stage, c, pid)`: the same scheme).
    """

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        n = self.people.size
        self.open_requests = 0
        self.in_assessment = 0
        self.awaiting_advice: set[int] = set()
        self.assess_queue: deque[int] = deque()
        self.cycle: list[int] = [0] * n
        self.queued_t: list[float] = [0.0] * n
        self.arrival_t: list[float] = []
        self.arrival_first = 0
        # ages at plan (request_age_shares_at 'plan'): each first request's drawn academic age at its plan, set on
        # the day the plan comes (complete_assessment), not on the expected day: assessment times vary (cv 1.1),
        # and dating by the mean made a fifth of under-5 plans a year younger than the shares (docs/dynamics.md)
        self.age_at_plan: list[int] | None = [-1] * n if self.inp.ages_at_plan else None
        draws = self.draws
        self.asked = asked = draws.group_names("layer") + ("open",)
        self.u_decision = draws.uniforms("decision", 0, asked)
        self.u_appeal = draws.uniforms("appeal", 0, asked)
        self.u_appeal_success = draws.uniforms("appeal_success", 0, asked)
        self.u_rerequest = draws.uniforms("rerequest", 0, asked)
        self.e_rerequest_time = draws.exponentials("rerequest_time", 0, asked)
        self.u_not_issue = draws.uniforms("not_issue", 0, asked)
        self.unit_decide = self._first_durations("decision_time", self.inp.decide_days, self.inp.decide_cv)
        self.unit_assess = self._first_durations("assessment_time", self.inp.assess_days, self.inp.assess_cv)

    def _first_durations(self, stage: str, means: list[float], cvs: list[float]):
        """The first request's unit durations of `stage` (column[pid] * mean is draws.duration(stage, 0, pid, mean,
        cv)) when the cv never changes and every mean is above 0; else None (then draws.duration is called)."""
        n = self.cal.n_days
        if len(set(cvs[:n])) == 1 and min(means[:n], default=0.0) > 0.0:
            return self.draws.unit_durations(stage, 0, cvs[0], self.asked)
        return None

    # ---- the start: requests and assessments open at the census date, then the new requests ------------------
    def start(self, first: int) -> None:
        """Rows first.. are the requests awaiting a decision, then the assessments under way (up to capacity) and
        waiting for an officer, oldest first: part of their time has passed (length-biased, model/rng.py)."""
        inp, draws, people = self.inp, self.draws, self.people
        cum = inp.request_age_cum[0]
        shift, shift_assess = inp.open_age_years  # 1 when the drawn ages are at plan dates after a September
        age_u, elapsed_u = (draws.uniforms(stage, 0, ("open",)) for stage in ("start_open_age", "start_open_elapsed"))
        pid = first
        for _ in range(inp.open_requests):
            age = int(np.searchsorted(cum, age_u[pid], side="right"))
            full = draws.duration("start_open_duration", 0, pid, *_length_biased(inp.decide_days[0], inp.decide_cv[0]),
                                  ("open",))
            elapsed = elapsed_u[pid] * full
            people.fill(pid, [age - shift], [-elapsed])
            if self.age_at_plan is not None:
                self.age_at_plan[pid] = age
            self.open_requests += 1
            self.at(full - elapsed, self.decide, pid)
            pid += 1
        # under way up to capacity (those past the officer's part hold no place), then waiting, oldest first
        n = inp.open_assessments
        cap = inp.assess_capacity[0]
        elastic = inp.assess_elastic[0]  # elastic places: running = cap + elastic x waiting, as pull_assessments
        running = min(n, int((cap + elastic * n) / (1.0 + elastic)))
        officer = inp.officer_days[0]
        held = 0
        queued: list[int] = []
        for _ in range(n):
            age = int(np.searchsorted(cum, age_u[pid], side="right"))
            if self.age_at_plan is not None:
                self.age_at_plan[pid] = age
            if held < running:
                full = draws.duration("start_open_duration", 0, pid,
                                      *_length_biased(inp.assess_days[0], inp.assess_cv[0]), ("open",))
                elapsed = elapsed_u[pid] * full
                people.fill(pid, [age - shift_assess], [-(inp.decide_days[0] + elapsed)])
                self._hold_place(pid, 0.0, full - elapsed, officer - elapsed)
                held += elapsed < officer
            else:
                people.fill(pid, [age - shift_assess], [0.0])
                queued.append(pid)
            pid += 1
        waiting = len(queued)
        clear_days = waiting * inp.assess_days[0] / cap if cap > 0 else 0.0
        for k, row in enumerate(queued):
            waited = clear_days * (1.0 - k / waiting)
            people.request_t[row] = -(inp.decide_days[0] + waited)
            self.queued_t[row] = -waited
            self.assess_queue.append(row)
        if self.assess_queue and self.awaiting_advice:  # places freed by assessments past the officer's part
            self.pull_assessments(0)

    def start_arrivals(self, first: int, times: list[float], ages: list[int]) -> None:
        """The new requests of the whole run are rows first.., at these times (in order), with these drawn ages."""
        self.arrival_t = times
        self.arrival_first = first
        if self.age_at_plan is not None:
            self.age_at_plan[first:first + len(ages)] = ages
        if times:
            self.at(times[0], self.arrival, 0)

    def arrival(self, k: int) -> None:
        """The k-th new request; then the next one is scheduled."""
        self.n_events += 1
        self.request(self.arrival_first + k, self.arrival_t[k], "new")
        k += 1
        if k < len(self.arrival_t):
            self.at(self.arrival_t[k], self.arrival, k)

    # ---- requests and decisions ----------------------------------------------------------------------------------
    def request(self, pid: int, t: float, kind: str) -> None:
        d = int(t)
        self.rec.f_requests[self.month_of[d]] += 1
        self.open_requests += 1
        self.people.request_t[pid] = t
        inp = self.inp
        if self.rec.events is not None:
            self.rec.events.append((t, "request", pid, kind))
        c = self.cycle[pid]
        if kind == "rerequest":
            c += 1
            self.cycle[pid] = c
        unit = self.unit_decide
        if c == 0 and unit is not None:
            took = unit[pid] * inp.decide_days[d]
        else:
            took = self.draws.duration("decision_time", c, pid, inp.decide_days[d], inp.decide_cv[d], self.asked)
        self.at(t + took, self.decide, pid)

    def decide(self, pid: int) -> None:
        self.n_events += 1
        t = self.agenda.now
        d = int(t)
        m = self.month_of[d]
        inp, rec = self.inp, self.rec
        self.open_requests -= 1
        age = self.people.cohort[pid] + self.year_of[d]
        b = AGE_BAND_OF_AGE[0 if age < 0 else (MAX_AGE if age > MAX_AGE else age)]  # band_of(age), inline
        c = self.cycle[pid]
        draws = self.draws
        u = self.u_decision[pid] if c == 0 else draws.uniform("decision", c, pid)
        if u >= inp.refusal[d][b]:
            rec.f_decisions_to_assess[m] += 1
            if rec.events is not None:
                rec.events.append((t, "decision", pid, "assess"))
            self.join_assessment(pid, t)
            return
        rec.f_refusals[m] += 1
        if rec.events is not None:
            rec.events.append((t, "decision", pid, "refuse"))
        if c == 0:
            appeal, success, again = self.u_appeal[pid], self.u_appeal_success[pid], self.u_rerequest[pid]
        else:
            appeal, success = draws.uniform("appeal", c, pid), draws.uniform("appeal_success", c, pid)
            again = draws.uniform("rerequest", c, pid)
        if appeal < inp.appeal_p[d]:
            rec.f_appeals[m] += 1
            if success < inp.appeal_success_p[d]:
                self.at(t + inp.appeal_days[d], self.appeal_won, pid)
                return
        if again < inp.rerequest_p[d]:
            e = self.e_rerequest_time[pid] if c == 0 else draws.exponential("rerequest_time", c, pid)
            self.at(t + e * inp.rerequest_days[d], self.rerequest, pid)

    def appeal_won(self, pid: int) -> None:
        self.n_events += 1
        t = self.agenda.now
        self.rec.f_appeals_won[self.month_of[int(t)]] += 1
        if self.rec.events is not None:
            self.rec.events.append((t, "appeal_won", pid, ""))
        self.join_assessment(pid, t)

    def rerequest(self, pid: int) -> None:
        self.n_events += 1
        self.request(pid, self.agenda.now, "rerequest")

    # ---- assessments: c officers' places, first come first served ---------------------------------------------
    @property
    def open_assessments(self) -> int:
        """Assessments under way: with an officer or waiting for advice."""
        return self.in_assessment + len(self.awaiting_advice)

    def join_assessment(self, pid: int, t: float) -> None:
        # a waiting list only exists while every place is taken, so a free base place means nobody is waiting
        d = int(t)
        if self.in_assessment < self.inp.assess_capacity[d]:
            self.start_assessment(pid, t, t)
        else:
            self.queued_t[pid] = t
            self.assess_queue.append(pid)
            if self.inp.assess_elastic[d] > 0:  # the longer queue may open an elastic place
                self.pull_assessments(t)

    def start_assessment(self, pid: int, t: float, queued: float) -> None:
        d = int(t)
        inp, rec = self.inp, self.rec
        rec.f_assessments_started[self.month_of[d]] += 1
        rec.w_assessment_queue.append((t - queued) / DAYS_PER_WEEK)
        if rec.events is not None:
            rec.events.append((t, "assessment_start", pid, ""))
        c = self.cycle[pid]
        unit = self.unit_assess
        if c == 0 and unit is not None:
            took = unit[pid] * inp.assess_days[d]
        else:
            took = self.draws.duration("assessment_time", c, pid, inp.assess_days[d], inp.assess_cv[d], self.asked)
        self._hold_place(pid, t, took, inp.officer_days[d])

    def _hold_place(self, pid: int, t: float, remaining: float, officer_left: float) -> None:
        """An assessment `remaining` days from its outcome at time t keeps its officer's place for `officer_left` of
        them (assessment.weeks_with_officer_max); after that it waits for advice without one, still open."""
        if officer_left >= remaining:
            self.in_assessment += 1
        elif officer_left > 0:
            self.in_assessment += 1
            self.at(t + officer_left, self.officer_done, pid)
        else:
            self.awaiting_advice.add(pid)
        self.at(t + remaining, self.complete_assessment, pid)

    def officer_done(self, pid: int) -> None:
        """The officer's part of a long assessment is over: the place goes to the next in the queue."""
        self.n_events += 1
        self.in_assessment -= 1
        self.awaiting_advice.add(pid)
        if self.assess_queue:
            self.pull_assessments(self.agenda.now)

    def pull_assessments(self, t: float) -> None:
        """Start the queue's oldest assessments while places are free: the base capacity plus the elastic places
        the queue's length opens (assessment.capacity_elasticity), which close again as it shortens."""
        d = int(t)
        cap, k = self.inp.assess_capacity[d], self.inp.assess_elastic[d]
        q = self.assess_queue
        while q and self.in_assessment < cap + int(k * len(q)):
            pid = q.popleft()
            self.start_assessment(pid, t, self.queued_t[pid])

    def complete_assessment(self, pid: int) -> None:
        self.n_events += 1
        t = self.agenda.now
        d = int(t)
        m = self.month_of[d]
        rec = self.rec
        if pid in self.awaiting_advice:
            self.awaiting_advice.discard(pid)
        else:
            self.in_assessment -= 1
        rec.f_assessments_completed[m] += 1
        c = self.cycle[pid]
        if c == 0 and self.age_at_plan is not None and self.age_at_plan[pid] >= 0:  # the drawn age at the plan
            self.people.cohort[pid] = self.age_at_plan[pid] - self.year_of[d]
        age = self.people.cohort[pid] + self.year_of[d]
        b = AGE_BAND_OF_AGE[0 if age < 0 else (MAX_AGE if age > MAX_AGE else age)]  # band_of(age), inline
        u = self.u_not_issue[pid] if c == 0 else self.draws.uniform("not_issue", c, pid)
        if u < self.inp.not_issue[d][b] or age > self.inp.plan_end_age:
            rec.f_not_issued[m] += 1
            if rec.events is not None:
                rec.events.append((t, "not_issued", pid, ""))
        else:
            self.placement.issue_plan(pid, t, d, m, b)
        if self.assess_queue:
            self.pull_assessments(t)

    def capacity_up(self, day: int) -> None:
        """Start-of-day event: more officers' places from today."""
        self.pull_assessments(day)
