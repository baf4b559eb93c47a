"""One `svsim run`: replications -> tables -> a complete run folder (CSV, charts, resolved scenario, manifest)."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..experiment.replications import Replicate, ReplicationResult, run_replications
from ..scenario import Scenario
from .run_folder import RunFolder, run_name
from .tables import census_table, deficit_table, kpi_table, placements_table, replications_table, spend_table

FLOAT_FORMAT = "%.10g"
"""CSV numbers: ten significant figures (full precision for money and shares, without float noise)."""


@dataclass(frozen=True)
class RunOutcome:
    folder: Path
    tables: dict[str, pd.DataFrame]
    results: list[ReplicationResult]

    @property
    def deficit(self) -> pd.DataFrame:
        return self.tables["deficit"]


def build_tables(scenario: Scenario, results: Sequence[ReplicationResult]) -> dict[str, pd.DataFrame]:
    """Every table of a run, by file stem."""
    return {
        "deficit": deficit_table(scenario, results),
        "census": census_table(scenario, results),
        "kpis": kpi_table(scenario, results),
        "spend": spend_table(scenario, results),
        "placements": placements_table(results),
        "replications": replications_table(results),
    }


def execute_run(
    scenario: Scenario,
    *,
    replications: int = 1,
    seed: int = 0,
    out: Path = Path("results"),
    command: Sequence[str] | None = None,
    overrides: Sequence[str] = (),
    replicate: Replicate | None = None,
    progress: Callable[[ReplicationResult, int, int], None] | None = None,
    charts: bool = True,
) -> RunOutcome:
    """Run the replications and write a new run folder under `out`; on failure the folder records the error."""
    manifest: dict[str, Any] = {
        "command": list(command if command is not None else sys.argv),
        "scenario": {
            "name": scenario.name,
            "title": scenario.title,
            "files": [{"path": path, "sha256": sha} for path, sha in scenario.files],
            "fingerprint": scenario.fingerprint,
            "overrides": list(overrides),
            "interventions": [iv.name for iv in scenario.interventions],
        },
        "seed": seed,
        "replications": replications,
    }
    with RunFolder(out, run_name(scenario.name), manifest) as run:
        results = run_replications(scenario, replications, seed, replicate=replicate, progress=progress)
        run.manifest["replication_runtimes_s"] = [round(r.runtime_s, 3) for r in results]
        tables = build_tables(scenario, results)
        for stem, table in tables.items():
            table.to_csv(run.path / f"{stem}.csv", index=False, float_format=FLOAT_FORMAT)
        (run.path / "scenario.resolved.yaml").write_text(scenario.to_yaml(), encoding="utf-8")
        if charts:
            from .charts import write_charts

            write_charts(run.path, tables["deficit"], tables["census"], tables["placements"], scenario.title)
        deficit = tables["deficit"]
        run.manifest["headline"] = {
            row.financial_year: {
                "profile": None if math.isnan(row.sv_profile_gbp_m) else row.sv_profile_gbp_m,
                "forecast": round(row.accumulated_deficit_gbp_m, 2),
                "rag": row.rag,
            }
            for row in deficit.itertuples()
        }
    assert run.final_path is not None
    return RunOutcome(run.final_path, tables, results)


__all__ = ["RunOutcome", "build_tables", "execute_run"]
