"""One `svsim run`: replications -> tables -> a complete run folder (CSV, charts, resolved scenario, manifest)."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..experiment.capacity import capacity_warnings
from ..experiment.executors import Task, TaskRunner
from ..experiment.precision import DEFAULT_MAX, DEFAULT_START, PrecisionOutcome, run_until_precise
from ..experiment.replications import Replicate, ReplicationResult, ReplicationStore, slimmed
from ..experiment.uncertainty import summarise_draws
from ..scenario import Scenario
from .run_folder import RunFolder, run_name
from .tables import (
    DEFAULT_QUANTILES,
    census_table,
    deficit_table,
    kpi_table,
    monthly_table,
    placements_table,
    replications_table,
    rounded,
    spend_table,
)

FLOAT_FORMAT = "%.10g"
"""CSV numbers: ten significant figures (full precision for money and shares, without float noise)."""

Progress = Callable[[int, int], None]

DEFAULT_REPLICATIONS = 40
"""Replications `svsim run` uses when not told (-n): enough for a stable median and P10-P90 of every year's
accumulated deficit (on the base scenario the median of the earlier years is known to within about ±£2m, the last
year's within about ±£15m of a ±£45m P10-P90 range), in about a minute on two cores."""

ONE_REPLICATION = "one replication, not a forecast"
"""How a single replication is labelled wherever its figures appear."""


REPLICATIONS_CSV_CHUNK = 250
"""replications.csv is written this many replications at a time (its rows are the bulk of a run's numbers)."""

TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "deficit": (),
    "census": ("census",),
    "kpis": ("kpis",),
    "spend": ("placement_spend_gbp_m", "other_lines_gbp_m", "plan_years"),
    "placements": ("monthly_plans", "month_starts"),
    "monthly": ("monthly_levels", "monthly_flows", "month_starts"),
    "replications": ("draws", "kpis"),
    "flows": ("calendar_flows", "flow_coverage"),
    "census_dfe": ("census",),
}
"""The ReplicationResult fields each table reads (besides experiment.replications.KEPT_IN_EVERY_VIEW): a run's
streamed results are read back one table at a time with only these (a test checks the tables are unchanged)."""


@dataclass(frozen=True)
class RunOutcome:
    folder: Path
    tables: dict[str, pd.DataFrame]
    """Every table of the run folder but replications.csv (written straight to the file, a chunk at a time)."""
    results: Sequence[ReplicationResult]
    """A ReplicationStore: its length is the number of replications; its file went with the run's scratch files
    (read the run folder's CSVs for the numbers)."""
    precision: PrecisionOutcome | None = None
    simulate_s: float = 0.0
    """Wall time of the replications alone (workers' start-up included)."""
    warnings: tuple[str, ...] = ()
    """What the run found that the reader must know (a capacity intervention that never binds); also in the
    manifest's `warnings`."""

    @property
    def deficit(self) -> pd.DataFrame:
        return self.tables["deficit"]


def build_tables(
    scenario: Scenario, results: Sequence[ReplicationResult], quantiles: Sequence[float] = DEFAULT_QUANTILES,
    *, with_replications: bool = True,
) -> dict[str, pd.DataFrame]:
    """Every table of a run, by file stem (replications.csv's too unless `with_replications` is False).

    From a ReplicationStore each table reads the results back with only the fields it needs (TABLE_FIELDS), one
    table at a time, so the parent never holds every result whole."""
    from .flows import census_dfe_table, flows_table

    def part(stem: str) -> Sequence[ReplicationResult]:
        return results.view(TABLE_FIELDS[stem]) if isinstance(results, ReplicationStore) else results

    tables = {
        "deficit": deficit_table(scenario, part("deficit"), quantiles),
        "census": census_table(scenario, part("census")),
        "kpis": kpi_table(scenario, part("kpis")),
        "spend": spend_table(scenario, part("spend")),
        "placements": placements_table(part("placements")),
        "monthly": with_capacity(monthly_table(part("monthly")), scenario),
        "assumptions": assumptions_table(scenario),
        "flows": flows_table(part("flows")),  # flows.csv and census_dfe.csv (svsim.outputs.flows)
        "census_dfe": census_dfe_table(part("census_dfe")),
    }
    if with_replications:
        tables["replications"] = replications_table(part("replications"))
    return tables


def write_replications_csv(path: Path, results: Sequence[ReplicationResult],
                           chunk: int = REPLICATIONS_CSV_CHUNK) -> None:
    """replications.csv, `chunk` replications at a time (the same bytes as writing the whole table at once)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for start in range(0, len(results), chunk):
            part = (results.view(TABLE_FIELDS["replications"], start, start + chunk)
                    if isinstance(results, ReplicationStore) else results[start:start + chunk])
            replications_table(part).to_csv(fh, index=False, header=start == 0, float_format=FLOAT_FORMAT)


def with_capacity(monthly: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Add the places available in each capped setting on each month's first day (`capacity_<setting>`; empty
    where the scenario sets no limit), so occupancy can be drawn against capacity from the run folder alone."""
    import datetime as dt

    from ..domain import CAPPED_SETTINGS

    out = monthly.copy()
    dates = [dt.date.fromisoformat(d) for d in out["date"]]
    for setting in CAPPED_SETTINGS:
        series = scenario.series(f"placement.capacity.{setting}")
        values = [float(series.at(d)) for d in dates]
        out[f"capacity_{setting}"] = [v if math.isfinite(v) else math.nan for v in values]
    return out


def assumptions_table(scenario: Scenario) -> pd.DataFrame:
    """assumptions.csv: every parameter the scenario sets, with its value, unit, cited source, meaning and the
    interventions that change it; then the targets' sources and the uncertain parameters."""
    from ..scenario.describe import parameter_rows

    rows = [{"kind": "parameter", "parameter": r["parameter"], "value": r["value"], "unit": r["unit"],
             "source": " ".join(r["source"].split()), "meaning": r["meaning"], "changed_by": r["changed_by"]}
            for r in parameter_rows(scenario) if r["value"] != ""]
    for key, source in scenario.targets.sources.items():
        rows.append({"kind": "target", "parameter": f"targets.{key}", "value": "", "unit": "",
                     "source": " ".join(str(source).split()), "meaning": "what the run is scored against",
                     "changed_by": ""})
    for u in scenario.uncertainty:
        args = ", ".join(f"{k} {v:g}" for k, v in u.args.items())
        rows.append({"kind": "uncertainty", "parameter": u.path, "value": f"{u.distribution}({args})",
                     "unit": "", "source": "", "meaning": f"drawn once per replication, applied by {u.apply}",
                     "changed_by": ""})
    for iv in scenario.interventions:
        changes = "; ".join(f"{c.path} {c.op} {c.amount}" for c in iv.changes)
        rows.append({"kind": "intervention", "parameter": iv.name, "value": changes, "unit": "",
                     "source": "", "meaning": f"condition {iv.condition or '-'}, from {iv.start}"
                     + (f" to {iv.end}" if iv.end else "") + (f", ramp {iv.ramp_months} months"
                                                               if iv.ramp_months else ""),
                     "changed_by": ""})
    return pd.DataFrame(rows, columns=["kind", "parameter", "value", "unit", "source", "meaning", "changed_by"])


def simulate_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    *,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    replicate: Replicate | None = None,
    progress: Progress | None = None,
    precision: float | None = None,
    max_replications: int = DEFAULT_MAX,
    on_batch: Callable[[PrecisionOutcome], None] | None = None,
    store: ReplicationStore | None = None,
    notify: Callable[[str], None] | None = None,
) -> tuple[Sequence[ReplicationResult], PrecisionOutcome | None, dict[str, Any]]:
    """The replications of a run (a fixed number, or batches until `precision`), and how they were executed.

    With a `store`, each result is streamed into it as it finishes and the store is returned as the results (the
    parent keeps only what the precision rule needs: the money). `replicate` (tests) runs a substitute engine in
    this process, one replication after another. `notify(line)` is told when a replication whose worker died is
    run again (default: a line on stderr); `info["retried"]` lists them.
    """
    key = scenario.name or "scenario"
    info: dict[str, Any] = {"executor": executor, "scheduler": scheduler}
    with TaskRunner({key: scenario}, seed, workers=1 if replicate else workers, executor=executor,
                    scheduler=scheduler) as runner:
        info["workers"] = runner.workers if scheduler is None else None
        info["retried"] = runner.retried
        runner.on_retry = notify or (lambda line: print(f"svsim: {line}", file=sys.stderr, flush=True))

        def run_batch(first: int, stop: int) -> list[ReplicationResult]:
            def tell(done: int, total: int) -> None:
                if progress is not None:
                    progress(first + done, stop)

            batch: list[Any] = [None] * (stop - first)

            def keep(i: int, result: ReplicationResult) -> None:
                if store is None:
                    batch[i] = result
                else:  # to disk; the precision rule needs only the money
                    store.put(first + i, result)
                    batch[i] = slimmed(result) if precision is not None else None

            if replicate is not None:
                for k, i in enumerate(range(first, stop), start=1):
                    keep(k - 1, replicate(scenario, seed, i))
                    tell(k, stop - first)
            else:
                runner.run([Task(key, i) for i in range(first, stop)], progress=tell, deliver=keep)
            return batch

        results: Sequence[ReplicationResult]
        if precision is None:
            results = run_batch(0, replications)
            outcome = None
        else:
            def values(results: Sequence[ReplicationResult]) -> dict[str, list[float]]:
                from ..domain import financial_year_label

                return {financial_year_label(fy): [r.year(fy).accumulated_deficit_gbp_m for r in results]
                        for fy in results[0].years}

            results, outcome = run_until_precise(
                run_batch, values, precision, start=max(replications, DEFAULT_START),
                max_replications=max_replications, on_batch=on_batch,
            )
        if store is not None:
            results = store
        if executor == "dask":
            info["workers"] = runner.cluster_workers()
    return results, outcome, info


def execute_run(
    scenario: Scenario,
    *,
    replications: int = 1,
    seed: int = 0,
    out: Path = Path("results"),
    command: Sequence[str] | None = None,
    overrides: Sequence[str] = (),
    replicate: Replicate | None = None,
    progress: Progress | None = None,
    charts: bool = True,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    precision: float | None = None,
    max_replications: int = DEFAULT_MAX,
    on_batch: Callable[[PrecisionOutcome], None] | None = None,
    default_replications: bool = False,
    notify: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run the replications and write a new run folder under `out`; on failure the folder records the error.

    `workers`/`executor`/`scheduler` choose where replications run (results are identical whatever they are);
    `precision` (£m) adds replications in batches until each year's median is known to within it (95% CI
    half-width), up to `max_replications`; `progress(done, total)` is called as replications finish.
    Each finished replication is streamed to a file in the run's scratch folder and the tables are built from it,
    so the memory this process needs does not grow with the replications (benchmarks/bench_parent_memory.py).
    """
    manifest: dict[str, Any] = {
        "command": list(command if command is not None else sys.argv),
        "scenario": {
            "name": scenario.name,
            "title": scenario.title,
            "files": [{"path": path, "sha256": sha} for path, sha in scenario.files],
            "fingerprint": scenario.fingerprint,
            "overrides": list(overrides),
            "interventions": [iv.name for iv in scenario.interventions],
            "warnings": [str(w) for w in scenario.warnings],
        },
        "seed": seed,
        "replications": replications,
        "replications_chosen_by": "default" if default_replications else ("precision" if precision else "user"),
        "executor": executor,
        "workers": workers,
        "quantiles": list(quantiles),
    }
    if scheduler is not None:
        manifest["scheduler"] = scheduler
    if precision is not None:
        manifest["precision"] = {"target_half_width_gbp_m": precision, "max_replications": max_replications}
    with RunFolder(out, run_name(scenario.name), manifest) as run:
        store = ReplicationStore(run.scratch() / "replications.pickle")
        try:
            tables, outcome, simulate_s, warnings = _simulate_and_write(
                run, scenario, store, replications, seed, quantiles, charts, notify=notify, workers=workers,
                executor=executor, scheduler=scheduler, replicate=replicate, progress=progress, precision=precision,
                max_replications=max_replications, on_batch=on_batch)
        finally:
            store.close()
    assert run.final_path is not None
    return RunOutcome(run.final_path, tables, store, outcome, simulate_s, tuple(warnings))


def _simulate_and_write(run: RunFolder, scenario: Scenario, store: ReplicationStore, replications: int, seed: int,
                        quantiles: Sequence[float], charts: bool, **how: Any,
                        ) -> tuple[dict[str, pd.DataFrame], PrecisionOutcome | None, float, list[str]]:
    """The body of execute_run: replications streamed into `store`, then every file of the run folder."""
    max_replications = how["max_replications"]
    began = time.perf_counter()
    results, outcome, info = simulate_replications(scenario, replications, seed, store=store, **how)
    simulate_s = time.perf_counter() - began
    run.manifest["workers"] = info["workers"]
    if info["retried"]:
        run.manifest["retried_replications"] = info["retried"]
    run.manifest["replications"] = len(results)
    run.manifest["simulate_wall_s"] = round(simulate_s, 3)
    run.manifest["replications_per_minute"] = round(60 * len(results) / simulate_s, 2) if simulate_s else None
    if outcome is not None:
        run.manifest["precision"] = {**outcome.to_dict(), "max_replications": max_replications}
    if scenario.uncertainty:
        run.manifest["uncertainty"] = {
            "parameters": [{"path": u.path, "distribution": u.distribution, **u.args, "apply": u.apply}
                           for u in scenario.uncertainty],
            "streams": "generator(seed, replication, 'uncertainty:' + path): one draw per replication",
            "draws": summarise_draws([r.draws for r in store.view(("draws",))]),
        }
    run.manifest["replication_runtimes_s"] = [round(r.runtime_s, 3) for r in store.view()]
    tables = build_tables(scenario, results, quantiles, with_replications=False)
    run.manifest["warnings"] = warnings = capacity_warnings(
        scenario, store.view(("month_starts", "monthly_flows", "monthly_levels")))
    if not scenario.warnings:  # a scenario that validated without a warning must give a plausible replication
        from ..experiment.limits import result_problems

        warnings.extend(f"implausible result (replication 0): {p}" for p in result_problems(scenario, results[0]))
    for stem, table in tables.items():
        rounded(table).to_csv(run.path / f"{stem}.csv", index=False, float_format=FLOAT_FORMAT)
    write_replications_csv(run.path / "replications.csv", results)
    (run.path / "scenario.resolved.yaml").write_text(scenario.to_yaml(), encoding="utf-8")
    run.manifest["statistics"] = {
        "headline": "median over replications of each year's accumulated deficit, with P10-P90",
        "path": "mean over replications (income, spend, in-year, contributions: a path whose rows add up)",
        "forecast": len(results) > 1,
        "label": "" if len(results) > 1 else ONE_REPLICATION,
    }
    run.manifest["rag"] = {"amber_tolerance": float(scenario.value("rag.amber_tolerance")),
                           "kpi_amber_tolerance": float(scenario.value("rag.kpi_amber_tolerance"))}
    deficit = tables["deficit"]
    run.manifest["headline"] = {
        row.financial_year: {
            "profile": None if math.isnan(row.sv_profile_gbp_m) else row.sv_profile_gbp_m,
            "forecast": round(row.accumulated_deficit_gbp_m, 2),
            "rag": row.rag,
            **({"p_within_profile": None if math.isnan(row.p_within_profile) else row.p_within_profile}
               if len(results) > 1 else {}),
        }
        for row in deficit.itertuples()
    }
    run.manifest["simulate_s"] = round(simulate_s, 3)
    if charts:
        from .present import write_presentation

        write_presentation(run.path, manifest=run.manifest)
    return tables, outcome, simulate_s, warnings


__all__ = ["DEFAULT_REPLICATIONS", "ONE_REPLICATION", "RunOutcome", "assumptions_table", "build_tables",
           "execute_run", "simulate_replications", "with_capacity", "write_replications_csv"]
