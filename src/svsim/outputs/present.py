"""What people read, built from a finished folder's files alone: charts, report.html and svsim.xlsx.

`write_presentation(folder)` reads the CSV tables and manifest.json a run (or a comparison) wrote, draws the charts
and writes `report.html` and `svsim.xlsx`. `svsim run` and `svsim compare` call it before their folder is renamed
into place; `svsim report FOLDER` calls it again on a finished folder (nothing is simulated), e.g. after an
upgrade of svsim. Any CSV in the folder that this module does not know (e.g. flows.csv from another part of
svsim) is carried into the workbook as its own sheet and listed in the report, so new tables need no change here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .run_folder import MANIFEST

RUN_TABLES = ("deficit", "census", "kpis", "spend", "placements", "monthly", "assumptions")
COMPARE_TABLES = ("differences", "attribution", "headline")
SKIPPED = ("replications",)
"""Tables too long for a report (kept as CSV only)."""


@dataclass
class FolderData:
    """A finished folder's tables (by CSV stem) and manifest."""

    folder: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """'compare' for a comparison's folder, else 'run'."""
        return "compare" if "differences" in self.tables else "run"

    @property
    def extra(self) -> dict[str, pd.DataFrame]:
        """Tables this module has no special place for (shown as they are)."""
        known = set(RUN_TABLES) | set(COMPARE_TABLES) | set(SKIPPED)
        return {k: v for k, v in self.tables.items() if k not in known}


def load_folder(folder: Path, manifest: dict[str, Any] | None = None) -> FolderData:
    """Read the folder's manifest (unless given) and every CSV in it except the per-replication record."""
    folder = Path(folder)
    if manifest is None:
        path = folder / MANIFEST
        if not path.is_file():
            raise FileNotFoundError(f"{folder} has no {MANIFEST}: not a svsim run or comparison folder")
        manifest = json.loads(path.read_text(encoding="utf-8"))
    data = FolderData(folder, manifest)
    for csv in sorted(folder.glob("*.csv")):
        if csv.stem in SKIPPED or csv.name.startswith("."):
            continue
        try:
            data.tables[csv.stem] = pd.read_csv(csv, keep_default_na=True)
        except pd.errors.EmptyDataError:
            data.tables[csv.stem] = pd.DataFrame()
    return data


def _write_atomic(path: Path, write: Any) -> None:
    """Write via a temporary sibling and rename, so a rebuilt file is never left half-written."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_presentation(folder: Path, manifest: dict[str, Any] | None = None) -> list[str]:
    """Draw the charts, then write report.html and svsim.xlsx into `folder`; returns the files written."""
    from .report import write_report
    from .workbook import write_workbook

    data = load_folder(folder, manifest)
    written: list[str] = []
    if data.kind == "run":
        from . import charts

        title = (data.manifest.get("scenario") or {}).get("title") or ""
        written += charts.write_charts(Path(folder), data.tables, title)
    else:
        written += [name for name in data.manifest.get("charts", []) if (Path(folder) / name).is_file()]
    data.manifest.setdefault("charts", written)
    _write_atomic(Path(folder) / "report.html", lambda p: write_report(data, p, charts=written))
    _write_atomic(Path(folder) / "svsim.xlsx", lambda p: write_workbook(data, p))
    return [*written, "report.html", "svsim.xlsx"]


__all__ = ["FolderData", "load_folder", "write_presentation"]
