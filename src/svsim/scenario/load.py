"""Loading a scenario: read, follow `extends`, merge, validate everything, apply interventions."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

from . import checks
from .draws import draws_start, extremes, with_draws
from .errors import Problem, ScenarioError
from .interventions import apply_interventions, parse_interventions
from .model import Scenario
from .overrides import apply_arithmetic, override_tree, override_warnings, parse_overrides, settle_uncertainty
from .schema import SCHEMA
from .spec import check_value
from .targets import parse_targets, parse_uncertainty
from .tree import Leaf, load_tree, merge
from .units import plausibility
from .validate import Resolver, Where, schema_leaves
from .warnings import clipped_uncertainty, switched_off, unusual_for_size
from .yamlio import Located


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load and validate a scenario file; raise ScenarioError listing every problem found."""
    path = Path(path)
    tree, files = load_tree(path)
    shown = str(path)
    sets = parse_overrides(list(overrides))
    original = tree
    if sets:
        extra = override_tree(sets)
        if "extends" in extra:
            raise ScenarioError([Problem("--set", "extends", "--set cannot change 'extends' (the file a scenario "
                                         "extends is read before any --set): write a scenario file that extends it")])
        tree = merge(tree, extra)
        if problems := settle_uncertainty(original, tree, sets):
            raise ScenarioError(problems)
    top = Where(shown, None)
    locate = _locator(tree, shown)
    if "remove_interventions" in tree:
        raise ScenarioError([Problem(shown, "remove_interventions", "only a scenario that 'extends' another can "
                                     "remove interventions", tree.line_of("remove_interventions"))])

    # Pass 1: the dates that bound everything else.
    first = Resolver(window=None)
    first.node(SCHEMA.fields["horizon"], tree.get("horizon"), "horizon", _where(tree, "horizon", top))
    start_state = tree.get("start_state")
    census = start_state.get("census_date") if isinstance(start_state, Located) else None
    if census is not None:
        first.node(SCHEMA.fields["start_state"].fields["census_date"], census, "start_state.census_date",
                   _where(start_state, "census_date", top))
    if first.problems:
        raise ScenarioError(first.problems)
    start, end = first.params["horizon.start"].first, first.params["horizon.end"].first
    census_date = first.params["start_state.census_date"].first if census is not None else start
    problems: list[Problem] = []
    if end <= start:
        problems.append(Problem(shown, "horizon.end", f"horizon.end {end} must be after horizon.start {start}",
                                _line(tree, "horizon")))
    if census_date > start:
        problems.append(Problem(shown, "start_state.census_date",
                                f"the census date {census_date} must be on or before horizon.start {start}",
                                _line(tree, "start_state")))
    if not problems:
        problems.extend(checks.horizon_problems(start, end, census_date, locate))
    if problems:
        raise ScenarioError(problems)

    # Pass 2: everything, with dates checked against the simulated period.
    window = (census_date, end)
    r = Resolver(window)
    r.specs.update(schema_leaves(SCHEMA))  # every known path, so a bad value is not also reported as unknown
    r.node(SCHEMA, tree, "", top)
    if any(o.on_resolved for o in sets) and not r.problems:
        _apply_arithmetic(r, sets)
    customs = r.customs
    targets, p = parse_targets(*customs.get("targets", (None, top)), (start, end))
    r.problems.extend(p)
    uncertainty, p = parse_uncertainty(*customs.get("uncertainty", (None, top)), r.specs)
    r.problems.extend(p)
    items, where = customs.get("interventions", (None, top))
    interventions, p = parse_interventions(items.value if isinstance(items, Leaf) else items, where, r.specs, window)
    r.problems.extend(p)
    if not r.problems:
        _check_after_interventions(r, interventions)
    if "name" in r.params:
        r.problems.extend(checks.name_problems(r.params["name"].first, locate))
    if not r.problems:  # checks across fields, once each field is right (else they add noise)
        r.problems.extend(checks.start_state_problems(r.params, locate))
        r.problems.extend(checks.demand_problems(r.params, locate))
    if not r.problems and uncertainty and interventions:
        node, where = customs.get("uncertainty", (None, top))
        r.problems.extend(_extreme_draws(r, uncertainty, interventions, start, census_date, node, where))
    if r.problems:
        raise ScenarioError(r.problems)
    in_force = apply_interventions(r.params, r.specs, interventions) if interventions else r.params
    warnings = [*r.warnings, *clipped_uncertainty(uncertainty, r.params, r.specs, locate),
                *unusual_for_size(r.params, locate), *switched_off(in_force, window, locate)]

    meta = r.params
    text = lambda key: meta[key].first  # noqa: E731
    if sets:  # what the --set values would have been without them, for the warnings
        before = Resolver(window)
        before.node(SCHEMA, original, "", top)
        warnings += [Problem("--set", given, message)
                     for given, message in override_warnings(sets, before.params, r.params, interventions,
                                                             census_date, meta["horizon.last_observed"].first)]
    return Scenario(
        name=text("name"), title=text("title"), council=text("council"), description=text("description"),
        files=tuple((_display(f), _sha256(f)) for f in files),
        start=start, end=end, census_date=census_date,
        base_params=MappingProxyType(dict(r.params)), specs=MappingProxyType(dict(r.specs)),
        targets=targets, interventions=tuple(interventions), uncertainty=tuple(uncertainty),
        sources=MappingProxyType(dict(r.sources)), units=MappingProxyType(dict(r.units)),
        warnings=tuple(warnings),
    )


def _apply_arithmetic(r: Resolver, sets: list) -> None:
    """`PATH*=X` / `PATH+=X` on the resolved values, then shares re-checked."""
    changed, problems = apply_arithmetic(r.params, r.specs, r.sources, sets)
    r.problems.extend(problems)
    for group, (spec, _where) in r.groups.items():
        if spec.total and any(p.startswith(group + ".") for p in changed):
            r.check_total(spec, group, Where("--set", None), because=" after --set")


def _check_after_interventions(r: Resolver, interventions: list) -> None:
    """Values pushed out of range by interventions (a probability above 1, shares off 1) are errors too."""
    if not interventions:
        return
    after = apply_interventions(r.params, r.specs, interventions)
    touched: dict[str, list[str]] = {}
    for iv in interventions:
        for path in iv.paths:
            touched.setdefault(path, []).append(iv.name)
    by_name = {iv.name: iv for iv in interventions}
    for path, names in touched.items():
        spec = r.specs[path]
        for d, v in zip(after[path].dates, after[path].values, strict=True):
            _, expected = check_value(spec.kind, v, spec.choices)
            why = f"expected {expected}" if expected else plausibility(spec, v)[0]
            if why:
                # Blame the last intervention in force on that date (the one whose change produced the value).
                culprit = [n for n in names if by_name[n].start <= d < by_name[n].until] or names
                iv = by_name[culprit[-1]]
                shown = f"{v:.6g}" if isinstance(v, float) else repr(v)
                r.problems.append(Problem(iv.file, f"interventions[{iv.name}]",
                                          f"makes {path} {shown} on {d.isoformat()}: {why}", iv.line))
                break
    before = r.params
    r.params = dict(after)
    for group, (spec, _where) in r.groups.items():
        if spec.total and any(p.startswith(group + ".") for p in touched):
            names = [n for p, ns in touched.items() if p.startswith(group + ".") for n in ns]
            names = list(dict.fromkeys(names))
            iv = by_name[names[-1]]
            r.check_total(spec, group, Where(iv.file, iv.line),
                          because=f" after intervention {', '.join(sorted(names))}")
    r.params = before


def _extreme_draws(r: Resolver, uncertainty: list, interventions: list, start: dt.date, census_date: dt.date,
                   node: object, where: Where) -> list[Problem]:
    """The run applies each replication's draws, then the interventions, and fails if a value leaves its range:
    try the ends of every distribution (alone, then all low and all high) here, so `validate` refuses it first."""
    observed = r.params.get("horizon.last_observed")
    begin = draws_start(observed.first if observed is not None else None, start)
    ends = [extremes(u) for u in uncertainty]
    trials = [([u], {u.path: x}) for u, pair in zip(uncertainty, ends, strict=True) for x in pair]
    trials += [(uncertainty, {u.path: pair[i] for u, pair in zip(uncertainty, ends, strict=True)}) for i in (0, 1)]
    paths = sorted({p for iv in interventions for p in iv.paths})
    for chosen, draws in trials:
        changed = with_draws(r.params, r.specs, chosen, draws, begin, census_date)
        if not set(changed) & set(paths):  # the interventions act on nothing drawn
            continue
        after = apply_interventions({**r.params, **changed}, r.specs, interventions)
        for path in paths:
            spec = r.specs[path]
            for d, v in zip(after[path].dates, after[path].values, strict=True):
                _, expected = check_value(spec.kind, v, spec.choices)
                if expected:
                    u = chosen[0] if len(chosen) == 1 else next(
                        (c for c in chosen if path in c.leaves), chosen[0])
                    line = node.line_of(u.path) if isinstance(node, Located) else where.line
                    file = node.file_of(u.path) if isinstance(node, Located) else where.file
                    names = ", ".join(f"'{iv.name}'" for iv in interventions if path in iv.paths)
                    drawn = ", ".join(f"{c.path} = {draws[c.path]:.4g}" for c in chosen)
                    shown = f"{v:.6g}" if isinstance(v, float) else repr(v)
                    return [Problem(file, f"uncertainty.{u.path}",
                                    f"a draw at the end of its range ({drawn}) then intervention {names} makes {path} "
                                    f"{shown} on {d.isoformat()}, not {expected}: every replication drawing near "
                                    "there would fail; narrow the distribution or change the intervention", line)]
    return []


def _locator(tree: Located, shown: str) -> checks.Locate:
    """path -> (file, line) of the deepest key of `path` written in the merged tree."""
    def locate(path: str) -> tuple[str, int | None]:
        node: object = tree
        file, line = shown, None
        for part in path.split("."):
            key = int(part) if part.isdigit() else part
            if not isinstance(node, Located) or key not in node:
                break
            file, line = node.file_of(key) or file, node.line_of(key)
            node = node[key]
            node = node if isinstance(node, Located) else getattr(node, "value", None)
        return file, line
    return locate


def _where(node: Located, key: str, fallback: Where) -> Where:
    return Where(node.file_of(key), node.line_of(key)) if isinstance(node, Located) and key in node else fallback


def _line(node: Located, key: str) -> int | None:
    return node.line_of(key) if isinstance(node, Located) else None


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


__all__ = ["load_scenario", "ScenarioError"]
