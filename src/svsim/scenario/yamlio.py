"""Reading scenario YAML safely, remembering where every key came from.

PyYAML's safe loader builds no objects, but it silently keeps the last of two duplicate keys and will
happily expand an alias bomb. We refuse both, refuse very large files, and record the file and line of
every mapping key so that error messages can point at them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ScenarioError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 100


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
        self.problems: list[Problem] = []

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_ALIASES:
                event = self.peek_event()
                raise _Refused(
                    f"more than {MAX_ALIASES} YAML aliases (*name): refusing a file that may expand without bound",
                    event.start_mark.line + 1,
                )
        return super().compose_node(parent, index)


class _Refused(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Located:
    loader.flatten_mapping(node)
    mapping = Located()
    mapping.file = loader.filename
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            loader.problems.append(
                Problem(loader.filename, "", "a mapping key must be a plain value", key_node.start_mark.line + 1)
            )
            continue
        line = key_node.start_mark.line + 1
        if key in mapping:
            loader.problems.append(
                Problem(
                    loader.filename,
                    str(key),
                    f"duplicate key '{key}' (first on line {mapping.key_lines[key]}): each key may appear once",
                    line,
                )
            )
            continue
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
        mapping.key_files[key] = loader.filename
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, shown_as: str | None = None) -> Any:
    """Parse one YAML file into plain data with `Located` mappings; raise ScenarioError on any problem."""
    name = shown_as or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ScenarioError([Problem(name, "", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(name, "", f"cannot read file: {exc.strerror}")]) from None
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            [Problem(name, "", f"file is {size / 1e6:.1f} MB; scenario files are limited to {MAX_FILE_BYTES // 2**20} MB")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(name, "", "file is not UTF-8 text")]) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> Any:
    """Parse YAML text (see read_yaml)."""
    loader = _Loader(text, name)
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        raise ScenarioError([Problem(name, "", str(exc), exc.line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError([Problem(name, "", f"YAML syntax error: {what}", line)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise ScenarioError(loader.problems)
    return data
