"""Placement costs: the High Needs Block spend of the simulated children, an exact function of the History.

Rules (also in the README):

- **Plan-days.** `History.occupancy[d, s, b]` is the number of plans in setting s and age band b at the start of
  day d. Each is charged one day's cost, so the spend in a period is the sum over its days of plans x daily cost.
- **Daily cost** = the yearly cost per plan / the days in that financial year (365, or 366 when it holds a
  29 February). A plan that spends a whole financial year in one setting costs exactly the yearly cost.
- **Yearly cost per plan** in setting s, age band b, on day d, financial year y:

      base(s, d) x age_band_cost_factor(b, d) x price_index(s, y) x (1 - nhs_share(s, d))

  where base is `costs.unit_cost_gbp_per_year.<s>` (price-base prices), or for mainstream the top-up below.
  Parameters other than uplifts take the value in force on the day (a ramped intervention changes cost month by
  month); uplifts act only on 1 April, through the price index.
- **Price index.** `costs.price_base_year` (e.g. 2022-23) has index 1. For each later financial year y the uplift in
  force on 1 April of y compounds: index(y) = index(y-1) x (1 + uplift(s, 1 April y)). Years before the base year
  are deflated by the same rule run backwards: index(y-1) = index(y) / (1 + uplift(s, 1 April y)). The uplift in
  force on 1 April of the base year itself is already in the base prices and is not applied.
- **Mainstream top-up (the £6k threshold).** A mainstream plan's additional support cost X is lognormal with mean m
  (`costs.mainstream.support_cost_gbp_mean`) and coefficient of variation c (`support_cost_cv`). The school meets
  the first T (`threshold_gbp`) from its notional SEN budget; the HNB pays everything above T and a share p
  (`below_threshold_share_paid`) of what lies below it:

      top-up = E[max(0, X - T)] + p x E[min(X, T)] = m - (1 - p) x E[min(X, T)]

  with E[min(X, T)] = m Phi((ln T - mu - s^2) / s) + T (1 - Phi((ln T - mu) / s)), s^2 = ln(1 + c^2),
  mu = ln m - s^2 / 2. Support cost and threshold are both in price-base prices, so the mainstream uplift scales the
  top-up paid (as Kent's "+1.25% on mainstream top-up" does), and the age factor and NHS share apply as above.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..domain import AGE_BANDS, SETTINGS, financial_year_of, parse_financial_year
from ..model.history import History
from ..scenario import Problem, Scenario, ScenarioError

COST_PREFIXES: tuple[str, ...] = (
    "costs.unit_cost_gbp_per_year",
    "costs.age_band_cost_factor",
    "costs.mainstream",
    "costs.nhs_share",
)
"""Parameters whose changes take effect on the day they happen (uplifts act on 1 April only)."""


def days_in_financial_year(fy: int) -> int:
    """365 or 366: financial year `fy` runs from 1 April fy to 31 March fy+1."""
    return (dt.date(fy + 1, 4, 1) - dt.date(fy, 4, 1)).days


def first_day(fy: int) -> dt.date:
    """1 April of financial year `fy`: the day on which yearly money values are read."""
    return dt.date(fy, 4, 1)


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def expected_min_lognormal(mean: float, cv: float, cap: float) -> float:
    """E[min(X, cap)] for X lognormal with the given mean and coefficient of variation (cv 0 = fixed at mean)."""
    if mean <= 0 or cap <= 0:
        return 0.0
    if cv <= 0:
        return min(mean, cap)
    s2 = math.log1p(cv * cv)
    s = math.sqrt(s2)
    mu = math.log(mean) - s2 / 2
    z = (math.log(cap) - mu) / s
    return mean * _phi(z - s) + cap * (1.0 - _phi(z))


def mainstream_topup_gbp(mean: float, cv: float, threshold: float, below_threshold_share_paid: float) -> float:
    """Expected HNB cost of one mainstream plan-year: all support above the threshold, a share of that below."""
    below = expected_min_lognormal(mean, cv, threshold)
    return (mean - below) + below_threshold_share_paid * below


def price_base_year(scenario: Scenario) -> int:
    """The financial year unit costs are priced in; a malformed value is a scenario error, not a traceback."""
    label = scenario.value("costs.price_base_year")
    try:
        return parse_financial_year(label)
    except ValueError as exc:
        raise ScenarioError([Problem(scenario.files[-1][0], "costs.price_base_year", str(exc))]) from None


def price_index(scenario: Scenario, setting: str, fy: int) -> float:
    """Prices of financial year `fy` relative to the price base year, for one setting (see the module notes)."""
    base = price_base_year(scenario)
    uplift = scenario.series(f"costs.uplift.{setting}")
    index = 1.0
    for y in range(base + 1, fy + 1):
        index *= 1.0 + uplift.at(first_day(y))
    for y in range(fy + 1, base + 1):
        index /= 1.0 + uplift.at(first_day(y))
    return index


def yearly_costs(scenario: Scenario, when: dt.date) -> np.ndarray:
    """HNB cost per plan-year by [setting, age band] for the parameters in force on `when`, in that year's prices."""
    fy = financial_year_of(when)
    out = np.zeros((len(SETTINGS), len(AGE_BANDS)))
    factors = np.array([scenario.series(f"costs.age_band_cost_factor.{b}").at(when) for b in AGE_BANDS])
    for i, setting in enumerate(SETTINGS):
        if setting == "mainstream":
            m = "costs.mainstream."
            base = mainstream_topup_gbp(
                scenario.series(m + "support_cost_gbp_mean").at(when),
                scenario.series(m + "support_cost_cv").at(when),
                scenario.series(m + "threshold_gbp").at(when),
                scenario.series(m + "below_threshold_share_paid").at(when),
            )
        else:
            base = scenario.series(f"costs.unit_cost_gbp_per_year.{setting}").at(when)
        nhs = scenario.series(f"costs.nhs_share.{setting}").at(when)
        out[i] = base * price_index(scenario, setting, fy) * (1.0 - nhs) * factors
    return out


def cost_change_dates(scenario: Scenario, start: dt.date, end: dt.date) -> list[dt.date]:
    """Days in (start, end) on which some daily cost may change: every 1 April and every cost parameter change."""
    dates = {first_day(y) for y in range(start.year, end.year + 1)}
    for path, series in scenario.params.items():
        if path.startswith(COST_PREFIXES):
            dates.update(series.change_dates())
    return sorted(d for d in dates if start < d < end)


@dataclass(frozen=True)
class PlacementSpend:
    """Placement spend (£, HNB share) and plan-days, by financial year and [setting, age band]."""

    spend_gbp: Mapping[int, np.ndarray]
    plan_days: Mapping[int, np.ndarray]
    days: Mapping[int, int]
    """Days of each financial year covered by the History (a full year has 365 or 366)."""

    def total_gbp_m(self, fy: int) -> float:
        return float(self.spend_gbp[fy].sum()) / 1e6

    def by_setting_gbp_m(self, fy: int) -> dict[str, float]:
        row = self.spend_gbp[fy].sum(axis=1) / 1e6
        return {s: float(v) for s, v in zip(SETTINGS, row, strict=True)}

    def is_complete(self, fy: int) -> bool:
        return self.days.get(fy, 0) == days_in_financial_year(fy)


def placement_spend(history: History, scenario: Scenario) -> PlacementSpend:
    """Sum plan-days x daily cost over the History, exactly, split by financial year.

    The simulated days are cut into pieces on which every daily cost is constant (at each 1 April and each cost
    parameter change); the integer plan-days of a piece are multiplied by its yearly cost / days in the year.
    """
    start = history.start
    end = history.date_of(history.days)  # the day after the last simulated day
    cuts = [start, *cost_change_dates(scenario, start, end), end]
    spend: dict[int, np.ndarray] = {}
    plan_days: dict[int, np.ndarray] = {}
    days: dict[int, int] = {}
    shape = (len(SETTINGS), len(AGE_BANDS))
    for a, b in zip(cuts, cuts[1:], strict=False):
        fy = financial_year_of(a)
        lo, hi = history.day_of(a), history.day_of(b)
        pd_ = history.occupancy[lo:hi].sum(axis=0, dtype=np.int64)
        cost = yearly_costs(scenario, a)
        spend.setdefault(fy, np.zeros(shape))
        plan_days.setdefault(fy, np.zeros(shape, dtype=np.int64))
        spend[fy] += pd_ * cost / days_in_financial_year(fy)
        plan_days[fy] += pd_
        days[fy] = days.get(fy, 0) + (hi - lo)
    return PlacementSpend(spend, plan_days, days)


def other_lines_gbp_m(scenario: Scenario, fy: int) -> dict[str, float]:
    """The other High Needs lines (£m) for financial year `fy`: each line's value in force on 1 April."""
    try:
        lines = scenario.group("costs.other_lines_gbp_m")
    except KeyError:
        return {}
    return {name: float(series.at(first_day(fy))) for name, series in sorted(lines.items())}


__all__ = [
    "PlacementSpend",
    "days_in_financial_year",
    "expected_min_lognormal",
    "mainstream_topup_gbp",
    "other_lines_gbp_m",
    "placement_spend",
    "price_base_year",
    "price_index",
    "yearly_costs",
]
