"""Interventions: named, dated changes to parameters, applied to a copy of the base parameters.

Semantics (also in the README):
- A change applies from `start` (inclusive) to `end` (exclusive; no end = to the end of the horizon).
  After `end` the parameter returns to what it would have been without the intervention.
- `set`, `multiply` or `add` act on the value the parameter has at each date (so a base that changes over
  time keeps changing under a `multiply`).
- `ramp_months: n` phases the change in linearly in monthly steps: a fraction k/n of the full change
  applies from `start + (k-1) months`, k = 1..n, so the full change holds from `start + (n-1) months`.
- Two interventions that change the same parameter over overlapping dates are an error unless both give
  `order:`; then they apply in ascending order, each to the result of the one before.
- A ramp between 'unlimited' and a number has no middle: the value stays as it was until the ramp's last
  step, when the full change applies.
- `rebalance: mainstream` on an intervention that changes shares which must sum to 1 (a placement mix): in each
  such group it changes, the named share takes up the difference at every date (so the user does not work out
  what the other shares become).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .dated import Series
from .errors import Problem
from .schema import CHANGE_OPS, INTERVENTION_KEYS
from .spec import NUMERIC_KINDS, Param, check_value, finite_number
from .validate import Where, suggest
from .yamlio import Located

END_OF_TIME = dt.date(9999, 12, 31)
MAX_RAMP_MONTHS = 600


@dataclass(frozen=True)
class Change:
    path: str  # a parameter path (a leaf)
    op: str  # set | multiply | add
    amount: Any
    line: int | None


@dataclass(frozen=True)
class Intervention:
    name: str
    condition: int | None
    description: str
    source: str
    start: dt.date
    end: dt.date | None
    ramp_months: int
    order: int | None
    changes: tuple[Change, ...]
    file: str
    line: int | None
    rebalance: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    """For each share group changed: (the shares that take up the difference, in proportion to their size; the
    other shares of the group)."""

    @property
    def until(self) -> dt.date:
        return self.end or END_OF_TIME

    @property
    def rebalance_paths(self) -> tuple[str, ...]:
        return tuple(t for takers, _ in self.rebalance for t in takers)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every parameter the intervention changes (rebalanced shares included)."""
        return tuple(c.path for c in self.changes) + self.rebalance_paths


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    last = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30,
            31, 31, 30, 31, 30, 31][month - 1]
    return dt.date(year, month, min(day.day, last))


def parse_interventions(
    items: Any, where: Where, specs: Mapping[str, Param], window: tuple[dt.date, dt.date]
) -> tuple[list[Intervention], list[Problem]]:
    """Validate the `interventions:` list against the known parameters."""
    problems: list[Problem] = []
    out: list[Intervention] = []
    if items is None:
        return out, problems
    if not isinstance(items, list):
        return out, [Problem(where.file, "interventions", "expected a list of interventions (- name: ...)", where.line)]
    seen: dict[str, int | None] = {}
    for i, item in enumerate(items):
        path = f"interventions[{i}]"
        if not isinstance(item, Located):
            problems.append(Problem(where.file, path, "expected a mapping with name, start and changes", where.line))
            continue
        here = Where(item.file or where.file, item.line)
        start_count = len(problems)
        name = item.get("name")
        named = isinstance(name, str) and bool(name.strip())
        if named:
            path = f"interventions[{name}]"

        def bad(key: str, message: str, _item: Located = item, _path: str = path) -> None:
            problems.append(Problem(_item.file_of(key) or where.file, f"{_path}.{key}" if key else _path, message,
                                    _item.line_of(key)))

        if not named:
            bad("name", "every intervention needs a name (text)")
            name = f"#{i}"
        elif name in seen:
            bad("name", f"two interventions are named '{name}' (the first on line {seen[name]})")
        else:
            seen[name] = item.line_of("name")
        for key in item:
            if key not in INTERVENTION_KEYS:
                bad(key, f"unknown key '{key}': {suggest(key, list(INTERVENTION_KEYS))}")
        condition = item.get("condition")
        if condition is not None and (isinstance(condition, bool) or not isinstance(condition, int)
                                      or not 1 <= condition <= 9):
            bad("condition", f"expected a Safety Valve condition number from 1 to 9, got {_shown(condition)}")
        start, end = item.get("start"), item.get("end")
        lo, hi = window
        for key, d in (("start", start), ("end", end)):
            if d is None:
                if key == "start":
                    bad("start", "missing required key 'start': the date the intervention takes effect")
                continue
            if not _is_date(d):
                bad(key, f"expected an ISO date like 2023-09-01, got {_shown(d)}")
            elif not lo <= d <= hi:
                bad(key, f"date {d.isoformat()} is outside the simulated period {lo.isoformat()} to {hi.isoformat()}")
        if _is_date(start) and _is_date(end) and end <= start:
            bad("end", f"end {end.isoformat()} must be after start {start.isoformat()}")
        ramp = item.get("ramp_months", 0)
        if isinstance(ramp, bool) or not isinstance(ramp, int) or not 0 <= ramp <= MAX_RAMP_MONTHS:
            bad("ramp_months", f"expected a whole number of months from 0 to {MAX_RAMP_MONTHS}, got {_shown(ramp)}")
        order = item.get("order")
        if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
            bad("order", f"expected a whole number, got {_shown(order)}")
        for key in ("description", "source"):
            if key in item and not isinstance(item[key], str):
                bad(key, "expected text")
        changes = _parse_changes(item, path, specs, ramp, problems, where)
        rebalance = _parse_rebalance(item, changes, specs, bad) if "rebalance" in item else ()
        if len(problems) == start_count:
            out.append(Intervention(
                name=name, condition=condition, description=item.get("description", ""),
                source=item.get("source", ""), start=start, end=end, ramp_months=ramp, order=order,
                changes=tuple(changes), file=here.file, line=here.line, rebalance=rebalance,
            ))
    if not problems:
        problems.extend(_conflicts(out))
    return out, problems


def _parse_changes(item: Located, path: str, specs: Mapping[str, Param], ramp: Any,
                   problems: list[Problem], where: Where) -> list[Change]:
    changes = item.get("changes")
    file = item.file_of("changes") or where.file
    if not isinstance(changes, Located) or not changes:
        problems.append(Problem(file, f"{path}.changes",
                                "expected a mapping of parameter paths to {set|multiply|add: value}",
                                item.line_of("changes")))
        return []
    out = []
    changed: dict[str, Any] = {}  # leaf -> the target that changed it
    for target, op_map in changes.items():
        line = changes.line_of(target)
        cpath = f"{path}.changes.{target}"
        leaves = _leaves_under(str(target), specs)
        if not leaves:
            problems.append(Problem(file, cpath, f"no parameter '{target}': {suggest(target, _prefixes(specs))}", line))
            continue
        if not isinstance(op_map, dict) or len(op_map) != 1:
            problems.append(Problem(file, cpath, "expected exactly one of set, multiply or add, e.g. {multiply: 0.9}",
                                    line))
            continue
        (op, amount), = op_map.items()
        if op not in CHANGE_OPS:
            problems.append(Problem(file, cpath, f"unknown change '{op}': {suggest(op, list(CHANGE_OPS))}", line))
            continue
        twice = [leaf for leaf in leaves if leaf in changed]
        if twice:
            problems.append(Problem(file, cpath, f"changes {twice[0]} again (already changed by '{changed[twice[0]]}' "
                                                 "in this intervention): change each parameter once", line))
            continue
        changed.update((leaf, target) for leaf in leaves)
        for leaf in leaves:
            spec = specs[leaf]
            if not spec.dated:
                problems.append(Problem(file, cpath, f"'{leaf}' is fixed at the start and cannot be changed by an "
                                                     "intervention", line))
                break
            numeric = spec.kind in NUMERIC_KINDS
            if op != "set" and not numeric:
                problems.append(Problem(file, cpath, f"'{leaf}' is not a number: only 'set' can change it", line))
                break
            if op == "set":
                _, expected = check_value(spec.kind, amount, spec.choices)
                if expected:
                    problems.append(Problem(file, cpath, f"set: expected {expected}, got {_shown(amount)}", line))
                    break
                if not numeric and isinstance(ramp, int) and ramp > 0:
                    problems.append(Problem(file, cpath, "a ramp cannot phase in a non-numeric value", line))
                    break
            elif finite_number(amount) is None:
                problems.append(Problem(file, cpath, f"{op}: expected a number, got {_shown(amount)}", line))
                break
            out.append(Change(leaf, op, check_value(spec.kind, amount, spec.choices)[0] if op == "set" else
                              finite_number(amount), line))
    return out


def _parse_rebalance(item: Located, changes: list[Change], specs: Mapping[str, Param],
                     bad: Any) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """`rebalance: KEY`: in every share group the changes touch, KEY's share takes up the difference."""
    from .overrides import share_groups

    key = item.get("rebalance")
    if not isinstance(key, str):
        bad("rebalance", f"expected the name of a share, e.g. mainstream, got {_shown(key)}")
        return ()
    changed = {c.path for c in changes}
    out = []
    for group, members in share_groups().items():
        if not changed.intersection(members):
            continue
        target = f"{group}.{key}"
        if target not in members:
            keys = [m.rsplit(".", 1)[1] for m in members]
            bad("rebalance", f"'{key}' is not a share of {group}: {suggest(key, keys)}")
            return ()
        if target in changed:
            bad("rebalance", f"{target} is changed by this intervention, so it cannot also take up the difference")
            return ()
        out.append(((target,), tuple(m for m in members if m != target and m in specs)))
    if not out and changes:
        bad("rebalance", "none of the changes is a share that must sum to 1 (such as placement.new_plan_mix...): "
                         "there is nothing to rebalance")
    return tuple(out)


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _leaves_under(target: str, specs: Mapping[str, Param]) -> list[str]:
    if target in specs:
        return [target]
    prefix = target + "."
    return [p for p in specs if p.startswith(prefix)]


def _prefixes(specs: Mapping[str, Param]) -> list[str]:
    out = set(specs)
    for p in specs:
        parts = p.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return sorted(out)


def _conflicts(interventions: list[Intervention]) -> list[Problem]:
    problems = []
    for i, a in enumerate(interventions):
        for b in interventions[i + 1:]:
            if not (a.start < b.until and b.start < a.until):
                continue
            shared = sorted(set(a.paths) & set(b.paths))
            if not shared:
                continue
            if a.order is None or b.order is None or a.order == b.order:
                problems.append(Problem(
                    b.file, f"interventions[{b.name}]",
                    f"changes {shared[0]}{' and others' if len(shared) > 1 else ''} over dates that overlap "
                    f"'{a.name}': give both an 'order:' (different whole numbers) to say which applies first",
                    b.line))
    return problems


def _weight_steps(iv: Intervention) -> list[tuple[dt.date, float]]:
    """(date, share of the full change) steps, ending with 0 at `end`."""
    n = iv.ramp_months
    steps = [(iv.start, 1.0)] if n <= 1 else [(add_months(iv.start, k), (k + 1) / n) for k in range(n)]
    if iv.end is not None:
        steps = [(d, w) for d, w in steps if d < iv.end] + [(iv.end, 0.0)]
    return steps


def _weight_at(steps: list[tuple[dt.date, float]], day: dt.date) -> float:
    w = 0.0
    for d, v in steps:
        if d <= day:
            w = v
    return w


def apply_interventions(
    params: Mapping[str, Series], specs: Mapping[str, Param], interventions: list[Intervention]
) -> dict[str, Series]:
    """A new parameter mapping with the interventions applied; `params` is not modified."""
    out = dict(params)
    ordered = sorted(enumerate(interventions), key=lambda p: (p[1].order if p[1].order is not None else 0, p[0]))
    for _, iv in ordered:
        steps = _weight_steps(iv)
        before_shares = {p: out[p] for _, others in iv.rebalance for p in others}
        for change in iv.changes:
            before = out[change.path]
            numeric = specs[change.path].kind in NUMERIC_KINDS

            def value(day: dt.date, v: Any, _c: Change = change, _numeric: bool = numeric,
                      _steps: list = steps) -> Any:
                w = _weight_at(_steps, day)
                if w == 0.0:
                    return v
                target = {"set": lambda x: _c.amount, "multiply": lambda x: x * _c.amount,
                          "add": lambda x: x + _c.amount}[_c.op](v)
                if not _numeric or w == 1.0 or target == v:
                    return target
                # Part way through a ramp. Phasing between 'unlimited' and a number has no middle: the
                # value stays where it was until the change is complete.
                if math.isinf(v) or math.isinf(target):
                    return v
                return v + w * (target - v)

            out[change.path] = before.combine([d for d, _ in steps], value)
        for takers, others in iv.rebalance:
            dates = {d for p in others for d in (*before_shares[p].dates, *out[p].dates)}
            dates |= {d for t in takers for d in out[t].dates}
            old = {t: out[t] for t in takers}
            for t in takers:

                def taken_up(day: dt.date, v: Any, _others: tuple[str, ...] = others,
                             _before: dict[str, Series] = before_shares, _old: dict[str, Series] = old) -> Any:
                    was = sum(_before[p].at(day) for p in _others)
                    now = sum(out[p].at(day) for p in _others)
                    if was == now:
                        return v
                    total = sum(s.at(day) for s in _old.values())
                    share = v / total if total > 0 else 1 / len(_old)
                    return round(v + (was - now) * share, 12)  # no float noise from the sums

                out[t] = out[t].combine(dates, taken_up)
    return out
