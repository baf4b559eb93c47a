"""Many councils in one command: a starting scenario for each (svsim.scenario.init), its replications run in
parallel (a process pool, or a dask cluster with one council per task), a results folder per council written by
the ordinary run writer, and one summary table.

    svsim councils --observed data/dfe --out results/councils --all --executor dask --scheduler tcp://host:8786

A council whose figures are missing is listed in the summary with the reason instead of stopping the others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..experiment.replications import ReplicationResult
from ..scenario import Scenario


def council_results(run: tuple[int, int], scenario: Scenario) -> list[ReplicationResult]:
    """One council's replications, one after another: a task for `executors.map_tasks` (payload
    (replications, seed), item the council's scenario)."""
    from ..experiment.replications import run_one

    replications, seed = run
    return [run_one(scenario, seed, i) for i in range(replications)]


def _map(scenarios: list[Scenario], replications: int, seed: int, executor: str, workers: int | None,
         scheduler: str | None) -> list[list[ReplicationResult]]:
    """Every council's results, one task per council, on local processes or dask (the same numbers either way)."""
    from ..experiment.executors import map_tasks

    if not scenarios:
        return []
    return map_tasks(council_results, (replications, seed), scenarios, workers=workers, executor=executor,
                     scheduler=scheduler)


def run_councils(names: Sequence[str], observed_dir: Path, template: Path, out: Path, *, replications: int = 1,
                 seed: int = 0, executor: str = "local", workers: int | None = None, scheduler: str | None = None,
                 charts: bool = False) -> pd.DataFrame:
    """Build, run and write every council; return (and write to out/summary.csv) one row per council."""
    from ..experiment.backtest import dump_yaml
    from ..scenario import load_scenario
    from ..scenario.init import build
    from .run import execute_run

    out = Path(out)
    (out / "scenarios").mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, Any]] = {}
    ready: list[tuple[str, Scenario]] = []
    for name in names:
        try:
            tree = build(name, observed_dir, template)
            path = out / "scenarios" / f"{tree['name']}.yaml"
            path.write_text(f"# Written by svsim councils (svsim init) for {name}\n" + dump_yaml(tree),
                            encoding="utf-8")
            ready.append((name, load_scenario(path)))
        except Exception as exc:  # a council without the figures: say why, carry on with the others
            rows[name] = {"council": name, "status": "not built", "reason": f"{type(exc).__name__}: {exc}"}
    results = _map([s for _, s in ready], replications, seed, executor, workers, scheduler)
    for (name, scenario), res in zip(ready, results, strict=True):
        outcome = execute_run(scenario, replications=replications, seed=seed, out=out,
                              replicate=lambda sc, sd, i, res=res: res[i], charts=charts,
                              command=["svsim", "councils", name])
        census = outcome.tables["census"]
        totals = census[(census.age_band == "all") & (census.setting == "all")]
        deficit = outcome.tables["deficit"]
        first, last = totals.iloc[0], totals.iloc[-1]
        rows[name] = {"council": name, "status": "ok", "reason": "", "folder": outcome.folder.name,
                      "census_year": int(first.census_year), "plans": float(first.ehcps),
                      "last_census_year": int(last.census_year), "plans_forecast": float(last.ehcps),
                      "plans_growth_pct": (100 * (float(last.ehcps) / float(first.ehcps) - 1)
                                           if first.ehcps else math.nan),
                      "last_financial_year": deficit.financial_year.iloc[-1],
                      "accumulated_deficit_gbp_m": float(deficit.accumulated_deficit_gbp_m.iloc[-1])}
    summary = pd.DataFrame([rows[n] for n in names])
    tmp = out / ".summary.csv.tmp"
    summary.to_csv(tmp, index=False, float_format="%.6g")
    tmp.replace(out / "summary.csv")
    return summary


__all__ = ["council_results", "run_councils"]
