"""Run folders written atomically, each with a manifest that records how it was made, even when it fails.

A run is built in a hidden temporary sibling (`.<name>.tmp-<pid>-<random>`) and renamed to `<name>` only when
complete; the final name is claimed with `mkdir` (which fails if it exists), so an earlier run is never overwritten
and a clash adds `-2`, `-3`, ... On an error or Ctrl-C the partial files are deleted and the folder is kept, renamed
`<name>.failed`, holding only `manifest.json` with the status and the traceback: the failure is recorded, not lost,
and nothing half-written looks like a run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import __version__

MANIFEST = "manifest.json"


def git_commit(where: Path | None = None) -> dict[str, Any] | None:
    """The checkout's commit (and whether tracked files have changed), or None when git cannot say."""
    cwd = where or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
                                cwd=cwd, capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "tracked_files_modified": bool(status.strip())} if commit else None


def safe_name(name: str) -> str:
    """A folder-safe form of a scenario name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-") or "run"


def run_name(scenario_name: str, when: dt.datetime | None = None) -> str:
    """`<scenario name>-<YYYYmmdd-HHMMSS>`."""
    return f"{safe_name(scenario_name)}-{(when or dt.datetime.now()).strftime('%Y%m%d-%H%M%S')}"


def _claim(parent: Path, name: str) -> Path:
    """Create and return an empty folder `name`, `name-2`, ... that did not exist before."""
    k = 1
    while True:
        candidate = parent / (name if k == 1 else f"{name}-{k}")
        try:
            candidate.mkdir()
        except FileExistsError:
            k += 1
            continue
        return candidate


class RunFolder:
    """Context manager: write into `.path` while running; renamed to its final name on success.

    ```
    with RunFolder(parent, name, manifest={...}) as run:
        (run.path / "deficit.csv").write_text(...)
    run.final_path  # the finished folder
    ```
    """

    def __init__(self, parent: Path, name: str, manifest: dict[str, Any] | None = None) -> None:
        self.parent = Path(parent)
        self.name = name
        self.manifest: dict[str, Any] = dict(manifest or {})
        self.path: Path = self.parent / f".{name}.tmp-{os.getpid()}-{secrets.token_hex(3)}"
        self.final_path: Path | None = None
        self._began = 0.0

    def __enter__(self) -> RunFolder:
        self.parent.mkdir(parents=True, exist_ok=True)
        self.path.mkdir()
        self._began = time.perf_counter()
        self.manifest.setdefault("svsim_version", __version__)
        self.manifest.setdefault("git", git_commit())
        self.manifest.setdefault("python", platform.python_version())
        self.manifest["started"] = _now()
        self.manifest["status"] = "running"
        self._write_manifest()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self.manifest["finished"] = _now()
        self.manifest["runtime_s"] = round(time.perf_counter() - self._began, 3)
        if exc is None:
            self.manifest["status"] = "ok"
            self.manifest["files"] = sorted(p.name for p in self.path.iterdir() if p.name != MANIFEST) + [MANIFEST]
            self._write_manifest()
            final = _claim(self.parent, self.name)
            os.replace(self.path, final)  # over the empty folder just claimed: atomic on POSIX
            self.final_path = final
            return False
        if isinstance(exc, KeyboardInterrupt):
            self.manifest["status"] = "interrupted"
        else:
            self.manifest["status"] = f"error: {type(exc).__name__}: {exc}"
        self.manifest["traceback"] = "".join(traceback.format_exception(exc_type, exc, tb))
        try:
            for p in self.path.iterdir():
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink()
            self._write_manifest()
            final = _claim(self.parent, f"{self.name}.failed")
            os.replace(self.path, final)
            self.final_path = final
        except OSError as cleanup:  # never hide the original error behind a cleanup problem
            print(f"svsim: could not record the failed run in {self.path}: {cleanup}", file=sys.stderr)
        return False

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2, default=str)
        tmp = self.path / f".{MANIFEST}.tmp"
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, self.path / MANIFEST)


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


__all__ = ["MANIFEST", "RunFolder", "git_commit", "run_name", "safe_name"]
