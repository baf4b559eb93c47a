"""Requests to plans: the decision whether to assess, appeals and repeat requests, and the officers' queue.

Assessments are limited by staff: at most `assessment capacity` run at once ((filled posts + surge officers) x
assessments each, dated), plus, when assessment.capacity_elasticity is set, a few elastic places that open as
the queue grows (overtime, prioritisation) so that no queue grows without bound for want of one more officer.
Requests that find every place taken wait first come first served; when the capacity falls, running
assessments finish and no new one starts until the number running is below it.
"""

from __future__ import annotations

from ..domain import AGE_BAND_OF_AGE
from .calendar import DAYS_PER_WEEK
from .state import MAX_AGE, State


class Pipeline(State):
    """Event handlers from a request to an assessment's outcome.

    Draws (model/rng.py): a child's c-th request (c = self.cycle[pid], 0 for the first) uses slot c of the
    stages decision_time, decision, appeal, appeal_success, rerequest, rerequest_time, assessment_time and
    not_issue. Slot 0 comes from columns (`self.u_<stage>[pid]`, _first_request_draws); the few repeat
    requests draw their own numbers one at a time (`draws.uniform(stage, c, pid)`: the same scheme).
    """

    def _first_request_draws(self) -> None:
        """Columns of the draws of every child's first request (children with a request: not census plans)."""
        draws = self.draws
        self.asked = asked = draws.group_names("layer") + ("open",)
        self.u_decision = draws.uniforms("decision", 0, asked)
        self.u_appeal = draws.uniforms("appeal", 0, asked)
        self.u_appeal_success = draws.uniforms("appeal_success", 0, asked)
        self.u_rerequest = draws.uniforms("rerequest", 0, asked)
        self.e_rerequest_time = draws.exponentials("rerequest_time", 0, asked)
        self.u_not_issue = draws.uniforms("not_issue", 0, asked)

    def _request(self, pid: int, t: float, kind: str) -> None:
        d = int(t)
        self.rec.f_requests[self.month_of[d]] += 1
        self.open_requests += 1
        self.request_t[pid] = t
        inp = self.inp
        if self.rec.events is not None:
            self.rec.events.append((t, "request", pid, kind))
        c = self.cycle[pid]
        if kind == "rerequest":
            c += 1
            self.cycle[pid] = c
        self.at(self.now + self.draws.duration("decision_time", c, pid, inp.decide_days[d], inp.decide_cv[d],
                                               self.asked), self._decide, pid)

    def _decide(self, pid: int) -> None:
        self.n_events += 1
        t = self.now
        d = int(t)
        m = self.month_of[d]
        inp, rec = self.inp, self.rec
        self.open_requests -= 1
        age = self.cohort[pid] + self.year_of[d]
        b = AGE_BAND_OF_AGE[0 if age < 0 else (MAX_AGE if age > MAX_AGE else age)]  # band_of(age), inline
        c = self.cycle[pid]
        draws = self.draws
        u = self.u_decision[pid] if c == 0 else draws.uniform("decision", c, pid)
        if u >= inp.refusal[d][b]:
            rec.f_decisions_to_assess[m] += 1
            if rec.events is not None:
                rec.events.append((t, "decision", pid, "assess"))
            self._join_assessment(pid, t)
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
                self.at(self.now + inp.appeal_days[d], self._appeal_won, pid)
                return
        if again < inp.rerequest_p[d]:
            e = self.e_rerequest_time[pid] if c == 0 else draws.exponential("rerequest_time", c, pid)
            self.at(self.now + e * inp.rerequest_days[d], self._rerequest, pid)

    def _appeal_won(self, pid: int) -> None:
        self.n_events += 1
        t = self.now
        self.rec.f_appeals_won[self.month_of[int(t)]] += 1
        if self.rec.events is not None:
            self.rec.events.append((t, "appeal_won", pid, ""))
        self._join_assessment(pid, t)

    def _rerequest(self, pid: int) -> None:
        self.n_events += 1
        self._request(pid, self.now, "rerequest")

    # ---- assessments: c officers' places, first come first served ---------------------------------------------
    def _join_assessment(self, pid: int, t: float) -> None:
        # a waiting list only exists while every place is taken, so a free base place means nobody is waiting
        d = int(t)
        if self.in_assessment < self.inp.assess_capacity[d]:
            self._start_assessment(pid, t, t)
        else:
            self.queued_t[pid] = t
            self.assess_queue.append(pid)
            if self.inp.assess_elastic[d] > 0:  # the longer queue may open an elastic place
                self._pull_assessments(t)

    def _start_assessment(self, pid: int, t: float, queued: float) -> None:
        d = int(t)
        inp, rec = self.inp, self.rec
        rec.f_assessments_started[self.month_of[d]] += 1
        rec.w_assessment_queue.append((t - queued) / DAYS_PER_WEEK)
        if rec.events is not None:
            rec.events.append((t, "assessment_start", pid, ""))
        took = self.draws.duration("assessment_time", self.cycle[pid], pid, inp.assess_days[d], inp.assess_cv[d],
                                   self.asked)
        self._hold_place(pid, took, inp.officer_days[d])

    def _hold_place(self, pid: int, remaining: float, officer_left: float) -> None:
        """An assessment `remaining` days from its outcome keeps its officer's place for `officer_left` of them
        (assessment.weeks_with_officer_max); after that it waits for advice without one, still open."""
        if officer_left >= remaining:
            self.in_assessment += 1
        elif officer_left > 0:
            self.in_assessment += 1
            self.at(self.now + officer_left, self._officer_done, pid)
        else:
            self.awaiting_advice.add(pid)
        self.at(self.now + remaining, self._complete_assessment, pid)

    def _officer_done(self, pid: int) -> None:
        """The officer's part of a long assessment is over: the place goes to the next in the queue."""
        self.n_events += 1
        self.in_assessment -= 1
        self.awaiting_advice.add(pid)
        if self.assess_queue:
            self._pull_assessments(self.now)

    def _pull_assessments(self, t: float) -> None:
        """Start queued assessments, oldest first, while places are free: the base capacity plus the elastic
        places the queue's length opens (assessment.capacity_elasticity), which close again as it shortens."""
        d = int(t)
        cap, k = self.inp.assess_capacity[d], self.inp.assess_elastic[d]
        q = self.assess_queue
        while q and self.in_assessment < cap + int(k * len(q)):
            pid = q.popleft()
            self._start_assessment(pid, t, self.queued_t[pid])

    def _complete_assessment(self, pid: int) -> None:
        self.n_events += 1
        t = self.now
        d = int(t)
        m = self.month_of[d]
        rec = self.rec
        if pid in self.awaiting_advice:
            self.awaiting_advice.discard(pid)
        else:
            self.in_assessment -= 1
        rec.f_assessments_completed[m] += 1
        age = self.cohort[pid] + self.year_of[d]
        b = AGE_BAND_OF_AGE[0 if age < 0 else (MAX_AGE if age > MAX_AGE else age)]  # band_of(age), inline
        c = self.cycle[pid]
        u = self.u_not_issue[pid] if c == 0 else self.draws.uniform("not_issue", c, pid)
        if u < self.inp.not_issue[d][b] or age > self.inp.plan_end_age:
            rec.f_not_issued[m] += 1
            if rec.events is not None:
                rec.events.append((t, "not_issued", pid, ""))
        else:
            self._issue_plan(pid, t, d, m, b)
        if self.assess_queue:
            self._pull_assessments(t)

    def _assessment_capacity_up(self, day: int) -> None:
        self._pull_assessments(day)
