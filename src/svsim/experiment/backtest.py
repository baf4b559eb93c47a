"""Back-test: start the model from an earlier January census with inputs published before it, simulate forward,
and compare year by year with what was observed, beside two naive baselines.

`build_backtest_scenario` writes the back-test overlay (svsim.scenario.observed.backtest_overlay) and loads it;
`compare` lays the replications beside the observed series:
- January censuses after the cut-off: the total, the five age bands, the DfE placement groups;
- calendar-year flows from the cut-off year on (svsim.data.groups.FLOW_MEASURES).
Baselines: `carry_forward` (the census at the cut-off, or the last observed flow year, held flat) and `trend` (the
least-squares line through the four observed years before, extended). `summary` gives, per measure and group, the
mean absolute percentage error (MAPE) and the mean signed percentage error (bias) of svsim and of each baseline;
`mix` gives, per census year, the placement-group mix error: the sum over groups (resourced provision is 'of
which' and left out) of |simulated - observed|, divided by the observed total.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.dfe import Observed, read_observed
from ..data.groups import FLOW_MEASURES, OF_WHICH, PLACEMENT_GROUPS, census_groups
from ..domain import AGE_BANDS
from ..scenario import Scenario, load_scenario
from .precision import median_p10_p90
from .replications import ReplicationResult

if TYPE_CHECKING:
    import pandas as pd

TREND_YEARS = 4
"""Observed years before the cut-off that the linear-trend baseline is fitted to."""


def dump_yaml(tree: dict[str, Any]) -> str:
    """A scenario tree as YAML without anchors (dates used twice stay written out twice)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump(tree, Dumper=Dumper, sort_keys=False, width=110, allow_unicode=True)


@dataclass(frozen=True)
class BacktestSetup:
    scenario: Scenario
    overlay_path: Path
    observed: Observed
    cutoff: int
    leaks: list[tuple[str, str]]


def build_backtest_scenario(base_path: Path, observed_dir: Path, cutoff: int, workdir: Path,
                            la_name: str | None = None, end: dt.date | None = None, flows_year: int | None = None,
                            observed_until: dt.date | None = None) -> BacktestSetup:
    """Write the back-test scenario of `base_path` for the January `cutoff` census into `workdir` and load it.

    Two files: `<name>.changes.yaml`, the overlay (every replaced input with the figure it comes from), and
    `<name>.yaml`, the base with the overlay applied as one file (what runs): the horizon ends on 31 March after
    the last observed census (or at `end`), so the base's later dated values and targets are dropped.
    """
    from ..data.dfe import ObservedDataError
    from ..scenario.observed import backtest_overlay, leaks, standalone

    base = load_scenario(base_path)
    observed = read_observed(observed_dir, la_name or dfe_name(base.council))
    if end is None:
        end = dt.date(max(observed.census_total), 3, 31)
    try:
        overlay = backtest_overlay(base, Path(base_path), observed, cutoff, workdir, end=end, flows_year=flows_year,
                                   observed_until=observed_until)
    except ValueError as exc:
        raise ObservedDataError(f"cannot start a back-test at January {cutoff}: {exc}") from None
    name = overlay["name"]
    changes = Path(workdir) / f"{name}.changes.yaml"
    changes.write_text(
        f"# What the back-test changed in {Path(base_path).name}: every replaced input names the published figure\n"
        f"# it comes from (read from {observed_dir}). The scenario that ran is {name}.yaml: this overlay applied to\n"
        "# the base as one file, its horizon cut to the observed years.\n" + dump_yaml(overlay), encoding="utf-8")
    path = Path(workdir) / f"{name}.yaml"
    path.write_text(f"# Back-test scenario written by svsim from {Path(base_path).name} and {name}.changes.yaml\n"
                    + dump_yaml(standalone(Path(base_path), overlay)), encoding="utf-8")
    return BacktestSetup(load_scenario(path), path, observed, cutoff, leaks(base, cutoff))


def input_provenance(setup: BacktestSetup, base_path: Path) -> pd.DataFrame:
    """backtest_inputs.csv: every input of the back-test scenario and where its value comes from (one row per
    distinct source; svsim.scenario.observed.provenance), so a reader can audit what the forecast knew."""
    import pandas as pd

    from ..scenario.observed import _report_year, extends_chain, provenance

    chain = [load_scenario(p) for p in extends_chain(Path(base_path))]
    rows = provenance(setup.scenario, setup.cutoff, _report_year(chain[-1]), chain)
    return pd.DataFrame(rows, columns=["origin", "parameter", "n_parameters", "source"])


def dfe_name(council: str) -> str:
    """The DfE's la_name of a council ('Kent County Council' -> 'Kent')."""
    for suffix in (" County Council", " City Council", " Borough Council", " Metropolitan Borough Council",
                   " Council"):
        if council.endswith(suffix):
            return council[: -len(suffix)]
    return council


def _trend(series: dict[int, float], before: int, year: int) -> float:
    """The least-squares line through the observed values of the TREND_YEARS years up to `before`, at `year`."""
    pts = [(y, v) for y, v in series.items() if before - TREND_YEARS < y <= before and v is not None]
    if len(pts) < 2:
        return math.nan
    x, y = np.array([p[0] for p in pts], float), np.array([p[1] for p in pts], float)
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept + slope * year)


def _series(observed: Observed) -> dict[tuple[str, str], tuple[str, dict[int, float]]]:
    """(measure, group) -> (kind, observed year -> value)."""
    out: dict[tuple[str, str], tuple[str, dict[int, float]]] = {
        ("census_total", "total"): ("census", dict(observed.census_total))}
    for band in AGE_BANDS:
        out[("census_age_band", band)] = ("census", {y: v[band] for y, v in observed.census_age_bands.items()
                                                     if band in v})
    for group in PLACEMENT_GROUPS:
        out[("census_placement_group", group)] = ("census", {y: v[group] for y, v in observed.census_groups.items()})
    for measure in FLOW_MEASURES:
        if observed.flows.get(measure):
            out[(measure, "")] = ("flow", dict(observed.flows[measure]))
    return out


def _simulated(results: Sequence[ReplicationResult], measure: str, group: str, year: int) -> list[float]:
    if measure.startswith("census_"):
        values = []
        for r in results:
            if year not in r.census:
                return []
            c = r.census[year]
            if measure == "census_total":
                values.append(float(c.sum()))
            elif measure == "census_age_band":
                values.append(float(c[:, AGE_BANDS.index(group)].sum()))
            else:
                values.append(census_groups(c)[group])
        return values
    return [r.calendar_flows[measure][year] for r in results
            if measure in r.calendar_flows and year in r.calendar_flows[measure]]


def compare(results: Sequence[ReplicationResult], observed: Observed, cutoff: int) -> dict[str, pd.DataFrame]:
    """backtest.csv (one row per measure, group and year), the summary per measure and group, and the mix error."""
    import pandas as pd

    rows = []
    for (measure, group), (kind, series) in _series(observed).items():
        first = cutoff + 1 if kind == "census" else cutoff
        last_known = cutoff if kind == "census" else cutoff - 1
        for year in sorted(y for y in series if y >= first):
            sims = _simulated(results, measure, group, year)
            if not sims:
                continue
            sim, p10, p90 = median_p10_p90(sims)
            obs = series[year]
            carry = series.get(last_known, math.nan)
            trend = _trend(series, last_known, year)
            row = {"kind": kind, "measure": measure, "group": group, "year": year, "simulated": sim,
                   "simulated_p10": p10, "simulated_p90": p90, "observed": obs}
            for name, value in (("svsim", sim), ("carry_forward", carry), ("trend", trend)):
                row[f"{name}_value"] = value
                row[f"{name}_error"] = value - obs
                row[f"{name}_pct_error"] = 100 * (value - obs) / obs if obs else math.nan
            row["within_p10_p90"] = bool(p10 <= obs <= p90)
            rows.append(row)
    table = pd.DataFrame(rows)
    table = table.rename(columns={"svsim_error": "error", "svsim_pct_error": "pct_error"}).drop(
        columns=["svsim_value"])
    summary = []
    for (measure, group), part in table.groupby(["measure", "group"], sort=False):
        entry = {"measure": measure, "group": group, "years": ", ".join(str(y) for y in part["year"])}
        for name, col in (("svsim", "pct_error"), ("carry_forward", "carry_forward_pct_error"),
                          ("trend", "trend_pct_error")):
            entry[f"{name}_mape"] = float(part[col].abs().mean())
            entry[f"{name}_bias"] = float(part[col].mean())
        best = min(("svsim", "carry_forward", "trend"), key=lambda n: (math.inf if math.isnan(entry[f"{n}_mape"])
                                                                       else entry[f"{n}_mape"]))
        entry["best"] = best
        summary.append(entry)
    mix_rows = []
    groups = [g for g in PLACEMENT_GROUPS if g not in OF_WHICH]
    place = table[table.measure == "census_placement_group"]
    for year, part in place.groupby("year"):
        part = part[part.group.isin(groups)]
        total = observed.census_total[year]
        mix_rows.append({"year": year, "observed_total": total,
                         **{f"{name}_mix_error": float(part[col].abs().sum() / total)
                            for name, col in (("svsim", "error"), ("carry_forward", "carry_forward_error"),
                                              ("trend", "trend_error"))}})
    return {"backtest": table, "summary": pd.DataFrame(summary), "mix": pd.DataFrame(mix_rows)}


def observed_history(observed: Observed) -> pd.DataFrame:
    """Every observed value of the compared series (for the chart): kind, measure, group, year, observed."""
    import pandas as pd

    rows = [{"kind": kind, "measure": m, "group": g, "year": y, "observed": v}
            for (m, g), (kind, series) in _series(observed).items() for y, v in sorted(series.items())]
    return pd.DataFrame(rows)


def simulate(scenario: Scenario, replications: int, seed: int, *, workers: int | None = None,
             executor: str = "local", scheduler: str | None = None) -> list[ReplicationResult]:
    """The back-test's replications (parallel; the same results whatever the workers)."""
    from .executors import Task, run_tasks

    key = scenario.name or "backtest"
    return run_tasks({key: scenario}, [Task(key, i) for i in range(replications)], seed, workers=workers,
                     executor=executor, scheduler=scheduler)


__all__ = ["BacktestSetup", "build_backtest_scenario", "compare", "dfe_name", "dump_yaml", "input_provenance",
           "observed_history", "simulate"]
