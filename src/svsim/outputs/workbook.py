"""svsim.xlsx: the run's tables as an Excel workbook (openpyxl) that a finance officer can link to.

Numbers are numbers (never text) with number formats (£m to one decimal, counts with thousands separators,
shares as percentages), every sheet has a bold frozen header row and an autofilter, and each sheet has the same
columns whatever the number of replications. Built from a folder's files only (present.py); any CSV svsim adds
later (flows.csv, ...) becomes a sheet of its own.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..domain import AGE_BAND_LABELS, AGE_BANDS, SETTINGS
from .present import FolderData
from .tables import reported

GBP_M = '#,##0.0;[Red]-#,##0.0'
COUNT = "#,##0"
SHARE = "0.0%"
PLAIN = "0.000"

DFE_PLACEMENT_GROUPS: dict[str, str] = {
    "mainstream": "Mainstream schools or academies (incl. early years settings)",
    "srp": "Resourced provision or SEN units",
    "special": "Maintained special schools or special academies",
    "independent": "NMSS or independent schools",
    "post16": "Post-16: further education and specialist post-16 institutions",
    "eotas": "Alternative provision, hospital education and education otherwise than at school",
    "neet_awaiting": "Other: NEET or awaiting provision",
}
"""The model's settings as the DfE DSG management plan template groups placements. One setting maps to one
template category; the template's age groups are the model's age bands (under 5, 5-10, 11-15, 16-19, 20-25)."""


def _format_for(column: str) -> str | None:
    c = column.lower()
    if "gbp_m" in c or c in ("mean_difference", "ci_low", "ci_high", "base_mean", "other_mean") or "£m" in c:
        return GBP_M
    if c.endswith("_gbp"):
        return COUNT
    if c.startswith("p_") or c.endswith("_pct") or c.endswith("share"):
        return SHARE
    if c in ("ehcps", "plan_ehcps", "variance_to_plan", "ehcps_p10", "ehcps_p90", "average_plans", "replications",
             "census_year") or c in SETTINGS or c.startswith("capacity_"):
        return COUNT
    return None


def _cell(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v


def add_sheet(wb, name: str, df: pd.DataFrame, formats: dict[str, str] | None = None,  # noqa: ANN001
              note: str = "") -> None:
    """A sheet with a bold frozen header (row 1, or row 2 under a one-line note), an autofilter and formats."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name[:31])
    top = 1
    if note:
        ws.cell(row=1, column=1, value=note).font = Font(italic=True)
        top = 2
    header_fill = PatternFill("solid", fgColor="E8EEF4")
    for j, column in enumerate(df.columns, start=1):
        cell = ws.cell(row=top, column=j, value=str(column))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    formats = formats or {}
    for i, row in enumerate(df.itertuples(index=False), start=top + 1):
        for j, (column, value) in enumerate(zip(df.columns, row, strict=True), start=1):
            cell = ws.cell(row=i, column=j, value=_cell(value))
            fmt = formats.get(str(column)) or _format_for(str(column))
            if fmt and isinstance(cell.value, int | float):
                cell.number_format = fmt
    ws.freeze_panes = ws.cell(row=top + 1, column=2 if len(df.columns) > 4 else 1)
    if len(df.columns):
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(df.columns))}{top + max(len(df), 1)}"
    for j, column in enumerate(df.columns, start=1):
        width = max([len(str(column))] + [len(str(_cell(v))) for v in df[column].head(200)]) + 2
        ws.column_dimensions[get_column_letter(j)].width = min(max(width, 9), 60)


def safety_valve_sheet(deficit: pd.DataFrame, simulated: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reported table (outturn for closed years), then the simulated mean path, which adds up along a row."""
    path = deficit if simulated is None else simulated
    n = int(deficit["replications"].iloc[0])
    forecast = "Forecast £m (median)" if n > 1 else "Forecast £m (one replication, not a forecast)"
    return pd.DataFrame({
        "Financial year": deficit["financial_year"],
        "Basis": deficit.get("basis", "forecast"),
        "Profile £m": deficit["sv_profile_gbp_m"],
        forecast: deficit["accumulated_deficit_gbp_m"],
        "P10 £m": deficit["accumulated_deficit_gbp_m_p10"],
        "P90 £m": deficit["accumulated_deficit_gbp_m_p90"],
        "Variance £m": deficit["variance_gbp_m"],
        "Variance %": deficit["variance_pct"],
        "RAG": deficit["rag"].fillna(""),
        "RAG within the median's 95% interval": deficit.get("rag_could_be", deficit["rag"]).fillna(""),
        "P(within profile)": deficit["p_within_profile"],
        "Net of DfE instalments £m": deficit["accumulated_deficit_net_of_dfe_gbp_m"],
        "Opening deficit £m (mean)": path["opening_accumulated_deficit_gbp_m"],
        "HNB income £m (mean)": path["hnb_income_gbp_m"],
        "HNB spend £m (mean)": path["hnb_spend_gbp_m"],
        "In-year HNB £m (mean)": path["in_year_deficit_gbp_m"],
        "Other DSG blocks in-year £m (mean)": path["other_blocks_in_year_gbp_m"],
        "Council contribution £m (mean)": path["council_contribution_gbp_m"],
        "Closing deficit £m (mean)": path["accumulated_deficit_gbp_m_mean"],
        "DfE instalment £m (mean)": path["dfe_contribution_gbp_m"],
        "Replications": deficit["replications"],
    })


def dfe_placements(census: pd.DataFrame) -> pd.DataFrame:
    """January census by the DSG management plan template's placement categories (rows) and age groups
    (columns), medians over replications."""
    rows = census[(census["setting"] != "all") & (census["age_band"] != "all")]
    out = []
    for year in sorted(rows["census_year"].unique()):
        part = rows[rows["census_year"] == year]
        for setting in SETTINGS:
            cells = part[part["setting"] == setting].set_index("age_band")["ehcps"]
            record: dict[str, Any] = {"January census": int(year),
                                      "DfE template category": DFE_PLACEMENT_GROUPS[setting],
                                      "svsim setting": setting}
            for band in AGE_BANDS:
                record[AGE_BAND_LABELS[band]] = float(cells.get(band, math.nan))
            record["Total"] = float(sum(v for b, v in cells.items() if b in AGE_BANDS))
            out.append(record)
    return pd.DataFrame(out)


def run_details(manifest: dict[str, Any]) -> pd.DataFrame:
    git = manifest.get("git") or {}
    scenario = manifest.get("scenario") or {}
    stats = manifest.get("statistics") or {}
    rows = [
        ("scenario", scenario.get("name", "")), ("title", scenario.get("title", "")),
        ("svsim version", manifest.get("svsim_version", "")), ("git commit", git.get("commit", "unknown")),
        ("command", " ".join(manifest.get("command", []))), ("seed", manifest.get("seed")),
        ("replications", manifest.get("replications")),
        ("headline statistic", stats.get("headline", "")), ("path statistic", stats.get("path", "")),
        ("label", stats.get("label", "")), ("started", manifest.get("started", "")),
        ("simulation time (s)", manifest.get("simulate_s", manifest.get("simulate_wall_s"))),
        ("workers", manifest.get("workers")), ("executor", manifest.get("executor", "")),
        ("RAG amber tolerance", (manifest.get("rag") or {}).get("amber_tolerance")),
        ("KPI amber tolerance", (manifest.get("rag") or {}).get("kpi_amber_tolerance")),
    ]
    for f in scenario.get("files", []):
        rows.append(("input file", f"{f.get('path')} sha256 {f.get('sha256')}"))
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": object})


def write_run_workbook(data: FolderData, wb) -> None:  # noqa: ANN001 - an openpyxl Workbook
    t = data.tables
    simulated = t["deficit"]
    tol = (data.manifest.get("rag") or {}).get("amber_tolerance")
    deficit = reported(simulated, tol) if tol is not None else simulated
    n = int(deficit["replications"].iloc[0])
    label = (f"Median of {n} replications with P10-P90; the money columns are means (they add up along a row)."
             if n > 1 else "One replication, not a forecast.")
    add_sheet(wb, "Safety Valve", safety_valve_sheet(deficit, simulated),
              {"Variance %": SHARE, "P(within profile)": SHARE, "Replications": COUNT},
              note="Accumulated DSG deficit at 31 March, £m, before DfE contributions. " + label)
    quantile_cols = ["financial_year", *[c for c in simulated.columns if c.startswith("accumulated_deficit_gbp_m")],
                     "median_half_width_gbp_m", "p_within_profile", "replications"]
    add_sheet(wb, "Deficit quantiles", simulated[[c for c in quantile_cols if c in simulated]],
              note="accumulated_deficit_gbp_m is the median; _pNN are quantiles; _mean and _mcse the mean and its "
                   "Monte Carlo standard error; median_half_width the 95% interval of the median.")
    add_sheet(wb, "deficit.csv", simulated)
    if "census" in t:
        add_sheet(wb, "Census", t["census"], note="January census by age band x setting (median over replications).")
        add_sheet(wb, "DfE placements", dfe_placements(t["census"]),
                  {AGE_BAND_LABELS[b]: COUNT for b in AGE_BANDS} | {"Total": COUNT, "January census": "0"},
                  note="Placements in the DSG management plan template's categories and age groups; each svsim "
                       "setting maps to one category (column 'svsim setting').")
    if "kpis" in t:
        add_sheet(wb, "KPIs", t["kpis"], {"value": PLAIN, "target": PLAIN, "value_p10": PLAIN, "value_p90": PLAIN})
    if "spend" in t:
        add_sheet(wb, "Spend by setting", t["spend"], {"average_plans": COUNT})
    if "placements" in t:
        add_sheet(wb, "Placements monthly", t["placements"])
    if "monthly" in t:
        add_sheet(wb, "Flows monthly", t["monthly"], {c: COUNT for c in t["monthly"].columns if c != "date"},
                  note="Levels at the start of each month and flows in it (median over replications).")
    for stem, df in data.extra.items():
        add_sheet(wb, stem, df)
    if "assumptions" in t:
        add_sheet(wb, "Assumptions", t["assumptions"].fillna(""))
    add_sheet(wb, "Run details", run_details(data.manifest))


def write_workbook(data: FolderData, path: Path) -> None:
    """Write svsim.xlsx for a run or a comparison folder."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    if data.kind == "compare":
        from .compare_report import write_compare_workbook

        write_compare_workbook(data, wb)
    else:
        write_run_workbook(data, wb)
    wb.save(path)


__all__ = ["DFE_PLACEMENT_GROUPS", "add_sheet", "dfe_placements", "write_workbook"]
