"""Compare scenarios on common random numbers: paired differences OTHER - BASE with confidence intervals.

Why paired: replication i of every scenario runs on the same seed and replication index, so it draws the same
request arrivals, decisions, durations (named streams, model/rng.py) and the same uncertain parameters
(experiment/uncertainty.py). The difference OTHER_i - BASE_i then holds the policy's effect and little of the luck,
and the t interval of the mean paired difference is far narrower than the unpaired (Welch) interval computed from
the same replications as if they were independent. Both are reported, so the gain is visible.

Intervals (level 95% by default), with n replications:
- paired: mean(d) +- t(n-1) * sd(d) / sqrt(n), d_i = other_i - base_i;
- unpaired: mean(other) - mean(base) +- t(nu) * sqrt(s_o^2/n + s_b^2/n), nu the Welch-Satterthwaite degrees;
- with one replication (or no spread) the interval is NaN (or a point).

This module is numbers only (numpy); outputs/compare.py turns them into tables, charts and a results folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..domain import SETTINGS
from ..scenario import Scenario
from .replications import ReplicationResult, check_consistent

LEVEL = 0.95

Measure = tuple[str, int]
"""(measure name, financial year)."""


@dataclass(frozen=True)
class Interval:
    """A mean with a two-sided confidence interval."""

    mean: float
    low: float
    high: float
    sd: float
    """Standard deviation of one difference: of other_i - base_i when paired, sqrt(s_o^2 + s_b^2) when not."""
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def _t(level: float, df: float) -> float:
    from scipy.special import stdtrit  # light, unlike scipy.stats: imported only when an interval is asked for

    return float(stdtrit(df, 0.5 + level / 2))


def mean_interval(values: Sequence[float] | np.ndarray, level: float = LEVEL) -> Interval:
    """The t interval of a mean (used for paired differences and for Shapley values across replications)."""
    x = np.asarray(values, dtype=float)
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, math.nan, 1)
    sd = float(x.std(ddof=1))
    half = _t(level, n - 1) * sd / math.sqrt(n) if sd > 0 else 0.0
    return Interval(mean, mean - half, mean + half, sd, n)


def paired_interval(base: Sequence[float], other: Sequence[float], level: float = LEVEL) -> Interval:
    """Interval of mean(other - base) over paired replications (same seed and replication index)."""
    b, o = np.asarray(base, dtype=float), np.asarray(other, dtype=float)
    if b.shape != o.shape:
        raise ValueError("paired samples must have the same length")
    return mean_interval(o - b, level)


def unpaired_interval(base: Sequence[float], other: Sequence[float], level: float = LEVEL) -> Interval:
    """Welch interval of mean(other) - mean(base), ignoring the pairing: what independent runs would give."""
    b, o = np.asarray(base, dtype=float), np.asarray(other, dtype=float)
    nb, no = b.size, o.size
    diff = float(o.mean() - b.mean()) if nb and no else math.nan
    if nb < 2 or no < 2:
        return Interval(diff, math.nan, math.nan, math.nan, min(nb, no))
    vb, vo = float(b.var(ddof=1)) / nb, float(o.var(ddof=1)) / no
    se = math.sqrt(vb + vo)
    if se == 0:
        return Interval(diff, diff, diff, 0.0, min(nb, no))
    df = (vb + vo) ** 2 / ((vb * vb / (nb - 1) if nb > 1 else 0.0) + (vo * vo / (no - 1) if no > 1 else 0.0))
    half = _t(level, df) * se
    return Interval(diff, diff - half, diff + half, math.sqrt(vb * nb + vo * no), min(nb, no))


# ---- measures of one replication ---------------------------------------------------------------------------------
MEASURES = (
    "accumulated_deficit_gbp_m",
    "accumulated_deficit_incl_backlog_gbp_m",
    "backlog_commitment_gbp_m",
    "children_waiting",
    "in_year_deficit_gbp_m",
    "hnb_spend_gbp_m",
    "placement_spend_gbp_m",
    *(f"placement_spend_gbp_m.{s}" for s in SETTINGS),
    "ehcps_january_census",
    *(f"ehcps_january_census.{s}" for s in SETTINGS),
)
"""Measures compared, in table order. EHCPs are counted at the January census that falls in the financial year.
The accumulated deficit including the backlog commitment (finance/waiting.py) sits beside the headline, so that a
policy which only delays children never reads as a saving without its deferred cost."""


def replication_measures(result: ReplicationResult) -> dict[Measure, float]:
    """(measure, financial year) -> value for one replication (see MEASURES)."""
    out: dict[Measure, float] = {}
    years = set(result.years)
    for m in result.money:
        fy = m.financial_year
        out["accumulated_deficit_gbp_m", fy] = m.accumulated_deficit_gbp_m
        out["accumulated_deficit_incl_backlog_gbp_m", fy] = m.accumulated_deficit_incl_backlog_gbp_m
        out["backlog_commitment_gbp_m", fy] = m.backlog_commitment_gbp_m
        out["children_waiting", fy] = m.children_waiting
        out["in_year_deficit_gbp_m", fy] = m.in_year_deficit_gbp_m
        out["hnb_spend_gbp_m", fy] = m.hnb_spend_gbp_m
        out["placement_spend_gbp_m", fy] = m.placement_spend_gbp_m
        for s in SETTINGS:
            out[f"placement_spend_gbp_m.{s}", fy] = float(result.placement_spend_gbp_m[fy][s])
    for year, counts in result.census.items():
        fy = year - 1  # the January census of `year` falls in financial year year-1 (April to March)
        if fy not in years:
            continue
        by_setting = np.asarray(counts).sum(axis=1)
        out["ehcps_january_census", fy] = float(by_setting.sum())
        for s, v in zip(SETTINGS, by_setting, strict=True):
            out[f"ehcps_january_census.{s}", fy] = float(v)
    return out


def measure_order(key: Measure) -> tuple[int, int]:
    name, fy = key
    return MEASURES.index(name) if name in MEASURES else len(MEASURES), fy


@dataclass(frozen=True)
class Difference:
    """OTHER - BASE for one measure and financial year, over paired replications."""

    other: str
    measure: str
    financial_year: int
    base_mean: float
    other_mean: float
    paired: Interval
    unpaired: Interval


def differences(
    base: Sequence[ReplicationResult], other: Sequence[ReplicationResult], other_label: str, level: float = LEVEL
) -> list[Difference]:
    """Paired and unpaired intervals of OTHER - BASE for every measure and year (replications matched by index)."""
    check_consistent([*base, *other])
    if [r.replication for r in base] != [r.replication for r in other]:
        raise ValueError("BASE and OTHER must hold the same replications, in the same order")
    b = [replication_measures(r) for r in base]
    o = [replication_measures(r) for r in other]
    out = []
    for key in sorted(set(b[0]) & set(o[0]), key=measure_order):
        bv, ov = [x[key] for x in b], [x[key] for x in o]
        out.append(Difference(other_label, key[0], key[1], float(np.mean(bv)), float(np.mean(ov)),
                              paired_interval(bv, ov, level), unpaired_interval(bv, ov, level)))
    return out


# ---- running a comparison -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """Results of BASE and each OTHER on the same replications, and their differences."""

    labels: tuple[str, ...]
    """Display names: BASE first, then each OTHER (scenario names, made unique)."""
    scenarios: tuple[Scenario, ...]
    results: tuple[tuple[ReplicationResult, ...], ...]
    """Per scenario (same order as labels), the replications in index order."""
    seed: int
    differences: tuple[Difference, ...]

    @property
    def base_label(self) -> str:
        return self.labels[0]

    def results_of(self, label: str) -> tuple[ReplicationResult, ...]:
        return self.results[self.labels.index(label)]


def unique_labels(scenarios: Sequence[Scenario]) -> tuple[str, ...]:
    """Scenario names, with '#2', '#3' added to repeats so every scenario has its own label."""
    seen: dict[str, int] = {}
    out = []
    for s in scenarios:
        name = s.name or "scenario"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return tuple(out)


RunTasks = Callable[..., list[ReplicationResult]]


def _run_tasks() -> RunTasks:
    from .executors import run_tasks  # the parallel runner (looked up at call time, so tests may substitute it)

    return run_tasks


def run_comparison(
    base: Scenario,
    others: Sequence[Scenario],
    *,
    replications: int,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    level: float = LEVEL,
    run_tasks: RunTasks | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> Comparison:
    """Run BASE and every OTHER on replications 0..n-1 of `seed` (common random numbers) and difference them."""
    from .executors import Task

    if replications < 1:
        raise ValueError("at least one replication is needed")
    if not others:
        raise ValueError("nothing to compare BASE with")
    scenarios = (base, *others)
    labels = unique_labels(scenarios)
    keys = [str(i) for i in range(len(scenarios))]
    tasks = [Task(k, r) for k in keys for r in range(replications)]
    runner = run_tasks or _run_tasks()
    extra = {} if executor == "local" and scheduler is None else {"executor": executor, "scheduler": scheduler}
    flat = runner(dict(zip(keys, scenarios, strict=True)), tasks, seed, workers=workers, progress=progress, **extra)
    results = tuple(tuple(flat[i * replications:(i + 1) * replications]) for i in range(len(scenarios)))
    diffs = [d for label, res in zip(labels[1:], results[1:], strict=True)
             for d in differences(results[0], res, label, level)]
    return Comparison(labels, scenarios, results, seed, tuple(diffs))


__all__ = [
    "LEVEL",
    "MEASURES",
    "Comparison",
    "Difference",
    "Interval",
    "differences",
    "mean_interval",
    "paired_interval",
    "replication_measures",
    "run_comparison",
    "unique_labels",
    "unpaired_interval",
]
