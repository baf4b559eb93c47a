"""Scenario files as trees: reading, `extends` chains and deep merge, with provenance kept on every leaf.

A *leaf* is anything that is replaced whole when a child scenario overrides it: a plain value, a list, a
mapping of dates to values, or a `{value: ..., source: ...}` block. Metadata on a block (source, unit,
note) is pushed down to every leaf inside it, so a child that overrides one leaf does not inherit a
citation that no longer applies. Other mappings merge key by key.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Problem, ScenarioError
from .yamlio import Located, read_yaml

META_KEYS = ("source", "unit", "note")
MAX_EXTENDS_DEPTH = 20
SCENARIO_SUFFIXES = (".yaml", ".yml")
"""`extends` reads only scenario files, so that an error message never shows another kind of file's content."""
EXTENDS_ROOT_ENV = "SVSIM_EXTENDS_ROOT"
"""If set (e.g. on a shared server), every file a scenario extends must lie under this folder."""


def _resolve(path: Path, shown: str, key: str = "", line: int | None = None) -> Path:
    """path.resolve(), with a symlink loop or an unreadable name as a ScenarioError."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        why = "a symbolic link loop" if "loop" in str(exc).lower() or getattr(exc, "errno", 0) == 40 else str(exc)
        raise ScenarioError([Problem(shown, key, f"cannot follow the path: {why}", line)]) from None


def _extends_problem(parent_path: Path, written: str) -> str | None:
    """Why `parent_path` may not be extended, or None."""
    if parent_path.suffix.lower() not in SCENARIO_SUFFIXES:
        return f"'{written}' is not a scenario file: extends reads only .yaml or .yml files"
    root = os.environ.get(EXTENDS_ROOT_ENV)
    if root:
        try:
            parent_path.relative_to(Path(root).resolve())
        except ValueError:
            return f"'{written}' is outside {root} ({EXTENDS_ROOT_ENV}): scenarios may extend only files under it"
    return None


@dataclass(frozen=True)
class Leaf:
    """A value with where it came from and, optionally, its cited source."""

    value: Any
    file: str
    line: int | None
    source: str | None = None
    unit: str | None = None
    note: str | None = None


def _is_dated(mapping: dict) -> bool:
    return bool(mapping) and all(isinstance(k, dt.date) for k in mapping)


def _is_wrapper(mapping: dict) -> bool:
    return "value" in mapping and all(k == "value" or k in META_KEYS for k in mapping)


def to_tree(data: Any, file: str, line: int | None = None, meta: dict | None = None) -> Any:
    """Turn parsed YAML into containers (Located) and Leafs."""
    meta = meta or {}
    if isinstance(data, Located) and _is_wrapper(data):
        inner_meta = {**meta, **{k: data[k] for k in META_KEYS if k in data}}
        return to_tree(data["value"], file, data.line_of("value"), inner_meta)
    if isinstance(data, Located) and not _is_dated(data):
        out = Located()
        out.file, out.line = data.file or file, data.line
        for key, value in data.items():
            out[key] = to_tree(value, data.file_of(key), data.line_of(key), meta)
            out.key_lines[key] = data.line_of(key)
            out.key_files[key] = data.file_of(key)
        return out
    return Leaf(data, file, line, **{k: (str(v) if v is not None else None) for k, v in meta.items()})


def merge(base: Any, over: Any) -> Any:
    """Deep merge: containers merge key by key, anything else in `over` replaces `base`."""
    if not (isinstance(base, Located) and isinstance(over, Located)):
        return over
    out = Located()
    out.file, out.line = over.file, over.line
    for src in (base, over):
        for key in src:
            out.key_lines[key] = src.line_of(key)
            out.key_files[key] = src.file_of(key)
    for key in base:
        out[key] = base[key]
    for key in over:
        out[key] = merge(base[key], over[key]) if key in base else over[key]
    return out


def _merge_scenarios(base: Located, over: Located) -> Located:
    """Merge a child scenario over its parent; interventions merge by name, `remove_interventions` drops."""
    problems: list[Problem] = []
    inherited = _intervention_items(base.get("interventions"))
    removals = over.get("remove_interventions")
    if removals is not None:
        names = removals.value if isinstance(removals, Leaf) else None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(Problem(over.file_of("remove_interventions"), "remove_interventions",
                                    "expected a list of intervention names", over.line_of("remove_interventions")))
        else:
            known = {n for n in map(_item_name, inherited) if n is not None}
            for n in names:
                if n not in known:
                    problems.append(Problem(
                        over.file_of("remove_interventions"), "remove_interventions",
                        f"no inherited intervention is named '{n}' (inherited: {', '.join(sorted(known)) or 'none'})",
                        over.line_of("remove_interventions")))
            inherited = [i for i in inherited if _item_name(i) not in names]
    if problems:
        raise ScenarioError(problems)
    own = _intervention_items(over.get("interventions"))
    # An intervention with an inherited name replaces it where it stood; new ones follow.
    own_by_name = {_item_name(i): i for i in own if _item_name(i) is not None}
    combined, placed = [], set()
    for item in inherited:
        replacement = own_by_name.get(_item_name(item))
        if replacement is not None:
            placed.add(id(replacement))
            if isinstance(replacement, Located) and isinstance(item, Located) and "changes" not in replacement:
                replacement = _patched(item, replacement)
        combined.append(item if replacement is None else replacement)
    combined += [i for i in own if id(i) not in placed]

    child = Located(over)
    child.file, child.line = over.file, over.line
    child.key_lines, child.key_files = dict(over.key_lines), dict(over.key_files)
    child.pop("remove_interventions", None)
    child.pop("interventions", None)
    merged = merge(base, child)
    merged.pop("extends", None)
    own_node = over.get("interventions")
    if "interventions" in over and not (isinstance(own_node, Leaf) and isinstance(own_node.value, list | None)):
        merged["interventions"] = own_node  # not a list: kept as written, so that validation reports it
        merged.key_lines["interventions"] = over.line_of("interventions")
        merged.key_files["interventions"] = over.file_of("interventions")
    elif combined or "interventions" in base or "interventions" in over:
        src = over if "interventions" in over else base
        merged["interventions"] = Leaf(combined, src.file_of("interventions"), src.line_of("interventions"))
        merged.key_lines["interventions"] = src.line_of("interventions")
        merged.key_files["interventions"] = src.file_of("interventions")
    return merged


def _patched(inherited: Located, patch: Located) -> Located:
    """An inherited intervention with only the keys a child gives changed (a child item without `changes:` patches
    rather than replaces: e.g. `- {name: statutory-decisions, order: 1}`). Keeps its name, so `compare` can still
    attribute savings to it."""
    out = Located(inherited)
    out.file, out.line = patch.file or inherited.file, patch.line
    out.key_lines, out.key_files = dict(inherited.key_lines), dict(inherited.key_files)
    for key, value in patch.items():
        out[key] = value
        out.key_lines[key] = patch.line_of(key)
        out.key_files[key] = patch.file_of(key)
    return out


def _intervention_items(node: Any) -> list:
    if isinstance(node, Leaf) and isinstance(node.value, list):
        return list(node.value)
    return []


def _item_name(item: Any) -> str | None:
    name = item.get("name") if isinstance(item, dict) else None
    return name if isinstance(name, str) else None  # anything else is reported when the list is validated


def load_tree(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[Located, list[Path]]:
    """Read a scenario and everything it extends; return the merged tree and the files read (root first)."""
    shown = str(path) if not _chain else _display(path)
    resolved = _resolve(path, shown)
    path = resolved if _chain else path
    data = read_yaml(path, shown)
    if not isinstance(data, Located):
        raise ScenarioError([Problem(shown, "", "a scenario file must be a mapping of keys to values (got "
                                     f"{type(data).__name__ if data is not None else 'an empty file'})")])
    tree = to_tree(data, shown)
    parent = tree.get("extends")
    if parent is None:
        return tree, [resolved]
    if not isinstance(parent, Leaf) or not isinstance(parent.value, str) or not parent.value.strip():
        raise ScenarioError([Problem(shown, "extends", "expected the path of a scenario file",
                                     tree.line_of("extends"))])
    line = tree.line_of("extends")
    parent_path = _resolve(resolved.parent / parent.value, shown, "extends", line)
    try:
        exists, is_file = parent_path.exists(), parent_path.is_file()
    except (OSError, ValueError):  # a name the system cannot look up (too long, a NUL byte)
        exists = is_file = False
    if not exists:
        raise ScenarioError([Problem(shown, "extends", f"the file it extends does not exist: {parent.value} "
                                     f"(looked for {parent_path})", line)])
    if not is_file:
        raise ScenarioError([Problem(shown, "extends", f"'{parent.value}' is not a file ({parent_path})", line)])
    refused = _extends_problem(parent_path, parent.value)
    if refused:
        raise ScenarioError([Problem(shown, "extends", refused, line)])
    chain = (*_chain, resolved)
    if parent_path in chain:
        cycle = " -> ".join(_display(p) for p in (*chain, parent_path))
        raise ScenarioError([Problem(shown, "extends", f"'extends' makes a cycle: {cycle}", line)])
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise ScenarioError([Problem(shown, "extends", f"'extends' chain deeper than {MAX_EXTENDS_DEPTH} files",
                                     line)])
    base, files = load_tree(parent_path, chain)
    return _merge_scenarios(base, tree), [*files, resolved]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _key(text: str) -> Any:
    """Path segments that are whole numbers address integer keys (single years of age)."""
    return int(text) if text.isdigit() else text
