"""The run's tables (pandas): deficit, census, KPIs, spend and monthly placements, from replication results.

With several replications a table shows the median of each measure (and, for the deficit and KPIs, the 10th and
90th percentiles); RAG ratings are given on the median, as in `finance.scoring`. deficit.csv also carries the
mean and its Monte Carlo standard error (sd / sqrt(N)) of the accumulated deficit, and a column per extra quantile
asked for (`quantiles=`, e.g. 0.05 gives `accumulated_deficit_gbp_m_p5`); p10 and p90 are always there so the
file keeps one shape for whatever reads it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..domain import AGE_BANDS, SETTINGS, financial_year_label
from ..experiment.replications import ReplicationResult, check_consistent
from ..finance.kpis import MEASURED
from ..finance.scoring import kpi_rag, score_year
from ..scenario import Scenario
from ..scenario.schema import KPIS

DEFICIT_COLUMNS = (
    "financial_year",
    "replications",
    "basis",
    "accumulated_deficit_gbp_m",
    "accumulated_deficit_gbp_m_p10",
    "accumulated_deficit_gbp_m_p90",
    "p_within_profile",
    "sv_profile_gbp_m",
    "variance_gbp_m",
    "variance_pct",
    "rag",
    "rag_could_be",
    "accumulated_deficit_incl_backlog_gbp_m",
    "backlog_commitment_gbp_m",
    "children_waiting",
    "accumulated_deficit_net_of_dfe_gbp_m",
    "median_half_width_gbp_m",
    "outturn_accumulated_deficit_gbp_m",
    "outturn_in_year_deficit_gbp_m",
    "opening_accumulated_deficit_gbp_m",
    "hnb_income_gbp_m",
    "hnb_spend_gbp_m",
    "in_year_deficit_gbp_m",
    "other_blocks_in_year_gbp_m",
    "council_contribution_gbp_m",
    "accumulated_deficit_gbp_m_mean",
    "accumulated_deficit_gbp_m_mcse",
    "dfe_contribution_gbp_m",
    "placement_spend_gbp_m",
    "other_lines_gbp_m",
    "waiting_spend_gbp_m",
    "hnb_allocation_gbp_m",
    "schools_block_transfer_gbp_m",
)
"""deficit.csv columns in order, the same whatever the number of replications (with one replication P10 = P90 =
the value, P(within profile) is 0 or 1 and the Monte Carlo columns are empty). Columns for extra quantiles asked
for come straight after p90.

Two statistics, each said by its column: the headline (`accumulated_deficit_gbp_m` to `median_half_width_gbp_m`)
is the MEDIAN over replications of each year's accumulated deficit, with its P10-P90 range, RAG and variance; the
money that builds it (`opening_accumulated_deficit_gbp_m` to `schools_block_transfer_gbp_m`) is the MEAN over
replications, one consistent path whose rows add up: income - spend = -in-year, and opening + in-year + other
blocks - council contribution = `accumulated_deficit_gbp_m_mean` (= next year's opening).

`rag_could_be` lists the ratings the median could have within its 95% interval (e.g. `AMBER/RED` when the median
lies that close to a RAG boundary; just the RAG when it is settled): a borderline year is said to be one, not
coloured as if it were sure.

`basis` is `outturn` for a closed year whose actual figures the scenario gives (targets.actual_...), else
`forecast`; the outturn columns hold those actuals. The simulated columns are left as simulated (so the model's fit
to a closed year can still be read); the Safety Valve table people read shows the outturn (`reported`)."""

HEADLINE_STATISTIC = "median over replications"
PATH_STATISTIC = "mean over replications (a consistent path: rows add up)"

DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
"""The quantiles a run reports unless told otherwise (P10, P50, P90)."""


def quantile_column(q: float, stem: str = "accumulated_deficit_gbp_m") -> str:
    """The column of quantile q, named by percent: 0.1 -> _p10, 0.05 -> _p5, 0.025 -> _p2_5 (0.5 is `stem`)."""
    if q == 0.5:
        return stem
    return f"{stem}_p{round(q * 100, 6):g}".replace(".", "_")


def parse_quantiles(text: str) -> tuple[float, ...]:
    """'0.05,0.5,0.95' -> (0.05, 0.5, 0.95): sorted, unique, each strictly between 0 and 1."""
    try:
        qs = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"expected numbers between 0 and 1 separated by commas, got {text!r}") from None
    if not qs or any(not 0.0 < q < 1.0 for q in qs):
        raise ValueError(f"quantiles must be strictly between 0 and 1, got {text!r}")
    return tuple(qs)


def _median(values: Sequence[float]) -> float:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(np.median(arr)) if arr.size else math.nan


def _quantiles(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if not arr.size:
        return math.nan, math.nan
    lo, hi = np.quantile(arr, [0.1, 0.9])
    return float(lo), float(hi)


def deficit_table(
    scenario: Scenario, results: Sequence[ReplicationResult], quantiles: Sequence[float] = DEFAULT_QUANTILES
) -> pd.DataFrame:
    """deficit.csv: one row per financial year, the accumulated deficit scored against the Safety Valve profile
    (median, P10-P90, RAG), and the mean path of the money that adds up to it."""
    from ..experiment.precision import median_ci, median_half_width
    from ..finance.scoring import profile_rag

    check_consistent(results)
    extra = [q for q in sorted(set(quantiles)) if q not in DEFAULT_QUANTILES]
    tolerance = float(scenario.value("rag.amber_tolerance"))
    profile = scenario.targets.sv_profile_gbp_m
    actual = scenario.targets.actual_accumulated_deficit_gbp_m
    actual_in_year = scenario.targets.actual_in_year_hnb_gbp_m
    opening = float(scenario.value("deficit.opening_accumulated_gbp_m"))
    rows = []
    for fy in results[0].years:
        money = [r.year(fy) for r in results]
        accumulated = np.array([m.accumulated_deficit_gbp_m for m in money], dtype=float)
        score = score_year(fy, list(accumulated), profile.get(fy), tolerance)
        p10, p90 = (score.p10_gbp_m, score.p90_gbp_m) if accumulated.size > 1 else (accumulated[0], accumulated[0])
        p_within = score.p_within_profile
        if p_within is None and score.profile_gbp_m is not None:
            p_within = float(accumulated[0] <= score.profile_gbp_m)

        def mean(attr: str, money: list = money) -> float:
            return float(np.mean([getattr(m, attr) for m in money]))

        sd = float(accumulated.std(ddof=1)) if accumulated.size > 1 else math.nan
        half_width = median_half_width(accumulated)
        variance = math.nan if score.variance_gbp_m is None else score.variance_gbp_m
        could_be = score.rag
        if score.profile_gbp_m is not None and accumulated.size > 1:
            lo, hi = median_ci(accumulated)
            if math.isfinite(lo):
                ends = {profile_rag(v, score.profile_gbp_m, tolerance) for v in (lo, score.forecast_gbp_m, hi)}
                could_be = "/".join(r for r in ("GREEN", "AMBER", "RED") if r in ends)
        row = {
            "financial_year": financial_year_label(fy),
            "replications": len(results),
            "basis": "outturn" if fy in actual else "forecast",
            "accumulated_deficit_gbp_m": score.forecast_gbp_m,
            "accumulated_deficit_gbp_m_p10": p10,
            "accumulated_deficit_gbp_m_p90": p90,
            **{quantile_column(q): float(np.quantile(accumulated, q)) for q in extra},
            "p_within_profile": math.nan if p_within is None else p_within,
            "sv_profile_gbp_m": math.nan if score.profile_gbp_m is None else score.profile_gbp_m,
            "variance_gbp_m": variance,
            "variance_pct": variance / score.profile_gbp_m if score.profile_gbp_m else math.nan,
            "rag": score.rag,
            "rag_could_be": could_be,
            "accumulated_deficit_net_of_dfe_gbp_m": _median([m.accumulated_deficit_net_of_dfe_gbp_m
                                                              for m in money]),
            "median_half_width_gbp_m": half_width if math.isfinite(half_width) else math.nan,
            "outturn_accumulated_deficit_gbp_m": actual.get(fy, math.nan),
            "outturn_in_year_deficit_gbp_m": actual_in_year.get(fy, math.nan),
            "opening_accumulated_deficit_gbp_m": opening,
            "hnb_income_gbp_m": mean("hnb_income_gbp_m"),
            "hnb_spend_gbp_m": mean("hnb_spend_gbp_m"),
            "in_year_deficit_gbp_m": mean("in_year_deficit_gbp_m"),
            "other_blocks_in_year_gbp_m": mean("other_blocks_in_year_gbp_m"),
            "council_contribution_gbp_m": mean("council_contribution_gbp_m"),
            "accumulated_deficit_gbp_m_mean": float(accumulated.mean()),
            "accumulated_deficit_gbp_m_mcse": sd / math.sqrt(accumulated.size),
            "dfe_contribution_gbp_m": mean("dfe_contribution_gbp_m"),
            "placement_spend_gbp_m": mean("placement_spend_gbp_m"),
            "other_lines_gbp_m": mean("other_lines_gbp_m"),
            "waiting_spend_gbp_m": mean("waiting_spend_gbp_m"),
            "hnb_allocation_gbp_m": mean("hnb_allocation_gbp_m"),
            "schools_block_transfer_gbp_m": mean("schools_block_transfer_gbp_m"),
            "accumulated_deficit_incl_backlog_gbp_m": _median([m.accumulated_deficit_incl_backlog_gbp_m
                                                                for m in money]),
            "backlog_commitment_gbp_m": _median([m.backlog_commitment_gbp_m for m in money]),
            "children_waiting": _median([m.children_waiting for m in money]),
        }
        opening = row["accumulated_deficit_gbp_m_mean"]
        rows.append(row)
    order = list(DEFICIT_COLUMNS)
    at = order.index("accumulated_deficit_gbp_m_p90") + 1
    order[at:at] = [quantile_column(q) for q in extra]
    return pd.DataFrame(rows, columns=order)


def reported(deficit: pd.DataFrame, amber_tolerance: float) -> pd.DataFrame:
    """The Safety Valve table as reported: for a closed year (`basis` outturn) the outturn replaces the forecast,
    with its variance, RAG and net-of-DfE position worked out by the same rules (P10 = P90 = the outturn; the
    in-year figure is the outturn's where given). Other years are unchanged. A table without `basis` (an older
    run) is returned as it is."""
    from ..finance.scoring import profile_rag

    out = deficit.copy()
    if "basis" not in out:
        return out
    for i, row in out.iterrows():
        actual = row.get("outturn_accumulated_deficit_gbp_m")
        if row["basis"] != "outturn" or actual != actual:
            continue
        dfe_to_date = row["accumulated_deficit_gbp_m"] - row["accumulated_deficit_net_of_dfe_gbp_m"]
        profile = row["sv_profile_gbp_m"]
        out.loc[i, ["accumulated_deficit_gbp_m", "accumulated_deficit_gbp_m_p10", "accumulated_deficit_gbp_m_p90"]] = (
            actual)
        out.loc[i, "accumulated_deficit_net_of_dfe_gbp_m"] = actual - dfe_to_date
        if profile == profile:
            out.loc[i, "variance_gbp_m"] = actual - profile
            out.loc[i, "variance_pct"] = (actual - profile) / profile if profile else math.nan
            out.loc[i, "rag"] = profile_rag(actual, profile, amber_tolerance)
            if "rag_could_be" in out:
                out.loc[i, "rag_could_be"] = out.loc[i, "rag"]
            out.loc[i, "p_within_profile"] = float(actual <= profile)
        if row.get("outturn_in_year_deficit_gbp_m") == row.get("outturn_in_year_deficit_gbp_m"):
            out.loc[i, "in_year_deficit_gbp_m"] = row["outturn_in_year_deficit_gbp_m"]
    return rounded(out)


def census_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """census.csv: January census by year, age band and setting (median), with an 'all' row per age band and year
    that carries the scenario's plan (targets.ehcp_plan_by_age_band) where it gives one."""
    check_consistent(results)
    plan = scenario.targets.ehcp_plan_by_age_band
    rows = []
    for year in sorted(results[0].census):
        stack = np.stack([r.census[year] for r in results])  # [replication, setting, band]
        for b, band in enumerate(AGE_BANDS):
            for s, setting in enumerate(SETTINGS):
                row = {"census_year": year, "age_band": band, "setting": setting,
                       "ehcps": _median(stack[:, s, b]), "plan_ehcps": math.nan}
                row["ehcps_p10"], row["ehcps_p90"] = _quantiles(stack[:, s, b])
                rows.append(row)
            totals = stack[:, :, b].sum(axis=1)
            row = {"census_year": year, "age_band": band, "setting": "all", "ehcps": _median(totals),
                   "plan_ehcps": plan.get(year, {}).get(band, math.nan)}
            row["ehcps_p10"], row["ehcps_p90"] = _quantiles(totals)
            rows.append(row)
        totals = stack.sum(axis=(1, 2))
        planned = plan.get(year)
        row = {"census_year": year, "age_band": "all", "setting": "all", "ehcps": _median(totals),
               "plan_ehcps": sum(planned.values()) if planned and len(planned) == len(AGE_BANDS) else math.nan}
        row["ehcps_p10"], row["ehcps_p90"] = _quantiles(totals)
        rows.append(row)
    df = pd.DataFrame(rows)
    df["variance_to_plan"] = df["ehcps"] - df["plan_ehcps"]
    return df


def kpi_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """kpis.csv: each Safety Valve KPI per financial year with its condition, value (median), target and RAG."""
    check_consistent(results)
    tolerance = float(scenario.value("rag.kpi_amber_tolerance"))
    targets = scenario.targets.kpis
    rows = []
    for name, (condition, direction, meaning) in KPIS.items():
        for fy in results[0].years:
            values = [r.kpis[name].get(fy, math.nan) for r in results]
            value = _median(values)
            target = targets.get(name, {}).get(fy)
            row = {"financial_year": financial_year_label(fy), "kpi": name, "condition": condition,
                   "direction": direction, "value": value, "target": math.nan if target is None else target,
                   "rag": kpi_rag(value, target, direction, tolerance)}
            row["value_p10"], row["value_p90"] = _quantiles(values)
            row["meaning"] = meaning
            row["measured"] = MEASURED[name]
            rows.append(row)
    return pd.DataFrame(rows)


def spend_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """spend.csv: HNB spend (median, £m) by financial year and setting, other lines, the cost of children waiting
    (interim support, tuition, appeals: finance/waiting.py) and the total."""
    check_consistent(results)
    rows = []
    for fy in results[0].years:
        label = financial_year_label(fy)
        for setting in SETTINGS:
            spend = _median([r.placement_spend_gbp_m[fy][setting] for r in results])
            plans = _median([r.plan_years[fy][setting] for r in results])
            rows.append({"financial_year": label, "kind": "placement", "line": setting, "spend_gbp_m": spend,
                         "average_plans": plans,
                         "cost_per_plan_gbp": spend * 1e6 / plans if plans > 0 else math.nan})
        for line, amount in results[0].other_lines_gbp_m[fy].items():
            rows.append({"financial_year": label, "kind": "other", "line": line, "spend_gbp_m": amount,
                         "average_plans": math.nan, "cost_per_plan_gbp": math.nan})
        rows.append({"financial_year": label, "kind": "other", "line": "children_waiting",
                     "spend_gbp_m": _median([r.year(fy).waiting_spend_gbp_m for r in results]),
                     "average_plans": math.nan, "cost_per_plan_gbp": math.nan})
        rows.append({"financial_year": label, "kind": "total", "line": "hnb_spend",
                     "spend_gbp_m": _median([r.year(fy).hnb_spend_gbp_m for r in results]),
                     "average_plans": _median([sum(r.plan_years[fy].values()) for r in results]),
                     "cost_per_plan_gbp": math.nan})
    return pd.DataFrame(rows)


MONEY_MEASURES = (
    "placement_spend_gbp_m", "other_lines_gbp_m", "hnb_spend_gbp_m", "hnb_income_gbp_m", "in_year_deficit_gbp_m",
    "other_blocks_in_year_gbp_m", "council_contribution_gbp_m", "dfe_contribution_gbp_m", "accumulated_deficit_gbp_m",
    "accumulated_deficit_net_of_dfe_gbp_m", "waiting_spend_gbp_m", "children_waiting", "backlog_commitment_gbp_m",
    "accumulated_deficit_incl_backlog_gbp_m",
)


DRAW_PREFIX = "uncertainty:"
"""replications.csv measure name of a drawn uncertain parameter: `uncertainty:<path>`, financial_year `all`."""


def replications_table(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """replications.csv: the tidy record, one row per replication x financial year x measure (money and KPIs),
    so any other summary can be computed later. Each replication's uncertainty draws are recorded too, one
    row per uncertain parameter (measure `uncertainty:<path>`, financial year `all`: a draw holds for the whole
    run), so a result can be related to the numbers that produced it (they come first)."""
    check_consistent(results)
    rows = []
    for r in results:
        for path, value in r.draws.items():
            rows.append((r.replication, r.seed, "all", DRAW_PREFIX + path, float(value)))
        for m in r.money:
            label = financial_year_label(m.financial_year)
            for measure in MONEY_MEASURES:
                rows.append((r.replication, r.seed, label, measure, float(getattr(m, measure))))
            for name, by_year in r.kpis.items():
                rows.append((r.replication, r.seed, label, name, by_year.get(m.financial_year, math.nan)))
    return pd.DataFrame(rows, columns=["replication", "seed", "financial_year", "measure", "value"])


def placements_table(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """placements.csv: plans by setting on the first day of each month (median over replications)."""
    check_consistent(results)
    stack = np.stack([r.monthly_plans.sum(axis=2) for r in results])  # [replication, month, setting]
    median = np.median(stack, axis=0)
    df = pd.DataFrame(median, columns=list(SETTINGS))
    df.insert(0, "date", [d.isoformat() for d in results[0].month_starts])
    return df


def monthly_table(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """monthly.csv: the mechanisms month by month (median over replications): levels at the start of each month
    (open requests, the queue for an assessment officer, overdue annual reviews, children waiting for a place) and
    flows in the month (requests, appeals, plans issued and those within 20 weeks, ...). Empty columns are left
    out when the engine does not record a measure."""
    check_consistent(results)
    df = pd.DataFrame({"date": [d.isoformat() for d in results[0].month_starts]})
    for kind, names in (("level", results[0].monthly_levels), ("flow", results[0].monthly_flows)):
        for name in names:
            stack = np.stack([(r.monthly_levels if kind == "level" else r.monthly_flows)[name] for r in results])
            df[name] = np.median(stack, axis=0)
    return df


def rounded(table: pd.DataFrame) -> pd.DataFrame:
    """A table as written to CSV: money (£m) to the nearest £1,000 (3 decimals), £ to the pound, other numbers
    (counts, shares, probabilities) to 4 decimals, so a spreadsheet shows figures, not float noise."""
    out = table.copy()
    for column in out.columns:
        if not pd.api.types.is_float_dtype(out[column]):
            continue
        if column.endswith("_gbp") :
            out[column] = out[column].round(0)
        elif "_gbp_m" in column or column in ("mean_difference", "ci_low", "ci_high"):
            out[column] = out[column].round(3)
        else:
            out[column] = out[column].round(4)
    return out


__all__ = [
    "DEFAULT_QUANTILES",
    "monthly_table",
    "reported",
    "rounded",
    "DEFICIT_COLUMNS",
    "DRAW_PREFIX",
    "parse_quantiles",
    "quantile_column",
    "census_table",
    "deficit_table",
    "kpi_table",
    "placements_table",
    "replications_table",
    "spend_table",
]
