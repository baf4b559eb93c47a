"""Observations of one replication, gathered as plain lists while it runs and turned into a History at the end.

Occupancy is recorded as spells (first day, day after the last, setting, age band): one per stretch of time a
child spends in one setting and band. At the end a difference array and a cumulative sum turn the spells into
plans per day, so plan-days (and hence cost) are exact.
"""

from __future__ import annotations

import numpy as np

from ..domain import AGE_BANDS, SETTINGS
from .calendar import Calendar
from .history import History

FLOW_KEYS: tuple[str, ...] = (
    "requests", "refusals", "appeals", "appeals_won", "decisions_to_assess", "assessments_started",
    "assessments_completed", "plans_issued", "plans_issued_within_20_weeks", "not_issued", "reviews_due",
    "reviews_completed", "review_moves", "transfer_moves", "ceased_review", "ceased_phase_transfer", "ceased_age",
    "moved_away", "placed_in_fallback", "started_waiting", "admitted_from_waiting",
    "reviews_by_backlog_team", "moved_in", "refused_srp", "refused_special", "wait_expired", "stepped_down",
)
"""Monthly counts filled by the engine (History documents the required ones; the rest are extras)."""

LEVEL_KEYS: tuple[str, ...] = (
    "open_requests", "assessment_queue", "assessments_in_progress", "reviews_overdue", "waiting_for_place", "plans",
    "occupied_srp", "occupied_special", "wanting_srp", "wanting_special",
)
"""Values at the start of each month (the first month: at the census date)."""

CEASED_KEYS: tuple[str, ...] = ("ceased_review", "ceased_phase_transfer", "ceased_age", "moved_away")
"""Every way a plan ends: start + plans_issued - these = end, month by month."""


class Recorder:
    """Counters the event handlers write to directly (attribute + list index: the cheapest update in Python)."""

    def __init__(self, cal: Calendar, record_events: bool) -> None:
        self.cal = cal
        n = cal.n_months
        for key in FLOW_KEYS:
            setattr(self, "f_" + key, [0] * n)
        self._levels = {key: [0] * n for key in LEVEL_KEYS}
        self.moves = [0] * (n * len(SETTINGS) * len(SETTINGS))
        self.new_placements = [0] * (n * len(SETTINGS) * len(AGE_BANDS))
        self.new_waits = [0] * (n * len(SETTINGS) * len(AGE_BANDS))
        self.w_request_to_plan: list[float] = []
        self.w_assessment_queue: list[float] = []
        self.w_review_late: list[float] = []
        self.events: list[tuple[float, str, int, str]] | None = [] if record_events else None
        self.stats: dict[str, int] = {}
        self._sp_start: list[int] = []
        self._sp_end: list[int] = []
        self._sp_cell: list[int] = []

    # The public API. Flows: handlers add to the lists self.f_<flow>[month] (a list index is the cheapest update
    # Python has); spells, levels and events go through the methods below, never into the private lists.
    def spell(self, first_day: int, end_day: int, setting: int, band: int) -> None:
        """A child was in (setting, band) at the start of days first_day .. end_day - 1."""
        self._sp_start.append(first_day)
        self._sp_end.append(end_day)
        self._sp_cell.append(setting * len(AGE_BANDS) + band)

    def spells(self, first_days: list[int], end_days: list[int], settings: list[int], bands: list[int]) -> None:
        """Many spells at once (the same as `spell` for each, in order)."""
        n_bands = len(AGE_BANDS)
        self._sp_start.extend(first_days)
        self._sp_end.extend(end_days)
        self._sp_cell.extend([s * n_bands + b for s, b in zip(settings, bands, strict=True)])

    def event(self, t: float, what: str, pid: int, detail: str = "") -> None:
        """Log one event when the run keeps an event log (record_events); nothing otherwise."""
        if self.events is not None:
            self.events.append((t, what, pid, detail))

    def levels(self, month: int, open_requests: int, queue: int, in_progress: int, overdue: int,
               waiting: int, plans: int) -> None:
        lv = self._levels
        lv["open_requests"][month] = open_requests
        lv["assessment_queue"][month] = queue
        lv["assessments_in_progress"][month] = in_progress
        lv["reviews_overdue"][month] = overdue
        lv["waiting_for_place"][month] = waiting
        lv["plans"][month] = plans

    def level(self, key: str, month: int, value: int) -> None:
        """One level at the start of `month` (keys in LEVEL_KEYS)."""
        self._levels[key][month] = value

    def occupancy(self) -> np.ndarray:
        days = self.cal.n_days
        cells = len(SETTINGS) * len(AGE_BANDS)
        start = np.asarray(self._sp_start, dtype=np.int64)
        end = np.asarray(self._sp_end, dtype=np.int64)
        cell = np.asarray(self._sp_cell, dtype=np.int64)
        size = (days + 1) * cells
        diff = np.bincount(start * cells + cell, minlength=size) - np.bincount(end * cells + cell, minlength=size)
        occ = np.cumsum(diff.reshape(days + 1, cells), axis=0)[:days]
        return occ.reshape(days, len(SETTINGS), len(AGE_BANDS)).astype(np.int32)

    def history(self) -> History:
        n = self.cal.n_months
        S, B = len(SETTINGS), len(AGE_BANDS)
        flows = {key: np.asarray(getattr(self, "f_" + key), dtype=np.int64) for key in FLOW_KEYS}
        flows["ceased"] = sum((flows[k] for k in CEASED_KEYS), np.zeros(n, dtype=np.int64))
        self.stats["spells"] = len(self._sp_start)
        return History(
            start=self.cal.start,
            occupancy=self.occupancy(),
            month_starts=list(self.cal.month_starts),
            flows=flows,
            levels={k: np.asarray(v, dtype=np.int64) for k, v in self._levels.items()},
            moves=np.asarray(self.moves, dtype=np.int32).reshape(n, S, S),
            new_placements=np.asarray(self.new_placements, dtype=np.int32).reshape(n, S, B),
            new_waits=np.asarray(self.new_waits, dtype=np.int32).reshape(n, S, B),
            waits_weeks={
                "request_to_plan": self.w_request_to_plan,
                "assessment_queue": self.w_assessment_queue,
                "review_late": self.w_review_late,
            },
            events=self.events,
            stats=dict(self.stats),
        )


__all__ = ["CEASED_KEYS", "FLOW_KEYS", "LEVEL_KEYS", "Recorder"]
