"""Parameter uncertainty: each replication draws the scenario's `uncertainty:` distributions and runs on the result.

Why it works this way:
- Each uncertain path draws ONE number per replication from its own named stream,
  `generator(seed, replication, "uncertainty:" + path)`. So replication i draws the same factor in every
  scenario (common random numbers: a comparison sees the policy, not different luck), and adding an uncertain
  parameter never changes another's draw or the engine's streams.
- The number is applied (multiply / add / set) to every leaf under the path and to every dated value of it, in
  the BASE parameters; interventions then act on the drawn values as they act on the file's values.
- Range rule (clip, not reject): a drawn value outside its kind's range is clipped to the range, e.g. a
  probability to [0, 1], a count, rate, duration, money or weight to >= 0, an uplift to > -1; an integer is
  rounded. Rejecting (re-drawing) would change the distribution's shape silently and break the one-draw-per-stream
  rule; clipping keeps every replication and the drawn factor honest, and a distribution that clips often is
  visible in the draws. Shares that must sum to 1 (e.g. a placement mix) are renormalised after the draw;
  probabilities of exclusive outcomes that would sum above 1 are scaled down to sum to 1.
- Values produced by interventions on top of drawn values are checked too: if one leaves its range the
  replication fails with a message naming the parameter (the scenario's uncertainty and interventions disagree).
- Only the future is uncertain: a dated parameter keeps its values up to `horizon.last_observed` (the data the
  scenario is fitted to) and takes the drawn value from the next day on (`draws_from`). So the fitted history, e.g.
  Kent's closed year 2022-23, is the same path in every replication and carries no spread from the draws.
  Parameters that are not dated (the start state, the plan end age) hold for the whole run and are drawn whole, as
  is everything when the draws start on or before the census date (nothing observed to keep).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np

from ..model.rng import generator
from ..scenario import Scenario
from ..scenario.draws import UPLIFT_FLOOR, clip, draws_start, with_draws
from ..scenario.spec import check_value
from ..scenario.targets import Uncertain

STREAM_PREFIX = "uncertainty:"


def stream_name(path: str) -> str:
    """The named random stream of an uncertain path."""
    return STREAM_PREFIX + path


def draw(u: Uncertain, seed: int, replication: int) -> float:
    """The number replication `replication` draws for `u` (one draw from its own stream)."""
    rng = generator(seed, replication, stream_name(u.path))
    a = u.args
    match u.distribution:
        case "normal":
            return float(a["mean"] + a["sd"] * rng.standard_normal())
        case "lognormal":  # parametrised by its median and the sd of its log
            return float(a["median"] * math.exp(a["sigma"] * rng.standard_normal()))
        case "triangular":
            return float(rng.triangular(a["low"], a["mode"], a["high"]))
        case "uniform":
            return float(rng.uniform(a["low"], a["high"]))
        case "beta":
            return float(rng.beta(a["alpha"], a["beta"]))
    raise ValueError(f"unknown distribution '{u.distribution}'")


def draws_for(scenario: Scenario, seed: int, replication: int) -> dict[str, float]:
    """Uncertain path -> drawn number for one replication ({} without uncertainty)."""
    return {u.path: draw(u, seed, replication) for u in scenario.uncertainty}


def draws_from(scenario: Scenario) -> dt.date:
    """The first day uncertainty draws act on: the day after `horizon.last_observed` (default: 1 January after
    the calendar year holding horizon.start, i.e. after the last complete calendar year of data)."""
    observed = scenario.value("horizon.last_observed") if "horizon.last_observed" in scenario.base_params else None
    return draws_start(observed, scenario.start)


def apply_draws(scenario: Scenario, draws: Mapping[str, float]) -> Scenario:
    """The scenario with each uncertain path's drawn number applied to its base parameters from the first
    unobserved day on (`draws_from`), then clipped (the rules are in scenario/draws.py, which validation uses
    too)."""
    if not draws:
        return scenario
    changed = with_draws(scenario.base_params, scenario.specs, scenario.uncertainty, draws, draws_from(scenario),
                         scenario.census_date)
    out = scenario.with_base_params(changed)
    _check_final(out)
    return out


def _check_final(scenario: Scenario) -> None:
    """Interventions applied on top of drawn values must leave every parameter in its range."""
    paths = {leaf for u in scenario.uncertainty for leaf in u.leaves}
    paths |= {p for iv in scenario.interventions for p in iv.paths}
    for path in sorted(paths):
        spec = scenario.specs[path]
        for v in scenario.params[path].values:
            _, problem = check_value(spec.kind, v, spec.choices)
            if problem:
                raise ValueError(f"{path}: with the drawn uncertain values, the interventions give {v!r}, "
                                 f"not {problem}")


def scenario_for_replication(scenario: Scenario, seed: int, replication: int) -> Scenario:
    """The scenario replication `replication` simulates: its uncertainty drawn and applied (identity if none)."""
    if not scenario.uncertainty:
        return scenario
    return apply_draws(scenario, draws_for(scenario, seed, replication))


def summarise_draws(draws: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per uncertain path: mean, sd, min, P10, P50, P90, max of the numbers drawn (for the manifest)."""
    paths = sorted({p for d in draws for p in d})
    out = {}
    for p in paths:
        x = np.array([d[p] for d in draws if p in d], dtype=float)
        out[p] = {
            "n": int(x.size), "mean": float(x.mean()), "sd": float(x.std(ddof=1)) if x.size > 1 else 0.0,
            "min": float(x.min()), "p10": float(np.quantile(x, 0.1)), "p50": float(np.quantile(x, 0.5)),
            "p90": float(np.quantile(x, 0.9)), "max": float(x.max()),
        }
    return out


__all__ = ["UPLIFT_FLOOR", "apply_draws", "clip", "draw", "draws_for", "draws_from", "scenario_for_replication",
           "stream_name", "summarise_draws"]
