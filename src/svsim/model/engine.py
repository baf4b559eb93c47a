"""One replication of a council's SEND system: a SimPy discrete-event simulation over array state.

Only real events are scheduled: a request's decision, an assessment's end, an appeal outcome, a repeat
request, a child moving away. What happens to many children at once runs on one SimPy day clock: the monthly
observer of queue levels, 1 September (ageing and phase transfers), changes of capacity, and the annual review
team's day. The order of events is the engine's own, (time, priority class, sequence), defined in events.py;
random numbers are per child (rng.py). People are rows of
plain Python lists (fast scalar access in the handlers); the occupancy is built at the end from the recorded
spells. The handlers are grouped by the part of the system they model:

    pipeline.py     requests, decisions, appeals, the officers' queue
    placement.py    plans, places under capacity, waiting lists, moves, endings
    reviews.py      the annual review team
    transitions.py  moving away and the September clock
    events.py       the event order and the one scheduling function (`at`)

Public entry point: `simulate(scenario, seed, replication, record_events)`.
"""

from __future__ import annotations

import math

import numpy as np

from ..scenario.model import Scenario
from .history import History
from .inputs import compile_inputs
from .pipeline import Pipeline
from .placement import Placement
from .population import start_ages
from .reviews import Reviews
from .rng import ChildDraws, arrival_layers
from .state import MAX_AGE, N_SETTINGS, band_of
from .transitions import Transitions


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0, record_events: bool = False) -> History:
    """Simulate one replication of `scenario` from its census date to horizon.end.

    Random numbers are per child (model/rng.py): replication i of any two scenarios gives each child the same
    draws at every stage (common random numbers), and shares the request candidates. The scenario is only read.
    """
    run = Run(compile_inputs(scenario), ChildDraws(seed, replication), record_events)
    history = run.run()
    history.seed, history.replication = int(seed), int(replication)
    return history


def _length_biased(mean: float, cv: float) -> tuple[float, float]:
    """(mean, cv) of the full duration of a task found in progress at a random moment (longer tasks are more
    likely to be found): for a gamma(shape k) duration it is gamma(shape k + 1) with the same scale. The time
    already spent is then a uniform share of it, which gives the stationary remaining time."""
    return mean * (1.0 + cv * cv), cv / math.sqrt(1.0 + cv * cv)


class Run(Pipeline, Placement, Reviews, Transitions):
    """One replication: the start state, the clocks, and the run."""

    def _people(self) -> None:
        """Every child of the run gets a row and an identity before any draw (model/rng.py): the census plans
        (by age then setting), the requests and assessments open at the census date, then the requests of the
        whole run in time order (each a candidate of an arrival layer)."""
        inp, draws = self.inp, self.draws
        self.start_by_age = by_age = start_ages(inp.start_table, inp.age_profile)
        n_start = int(by_age.sum())
        n_open = inp.open_requests + inp.open_assessments
        draws.add_group("census", np.arange(n_start), np.arange(n_start), n_start)
        draws.add_group("open", np.arange(n_start, n_start + n_open), np.arange(n_open), n_open)
        n_days = self.cal.n_days
        rate = np.asarray(self.inp.request_rate[:n_days], dtype=float)
        times, age_u, layers, positions, sizes = arrival_layers(draws.seed, draws.replication, rate, n_days)
        first = n_start + n_open
        rows = np.arange(first, first + times.size)
        for j, size in enumerate(sizes):
            mine = layers == j
            draws.add_group(f"layer{j}", rows[mine], positions[mine], size)
        # ages from each request's own uniform, by the age profile of its day
        day = times.astype(int)
        ages = np.zeros(times.size, dtype=int)
        cums = self.inp.request_age_cum
        seg = np.array([id(c) for c in cums])[day] if times.size else np.zeros(0, dtype=np.int64)
        for key in dict.fromkeys(seg.tolist()):
            mask = seg == key
            c = cums[int(day[mask][0])]
            ages[mask] = np.searchsorted(c, age_u[mask], side="right")
        self.arrivals = times, np.minimum(ages, MAX_AGE)
        self._first_request_draws()
        self.u_placement = draws.uniforms("placement", 0, draws.group_names("layer") + ("open",))
        self.e_move_away = draws.exponentials("move_away")

    def _start_state(self) -> None:
        """Plans on the census date, and requests and assessments already in the pipeline."""
        inp, draws = self.inp, self.draws
        by_age = self.start_by_age
        interval = inp.review_interval_days[0]
        overdue = inp.reviews_overdue_share
        # one plan per child on the census date, by age then setting (the order is each child's identity)
        ages: list[int] = []
        settings: list[int] = []
        for age in range(by_age.shape[0]):
            for st in range(N_SETTINGS):
                n = int(by_age[age, st])
                ages.extend([age] * n)
                settings.extend([st] * n)
        bands = [band_of(a) for a in ages]
        first, n = len(self.cohort), len(ages)
        pids = range(first, first + n)
        self._new_people(ages, [-math.inf] * n)
        self._open_plans(pids, settings, bands)
        self._flag_start_wants(pids)
        # two uniforms each: overdue or not, and how far through the review interval
        us = draws.uniforms("start_overdue", 0, ("census",))[first:first + n]
        vs = draws.uniforms("start_review_position", 0, ("census",))[first:first + n]
        dues = [-v * interval[b] if u < overdue else v * interval[b] for u, v, b in zip(us, vs, bands, strict=True)]
        self._schedule_moves_away(pids)
        # reviews in order of due date (overdue ones all fall on day 0, oldest first)
        due = np.array(dues, dtype=float)
        order = np.lexsort((np.arange(n), due))
        self.review_due[first:first + n] = dues
        days = np.where(due > 0, np.ceil(due), 0).astype(np.int64)[order]
        sorted_pids = (order + first).tolist()
        n_buckets = len(self.reviews_by_day)
        cuts = np.flatnonzero(np.diff(days)) + 1
        for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), n], strict=True):
            if lo < hi and days[lo] < n_buckets:
                self.reviews_by_day[int(days[lo])].extend(sorted_pids[lo:hi])
        # requests awaiting a decision: part of their decision time has passed
        cum = inp.request_age_cum[0]
        age_u, elapsed_u = (draws.uniforms(stage, 0, ("open",)) for stage in ("start_open_age", "start_open_elapsed"))
        for _ in range(inp.open_requests):
            pid = len(self.cohort)
            age = int(np.searchsorted(cum, age_u[pid], side="right"))
            full = draws.duration("start_open_duration", 0, pid, *_length_biased(inp.decide_days[0], inp.decide_cv[0]),
                                  ("open",))
            elapsed = elapsed_u[pid] * full
            self._new_person(age, -elapsed)
            self.open_requests += 1
            self.at(full - elapsed, self._decide, pid)
        # assessments under way (up to capacity) and waiting for an officer, oldest first
        n = inp.open_assessments
        cap = inp.assess_capacity[0]
        running = min(n, cap)
        waiting = n - running
        clear_days = waiting * inp.assess_days[0] / cap if cap > 0 else 0.0
        for k in range(n):
            pid = len(self.cohort)
            age = int(np.searchsorted(cum, age_u[pid], side="right"))
            if k < running:
                full = draws.duration("start_open_duration", 0, pid,
                                      *_length_biased(inp.assess_days[0], inp.assess_cv[0]), ("open",))
                elapsed = elapsed_u[pid] * full
                self._new_person(age, -(inp.decide_days[0] + elapsed))
                self.in_assessment += 1
                self.at(full - elapsed, self._complete_assessment, pid)
            else:
                waited = clear_days * (1.0 - (k - running) / waiting)
                self._new_person(age, -(inp.decide_days[0] + waited))
                self.queued_t[pid] = -waited
                self.assess_queue.append(pid)

    def run(self) -> History:
        cal, env = self.cal, self.env
        self._people()
        self._start_state()
        times, ages = self.arrivals
        first = len(self.cohort)
        years = np.asarray(self.year_of)[times.astype(int)]
        self._new_people((ages - years).tolist(), times.tolist())
        # at the start of a day, in this order: the monthly observer (it sees the state before anything else
        # happens then), 1 September, changes of capacity
        for k, d in enumerate(cal.month_start_days):
            self.at_start_of_day(max(d, 0), self._observe, k)
        for d in cal.september_days:
            self.at_start_of_day(d, self._september, d)
        self._schedule_capacity_changes()
        for d in cal.september_days:  # after the transfers and new places of the day (placement.py)
            self.at_start_of_day(d, self._step_downs_at_transfer, d)
        self.arrival_t = times.tolist()
        self.arrival_first = first
        if self.arrival_t:
            self.at(self.arrival_t[0], self._arrival, 0)
        self.every_day(self._review_day)
        env.process(self.run_days(env))
        env.run(until=cal.n_days)
        self.rec.stats["events"] = self.n_events
        self.rec.stats["people"] = len(self.cohort)
        self._close_open_spells()
        return self.rec.history()

    def _close_open_spells(self) -> None:
        """A spell up to the end of the run for every plan still open, in bulk."""
        open_ = [pid for pid in self.holders if self.active[pid]]
        self.rec.spells([self.spell_start[pid] for pid in open_], [self.cal.n_days] * len(open_),
                        [self.setting[pid] for pid in open_], [self.band[pid] for pid in open_])

    def _arrival(self, k: int) -> None:
        """The k-th new request; then the next one is scheduled."""
        self.n_events += 1
        self._request(self.arrival_first + k, self.arrival_t[k], "new")
        k += 1
        if k < len(self.arrival_t):
            self.at(self.arrival_t[k], self._arrival, k)

    def _schedule_capacity_changes(self) -> None:
        inp = self.inp
        for d in range(1, self.cal.n_days):
            if inp.assess_capacity[d] > inp.assess_capacity[d - 1]:
                self.at_start_of_day(d, self._assessment_capacity_up, d)
            if inp.place_capacity[d] is not inp.place_capacity[d - 1]:
                self.at_start_of_day(d, self._place_capacity_changed, d)

    def _observe(self, month: int) -> None:
        self.rec.levels(month, self.open_requests, len(self.assess_queue), self.in_assessment,
                        self.reviews_overdue, self.n_waiting, self.n_active)
        self._observe_places(month)


__all__ = ["Run", "simulate"]
