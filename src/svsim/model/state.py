"""The state of one replication: who owns what.

- `People`: ONE table with a row per child of the run (sized once: every child is known before the run starts,
  engine.Run._people) holding what several parts read (age cohort, setting, age band, whether a plan is held,
  ...), and the counts that must always agree with those rows (`count`, `n_active`, `n_waiting`,
  `reviews_overdue`, `holders`). The counts and the plan columns change only through People's methods, which
  also close the occupancy spells; handlers never write them by hand.
- `Part`: the base of the four parts of the system (pipeline.py, placement.py, reviews.py, transitions.py).
  Each part owns its own state (queues, counters, its per-child columns and its random-number columns) as
  attributes set in its `__init__`, and offers the other parts a few public methods; it reads the shared context
  (inputs, calendar, agenda, recorder, draws, people) through the attributes `Part.__init__` sets.

Columns are preallocated Python lists, one type each (documented per column): a list index is the cheapest
scalar read and write Python has (measured on this machine: about 30 ns for a list against 45-65 ns for
array.array and 110 ns for a numpy array), and a compiled core can take them whole (`array('q', column)`).
Ages are kept as a cohort (the academic age in the academic year of day 0), so the age on any day is cohort +
the Septembers passed; nobody needs updating when they age.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress
from operator import itemgetter
from typing import TYPE_CHECKING

from ..domain import AGE_BAND_OF_AGE, SETTINGS, STATUTORY_WEEKS_TO_PLAN
from .calendar import DAYS_PER_WEEK
from .recorder import Recorder

if TYPE_CHECKING:
    from .engine import Run
    from .pipeline import Pipeline
    from .placement import Placement
    from .reviews import Reviews
    from .transitions import Transitions

NEET = SETTINGS.index("neet_awaiting")
N_SETTINGS = len(SETTINGS)
MAX_AGE = len(AGE_BAND_OF_AGE) - 1
WEEKS_TO_PLAN_DAYS = STATUTORY_WEEKS_TO_PLAN * DAYS_PER_WEEK


def band_of(age: int) -> int:
    """Age band index of an academic age (ages outside 0..25 take the nearest band)."""
    return AGE_BAND_OF_AGE[0 if age < 0 else (MAX_AGE if age > MAX_AGE else age)]


class People:
    """One row per child (anyone with a plan or a request in the run) and the caseload counts kept with them.

    Read any column freely. Write `cohort` once (fill) and `request_t` from the pipeline; every other column
    and every count changes only through the methods below, so that `count[s]` is the number of active plans
    in setting s, `n_active` the number of active plans, `n_waiting` the number of active children waiting for
    a place (`wait_for >= 0`), `reviews_overdue` the number in the review backlog (`in_review_queue`), and
    `holders` lists (at least) every active plan. Occupancy spells are recorded here, whenever a plan's setting
    or age band changes or the plan ends.
    """

    def __init__(self, n_rows: int, rec: Recorder) -> None:
        n = self.size = n_rows
        self.rec = rec
        # columns (one entry per row)
        self.cohort: list[int] = [0] * n  # academic age in the academic year of day 0
        self.request_t: list[float] = [0.0] * n  # time of the request the current assessment answers
        self.setting: list[int] = [-1] * n  # -1 = no plan yet
        self.band: list[int] = [-1] * n  # age band of the current spell
        self.active: list[bool] = [False] * n  # holds a plan now
        self.spell_start: list[int] = [0] * n  # first day of the current spell
        self.wait_for: list[int] = [-1] * n  # capped setting waited for, -1 = none
        self.in_review_queue: list[bool] = [False] * n  # due for a review and not yet reviewed
        # counts, kept by the methods
        self.count: list[int] = [0] * N_SETTINGS  # active plans by setting
        self.n_active = 0
        self.n_waiting = 0
        self.reviews_overdue = 0
        self.holders: list[int] = []  # rows that have held a plan (pruned to the active ones by current_holders)

    def fill(self, first: int, cohorts: Sequence[int], request_ts: Sequence[float]) -> None:
        """Rows first.. are children of these cohorts whose (first) request was at these times."""
        last = first + len(cohorts)
        self.cohort[first:last] = cohorts
        self.request_t[first:last] = request_ts

    # ---- plans ---------------------------------------------------------------------------------------------------
    def open_plan(self, pid: int, s: int, b: int, first_day: int) -> None:
        """Child pid holds a plan in setting s, age band b, from first_day."""
        self.setting[pid] = s
        self.band[pid] = b
        self.active[pid] = True
        self.spell_start[pid] = first_day
        self.count[s] += 1
        self.n_active += 1
        self.holders.append(pid)

    def open_plans(self, pids: range, settings: list[int], bands: list[int], first_day: int) -> None:
        """open_plan for the consecutive rows `pids`, in bulk."""
        lo, hi, n = pids.start, pids.stop, len(pids)
        self.setting[lo:hi] = settings
        self.band[lo:hi] = bands
        self.active[lo:hi] = [True] * n
        self.spell_start[lo:hi] = [first_day] * n
        count = self.count
        for s in settings:
            count[s] += 1
        self.n_active += n
        self.holders.extend(pids)

    def respell(self, pid: int, s: int, b: int, t: float) -> int:
        """From the day after time t the plan is in setting s and age band b; returns the setting it was in. A move
        out of the setting waited in ends the wait."""
        old = self.setting[pid]
        e = int(t) + 1
        start = self.spell_start[pid]
        if start < e:
            self.rec.spell(start, e, old, self.band[pid])
        self.spell_start[pid] = e
        self.band[pid] = b
        if s != old:
            self.setting[pid] = s
            count = self.count
            count[old] -= 1
            count[s] += 1
            if self.wait_for[pid] >= 0:
                self.wait_for[pid] = -1
                self.n_waiting -= 1
        return old

    def rebands(self, pids: list[int], bands: list[int], first_day: int) -> None:
        """Many plans change age band (and nothing else) from first_day: respell for each, in bulk."""
        spell_start, band, setting = self.spell_start, self.band, self.setting
        starts: list[int] = []
        settings: list[int] = []
        olds: list[int] = []
        for pid, b in zip(pids, bands, strict=True):
            start = spell_start[pid]
            if start < first_day:
                starts.append(start)
                settings.append(setting[pid])
                olds.append(band[pid])
            spell_start[pid] = first_day
            band[pid] = b
        self.rec.spells(starts, [first_day] * len(starts), settings, olds)

    def end_plan(self, pid: int, t: float) -> int:
        """The plan ends at time t (its last day is int(t)); it leaves any wait and the review backlog. Returns its
        setting."""
        s = self.setting[pid]
        e = int(t) + 1
        start = self.spell_start[pid]
        if start < e:
            self.rec.spell(start, e, s, self.band[pid])
        self.active[pid] = False
        self.count[s] -= 1
        self.n_active -= 1
        if self.wait_for[pid] >= 0:
            self.wait_for[pid] = -1
            self.n_waiting -= 1
        if self.in_review_queue[pid]:
            self.in_review_queue[pid] = False
            self.reviews_overdue -= 1
        return s

    def current_holders(self) -> list[int]:
        """The rows holding a plan now, in the order their plans opened (prunes `holders`)."""
        holders = self.holders
        if len(holders) > 1:  # itemgetter reads the flags at C speed
            self.holders = holders = list(compress(holders, itemgetter(*holders)(self.active)))
        elif holders and not self.active[holders[0]]:
            self.holders = holders = []
        return holders

    def close_open_spells(self, end_day: int) -> None:
        """A spell up to end_day for every plan still open, in bulk (the end of the run)."""
        open_ = self.current_holders()
        setting, band, start = self.setting, self.band, self.spell_start
        self.rec.spells([start[pid] for pid in open_], [end_day] * len(open_),
                        [setting[pid] for pid in open_], [band[pid] for pid in open_])

    # ---- waiting for a place and the review backlog ------------------------------------------------------------
    def start_waiting(self, pid: int, s: int) -> None:
        """Child pid waits for a place in capped setting s (the queue itself is placement's)."""
        self.wait_for[pid] = s
        self.n_waiting += 1

    def stop_waiting(self, pid: int) -> None:
        """Child pid no longer waits for a place, where it is (its timed wait ended: placement.py)."""
        if self.wait_for[pid] >= 0:
            self.wait_for[pid] = -1
            self.n_waiting -= 1

    def join_review_backlog(self, pids: list[int]) -> None:
        """These children's reviews are due (the backlog's order is the review team's)."""
        flag = self.in_review_queue
        for pid in pids:
            flag[pid] = True
        self.reviews_overdue += len(pids)

    def leave_review_backlog(self, pids: Iterable[int]) -> None:
        """These children (all in the backlog) have been reviewed."""
        flag = self.in_review_queue
        n = 0
        for pid in pids:
            flag[pid] = False
            n += 1
        self.reviews_overdue -= n


class Part:
    """A part of the system. Subclasses own the state they set in __init__; this base gives them the shared
    context (read it, never replace it) and, once every part exists, the other parts (`link`)."""

    pipeline: Pipeline
    placement: Placement
    reviews: Reviews
    transitions: Transitions

    def __init__(self, run: Run) -> None:
        self.inp = run.inp
        self.cal = run.cal
        self.rec = run.rec
        self.draws = run.draws
        self.people: People = run.people
        self.agenda = run.agenda  # agenda.now: the time of the event being handled
        self.at = run.agenda.at  # at(t, handler, value): the one way to schedule a child's event (events.py)
        self.month_of = run.cal.month_of_day
        self.year_of = run.cal.year_of_day
        self.n_events = 0  # things this part did (the engine's events count is the sum over parts)

    def link(self, run: Run) -> None:
        """The other parts, for calls across parts (self.placement.cease(...)): set once every part exists."""
        self.pipeline = run.pipeline
        self.placement = run.placement
        self.reviews = run.reviews
        self.transitions = run.transitions


__all__ = ["MAX_AGE", "N_SETTINGS", "NEET", "WEEKS_TO_PLAN_DAYS", "Part", "People", "band_of"]
