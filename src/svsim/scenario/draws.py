"""Applying uncertainty draws to parameters: the pure rules, shared by the run (experiment.uncertainty) and by
validation, which checks a scenario's extreme draws before any run (so a draw that the interventions push out of
range is refused by `validate`, not found by a replication halfway through a run).

See experiment/uncertainty.py for why draws work this way (one draw per stream, clip rather than reject, only the
future drawn).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from .dated import Series
from .schema import SCHEMA
from .spec import (
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
)
from .targets import Uncertain

UPLIFT_FLOOR = -1.0 + 1e-6
"""An uplift must stay above -1 (a price cannot fall to nothing); clipped values land just above."""


def clip(kind: str, value: Any) -> Any:
    """`value` brought into the range of its kind (see experiment/uncertainty.py)."""
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


def applied(op: str, x: float, v: Any) -> Any:
    if isinstance(v, float) and math.isinf(v):
        return v if op != "set" else x  # 'unlimited' has no scale: multiply/add leave it unlimited
    if op == "multiply":
        return v * x
    if op == "add":
        return v + x
    return x  # set


@cache
def total_groups() -> tuple[tuple[str, tuple[str, ...], str], ...]:
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


def rebalance(params: dict[str, Series], changed: set[str]) -> None:
    """Renormalise share groups that a draw touched (in place): shares to 1, exclusive probabilities to <= 1."""
    for _, members, total in total_groups():
        if not changed.intersection(members) or not all(m in params for m in members):
            continue
        series = [params[m] for m in members]
        dates = sorted({d for s in series for d in s.dates})
        values: dict[str, list[tuple[dt.date, float]]] = {m: [] for m in members}
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


def drawn(series: Series, fn: Any, dated: bool, start: dt.date) -> Series:
    """`series` with fn applied to the values in force from `start` on (to every value if it is not dated)."""
    if not dated:
        return series.map(fn)
    return series.combine([start], lambda d, v: v if d < start else fn(v))


def draws_start(last_observed: dt.date | None, horizon_start: dt.date) -> dt.date:
    """The first day uncertainty draws act on: the day after `horizon.last_observed` (default: 1 January after
    the calendar year holding horizon.start, i.e. after the last complete calendar year of data)."""
    if last_observed is None:
        return dt.date(horizon_start.year + 1, 1, 1)
    return last_observed + dt.timedelta(days=1)


def with_draws(base: Mapping[str, Series], specs: Mapping[str, Param], uncertainty: Sequence[Uncertain],
               draws: Mapping[str, float], start: dt.date, census_date: dt.date) -> dict[str, Series]:
    """The base parameters each draw changes (path -> new series): applied from `start` on, clipped, share groups
    renormalised."""
    changed: dict[str, Series] = {}
    for u in uncertainty:
        x = draws[u.path]
        for leaf in u.leaves:
            spec = specs[leaf]
            current = changed.get(leaf, base[leaf])
            fn = lambda v, _k=spec.kind, _op=u.apply, _x=x: clip(_k, applied(_op, _x, v))  # noqa: E731
            changed[leaf] = drawn(current, fn, spec.dated and start > census_date, start)
    touched = set(changed)
    params = {**base, **changed}
    rebalance(params, touched)
    return {p: params[p] for p in touched}


def extremes(u: Uncertain) -> tuple[float, float]:
    """Where nearly all draws fall (99.99% for the unbounded distributions)."""
    a = u.args
    z = 3.9
    match u.distribution:
        case "normal":
            return a["mean"] - z * a["sd"], a["mean"] + z * a["sd"]
        case "lognormal":
            return a["median"] * math.exp(-z * a["sigma"]), a["median"] * math.exp(z * a["sigma"])
        case "triangular" | "uniform":
            return a["low"], a["high"]
        case _:  # beta
            return 0.0, 1.0


__all__ = ["UPLIFT_FLOOR", "applied", "clip", "draws_start", "drawn", "extremes", "rebalance", "total_groups",
           "with_draws"]
