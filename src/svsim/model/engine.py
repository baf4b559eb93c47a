"""One replication of a council's SEND system: a SimPy discrete-event simulation over array state.

Only real events are scheduled: a request's decision, an assessment's end, an appeal outcome, a repeat
request, a child moving away. What happens to many children at once runs on shared clocks: annual reviews on a
daily review-team clock, ageing and phase transfers on 1 September, and a monthly observer of queue levels.
People are rows of plain Python lists (fast scalar access in the handlers); the occupancy is built at the end
from the recorded spells. The handlers are grouped by the part of the system they model:

    pipeline.py     requests, decisions, appeals, the officers' queue
    placement.py    plans, places under capacity, waiting lists, moves, endings
    reviews.py      the annual review team
    transitions.py  moving away and the September clock

Public entry point: `simulate(scenario, seed, replication, record_events)`.
"""

from __future__ import annotations

import math

import numpy as np
from simpy.events import Event

from ..scenario.model import Scenario
from .history import History
from .inputs import compile_inputs
from .pipeline import Pipeline
from .placement import Placement
from .population import start_ages
from .reviews import Reviews
from .rng import BLOCK, Stream, Streams
from .state import MAX_AGE, N_SETTINGS, band_of
from .transitions import Transitions


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0, record_events: bool = False) -> History:
    """Simulate one replication of `scenario` from its census date to horizon.end.

    Random numbers come from named streams of (seed, replication), so replication i of any two scenarios
    shares its request arrivals (common random numbers). The scenario is only read.
    """
    run = Run(compile_inputs(scenario), Streams(seed, replication), record_events)
    history = run.run()
    history.seed, history.replication = int(seed), int(replication)
    return history


def _length_biased(s: Stream, mean: float, cv: float) -> float:
    """The full duration of a task found in progress at a random moment (longer tasks are more likely to be
    found): for a gamma(shape k) duration it is gamma(shape k + 1) with the same scale. The time already spent
    is then a uniform share of it, which gives the stationary remaining time."""
    return s.duration(mean * (1.0 + cv * cv), cv / math.sqrt(1.0 + cv * cv))


class Run(Pipeline, Placement, Reviews, Transitions):
    """One replication: the start state, the clocks, and the run."""

    def _start_state(self) -> None:
        """Plans on the census date, and requests and assessments already in the pipeline."""
        inp, s = self.inp, self.streams["start_state"]
        by_age = start_ages(inp.start_table, inp.age_profile)
        interval = inp.review_interval_days[0]
        overdue = inp.reviews_overdue_share
        dues: list[tuple[float, int]] = []
        for age in range(by_age.shape[0]):
            b = band_of(age)
            for st in range(N_SETTINGS):
                for _ in range(int(by_age[age, st])):
                    pid = self._new_person(age, -math.inf)
                    self._open_plan(pid, st, b, 0)
                    u, v = s.uniform(), s.uniform()
                    dues.append((-v * interval[b] if u < overdue else v * interval[b], pid))
                    self._schedule_move_away(pid, 0.0)
        for due, pid in sorted(dues):  # overdue reviews all fall on day 0, oldest first
            self._schedule_review(pid, due)
        # requests awaiting a decision: part of their decision time has passed
        cum = inp.request_age_cum[0]
        for _ in range(inp.open_requests):
            age = int(np.searchsorted(cum, s.uniform(), side="right"))
            full = _length_biased(s, inp.decide_days[0], inp.decide_cv[0])
            elapsed = s.uniform() * full
            pid = self._new_person(age, -elapsed)
            self.open_requests += 1
            self._at(full - elapsed, self._decide, pid)
        # assessments under way (up to capacity) and waiting for an officer, oldest first
        n = inp.open_assessments
        cap = inp.assess_capacity[0]
        running = min(n, cap)
        waiting = n - running
        clear_days = waiting * inp.assess_days[0] / cap if cap > 0 else 0.0
        for k in range(n):
            age = int(np.searchsorted(cum, s.uniform(), side="right"))
            if k < running:
                full = _length_biased(s, inp.assess_days[0], inp.assess_cv[0])
                elapsed = s.uniform() * full
                pid = self._new_person(age, -(inp.decide_days[0] + elapsed))
                self.in_assessment += 1
                self._at(full - elapsed, self._complete_assessment, pid)
            else:
                waited = clear_days * (1.0 - (k - running) / waiting)
                pid = self._new_person(age, -(inp.decide_days[0] + waited))
                self.queued_t[pid] = -waited
                self.assess_queue.append(pid)

    def _arrivals(self) -> tuple[np.ndarray, np.ndarray]:
        """Request times and ages: a non-homogeneous Poisson process by thinning, on two streams.

        Candidates come at a constant rate lam_max (the power of two above the highest yearly rate, so small
        changes to demand keep the same candidates); each is kept with probability rate(t) / lam_max. Ages are
        drawn per candidate, so a kept request has the same age whatever happens to the others.
        """
        rate = self.inp.request_rate
        n_days = self.cal.n_days
        top = float(rate[:n_days].max()) * 365.25 if n_days else 0.0
        if top <= 0:
            return np.zeros(0), np.zeros(0, dtype=int)
        lam = 2.0 ** math.ceil(math.log2(top * (1 + 1e-12))) / 365.25
        gaps = self.streams["arrivals"]
        chunks: list[np.ndarray] = []
        last = 0.0
        while last < n_days:  # whole blocks, so the candidates never depend on the horizon's length
            block = last + np.cumsum(gaps.exponentials(BLOCK)) / lam
            chunks.append(block)
            last = float(block[-1])
        times = np.concatenate(chunks)
        times = times[times < n_days]
        accept = self.streams["arrival_accept"].uniforms(times.size)
        age_u = self.streams["request_age"].uniforms(times.size)
        day = times.astype(int)
        keep = accept < rate[day] / lam
        times, age_u, day = times[keep], age_u[keep], day[keep]
        ages = np.zeros(times.size, dtype=int)
        cums = self.inp.request_age_cum
        seg = np.array([id(cums[d]) for d in day])
        for key in dict.fromkeys(seg.tolist()):
            mask = seg == key
            c = cums[int(day[mask][0])]
            ages[mask] = np.searchsorted(c, age_u[mask], side="right")
        return times, np.minimum(ages, MAX_AGE)

    def run(self) -> History:
        cal, env = self.cal, self.env
        self._start_state()
        times, ages = self._arrivals()
        first = len(self.cohort)
        years = np.asarray(self.year_of)[times.astype(int)]
        self._new_people((ages - years).tolist(), times.tolist())
        # the monthly observer first: at a shared instant it sees the state before anything else happens then
        for k, d in enumerate(cal.month_start_days):
            self._at_urgent(max(d, 0), self._observe, k)
        for d in cal.september_days:
            self._at_urgent(d, self._september, d)
        self._schedule_capacity_changes()
        env.process(self._arrival_process(times.tolist(), first))
        env.process(self._review_clock())
        env.run(until=cal.n_days)
        self.rec.stats["events"] = self.n_events
        self.rec.stats["people"] = len(self.cohort)
        for pid in self.holders:
            if self.active[pid]:
                self.rec.spell(self.spell_start[pid], cal.n_days, self.setting[pid], self.band[pid])
        return self.rec.history()

    def _arrival_process(self, times: list[float], first: int):
        env = self.env
        for k, t in enumerate(times):
            yield env.timeout(t - env.now)
            self.n_events += 1
            self._request(first + k, t, "new")

    def _schedule_capacity_changes(self) -> None:
        inp = self.inp
        for d in range(1, self.cal.n_days):
            if inp.assess_capacity[d] > inp.assess_capacity[d - 1]:
                self._at_urgent(d, self._assessment_capacity_up, d)
            if inp.place_capacity[d] is not inp.place_capacity[d - 1]:
                self._at_urgent(d, self._place_capacity_changed, d)

    def _observe(self, ev: Event) -> None:
        self.rec.levels(ev._value, self.open_requests, len(self.assess_queue), self.in_assessment,
                        self.reviews_overdue, self.n_waiting, self.n_active)


__all__ = ["Run", "simulate"]
