"""Checks across fields: everything `run` or `compare` could fail on later is found here, by `validate`.

Each check looks at resolved parameters (path -> Series) and returns Problems located at the key that is wrong.
The rules mirror what the engine needs (model/population.py, model/calendar.py, finance/) without importing it:
the scenario layer stays first in the one-way layout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from typing import Any

from ..domain import AGE_BANDS, MONTHS, SETTINGS, ages_in_band
from .dated import Series
from .errors import Problem

MAX_HORIZON_YEARS = 100
"""Longest horizon validation accepts (the run's resource estimate may refuse less on a small machine)."""
MAX_LEAD_IN_YEARS = 10
"""Longest lead-in from the census to horizon.start."""
MAX_NAME_LENGTH = 100
"""Scenario names become folder names: kept well under the 255 bytes a file system allows."""

Locate = Callable[[str], tuple[str, int | None]]
"""path -> (file, line) where the user wrote it."""


def horizon_problems(start: dt.date, end: dt.date, census: dt.date, locate: Locate) -> list[Problem]:
    """Whole financial years (1 April to 31 March), a horizon and lead-in of sensible length."""
    out = []
    if (start.month, start.day) != (4, 1):
        out.append(_problem(locate, "horizon.start", f"horizon.start {start} must be 1 April (the first day of "
                           f"a financial year): the Safety Valve profile is kept by financial year"))
    if (end.month, end.day) != (3, 31):
        out.append(_problem(locate, "horizon.end", f"horizon.end {end} must be 31 March (the last day of a "
                           f"financial year)"))
    years = (end - start).days / 365.25
    if years > MAX_HORIZON_YEARS:
        out.append(_problem(locate, "horizon.end", f"the horizon is {years:,.0f} years; at most "
                           f"{MAX_HORIZON_YEARS} are simulated"))
    lead_in = (start - census).days / 365.25
    if lead_in > MAX_LEAD_IN_YEARS:
        out.append(_problem(locate, "start_state.census_date", f"the census {census} is {lead_in:.0f} years "
                           f"before horizon.start: the lead-in is at most {MAX_LEAD_IN_YEARS} years"))
    return out


def name_problems(name: str, locate: Locate) -> list[Problem]:
    out = []
    if len(name) > MAX_NAME_LENGTH:
        out.append(_problem(locate, "name", f"the name is {len(name)} characters; at most {MAX_NAME_LENGTH} "
                           "(it names the results folder)"))
    if not name.strip() or "\x00" in name:
        out.append(_problem(locate, "name", "the name must be visible text"))
    return out


def start_state_problems(params: Mapping[str, Series], locate: Locate) -> list[Problem]:
    """The start caseload must be buildable: margins that agree, a prior and an age profile that can carry them."""
    value = lambda path: params[path].first  # noqa: E731 - start-state values do not change over time
    need = [f"start_state.caseload_by_age_band.{b}" for b in AGE_BANDS]
    need += [f"start_state.caseload_by_setting.{s}" for s in SETTINGS]
    if not all(p in params for p in need):
        return []  # reported already
    rows = [value(f"start_state.caseload_by_age_band.{b}") for b in AGE_BANDS]
    cols = [value(f"start_state.caseload_by_setting.{s}") for s in SETTINGS]
    out = []
    if sum(rows) != sum(cols):
        out.append(_problem(locate, "start_state.caseload_by_setting",
                            f"the caseload by setting totals {sum(cols):,} but by age band {sum(rows):,}: both "
                            "count the same plans on the census date and must agree"))
        return out
    prior = [[_first(params, f"start_state.caseload_prior.{b}.{s}") for s in SETTINGS] for b in AGE_BANDS]
    if not any(v > 0 for row in prior for v in row):
        out.append(_problem(locate, "start_state.caseload_prior",
                            "every weight is 0 (or the prior is missing): the start caseload is fitted to it; give "
                            "each age band a weight for each setting it can be in (1 everywhere: no pattern)"))
    else:
        for b, band in enumerate(AGE_BANDS):
            if rows[b] > 0 and not any(v > 0 for v in prior[b]):
                out.append(_problem(locate, f"start_state.caseload_prior.{band}",
                                    f"every weight is 0 but {rows[b]:,} plans are in {band}: give a weight to at "
                                    "least one setting"))
        for s, setting in enumerate(SETTINGS):
            if cols[s] > 0 and not any(prior[b][s] > 0 for b in range(len(AGE_BANDS))):
                out.append(_problem(locate, "start_state.caseload_prior",
                                    f"no age band gives a weight to {setting}, which has {cols[s]:,} plans"))
        if not out:
            blocked = _hall_violation(rows, cols, prior)
            if blocked:
                bands, settings, have, want = blocked
                out.append(_problem(locate, "start_state.caseload_prior",
                                    f"the zeros make the caseload impossible: {', '.join(bands)} hold {want:,} plans "
                                    f"but their prior allows only {', '.join(settings) or 'no setting'}, which hold "
                                    f"{have:,}"))
    for band in AGE_BANDS:
        b = AGE_BANDS.index(band)
        weights = [_first(params, f"start_state.age_profile.{a}") for a in ages_in_band(band)]
        if rows[b] > 0 and not any(w > 0 for w in weights):
            out.append(_problem(locate, "start_state.age_profile",
                                f"ages {ages_in_band(band)[0]}-{ages_in_band(band)[-1]} all have weight 0 but "
                                f"{rows[b]:,} plans are in {band}: give a weight to at least one of them"))
    return out


def _hall_violation(rows: Sequence[float], cols: Sequence[float], prior: list[list[float]]) -> Any:
    """A set of age bands whose plans cannot fit in the settings their prior allows (Hall's condition), or None."""
    for k in range(1, len(rows) + 1):
        for subset in combinations(range(len(rows)), k):
            allowed = {s for b in subset for s in range(len(cols)) if prior[b][s] > 0}
            want = sum(rows[b] for b in subset)
            have = sum(cols[s] for s in allowed)
            if want > have:
                return [AGE_BANDS[b] for b in subset], [SETTINGS[s] for s in sorted(allowed)], have, want
    return None


def demand_problems(params: Mapping[str, Series], locate: Locate) -> list[Problem]:
    """Seasonality weights that are all zero on some date would silently mean no requests at all."""
    paths = [f"demand.seasonality.{m}" for m in MONTHS]
    if not all(p in params for p in paths):
        return []
    dates = sorted({d for p in paths for d in params[p].dates})
    for d in dates:
        if not any(params[p].at(d) > 0 for p in paths):
            when = "" if d.year <= 1900 else f" from {d.isoformat()}"
            return [_problem(locate, "demand.seasonality", f"every month has weight 0{when}: that would mean no "
                             "requests at all; give the months their relative weights (1 each for none)")]
    return []


def _first(params: Mapping[str, Series], path: str) -> float:
    s = params.get(path)
    return float(s.first) if s is not None else 0.0


def _problem(locate: Locate, path: str, message: str) -> Problem:
    file, line = locate(path)
    return Problem(file, path, message, line)


__all__ = ["MAX_HORIZON_YEARS", "MAX_NAME_LENGTH", "demand_problems", "horizon_problems", "name_problems",
           "start_state_problems"]
