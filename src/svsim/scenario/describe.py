"""The parameter catalogue in plain words, for people who will never open schema.py.

`svsim params` prints it (or writes it as CSV for a spreadsheet): every parameter path a scenario may set, what it
means, what values it takes, its default, and, for a given scenario, its value, its cited source and the
interventions that change it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from .dated import ALWAYS, Series
from .model import Scenario
from .schema import SCHEMA
from .spec import EXPECTED, REQUIRED, Param, check_value
from .validate import schema_leaves

COLUMNS = ("parameter", "meaning", "allowed", "unit", "can_change_over_time", "default", "value", "source",
           "changed_by")


def _allowed(spec: Param) -> str:
    if spec.choices:
        return "one of: " + ", ".join(spec.choices)
    return EXPECTED.get(spec.kind, spec.kind)


def _plain(value: Any) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return "unlimited"
        return f"{value:g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def format_series(series: Series) -> str:
    """'0.268', or dated values as the YAML writes them: '2022-01-20: 0.15; 2023-04-01: 0.25'."""
    if series.is_constant and series.dates[0] == ALWAYS:
        return _plain(series.first)
    return "; ".join(f"{_plain(d) if d != ALWAYS else 'start'}: {_plain(v)}"
                     for d, v in zip(series.dates, series.values, strict=True))


def parameter_rows(scenario: Scenario | None = None, match: str = "") -> list[dict[str, str]]:
    """One row per parameter (schema order), filtered to paths or meanings containing `match`."""
    specs: dict[str, Param] = dict(scenario.specs) if scenario is not None else schema_leaves(SCHEMA)
    changed: dict[str, list[str]] = {}
    if scenario is not None:
        for iv in scenario.interventions:
            for change in iv.changes:
                changed.setdefault(change.path, []).append(f"{iv.name} ({change.op} {_plain(change.amount)})")
    needle = match.lower()
    rows = []
    for path, spec in specs.items():
        if needle and needle not in path.lower() and needle not in spec.doc.lower():
            continue
        default = "" if spec.default is REQUIRED else _plain(check_value(spec.kind, spec.default, spec.choices)[0])
        row = {
            "parameter": path,
            "meaning": spec.doc,
            "allowed": _allowed(spec),
            "unit": (scenario.units.get(path, spec.unit) if scenario is not None else spec.unit) or "",
            "can_change_over_time": "yes" if spec.dated else "no",
            "default": default if spec.default is not REQUIRED else "(required)",
            "value": "",
            "source": "",
            "changed_by": "",
        }
        if scenario is not None and path in scenario.base_params:
            row["value"] = format_series(scenario.base_params[path])
            row["source"] = scenario.sources.get(path, "")
            row["changed_by"] = "; ".join(changed.get(path, []))
        rows.append(row)
    return rows
