"""Run folders written atomically, each with a manifest that records how it was made, even when it fails.

A run is built in a hidden temporary sibling (`.<name>.tmp-<pid>-<random>`) and renamed to `<name>` only when
complete; the final name is claimed with `mkdir` (which fails if it exists), so an earlier run is never overwritten
and a clash adds `-2`, `-3`, ... On an error or Ctrl-C the partial files are deleted and the folder is kept, renamed
`<name>.failed`, holding only `manifest.json` with the status and the traceback: the failure is recorded, not lost,
and nothing half-written looks like a run. Working files that are not results (`scratch()`, e.g. the replications
streamed to disk) live in the temporary folder too and are deleted before it is completed, or with it.

When even that record cannot be written (a full disk, a folder made read-only mid-run) the temporary folder is
removed, so nothing is stranded; the exception carries `svsim_record` (the .failed folder, or None) so that the
command can say where the record is without pointing at a folder that does not exist.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import __version__

MANIFEST = "manifest.json"
SCRATCH = ".scratch"
"""A run's working files (the streamed replication results): inside the temporary folder, never in the result."""
MAX_NAME_CHARS = 120
"""A run folder's name stays far below the 255 bytes file systems allow (the timestamp and suffixes come on top)."""
OUTPUT_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, getattr(errno, "EDQUOT", errno.ENOSPC),
                 errno.EIO, errno.ENOTDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.EFBIG}
"""Errors of writing the results (not of the simulation)."""


class OutputError(OSError):
    """The results cannot be written where asked: one line for the user, no traceback."""


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
    """A folder-safe form of a scenario name: letters, digits, '.', '_' and '-', never a path, at most
    MAX_NAME_CHARS characters."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:MAX_NAME_CHARS].strip(".-") or "run"


def check_parent(parent: Path) -> None:
    """Raise OutputError unless run folders can be created in `parent` (created if missing). Called before a run,
    so an unusable --out is refused before any replication."""
    parent = Path(parent)
    try:
        if parent.exists() and not parent.is_dir():
            raise OutputError(errno.ENOTDIR, f"--out {parent} is a file, not a folder")
        parent.mkdir(parents=True, exist_ok=True)
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(exc.errno or errno.EIO, f"cannot create the output folder {parent}: "
                          f"{exc.strerror or exc}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        read_only = bool(os.statvfs(parent).f_flag & os.ST_RDONLY) if hasattr(os, "statvfs") else False
        why = "a read-only file system" if read_only else "permission denied"
        raise OutputError(errno.EROFS if read_only else errno.EACCES,
                          f"cannot write in the output folder {parent}: {why}")


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
        check_parent(self.parent)
        try:
            self.path.mkdir()
            self._began = time.perf_counter()
            self.manifest.setdefault("svsim_version", __version__)
            self.manifest.setdefault("git", git_commit())
            self.manifest.setdefault("python", platform.python_version())
            self.manifest["started"] = _now()
            self.manifest["status"] = "running"
            self._write_manifest()
        except OSError as exc:
            self._discard()
            raise OutputError(exc.errno or errno.EIO, f"cannot write in {self.parent}: {exc.strerror or exc}") from None
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self.manifest["finished"] = _now()
        self.manifest["runtime_s"] = round(time.perf_counter() - self._began, 3)
        if exc is None:
            try:
                self._finish()
                return False
            except OSError as failure:  # e.g. the disk filled at the last write: record it as a failed run
                exc_type, exc, tb = type(failure), failure, failure.__traceback__
                self._record_failure(exc_type, exc, tb)
                raise OutputError(failure.errno or errno.EIO, f"could not finish the run folder: "
                                  f"{failure.strerror or failure}") from failure
        self._record_failure(exc_type, exc, tb)
        return False

    def scratch(self) -> Path:
        """A folder for the run's working files (created on first use): deleted before the folder is completed,
        and with the partial files when the run fails."""
        folder = self.path / SCRATCH
        folder.mkdir(exist_ok=True)
        return folder

    def _finish(self) -> None:
        if (self.path / SCRATCH).exists():
            shutil.rmtree(self.path / SCRATCH)  # an error here fails the run (nothing half-done looks complete)
        self.manifest["status"] = "ok"
        self.manifest["files"] = sorted(p.name for p in self.path.iterdir() if p.name != MANIFEST) + [MANIFEST]
        self._write_manifest()
        final = _claim(self.parent, self.name)
        try:
            os.replace(self.path, final)  # over the empty folder just claimed: atomic on POSIX
        except OSError:
            _remove_quietly(final)
            raise
        self.final_path = final

    def _record_failure(self, exc_type: type[BaseException] | None, exc: BaseException,
                        tb: TracebackType | None) -> None:
        """Delete the partial files, keep a `.failed` folder with the manifest; or, if that fails, nothing at all."""
        if isinstance(exc, KeyboardInterrupt):
            from ..signals import describe

            self.manifest["status"] = "interrupted"
            self.manifest["stopped_by"] = describe(exc)
        else:
            self.manifest["status"] = f"error: {type(exc).__name__}: {exc}"
        self.manifest["traceback"] = "".join(traceback.format_exception(exc_type, exc, tb))
        final: Path | None = None
        try:
            for p in self.path.iterdir():
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                elif p.name != MANIFEST:
                    p.unlink()
            self._write_manifest()
            final = _claim(self.parent, f"{self.name}.failed")
            os.replace(self.path, final)
            self.final_path = final
        except OSError as cleanup:  # never hide the original error behind a cleanup problem
            if final is not None and self.final_path is None:
                _remove_quietly(final)
            self._discard()
            self.manifest["record_error"] = str(cleanup)
        with contextlib.suppress(AttributeError):  # an exception type with __slots__ cannot carry it
            exc.svsim_record = self.final_path  # type: ignore[attr-defined] - read by the CLI's message

    def _discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2, default=str)
        tmp = self.path / f".{MANIFEST}.tmp"
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, self.path / MANIFEST)


def _remove_quietly(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


__all__ = ["MANIFEST", "OUTPUT_ERRNOS", "SCRATCH", "OutputError", "RunFolder", "check_parent", "git_commit", "run_name",
           "safe_name"]
