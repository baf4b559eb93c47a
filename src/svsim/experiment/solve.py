"""Goal-seek: the value of one lever at which the accumulated deficit meets the Safety Valve profile in a target year
with a given probability (default: the median meets it).

How: every trial value runs the same replications 0..n-1 (common random numbers), so the measure
    g(value) = P-quantile over replications of the accumulated deficit in the target year - the profile that year
is a deterministic function of the value for a given seed; `scipy.optimize.brentq` (bracketing, guaranteed to
converge once the ends of the lever's valid range straddle the target) finds its root, and the answer is the value
tried nearest that root which meets the target on the replications run. The same seed gives the same
answer. When g has the same sign at both ends, no value in the range meets the target (or every value does) and we
say so with what the best end achieves; we assume the deficit moves one way as the lever moves (a measure that helps
more when there is more of it), which the evaluations recorded let the user check.

Uncertainty of the answer: the P-quantile at the answer is estimated from n replications; its bootstrap standard
error over those replications, divided by the slope of g across the final bracket, gives a standard error of the
value (delta method). The 95% interval is +-1.96 of it (at least the search tolerance), within the lever's range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model.rng import generator
from ..scenario import Scenario
from .variants import Design, Lever, end_study, run_points, study_pool, with_lead_in

BOOTSTRAP = 1000


@dataclass(frozen=True)
class Trial:
    """One value of the lever and what its replications give in the target year."""

    value: float
    quantile_gbp_m: float
    """The P-quantile of the accumulated deficit."""
    median_gbp_m: float
    p_within_profile: float
    deficits: tuple[float, ...] = field(repr=False)


@dataclass(frozen=True)
class SolveResult:
    lever: Lever
    target_year: int
    probability: float
    profile_gbp_m: float
    status: str
    """'found', 'none' (no value in range meets the target) or 'all' (every value does)."""
    value: float | None
    ci_low: float | None
    ci_high: float | None
    standard_error: float | None
    trials: tuple[Trial, ...]
    replications: int
    seed: int
    best: Trial | None = None
    """The trial closest to the target (for 'none' and 'all')."""

    @property
    def runs(self) -> int:
        return len(self.trials) * self.replications


def quantile_gap(deficits: np.ndarray, profile: float, probability: float) -> float:
    """P-quantile of the replications' deficits minus the profile (<= 0: met with probability >= P)."""
    return float(np.quantile(deficits, probability)) - profile


def solve(
    scenario: Scenario, lever: Lever, *, target_year: int, probability: float = 0.5, replications: int = 20,
    seed: int = 0, tolerance: float | None = None, max_trials: int = 40, workers: int | None = None,
    executor: str = "local", scheduler: str | None = None,
    on_trial: Callable[[Trial, int], None] | None = None, progress: Callable[[int, int], None] | None = None,
    lead_in: bool = True,
) -> SolveResult:
    """Find the lever value meeting the target (see the module docstring). `tolerance` on the value defaults to
    1/1000 of the range; `on_trial(trial, number)` is called after each value is run. Every value tried runs on
    the same workers; with `lead_in` each replication's simulation up to where the lever acts is kept by the
    worker that ran it and later values resume from it (model/snapshot.py: the same numbers)."""
    if not 0 < probability < 1:
        raise ValueError("the probability must be between 0 and 1 (exclusive)")
    design = Design(scenario, seed, levers=(lever,))
    if lead_in:
        design = with_lead_in(design)
    try:
        with study_pool(design, workers=workers, executor=executor, scheduler=scheduler) as pool:
            return _solve(design, lever, target_year=target_year, probability=probability,
                          replications=replications, seed=seed, tolerance=tolerance, max_trials=max_trials,
                          on_trial=on_trial, progress=progress, pool=pool)
    finally:
        end_study()


def _solve(design: Design, lever: Lever, *, target_year: int, probability: float, replications: int, seed: int,
           tolerance: float | None, max_trials: int, on_trial: Callable[[Trial, int], None] | None,
           progress: Callable[[int, int], None] | None, pool: Any) -> SolveResult:
    from scipy.optimize import brentq

    years = design.years
    if target_year not in years:
        raise ValueError(f"the target year must be one the scenario reports ({years[0]} to {years[-1]})")
    k = years.index(target_year)
    profile = float(design.profile[k])
    if math.isnan(profile):
        raise ValueError("the scenario has no Safety Valve profile for the target year")
    trials: dict[float, Trial] = {}

    def run(value: float) -> Trial:
        if value not in trials:
            deficits = run_points(design, [[value]], replications, progress=progress, pool=pool)[0, :, k]
            trial = Trial(value, float(np.quantile(deficits, probability)), float(np.median(deficits)),
                          float((deficits <= profile).mean()), tuple(float(d) for d in deficits))
            trials[value] = trial
            if on_trial is not None:
                on_trial(trial, len(trials))
        return trials[value]

    def g(value: float) -> float:
        return run(value).quantile_gbp_m - profile

    lo, hi = lever.low, lever.high
    g_lo, g_hi = g(lo), g(hi)
    result = dict(lever=lever, target_year=target_year, probability=probability, profile_gbp_m=profile,
                  replications=replications, seed=seed)
    if g_lo > 0 and g_hi > 0 or g_lo <= 0 and g_hi <= 0:
        status = "none" if g_lo > 0 else "all"
        best = min((trials[lo], trials[hi]), key=lambda t: t.quantile_gbp_m) if status == "none" else \
            max((trials[lo], trials[hi]), key=lambda t: t.quantile_gbp_m)
        return SolveResult(status=status, value=None, ci_low=None, ci_high=None, standard_error=None,
                           trials=tuple(trials.values()), best=best, **result)
    xtol = tolerance if tolerance is not None else (hi - lo) / 1000
    root = float(brentq(g, lo, hi, xtol=xtol, maxiter=max_trials))
    run(root)
    # The answer is the value tried nearest the root that meets the target on these replications: a simulated
    # deficit is a rough function of the lever at fine scales (a slightly different rate refuses different children),
    # so brentq's last point may sit a hair on the wrong side.
    at = min((t for t in trials.values() if t.quantile_gbp_m - profile <= 0), key=lambda t: abs(t.value - root))
    # the final bracket: the nearest trials on either side of the target
    below = [t for t in trials.values() if t.quantile_gbp_m - profile <= 0]
    above = [t for t in trials.values() if t.quantile_gbp_m - profile > 0]
    near_below = min(below, key=lambda t: abs(t.value - root))
    near_above = min(above, key=lambda t: abs(t.value - root))
    slope = (near_above.quantile_gbp_m - near_below.quantile_gbp_m) / (near_above.value - near_below.value) \
        if near_above.value != near_below.value else math.nan
    rng = generator(seed, 0, "solve:bootstrap")
    d = np.array(at.deficits)
    boot = np.quantile(d[rng.integers(0, d.size, size=(BOOTSTRAP, d.size))], probability, axis=1)
    se_q = float(boot.std(ddof=1))
    se = se_q / abs(slope) if slope and math.isfinite(slope) else math.inf
    half = max(1.96 * se, xtol)
    return SolveResult(status="found", value=at.value, ci_low=max(lever.low, min(root - half, at.value)),
                       ci_high=min(lever.high, max(root + half, at.value)), standard_error=se,
                       trials=tuple(trials.values()), **result)


def trials_table(result: SolveResult) -> Any:
    import pandas as pd

    rows = [{"value": t.value, "quantile_gbp_m": t.quantile_gbp_m, "median_gbp_m": t.median_gbp_m,
             "p_within_profile": t.p_within_profile, "profile_gbp_m": result.profile_gbp_m, "trial": i}
            for i, t in enumerate(result.trials, start=1)]
    return pd.DataFrame(rows)


__all__ = ["SolveResult", "Trial", "quantile_gap", "solve", "trials_table"]
