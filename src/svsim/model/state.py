"""The state of one replication: one row per person in plain Python lists, counts and queues.

A person is anyone with a plan or a request in flight. Ages are kept as a cohort (the academic age in the
academic year of day 0), so the age on any day is cohort + the Septembers passed; nobody needs updating when
they age. The event handlers live in the mixins (pipeline, placement, reviews, transitions); this class holds
what they share.

Scheduling: State extends events.Agenda, which defines the event order (time, priority class, sequence) and
holds the one scheduling function, `at(t, handler, value)`. SimPy is the day clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import simpy

from ..domain import AGE_BAND_OF_AGE, SETTINGS, STATUTORY_WEEKS_TO_PLAN
from .calendar import DAYS_PER_WEEK
from .events import Agenda
from .inputs import Inputs
from .recorder import Recorder
from .rng import ChildDraws

NEET = SETTINGS.index("neet_awaiting")
N_SETTINGS = len(SETTINGS)
MAX_AGE = len(AGE_BAND_OF_AGE) - 1
WEEKS_TO_PLAN_DAYS = STATUTORY_WEEKS_TO_PLAN * DAYS_PER_WEEK


def band_of(age: int) -> int:
    """Age band index of an academic age (ages outside 0..25 take the nearest band)."""
    return AGE_BAND_OF_AGE[0 if age < 0 else (MAX_AGE if age > MAX_AGE else age)]


class State(Agenda):
    """What every part of the engine reads and writes."""

    def __init__(self, inp: Inputs, draws: ChildDraws, record_events: bool) -> None:
        super().__init__(inp.cal.n_days)
        self.inp = inp
        self.cal = cal = inp.cal
        self.env = simpy.Environment()
        self.rec = Recorder(cal, record_events)
        self.month_of = cal.month_of_day
        self.year_of = cal.year_of_day
        # per-child random numbers (model/rng.py): draws.uniforms(stage, slot)[pid]
        self.draws = draws
        # columns of draws (row -> number), filled once every child is known (engine.Run._people); pipeline.py
        none: Sequence[float] = ()
        self.u_decision = self.u_appeal = self.u_appeal_success = self.u_rerequest = none
        self.e_rerequest_time = self.u_not_issue = self.u_placement = self.e_move_away = none
        self.u_review: list[Sequence[float]] = []  # by the child's review number (0 = its first)
        self.asked: tuple[str, ...] = ()  # the groups of children with a request (all but the census plans)
        # people: anyone with a plan or a request; one row each
        self.cohort: list[int] = []  # academic age in the academic year of day 0
        self.request_t: list[float] = []  # time of the request the current assessment answers
        self.setting: list[int] = []  # -1 = no plan
        self.band: list[int] = []  # age band of the current spell
        self.active: list[bool] = []  # holds a plan now
        self.spell_start: list[int] = []
        self.wait_for: list[int] = []  # capped setting waited for, -1 = none
        self.in_review_queue: list[bool] = []
        self.queued_t: list[float] = []
        self.cycle: list[int] = []  # which request of the child's (0 = the first): the slot of its pipeline draws
        self.n_reviews: list[int] = []  # reviews done: the slot of the next review's draw
        self.holders: list[int] = []
        # caseload counts and queues
        self.count = [0] * N_SETTINGS
        self.n_active = 0
        self.open_requests = 0
        self.assess_queue: deque[int] = deque()
        self.in_assessment = 0  # assessments holding an officer's place
        self.awaiting_advice: set[int] = set()  # open assessments past the officer's part (pipeline._hold_place)
        self.review_due: list[float] = []  # per person: when the next annual review is due
        self.reviews_by_day: list[list[int]] = [[] for _ in range(cal.n_days + 1)]  # who falls due on each day
        self.reviews_due: list[int] = []  # due and not yet done, oldest first, from index reviews_head
        self.reviews_head = 0
        self.reviews_overdue = 0
        self.quiet_cache: dict[tuple[int, int], tuple[list[float], object]] = {}  # reviews._quiet_thresholds
        self.review_tokens = 0.0
        self.waiting: list[deque[int]] = [deque() for _ in SETTINGS]
        self.n_waiting = 0
        self.n_events = 0

    def _new_person(self, cohort: int, request_t: float) -> int:
        self.cohort.append(cohort)
        self.request_t.append(request_t)
        self.setting.append(-1)
        self.band.append(-1)
        self.active.append(False)
        self.spell_start.append(0)
        self.wait_for.append(-1)
        self.in_review_queue.append(False)
        self.queued_t.append(0.0)
        self.cycle.append(0)
        self.n_reviews.append(0)
        self.review_due.append(math.inf)
        return len(self.cohort) - 1

    def _new_people(self, cohorts: list[int], request_ts: list[float]) -> None:
        """Rows for many people at once (the requests of the whole run, known in advance)."""
        n = len(cohorts)
        self.cohort.extend(cohorts)
        self.request_t.extend(request_ts)
        self.setting.extend([-1] * n)
        self.band.extend([-1] * n)
        self.active.extend([False] * n)
        self.spell_start.extend([0] * n)
        self.wait_for.extend([-1] * n)
        self.in_review_queue.extend([False] * n)
        self.queued_t.extend([0.0] * n)
        self.cycle.extend([0] * n)
        self.n_reviews.extend([0] * n)
        self.review_due.extend([math.inf] * n)
