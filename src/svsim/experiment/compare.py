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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..domain import SETTINGS
from ..scenario import Scenario
from .replications import ReplicationResult, ReplicationStore, StoredSection

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
class Measured:
    """Every replication's measures of one scenario in one array (8 bytes a number), read in one pass over its
    results: what the differences and the tables need, so a compare's results can stay on disk (ReplicationStore)."""

    keys: tuple[Measure, ...]
    """(measure, financial year) of each column, in the order of `replication_measures`."""
    values: np.ndarray
    """[replication, key]."""
    replications: tuple[int, ...]
    seeds: tuple[int, ...]
    runtimes_s: tuple[float, ...]
    years: tuple[int, ...]

    def column(self, key: Measure) -> np.ndarray:
        return self.values[:, self.keys.index(key)]


def measure(results: Iterable[ReplicationResult]) -> Measured:
    """The measures of `results` (one result in memory at a time); all must cover the same years and measures."""
    keys: tuple[Measure, ...] | None = None
    years: tuple[int, ...] = ()
    rows: list[np.ndarray] = []
    reps: list[int] = []
    seeds: list[int] = []
    runtimes: list[float] = []
    for r in results:
        m = replication_measures(r)
        if keys is None:
            keys, years = tuple(m), tuple(r.years)
        elif tuple(r.years) != years or len(m) != len(keys):
            raise ValueError("replications cover different financial years")
        rows.append(np.array([m[k] for k in keys], dtype=float))
        reps.append(r.replication)
        seeds.append(r.seed)
        runtimes.append(r.runtime_s)
    if keys is None:
        raise ValueError("no replication results")
    return Measured(keys, np.vstack(rows), tuple(reps), tuple(seeds), tuple(runtimes), years)


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
    base: Sequence[ReplicationResult] | Measured, other: Sequence[ReplicationResult] | Measured, other_label: str,
    level: float = LEVEL,
) -> list[Difference]:
    """Paired and unpaired intervals of OTHER - BASE for every measure and year (replications matched by index)."""
    b = base if isinstance(base, Measured) else measure(base)
    o = other if isinstance(other, Measured) else measure(other)
    if b.years != o.years:
        raise ValueError("replications cover different financial years")
    if b.replications != o.replications:
        raise ValueError("BASE and OTHER must hold the same replications, in the same order")
    out = []
    for key in sorted(set(b.keys) & set(o.keys), key=measure_order):
        bv, ov = b.column(key), o.column(key)
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
    results: tuple[Sequence[ReplicationResult], ...]
    """Per scenario (same order as labels), the replications in index order (read from the run's store when the
    comparison streamed them to disk: readable until the store is closed)."""
    seed: int
    differences: tuple[Difference, ...]
    measured: tuple[Measured, ...] = ()
    """Per scenario, its replications' measures (what the tables are made of; kept after the store is closed)."""

    @property
    def base_label(self) -> str:
        return self.labels[0]

    def results_of(self, label: str) -> Sequence[ReplicationResult]:
        return self.results[self.labels.index(label)]

    def measures(self) -> tuple[Measured, ...]:
        """`measured`, or computed from the results for a Comparison made by hand."""
        return self.measured or tuple(measure(r) for r in self.results)


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
    store: ReplicationStore | None = None,
    notify: Callable[[str], None] | None = None,
    retried: list[dict[str, Any]] | None = None,
) -> Comparison:
    """Run BASE and every OTHER on replications 0..n-1 of `seed` (common random numbers) and difference them.

    With a `store`, each replication's result is streamed into it as it finishes (scenario after scenario:
    position k * n + i for replication i of scenario k) and the comparison's `results` read from it, so the parent's
    memory stays flat however many replications; only the measures (a few hundred numbers a replication) are kept.
    `notify(line)` is told, and `retried` extended, when a replication whose worker died is run again."""
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
    extra: dict[str, Any] = {} if executor == "local" and scheduler is None else {"executor": executor,
                                                                                  "scheduler": scheduler}
    if store is not None:
        extra["deliver"] = store.put
    if notify is not None or retried is not None:
        extra.update(notify=notify, retried=retried)
    flat = runner(dict(zip(keys, scenarios, strict=True)), tasks, seed, workers=workers, progress=progress, **extra)
    results: tuple[Sequence[ReplicationResult], ...]
    if store is not None:
        results = tuple(StoredSection(store, i * replications, replications) for i in range(len(scenarios)))
    else:
        results = tuple(tuple(flat[i * replications:(i + 1) * replications]) for i in range(len(scenarios)))
    measured = tuple(measure(res) for res in results)
    diffs = [d for label, m in zip(labels[1:], measured[1:], strict=True)
             for d in differences(measured[0], m, label, level)]
    return Comparison(labels, scenarios, results, seed, tuple(diffs), measured)


__all__ = [
    "LEVEL",
    "MEASURES",
    "Comparison",
    "Difference",
    "Interval",
    "Measured",
    "differences",
    "mean_interval",
    "measure",
    "paired_interval",
    "replication_measures",
    "run_comparison",
    "unique_labels",
    "unpaired_interval",
]
