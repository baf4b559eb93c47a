"""What one replication records. Money, scoring and reports are computed from this and nothing else.

Time is counted in whole days from the simulation start (the census date): day 0 is the census date.
`occupancy[d, s, b]` is the number of EHC plans in setting s and age band b at the start of day d, so the
plan-days in any period are a plain sum over its days, and cost is an exact function of the history.
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
    placed_in_fallback."""
    levels: dict[str, np.ndarray]
    """Values at the start of each calendar month. At least: open_requests, assessment_queue,
    assessments_in_progress, reviews_overdue, waiting_for_place."""
    moves: np.ndarray
    """int32 [months, settings, settings]: moves between settings in each month (from, to), phase transfers
    and reviews together."""
    new_placements: np.ndarray
    """int32 [months, settings, age bands]: where new plans were placed in each month."""
    waits_weeks: dict[str, list[float]] = field(default_factory=dict)
    """Samples of waiting times, e.g. 'request_to_plan' for each plan issued."""
    events: list[tuple[float, str, int, str]] | None = None
    """Optional event log: (day, event, child id, detail)."""
    replication: int = 0
    seed: int = 0

    @property
    def days(self) -> int:
        return int(self.occupancy.shape[0])

    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def day_of(self, when: dt.date) -> int:
        return (when - self.start).days

    def census(self, when: dt.date) -> np.ndarray:
        """Plans by [setting, age band] at the start of `when`."""
        return self.occupancy[self.day_of(when)]

    def month_index(self, when: dt.date) -> int:
        first = self.month_starts[0]
        return (when.year - first.year) * 12 + when.month - first.month


SETTING_INDEX = {s: i for i, s in enumerate(SETTINGS)}
BAND_INDEX = {b: i for i, b in enumerate(AGE_BANDS)}
