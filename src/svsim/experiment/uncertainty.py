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
from functools import cache
from typing import Any

import numpy as np

from ..model.rng import generator
from ..scenario import Scenario
from ..scenario.dated import Series
from ..scenario.schema import SCHEMA
from ..scenario.spec import (
    CAPACITY,
    COUNT,
    DURATION,
    INTEGER,
    MONEY,
    PROBABILITY,
    RATE,
    UPLIFT,
    WEIGHT,
    ByKey,
    Param,
    Section,
    check_value,
)
from ..scenario.targets import Uncertain

STREAM_PREFIX = "uncertainty:"
UPLIFT_FLOOR = -1.0 + 1e-6
"""An uplift must stay above -1 (a price cannot fall to nothing); clipped values land just above."""


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


def clip(kind: str, value: Any) -> Any:
    """`value` brought into the range of its kind (see the module docstring)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    v = float(value)
    if kind == CAPACITY and math.isinf(v) and v > 0:
        return value  # unlimited
    if kind == PROBABILITY:
        return min(max(v, 0.0), 1.0)
    if kind in (COUNT, CAPACITY, RATE, DURATION, MONEY, WEIGHT):
        return max(v, 0.0)
    if kind == INTEGER:
        return int(round(max(v, 0.0)))
    if kind == UPLIFT:
        return max(v, UPLIFT_FLOOR)
    return v  # signed money, real: any number


def _applied(op: str, x: float, v: Any) -> Any:
    if isinstance(v, float) and math.isinf(v):
        return v if op != "set" else x  # 'unlimited' has no scale: multiply/add leave it unlimited
    if op == "multiply":
        return v * x
    if op == "add":
        return v + x
    return x  # set


@cache
def _total_groups() -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """(group path, member leaf paths, 'one' | 'at_most_one') of every share group in the schema."""
    out: list[tuple[str, tuple[str, ...], str]] = []

    def walk(spec: Any, path: str) -> None:
        if isinstance(spec, Section):
            for key, sub in spec.fields.items():
                walk(sub, f"{path}.{key}" if path else str(key))
        elif isinstance(spec, ByKey) and spec.keys is not None:
            if spec.total and isinstance(spec.item, Param):
                out.append((path, tuple(f"{path}.{k}" for k in spec.keys), spec.total))
            for key in spec.keys:
                walk(spec.item, f"{path}.{key}")

    walk(SCHEMA, "")
    return tuple(out)


def _rebalance(params: dict[str, Series], changed: set[str]) -> None:
    """Renormalise share groups that a draw touched (in place): shares to 1, exclusive probabilities to <= 1."""
    for _, members, total in _total_groups():
        if not changed.intersection(members) or not all(m in params for m in members):
            continue
        series = [params[m] for m in members]
        dates = sorted({d for s in series for d in s.dates})
        values = {m: [] for m in members}
        for d in dates:
            row = [float(s.at(d)) for s in series]
            t = sum(row)
            if t > 1 or (total == "one" and t > 0):  # shares to exactly 1; exclusive outcomes down to 1
                row = [r / t for r in row]
            for m, r in zip(members, row, strict=True):
                values[m].append((d, r))
        for m in members:
            params[m] = Series.from_pairs(values[m])
            changed.add(m)


def draws_from(scenario: Scenario) -> dt.date:
    """The first day uncertainty draws act on: the day after `horizon.last_observed` (default: 1 January after
    the calendar year holding horizon.start, i.e. after the last complete calendar year of data)."""
    observed = scenario.value("horizon.last_observed") if "horizon.last_observed" in scenario.base_params else None
    if observed is None:
        return dt.date(scenario.start.year + 1, 1, 1)
    return observed + dt.timedelta(days=1)


def _drawn(series: Series, fn: Any, dated: bool, start: dt.date) -> Series:
    """`series` with fn applied to the values in force from `start` on (to every value if it is not dated)."""
    if not dated:
        return series.map(fn)
    return series.combine([start], lambda d, v: v if d < start else fn(v))


def apply_draws(scenario: Scenario, draws: Mapping[str, float]) -> Scenario:
    """The scenario with each uncertain path's drawn number applied to its base parameters from the first
    unobserved day on (`draws_from`), then clipped."""
    if not draws:
        return scenario
    base = scenario.base_params
    start = draws_from(scenario)
    changed: dict[str, Series] = {}
    for u in scenario.uncertainty:
        x = draws[u.path]
        for leaf in u.leaves:
            spec = scenario.specs[leaf]
            current = changed.get(leaf, base[leaf])
            fn = lambda v, _k=spec.kind, _op=u.apply, _x=x: clip(_k, _applied(_op, _x, v))  # noqa: E731
            changed[leaf] = _drawn(current, fn, spec.dated and start > scenario.census_date, start)
    touched = set(changed)
    params = {**base, **changed}
    _rebalance(params, touched)
    out = scenario.with_base_params({p: params[p] for p in touched})
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


__all__ = ["apply_draws", "clip", "draw", "draws_for", "draws_from", "scenario_for_replication", "stream_name",
           "summarise_draws"]
