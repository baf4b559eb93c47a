"""Capacity interventions that never bind: places added that no child needed during the intervention's span.

Why: a new special school saves money only when its places are used by children who would otherwise wait or go to
an independent school. If the setting never fills even without the new places, the intervention does nothing in
this run, and its £0 saving is a fact about demand, not about the school. The run says so instead of leaving the
reader to find out.

Rule, per intervention that changes `placement.capacity.<setting>`, over the months that start inside its span
(start to end, or to the end of the run): it *binds* if, in any replication, a child was refused a place in the
setting in one of those months (History flow `refused_<setting>`), or the setting's occupancy at a month's start
(level `occupied_<setting>`) exceeded the places it would have had without the intervention. Otherwise it never
binds, and `capacity_warnings` returns a sentence saying so. Month-start levels can miss a peak inside a month;
the refusals cannot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..domain import CAPPED_SETTINGS
from ..scenario import Scenario
from .replications import ReplicationResult


def capacity_warnings(scenario: Scenario, results: Sequence[ReplicationResult]) -> list[str]:
    """A warning for each capacity intervention that never binds in `results` (see the module notes)."""
    if not results:
        return []
    first = results[0]
    if not all(f"occupied_{s}" in first.monthly_levels for s in CAPPED_SETTINGS):
        return []  # Histories made without the levels (e.g. synthetic ones): nothing to say
    months = first.month_starts
    names = [iv.name for iv in scenario.interventions]
    out = []
    for iv in scenario.interventions:
        for setting in CAPPED_SETTINGS:
            path = f"placement.capacity.{setting}"
            if path not in iv.paths:
                continue
            span = [k for k, m in enumerate(months) if iv.start <= m < iv.until]
            if not span:
                continue
            without = scenario.with_interventions([n for n in names if n != iv.name]).series(path)
            places = [float(without.at(months[k])) for k in span]
            def binds(r: ReplicationResult) -> bool:
                refused = r.monthly_flows.get(f"refused_{setting}")  # noqa: B023 - used at once
                if refused is not None and float(refused[span].sum()) > 0:  # noqa: B023
                    return True
                occupied = r.monthly_levels[f"occupied_{setting}"]  # noqa: B023
                return any(not math.isinf(p) and occupied[k] > p for k, p in zip(span, places, strict=True))  # noqa: B023

            if not any(binds(r) for r in results):
                out.append(
                    f"capacity intervention '{iv.name}' never binds: from {months[span[0]]} to {months[span[-1]]} "
                    f"no child was refused a {setting} place and {setting} never held more children than the "
                    f"places it would have had without it ({_in(len(results))}), so its places change nothing in "
                    "this run")
    return out


def _in(n: int) -> str:
    return "in the one replication" if n == 1 else f"in any of {n} replications"


__all__ = ["capacity_warnings"]
