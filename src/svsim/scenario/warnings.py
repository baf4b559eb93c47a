"""Warnings: things a scenario may do but a user should hear about. Shown in the terminal, kept in the manifest.

Each function returns Problems (file, key path, line, message) that `load_scenario` stores in
`Scenario.warnings`; none of them stops a run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .checks import Locate
from .dated import Series
from .errors import Problem
from .spec import Param, check_value
from .targets import Uncertain


def _extremes(u: Uncertain) -> tuple[float, float]:
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


def clipped_uncertainty(uncertainty: Sequence[Uncertain], params: Mapping[str, Series],
                        specs: Mapping[str, Param], locate: Locate) -> list[Problem]:
    """Uncertainty whose draws can take a parameter out of its range: those draws are clipped, not used as drawn."""
    out = []
    for u in uncertainty:
        lo, hi = _extremes(u)
        for leaf in u.leaves:
            spec, series = specs[leaf], params.get(leaf)
            if series is None:
                continue
            bad = None
            for v in series.values:
                if not isinstance(v, int | float) or math.isinf(v):
                    continue
                for x in (lo, hi):
                    y = v * x if u.apply == "multiply" else v + x if u.apply == "add" else x
                    if check_value(spec.kind, y, spec.choices)[1]:
                        bad = y
                        break
                if bad is not None:
                    break
            if bad is not None:
                file, line = locate(f"uncertainty.{u.path}")
                out.append(Problem(file, f"uncertainty.{u.path}", f"some draws give {leaf} {bad:.4g}, outside its "
                                   "range: such draws are clipped to the range (see the draws in the manifest)", line))
                break
    return out


HNB_PER_CHILD_GBP = (150.0, 5_000.0)
"""High Needs Block allocation per resident aged 0-18 seen in England (about £700 in Kent, 2022-23): outside it the
allocation and the population are probably in different units or for different areas."""


def unusual_for_size(params: Mapping[str, Series], locate: Locate) -> list[Problem]:
    """Money that does not fit the council's size (the population aged 0-18)."""
    hnb, pop = params.get("income.hnb_allocation_gbp_m"), params.get("population.age_0_18")
    if hnb is None or pop is None or not pop.first:
        return []
    per_child = hnb.first * 1e6 / pop.first
    lo, hi = HNB_PER_CHILD_GBP
    if lo <= per_child <= hi or hnb.first == 0:
        return []
    file, line = locate("income.hnb_allocation_gbp_m")
    return [Problem(file, "income.hnb_allocation_gbp_m", f"£{per_child:,.0f} per resident aged 0-18 "
                    f"(£{hnb.first:g}m for {pop.first:,.0f}) is unusual (£{lo:,.0f} to £{hi:,.0f} in England): "
                    "check the allocation's unit (£m) and the population", line)]


__all__ = ["clipped_uncertainty", "unusual_for_size"]
