"""Replications: run the engine once per (seed, replication) and keep a small, picklable summary of each.

A replication is an independent task: `run_replication(scenario, seed, i)` returns a `ReplicationResult` holding
only plain numbers (money by financial year, census counts, KPIs, spend by setting, monthly plans, uncertainty
draws), never the History or the scenario. `run_replications` runs them one after another; `executors.run_tasks`
runs them in a process pool or on dask and hands back the same results, because each replication is fully
determined by (scenario, seed, replication index). This module never imports the executors (they import it).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..domain import SETTINGS
from ..finance.costs import PlacementSpend, other_lines_gbp_m, placement_spend
from ..finance.deficit import YearMoney, deficit_trajectory, financial_years
from ..finance.kpis import census_counts, kpi_values
from ..finance.waiting import waiting_by_year
from ..model.history import History
from ..scenario import Scenario
from .flows import calendar_year_flows


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication contributes to a run's tables. Plain data, so it pickles cheaply."""

    replication: int
    seed: int
    money: tuple[YearMoney, ...]
    """One entry per reported financial year."""
    placement_spend_gbp_m: dict[int, dict[str, float]]
    """Financial year -> setting -> placement spend (HNB share), £m."""
    other_lines_gbp_m: dict[int, dict[str, float]]
    """Financial year -> other HNB line -> £m."""
    plan_years: dict[int, dict[str, float]]
    """Financial year -> setting -> plan-days / days in the year (the average number of plans)."""
    census: dict[int, np.ndarray]
    """January census year -> plans by [setting, age band]."""
    kpis: dict[str, dict[int, float]]
    """KPI -> financial year -> value."""
    month_starts: tuple[dt.date, ...]
    monthly_plans: np.ndarray
    """Plans by [month, setting, age band] on the first day of each month (the start date for the first)."""
    runtime_s: float = 0.0
    draws: dict[str, float] = field(default_factory=dict)
    """Uncertain parameter path -> the number this replication drew for it (empty without uncertainty)."""
    monthly_flows: dict[str, np.ndarray] = field(default_factory=dict)
    """Flow name (MONTHLY_FLOWS, where the History has it) -> count in each month of `month_starts`."""
    monthly_levels: dict[str, np.ndarray] = field(default_factory=dict)
    """Level name (MONTHLY_LEVELS, where the History has it) -> value at the start of each month of
    `month_starts`."""
    calendar_flows: dict[str, dict[int, float]] = field(default_factory=dict)
    """Flow measure (svsim.data.groups.FLOW_MEASURES) -> calendar year -> value, in the DfE's definitions."""
    flow_coverage: dict[int, float] = field(default_factory=dict)
    """Calendar year -> share of its days simulated (part-years' counts in calendar_flows are annualised)."""

    @property
    def years(self) -> list[int]:
        return [m.financial_year for m in self.money]

    def year(self, fy: int) -> YearMoney:
        return next(m for m in self.money if m.financial_year == fy)


MONTHLY_FLOWS: tuple[str, ...] = (
    "requests", "refusals", "decisions_to_assess", "appeals", "appeals_won", "assessments_completed",
    "plans_issued", "plans_issued_within_20_weeks", "not_issued", "reviews_due", "reviews_completed", "ceased",
    "started_waiting", "refused_srp", "refused_special", "stepped_down",
)
"""History flows a replication keeps month by month for the report (the mechanisms behind the money)."""
MONTHLY_LEVELS: tuple[str, ...] = (
    "open_requests", "assessment_queue", "assessments_in_progress", "reviews_overdue", "waiting_for_place",
    "occupied_srp", "occupied_special", "wanting_special",
)
"""History levels a replication keeps month by month for the report."""


def price_history(history: History, scenario: Scenario) -> tuple[PlacementSpend, list[YearMoney]]:
    """Placement spend and the money by financial year for one History under `scenario`'s money parameters.

    Pure: the same History can be priced under several scenarios that differ only in money (attribution does).
    """
    years = financial_years(scenario)
    spend = placement_spend(history, scenario)
    incomplete = [fy for fy in years if not spend.is_complete(fy)]
    if incomplete:
        raise ValueError(f"the History does not cover financial year(s) {incomplete} in full")
    waiting = waiting_by_year(history, scenario, years)
    return spend, deficit_trajectory(scenario, {fy: spend.total_gbp_m(fy) for fy in years}, waiting)


def summarise(
    history: History, scenario: Scenario, *, seed: int | None = None, replication: int | None = None,
    runtime_s: float = 0.0,
) -> ReplicationResult:
    """Turn one History into its ReplicationResult: money, census, KPIs (pure; used with synthetic Histories too).

    `seed` and `replication` default to those recorded in the History.
    """
    years = financial_years(scenario)
    spend, money = price_history(history, scenario)
    plan_years = {
        fy: {s: float(v) / spend.days[fy] for s, v in zip(SETTINGS, spend.plan_days[fy].sum(axis=1), strict=True)}
        for fy in years
    }
    days = [max(history.day_of(m), 0) for m in history.month_starts]
    days = [d for d in days if d < history.days]
    months = tuple(history.date_of(d) for d in days)
    calendar_flows, flow_coverage = calendar_year_flows(history)
    return ReplicationResult(
        replication=history.replication if replication is None else replication,
        seed=history.seed if seed is None else seed,
        money=tuple(money),
        placement_spend_gbp_m={fy: spend.by_setting_gbp_m(fy) for fy in years},
        other_lines_gbp_m={fy: other_lines_gbp_m(scenario, fy) for fy in years},
        plan_years=plan_years,
        census=census_counts(history, scenario),
        kpis=kpi_values(history, scenario, years),
        month_starts=months,
        monthly_plans=np.array(history.occupancy[days], dtype=np.int32),
        runtime_s=runtime_s,
        monthly_flows={name: np.asarray(history.flows[name][: len(days)], dtype=float)
                       for name in MONTHLY_FLOWS if name in history.flows},
        monthly_levels={name: np.asarray(history.levels[name][: len(days)], dtype=float)
                        for name in MONTHLY_LEVELS if name in history.levels},
        calendar_flows=calendar_flows,
        flow_coverage=flow_coverage,
    )


def run_replication(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """Simulate replication `replication` of `scenario` with root seed `seed` and summarise it."""
    from ..model import simulate  # the engine is heavy: imported only when a simulation is asked for

    began = time.perf_counter()
    history = simulate(scenario, seed=seed, replication=replication)
    return summarise(history, scenario, seed=seed, replication=replication, runtime_s=time.perf_counter() - began)


def run_one(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """One task: draw the replication's uncertain parameters, then simulate and summarise it (draws recorded)."""
    from .uncertainty import apply_draws, draws_for

    draws = draws_for(scenario, seed, replication)
    # run_replication is looked up at call time, so a test may substitute the engine (in this process)
    result = run_replication(apply_draws(scenario, draws), seed, replication)
    return replace(result, draws=draws) if draws else result


Replicate = Callable[[Scenario, int, int], ReplicationResult]


def replication_tasks(seed: int, replications: int) -> list[tuple[int, int]]:
    """The (seed, replication index) pairs of a run: each one fixes a replication's random streams."""
    if replications < 1:
        raise ValueError("at least one replication is needed")
    return [(seed, i) for i in range(replications)]


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int = 0,
    *,
    replicate: Replicate | None = None,
    progress: Callable[[ReplicationResult, int, int], None] | None = None,
) -> list[ReplicationResult]:
    """Run the replications one after another (in index order) and return their results.

    `replicate` defaults to `run_one` (the scenario's uncertainty drawn, then `run_replication`); tests may
    substitute it. For parallel runs use `executors.run_tasks`, which gives the same results.
    """
    if replicate is None:
        replicate = run_one
    tasks = replication_tasks(seed, replications)
    results: list[ReplicationResult] = []
    for k, (s, i) in enumerate(tasks, start=1):
        result = replicate(scenario, s, i)
        results.append(result)
        if progress is not None:
            progress(result, k, len(tasks))
    return results


def check_consistent(results: Sequence[ReplicationResult]) -> None:
    """All results of a run must cover the same years (a guard before tables are built)."""
    if not results:
        raise ValueError("no replication results")
    first = results[0].years
    if any(r.years != first for r in results):
        raise ValueError("replications cover different financial years")


__all__ = [
    "MONTHLY_FLOWS",
    "MONTHLY_LEVELS",
    "ReplicationResult",
    "check_consistent",
    "replication_tasks",
    "run_one",
    "run_replication",
    "run_replications",
    "summarise",
]
