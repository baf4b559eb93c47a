"""The cost of waiting and the backlog's deferred cost, per financial year: pure functions of the History.

Why: a queue is not a saving. Children waiting for a decision, an assessment or a place still cost the High Needs
Block something, and each will turn into a plan (or a place) that costs a full year once it is issued. Without
these, a slower service reads as a cheaper one (fewer case officers "save" money).

Rules (also in docs/dynamics.md):

- **Who waits.** History's monthly levels, read at 00:00 on the first of each month: `open_requests` (awaiting the
  decision to assess), `assessment_queue` + `assessments_in_progress` (awaiting or in assessment),
  `waiting_for_place` (a plan, waiting for a place in a full setting: fallback 'wait', or up to
  `placement.max_wait_weeks`).
- **Waiting child-days** in a month = days in the month x (level at its start + level at the next month's start) / 2
  (the trapezoid rule on the monthly levels; exact when the level changes linearly within the month). The level
  after the last simulated month is extrapolated linearly from the last two (never below 0). The error against
  exact daily child-days is at most about half a month of a level's change per month; see docs/dynamics.md for
  its measured size.
- **Waiting spend** (£m) = sum over stages of child-days / days in the financial year x the stage's yearly cost
  (`costs.waiting.<stage>_gbp_per_year`, in force on the first of the month, price-base prices) x the eotas price
  index of the year (tuition and packages are priced like education otherwise); plus appeals in the year
  (History flow `appeals`) x `costs.waiting.appeal_gbp` x the same index.
- **Children waiting at 31 March** = the levels at 00:00 on 1 April (the end of 31 March); for the last financial
  year of the horizon, whose 1 April is not simulated, extrapolated as above.
- **Backlog commitment** (£m) = the full-year cost of the plans and places the queue at 31 March turns into, at the
  financial year's own conversion and placement rates:

      min(Q, N) x c_new + max(Q - N, 0) x c_beyond + waiting_for_place x c_place,
      Q = requests x p_assess x p_issue + assessments x p_issue (the plans the queue turns into),
      N = the year's new plans,

  where p_assess = (decisions_to_assess + appeals_won) / (decisions_to_assess + refusals) and
  p_issue = plans_issued / assessments_completed over the financial year's flows; c_new = the mean yearly cost
  (costs in force on 31 March) of the year's new plans where they were placed (History.new_placements), a new plan
  that started waiting for a full setting (History.new_waits; placed in neet_awaiting, at £0, while it waits)
  priced at the place its wait turns into; c_place = the mean yearly cost of the place a wait turns into, for the
  settings children wait for (fallback 'wait' or a timed wait), weighted by their plans on 31 March. A wait for
  capped setting s turns into s for the year's share admitted (admitted_from_waiting / (admitted_from_waiting +
  wait_expired); 1 when nobody's wait ended) and into s's fallback for the rest. c_beyond prices the queue's
  plans beyond the year's own number: they name settings in the year's mix (a waiting plan at the setting it
  named) but find only the places left on 31 March: each capped setting's free places (capacity - plans held),
  the rest its fallback (the engine's own rule for a full setting). Why: the places that free in a year served
  the year's N plans; a queue longer than that, priced at the year's average, would put children in special
  places that are not there (docs/dynamics.md, "What the commitment prices"). The commitment is gross: the
  waiting cost the same children already incur is not netted off.
- `accumulated_deficit_incl_backlog_gbp_m` = accumulated deficit + backlog commitment: the deficit as it would
  stand if the queue's plans had been issued and run for a year. It is a measure for comparing policies (delay
  never reads as a saving without its deferred cost beside it), not a forecast of the deficit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..domain import CAPPED_SETTINGS, SETTINGS, financial_year_of
from ..model.history import History
from ..scenario import Scenario
from .costs import days_in_financial_year, first_day, price_index, yearly_costs

STAGES: tuple[str, ...] = ("decision", "assessment", "place")
"""Where a child waits, in pathway order."""

STAGE_LEVELS: dict[str, tuple[str, ...]] = {
    "decision": ("open_requests",),
    "assessment": ("assessment_queue", "assessments_in_progress"),
    "place": ("waiting_for_place",),
}
"""History levels counted in each stage."""


@dataclass(frozen=True)
class WaitingYear:
    """One financial year of waiting: its cost, who is still waiting at 31 March and what they will cost."""

    financial_year: int
    child_days: dict[str, float]
    """Stage -> waiting child-days in the year (trapezoid rule on the monthly levels)."""
    waiting_spend_gbp_m: float
    """HNB cost of the waiting child-days, appeals included."""
    appeals: float
    appeals_spend_gbp_m: float
    waiting_at_year_end: dict[str, float]
    """Stage -> children waiting at the end of 31 March."""
    p_assess: float
    p_issue: float
    new_plan_cost_gbp: float
    place_cost_gbp: float
    backlog_commitment_gbp_m: float
    queue_plans: float = 0.0
    """Plans the requests and assessments waiting at 31 March turn into (requests x p_assess x p_issue +
    assessments x p_issue)."""
    year_plans: float = 0.0
    """New plans issued in the year: as many of the queue's plans are priced at the year's own placements."""
    beyond_plan_cost_gbp: float = 0.0
    """Mean yearly cost of a queue plan beyond the year's own number, placed where places are left at 31 March."""

    @property
    def children_waiting(self) -> float:
        return float(sum(self.waiting_at_year_end.values()))


def _stage_levels(history: History) -> dict[str, np.ndarray]:
    """Stage -> the level at each month start, with one extrapolated value after the last month."""
    n = len(history.month_starts)
    out = {}
    for stage, keys in STAGE_LEVELS.items():
        lv = np.zeros(n, dtype=float)
        for k in keys:
            if k in history.levels:
                lv += np.asarray(history.levels[k], dtype=float)[:n]
        after = 2 * lv[-1] - lv[-2] if n >= 2 else lv[-1]
        out[stage] = np.append(lv, max(after, 0.0))
    return out


def _month_days(history: History) -> list[tuple[int, int]]:
    """(financial year, days of the month inside the simulated period) for each month of the History."""
    first, after = history.start, history.date_of(history.days)
    out = []
    for i, m in enumerate(history.month_starts):
        nxt = history.month_starts[i + 1] if i + 1 < len(history.month_starts) else _next_month(m)
        lo, hi = max(m, first), min(nxt, after)
        out.append((financial_year_of(m), max((hi - lo).days, 0)))
    return out


def _next_month(m: dt.date) -> dt.date:
    return dt.date(m.year + 1, 1, 1) if m.month == 12 else dt.date(m.year, m.month + 1, 1)


def _flow(history: History, name: str, months: list[int]) -> float:
    arr = history.flows.get(name)
    return float(np.asarray(arr)[months].sum()) if arr is not None and months else 0.0


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else 0.0


def waiting_by_year(history: History, scenario: Scenario, years: list[int]) -> dict[int, WaitingYear]:
    """The cost of waiting and the backlog commitment for each financial year in `years` (see the module notes)."""
    levels = _stage_levels(history)
    month_days = _month_days(history)
    month_fy = [fy for fy, _ in month_days]
    out: dict[int, WaitingYear] = {}
    for fy in years:
        months = [i for i, y in enumerate(month_fy) if y == fy]
        index = price_index(scenario, "eotas", fy)
        per_day = 1.0 / days_in_financial_year(fy)
        child_days = dict.fromkeys(STAGES, 0.0)
        spend = 0.0
        for i in months:
            days = month_days[i][1]
            when = max(history.month_starts[i], history.start)
            for stage in STAGES:
                cd = days * (levels[stage][i] + levels[stage][i + 1]) / 2
                child_days[stage] += cd
                cost = float(scenario.series(f"costs.waiting.{stage}_gbp_per_year").at(when))
                spend += cd * per_day * cost * index
        appeals = _flow(history, "appeals", months)
        appeal_cost = 0.0
        for i in months:
            when = max(history.month_starts[i], history.start)
            appeal_cost += _flow(history, "appeals", [i]) * float(scenario.series("costs.waiting.appeal_gbp").at(when))
        appeal_cost *= index
        end = months[-1] + 1 if months else 0
        at_end = {stage: float(levels[stage][end]) for stage in STAGES}
        p_assess = _ratio(_flow(history, "decisions_to_assess", months) + _flow(history, "appeals_won", months),
                          _flow(history, "decisions_to_assess", months) + _flow(history, "refusals", months))
        p_issue = _ratio(_flow(history, "plans_issued", months), _flow(history, "assessments_completed", months))
        year_end = first_day(fy + 1) - dt.timedelta(days=1)
        costs = yearly_costs(scenario, year_end)  # [setting, band], the year's prices
        turns_into = _wait_turns_into(history, scenario, costs, months, year_end)
        c_new = _new_plan_cost(history, costs, turns_into, months)
        c_place = _place_cost(history, scenario, turns_into, year_end)
        queue_plans = at_end["decision"] * p_assess * p_issue + at_end["assessment"] * p_issue
        year_plans = float(np.asarray(history.new_placements, dtype=float)[months].sum()) if months else 0.0
        beyond = max(queue_plans - year_plans, 0.0)
        c_beyond = _beyond_a_year_cost(history, scenario, costs, months, year_end, beyond)
        commitment = min(queue_plans, year_plans) * c_new + beyond * c_beyond + at_end["place"] * c_place
        out[fy] = WaitingYear(
            financial_year=fy,
            child_days=child_days,
            waiting_spend_gbp_m=(spend + appeal_cost) / 1e6,
            appeals=appeals,
            appeals_spend_gbp_m=appeal_cost / 1e6,
            waiting_at_year_end=at_end,
            p_assess=p_assess,
            p_issue=p_issue,
            new_plan_cost_gbp=c_new,
            place_cost_gbp=c_place,
            queue_plans=queue_plans,
            year_plans=year_plans,
            beyond_plan_cost_gbp=c_beyond,
            backlog_commitment_gbp_m=commitment / 1e6,
        )
    return out


def _wait_turns_into(history: History, scenario: Scenario, costs: np.ndarray, months: list[int],
                     year_end: dt.date) -> np.ndarray:
    """[setting, band] yearly cost of the place a wait for each capped setting turns into: the setting for the year's
    share admitted from waiting, its fallback for the share whose wait expired (other rows: the setting's own)."""
    out = np.array(costs, dtype=float)
    admitted, expired = _flow(history, "admitted_from_waiting", months), _flow(history, "wait_expired", months)
    share = _ratio(admitted, admitted + expired) if admitted + expired > 0 else 1.0
    for name in CAPPED_SETTINGS:
        s = SETTINGS.index(name)
        fallback = scenario.series(f"placement.fallback.{name}").at(year_end)
        if fallback in SETTINGS:
            out[s] = share * costs[s] + (1.0 - share) * costs[SETTINGS.index(fallback)]
    return out


def _new_plan_cost(history: History, costs: np.ndarray, turns_into: np.ndarray, months: list[int]) -> float:
    """Mean yearly cost of the year's new plans where they were placed; a plan waiting for a full setting (in
    neet_awaiting meanwhile) at the place its wait turns into."""
    if not months:
        return 0.0
    placed = np.asarray(history.new_placements, dtype=float)[months].sum(axis=0)
    total = float((placed * costs).sum())
    if history.new_waits is not None:
        waits = np.asarray(history.new_waits, dtype=float)[months].sum(axis=0)  # [setting waited for, band]
        neet = SETTINGS.index("neet_awaiting")
        total += float((waits * turns_into).sum()) - float((waits.sum(axis=0) * costs[neet]).sum())
    return _ratio(total, float(placed.sum()))


def _beyond_a_year_cost(history: History, scenario: Scenario, costs: np.ndarray, months: list[int],
                        year_end: dt.date, plans: float) -> float:
    """Mean yearly cost of `plans` new plans beyond the year's own number: the year's mix of settings named (a
    plan that waited for a full setting at the setting it named), placed in each capped setting's free places at
    31 March and the rest at its fallback, capped settings taken in CAPPED_SETTINGS order (srp falls back to
    special before special is placed). A 'wait' fallback keeps them at the setting they wait for."""
    if not months or plans <= 0:
        return 0.0
    named = np.asarray(history.new_placements, dtype=float)[months].sum(axis=0)
    if history.new_waits is not None:
        waits = np.asarray(history.new_waits, dtype=float)[months].sum(axis=0)
        named[SETTINGS.index("neet_awaiting")] -= waits.sum(axis=0)
        named += waits
    if named.sum() <= 0:
        return 0.0
    named *= plans / named.sum()
    day = min(max(history.day_of(year_end), 0), history.days - 1)
    held = history.occupancy[day].sum(axis=1)
    for name in CAPPED_SETTINGS:
        s = SETTINGS.index(name)
        fallback = scenario.series(f"placement.fallback.{name}").at(year_end)
        free = max(float(scenario.series(f"placement.capacity.{name}").at(year_end)) - float(held[s]), 0.0)
        wanting = float(named[s].sum())
        if fallback in SETTINGS and wanting > free:
            over = named[s] * (1.0 - free / wanting)
            named[s] -= over
            named[SETTINGS.index(fallback)] += over
    return float((named * costs).sum() / plans)


def _place_cost(history: History, scenario: Scenario, costs: np.ndarray, year_end: dt.date) -> float:
    """Mean yearly cost of the place a wait turns into (`costs`: _wait_turns_into) in the settings children wait
    for ('wait' fallback, or a timed wait: placement.max_wait_weeks > 0), by their plans on 31 March."""
    waited = [s for s in CAPPED_SETTINGS if scenario.series(f"placement.fallback.{s}").at(year_end) == "wait"
              or float(scenario.series(f"placement.max_wait_weeks.{s}").at(year_end)) > 0]
    if not waited:
        return 0.0
    day = min(max(history.day_of(year_end), 0), history.days - 1)
    occupancy = history.occupancy[day]
    rows = [SETTINGS.index(s) for s in waited]
    weights = np.asarray(occupancy[rows], dtype=float)
    if weights.sum() <= 0:
        return float(costs[rows].mean())
    return float((weights * costs[rows]).sum() / weights.sum())


__all__ = ["STAGES", "STAGE_LEVELS", "WaitingYear", "waiting_by_year"]
