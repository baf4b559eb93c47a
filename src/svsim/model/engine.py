"""One replication of a council's SEND system: a SimPy discrete-event simulation over table state.

Only real events are scheduled: a request's decision, an assessment's end, an appeal outcome, a repeat
request, a child moving away. What happens to many children at once runs on one SimPy day clock: the monthly
observer of queue levels, 1 September (ageing and phase transfers), changes of capacity, and the annual review
team's day. The order of events is the engine's own, (time, priority class, sequence), defined in events.py;
random numbers are per child (rng.py). The occupancy is built at the end from the recorded spells.

Who owns what (state.py): `Run` holds the shared context (inputs, calendar, agenda, recorder, draws), the one
people table (`People`: a row per child and the caseload counts its methods keep) and the four parts of the
system, each owning its own state and handlers:

    pipeline.py     Pipeline: requests, decisions, appeals, the officers' queue
    placement.py    Placement: plans, places under capacity, waiting lists, moves, endings
    reviews.py      Reviews: the annual review team
    transitions.py  Transitions: moving away and the September clock
    events.py       the event order and the one scheduling function (`at`)

Public entry point: `simulate(scenario, seed, replication, record_events)`.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import simpy

from ..scenario.model import Scenario
from .events import Agenda
from .history import History
from .inputs import Inputs, compile_inputs
from .pipeline import Pipeline
from .placement import Placement
from .population import start_ages
from .recorder import Recorder
from .reviews import Reviews
from .rng import ChildDraws, arrival_layers
from .state import MAX_AGE, N_SETTINGS, Part, People, band_of
from .transitions import Transitions, move_in_candidates


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0, record_events: bool = False) -> History:
    """Simulate one replication of `scenario` from its census date to horizon.end.

    Random numbers are per child (model/rng.py): replication i of any two scenarios gives each child the same
    draws at every stage (common random numbers), and shares the request candidates. The scenario is only read.
    """
    with gc_paused():
        run = Run(compile_inputs(scenario), ChildDraws(seed, replication), record_events)
        history = run.run()
        run.release()
    history.seed, history.replication = int(seed), int(replication)
    return history


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (restored after, also on an error). A run allocates
    many containers that live for days or the whole run (pending events, per-day lists, the columns), which set
    off collections that walk them all and find nothing: none was collected in a run of Kent's base, and they
    cost about 3-5% of its CPU time. Reference counting still frees everything as usual; a cycle, if any, is
    collected once the collector runs again."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class Run:
    """One replication: the shared context, the people table, the four parts, the clocks, and the run."""

    def __init__(self, inp: Inputs, draws: ChildDraws, record_events: bool, move_in_first: int = 0) -> None:
        self.inp = inp
        self.move_in_floor = move_in_first  # a fixed first row for moves in, at least (model/snapshot.py)
        self.cal = cal = inp.cal
        self.draws = draws
        self.agenda = Agenda(cal.n_days)
        self.rec = Recorder(cal, record_events)
        n_rows = self._people()
        self.people = People(n_rows, self.rec)
        self.pipeline = Pipeline(self)
        self.placement = Placement(self)
        self.reviews = Reviews(self)
        self.transitions = Transitions(self)
        self.parts: tuple[Part, ...] = (self.pipeline, self.placement, self.reviews, self.transitions)
        for part in self.parts:
            part.link(self)

    def _people(self) -> int:
        """Every child of the run gets a row and an identity before any draw (model/rng.py): the census plans
        (by age then setting), the requests and assessments open at the census date, then the requests of the
        whole run in time order (each a candidate of an arrival layer). Returns the number of rows."""
        inp, draws = self.inp, self.draws
        self.start_by_age = by_age = start_ages(inp.start_table, inp.age_profile)
        self.n_start = n_start = int(by_age.sum())
        n_open = inp.open_requests + inp.open_assessments
        draws.add_group("census", np.arange(n_start), np.arange(n_start), n_start)
        draws.add_group("open", np.arange(n_start, n_start + n_open), np.arange(n_open), n_open)
        n_days = self.cal.n_days
        rate = np.asarray(self.inp.request_rate[:n_days], dtype=float)
        times, age_u, layers, positions, sizes = arrival_layers(draws.seed, draws.replication, rate, n_days)
        self.arrival_first = first = n_start + n_open
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
        # moves in from other councils: candidates with identities of their own, after every other row
        self.move_in_first = max(first + times.size, self.move_in_floor)
        self.move_ins = move_in_candidates(inp, draws, self.move_in_first, self.move_in_first)
        return self.move_in_first + len(self.move_ins[0])

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
        first, n = 0, len(ages)
        pids = range(first, first + n)
        self.people.fill(first, ages, [-math.inf] * n)
        self.placement.open_census_plans(pids, settings, bands)
        self.placement.flag_start_wants(pids)
        # two uniforms each: overdue or not, and how far through the review interval
        us = draws.uniforms("start_overdue", 0, ("census",))[first:first + n]
        vs = draws.uniforms("start_review_position", 0, ("census",))[first:first + n]
        dues = [-v * interval[b] if u < overdue else v * interval[b] for u, v, b in zip(us, vs, bands, strict=True)]
        self.transitions.schedule_moves_away(pids)
        self.reviews.start_census(first, dues)
        # requests awaiting a decision and assessments under way or waiting, at the census date
        self.pipeline.start(first + n)

    def run(self) -> History:
        self.setup()
        self.run_days(0, self.cal.n_days)
        return self.finish()

    def setup(self, start_state: bool = True) -> None:
        """The start state and everything scheduled before day 0 (model/snapshot.py resumes after it, and needs no
        start state: it has the snapshot's)."""
        cal, agenda = self.cal, self.agenda
        if start_state:
            self._start_state()
        times, ages = self.arrivals
        first = self.arrival_first
        years = np.asarray(self.inp.age_year_of_day)[times.astype(int)]  # the year the drawn age belongs to
        self.people.fill(first, (ages - years).tolist(), times.tolist())
        # at the start of a day, in this order: the monthly observer (it sees the state before anything else
        # happens then), 1 September, changes of capacity
        for k, d in enumerate(cal.month_start_days):
            agenda.at_start_of_day(max(d, 0), self._observe, k)
        for d in cal.september_days:
            agenda.at_start_of_day(d, self.transitions.september, d)
        self._schedule_capacity_changes()
        for d in cal.september_days:  # after the transfers and new places of the day (placement.py)
            agenda.at_start_of_day(d, self.placement.step_downs_at_transfer, d)
        self.pipeline.start_arrivals(first, times.tolist(), ages.tolist())
        self.transitions.start_move_ins()
        agenda.every_day(self.reviews.day)

    def run_days(self, first: int, until: int) -> None:
        """Days first..until - 1 on a SimPy day clock starting at `first`.

        The cyclic garbage collector is paused meanwhile (gc_paused)."""
        self.env = env = simpy.Environment(initial_time=first)
        env.process(self.agenda.run_days(env, first))
        with gc_paused():
            env.run(until=until)

    def finish(self) -> History:
        cal = self.cal
        self.rec.stats["events"] = sum(part.n_events for part in self.parts)
        self.rec.stats["people"] = self.people.size
        self.people.close_open_spells(cal.n_days)
        return self.rec.history()

    def release(self) -> None:
        """Drop a finished run's state (after `finish`; the run cannot be used again). The state holds reference
        cycles (the parts link each other, pending events and the daily callback hold the parts' methods), so
        without this it would wait for the cyclic garbage collector; with it, reference counting frees it at once
        and the collector has nothing to walk (gc_paused)."""
        for obj in (*self.parts, self.agenda, self.people, self.rec, self):
            vars(obj).clear()

    def _schedule_capacity_changes(self) -> None:
        inp, agenda = self.inp, self.agenda
        for d in range(1, self.cal.n_days):
            if inp.assess_capacity[d] > inp.assess_capacity[d - 1]:
                agenda.at_start_of_day(d, self.pipeline.capacity_up, d)
            if inp.place_capacity[d] is not inp.place_capacity[d - 1]:
                agenda.at_start_of_day(d, self.placement.capacity_changed, d)

    def _observe(self, month: int) -> None:
        """Start-of-month levels (the state before anything else happens that day)."""
        pipeline, people = self.pipeline, self.people
        self.rec.levels(month, pipeline.open_requests, len(pipeline.assess_queue), pipeline.open_assessments,
                        people.reviews_overdue, people.n_waiting, people.n_active)
        self.placement.observe_places(month)


__all__ = ["Run", "simulate"]
