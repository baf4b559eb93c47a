"""`svsim backtest`: the results folder (backtest.csv, summary, mix error, the overlay used, leaks, a chart).

Written atomically like a run folder (outputs.run_folder.RunFolder): built under a temporary name, renamed when
complete, never overwriting an earlier one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..experiment.backtest import build_backtest_scenario, compare, input_provenance, observed_history, simulate
from ..experiment.replications import ReplicationResult
from .flows import dfe_tables
from .run_folder import RunFolder, run_name

FLOAT_FORMAT = "%.10g"
CHART_SERIES = (
    ("census_total", "total"), ("census_age_band", "under_5"), ("census_age_band", "age_5_10"),
    ("census_age_band", "age_11_15"), ("census_age_band", "age_16_19"), ("census_age_band", "age_20_25"),
    ("census_placement_group", "mainstream"), ("census_placement_group", "state_special"),
    ("census_placement_group", "independent_and_non_maintained_special"),
    ("census_placement_group", "further_education"), ("census_placement_group", "educated_elsewhere"),
    ("census_placement_group", "neet_and_awaiting_provision"), ("requests", ""), ("new_plans", ""),
    ("issued_within_20_weeks_share", ""), ("ceased", ""),
)


@dataclass(frozen=True)
class BacktestOutcome:
    folder: Path
    tables: dict[str, pd.DataFrame]
    results: list[ReplicationResult]
    leaks: list[tuple[str, str]]


def execute_backtest(base_path: Path, observed_dir: Path, *, cutoff: int = 2021, replications: int = 20,
                     seed: int = 0, out: Path = Path("results"), workers: int | None = None,
                     executor: str = "local", scheduler: str | None = None, la_name: str | None = None,
                     command: Sequence[str] = (), charts: bool = True) -> BacktestOutcome:
    """Build the back-test scenario, simulate it and write a new results folder under `out`."""
    from ..data.dfe import ObservedDataError, read_observed
    from ..experiment.backtest import dfe_name
    from ..scenario import load_scenario

    base = load_scenario(base_path)  # bad input is reported before any folder is made
    observed = read_observed(observed_dir, la_name or dfe_name(base.council))
    if cutoff > base.census_date.year:
        raise ObservedDataError(f"--from {cutoff}: a back-test starts no later than the scenario's own census "
                                f"({base.census_date.year})")
    if cutoff >= max(observed.census_total):
        raise ObservedDataError(f"--from {cutoff}: no census after it in {observed_dir} to compare with "
                                f"(the last is January {max(observed.census_total)})")
    manifest = {"command": list(command), "base": str(base_path), "observed": str(observed_dir), "cutoff": cutoff,
                "seed": seed, "replications": replications, "executor": executor}
    with RunFolder(out, run_name(f"backtest-{Path(base_path).stem}-from-{cutoff}"), manifest) as run:
        setup = build_backtest_scenario(base_path, observed_dir, cutoff, run.path, la_name)
        began = time.perf_counter()
        results = simulate(setup.scenario, replications, seed, workers=workers, executor=executor,
                           scheduler=scheduler)
        run.manifest["simulate_wall_s"] = round(time.perf_counter() - began, 3)
        run.manifest["scenario"] = {"name": setup.scenario.name, "fingerprint": setup.scenario.fingerprint,
                                    "files": [{"path": p, "sha256": s} for p, s in setup.scenario.files]}
        tables = compare(results, setup.observed, cutoff)
        tables.update(dfe_tables(results))
        tables["leaks"] = pd.DataFrame(setup.leaks, columns=["parameter", "source"])
        tables["inputs"] = input_provenance(setup, base_path)
        for stem, table in tables.items():
            name = stem if stem in ("backtest", "flows", "census_dfe") else f"backtest_{stem}"
            table.to_csv(run.path / f"{name}.csv", index=False, float_format=FLOAT_FORMAT)
        if charts:
            write_chart(run.path / "backtest.png", tables["backtest"], observed_history(setup.observed), cutoff,
                        setup.scenario.title, len(results))
        run.manifest["headline"] = headline(tables)
    assert run.final_path is not None
    return BacktestOutcome(run.final_path, tables, results, setup.leaks)


def headline(tables: dict[str, pd.DataFrame]) -> dict:
    """The figures a reader looks for first: each census year's total error and the mix error beside baselines."""
    table, mix = tables["backtest"], tables["mix"]
    total = table[table.measure == "census_total"]
    return {
        "census_total_pct_error": {int(r.year): round(r.pct_error, 2) for r in total.itertuples()},
        "carry_forward_total_pct_error": {int(r.year): round(r.carry_forward_pct_error, 2)
                                          for r in total.itertuples()},
        "mix_error": {int(r.year): {"svsim": round(r.svsim_mix_error, 4),
                                    "carry_forward": round(r.carry_forward_mix_error, 4),
                                    "trend": round(r.trend_mix_error, 4)} for r in mix.itertuples()},
    }


def write_chart(path: Path, table: pd.DataFrame, history: pd.DataFrame, cutoff: int, title: str,
                replications: int) -> None:
    """Simulated median and P10-P90 band against observed points, one panel per series; the cut-off marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 4, figsize=(16, 13))
    for ax, (measure, group) in zip(axes.flat, CHART_SERIES, strict=True):
        sim = table[(table.measure == measure) & (table.group == group)].sort_values("year")
        obs = history[(history.measure == measure) & (history.group == group) & (history.year >= cutoff - 5)]
        if not sim.empty:
            ax.fill_between(sim.year, sim.simulated_p10, sim.simulated_p90, alpha=0.3, color="tab:blue",
                            label="svsim P10-P90")
            ax.plot(sim.year, sim.simulated, color="tab:blue", marker="s", label="svsim median")
            ax.plot(sim.year, sim.carry_forward_value, color="grey", ls=":", label="carry forward")
            ax.plot(sim.year, sim.trend_value, color="tab:orange", ls="--", label="linear trend")
        ax.plot(obs.year, obs.observed, "o", color="black", label="observed (DfE)")
        ax.axvline(cutoff - (0 if measure.startswith("census") else 0.5), color="red", lw=0.8)
        ax.set_title(f"{measure.replace('census_', 'census: ')} {group}".strip(), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"{title}\nJanuary censuses and calendar-year flows; red line: cut-off; "
                 f"{replications} replications", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def summary_text(outcome: BacktestOutcome) -> str:
    """The terminal summary: census totals and mix error beside the baselines, then MAPE per flow."""
    table, mix, summary = (outcome.tables[k] for k in ("backtest", "mix", "summary"))
    lines = ["January census total: svsim vs observed (% error), carry-forward and trend % error"]
    for r in table[table.measure == "census_total"].itertuples():
        lines.append(f"  {r.year}  {r.simulated:8.0f} ({r.simulated_p10:.0f}-{r.simulated_p90:.0f})  observed "
                     f"{r.observed:8.0f}  {r.pct_error:+6.2f}%   carry {r.carry_forward_pct_error:+6.2f}%   "
                     f"trend {r.trend_pct_error:+6.2f}%")
    lines.append("Placement-group mix error (sum |error| over groups / observed total)")
    for r in mix.itertuples():
        lines.append(f"  {r.year}  svsim {r.svsim_mix_error:.3f}   carry {r.carry_forward_mix_error:.3f}   "
                     f"trend {r.trend_mix_error:.3f}")
    lines.append("Flows, MAPE % (bias %): svsim | carry forward | trend")
    for r in summary[summary.group == ""].itertuples():
        def f(m: float, b: float) -> str:
            return "      n/a     " if math.isnan(m) else f"{m:5.1f} ({b:+6.1f})"
        lines.append(f"  {r.measure:30s} {f(r.svsim_mape, r.svsim_bias)} | "
                     f"{f(r.carry_forward_mape, r.carry_forward_bias)} | {f(r.trend_mape, r.trend_bias)}")
    return "\n".join(lines)


__all__ = ["BacktestOutcome", "execute_backtest", "summary_text", "write_chart"]
