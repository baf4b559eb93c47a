"""Calibration: fit chosen parameters to a council's published history up to a cut-off.

The model starts at an earlier January census (`start`, default the year before `until`) with its recent past set
from the data as in the back-test (svsim.scenario.observed), runs to 31 March of `until`, and is compared with the
January censuses start+1..until and the calendar-year flows start..until-1. The window is observed, so its first
calendar year's published flows (requests, refusals, plans not issued, placements of new plans, assessments
completed) set demand and decisions, and no forecast-uncertainty draw acts before the last census fitted to: the
fit is for the rates the statistics do not publish, and a demand error inside the window must not be absorbed
into them. Each fitted parameter (a path, a
group prefix or a glob such as `transitions.phase_transfer.*.cease_probability`) gets one multiplier on all its
values. The loss is a weighted sum of squared relative errors of the mean over replications (LOSS_WEIGHTS); every
evaluation uses the same seed and replications (common random numbers), so the loss is a smooth-enough function
of the multipliers for scipy's bounded Nelder-Mead (or Brent's method for one parameter). After the fit, each
multiplier is moved by ±25% to find flat directions (the loss hardly changes: the data cannot pin it down), and the
curvature matrix gives correlated pairs (only their combination is pinned down).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.groups import OF_WHICH, PLACEMENT_GROUPS
from ..scenario import Scenario, load_scenario
from ..scenario.dated import Series
from .backtest import _series, _simulated, build_backtest_scenario, dump_yaml
from .replications import ReplicationResult

LOSS_WEIGHTS: dict[str, float] = {
    "census_total": 2.0, "census_placement_group": 0.5, "census_age_band": 0.25,
    "requests": 1.0, "refusals": 0.5, "new_plans": 1.0, "assessments_completed": 0.5, "ceased": 1.0,
    "issued_within_20_weeks_share": 0.5, "transfers_out": 0.5, "moves_mainstream_to_special": 0.5,
}
"""Weight of each compared measure in the loss (per group and year). Measures not listed are not fitted to."""
BOUNDS = (0.2, 5.0)
"""Allowed range of each multiplier."""
PROBE = 1.25
"""Identifiability probe: each multiplier x PROBE and / PROBE."""
FLAT = 1e-3
"""A multiplier is not pinned down if the probe raises the loss, on average over the two directions, by less than
FLAT (a 3% error on one figure of weight 1): moving it by a quarter hardly changes the fit."""
CORRELATED = 0.9


class CalibrationError(ValueError):
    """A parameter to fit is unknown or not numeric, or there is nothing to fit to."""


@dataclass(frozen=True)
class Target:
    measure: str
    group: str
    year: int
    observed: float
    weight: float


@dataclass
class CalibrationOutcome:
    patterns: list[str]
    paths: dict[str, list[str]]
    multipliers: dict[str, float]
    loss: float
    loss_at_start: float
    evaluations: int
    fit: list[dict[str, Any]] = field(default_factory=list)
    """Per target: observed, simulated mean before and after."""
    flat: list[str] = field(default_factory=list)
    correlated: list[tuple[str, str, float]] = field(default_factory=list)
    overlay: dict[str, Any] = field(default_factory=dict)
    at_bound: list[str] = field(default_factory=list)
    """Multipliers that ended at a bound of BOUNDS: the data want more than the fit may give (a sign that the
    model's structure, not this parameter, is what differs)."""


def expand(scenario: Scenario, patterns: Sequence[str]) -> dict[str, list[str]]:
    """Each pattern -> the numeric parameter paths it names (itself, everything under it, or a glob)."""
    out = {}
    for pattern in patterns:
        paths = [p for p in scenario.base_params
                 if p == pattern or p.startswith(pattern + ".") or fnmatch.fnmatchcase(p, pattern)]
        paths = [p for p in paths if all(isinstance(v, int | float) and not isinstance(v, bool)
                                         for v in scenario.base_params[p].values)]
        if not paths:
            raise CalibrationError(f"--fit {pattern}: no numeric parameter of the scenario matches it "
                                   "(see `svsim params`)")
        paths = [p for p in paths if any(v != 0 for v in scenario.base_params[p].values)]  # x0 stays 0
        if not paths:
            raise CalibrationError(f"--fit {pattern}: every parameter it matches is 0, which no multiplier changes")
        out[pattern] = paths
    taken: dict[str, str] = {}
    for pattern, paths in out.items():
        for p in paths:
            if p in taken:
                raise CalibrationError(f"--fit {pattern} and --fit {taken[p]} both change {p}")
            taken[p] = pattern
    return out


def scaled(scenario: Scenario, paths: dict[str, list[str]], factors: dict[str, float]) -> Scenario:
    """`scenario` with every value under each pattern multiplied by its factor (probabilities capped at 1)."""
    changed = {}
    for pattern, ps in paths.items():
        f = factors[pattern]
        for p in ps:
            spec = scenario.specs.get(p)
            cap = 1.0 if spec is not None and getattr(spec, "kind", "") == "probability" else math.inf
            changed[p] = scenario.base_params[p].map(lambda v, f=f, cap=cap: min(v * f, cap))
    return scenario.with_base_params(changed)


def targets_for(observed: Any, start: int, until: int) -> list[Target]:
    """What the loss compares: censuses start+1..until, calendar flows start..until-1, weighted by LOSS_WEIGHTS."""
    out = []
    groups = [g for g in PLACEMENT_GROUPS if g not in OF_WHICH]
    for (measure, group), (kind, series) in _series(observed).items():
        if measure not in LOSS_WEIGHTS or (measure == "census_placement_group" and group not in groups):
            continue
        years = range(start + 1, until + 1) if kind == "census" else range(start, until)
        for y in years:
            if y in series and series[y]:
                out.append(Target(measure, group, y, float(series[y]), LOSS_WEIGHTS[measure]))
    return out


def loss(results: Sequence[ReplicationResult], targets: Sequence[Target]) -> float:
    """Weighted sum of squared relative errors of the mean over replications."""
    total = 0.0
    for t in targets:
        sims = _simulated(results, t.measure, t.group, t.year)
        if sims:
            total += t.weight * ((float(np.mean(sims)) - t.observed) / t.observed) ** 2
    return total


def _replicate(workers: int | None) -> Callable[[Scenario, int, int], list[ReplicationResult]]:
    def run(scenario: Scenario, seed: int, replications: int) -> list[ReplicationResult]:
        if workers == 1:
            from .executors import run_one

            return [run_one(scenario, seed, i) for i in range(replications)]
        from .backtest import simulate

        return simulate(scenario, replications, seed, workers=workers)
    return run


def calibrate(scenario_path: Path, observed_dir: Path, patterns: Sequence[str], until: int, workdir: Path, *,
              start: int | None = None, replications: int = 6, seed: int = 0, workers: int | None = None,
              la_name: str | None = None, max_evaluations: int = 60, identify: bool = True) -> CalibrationOutcome:
    """Fit one multiplier per pattern to the history up to `until`; the overlay to write is in `.overlay`."""
    from scipy.optimize import minimize, minimize_scalar

    start = until - 1 if start is None else start
    if start >= until:
        raise CalibrationError(f"--from {start} must be before --until {until}")
    from ..scenario.observed import third_thursday_of_january

    # inside the window the flows are observed: its first calendar year's published flows set demand and decisions,
    # and no forecast-uncertainty draw acts before the last census fitted to (module notes)
    setup = build_backtest_scenario(scenario_path, observed_dir, start, workdir, la_name, end=dt.date(until, 3, 31),
                                    flows_year=start, observed_until=third_thursday_of_january(until))
    model = setup.scenario
    paths = expand(model, patterns)
    targets = targets_for(setup.observed, start, until)
    if not targets:
        raise CalibrationError(f"no observed figures between {start} and {until} to fit to")
    run = _replicate(workers)
    names = list(paths)
    lo, hi = (math.log(b) for b in BOUNDS)
    cache: dict[tuple[float, ...], float] = {}
    kept: dict[tuple[float, ...], list[ReplicationResult]] = {}  # the start's and the best so far (fit table)

    def key_of(x: Sequence[float]) -> tuple[float, ...]:
        return tuple(round(float(v), 6) for v in np.atleast_1d(x))

    start_key = key_of([0.0] * len(names))

    def objective(x: Sequence[float]) -> float:
        key = key_of(x)
        if key not in cache:
            factors = {n: math.exp(v) for n, v in zip(names, key, strict=True)}
            results = run(scaled(model, paths, factors), seed, replications)
            cache[key] = loss(results, targets)
            best_so_far = [k for k in kept if k != start_key]
            if key == start_key:
                kept[key] = results
            elif not best_so_far or cache[key] < cache[best_so_far[0]]:
                for k in best_so_far:
                    del kept[k]
                kept[key] = results
        return cache[key]

    loss0 = objective([0.0] * len(names))
    if len(names) == 1:
        res = minimize_scalar(lambda v: objective([v]), bounds=(lo, hi), method="bounded",
                              options={"xatol": 0.01, "maxiter": max_evaluations})
        best = [float(res.x)]
    else:
        res = minimize(objective, x0=np.zeros(len(names)), method="Nelder-Mead", bounds=[(lo, hi)] * len(names),
                       options={"xatol": 0.01, "fatol": 1e-5, "maxfev": max_evaluations,
                                "initial_simplex": np.vstack([np.zeros(len(names)),
                                                             np.eye(len(names)) * math.log(1.5)])})
        best = [float(v) for v in res.x]
    best_loss = objective(best)
    if best_loss > loss0:  # never worse than where it started
        best, best_loss = [0.0] * len(names), loss0
    factors = {n: math.exp(v) for n, v in zip(names, best, strict=True)}
    before = kept[start_key]
    after = kept.get(key_of(best)) or run(scaled(model, paths, factors), seed, replications)
    h = math.log(PROBE)
    flat, curv = [], np.zeros((len(names), len(names)))
    for i, n in enumerate(names if identify else ()):
        up, down = list(best), list(best)
        up[i] += h
        down[i] -= h
        lu, ld = objective(up), objective(down)
        if (lu + ld) / 2 - best_loss < FLAT:
            flat.append(n)
        curv[i, i] = (lu + ld - 2 * best_loss) / h ** 2
    correlated = []
    for i in range(len(names) if identify else 0):
        for j in range(i + 1, len(names)):
            pp = list(best)
            pp[i] += h
            pp[j] += h
            curv[i, j] = curv[j, i] = (objective(pp) - objective([b + (h if k == i else 0) for k, b in
                                                                   enumerate(best)])
                                       - objective([b + (h if k == j else 0) for k, b in enumerate(best)])
                                       + best_loss) / h ** 2
            if curv[i, i] > 0 and curv[j, j] > 0:
                r = -curv[i, j] / math.sqrt(curv[i, i] * curv[j, j])  # correlation of the estimates
                if abs(r) >= CORRELATED:
                    correlated.append((names[i], names[j], r))
    fit = [{"measure": t.measure, "group": t.group, "year": t.year, "observed": t.observed, "weight": t.weight,
            "before": float(np.mean(_simulated(before, t.measure, t.group, t.year) or [math.nan])),
            "after": float(np.mean(_simulated(after, t.measure, t.group, t.year) or [math.nan]))} for t in targets]
    outcome = CalibrationOutcome(list(patterns), paths, factors, best_loss, loss0, len(cache), fit, flat,
                                 correlated)
    outcome.at_bound = [n for n, f in factors.items() if f <= BOUNDS[0] * 1.01 or f >= BOUNDS[1] / 1.01]
    outcome.overlay = overlay_for(scenario_path, paths, factors, setup.observed.la_name, start, until, workdir)
    return outcome


def overlay_for(scenario_path: Path, paths: dict[str, list[str]], factors: dict[str, float], la_name: str,
                start: int, until: int, out_dir: Path) -> dict[str, Any]:
    """The `extends:` overlay carrying the fitted values (the scenario's own values x the multipliers)."""
    import os

    from ..scenario.observed import _set_path

    scenario = load_scenario(scenario_path)
    tree: dict[str, Any] = {
        "extends": os.path.relpath(Path(scenario_path).resolve(), Path(out_dir).resolve()),
        "name": f"{scenario.name}-calibrated-{until}",
        "title": f"{scenario.title} (calibrated to data up to {until})",
    }
    for pattern, ps in paths.items():
        f = factors[pattern]
        for p in ps:
            series: Series = scenario.base_params[p]
            cap = 1.0 if _is_probability(scenario, p) else math.inf
            value = series.map(lambda v, f=f, cap=cap: round(min(v * f, cap), 6))
            _set_path(tree, p, {"value": value.to_yaml(), "source": (
                f"calibrated to DfE {la_name} figures up to {until} (January censuses {start + 1}-{until}, calendar "
                f"flows {start}-{until - 1}) by svsim calibrate --fit {pattern}: x{f:.3f} the value in "
                f"{Path(scenario_path).name}")})
    return tree


def _is_probability(scenario: Scenario, path: str) -> bool:
    spec = scenario.specs.get(path)
    return spec is not None and getattr(spec, "kind", "") == "probability"


def write_overlay(outcome: CalibrationOutcome, path: Path) -> None:
    header = ("# Written by `svsim calibrate`: the fitted parameters as an overlay of the scenario it extends.\n"
              f"# Multipliers: {', '.join(f'{k} x{v:.3f}' for k, v in outcome.multipliers.items())}; "
              f"loss {outcome.loss_at_start:.4f} -> {outcome.loss:.4f}.\n")
    if outcome.flat:
        header += f"# Not pinned down by the data (flat): {', '.join(outcome.flat)}\n"
    if outcome.at_bound:
        header += f"# At a bound of {BOUNDS} (the data want more): {', '.join(outcome.at_bound)}\n"
    for a, b, r in outcome.correlated:
        header += f"# Correlated: {a} and {b} (r = {r:+.2f}): only their combination is pinned down\n"
    Path(path).write_text(header + dump_yaml(outcome.overlay), encoding="utf-8")


__all__ = ["CalibrationError", "CalibrationOutcome", "HOLDOUT_FIT", "HOLDOUT_SCENARIO", "LOSS_WEIGHTS", "Target",
           "calibrate", "expand",
           "holdout", "loss", "scaled", "targets_for", "write_overlay"]


HOLDOUT_FIT = ("*.cease_probability*", "*.moves.mainstream.special")
"""What the hold-out calibrates, each an input the base set against figures the hold-out may not see: the level of
plan endings other than at the maximum age and on moving away (the cease probabilities at reviews and at phase
transfers together, set against 2022's ceased plans by reason; one multiplier keeps their split, which the 2020
total cannot pin down) and the level of the mainstream-to-special moves at reviews, Reception and Year 7 (2021-2022
recorded transfers and the May 2023 Report; one multiplier keeps their split), fitted to 2020's flows and the January
2021 census. Every input the back-test replaces comes straight from published figures before the cut-off
(svsim.scenario.observed)."""
HOLDOUT_SCENARIO = "scenarios/backtest/kent-before-2021.yaml"
"""The hold-out's starting point: the base with its other post-2020 fits put back (see the file)."""


def holdout(scenario_path: Path, observed_dir: Path, workdir: Path, *, until: int = 2021,
            fit: Sequence[str] = HOLDOUT_FIT, fit_replications: int = 4, replications: int = 8, seed: int = 0,
            workers: int | None = 1, max_evaluations: int = 25,
            identify: bool = False) -> tuple[CalibrationOutcome, dict[str, Any]]:
    """The out-of-sample test: calibrate on the data up to January `until` (census) and calendar `until`-1 (flows),
    then forecast from the January `until` census and compare every later year with what was observed."""
    import os

    from .backtest import compare, input_provenance, simulate

    workdir = Path(workdir)
    (workdir / "fit").mkdir(parents=True, exist_ok=True)
    outcome = calibrate(scenario_path, observed_dir, fit, until, workdir / "fit", replications=fit_replications,
                        seed=seed, workers=workers, max_evaluations=max_evaluations, identify=identify)
    calibrated = workdir / f"calibrated-{until}.yaml"
    outcome.overlay["extends"] = os.path.relpath(Path(scenario_path).resolve(), workdir.resolve())
    write_overlay(outcome, calibrated)
    (workdir / "forecast").mkdir(exist_ok=True)
    setup = build_backtest_scenario(calibrated, observed_dir, until, workdir / "forecast")
    results = simulate(setup.scenario, replications, seed, workers=workers)
    tables = compare(results, setup.observed, until)
    tables["inputs"] = input_provenance(setup, calibrated)
    return outcome, tables
