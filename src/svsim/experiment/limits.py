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


__all__ = ["Estimate", "available_memory_bytes", "estimate", "refusal"]
