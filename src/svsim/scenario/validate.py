"""Checking a merged scenario tree against the schema and turning it into dated parameter series.

Every problem is collected (not raised at the first) so that a user fixes a file in one pass. Each names
the file, the key path and the line.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from .dated import Series
from .errors import Problem
from .spec import CAPACITY, CHOICE, DATE, REQUIRED, TEXT, ByKey, Custom, Param, Section, check_value
from .tree import Leaf
from .units import convert, plausibility
from .yamlio import Located

SUM_TOLERANCE = 1e-6


def suggest(word: Any, allowed: list[Any]) -> str:
    """' (did you mean 'x'?)' or a list of what is allowed."""
    texts = [str(a) for a in allowed]
    close = difflib.get_close_matches(str(word), texts, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if len(texts) <= 12:
        return "allowed: " + ", ".join(texts)
    return f"see the schema for the {len(texts)} allowed keys"


def join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


@dataclass
class Where:
    file: str
    line: int | None


class Resolver:
    """Walks the schema and the tree together. Results: params (path -> Series), sources, problems."""

    def __init__(self, window: tuple[dt.date, dt.date] | None):
        self.window = window
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.params: dict[str, Series] = {}
        self.specs: dict[str, Param] = {}
        self.groups: dict[str, tuple[ByKey, Where]] = {}
        self.sources: dict[str, str] = {}
        self.units: dict[str, str] = {}
        self.customs: dict[str, tuple[Any, Where]] = {}

    def problem(self, where: Where, path: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(where.file, path, message, line if line is not None else where.line))

    def warn(self, where: Where, path: str, message: str, line: int | None = None) -> None:
        self.warnings.append(Problem(where.file, path, message, line if line is not None else where.line))

    def plausible(self, spec: Param, value: Any, path: str, where: Where, line: int | None = None) -> bool:
        """Refuse a number outside the parameter's possible range, warn outside its usual one."""
        error, warning = plausibility(spec, value)
        if error:
            self.problem(where, path, error, line)
            return False
        if warning:
            self.warn(where, path, warning, line)
        return True

    def in_unit(self, spec: Param, leaf: Leaf, path: str, where: Where) -> tuple[Any, bool]:
        """The leaf's value converted from its `unit:` (if any) to the parameter's unit; (value, ok)."""
        raw = leaf.value
        if not leaf.unit:
            return raw, True
        if isinstance(raw, dict) and raw and all(isinstance(k, dt.date) for k in raw):
            out = Located()
            out.file, out.line = getattr(raw, "file", where.file), getattr(raw, "line", where.line)
            for d, v in raw.items():
                out[d], why = convert(v, leaf.unit, spec)
                if why:
                    self.problem(where, path, why)
                    return raw, False
                if isinstance(raw, Located):
                    out.key_lines[d] = raw.line_of(d)
            return out, True
        converted, why = convert(raw, leaf.unit, spec)
        if why:
            self.problem(where, path, why)
            return raw, False
        return converted, True

    # ---- nodes -------------------------------------------------------------------------------------------
    def node(self, spec: Any, value: Any, path: str, where: Where) -> None:
        if isinstance(spec, Section):
            self.section(spec, value, path, where)
        elif isinstance(spec, ByKey):
            self.by_key(spec, value, path, where)
        elif isinstance(spec, Param):
            self.param(spec, value, path, where)
        elif isinstance(spec, Custom):
            self.customs[path] = (value, where)

    def section(self, spec: Section, value: Any, path: str, where: Where) -> None:
        if value is None:
            value = Located()
        if not isinstance(value, Located):
            self.problem(where, path, f"expected a section with keys ({', '.join(spec.fields)}), got {_kind_of(value)}")
            return
        for key in value:
            if key not in spec.fields:
                self.problem(Where(value.file_of(key), value.line_of(key)), join(path, key),
                             f"unknown key '{key}': {suggest(key, list(spec.fields))}")
        for key, field_spec in spec.fields.items():
            child_where = Where(value.file_of(key), value.line_of(key)) if key in value else where
            if key in value:
                self.node(field_spec, value[key], join(path, key), child_where)
            else:
                self.missing(field_spec, join(path, key), where)

    def missing(self, spec: Any, path: str, where: Where) -> None:
        """Fill defaults for an absent node, or report what is required."""
        if isinstance(spec, Param):
            self.specs[path] = spec
            if spec.default is REQUIRED:
                self.problem(where, path, f"missing required key '{path.rsplit('.', 1)[-1]}': {spec.doc}")
            else:
                self.store(spec, Series.constant(self.clean_default(spec)), path, None)
        elif isinstance(spec, Section):
            for key, sub in spec.fields.items():
                self.missing(sub, join(path, key), where)
        elif isinstance(spec, ByKey):
            if spec.keys is None:
                return
            if spec.complete or _has_required(spec.item):
                self.problem(where, path, f"missing required key '{path.rsplit('.', 1)[-1]}': "
                                          f"{spec.doc or 'values for ' + ', '.join(map(str, spec.keys))}")
                return
            self.groups[path] = (spec, where)
            for key in spec.keys:
                self.missing(spec.item, join(path, key), where)
        elif isinstance(spec, Custom):
            self.customs[path] = (None, where)

    def clean_default(self, spec: Param) -> Any:
        value, _ = check_value(spec.kind, spec.default, spec.choices)
        return value

    def by_key(self, spec: ByKey, value: Any, path: str, where: Where) -> None:
        if not isinstance(value, Located):
            keys = "names of your choosing" if spec.keys is None else ", ".join(map(str, spec.keys))
            self.problem(where, path, f"expected a mapping with keys ({keys}), got {_kind_of(value)}")
            return
        self.groups[path] = (spec, where)
        for key in value:
            if spec.keys is not None and key not in spec.keys:
                self.problem(Where(value.file_of(key), value.line_of(key)), join(path, key),
                             f"unknown key '{key}': {suggest(key, list(spec.keys))}")
        keys = list(value) if spec.keys is None else list(spec.keys)
        for key in keys:
            if key in value:
                self.node(spec.item, value[key], join(path, key), Where(value.file_of(key), value.line_of(key)))
            elif spec.complete:
                self.problem(where, join(path, key), f"missing key '{key}' (every one of "
                                                     f"{', '.join(map(str, spec.keys or []))} must be given)")
            else:
                self.missing(spec.item, join(path, key), where)
        if spec.total:
            self.check_total(spec, path, where)

    def check_total(self, spec: ByKey, path: str, where: Where, because: str = "") -> None:
        members = [join(path, k) for k in (spec.keys or [])]
        series = [self.params[m] for m in members if m in self.params]
        if len(series) != len(members):
            return  # an item was invalid; already reported
        dates = sorted({d for s in series for d in s.dates})
        for d in dates:
            total = sum(s.at(d) for s in series)
            bad = abs(total - 1.0) > SUM_TOLERANCE if spec.total == "one" else total > 1.0 + SUM_TOLERANCE
            if bad:
                rule = "must sum to 1" if spec.total == "one" else "must sum to at most 1"
                when = "" if d.year <= 1900 else f" on {d.isoformat()}"
                self.problem(where, path, f"shares {rule} (±{SUM_TOLERANCE:g}); they sum to {total:.6g}{when}{because}")
                return

    def param(self, spec: Param, value: Any, path: str, where: Where) -> None:
        self.specs[path] = spec  # known even when its value is wrong, so that other references to it resolve
        if isinstance(value, Located):
            bad = [k for k in value if _looks_like_a_date(k)]
            if bad:
                self.problem(Where(value.file_of(bad[0]), value.line_of(bad[0])), path,
                             f"'{bad[0]}' is not a valid ISO date (expected YYYY-MM-DD, e.g. 2023-09-01)")
            else:
                self.problem(where, path, f"expected {self.expected(spec)}, got a mapping with keys "
                                          f"({', '.join(map(str, list(value)[:6]))})")
            return
        assert isinstance(value, Leaf)
        raw, ok = self.in_unit(spec, value, path, where)
        if not ok:
            return
        if isinstance(raw, dict) and raw and all(isinstance(k, dt.date) for k in raw):
            if not spec.dated:
                self.problem(where, path, f"expected {self.expected(spec)}; this parameter cannot change over time")
                return
            pairs = []
            for d, v in raw.items():
                line = raw.line_of(d) if isinstance(raw, Located) else where.line
                if isinstance(d, dt.datetime):
                    self.problem(where, path, f"'{d}' has a time of day; give a date like 2023-09-01", line)
                    continue
                if not self.in_window(d, path, Where(where.file, line)):
                    continue
                clean, expected = check_value(spec.kind, v, spec.choices)
                if expected:
                    self.problem(where, f"{path} ({d.isoformat()})", f"expected {expected}, got {_kind_of(v)}", line)
                    continue
                if not self.plausible(spec, clean, f"{path} ({d.isoformat()})", where, line):
                    continue
                pairs.append((d, clean))
            if len(pairs) == len(raw):
                self.store(spec, Series.from_pairs(pairs), path, value)
                self.back_filled(pairs, path, where, raw)
            return
        if isinstance(raw, dict | list):
            self.problem(where, path, f"expected {self.expected(spec)}, got {_kind_of(raw)}")
            return
        clean, expected = check_value(spec.kind, raw, spec.choices)
        if expected:
            self.problem(where, path, f"expected {expected}, got {_kind_of(raw)}")
            return
        if spec.kind == DATE and not spec.dated and path.startswith("interventions"):
            self.in_window(clean, path, where)
        if not self.plausible(spec, clean, path, where):
            return
        self.store(spec, Series.constant(clean), path, value)

    def back_filled(self, pairs: list[tuple[dt.date, Any]], path: str, where: Where, raw: Any) -> None:
        """Warn when dated values start after the simulation does: the first value then holds from the start."""
        if self.window is None or not pairs:
            return
        first_date, first_value = min(pairs, key=lambda p: p[0])
        if first_date > self.window[0]:
            line = raw.line_of(first_date) if isinstance(raw, Located) else where.line
            shown = f"{first_value:g}" if isinstance(first_value, float) else str(first_value)
            self.warn(where, path, f"the first dated value is on {first_date.isoformat()}, after the simulation "
                                   f"starts ({self.window[0].isoformat()}): {shown} also applies before it. Give a "
                                   f"value dated {self.window[0].isoformat()} to say what holds until then", line)

    def expected(self, spec: Param) -> str:
        _, text = check_value(spec.kind, object(), spec.choices)
        dated = " (or dated values {YYYY-MM-DD: value})" if spec.dated else ""
        return f"{text}{dated}"

    def in_window(self, d: dt.date, path: str, where: Where) -> bool:
        if self.window is None:
            return True
        lo, hi = self.window
        if not lo <= d <= hi:
            self.problem(where, path, f"date {d.isoformat()} is outside the simulated period "
                                      f"{lo.isoformat()} to {hi.isoformat()}")
            return False
        return True

    def store(self, spec: Param, series: Series, path: str, leaf: Leaf | None) -> None:
        self.params[path] = series
        self.specs[path] = spec
        if leaf is not None and leaf.source:
            self.sources[path] = leaf.source
        unit = (leaf.unit if leaf is not None and leaf.unit else None) or spec.unit
        if unit:
            self.units[path] = spec.unit or unit  # values are converted to the parameter's own unit


def schema_leaves(spec: Any, path: str = "") -> dict[str, Param]:
    """Every parameter path the schema defines (groups with free names, such as budget lines, have none)."""
    out: dict[str, Param] = {}
    if isinstance(spec, Param):
        out[path] = spec
    elif isinstance(spec, Section):
        for key, sub in spec.fields.items():
            out.update(schema_leaves(sub, join(path, key)))
    elif isinstance(spec, ByKey) and spec.keys is not None:
        for key in spec.keys:
            out.update(schema_leaves(spec.item, join(path, key)))
    return out


def _has_required(spec: Any) -> bool:
    if isinstance(spec, Param):
        return spec.default is REQUIRED
    if isinstance(spec, Section):
        return any(_has_required(s) for s in spec.fields.values())
    if isinstance(spec, ByKey):
        return spec.keys is not None and (spec.complete or _has_required(spec.item))
    return False


def _kind_of(value: Any) -> str:
    if isinstance(value, Leaf):
        value = value.value
    if isinstance(value, dict):
        return "dated values" if _is_dated_dict(value) else "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _looks_like_a_date(key: Any) -> bool:
    """A key meant as a date but not written as one YAML reads as a date (2023-9-1, 01/09/2023, 2023)."""
    if isinstance(key, dt.date):
        return False
    if isinstance(key, int) and not isinstance(key, bool):
        return True
    return isinstance(key, str) and key[:1].isdigit()


def _is_dated_dict(value: dict) -> bool:
    return bool(value) and all(isinstance(k, dt.date) for k in value)


NON_NUMERIC = (CHOICE, TEXT, DATE)
__all__ = ["Resolver", "Where", "schema_leaves", "suggest", "join", "SUM_TOLERANCE", "CAPACITY", "NON_NUMERIC"]
