"""Sweeps: a grid of one or two levers, every point on the same replications (common random numbers), giving by
financial year the median accumulated deficit, its P10-P90 range and the probability of being within the profile.

`--vary PATH=LOW:HIGH:STEP` sets the lever to each value; `--vary PATH*=LOW:HIGH:STEP` scales it. Levers act as
in `solve` (experiment/variants.py): after every intervention, from the first open financial year.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..scenario import Scenario
from .variants import Design, Lever, parse_lever, run_points, with_lead_in

MAX_POINTS = 400


@dataclass(frozen=True)
class Vary:
    path: str
    scale: bool
    values: tuple[float, ...]


def parse_vary(text: str) -> Vary:
    """`PATH=LOW:HIGH:STEP` or `PATH*=LOW:HIGH:STEP`; ValueError with a readable message."""
    head, sep, body = text.partition("=")
    scale = head.endswith("*")
    path = head.rstrip("*").strip()
    parts = body.split(":")
    if not sep or not path or len(parts) != 3:
        raise ValueError(f"expected PATH=LOW:HIGH:STEP (or PATH*=LOW:HIGH:STEP to scale), got {text!r}")
    try:
        low, high, step = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"LOW, HIGH and STEP must be numbers, got {body!r}") from None
    if not (step > 0 and high >= low):
        raise ValueError(f"need STEP > 0 and HIGH >= LOW, got {body!r}")
    n = int(math.floor((high - low) / step + 1e-9)) + 1
    if n > MAX_POINTS:
        raise ValueError(f"{n} values for {path}: at most {MAX_POINTS}")
    values = tuple(round(low + i * step, 12) for i in range(n))
    return Vary(path, scale, values)


@dataclass(frozen=True)
class SweepResult:
    levers: tuple[Lever, ...]
    points: np.ndarray
    """[point, lever] values."""
    deficits: np.ndarray
    """[point, replication, year], £m."""
    years: tuple[int, ...]
    profile: np.ndarray
    replications: int
    seed: int

    @property
    def runs(self) -> int:
        return int(self.deficits.shape[0] * self.deficits.shape[1])


def levers_for(scenario: Scenario, varies: Sequence[Vary]) -> tuple[Lever, ...]:
    """Each --vary as a lever whose range is its values (ValueError if a value is out of the valid range)."""
    from .variants import with_lever_value

    out = []
    for v in varies:
        lever = parse_lever(scenario, v.path, scale=v.scale)
        lever = Lever(lever.path, lever.scale, lever.since, lever.leaves, min(v.values), max(v.values), lever.current)
        for value in (lever.low, lever.high):
            with_lever_value(scenario, lever, value)
        out.append(lever)
    return tuple(out)


def run_sweep(scenario: Scenario, varies: Sequence[Vary], *, replications: int = 20, seed: int = 0,
              workers: int | None = None, executor: str = "local", scheduler: str | None = None,
              progress: Callable[[int, int], None] | None = None, lead_in: bool = True) -> SweepResult:
    """Every grid point on replications 0..n-1; with `lead_in` each replication's simulation up to where the
    levers act is run once per worker and the grid's points resume from it (model/snapshot.py: the same numbers)."""
    if not 1 <= len(varies) <= 2:
        raise ValueError("a sweep varies one or two levers")
    levers = levers_for(scenario, varies)
    points = np.array(list(itertools.product(*(v.values for v in varies))), dtype=float)
    design = Design(scenario, seed, levers=levers)
    if lead_in:
        design = with_lead_in(design)
    deficits = run_points(design, points, replications, workers=workers, executor=executor, scheduler=scheduler,
                          progress=progress)
    return SweepResult(levers, points, deficits, tuple(design.years), design.profile, replications, seed)


def sweep_table(result: SweepResult) -> Any:
    """Tidy: one row per grid point and financial year."""
    import pandas as pd

    from ..domain import financial_year_label

    rows = []
    for k, values in enumerate(result.points):
        for j, fy in enumerate(result.years):
            d = result.deficits[k, :, j]
            profile = result.profile[j]
            rows.append({
                **{lever.label: float(v) for lever, v in zip(result.levers, values, strict=True)},
                "financial_year": financial_year_label(fy), "profile_gbp_m": profile,
                "median_gbp_m": float(np.median(d)), "p10_gbp_m": float(np.quantile(d, 0.1)),
                "p90_gbp_m": float(np.quantile(d, 0.9)), "mean_gbp_m": float(d.mean()),
                "p_within_profile": math.nan if math.isnan(profile) else float((d <= profile).mean()),
                "replications": result.replications,
            })
    return pd.DataFrame(rows)


__all__ = ["SweepResult", "Vary", "levers_for", "parse_vary", "run_sweep", "sweep_table"]
