"""Warnings: things a scenario may do but a user should hear about. Shown in the terminal, kept in the manifest.

Each function returns Problems (file, key path, line, message) that `load_scenario` stores in
`Scenario.warnings`; none of them stops a run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence

from .checks import Locate
from .dated import Series
from .draws import extremes
from .errors import Problem
from .spec import Param, check_value
from .targets import Uncertain
from .units import plausibility


def clipped_uncertainty(uncertainty: Sequence[Uncertain], params: Mapping[str, Series],
                        specs: Mapping[str, Param], locate: Locate) -> list[Problem]:
    """Uncertainty whose draws can take a parameter out of its range: those draws are clipped, not used as drawn."""
    out = []
    for u in uncertainty:
        lo, hi = extremes(u)
        for leaf in u.leaves:
            spec, series = specs[leaf], params.get(leaf)
            if series is None:
                continue
            bad = implausible = None
            for v in series.values:
                if not isinstance(v, int | float) or math.isinf(v):
                    continue
                for x in (lo, hi):
                    y = v * x if u.apply == "multiply" else v + x if u.apply == "add" else x
                    if check_value(spec.kind, y, spec.choices)[1]:
                        bad = y
                        break
                    if implausible is None and plausibility(spec, y)[0]:
                        implausible = y
                if bad is not None:
                    break
            file, line = locate(f"uncertainty.{u.path}")
            if bad is not None:
                out.append(Problem(file, f"uncertainty.{u.path}", f"some draws give {leaf} {bad:.4g}, outside its "
                                   "range: such draws are clipped to the range (see the draws in the manifest)", line))
                break
            if implausible is not None:  # used as drawn: say so, as the file would be refused with that value
                why = plausibility(spec, implausible)[0]
                message = (f"some draws are impossible for {leaf}: {why}; the distribution is probably too wide (such "
                           "draws are used as drawn, not clipped)")
                out.append(Problem(file, f"uncertainty.{u.path}", message, line))
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


def switched_off(params: Mapping[str, Series], window: tuple[dt.date, dt.date], locate: Locate) -> list[Problem]:
    """A zero that switches off a whole part of the system (no requests, no assessment capacity, no High Needs
    allocation): allowed, as a what-if, but never silent, because the run then looks like a policy success."""
    out = []
    start, end = window

    def first_zero(paths: Sequence[str], value: Callable[[dt.date], float]) -> dt.date | None:
        if not all(p in params for p in paths):
            return None
        days = sorted({start, *(d for p in paths for d in params[p].dates if start <= d <= end)})
        return next((d for d in days if value(d) == 0), None)

    at = lambda path, d: float(params[path].at(d))  # noqa: E731
    demand = ("population.age_0_18", "demand.request_rate_per_10k_0_18")
    day = first_zero(demand, lambda d: at(demand[0], d) * at(demand[1], d))
    if day is not None:
        path = demand[0] if at(demand[0], day) == 0 else demand[1]
        out.append(_warning(locate, path, f"0 from {day.isoformat()}: no new requests for an assessment (and so "
                            "no new plans) from then on; the caseload only shrinks"))
    capacity = ("assessment.officers_fte", "assessment.vacancy_rate", "assessment.surge_officers_fte",
                "assessment.assessments_per_officer")
    day = first_zero(capacity, lambda d: (at(capacity[0], d) * (1 - at(capacity[1], d)) + at(capacity[2], d))
                     * at(capacity[3], d))
    if day is not None:
        out.append(_warning(locate, "assessment", f"no assessment capacity from {day.isoformat()} (filled officer "
                            "posts plus surge officers, times assessments_per_officer, is 0): no assessment is "
                            "worked on, so no new plan is issued from then on"))
    hnb = "income.hnb_allocation_gbp_m"
    day = first_zero((hnb,), lambda d: at(hnb, d))
    if day is not None:
        out.append(_warning(locate, hnb, f"0 from {day.isoformat()}: the High Needs Block then has no income, so "
                            "all its spend is deficit"))
    return out


def _warning(locate: Locate, path: str, message: str) -> Problem:
    file, line = locate(path)
    return Problem(file, path, message, line)


__all__ = ["clipped_uncertainty", "switched_off", "unusual_for_size"]
