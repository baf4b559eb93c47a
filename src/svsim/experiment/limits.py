"""Before a run: how long it will take and how much memory it needs, and a refusal when that is beyond the machine.

Why: a council scenario typed with a population of 10^9, or `-n 100000000`, otherwise runs for days or dies with a
MemoryError after filling the machine. The estimate is rough on purpose (a factor of two either way) and cheap (no
simulation): the engine's work grows with the person-years it follows (children on plans, plus requests), and its
memory with the children alive at once and the days it records. The constants were measured on Kent's base scenario
(about 18,000 plans, 3,500 requests a year, 6.2 simulated years: about 2 s and 60 MB a replication on one core of a
2020s laptop); `benchmarks/` has the scripts that time it. The parent keeps no replication in memory while they run
(they are streamed to a file in the run folder, experiment.replications.ReplicationStore): it reads them back one
table at a time at the end, which is what RESULT_BYTES counts (benchmarks/bench_parent_memory.py).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from ..scenario import Scenario

SECONDS_PER_PERSON_YEAR = 1e-5
"""Engine time per child-year followed (Kent base: ~2.4 s for ~240,000 person-years)."""
WORKER_BASE_BYTES = 60e6
"""A worker process before it simulates anything (Python, numpy, simpy, svsim)."""
BYTES_PER_PERSON = 1_000.0
"""Memory per child the engine may hold at once (plan, request, timers)."""
BYTES_PER_DAY = 2_000.0
"""Memory per simulated day of recorded history."""
RESULT_BYTES = 40e3
"""The parent's memory per replication while the tables are built: one table's share of every result, read back from
the streamed file (at most ~30 KiB, the monthly mechanisms, measured on Kent; the whole result took 65-180 KB and
was held for the whole run before results were streamed). The file itself takes ~32 kB a replication on disk."""
MAX_SECONDS = 24 * 3600.0
"""Longest run svsim starts without --allow-large: a day."""
MEMORY_SHARE = 0.8
"""Share of the memory available now that a run may plan to use."""


@dataclass(frozen=True)
class Estimate:
    replications: int
    workers: int
    person_years: float
    seconds_per_replication: float
    seconds: float
    memory_bytes: float

    def describe(self) -> str:
        return (f"about {_duration(self.seconds_per_replication)} a replication, {_duration(self.seconds)} in all on "
                f"{self.workers} worker{'s' if self.workers != 1 else ''}, about {_size(self.memory_bytes)} of memory")


def estimate(scenario: Scenario, replications: int, workers: int, simulations_per_replication: int = 1) -> Estimate:
    """The rough cost of `replications` replications (each of `simulations_per_replication` simulations)."""
    years = max((scenario.end - scenario.census_date).days / 365.25, 0.1)
    days = years * 365.25
    caseload = sum(float(s.first) for p, s in scenario.base_params.items()
                   if p.startswith("start_state.caseload_by_age_band."))
    population = max(float(v) for v in scenario.series("population.age_0_18").values)
    rate = max(float(v) for v in scenario.series("demand.request_rate_per_10k_0_18").values)
    requests_per_year = population * rate / 10_000
    people = caseload + requests_per_year * years
    person_years = people * years
    per_replication = SECONDS_PER_PERSON_YEAR * person_years * simulations_per_replication
    workers = max(1, min(workers, replications))
    seconds = per_replication * math.ceil(replications / workers)
    memory = workers * (WORKER_BASE_BYTES + BYTES_PER_PERSON * people + BYTES_PER_DAY * days)
    memory += replications * RESULT_BYTES + 200e6  # the parent, and the tables built from the streamed results
    return Estimate(replications, workers, person_years, per_replication, seconds, memory)


def available_memory_bytes() -> float:
    """Memory available now (Linux: MemAvailable), or infinity when the system does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def refusal(e: Estimate, available: float | None = None) -> str | None:
    """Why the run is beyond this machine (to be refused unless --allow-large), or None."""
    available = available_memory_bytes() if available is None else available
    if e.memory_bytes > MEMORY_SHARE * available:
        return (f"this run needs {e.describe()}, more than the {_size(available)} available: use fewer workers or "
                "replications (or --allow-large to try anyway)")
    if e.seconds > MAX_SECONDS:
        return (f"this run would take {e.describe()}: check the scenario's sizes (population, request rate, horizon) "
                "and the number of replications (or --allow-large to run it anyway)")
    return None


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 1 else "under a second"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def _size(n: float) -> str:
    if math.isinf(n):
        return "unknown"
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1e3:.0f} kB"


# ---- after a replication: what no council's figures can be ----------------------------------------------------------

COST_PER_PLAN_GBP = (100.0, 1_000_000.0)
"""Placement spend per plan-year (HNB share) possible for any council: unit costs are refused outside £100 to £1m
(scenario.schema), and a mainstream plan costs its support above the threshold (Kent, 2022-23: about £19,000)."""
IN_YEAR_SHARE_OF_INCOME = (-1.0, 5.0)
"""The in-year HNB position as a share of its income: a surplus cannot exceed the income (spend is never negative);
five times the income (Kent 2027-28: +0.27) is far beyond any council's."""
CASELOAD_GROWTH_MAX = 20.0
"""Plans at the end over plans at the start: England's caseload grew 1.8-fold in 2015-2023."""


def result_problems(scenario: Scenario, result: Any) -> list[str]:
    """What no council's replication can show (a NaN, a negative stock or cost, a broken deficit identity, no
    requests at all, every plan ended, spend per plan outside any council's): each a sentence, [] when plausible.

    The one place these checks live: `tools/fuzz_scenarios.py` and the mutation tests call it on runs of scenarios
    that validate; a run whose inputs passed validation without a warning must never fail it."""
    import numpy as np

    out: list[str] = []
    previous = float(scenario.value("deficit.opening_accumulated_gbp_m"))
    for m in result.money:
        fy = f"{m.financial_year}-{(m.financial_year + 1) % 100:02d}"
        bad = [name for name, v in vars(m).items() if isinstance(v, int | float) and not math.isfinite(v)]
        if bad:
            out.append(f"{', '.join(bad)} not a number in {fy}")
            continue
        for name in ("placement_spend_gbp_m", "waiting_spend_gbp_m", "children_waiting", "backlog_commitment_gbp_m"):
            if getattr(m, name) < -1e-9:
                out.append(f"{name} is negative ({getattr(m, name):.6g}) in {fy}")
        expected = previous + m.in_year_deficit_gbp_m + m.other_blocks_in_year_gbp_m - m.council_contribution_gbp_m
        if abs(m.accumulated_deficit_gbp_m - expected) > 1e-6 * max(1.0, abs(expected)):
            out.append(f"the accumulated deficit {m.accumulated_deficit_gbp_m:.6g} in {fy} is not the previous year's "
                       f"plus the year's position ({expected:.6g})")
        previous = m.accumulated_deficit_gbp_m
        income = m.hnb_income_gbp_m
        lo, hi = IN_YEAR_SHARE_OF_INCOME
        if income > 0 and not lo * income <= m.in_year_deficit_gbp_m <= hi * income:
            out.append(f"the in-year HNB position {m.in_year_deficit_gbp_m:+,.1f} £m in {fy} is outside any council's "
                       f"({lo:g} to {hi:g} times its income of £{income:,.1f}m)")
        plans = sum(result.plan_years.get(m.financial_year, {}).values())
        if plans >= 50:
            per_plan = m.placement_spend_gbp_m * 1e6 / plans
            lo, hi = COST_PER_PLAN_GBP
            if not lo <= per_plan <= hi:
                out.append(f"placement spend of £{per_plan:,.0f} a plan in {fy} (£{m.placement_spend_gbp_m:,.1f}m for "
                           f"{plans:,.0f} plans) is outside any council's (£{lo:,.0f} to £{hi:,.0f})")
    for fy, by_setting in result.placement_spend_gbp_m.items():
        negative = {s: v for s, v in by_setting.items() if not v >= -1e-9}
        if negative:
            out.append(f"placement spend negative or not a number in {fy}: {negative}")
    tables = {"monthly plans": result.monthly_plans, **{f"census {y}": t for y, t in result.census.items()},
              **{f"monthly {k}": v for k, v in result.monthly_levels.items()},
              **{f"monthly {k}": v for k, v in result.monthly_flows.items()}}
    for name, table in tables.items():
        values = np.asarray(table, dtype=float)
        if values.size and not (np.isfinite(values).all() and (values >= 0).all()):
            out.append(f"{name} has negative or non-numeric entries")
    requests = result.monthly_flows.get("requests")
    if requests is not None and len(requests) >= 24 and float(np.sum(requests[-12:])) == 0:
        out.append("no request for an assessment in the last 12 months: demand is zero")
    plans = np.asarray(result.monthly_plans, dtype=float).reshape(len(result.monthly_plans), -1).sum(axis=1) \
        if len(result.monthly_plans) else np.zeros(0)
    if plans.size >= 2 and plans[0] > 0:
        if plans[-1] == 0:
            out.append(f"every plan has ended by the last month ({plans[0]:,.0f} at the start)")
        elif plans[-1] > CASELOAD_GROWTH_MAX * plans[0]:
            out.append(f"the caseload grows {plans[-1] / plans[0]:,.0f}-fold ({plans[0]:,.0f} to {plans[-1]:,.0f})")
    return out


__all__ = ["Estimate", "available_memory_bytes", "estimate", "refusal", "result_problems"]
