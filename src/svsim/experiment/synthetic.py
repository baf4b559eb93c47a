"""Hand-made Histories: known stays in known settings, for exact tests of money, KPIs and outputs without the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np

from ..domain import AGE_BANDS, SETTINGS
from ..model.history import BAND_INDEX, SETTING_INDEX, History

FLOW_NAMES = (
    "requests", "refusals", "appeals_won", "assessments_started", "assessments_completed", "plans_issued",
    "plans_issued_within_20_weeks", "not_issued", "reviews_due", "reviews_completed", "ceased_review",
    "ceased_phase_transfer", "ceased_age", "moved_away", "placed_in_fallback",
)
LEVEL_NAMES = ("open_requests", "assessment_queue", "assessments_in_progress", "reviews_overdue", "waiting_for_place")

Stay = tuple[str, str, dt.date, dt.date]
"""(setting, age band, first day, day after the last day): one plan in one setting."""


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the calendar months from the one holding `start` to the one holding `end` (inclusive)."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def history_from_stays(
    start: dt.date,
    end: dt.date,
    stays: Iterable[Stay] = (),
    *,
    base: np.ndarray | None = None,
    flows: Mapping[str, Mapping[dt.date, float]] | None = None,
    levels: Mapping[str, Mapping[dt.date, float]] | None = None,
    moves: Iterable[tuple[dt.date, str, str, int]] = (),
    new_placements: Iterable[tuple[dt.date, str, str, int]] = (),
    seed: int = 0,
    replication: int = 0,
) -> History:
    """A History from `start` to `end` (inclusive) holding `base` plans [setting, band] every day plus the `stays`.

    `flows` and `levels` give values by month (any day in the month); `moves` are (day, from, to, count) and
    `new_placements` (day, setting, age band, count).
    """
    days = (end - start).days + 1
    occupancy = np.zeros((days, len(SETTINGS), len(AGE_BANDS)), dtype=np.int32)
    if base is not None:
        occupancy += np.asarray(base, dtype=np.int32)
    for setting, band, first, after in stays:
        lo, hi = max((first - start).days, 0), min((after - start).days, days)
        occupancy[lo:hi, SETTING_INDEX[setting], BAND_INDEX[band]] += 1
    months = month_starts(start, end)

    def month(day: dt.date) -> int:
        return (day.year - months[0].year) * 12 + day.month - months[0].month

    flow_arrays = {name: np.zeros(len(months), dtype=np.int64) for name in FLOW_NAMES}
    for name, by_day in (flows or {}).items():
        arr = flow_arrays.setdefault(name, np.zeros(len(months), dtype=np.int64))
        for day, value in by_day.items():
            arr[month(day)] += value
    level_arrays = {name: np.zeros(len(months), dtype=np.int64) for name in LEVEL_NAMES}
    for name, by_day in (levels or {}).items():
        arr = level_arrays.setdefault(name, np.zeros(len(months), dtype=np.int64))
        for day, value in by_day.items():
            arr[month(day)] = value
    move_array = np.zeros((len(months), len(SETTINGS), len(SETTINGS)), dtype=np.int32)
    for day, src, dst, n in moves:
        move_array[month(day), SETTING_INDEX[src], SETTING_INDEX[dst]] += n
    placed = np.zeros((len(months), len(SETTINGS), len(AGE_BANDS)), dtype=np.int32)
    for day, setting, band, n in new_placements:
        placed[month(day), SETTING_INDEX[setting], BAND_INDEX[band]] += n
    return History(start=start, occupancy=occupancy, month_starts=months, flows=flow_arrays, levels=level_arrays,
                   moves=move_array, new_placements=placed, seed=seed, replication=replication)


__all__ = ["history_from_stays", "month_starts"]
