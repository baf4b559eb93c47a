"""Reading scenario YAML safely, remembering where every key came from.

PyYAML's safe loader builds no objects, but it silently keeps the last of two duplicate keys, will
happily expand an alias bomb and lets a malformed value (`2023-02-30`, `!!float abc`) escape as a
ValueError. We refuse duplicate keys, many aliases, aliases that would expand to a huge or recursive
structure, very large or deeply nested files, and turn every other failure into a ScenarioError. The file
and line of every mapping key are recorded so that error messages can point at them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ScenarioError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 100
MAX_ALIAS_EXPANSION = 100_000
"""Nodes that aliases may add to a document once expanded (an alias bomb adds billions with few aliases)."""
MAX_DEPTH = 100
"""Deepest nesting of lists and mappings accepted (PyYAML itself recurses per level)."""
MAX_VALUES = 20_000
"""Values (scalars, lists and mappings) a file may hold: Kent's base scenario has about 2,000. PyYAML reads about
2,000 a second on a busy core, so a pasted list of 100,000 numbers (600 kB, under the size limit) took a minute to
refuse; it is now refused as soon as it is seen."""


class Located(dict):
    """A mapping that knows the file and line of each of its keys (and of itself)."""

    file: str = ""
    line: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}
        self.key_files: dict[Any, str] = {}

    def line_of(self, key: Any) -> int | None:
        return self.key_lines.get(key, self.line)

    def file_of(self, key: Any) -> str:
        return self.key_files.get(key, self.file)


class _Loader(yaml.SafeLoader):
    """Safe loader that tracks key lines, rejects duplicate keys and limits aliases."""

    def __init__(self, stream: str, filename: str):
        super().__init__(stream)
        self.filename = filename
        self.aliases_seen = 0
        self.depth = 0
        self.values = 0
        self.key_path: list[str] = []  # keys (and list positions) leading to the value being built
        self.failed_at = ""  # key_path where a value could not be built
        self.problems: list[Problem] = []

    def where(self) -> str:
        return "".join(k if k.startswith("[") or not i else f".{k}" for i, k in enumerate(self.key_path))

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_ALIASES:
                event = self.peek_event()
                raise _Refused(
                    f"more than {MAX_ALIASES} YAML aliases (*name): refusing a file that may expand without bound",
                    event.start_mark.line + 1,
                )
        self.depth += 1
        self.values += 1
        try:
            if self.values > MAX_VALUES:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(f"more than {MAX_VALUES:,} values: a scenario file is not a data file (Kent's base "
                               "scenario has about 2,000)", line)
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(f"values nested more than {MAX_DEPTH} levels deep", line)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node, deep=False):  # type: ignore[override]
        """Turn a value PyYAML cannot build (`2023-02-30`, `!!int abc`) into a located YAML error."""
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            self.failed_at = self.failed_at or self.where()
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError) as exc:
            self.failed_at = self.where()
            text = node.value if isinstance(node, yaml.ScalarNode) else node.id
            text = text if len(text) <= 60 else text[:57] + "..."
            if node.tag == "tag:yaml.org,2002:timestamp":
                detail = f" ({exc})" if isinstance(exc, ValueError) else ""
                why = f"'{text}' is not a valid date{detail}; dates are written YYYY-MM-DD, e.g. 2023-09-01"
            else:
                why = f"cannot read '{text}' as {node.tag.rsplit(':', 1)[-1]}"
            raise yaml.constructor.ConstructorError(None, None, why, node.start_mark) from None


class _Refused(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Located:
    explicit = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)
    merged = len(node.value) - explicit  # flatten_mapping puts the pairs brought in by `<<:` first
    mapping = Located()
    mapping.file = loader.filename
    mapping.line = node.start_mark.line + 1
    # Keys written in this mapping first (a repeat is an error), then keys brought in by `<<: *anchor`, which
    # the mapping's own keys override (as YAML's merge key says; of several merged mappings the first wins).
    pairs = node.value[merged:] + node.value[:merged]
    for i, (key_node, value_node) in enumerate(pairs):
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            loader.problems.append(
                Problem(loader.filename, loader.where(), "a mapping key must be a plain value", line))
            continue
        if key in mapping:
            if i >= explicit:  # brought in by a merge and overridden: not a repeat
                continue
            where = ".".join([loader.where(), str(key)]) if loader.key_path else str(key)
            loader.problems.append(Problem(
                loader.filename, where,
                f"duplicate key '{key}' (first on line {mapping.key_lines[key]}): each key may appear once", line))
            continue
        loader.key_path.append(str(key))
        try:
            mapping[key] = loader.construct_object(value_node, deep=True)
        finally:
            loader.key_path.pop()
        mapping.key_lines[key] = line
        mapping.key_files[key] = loader.filename
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Iterator[list]:
    data: list = []
    yield data
    for i, child in enumerate(node.value):
        loader.key_path.append(f"[{i}]")
        try:
            data.append(loader.construct_object(child, deep=True))
        finally:
            loader.key_path.pop()


# YAML 1.1 reads `1e9` (no dot, or no sign in the exponent) as text; people mean the number.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(path: Path, shown_as: str | None = None) -> Any:
    """Parse one YAML file into plain data with `Located` mappings; raise ScenarioError on any problem."""
    name = shown_as or str(path)
    try:
        if not path.exists():
            raise ScenarioError([Problem(name, "", "file not found")])
        if not path.is_file():
            raise ScenarioError([Problem(name, "", "not a regular file (a scenario is a .yaml file)")])
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # never more, whatever stat says (pipes, /dev/zero)
    except OSError as exc:
        raise ScenarioError([Problem(name, "", f"cannot read file: {exc.strerror or exc}")]) from None
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise ScenarioError([Problem(name, "", f"cannot read file: {exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        size = max(len(data), _size(path))
        limit = MAX_FILE_BYTES // 2**20
        message = f"file is {size / 2**20:.1f} MB; scenario files are limited to {limit} MB"
        raise ScenarioError([Problem(name, "", message)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(name, "", "file is not UTF-8 text")]) from None
    return parse_yaml(text, name)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _check_expansion(root: yaml.Node | None) -> None:
    """Refuse aliases that expand to a huge structure (an alias bomb) or to one that contains itself."""
    if root is None:
        return
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative post-order walk, each distinct node once
        node, done = stack.pop()
        key = id(node)
        if done:
            in_progress.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] - len(sizes) > MAX_ALIAS_EXPANSION:
                raise _Refused(f"YAML aliases (*name) expand to more than {MAX_ALIAS_EXPANSION:,} values: refusing "
                               "a file that may expand without bound", node.start_mark.line + 1)
            continue
        if key in sizes:
            continue
        if key in in_progress:
            raise _Refused("a YAML alias (*name) refers to a value that contains it", node.start_mark.line + 1)
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def parse_yaml(text: str, name: str) -> Any:
    """Parse YAML text (see read_yaml)."""
    try:
        loader = _Loader(text, name)  # reads the text at once: refuses control characters here
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, "", f"YAML error: {exc}".replace("\n", " "))]) from None
    try:
        node = loader.get_single_node()
        _check_expansion(node)
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise ScenarioError([Problem(name, "", str(exc), exc.line)]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid value"
        if "could not determine a constructor" in what:
            what = (f"{what.replace('could not determine a constructor for the', 'the')} is not allowed: "
                    "scenario files hold plain values (numbers, text, dates, lists and mappings)")
            what = what.replace("tag:yaml.org,2002:", "!!")
        raise ScenarioError([Problem(name, loader.failed_at, f"YAML error: {what}", line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context and exc.context_mark and exc.problem_mark \
                and exc.context_mark.line != exc.problem_mark.line:
            what += f" ({exc.context} on line {exc.context_mark.line + 1})"
        raise ScenarioError([Problem(name, "", f"YAML syntax error: {what}", line)]) from None
    except RecursionError:
        raise ScenarioError([Problem(name, "", "YAML nested too deeply")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise ScenarioError(loader.problems)
    return data
