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
    "hnb_income_gbp_m",
    "hnb_spend_gbp_m",
    "in_year_deficit_gbp_m",
    "accumulated_deficit_gbp_m",
    "accumulated_deficit_gbp_m_p10",
    "accumulated_deficit_gbp_m_p90",
    "accumulated_deficit_gbp_m_mean",
    "accumulated_deficit_gbp_m_mcse",
    "p_within_profile",
    "sv_profile_gbp_m",
    "variance_gbp_m",
    "rag",
    "accumulated_deficit_incl_backlog_gbp_m",
    "backlog_commitment_gbp_m",
    "children_waiting",
    "accumulated_deficit_net_of_dfe_gbp_m",
    "placement_spend_gbp_m",
    "other_lines_gbp_m",
    "waiting_spend_gbp_m",
    "hnb_allocation_gbp_m",
    "schools_block_transfer_gbp_m",
    "other_blocks_in_year_gbp_m",
    "council_contribution_gbp_m",
    "dfe_contribution_gbp_m",
)
"""deficit.csv columns in order; the p10, p90, mean, mcse and p_within_profile columns only when there are several
replications. Columns for extra quantiles come straight after p90."""

QUANTILE_COLUMNS = ("accumulated_deficit_gbp_m_p10", "accumulated_deficit_gbp_m_p90", "accumulated_deficit_gbp_m_mean",
                    "accumulated_deficit_gbp_m_mcse", "p_within_profile")

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
    """deficit.csv: one row per financial year, the accumulated deficit scored against the Safety Valve profile."""
    check_consistent(results)
    extra = [q for q in sorted(set(quantiles)) if q not in DEFAULT_QUANTILES]
    tolerance = float(scenario.value("rag.amber_tolerance"))
    profile = scenario.targets.sv_profile_gbp_m
    rows = []
    for fy in results[0].years:
        money = [r.year(fy) for r in results]
        score = score_year(fy, [m.accumulated_deficit_gbp_m for m in money], profile.get(fy), tolerance)

        def med(attr: str, money: list = money) -> float:
            return _median([getattr(m, attr) for m in money])

        accumulated = np.array([m.accumulated_deficit_gbp_m for m in money], dtype=float)
        sd = float(accumulated.std(ddof=1)) if accumulated.size > 1 else math.nan
        row = {
            "financial_year": financial_year_label(fy),
            "hnb_income_gbp_m": med("hnb_income_gbp_m"),
            "hnb_spend_gbp_m": med("hnb_spend_gbp_m"),
            "in_year_deficit_gbp_m": med("in_year_deficit_gbp_m"),
            "accumulated_deficit_gbp_m": score.forecast_gbp_m,
            "accumulated_deficit_gbp_m_p10": score.p10_gbp_m,
            "accumulated_deficit_gbp_m_p90": score.p90_gbp_m,
            **{quantile_column(q): float(np.quantile(accumulated, q)) for q in extra},
            "accumulated_deficit_gbp_m_mean": float(accumulated.mean()),
            "accumulated_deficit_gbp_m_mcse": sd / math.sqrt(accumulated.size),
            "p_within_profile": math.nan if score.p_within_profile is None else score.p_within_profile,
            "sv_profile_gbp_m": math.nan if score.profile_gbp_m is None else score.profile_gbp_m,
            "variance_gbp_m": math.nan if score.variance_gbp_m is None else score.variance_gbp_m,
            "rag": score.rag,
            "accumulated_deficit_incl_backlog_gbp_m": med("accumulated_deficit_incl_backlog_gbp_m"),
            "backlog_commitment_gbp_m": med("backlog_commitment_gbp_m"),
            "children_waiting": med("children_waiting"),
            "accumulated_deficit_net_of_dfe_gbp_m": med("accumulated_deficit_net_of_dfe_gbp_m"),
            "placement_spend_gbp_m": med("placement_spend_gbp_m"),
            "other_lines_gbp_m": med("other_lines_gbp_m"),
            "waiting_spend_gbp_m": med("waiting_spend_gbp_m"),
            "hnb_allocation_gbp_m": med("hnb_allocation_gbp_m"),
            "schools_block_transfer_gbp_m": med("schools_block_transfer_gbp_m"),
            "other_blocks_in_year_gbp_m": med("other_blocks_in_year_gbp_m"),
            "council_contribution_gbp_m": med("council_contribution_gbp_m"),
            "dfe_contribution_gbp_m": med("dfe_contribution_gbp_m"),
        }
        rows.append(row)
    order = list(DEFICIT_COLUMNS)
    at = order.index("accumulated_deficit_gbp_m_p90") + 1
    order[at:at] = [quantile_column(q) for q in extra]
    several = len(results) > 1
    columns = [c for c in order if several or (c not in QUANTILE_COLUMNS and c not in order[at:at + len(extra)])]
    return pd.DataFrame(rows, columns=order)[columns]


def census_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """census.csv: January census by year, age band and setting (median), with an 'all' row per age band and year
    that carries the scenario's plan (targets.ehcp_plan_by_age_band) where it gives one."""
    check_consistent(results)
    plan = scenario.targets.ehcp_plan_by_age_band
    several = len(results) > 1
    rows = []
    for year in sorted(results[0].census):
        stack = np.stack([r.census[year] for r in results])  # [replication, setting, band]
        for b, band in enumerate(AGE_BANDS):
            for s, setting in enumerate(SETTINGS):
                row = {"census_year": year, "age_band": band, "setting": setting,
                       "ehcps": _median(stack[:, s, b]), "plan_ehcps": math.nan}
                if several:
                    row["ehcps_p10"], row["ehcps_p90"] = _quantiles(stack[:, s, b])
                rows.append(row)
            totals = stack[:, :, b].sum(axis=1)
            row = {"census_year": year, "age_band": band, "setting": "all", "ehcps": _median(totals),
                   "plan_ehcps": plan.get(year, {}).get(band, math.nan)}
            if several:
                row["ehcps_p10"], row["ehcps_p90"] = _quantiles(totals)
            rows.append(row)
        totals = stack.sum(axis=(1, 2))
        planned = plan.get(year)
        row = {"census_year": year, "age_band": "all", "setting": "all", "ehcps": _median(totals),
               "plan_ehcps": sum(planned.values()) if planned and len(planned) == len(AGE_BANDS) else math.nan}
        if several:
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
    several = len(results) > 1
    rows = []
    for name, (condition, direction, meaning) in KPIS.items():
        for fy in results[0].years:
            values = [r.kpis[name].get(fy, math.nan) for r in results]
            value = _median(values)
            target = targets.get(name, {}).get(fy)
            row = {"financial_year": financial_year_label(fy), "kpi": name, "condition": condition,
                   "direction": direction, "value": value, "target": math.nan if target is None else target,
                   "rag": kpi_rag(value, target, direction, tolerance)}
            if several:
                row["value_p10"], row["value_p90"] = _quantiles(values)
            row["meaning"] = meaning
            row["measured"] = MEASURED[name]
            rows.append(row)
    return pd.DataFrame(rows)


def spend_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """spend.csv: HNB spend (median, £m) by financial year and setting, other lines and the total."""
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


__all__ = [
    "DEFAULT_QUANTILES",
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
