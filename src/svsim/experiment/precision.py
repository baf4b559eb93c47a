"""How many replications? Add them in batches until the median forecast is known precisely enough.

The question a finance lead asks is "how sure are you of the median?", so the rule watches the 95% confidence
interval of each financial year's MEDIAN accumulated deficit and stops when every year's half-width is at most
the target (in £m).

The interval is the distribution-free order-statistic interval for the median (no bootstrap, so no extra random
numbers and nothing to seed): for a sorted sample x(1) <= ... <= x(n), the number of observations below the true
median is Binomial(n, 1/2), so [x(j), x(n+1-j)] covers the median with probability 1 - 2 P(B <= j - 1). j is the
largest index whose coverage is still at least the confidence asked for (so the interval is conservative, never
narrower than it should be). Its half-width is (x(n+1-j) - x(j)) / 2; below n = 6 no such interval exists at 95%
and the half-width is infinite.

Batches: the first has `start` replications (20 by default); each next batch grows the total by `growth` (50%),
capped at `max_replications`. Replications are numbered 0, 1, 2, ... across batches, so a run that stopped at N
gives the same numbers as a plain run of N replications with the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")
K = TypeVar("K")

DEFAULT_START = 20
DEFAULT_GROWTH = 1.5
DEFAULT_MAX = 2000
CONFIDENCE = 0.95


def median_p10_p90(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, P10, P90) of the replications' values, NaNs left out (all NaN: NaNs)."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if not arr.size:
        return math.nan, math.nan, math.nan
    lo, mid, hi = np.quantile(arr, [0.1, 0.5, 0.9])
    return float(mid), float(lo), float(hi)


@cache
def median_ci_ranks(n: int, confidence: float = CONFIDENCE) -> tuple[int, int] | None:
    """1-based ranks (j, n + 1 - j) of the order-statistic interval for the median, or None if n is too small."""
    from scipy.stats import binom  # heavy: imported only when an interval is asked for

    if n < 1:
        return None
    alpha = 1.0 - confidence
    # largest j with 2 * P(B <= j - 1) <= alpha, B ~ Binomial(n, 1/2)
    j = int(binom.ppf(alpha / 2.0, n, 0.5))  # smallest k with P(B <= k) >= alpha / 2
    while j >= 1 and 2.0 * binom.cdf(j - 1, n, 0.5) > alpha:
        j -= 1
    while 2.0 * binom.cdf(j, n, 0.5) <= alpha:
        j += 1
    if j < 1 or j > n + 1 - j:
        return None
    return j, n + 1 - j


def median_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Distribution-free confidence interval for the median ((-inf, inf) when there are too few values)."""
    x = np.sort(np.asarray(values, dtype=float))
    ranks = median_ci_ranks(x.size, confidence)
    if ranks is None:
        return -math.inf, math.inf
    lo, hi = ranks
    return float(x[lo - 1]), float(x[hi - 1])


def median_half_width(values: Sequence[float], confidence: float = CONFIDENCE) -> float:
    """Half the width of `median_ci` (inf when there are too few values)."""
    lo, hi = median_ci(values, confidence)
    return (hi - lo) / 2.0 if math.isfinite(lo) else math.inf


def next_total(n: int, growth: float = DEFAULT_GROWTH, max_replications: int = DEFAULT_MAX) -> int:
    """The total after the next batch: n grown by `growth` (at least one more), capped at `max_replications`."""
    return min(max_replications, max(n + 1, math.ceil(n * growth)))


@dataclass
class PrecisionOutcome(Generic[K]):
    """What the stopping rule did: replications used, whether the target was met, the last half-widths."""

    target: float
    confidence: float
    replications: int = 0
    achieved: bool = False
    half_widths: dict[K, float] = field(default_factory=dict)
    batches: list[int] = field(default_factory=list)
    """The total number of replications after each batch."""

    @property
    def worst(self) -> float:
        return max(self.half_widths.values(), default=math.inf)

    def to_dict(self) -> dict:
        """For the manifest."""
        return {
            "target_half_width_gbp_m": self.target, "confidence": self.confidence,
            "interval": "distribution-free order-statistic interval for the median",
            "replications_used": self.replications, "achieved": self.achieved, "batches": list(self.batches),
            "half_widths_gbp_m": {str(k): round(v, 4) if math.isfinite(v) else None
                                  for k, v in self.half_widths.items()},
        }


def run_until_precise(
    run_batch: Callable[[int, int], Sequence[T]],
    values: Callable[[Sequence[T]], Mapping[K, Sequence[float]]],
    target: float,
    *,
    start: int = DEFAULT_START,
    growth: float = DEFAULT_GROWTH,
    max_replications: int = DEFAULT_MAX,
    confidence: float = CONFIDENCE,
    on_batch: Callable[[PrecisionOutcome[K]], None] | None = None,
) -> tuple[list[T], PrecisionOutcome[K]]:
    """Add batches until every series' median CI half-width is <= `target`, or `max_replications` are done.

    `run_batch(first, stop)` returns the results of replications first .. stop - 1; `values(results)` gives, for
    every series watched (e.g. each financial year), its values over the results so far.
    """
    if target <= 0:
        raise ValueError("the precision target must be greater than 0")
    if growth <= 1:
        raise ValueError("growth must be greater than 1")
    if max_replications < 1:
        raise ValueError("max_replications must be at least 1")
    outcome: PrecisionOutcome[K] = PrecisionOutcome(target, confidence)
    results: list[T] = []
    n = min(max(start, 1), max_replications)
    while True:
        results.extend(run_batch(len(results), n))
        outcome.replications = len(results)
        outcome.batches.append(len(results))
        outcome.half_widths = {k: median_half_width(v, confidence) for k, v in values(results).items()}
        outcome.achieved = all(h <= target for h in outcome.half_widths.values())
        if on_batch is not None:
            on_batch(outcome)
        if outcome.achieved or n >= max_replications:
            return results, outcome
        n = next_total(n, growth, max_replications)


__all__ = [
    "CONFIDENCE", "DEFAULT_GROWTH", "DEFAULT_MAX", "DEFAULT_START", "PrecisionOutcome", "median_ci",
    "median_ci_ranks", "median_half_width", "next_total", "run_until_precise",
]
