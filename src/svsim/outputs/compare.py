"""One `svsim compare`: paired replications -> differences (and Shapley attribution) -> a complete results folder.

Files (see also results/README.md and the README's "Comparing scenarios"):

- `differences.csv`: tidy, one row per OTHER x measure x financial year: the mean paired difference OTHER - BASE
  with its 95% paired t interval, and the unpaired (Welch) interval for comparison.
- `replications.csv`: tidy, every scenario x replication x measure x financial year (so any other summary can be
  computed later).
- `attribution.csv` (when OTHER and BASE differ only by named interventions): Shapley savings per intervention (or
  Safety Valve condition group), financial year and measure, mean over replications with P10/P90 and 95% CI, a
  `total` row, and the method used.
- `differences.png`, `attribution_waterfall.png` (final financial year) and `attribution_by_year.png`.
- `manifest.json` and `<label>.resolved.yaml` for every scenario.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..domain import financial_year_label
from ..experiment.attribution import (
    ATTRIBUTED,
    Attribution,
    AttributionPlan,
    NotAttributable,
    attribute,
    plan_attribution,
)
from ..experiment.compare import LEVEL, Comparison, replication_measures, run_comparison
from ..scenario import Scenario
from .run import FLOAT_FORMAT
from .run_folder import RunFolder, run_name, safe_name

DIFFERENCE_COLUMNS = (
    "measure", "financial_year", "other", "mean_difference", "ci_low", "ci_high", "unpaired_ci_low",
    "unpaired_ci_high", "base", "base_mean", "other_mean", "sd_difference", "ci_half_width",
    "unpaired_ci_half_width", "replications",
)
ATTRIBUTION_COLUMNS = (
    "intervention", "condition", "financial_year", "saving_gbp_m", "saving_gbp_m_p10", "saving_gbp_m_p90",
    "saving_gbp_m_ci_low", "saving_gbp_m_ci_high", "measure", "members", "money_only",
    "without_gbp_m", "with_gbp_m", "comparison", "replications", "method",
)


@dataclass
class CompareOutcome:
    folder: Path
    comparison: Comparison
    tables: dict[str, pd.DataFrame]
    attributions: dict[str, Attribution] = field(default_factory=dict)
    """OTHER label -> its attribution (only for pairs that differ by named interventions)."""
    not_attributed: dict[str, str] = field(default_factory=dict)
    """OTHER label -> why no attribution was done."""


# ---- tables -------------------------------------------------------------------------------------------------------
def differences_table(comparison: Comparison) -> pd.DataFrame:
    """differences.csv: OTHER - BASE per measure and financial year, paired and unpaired 95% intervals."""
    rows = [{
        "measure": d.measure, "financial_year": financial_year_label(d.financial_year), "other": d.other,
        "mean_difference": d.paired.mean, "ci_low": d.paired.low, "ci_high": d.paired.high,
        "unpaired_ci_low": d.unpaired.low, "unpaired_ci_high": d.unpaired.high, "base": comparison.base_label,
        "base_mean": d.base_mean, "other_mean": d.other_mean, "sd_difference": d.paired.sd,
        "ci_half_width": d.paired.half_width, "unpaired_ci_half_width": d.unpaired.half_width,
        "replications": d.paired.n,
    } for d in comparison.differences]
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def replications_long_table(comparison: Comparison) -> pd.DataFrame:
    """replications.csv: every scenario x replication x measure x financial year."""
    rows = []
    for label, results in zip(comparison.labels, comparison.results, strict=True):
        for r in results:
            for (measure, fy), value in replication_measures(r).items():
                rows.append((label, r.replication, r.seed, measure, financial_year_label(fy), value))
    return pd.DataFrame(rows, columns=["scenario", "replication", "seed", "measure", "financial_year", "value"])


def attribution_table(attribution: Attribution, comparison_label: str) -> pd.DataFrame:
    """attribution.csv rows of one pair: each player's Shapley saving and the total, per measure and year."""
    plan = attribution.plan
    rows = []
    for measure in ATTRIBUTED:
        for fy in attribution.years:
            total = attribution.total_stat(fy, measure)
            common = {"financial_year": financial_year_label(fy), "measure": measure,
                      "without_gbp_m": attribution.level(0, fy, measure),
                      "with_gbp_m": attribution.level(-1, fy, measure), "comparison": comparison_label,
                      "replications": attribution.replications, "method": plan.method}
            for j, player in enumerate(plan.players):
                s = attribution.player_stat(j, fy, measure)
                rows.append({
                    "intervention": player.label, "condition": player.condition, "saving_gbp_m": s.mean,
                    "saving_gbp_m_p10": s.p10, "saving_gbp_m_p90": s.p90, "saving_gbp_m_ci_low": s.ci_low,
                    "saving_gbp_m_ci_high": s.ci_high,
                    "members": ";".join(player.interventions), "money_only": player.money_only, **common,
                })
            rows.append({
                "intervention": "total", "condition": None, "saving_gbp_m": total.mean, "saving_gbp_m_p10": total.p10,
                "saving_gbp_m_p90": total.p90, "saving_gbp_m_ci_low": total.ci_low,
                "saving_gbp_m_ci_high": total.ci_high,
                "members": ";".join(n for p in plan.players for n in p.interventions),
                "money_only": all(p.money_only for p in plan.players), **common,
            })
    df = pd.DataFrame(rows, columns=list(ATTRIBUTION_COLUMNS))
    df["condition"] = df["condition"].astype("Int64")
    return df


# ---- terminal text ------------------------------------------------------------------------------------------------
def _signed(v: float, width: int = 9, digits: int = 2) -> str:
    return f"{'-':>{width}}" if v != v else f"{v:+{width}.{digits}f}"


def _ci(low: float, high: float) -> str:
    return "-" if low != low else f"[{low:+.2f}, {high:+.2f}]"


def differences_text(table: pd.DataFrame, base_label: str, replications: int) -> str:
    """Accumulated-deficit difference OTHER - BASE per year, paired and unpaired 95% intervals, per OTHER; beside it
    the difference of the deficit including the backlog commitment (finance/waiting.py), so delay shows its cost."""
    blocks = []
    acc = table[table["measure"] == "accumulated_deficit_gbp_m"]
    incl = table[table["measure"] == "accumulated_deficit_incl_backlog_gbp_m"]
    incl_diff = {(r.other, r.financial_year): r.mean_difference for r in incl.itertuples()}
    for other, rows in acc.groupby("other", sort=False):
        lines = [
            f"{other} minus {base_label}: accumulated DSG deficit at 31 March, £m "
            f"(mean of {replications} paired replications; + means OTHER is higher)",
            f"{'Year':<9}{'BASE':>9}{'OTHER':>9}{'Difference':>12}   {'paired 95% CI':<20}{'unpaired 95% CI':<20}"
            f"{'incl. backlog':>13}",
        ]
        for row in rows.itertuples():
            lines.append(f"{row.financial_year:<9}{row.base_mean:9.1f}{row.other_mean:9.1f}"
                         f"{_signed(row.mean_difference, 12)}   {_ci(row.ci_low, row.ci_high):<20}"
                         f"{_ci(row.unpaired_ci_low, row.unpaired_ci_high):<20}"
                         f"{_signed(incl_diff.get((other, row.financial_year), float('nan')), 13)}")
        lines.append("incl. backlog: the same difference with each year's backlog commitment added (the full-year "
                     "cost of the plans the queue at 31 March will turn into)")
        blocks.append("\n".join(line.rstrip() for line in lines))
    return "\n\n".join(blocks)


def attribution_text(attribution: Attribution, without_label: str, with_label: str) -> str:
    """Shapley savings in the final financial year (accumulated deficit), per intervention or condition group."""
    fy = attribution.years[-1]
    plan = attribution.plan
    width = max(24, *(len(p.label) for p in plan.players)) + 2
    lines = [
        f"Savings attributed to interventions ({without_label} -> {with_label}): accumulated DSG deficit at "
        f"31 March {fy + 1}, £m, + = saving",
        f"Method: {plan.method}; Shapley values per replication, mean of {attribution.replications}.",
        f"{'Cond':<5}{'Intervention':<{width}}{'Saving':>9}   {'95% CI of mean':<20}{'P10 to P90':<18}",
    ]
    for j, p in enumerate(plan.players):
        s = attribution.player_stat(j, fy)
        cond = "" if p.condition is None else str(p.condition)
        lines.append(f"{cond:<5}{p.label:<{width}}{_signed(s.mean)}   {_ci(s.ci_low, s.ci_high):<20}"
                     f"{s.p10:+.2f} to {s.p90:+.2f}")
    t = attribution.total_stat(fy)
    lines.append(f"{'':<5}{'Total':<{width}}{_signed(t.mean)}   {_ci(t.ci_low, t.ci_high):<20}"
                 f"{t.p10:+.2f} to {t.p90:+.2f}")
    runs = (f"{attribution.simulations} extra simulations in {attribution.runtime_s:.0f} s" if attribution.simulations
            else "no extra simulations: the comparison's replications were reused")
    lines.append(f"Without: {attribution.level(0, fy):.1f}  ->  with: {attribution.level(-1, fy):.1f}  ({runs})")
    return "\n".join(line.rstrip() for line in lines)


# ---- the run --------------------------------------------------------------------------------------------------
def compare_folder_name(labels: Sequence[str]) -> str:
    """compare-<base>-vs-<other>[-and-N-more]-<timestamp>."""
    others = labels[1:]
    tail = others[0] + (f"-and-{len(others) - 1}-more" if len(others) > 1 else "")
    return run_name(f"compare-{labels[0]}-vs-{tail}")


def _scenario_record(s: Scenario) -> dict[str, Any]:
    return {"name": s.name, "title": s.title, "files": [{"path": p, "sha256": h} for p, h in s.files],
            "fingerprint": s.fingerprint, "interventions": [iv.name for iv in s.interventions],
            "warnings": list(s.warnings)}


def plan_all(base: Scenario, others: Sequence[Scenario], labels: Sequence[str]) -> dict[str, AttributionPlan | str]:
    """OTHER label -> its attribution plan, or the reason there is none."""
    out: dict[str, AttributionPlan | str] = {}
    for label, other in zip(labels[1:], others, strict=True):
        try:
            out[label] = plan_attribution(base, other)
        except NotAttributable as exc:
            out[label] = str(exc)
    return out


def execute_compare(
    base: Scenario,
    others: Sequence[Scenario],
    *,
    replications: int,
    seed: int = 0,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    out: Path = Path("results"),
    command: Sequence[str] | None = None,
    attribution: bool = True,
    charts: bool = True,
    progress: Callable[[int, int], None] | None = None,
    attribution_progress: Callable[[str, int, int], None] | None = None,
) -> CompareOutcome:
    """Run the comparison (and attributions) and write a new results folder; a failure is recorded, not lost."""
    from ..experiment.compare import unique_labels

    labels = unique_labels([base, *others])
    plans = plan_all(base, others, labels) if attribution else {}
    manifest: dict[str, Any] = {
        "command": list(command if command is not None else sys.argv),
        "kind": "compare",
        "base": {"label": labels[0], **_scenario_record(base)},
        "others": [{"label": lb, **_scenario_record(s)} for lb, s in zip(labels[1:], others, strict=True)],
        "seed": seed,
        "replications": replications,
        "workers": workers,
        "executor": executor,
        "scheduler": scheduler,
        "warnings": [str(w) for s in (base, *others) for w in s.warnings],
        "confidence_level": LEVEL,
        "intervals": "paired t over replications (same seed and replication index); unpaired: Welch",
    }
    with RunFolder(out, compare_folder_name(labels), manifest) as run:
        comparison = run_comparison(base, others, replications=replications, seed=seed, workers=workers,
                                    progress=progress, executor=executor, scheduler=scheduler)
        run.manifest["replication_runtimes_s"] = {
            lb: [round(r.runtime_s, 3) for r in res] for lb, res in zip(labels, comparison.results, strict=True)}
        tables = {"differences": differences_table(comparison), "replications": replications_long_table(comparison)}
        attributions: dict[str, Attribution] = {}
        not_attributed: dict[str, str] = {}
        records: dict[str, Any] = {}
        for label, plan in plans.items():
            if isinstance(plan, str):
                not_attributed[label] = plan
                records[label] = {"done": False, "reason": plan}
                continue
            base_results, other_results = comparison.results[0], comparison.results_of(label)
            without, with_ = ((base_results, other_results) if plan.mitigated_side == "other"
                              else (other_results, base_results))
            known = {0: without, plan.n_subsets - 1: with_}
            step = None if attribution_progress is None else (
                lambda d, t, _label=label: attribution_progress(_label, d, t))
            result = attribute(plan, seed, replications, workers=workers, known=known, progress=step,
                               executor=executor, scheduler=scheduler)
            attributions[label] = result
            records[label] = {
                "done": True, "method": plan.method, "mitigated": plan.mitigated_side,
                "players": [{"label": p.label, "condition": p.condition, "interventions": list(p.interventions),
                             "money_only": p.money_only} for p in plan.players],
                "subsets": plan.n_subsets, "simulations": result.simulations,
                "runtime_s": round(result.runtime_s, 3),
            }
        run.manifest["attribution"] = records
        if attributions:
            tables["attribution"] = pd.concat(
                [attribution_table(a, _pair_label(a.plan, labels[0], lb)) for lb, a in attributions.items()],
                ignore_index=True)
        for stem, table in tables.items():
            table.to_csv(run.path / f"{stem}.csv", index=False, float_format=FLOAT_FORMAT)
        for label, scenario in zip(labels, (base, *others), strict=True):
            (run.path / f"{safe_name(label)}.resolved.yaml").write_text(scenario.to_yaml(), encoding="utf-8")
        if charts:
            from .compare_charts import write_compare_charts

            run.manifest["charts"] = write_compare_charts(
                run.path, tables["differences"], attributions, base,
                {lb: pair_labels(a.plan, labels[0], lb) for lb, a in attributions.items()})
        diffs = tables["differences"]
        final = diffs[(diffs["measure"] == "accumulated_deficit_gbp_m")
                      & (diffs["financial_year"] == diffs["financial_year"].iloc[-1])]
        run.manifest["headline"] = {
            f"{row.other} - {row.base}, accumulated deficit {row.financial_year}, mean and paired 95% CI":
                [_json_number(row.mean_difference), _json_number(row.ci_low), _json_number(row.ci_high)]
            for row in final.itertuples()
        }
    assert run.final_path is not None
    return CompareOutcome(run.final_path, comparison, tables, attributions, not_attributed)


def _json_number(v: float) -> float | None:
    return None if v != v else round(float(v), 3)


def _pair_label(plan: AttributionPlan, base_label: str, other_label: str) -> str:
    """'<without> -> <with>': the direction in which the saving is measured."""
    return f"{base_label} -> {other_label}" if plan.mitigated_side == "other" else f"{other_label} -> {base_label}"


def pair_labels(plan: AttributionPlan, base_label: str, other_label: str) -> tuple[str, str]:
    """(without, with) labels of a pair."""
    return (base_label, other_label) if plan.mitigated_side == "other" else (other_label, base_label)


__all__ = [
    "ATTRIBUTION_COLUMNS",
    "DIFFERENCE_COLUMNS",
    "CompareOutcome",
    "attribution_table",
    "attribution_text",
    "compare_folder_name",
    "differences_table",
    "differences_text",
    "execute_compare",
    "pair_labels",
    "plan_all",
    "replications_long_table",
]
