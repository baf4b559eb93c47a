"""What one replication records. Money, scoring and reports are computed from this and nothing else.

Time is counted in whole days from the simulation start (the census date): day 0 is the census date.
`occupancy[d, s, b]` is the number of EHC plans in setting s and age band b at the start of day d, so the
plan-days in any period are a plain sum over its days, and cost is an exact function of the history.

As the engine fills it (svsim.model.simulate): an event at time t (days, a float) belongs to day floor(t) and
to that day's month in the flows, and shows in the occupancy from the start of the next day; so for every
month, plans at its start + plans_issued + moved_in - ceased = plans at the start of the next month. Changes made by the
1 September clock show from 2 September. Levels are read at 00:00 on the first of each month, before anything
else happens then (the first month's at the census date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..domain import AGE_BANDS, SETTINGS


@dataclass
class History:
    start: dt.date
    """Day 0."""
    occupancy: np.ndarray
    """int32 [days, settings, age bands]: plans at the start of each day."""
    month_starts: list[dt.date]
    """The first day of each calendar month simulated (the first is the month containing `start`)."""
    flows: dict[str, np.ndarray]
    """Counts per calendar month (same length as month_starts). At least: requests, refusals, appeals_won,
    assessments_started, assessments_completed, plans_issued, plans_issued_within_20_weeks, not_issued,
    reviews_due, reviews_completed, ceased_review, ceased_phase_transfer, ceased_age, moved_away,
    placed_in_fallback. The engine adds: appeals, decisions_to_assess, review_moves, transfer_moves,
    started_waiting (a child found its setting full and waits), admitted_from_waiting, reviews_by_backlog_team
    (reviews done by a backlog team, within reviews_completed), moved_in (plans arriving from other councils: not
    new plans) and ceased (the sum of the four ways a plan ends). reviews_due counts reviews falling due (not
    those already overdue at the census)."""
    levels: dict[str, np.ndarray]
    """Values at the start of each calendar month. At least: open_requests, assessment_queue,
    assessments_in_progress, reviews_overdue, waiting_for_place. The engine adds: plans (all plans)."""
    moves: np.ndarray
    """int32 [months, settings, settings]: moves between settings in each month (from, to), phase transfers
    and reviews together."""
    new_placements: np.ndarray
    """int32 [months, settings, age bands]: where new plans were placed in each month."""
    new_waits: np.ndarray | None = None
    """int32 [months, settings, age bands] or None: new plans that named a full capped setting and started waiting
    for it (they are in new_placements where they wait, neet_awaiting): the setting the plan names."""
    waits_weeks: dict[str, list[float]] = field(default_factory=dict)
    """Samples of waiting times, e.g. 'request_to_plan' for each plan issued. The engine adds
    'assessment_queue' (wait for an officer, each assessment started) and 'review_late' (weeks past the due
    date, each review done)."""
    events: list[tuple[float, str, int, str]] | None = None
    """Optional event log: (day, event, child id, detail). Events: request (detail new/rerequest), decision
    (assess/refuse), appeal_won, assessment_start, not_issued, plan_issued (setting), review, move
    (from->to), ceased (review/phase_transfer/age/moved_away)."""
    replication: int = 0
    seed: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    """Deterministic run statistics (events processed, people simulated, spells recorded)."""

    @property
    def days(self) -> int:
        return int(self.occupancy.shape[0])

    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def day_of(self, when: dt.date) -> int:
        return (when - self.start).days

    def census(self, when: dt.date) -> np.ndarray:
        """Plans by [setting, age band] at the start of `when` (a date outside the simulation is an error,
        never a silent wrap-around to the other end of the array)."""
        day = self.day_of(when)
        if not 0 <= day < self.days:
            raise ValueError(f"{when} is outside the simulated days {self.start} to {self.date_of(self.days - 1)}")
        return self.occupancy[day]

    def month_index(self, when: dt.date) -> int:
        first = self.month_starts[0]
        return (when.year - first.year) * 12 + when.month - first.month


SETTING_INDEX = {s: i for i, s in enumerate(SETTINGS)}
BAND_INDEX = {b: i for i, b in enumerate(AGE_BANDS)}
