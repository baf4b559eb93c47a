"""`--set` on the command line: what-ifs without copying a scenario file.

Forms (VALUE is read as YAML, so dated values work: `--set 'PATH={2024-04-01: 0.3}'`):
- `PATH=VALUE` replaces a parameter. PATH may name a group (`decision.refusal_probability=0.4` sets every age
  band), as interventions allow.
- `PATH*=FACTOR` scales and `PATH+=AMOUNT` shifts a parameter (or every parameter of a group) at every one of its
  dated values; 'unlimited' stays unlimited.
- A trailing `@YYYY-MM-DD` on any form changes only the values in force from that date (`PATH*=1.1@2023-04-01`):
  the closed years keep the file's values.
- `*` in PATH matches one key (`placement.new_plan_mix.*.mainstream=0.6` sets it in every age band).
- A trailing ` rebalance: KEY` on a change to shares that must sum to 1 (a placement mix) gives the difference to the
  share KEY of each mix changed, at every date, as `rebalance:` does on an intervention:
  `--set 'placement.new_plan_mix.under_5.special*=0.5 rebalance: mainstream'`.

`=` forms are merged into the scenario tree before it is checked (so they are validated like the file); `*=` and
`+=` act on the resolved values. Two warnings are collected for the terminal and the manifest: when an intervention
acts on a parameter set with `--set` from some date (the `--set` value then holds only until the intervention's
start), and when a `--set` changes a value in force in a closed financial year (one ended by
`horizon.last_observed`, whose outturn is known), which the forecast then no longer reproduces.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from .dated import Series
from .errors import Problem, ScenarioError
from .spec import NUMERIC_KINDS, ByKey, Param, Section, check_value, finite_number
from .tree import Leaf, _key, to_tree
from .validate import schema_leaves, suggest
from .yamlio import Located, parse_yaml

SOURCE = "--set"
ARITHMETIC = ("*=", "+=")


def _dated(text: str, since: dt.date) -> str:
    """An override as typed, made to act from `since`: its own `@DATE` replaced, or one added before any
    ` rebalance: KEY`."""
    import re

    if "@" in text:
        return re.sub(r"@[^\s]+", f"@{since.isoformat()}", text, count=1)
    head, sep, tail = text.partition(" rebalance:")
    return f"{head.rstrip()}@{since.isoformat()}{' ' + sep.strip() + tail if sep else ''}"


@dataclass(frozen=True)
class Override:
    text: str
    """As typed, for messages."""
    path: str
    op: str
    """'=', '*=' or '+='."""
    value: Any
    since: dt.date | None = None
    """From `@DATE`: only values in force from this date change."""
    rebalance: str | None = None
    """From ` rebalance: KEY`: the share that takes up the difference in each mix changed."""

    @property
    def on_resolved(self) -> bool:
        """Applied to the resolved values (arithmetic, from a date, or rebalanced) rather than merged into the
        tree."""
        return self.op in ARITHMETIC or self.since is not None or self.rebalance is not None

    def rebalanced(self, known: Sequence[str] | Mapping[str, Any] | None = None) -> list[tuple[str, tuple[str, ...]]]:
        """(the share taking up the difference, the other shares of its mix) for each mix this override changes."""
        if self.rebalance is None:
            return []
        changed = set(leaves_under(self.path, known))
        return [(f"{group}.{self.rebalance}", tuple(m for m in members if m != f"{group}.{self.rebalance}"))
                for group, members in share_groups().items() if changed.intersection(members)]


@cache
def _schema_leaves() -> dict[str, Param]:
    from .schema import SCHEMA

    return schema_leaves(SCHEMA)


def leaves_under(path: str, known: Sequence[str] | Mapping[str, Any] | None = None) -> list[str]:
    """The parameter paths a PATH names: itself if a parameter, else every parameter under it (a group)."""
    known = _schema_leaves() if known is None else known
    if path in known:
        return [path]
    if "*" in path:  # one key, as levers allow
        pattern = re.compile("^" + re.escape(path).replace(r"\*", r"[^.]+") + r"(\..+)?$")
        return [p for p in known if pattern.match(p)]
    prefix = path + "."
    return [p for p in known if p.startswith(prefix)]


def parse_overrides(texts: Sequence[str]) -> list[Override]:
    """Split each `PATH=VALUE` / `PATH*=X` / `PATH+=X`; raise ScenarioError listing every malformed one."""
    problems: list[Problem] = []
    out: list[Override] = []
    for text in texts:
        head, sep, raw = text.partition("=")
        op = "="
        if head.endswith(("*", "+")):
            op, head = head[-1] + "=", head[:-1]
        path = head.strip()
        since = None
        rebalance = None
        tail = _REBALANCE.search(raw)
        if tail:
            rebalance, raw = tail.group(1), raw[:tail.start()] + raw[tail.end():]
        body, at, when = raw.rpartition("@")
        if at:
            try:
                since = dt.date.fromisoformat(when.strip())
            except ValueError:
                problems.append(Problem(SOURCE, path, f"'@{when.strip()}' is not a date: write @YYYY-MM-DD"))
                continue
            raw = body
        if not sep or not path:
            problems.append(Problem(SOURCE, text, "expected PATH=VALUE, PATH*=FACTOR or PATH+=AMOUNT, e.g. "
                                                  "assessment.vacancy_rate=0.1 or assessment.officers_fte*=1.1"))
            continue
        try:
            value = parse_yaml(raw, f"--set {path}")
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if path.startswith("uncertainty.") and (op in ARITHMETIC or since is not None):
            form = op if op in ARITHMETIC else "@DATE"
            problems.append(Problem(SOURCE, path, f"{form} acts on parameters, not on an uncertainty: give it a "
                                                  f"value, e.g. --set '{path}=0.1'"))
            continue
        if since is not None and not leaves_under(path):
            problems.append(Problem(SOURCE, path, f"no parameter '{path}': {suggest(path, _prefixes())}"))
            continue
        if since is not None and op == "=" and isinstance(value, dict):
            problems.append(Problem(SOURCE, path, "with @DATE give one value (it holds from that date)"))
            continue
        if op in ARITHMETIC:
            if finite_number(value) is None:
                problems.append(Problem(SOURCE, path, f"{op} needs a number, got {raw.strip()!r}"))
                continue
            if not leaves_under(path):
                problems.append(Problem(SOURCE, path, f"no parameter '{path}': {suggest(path, _prefixes())}"))
                continue
        override = Override(text, path, op, value, since, rebalance)
        if rebalance is not None:
            why = _rebalance_problem(override, value)
            if why:
                problems.append(Problem(SOURCE, path, why))
                continue
        out.append(override)
    if problems:
        raise ScenarioError(problems)
    return out


_REBALANCE = re.compile(r"\s+rebalance\s*[:=]\s*(\S*)\s*$")
"""The ` rebalance: KEY` that may end a --set."""


def _rebalance_problem(o: Override, value: Any) -> str | None:
    """What is wrong with a --set's ` rebalance: KEY` (the messages of an intervention's `rebalance:`), or None."""
    leaves = leaves_under(o.path)
    if not o.rebalance:
        return "expected the name of a share after 'rebalance:', e.g. rebalance: mainstream"
    if not leaves:
        return f"no parameter '{o.path}': {suggest(o.path, _prefixes())}"
    if o.op == "=" and isinstance(value, Mapping):
        return "with rebalance give one value (or use *=, += or @DATE)"
    pairs = o.rebalanced()
    if not pairs:
        return ("none of the changes is a share that must sum to 1 (such as placement.new_plan_mix...): there is "
                "nothing to rebalance")
    for target, others in pairs:
        group = target.rsplit(".", 1)[0]
        if target not in share_groups()[group]:
            keys = [m.rsplit(".", 1)[1] for m in (*others,)]
            return f"'{o.rebalance}' is not a share of {group}: {suggest(o.rebalance, keys)}"
        if target in leaves:
            return f"{target} is changed by this --set, so it cannot also take up the difference"
    return None


def _prefixes() -> list[str]:
    out = set(_schema_leaves())
    for p in list(out):
        parts = p.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return sorted(out)


def _is_dated(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, dt.date) for k in value)


def override_tree(overrides: Sequence[Override]) -> Located:
    """The `=` overrides as a tree to merge over the scenario's. A group name given one value (or one set of dated
    values) is expanded to every parameter of the group."""
    root = Located()
    root.file = SOURCE
    for o in overrides:
        if o.on_resolved:
            continue
        leaves = leaves_under(o.path)
        group_value = leaves and leaves != [o.path] and not (isinstance(o.value, dict) and not _is_dated(o.value))
        for path in (leaves if group_value else [o.path]):
            _put(root, path, o.value)
    return root


def tree_keys(path: str) -> list[str]:
    """The keys a --set PATH walks in the scenario tree. Under `uncertainty:` the key is a whole parameter path
    (`uncertainty.demand.request_rate_per_10k_0_18.sigma` is the `sigma` of the entry
    `demand.request_rate_per_10k_0_18`), found as the longest parameter or group the path starts with."""
    head, _, rest = path.partition(".")
    if head != "uncertainty" or not rest:
        return path.split(".")
    named = max((p for p in _prefixes() if rest == p or rest.startswith(p + ".")), key=len, default=None)
    if named is None:
        return path.split(".")
    tail = rest[len(named) + 1:]
    return [head, named, *(tail.split(".") if tail else [])]


def settle_uncertainty(original: Located, merged: Located, overrides: Sequence[Override]) -> list[Problem]:
    """After merging the `=` overrides: a whole uncertainty entry given with --set replaces the file's (its
    distribution's arguments do not mix with the old ones), and a key of an entry the scenario does not have is
    refused by name, with the form that adds one."""
    problems: list[Problem] = []
    before = original.get("uncertainty")
    after = merged.get("uncertainty")
    for o in overrides:
        keys = tree_keys(o.path)
        if o.on_resolved or keys[0] != "uncertainty" or len(keys) < 2 or not isinstance(after, Located):
            continue
        known = isinstance(before, Located) and keys[1] in before
        if len(keys) == 2 and isinstance(o.value, Mapping):
            entry = Located()
            entry.file = SOURCE
            for k, v in o.value.items():
                entry[k] = Leaf(v, SOURCE, None)
            after[keys[1]] = entry
            after.key_files[keys[1]], after.key_lines[keys[1]] = SOURCE, None
        elif len(keys) > 2 and not known:
            problems.append(Problem(SOURCE, o.path, f"the scenario has no uncertainty on {keys[1]}, so it has no "
                                                    f"{'.'.join(keys[2:])} to change: give the whole entry, e.g. "
                                                    f"--set 'uncertainty.{keys[1]}={{distribution: lognormal, "
                                                    "median: 1, sigma: 0.1, apply: multiply}'"))
    return problems


def _put(root: Located, path: str, value: Any) -> None:
    node = root
    keys = tree_keys(path)
    for key in keys[:-1]:
        key = _key(key)
        child = node.get(key)
        if not isinstance(child, Located):
            child = Located()
            child.file = SOURCE
            node[key] = child
        node = child
    node[_key(keys[-1])] = to_tree(value, SOURCE) if isinstance(value, Located) else Leaf(value, SOURCE, None)


def apply_arithmetic(params: dict[str, Series], specs: Mapping[str, Param], sources: dict[str, str],
                     overrides: Sequence[Override]) -> tuple[set[str], list[Problem]]:
    """Apply the `*=` / `+=` and `@DATE` overrides to resolved parameters (in place, in the order given); return the
    leaves changed and the problems (a value pushed out of its range, a parameter that is not a number)."""
    problems: list[Problem] = []
    changed: set[str] = set()
    for o in overrides:
        if not o.on_resolved:
            continue
        pairs = o.rebalanced(params)
        shares_before = {p: params[p] for _, others in pairs for p in others}
        for leaf in leaves_under(o.path, params):
            spec = specs[leaf]
            if o.op in ARITHMETIC and spec.kind not in NUMERIC_KINDS:
                problems.append(Problem(SOURCE, leaf, f"{o.op} needs a number, and {leaf} is {spec.kind}"))
                break
            if not spec.dated and o.since is not None:
                problems.append(Problem(SOURCE, leaf, f"{leaf} is fixed at the start: it cannot change @{o.since}"))
                break
            if o.op == "=":
                fixed, expected = check_value(spec.kind, o.value, spec.choices)
                if expected:
                    problems.append(Problem(SOURCE, leaf, f"'{o.text}': expected {expected}"))
                    break
                new = lambda v, _f=fixed: _f  # noqa: E731
            else:
                new = _arithmetic(o.op, float(o.value))
            since = o.since
            series = params[leaf] if since is None else params[leaf].combine(
                [since], lambda day, v, _new=new, _since=since: _new(v) if day >= _since else v)
            if since is None:
                series = series.map(new)
            bad = next(((d, v) for d, v in zip(series.dates, series.values, strict=True)
                        if check_value(spec.kind, v, spec.choices)[1]), None)
            if bad is not None:
                d, v = bad
                when = "" if d.year <= 1900 else f" on {d.isoformat()}"
                problems.append(Problem(SOURCE, leaf, f"'{o.text}' makes it {v:.6g}{when}: expected "
                                                      f"{check_value(spec.kind, object(), spec.choices)[1]}"))
                break
            params[leaf] = series
            changed.add(leaf)
            sources[leaf] = f"{sources[leaf]} (then --set {o.text})" if leaf in sources else f"--set {o.text}"
        for target, others in pairs:
            problem = _take_up(params, specs, o, target, others, shares_before)
            if problem:  # one message: the mix's total is then not checked as well
                problems.append(problem)
                changed.difference_update(others)
                continue
            changed.add(target)
            sources[target] = (f"{sources[target]} (then --set {o.text})" if target in sources
                               else f"--set {o.text}")
    return changed, problems


def _take_up(params: dict[str, Series], specs: Mapping[str, Param], o: Override, target: str,
             others: tuple[str, ...], before: Mapping[str, Series]) -> Problem | None:
    """Give `target` the difference the override made to the other shares of its mix, at every date."""
    dates = sorted({d for p in others for d in (*before[p].dates, *params[p].dates)})

    def taken_up(day: dt.date, v: Any) -> Any:
        was = sum(before[p].at(day) for p in others)
        now = sum(params[p].at(day) for p in others)
        return v if was == now else round(v + was - now, 12)  # no float noise from the sums

    series = params[target].combine(dates, taken_up)
    spec = specs[target]
    bad = next(((d, v) for d, v in zip(series.dates, series.values, strict=True)
                if check_value(spec.kind, v, spec.choices)[1]), None)
    if bad is not None:
        d, v = bad
        when = "" if d.year <= 1900 else f" on {d.isoformat()}"
        return Problem(SOURCE, target, f"'{o.text}' leaves {target} {v:.6g}{when} after taking up the difference: "
                                       f"expected {check_value(spec.kind, object(), spec.choices)[1]}")
    params[target] = series
    return None


def _arithmetic(op: str, x: float) -> Any:
    def new(v: Any) -> Any:
        if isinstance(v, float) and math.isinf(v):
            return v  # unlimited stays unlimited
        return v * x if op == "*=" else v + x

    return new


def touched_leaves(overrides: Sequence[Override], params: Mapping[str, Any]) -> dict[str, str]:
    """Leaf path -> the override text that changed it (the last one wins)."""
    out: dict[str, str] = {}
    for o in overrides:
        for leaf in [*leaves_under(o.path, params), *(target for target, _ in o.rebalanced(params))]:
            out[leaf] = o.text
    return out


def closed_until(as_at: dt.date | None) -> dt.date | None:
    """The last day of the last financial year ended on or before `as_at` (None if none)."""
    if as_at is None:
        return None
    year = as_at.year if as_at >= dt.date(as_at.year, 3, 31) else as_at.year - 1
    return dt.date(year, 3, 31)


def override_warnings(overrides: Sequence[Override], before: Mapping[str, Series], after: Mapping[str, Series],
                      interventions: Sequence[Any], census_date: dt.date,
                      as_at: dt.date | None) -> list[tuple[str, str]]:
    """Plain-English warnings, as (the --set text, message): interventions acting on `--set` values, and `--set`
    changing a closed year."""
    warnings: list[tuple[str, str]] = []
    touched = touched_leaves(overrides, after)
    by_text: dict[str, list[str]] = {}
    for leaf, text in touched.items():
        by_text.setdefault(text, []).append(leaf)
    for text, leaves in by_text.items():
        for iv in interventions:
            hits = [c for c in iv.changes if c.path in leaves]
            hits += [_RebalanceHit(p) for p in getattr(iv, "rebalance_paths", ()) if p in leaves]
            if not hits:
                continue
            ops = sorted({c.op for c in hits})
            what = (f"sets {_paths(hits)} to {hits[0].amount:g}" if ops == ["set"] and isinstance(hits[0].amount,
                                                                                                  int | float)
                    else f"changes {_paths(hits)} ({'/'.join(ops)})")
            until = f" until {iv.end.isoformat()}" if iv.end else ""
            since = next((o.since for o in overrides if o.text == text), None)
            effect = ("acting on your value rather than the file's" if "set" not in ops
                      else "so your value never holds" if since is not None and since >= iv.start and not iv.end
                      else "so your value holds only outside those dates")
            warnings.append((text, f"intervention '{iv.name}' {what} from {iv.start.isoformat()}{until}, "
                            f"{effect}. To change the measure itself, patch it by name in a scenario that extends "
                            "this one (give only the keys that change), or remove it with remove_interventions."))
    closed_end = closed_until(as_at)
    if closed_end is not None and closed_end >= census_date:
        year = f"{closed_end.year - 1}-{closed_end.year % 100:02d}"
        for text, leaves in by_text.items():
            changed = [leaf for leaf in leaves if leaf in before and _differs_by(before[leaf], after[leaf],
                                                                               census_date, closed_end)]
            if changed:
                known = _schema_leaves()
                fixed = any(leaf in known and not known[leaf].dated for leaf in changed)
                how = ("it is fixed at the start, so it cannot change only later" if fixed else
                       f"to change only the future, {'give' if '@' in text else 'add'} the date it starts: --set "
                       f"'{_dated(text, closed_end + dt.timedelta(days=1))}'")
                warnings.append((text,
                    f"changes values in force up to {year}, a closed financial year (its outturn is "
                    f"observed to {as_at.isoformat()}): the forecast no longer reproduces it; {how}."))
    return warnings


@dataclass(frozen=True)
class _RebalanceHit:
    path: str
    op: str = "rebalance"
    amount: Any = None


def _paths(hits: Sequence[Any]) -> str:
    paths = sorted({c.path for c in hits})
    if len(paths) == 1:
        return paths[0]
    head = paths[0].rsplit(".", 1)[0]
    return f"{head}.* ({len(paths)} parameters)" if all(p.rsplit(".", 1)[0] == head for p in paths) else \
        f"{paths[0]} and {len(paths) - 1} more"


def _differs_by(a: Series, b: Series, first: dt.date, last: dt.date) -> bool:
    """Whether two series differ on any day from `first` to `last`."""
    points = {first} | {d for d in (*a.dates, *b.dates) if first < d <= last}
    return any(a.at(d) != b.at(d) for d in points)


@cache
def share_groups() -> dict[str, tuple[str, ...]]:
    """Group path -> member leaf paths, for every group of shares that must sum to 1 (e.g. a placement mix)."""
    from .schema import SCHEMA

    out: dict[str, tuple[str, ...]] = {}

    def walk(spec: Any, path: str) -> None:
        if isinstance(spec, Section):
            for key, sub in spec.fields.items():
                walk(sub, f"{path}.{key}" if path else str(key))
        elif isinstance(spec, ByKey) and spec.keys is not None:
            if spec.total == "one" and isinstance(spec.item, Param):
                out[path] = tuple(f"{path}.{k}" for k in spec.keys)
            for key in spec.keys:
                walk(spec.item, f"{path}.{key}")

    walk(SCHEMA, "")
    return out


__all__ = ["Override", "apply_arithmetic", "closed_until", "leaves_under", "override_tree", "override_warnings",
           "parse_overrides", "settle_uncertainty", "share_groups", "tree_keys"]
