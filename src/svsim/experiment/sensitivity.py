"""Sensitivity analysis: which inputs drive the accumulated deficit in a target year, and the chance of being within
the Safety Valve profile.

Methods (each point of a design runs replications 0..n-1 on common random numbers, see experiment/variants.py):
- `oat`: one at a time. Every factor at its low and at its high end with the others at their nominal values; the
  swing (high minus low) ranks them (a tornado chart). Cheap (2k+1 points) and exact for what it measures, but blind
  to interactions.
- `morris`: elementary effects along random trajectories (SALib, 4 levels): mu* ranks influence, sigma flags
  non-linearity or interactions. r(k+1) points for r trajectories.
- `sobol`: variance-based first-order (S1) and total (ST) indices with 95% bootstrap intervals, on Saltelli's
  sampling (SALib): N(k+2) points (N(2k+2) with second-order indices). Each factor varies uniformly over its range.

Outputs analysed: the replications' mean accumulated deficit in the target year, and the share of replications within
the profile that year (P(within profile)).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..scenario import Scenario
from .variants import Design, Factor, run_points, simulation_groups, with_lead_in

METHODS = ("oat", "morris", "sobol")
OUTPUTS = ("accumulated_deficit_gbp_m", "p_within_profile")
DEFAULT_REPLICATIONS = {"oat": 10, "morris": 2, "sobol": 1}
DEFAULT_SAMPLES = {"morris": 10, "sobol": 64}
"""Morris trajectories r; Sobol base sample N (a power of 2)."""
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class SensitivityResult:
    method: str
    factors: tuple[Factor, ...]
    target_year: int
    years: tuple[int, ...]
    points: np.ndarray
    """[point, factor] values run."""
    deficits: np.ndarray
    """[point, replication, year] accumulated deficit, £m."""
    profile: np.ndarray
    """By year."""
    indices: Any
    """A pandas DataFrame: one row per factor and output."""
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return int(self.deficits.shape[0] * self.deficits.shape[1])


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """SALib's description of the factors (uniform over their ranges)."""
    return {"num_vars": len(factors), "names": [f.path for f in factors],
            "bounds": [[f.low, f.high] for f in factors]}


def design_points(method: str, factors: Sequence[Factor], *, samples: int | None = None, seed: int = 0,
                  second_order: bool = False) -> np.ndarray:
    """[point, factor] values to run for `method` (seeded: the same design for the same seed)."""
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}': expected one of {', '.join(METHODS)}")
    if len(factors) < (1 if method == "oat" else 2):
        raise ValueError(f"{method} needs at least {1 if method == 'oat' else 2} parameters, got {len(factors)}")
    if method == "oat":
        nominal = np.array([f.nominal for f in factors], dtype=float)
        rows = [nominal]
        for i, f in enumerate(factors):
            for end in (f.low, f.high):
                row = nominal.copy()
                row[i] = end
                rows.append(row)
        return np.array(rows)
    n = samples or DEFAULT_SAMPLES[method]
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem(factors), n, num_levels=MORRIS_LEVELS, seed=seed)
    if n & (n - 1):
        raise ValueError(f"Sobol sampling needs a power of 2 for N, got {n}")
    try:
        from SALib.sample import sobol as saltelli  # SALib >= 1.4.6
    except ImportError:  # pragma: no cover - older SALib
        from SALib.sample import saltelli
    return saltelli.sample(problem(factors), n, calc_second_order=second_order, seed=seed)


def outputs(deficits: np.ndarray, profile: np.ndarray, year_index: int) -> dict[str, np.ndarray]:
    """Per point: the mean accumulated deficit over replications in the target year, and P(within profile)."""
    d = deficits[:, :, year_index]
    within = (d <= profile[year_index]).mean(axis=1) if not math.isnan(profile[year_index]) else \
        np.full(d.shape[0], math.nan)
    return {"accumulated_deficit_gbp_m": d.mean(axis=1), "p_within_profile": within}


def analyse(method: str, factors: Sequence[Factor], points: np.ndarray, deficits: np.ndarray, profile: np.ndarray,
            year_index: int, *, seed: int = 0, second_order: bool = False) -> Any:
    """The indices table for `method` (pandas DataFrame, one row per factor and output)."""
    import pandas as pd

    ys = outputs(deficits, profile, year_index)
    rows: list[dict[str, Any]] = []
    for name, y in ys.items():
        if np.isnan(y).all():
            continue
        if method == "oat":
            rows += _oat_rows(factors, points, y, deficits[:, :, year_index] if name == OUTPUTS[0] else None, name)
        elif method == "morris":
            from SALib.analyze import morris

            res = morris.analyze(problem(factors), points, y, num_levels=MORRIS_LEVELS, conf_level=0.95,
                                 num_resamples=1000, seed=seed)
            for i, f in enumerate(factors):
                rows.append({"parameter": f.path, "output": name, "mu": res["mu"][i], "mu_star": res["mu_star"][i],
                             "mu_star_ci_half_width": res["mu_star_conf"][i], "sigma": res["sigma"][i]})
        else:
            from SALib.analyze import sobol

            if np.ptp(y) == 0:
                res = {k: np.zeros(len(factors)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            else:
                res = sobol.analyze(problem(factors), y, calc_second_order=second_order, num_resamples=1000,
                                    conf_level=0.95, seed=seed)
            for i, f in enumerate(factors):
                rows.append({"parameter": f.path, "output": name,
                             "S1": res["S1"][i], "S1_ci_low": res["S1"][i] - res["S1_conf"][i],
                             "S1_ci_high": res["S1"][i] + res["S1_conf"][i],
                             "ST": res["ST"][i], "ST_ci_low": res["ST"][i] - res["ST_conf"][i],
                             "ST_ci_high": res["ST"][i] + res["ST_conf"][i]})
    table = pd.DataFrame(rows)
    key = {"oat": "abs_swing", "morris": "mu_star", "sobol": "ST"}[method]
    table["rank"] = table.groupby("output")[key].rank(ascending=False, method="min").astype(int)
    about = pd.DataFrame([{"parameter": f.path, "apply": f.apply, "low": f.low, "high": f.high,
                           "nominal": f.nominal, "source": f.source} for f in factors])
    table = table.merge(about, on="parameter", how="left")
    return table.sort_values(["output", "rank"], kind="stable").reset_index(drop=True)


def _oat_rows(factors: Sequence[Factor], points: np.ndarray, y: np.ndarray, per_rep: np.ndarray | None,
              name: str) -> list[dict[str, Any]]:
    """Swing of each factor from its low to its high end; for the deficit, a paired 95% t interval over the
    replications (common random numbers)."""
    from scipy import stats

    rows = []
    for i, f in enumerate(factors):
        lo, hi = 1 + 2 * i, 2 + 2 * i
        row = {"parameter": f.path, "output": name, "at_nominal": y[0], "at_low": y[lo], "at_high": y[hi],
               "swing": y[hi] - y[lo], "abs_swing": abs(y[hi] - y[lo])}
        if per_rep is not None and per_rep.shape[1] > 1:
            diff = per_rep[hi] - per_rep[lo]
            half = stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size)
            row.update(swing_ci_low=row["swing"] - half, swing_ci_high=row["swing"] + half)
        rows.append(row)
    return rows


def run_sensitivity(
    scenario: Scenario, factors: Sequence[Factor], method: str, *, target_year: int | None = None,
    replications: int | None = None, samples: int | None = None, seed: int = 0, second_order: bool = False,
    workers: int | None = None, executor: str = "local", scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None, lead_in: bool = True,
) -> SensitivityResult:
    """Run the design of `method` on common random numbers and compute its indices. With `lead_in`, each
    replication's simulation up to where the factors act is run once per worker and every point resumes from it
    (model/snapshot.py; the same numbers, about a fifth less work)."""
    design = Design(scenario, seed, factors=tuple(factors))
    if lead_in:
        design = with_lead_in(design)
    years = design.years
    year = years[-1] if target_year is None else target_year
    if year not in years:
        raise ValueError(f"the target year must be one the scenario reports ({years[0]} to {years[-1]})")
    reps = replications or DEFAULT_REPLICATIONS[method]
    points = design_points(method, factors, samples=samples, seed=seed, second_order=second_order)
    simulations = len(simulation_groups(design, points, reps))
    deficits = run_points(design, points, reps, workers=workers, executor=executor, scheduler=scheduler,
                          progress=progress)
    table = analyse(method, factors, points, deficits, design.profile, years.index(year), seed=seed,
                    second_order=second_order)
    return SensitivityResult(method, tuple(factors), year, tuple(years), points, deficits, design.profile, table,
                             {"replications": reps, "samples": samples or DEFAULT_SAMPLES.get(method),
                              "seed": seed, "second_order": second_order, "simulations": simulations})


def simulations_needed(scenario: Scenario, factors: Sequence[Factor], points: np.ndarray, replications: int) -> int:
    """How many simulations the design's runs need: points differing only in money-only factors share one."""
    return len(simulation_groups(Design(scenario, 0, factors=tuple(factors)), points, replications))


__all__ = ["DEFAULT_REPLICATIONS", "DEFAULT_SAMPLES", "METHODS", "OUTPUTS", "SensitivityResult", "analyse",
           "design_points", "problem", "run_sensitivity", "simulations_needed"]
