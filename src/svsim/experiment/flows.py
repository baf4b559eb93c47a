"""Calendar-year flows of one History in the DfE's definitions (svsim.data.groups.FLOW_MEASURES).

The DfE counts requests, assessments, new plans, timeliness and ceased plans per calendar year (January to
December). History records flows per calendar month, so a calendar year is the sum of its twelve months. The
first simulated year usually starts at the census day (about 20 January), so it is short by a few weeks: a year
simulated for at least MIN_COVERAGE of its days is kept and its counts are annualised (count / coverage, shares
unchanged), and its coverage is reported beside it; shorter years are left out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..model.history import SETTING_INDEX, History

MIN_COVERAGE = 0.9
"""Least share of a calendar year's days simulated for the year to be reported."""


def _flow(history: History, name: str) -> np.ndarray:
    months = len(history.month_starts)
    return np.asarray(history.flows.get(name, np.zeros(months)), dtype=float)


def year_coverage(history: History) -> dict[int, float]:
    """Calendar year -> share of its days inside the simulated period."""
    first, last = history.start, history.date_of(history.days - 1)
    out = {}
    for year in range(first.year, last.year + 1):
        lo, hi = max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))
        days_in_year = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
        out[year] = ((hi - lo).days + 1) / days_in_year
    return out


def monthly_measures(history: History) -> dict[str, np.ndarray]:
    """Each count measure per calendar month, in the DfE's definitions."""
    ceased_review, ceased_transfer = _flow(history, "ceased_review"), _flow(history, "ceased_phase_transfer")
    ceased_age, moved_away = _flow(history, "ceased_age"), _flow(history, "moved_away")
    moves = np.asarray(history.moves, dtype=float)
    src = [SETTING_INDEX["mainstream"], SETTING_INDEX["srp"]]
    dst = [SETTING_INDEX["special"], SETTING_INDEX["independent"]]
    return {
        "requests": _flow(history, "requests"),
        "refusals": _flow(history, "refusals"),
        "assessments_completed": _flow(history, "assessments_completed"),
        "assessments_not_issued": _flow(history, "not_issued"),
        "new_plans": _flow(history, "plans_issued"),
        "plans_issued_within_20_weeks": _flow(history, "plans_issued_within_20_weeks"),
        "ceased": ceased_review + ceased_transfer + ceased_age + moved_away,
        "ceased_max_age": ceased_age,
        "ceased_other_reasons": ceased_review + ceased_transfer,
        "transfers_out": moved_away,
        "transfers_in": _flow(history, "moved_in"),
        "appeals": _flow(history, "appeals"),
        "moves_mainstream_to_special": moves[:, src][:, :, dst].sum(axis=(1, 2)),
    }


def calendar_year_flows(history: History) -> tuple[dict[str, dict[int, float]], dict[int, float]]:
    """(measure -> calendar year -> value, year -> coverage) for the years simulated for >= MIN_COVERAGE."""
    coverage = {y: c for y, c in year_coverage(history).items() if c >= MIN_COVERAGE}
    years = np.array([m.year for m in history.month_starts])
    monthly = monthly_measures(history)
    out: dict[str, dict[int, float]] = {}
    for name, series in monthly.items():
        if name == "plans_issued_within_20_weeks":
            continue
        out[name] = {y: float(series[years == y].sum()) / c for y, c in coverage.items()}
    within = monthly["plans_issued_within_20_weeks"]
    issued = monthly["new_plans"]
    out["issued_within_20_weeks_share"] = {}
    for y in coverage:
        n = issued[years == y].sum()
        out["issued_within_20_weeks_share"][y] = float(within[years == y].sum() / n) if n else float("nan")
    return out, coverage


__all__ = ["MIN_COVERAGE", "calendar_year_flows", "monthly_measures", "year_coverage"]
