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
from collections.abc import Callable, Iterator, Sequence
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
from ..experiment.compare import LEVEL, Comparison, run_comparison
from ..experiment.replications import ReplicationStore
from ..scenario import Scenario
from .run import FLOAT_FORMAT
from .run_folder import RunFolder, run_name, safe_name
from .tables import rounded

DIFFERENCE_COLUMNS = (
    "measure", "financial_year", "other", "mean_difference", "ci_low", "ci_high", "unpaired_ci_low",
    "unpaired_ci_high", "base", "base_mean", "other_mean", "sd_difference", "ci_half_width",
    "unpaired_ci_half_width", "replications", "saving_gbp_m", "saving_ci_low", "saving_ci_high", "base_median",
    "other_median",
)
"""differences.csv columns. `mean_difference` is OTHER - BASE (+ = OTHER higher); `saving_gbp_m` is the same
difference the other way round, BASE - OTHER, the one sign convention of the terminal, report and workbook
(+ = OTHER's figure is lower: a saving). `base_median` and `other_median` are each scenario's median over the
replications (the statistic `svsim run` shows)."""

MIN_REPLICATIONS = 20
"""Below this many paired replications `svsim compare` warns that its intervals are too rough to act on."""
DEFAULT_REPLICATIONS = 20
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
    warnings: tuple[str, ...] = ()
    """What the comparison found that the reader must know (an implausible replication); also in the manifest's
    `warnings`, after the scenarios' own."""


# ---- tables -------------------------------------------------------------------------------------------------------
def differences_table(comparison: Comparison) -> pd.DataFrame:
    """differences.csv: OTHER - BASE per measure and financial year, paired and unpaired 95% intervals, and the
    same as a saving (BASE - OTHER, + = lower) with each scenario's median."""
    import numpy as np

    values = {label: dict(zip(m.keys, np.median(m.values, axis=0).tolist(), strict=True))
              for label, m in zip(comparison.labels, comparison.measures(), strict=True)}

    def median(label: str, measure: str, fy: int) -> float:
        return values.get(label, {}).get((measure, fy), float("nan"))

    rows = [{
        "measure": d.measure, "financial_year": financial_year_label(d.financial_year), "other": d.other,
        "mean_difference": d.paired.mean, "ci_low": d.paired.low, "ci_high": d.paired.high,
        "unpaired_ci_low": d.unpaired.low, "unpaired_ci_high": d.unpaired.high, "base": comparison.base_label,
        "base_mean": d.base_mean, "other_mean": d.other_mean, "sd_difference": d.paired.sd,
        "ci_half_width": d.paired.half_width, "unpaired_ci_half_width": d.unpaired.half_width,
        "replications": d.paired.n, "saving_gbp_m": -d.paired.mean, "saving_ci_low": -d.paired.high,
        "saving_ci_high": -d.paired.low, "base_median": median(comparison.base_label, d.measure, d.financial_year),
        "other_median": median(d.other, d.measure, d.financial_year),
    } for d in comparison.differences]
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def headline_table(comparison: Comparison) -> pd.DataFrame:
    """headline.csv: each scenario's Safety Valve table (median accumulated deficit, P10-P90, profile, variance,
    RAG, P(within profile)), the same statistic `svsim run` reports."""
    from ..finance.scoring import score_year

    rows = []
    for label, scenario, m in zip(comparison.labels, comparison.scenarios, comparison.measures(), strict=True):
        tolerance = float(scenario.value("rag.amber_tolerance"))
        for fy in m.years:
            values = m.column(("accumulated_deficit_gbp_m", fy)).tolist()
            score = score_year(fy, values, scenario.targets.sv_profile_gbp_m.get(fy), tolerance)
            rows.append({"scenario": label, "title": scenario.title or label,
                         "financial_year": financial_year_label(fy),
                         "accumulated_deficit_gbp_m": score.forecast_gbp_m,
                         "accumulated_deficit_gbp_m_p10": score.p10_gbp_m,
                         "accumulated_deficit_gbp_m_p90": score.p90_gbp_m,
                         "sv_profile_gbp_m": score.profile_gbp_m, "variance_gbp_m": score.variance_gbp_m,
                         "rag": score.rag, "p_within_profile": score.p_within_profile,
                         "replications": len(values)})
    return pd.DataFrame(rows)


REPLICATIONS_CSV_COLUMNS = ["scenario", "replication", "seed", "measure", "financial_year", "value"]
REPLICATIONS_CSV_CHUNK = 500
"""replications.csv is written this many replications at a time (a few hundred rows each), never built whole."""


def _replications_long_parts(comparison: Comparison, chunk: int = REPLICATIONS_CSV_CHUNK) -> Iterator[pd.DataFrame]:
    """replications.csv's rows, `chunk` replications of one scenario at a time."""
    import numpy as np

    for label, m in zip(comparison.labels, comparison.measures(), strict=True):
        names = [k[0] for k in m.keys]
        years = [financial_year_label(k[1]) for k in m.keys]
        for start in range(0, len(m.replications), chunk):
            part = m.values[start:start + chunk]
            n = part.shape[0]
            yield pd.DataFrame({
                "scenario": label, "replication": np.repeat(m.replications[start:start + n], len(m.keys)),
                "seed": np.repeat(m.seeds[start:start + n], len(m.keys)), "measure": names * n,
                "financial_year": years * n, "value": part.ravel()}, columns=REPLICATIONS_CSV_COLUMNS)


def replications_long_table(comparison: Comparison) -> pd.DataFrame:
    """replications.csv: every scenario x replication x measure x financial year."""
    parts = list(_replications_long_parts(comparison))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REPLICATIONS_CSV_COLUMNS)


def write_replications_long_csv(path: Path, comparison: Comparison) -> None:
    """replications.csv a chunk at a time (the same bytes as writing replications_long_table at once)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for k, part in enumerate(_replications_long_parts(comparison)):
            part.to_csv(fh, index=False, header=k == 0, float_format=FLOAT_FORMAT)


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
def _signed(v: float, width: int = 9, digits: int = 1) -> str:
    return f"{'-':>{width}}" if v != v else f"{v:+{width}.{digits}f}"


def _ci(low: float, high: float) -> str:
    return "-" if low != low else f"{low:+.1f} to {high:+.1f}"


def name_of(label: str, titles: dict[str, str] | None) -> str:
    """A scenario's title with its short name, e.g. 'Kent base scenario (kent-base)'."""
    title = (titles or {}).get(label) or ""
    return f"{title} ({label})" if title and title != label else label


SAVING = "saving (+ = lower deficit)"


def differences_text(table: pd.DataFrame, base_label: str, replications: int,
                     titles: dict[str, str] | None = None) -> str:
    """Per compared scenario: each scenario's median accumulated deficit by year, and the saving against the first
    scenario (+ = lower deficit) with its paired 95% interval; beside it the saving on the deficit including the
    backlog commitment (finance/waiting.py), so that delay never reads as a saving without its deferred cost."""
    blocks = []
    acc = table[table["measure"] == "accumulated_deficit_gbp_m"]
    incl = table[table["measure"] == "accumulated_deficit_incl_backlog_gbp_m"]
    incl_saving = {(r.other, r.financial_year): -r.mean_difference for r in incl.itertuples()}
    for other, rows in acc.groupby("other", sort=False):
        w = max(12, len(base_label) + 2, len(str(other)) + 2)
        lines = [
            f"{name_of(other, titles)}",
            f"  against {name_of(base_label, titles)}",
            f"Accumulated DSG deficit at 31 March, £m: each scenario's median of {replications} replications; the "
            f"{SAVING} is {base_label} minus {other}, averaged over replications that share their random numbers, "
            "with its 95% interval",
            f"{'Year':<9}{base_label:>{w}}{other:>{w}}{'Saving':>10}   {'95% interval':<20}{'incl. backlog':>14}",
        ]
        for row in rows.itertuples():
            lines.append(f"{row.financial_year:<9}{row.base_median:{w}.1f}{row.other_median:{w}.1f}"
                         f"{_signed(row.saving_gbp_m, 10)}   {_ci(row.saving_ci_low, row.saving_ci_high):<20}"
                         f"{_signed(incl_saving.get((other, row.financial_year), float('nan')), 14)}")
        last = rows.iloc[-1]
        if last.saving_ci_low > 0:
            verdict = f"{other} lowers the deficit by £{last.saving_gbp_m:.1f}m by {last.financial_year}."
        elif last.saving_ci_high < 0:
            verdict = f"{other} RAISES the deficit by £{-last.saving_gbp_m:.1f}m by {last.financial_year}."
        else:
            verdict = (f"By {last.financial_year} the difference cannot be told from zero with {replications} "
                       "replications (the interval includes 0).")
        lines.append(verdict)
        lines.append("incl. backlog: the saving on the deficit with each year's backlog commitment added (the "
                     "full-year cost of the plans and places the queue at 31 March will turn into)")
        blocks.append("\n".join(line.rstrip() for line in lines))
    return "\n\n".join(blocks)


SPLIT_EXPLAINED = ("How the saving is split: each measure is credited with what it adds on average over every "
                   "order in which the measures could be brought in (Shapley values), so the parts add up to the "
                   "total and a measure that only works together with another shares the credit.")

REASONS = (
    ("assessment.", "assessments finish sooner, so more plans are issued sooner"),
    ("decision.", "it changes how many requests go on to an assessment and a plan"),
    ("annual_review.", "more reviews done changes placements and ceasing"),
    ("placement.capacity", "more places are filled, at their cost"),
    ("placement.", "it moves children between settings of different cost"),
    ("demand.", "it changes the number of requests"),
    ("costs.", "it changes prices"),
    ("transitions.", "it changes moves at phase transfer"),
)


def why_it_costs(changes: Sequence[str]) -> str:
    """A plain reason a measure raises the deficit in the model, from the parameters it changes."""
    reasons = list(dict.fromkeys(why for path in changes for prefix, why in REASONS if path.startswith(prefix)))
    return "; ".join(reasons[:2]) or "its changes add more cost than they save in this model"


def attribution_text(attribution: Attribution, without_label: str, with_label: str,
                     titles: dict[str, str] | None = None) -> str:
    """The saving in the final financial year (accumulated deficit) split among the measures, + = lower deficit."""
    fy = attribution.years[-1]
    plan = attribution.plan
    width = max(24, *(len(p.label) for p in plan.players)) + 2
    lines = [
        f"What each measure saves: {name_of(with_label, titles)} against {name_of(without_label, titles)}",
        f"Accumulated DSG deficit at 31 March {fy + 1}, £m, {SAVING}; mean of {attribution.replications} "
        "replications",
        SPLIT_EXPLAINED,
        f"{'Cond':<5}{'Measure':<{width}}{'Saving':>9}   {'95% interval':<18}{'8 in 10 replications':<22}",
    ]
    for j, p in enumerate(plan.players):
        s = attribution.player_stat(j, fy)
        cond = "" if p.condition is None else str(p.condition)
        lines.append(f"{cond:<5}{p.label:<{width}}{_signed(s.mean)}   {_ci(s.ci_low, s.ci_high):<18}"
                     f"{s.p10:+.1f} to {s.p90:+.1f}")
    t = attribution.total_stat(fy)
    lines.append(f"{'':<5}{'Total':<{width}}{_signed(t.mean)}   {_ci(t.ci_low, t.ci_high):<18}"
                 f"{t.p10:+.1f} to {t.p90:+.1f}")
    runs = (f"{attribution.simulations} extra simulations in {attribution.runtime_s:.0f} s" if attribution.simulations
            else "no extra simulations: the comparison's replications were reused")
    lines.append(f"Without the measures: {attribution.level(0, fy):.1f}  ->  with them: "
                 f"{attribution.level(-1, fy):.1f} (means; {runs})")
    for note in raises_deficit(attribution):
        lines.append(f"Note: {note['measure']} RAISES the deficit by £{note['raises_gbp_m']:.1f}m by "
                     f"{note['financial_year']}: {note['why']}.")
    return "\n".join(line.rstrip() for line in lines)


def raises_deficit(attribution: Attribution) -> list[dict[str, Any]]:
    """The measures whose saving in the final year is below zero beyond doubt (95% interval below 0), with the
    likely reason from the parameters they change."""
    fy = attribution.years[-1]
    plan = attribution.plan
    by_name = {iv.name: iv for iv in plan.mitigated.interventions}
    out = []
    for j, p in enumerate(plan.players):
        s = attribution.player_stat(j, fy)
        if s.mean < 0 and (s.ci_high != s.ci_high or s.ci_high < 0):
            paths = [c.path for name in p.interventions if name in by_name for c in by_name[name].changes]
            out.append({"measure": p.label, "financial_year": financial_year_label(fy),
                        "raises_gbp_m": round(-s.mean, 3), "why": why_it_costs(paths)})
    return out


def replications_warning(replications: int) -> str:
    return (f"Warning: {replications} replications are too few for intervals to act on; use -n "
            f"{MIN_REPLICATIONS} or more.")


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
    before_attribution: Callable[[str, AttributionPlan, float], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> CompareOutcome:
    """Run the comparison (and attributions) and write a new results folder; a failure is recorded, not lost.

    `notify(line)` is told when a replication whose worker died is run again (default: a line on stderr)."""
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
        # Each finished replication goes to a file in the run's scratch space, not the parent's memory (reliability:
        # thousands of replications keep it flat); the tables are made from their measures, read back in one pass.
        store = ReplicationStore(run.scratch() / "replications.pickle")
        try:
            outcome = _compare_and_write(run, store, base, others, labels, plans, replications, seed, workers,
                                         executor, scheduler, charts, progress, attribution_progress,
                                         before_attribution, notify)
        finally:
            store.close()
    assert run.final_path is not None
    outcome.folder = run.final_path
    return outcome


def _compare_and_write(run: RunFolder, store: ReplicationStore, base: Scenario, others: Sequence[Scenario],
                       labels: Sequence[str], plans: dict[str, AttributionPlan | str], replications: int, seed: int,
                       workers: int | None, executor: str, scheduler: str | None, charts: bool,
                       progress: Callable[[int, int], None] | None,
                       attribution_progress: Callable[[str, int, int], None] | None,
                       before_attribution: Callable[[str, AttributionPlan, float], None] | None,
                       notify: Callable[[str], None] | None) -> CompareOutcome:
    """The body of execute_compare: replications streamed into `store`, then every file of the folder."""
    retried: list[dict[str, Any]] = []
    comparison = run_comparison(base, others, replications=replications, seed=seed, workers=workers,
                                progress=progress, executor=executor, scheduler=scheduler, store=store,
                                notify=notify or (lambda line: print(f"svsim: {line}", file=sys.stderr, flush=True)),
                                retried=retried)
    run.manifest["retried_replications"] = retried
    found = plausibility_warnings(comparison)
    run.manifest["warnings"] = [*run.manifest.get("warnings", []), *found]
    run.manifest["replication_runtimes_s"] = {
        lb: [round(t, 3) for t in m.runtimes_s] for lb, m in zip(labels, comparison.measured, strict=True)}
    from .run import assumptions_table

    assumptions = [assumptions_table(s).assign(scenario=lb) for lb, s in zip(labels, (base, *others),
                                                                              strict=True)]
    tables = {"differences": differences_table(comparison), "headline": headline_table(comparison),
              "assumptions": pd.concat(assumptions, ignore_index=True)}
    write_replications_long_csv(run.path / "replications.csv", comparison)
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
        if before_attribution is not None:
            before_attribution(label, plan, attribution_estimate_s(plan, comparison, replications, workers))
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
            "raises_deficit": raises_deficit(result),
        }
    run.manifest["attribution"] = records
    if attributions:
        tables["attribution"] = pd.concat(
            [attribution_table(a, _pair_label(a.plan, labels[0], lb)) for lb, a in attributions.items()],
            ignore_index=True)
    for stem, table in tables.items():
        rounded(table).to_csv(run.path / f"{stem}.csv", index=False, float_format=FLOAT_FORMAT)
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
    run.manifest["titles"] = {lb: (sc.title or lb) for lb, sc in zip(labels, (base, *others), strict=True)}
    run.manifest["sign"] = "saving = base - other (+ = lower deficit); mean_difference = other - base"
    if charts:
        from .present import write_presentation

        write_presentation(run.path, manifest=run.manifest)
    return CompareOutcome(run.path, comparison, tables, attributions, not_attributed, tuple(found))


def plausibility_warnings(comparison: Comparison) -> list[str]:
    """The plausibility checks (experiment.limits.result_problems) on replication 0 of every scenario compared that
    validated without a warning, as `svsim run` does: each finding a sentence naming the scenario."""
    from ..experiment.limits import result_problems

    out = []
    for label, scenario, results in zip(comparison.labels, comparison.scenarios, comparison.results, strict=True):
        if scenario.warnings or not results:  # its own warnings already explain what may look wrong
            continue
        out.extend(f"implausible result ({label}, replication 0): {p}" for p in result_problems(scenario, results[0]))
    return out


def attribution_estimate_s(plan: AttributionPlan, comparison: Comparison, replications: int,
                           workers: int | None) -> float:
    """Roughly how long an attribution will take: the simulations it needs (those of the comparison are reused)
    at the comparison's own average time per replication, shared among the workers."""
    from ..experiment.executors import default_workers

    measured = getattr(comparison, "measured", ())
    runtimes = ([t for m in measured for t in m.runtimes_s if t > 0] if measured
                else [r.runtime_s for res in comparison.results for r in res if r.runtime_s > 0])
    per = sum(runtimes) / len(runtimes) if runtimes else 0.0
    extra = max(plan.simulations_per_replication - 2, 0) * replications
    return extra * per / max(workers or default_workers(), 1)


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
    "MIN_REPLICATIONS",
    "attribution_estimate_s",
    "attribution_table",
    "attribution_text",
    "headline_table",
    "compare_folder_name",
    "differences_table",
    "differences_text",
    "execute_compare",
    "pair_labels",
    "plan_all",
    "replications_long_table",
]
