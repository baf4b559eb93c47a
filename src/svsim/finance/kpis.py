"""Safety Valve condition KPIs and the January census, measured from a History per financial year.

Each KPI in `scenario.schema.KPIS` is measured as stated in `MEASURED` below. Census-based KPIs use the January
census that falls inside the financial year (January fy+1, on the day and month of `start_state.census_date`).
Monthly levels (overdue reviews, children waiting for a place) are read at 1 March, the last monthly observation
inside the financial year, because the History records levels at the start of each simulated month and the last
simulated month is March. Flows sum the twelve calendar months April to March.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from ..model.history import BAND_INDEX, SETTING_INDEX, History
from ..scenario import Scenario
from ..scenario.schema import KPIS

MEASURED: dict[str, str] = {
    "school_age_mainstream_share": "January census in the year: age bands 5-10 and 11-15, mainstream + SRP / all",
    "school_age_mainstream_excl_srp_share": (
        "January census in the year: age bands 5-10 and 11-15, mainstream (no SRP or SEN unit) / all"
    ),
    "new_under_5_special_share": (
        "new plans April-March: under-5 placed in special or independent (or waiting for a special place) / all "
        "under-5"
    ),
    "issued_within_20_weeks_share": "plans issued April-March: within 20 weeks of the request / all issued",
    "refusal_share": (
        "decisions April-March: refusals / (refusals + decisions to assess); "
        "/ requests received when the History has no decisions_to_assess flow"
    ),
    "reviews_overdue_share": "1 March (last monthly observation in the year): overdue reviews / plans that day",
    "reintegrations": "moves April-March from special or independent to mainstream or SRP",
    "post16_mainstream_fe_share": (
        "January census in the year: age band 16-19 (History holds bands, not ages 16-18), "
        "mainstream + SRP + post-16 (FE and specialist post-16) / all"
    ),
    "waiting_for_place": "1 March (last monthly observation in the year): children waiting for a place",
    "independent_placements": "31 March: plans in independent or non-maintained special schools",
    "new_plans": "plans issued April-March",
}
"""How and when each KPI is measured (written beside it in kpis.csv)."""


def census_date_in(year: int, scenario: Scenario) -> dt.date:
    """The January census day of `year`: the day and month of the scenario's starting census."""
    c = scenario.census_date
    return dt.date(year, c.month, min(c.day, 28) if c.month == 2 else c.day)


def census_years(history: History, scenario: Scenario) -> list[int]:
    """Years whose January census falls inside the simulated period."""
    last = history.date_of(history.days - 1)
    return [y for y in range(history.start.year, last.year + 1)
            if history.start <= census_date_in(y, scenario) <= last]


def census_counts(history: History, scenario: Scenario) -> dict[int, np.ndarray]:
    """January census by year: plans by [setting, age band] at the start of the census day."""
    return {y: np.array(history.census(census_date_in(y, scenario)), dtype=np.int64)
            for y in census_years(history, scenario)}


def _share(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else math.nan


def _months(history: History, fy: int) -> slice:
    lo = max(history.month_index(dt.date(fy, 4, 1)), 0)
    hi = min(history.month_index(dt.date(fy + 1, 4, 1)), len(history.month_starts))
    return slice(lo, max(lo, hi))


def _flow(history: History, name: str, fy: int) -> float:
    if name not in history.flows:
        return math.nan
    return float(np.asarray(history.flows[name])[_months(history, fy)].sum())


def _level_at_year_end(history: History, name: str, fy: int) -> tuple[float, float]:
    """(level, plans on the same day) at the last month start inside the financial year."""
    i = min(history.month_index(dt.date(fy + 1, 3, 1)), len(history.month_starts) - 1)
    if name not in history.levels or i < 0:
        return math.nan, math.nan
    day = history.day_of(history.month_starts[i])
    plans = float(history.occupancy[max(day, 0)].sum()) if day < history.days else math.nan
    return float(np.asarray(history.levels[name])[i]), plans


def kpi_values(history: History, scenario: Scenario, years: list[int]) -> dict[str, dict[int, float]]:
    """Every KPI for every financial year in `years` (NaN where the History cannot say)."""
    s, b = SETTING_INDEX, BAND_INDEX
    mainstream = [s["mainstream"], s["srp"]]
    special = [s["special"], s["independent"]]
    out: dict[str, dict[int, float]] = {k: {} for k in KPIS}
    for fy in years:
        census_day = census_date_in(fy + 1, scenario)
        census = history.census(census_day) if 0 <= history.day_of(census_day) < history.days else None
        if census is not None:
            school = census[:, [b["age_5_10"], b["age_11_15"]]]
            out["school_age_mainstream_share"][fy] = _share(school[mainstream].sum(), school.sum())
            out["school_age_mainstream_excl_srp_share"][fy] = _share(school[s["mainstream"]].sum(), school.sum())
            post16 = census[:, b["age_16_19"]]
            out["post16_mainstream_fe_share"][fy] = _share(post16[[*mainstream, s["post16"]]].sum(), post16.sum())
        else:
            out["school_age_mainstream_share"][fy] = math.nan
            out["school_age_mainstream_excl_srp_share"][fy] = math.nan
            out["post16_mainstream_fe_share"][fy] = math.nan

        months = _months(history, fy)
        under5 = np.asarray(history.new_placements)[months, :, b["under_5"]].sum(axis=0)
        if history.new_waits is not None:  # a plan waiting for a full setting counts where it waits to go
            waits = np.asarray(history.new_waits)[months, :, b["under_5"]].sum(axis=0)
            under5 = under5 + waits
            under5[s["neet_awaiting"]] -= waits.sum()
        out["new_under_5_special_share"][fy] = _share(under5[special].sum(), under5.sum())
        out["issued_within_20_weeks_share"][fy] = _share(
            _flow(history, "plans_issued_within_20_weeks", fy), _flow(history, "plans_issued", fy)
        )
        refusals = _flow(history, "refusals", fy)
        if "decisions_to_assess" in history.flows:
            decided = refusals + _flow(history, "decisions_to_assess", fy)
        else:
            decided = _flow(history, "requests", fy)
        out["refusal_share"][fy] = _share(refusals, decided)
        out["new_plans"][fy] = _flow(history, "plans_issued", fy)
        moves = np.asarray(history.moves)[months]
        out["reintegrations"][fy] = float(moves[:, special][:, :, mainstream].sum())

        overdue, plans = _level_at_year_end(history, "reviews_overdue", fy)
        out["reviews_overdue_share"][fy] = _share(overdue, plans)
        out["waiting_for_place"][fy], _ = _level_at_year_end(history, "waiting_for_place", fy)
        last_day = history.day_of(dt.date(fy + 1, 3, 31))
        out["independent_placements"][fy] = (
            float(history.occupancy[last_day, s["independent"]].sum()) if 0 <= last_day < history.days else math.nan
        )
    return out


__all__ = ["MEASURED", "census_counts", "census_date_in", "census_years", "kpi_values"]
