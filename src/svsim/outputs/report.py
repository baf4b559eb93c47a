"""report.html: one self-contained page (charts embedded as base64 PNG, no network) that reads like the quarterly
Safety Valve monitoring return: the headline table, the RAG rule in words, the mechanisms' charts, KPIs per
condition, assumptions with sources and how the figures were made. Built from a folder's files only (present.py).
"""

from __future__ import annotations

import base64
import html
import math
import numbers
from pathlib import Path
from typing import Any

import pandas as pd

from ..domain import AGE_BAND_LABELS, SETTING_LABELS
from .charts import CHART_CAPTIONS, RAG_COLOURS, forecast_label
from .present import FolderData
from .tables import reported

CSS = """
body{font-family:Arial,Helvetica,sans-serif;font-size:10.5pt;color:#1a1a1a;max-width:190mm;margin:10mm auto;
line-height:1.35}
h1{font-size:17pt;margin:0 0 2mm}h2{font-size:13pt;border-bottom:2px solid #1f3b57;padding-bottom:1mm;
margin-top:8mm}h3{font-size:11pt;margin-bottom:1mm}
table{border-collapse:collapse;margin:2mm 0 4mm;font-size:9.5pt;max-width:100%}table.fit{width:100%}
th,td{border:1px solid #b0b0b0;padding:1.2mm 2mm;vertical-align:top}th{background:#e8eef4;text-align:center}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.rag{text-align:center;font-weight:bold}td.rag .note{font-weight:normal;font-size:7.5pt}
.GREEN{background:#1a9641;color:#fff}.AMBER{background:#e6a100;color:#000}.RED{background:#b2182b;color:#fff}
.GREEN .note,.RED .note,.AMBER .note{color:inherit}
#headline,table.small{font-size:8.5pt}#headline td,#headline th,table.small td,table.small th{padding:1mm 1.3mm}
.banner{border:2px solid #b2182b;background:#fbe9eb;padding:2mm 3mm;font-weight:bold;margin:3mm 0}
.note{color:#444;font-size:9pt}.key span{display:inline-block;padding:0 2mm;margin-right:2mm}
figure{margin:3mm 0 5mm;page-break-inside:avoid}figure img{width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:9pt;color:#333;margin-top:1mm}
table.small{font-size:8.5pt}.wide td{word-break:break-word}
@media print{body{margin:0 auto}h2{page-break-after:avoid}}
"""

RAG_RULE = ("GREEN when the forecast (the median over replications) is at or below the Safety Valve profile; AMBER "
            "when it is above the profile by no more than {tol:.1%} of the profile; RED when it is further above. "
            "P(within profile) is the share of replications at or below the profile.")
KPI_RULE = ("A KPI is GREEN when its median meets the target, AMBER when it misses by no more than {tol:.1%} of the "
            "target, RED beyond; no target, no rating.")


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _isnum(v: Any) -> bool:
    """A real number (numpy's too: a CSV column of 0s and 1s reads back as int64), not a bool or NaN."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and not math.isnan(float(v))


def money(v: Any, sign: bool = False, dp: int = 1) -> str:
    if not _isnum(v):
        return "-"
    v = float(v)
    if abs(v) < 0.5 * 10 ** -dp:
        v = 0.0  # never "-0.0"
    return format(v, f"{'+' if sign else ''},.{dp}f")


def pct(v: Any, dp: int = 0, sign: bool = False) -> str:
    return format(float(v) * 100, f"{'+' if sign else ''}.{dp}f") + "%" if _isnum(v) else "-"


def rag_cell(rag: Any, could_be: Any = None) -> str:
    """A RAG cell; when the median is too close to a boundary to be sure (`could_be` like 'AMBER/RED') it says so."""
    rag = rag if isinstance(rag, str) else ""
    unsure = isinstance(could_be, str) and "/" in could_be
    extra = f"<br><span class='note'>borderline:<br>{esc(str(could_be).replace('/', ' / '))}</span>" if unsure else ""
    return f'<td class="rag {esc(rag)}">{esc(rag) or "-"}{extra}</td>'


def table_html(df: pd.DataFrame, formats: dict[str, Any] | None = None, cls: str = "", max_rows: int = 400) -> str:
    """A plain HTML table of a DataFrame; numbers right-aligned, formatted by `formats` (column -> function)."""
    formats = formats or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = []
    for _, row in df.head(max_rows).iterrows():
        cells = []
        for c in df.columns:
            v = row[c]
            if c in formats:
                cells.append(formats[c](v) if str(c).lower() == "rag" else f'<td class="num">{formats[c](v)}</td>')
            elif _isnum(v):
                cells.append(f'<td class="num">{float(v):,.4g}</td>' if isinstance(v, float) else
                             f'<td class="num">{v}</td>')
            else:
                cells.append(f"<td>{esc('' if v is None or (isinstance(v, float) and math.isnan(v)) else v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (f'<p class="note">First {max_rows} of {len(df)} rows; all are in the CSV file.</p>'
            if len(df) > max_rows else "")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def image(folder: Path, name: str, caption: str) -> str:
    path = folder / name
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)} ({esc(name)})</figcaption></figure>")


def rag_key() -> str:
    spans = "".join(f'<span class="{r}">{r}</span>' for r in ("GREEN", "AMBER", "RED"))
    return f'<p class="key">RAG key: {spans} (charts also mark them by shape: circle, triangle, square)</p>'


# ---- a run ---------------------------------------------------------------------------------------------------------
def headline_table(deficit: pd.DataFrame) -> str:
    n = int(deficit["replications"].iloc[0]) if "replications" in deficit else 1
    several = n > 1
    head = ("<tr><th>Financial year</th><th>Profile £m<br>(SV agreement)</th><th>Forecast £m<br>("
            + ("median" if several else "one replication") + ")</th>"
            + ("<th>P10-P90 £m</th>" if several else "")
            + "<th>Variance £m</th><th>Variance %</th><th>RAG</th>"
            + ("<th>P(within profile)</th>" if several else "")
            + "<th>Net of DfE instalments £m</th><th>In-year HNB £m<br>(" + ("mean" if several else "")
            + ")</th></tr>").replace("<br>()", "")
    rows = []
    for r in deficit.to_dict("records"):
        outturn = r.get("basis") == "outturn"
        cells = [f"<td>{esc(r['financial_year'])}{' (closed)' if outturn else ''}</td>",
                 f'<td class="num">{money(r["sv_profile_gbp_m"])}</td>',
                 f'<td class="num"><b>{money(r["accumulated_deficit_gbp_m"])}</b>'
                 f'{"<br>outturn" if outturn else ""}</td>']
        if several:
            cells.append('<td class="num">outturn</td>' if outturn else
                         f'<td class="num">{money(r["accumulated_deficit_gbp_m_p10"])} to '
                         f'{money(r["accumulated_deficit_gbp_m_p90"])}</td>')
        cells += [f'<td class="num">{money(r["variance_gbp_m"], sign=True)}</td>',
                  f'<td class="num">{pct(r.get("variance_pct"), 1, sign=True)}</td>',
                  rag_cell(r["rag"], r.get("rag_could_be"))]
        if several:
            cells.append(f'<td class="num">{pct(r["p_within_profile"])}</td>')
        cells += [f'<td class="num">{money(r["accumulated_deficit_net_of_dfe_gbp_m"])}</td>',
                  f'<td class="num">{money(r["in_year_deficit_gbp_m"], sign=True)}</td>']
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table id="headline"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def reconciliation_table(deficit: pd.DataFrame) -> str:
    columns = [("opening_accumulated_deficit_gbp_m", "Opening deficit"), ("hnb_income_gbp_m", "HNB income"),
               ("hnb_spend_gbp_m", "HNB spend"), ("in_year_deficit_gbp_m", "In-year HNB (spend - income)"),
               ("other_blocks_in_year_gbp_m", "Other DSG blocks in-year"),
               ("council_contribution_gbp_m", "Council contribution"),
               ("accumulated_deficit_gbp_m_mean", "Closing deficit (mean)"),
               ("dfe_contribution_gbp_m", "DfE instalment")]
    columns = [(c, label) for c, label in columns if c in deficit]
    df = deficit[["financial_year", *[c for c, _ in columns]]].rename(columns={"financial_year": "Financial year",
                                                                               **dict(columns)})
    return table_html(df, {label: money for _, label in columns})


def kpi_section(kpis: pd.DataFrame, tolerance: float | None) -> str:
    if kpis is None or kpis.empty:
        return ""
    years = list(dict.fromkeys(kpis["financial_year"]))
    head = "<tr><th>Condition</th><th>KPI</th>" + "".join(f"<th>{esc(y)}</th>" for y in years) + "</tr>"
    rows = []
    for (condition, name), group in kpis.groupby(["condition", "kpi"], sort=True):
        first = group.iloc[0]
        share = "share" in name or "within" in name or "rate" in name
        cells = [f'<td class="num">{esc(condition)}</td>',
                 f"<td><b>{esc(name)}</b><br><span class='note'>{esc(first['meaning'])}; better "
                 f"{esc(first['direction'])}</span></td>"]
        by_year = group.set_index("financial_year")
        for y in years:
            if y not in by_year.index:
                cells.append("<td></td>")
                continue
            r = by_year.loc[y]
            fmt = (lambda v: pct(v, 1)) if share else (lambda v: money(v, dp=0))
            target = f"<br><span class='note'>target {fmt(r['target'])}</span>" if _isnum(r["target"]) else ""
            rag = r["rag"] if isinstance(r["rag"], str) else ""
            cells.append(f'<td class="num {esc(rag)}">{fmt(r["value"])}{target}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    rule = KPI_RULE.format(tol=tolerance) if tolerance is not None else ""
    return (f"<h2>KPIs by Safety Valve condition</h2><p>{esc(rule)} Cells are coloured by RAG; values are medians "
            "over replications.</p>" + rag_key()
            + f'<table class="small fit"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')


def census_section(census: pd.DataFrame) -> str:
    if census is None or census.empty:
        return ""
    rows = census[(census["setting"] == "all")].copy()
    planned_years = sorted(rows.dropna(subset=["plan_ehcps"])["census_year"].unique())
    if not planned_years:
        return ""
    out = []
    for year in planned_years:
        part = rows[rows["census_year"] == year]
        df = pd.DataFrame({
            "Age band": [AGE_BAND_LABELS.get(b, "Total") for b in part["age_band"]],
            "Safety Valve plan": part["plan_ehcps"], "Forecast (median)": part["ehcps"],
            "Variance to plan": part["ehcps"] - part["plan_ehcps"]})
        out.append(f"<h3>January {int(year)} census</h3>" + table_html(df, {
            "Safety Valve plan": lambda v: money(v, dp=0), "Forecast (median)": lambda v: money(v, dp=0),
            "Variance to plan": lambda v: money(v, sign=True, dp=0)}))
    return "<h2>EHC plans by age band against the plan</h2>" + "".join(out)


def spend_section(spend: pd.DataFrame) -> str:
    if spend is None or spend.empty:
        return ""
    df = spend.copy()
    df["line"] = [SETTING_LABELS.get(line, line.replace("_", " ")) if kind != "total" else "Total HNB spend"
                  for line, kind in zip(df["line"], df["kind"], strict=True)]
    wide = df.pivot_table(index="line", columns="financial_year", values="spend_gbp_m", sort=False)
    wide = wide.reset_index().rename(columns={"line": "£m (median)"})
    return ("<h2>Spend by setting</h2>"
            + table_html(wide, {c: money for c in wide.columns if c != "£m (median)"}, cls="small"))


def grouped_assumptions(df: pd.DataFrame) -> pd.DataFrame:
    """Parameters that share a parent path, a unit and a source are shown as one row ('a.b: x 1; y 2'), so a source
    written once for a block is read once, not repeated on every value."""
    groups: list[dict[str, Any]] = []
    for r in df.to_dict("records"):
        path = str(r["parameter"])
        parent, _, leaf = path.rpartition(".")
        key = (parent, str(r.get("unit", "")), str(r.get("source", "")), str(r.get("changed_by", "")))
        if parent and groups and groups[-1]["key"] == key:
            groups[-1]["items"].append((leaf, str(r["value"]), path))
        else:
            groups.append({"key": key, "items": [(leaf, str(r["value"]), path)]})
    rows = []
    for g in groups:
        parent, unit, source, changed = g["key"]
        items = g["items"]
        if len(items) == 1:
            parameter, value = items[0][2], items[0][1]
        else:
            parameter, value = parent, "; ".join(f"{leaf} {v}" for leaf, v, _ in items)
        rows.append({"parameter": parameter, "value": value, "unit": unit, "source": source, "changed by": changed})
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "source", "changed by"])


def assumptions_section(assumptions: pd.DataFrame | None) -> str:
    if assumptions is None or assumptions.empty:
        return ""
    df = assumptions.fillna("")
    df = df[~df["parameter"].isin(("name", "title", "council", "description"))]
    out = ["<h2>Assumptions, with their sources</h2><p>Every parameter the scenario sets, as the run used it, with "
           "its unit and the source the scenario cites (\"assumption: ...\" where no figure is published); values "
           "that share a source are shown together. All rows, one per value, are in assumptions.csv and the "
           "workbook.</p>"]
    titles = {"parameter": "Parameters", "target": "Targets", "uncertainty": "Uncertain parameters (drawn per "
              "replication)", "intervention": "Interventions (the measures)"}
    for kind, title in titles.items():
        part = df[df["kind"] == kind]
        if part.empty:
            continue
        shown = grouped_assumptions(part) if kind == "parameter" else part[
            [c for c in ("parameter", "value", "unit", "source", "meaning") if c in part]]
        shown = shown.loc[:, [c for c in shown.columns if (shown[c].astype(str) != "").any()]]
        out.append(f"<h3>{esc(title)}</h3>" + table_html(shown, cls="small wide", max_rows=1000))
    return "".join(out)


def provenance_section(manifest: dict[str, Any]) -> str:
    git = manifest.get("git") or {}
    scenario = manifest.get("scenario") or {}
    files = scenario.get("files") or [{"path": s.get("files", [["?"]])[0][0]} for s in manifest.get("scenarios", [])]
    rows = [
        ("svsim version", manifest.get("svsim_version", "")),
        ("git commit", (git.get("commit", "unknown") + (" (with local changes)" if git.get("tracked_files_modified")
                                                         else "")) if git else "unknown"),
        ("command", " ".join([Path(c).name if k == 0 else c for k, c in enumerate(manifest.get("command", []))])),
        ("scenario files", "; ".join(f"{f.get('path')} (sha256 {str(f.get('sha256', ''))[:12]})" for f in files)),
        ("overrides (--set)", "; ".join(scenario.get("overrides", [])) or "none"),
        ("seed", manifest.get("seed", "")),
        ("replications", manifest.get("replications", "")),
        ("workers", f"{manifest.get('workers', '')} ({manifest.get('executor', 'local')})"),
        ("started", manifest.get("started", "")),
        ("simulation time", f"{manifest.get('simulate_s', manifest.get('simulate_wall_s', ''))} s"),
        ("python", manifest.get("python", "")),
    ]
    body = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f"<h2>How these figures were made</h2><table class='small wide'>{body}</table>"


def extra_sections(data: FolderData) -> str:
    out = []
    for stem, df in data.extra.items():
        out.append(f"<h3>{esc(stem)}.csv</h3>" + table_html(df, cls="small", max_rows=60))
    return ("<h2>Other tables in this folder</h2>" + "".join(out)) if out else ""


def summary_sentence(deficit: pd.DataFrame) -> str:
    last = deficit.iloc[-1]
    n = int(last.get("replications", 1))
    parts = [f"At 31 March {str(last['financial_year'])[:2]}{str(last['financial_year'])[-2:]} "
             f"the accumulated DSG deficit is forecast at £{money(last['accumulated_deficit_gbp_m'])}m"]
    if n > 1:
        parts.append(f" (P10-P90 £{money(last['accumulated_deficit_gbp_m_p10'])}m to "
                     f"£{money(last['accumulated_deficit_gbp_m_p90'])}m)")
    if _isnum(last["sv_profile_gbp_m"]):
        parts.append(f" against a profile of £{money(last['sv_profile_gbp_m'])}m: {last['rag']}, "
                     f"{money(last['variance_gbp_m'], sign=True)} £m")
        if n > 1:
            parts.append(f"; {pct(last['p_within_profile'])} of replications are within the profile")
    first_red = deficit[deficit["rag"] == "RED"]
    text = "".join(parts) + "."
    if len(first_red):
        text += f" The first year rated RED is {first_red.iloc[0]['financial_year']}."
    return text


def run_report(data: FolderData, charts: list[str]) -> str:
    m = data.manifest
    scenario = m.get("scenario") or {}
    simulated = data.tables["deficit"]
    n = int(simulated["replications"].iloc[0]) if "replications" in simulated else int(m.get("replications", 1))
    tol = (m.get("rag") or {}).get("amber_tolerance")
    deficit = reported(simulated, tol) if tol is not None else simulated
    kpi_tol = (m.get("rag") or {}).get("kpi_amber_tolerance")
    title = scenario.get("title") or scenario.get("name") or "svsim run"
    parts = [f"<h1>Safety Valve monitoring: {esc(title)}</h1>",
             f"<p class='note'>svsim forecast, scenario <b>{esc(scenario.get('name', ''))}</b>, "
             f"{esc(m.get('started', ''))[:10]}. Figures: {esc(forecast_label(n))}, seed {esc(m.get('seed', ''))}."
             "</p>"]
    if n <= 1:
        parts.append("<div class='banner'>One replication, not a forecast: these figures are a single random draw "
                     "of the simulation. Run without -n (or with -n 20 or more) for a forecast with a range.</div>")
    parts.append("<h2>Accumulated DSG deficit against the Safety Valve profile</h2>")
    parts.append(f"<p>{esc(summary_sentence(deficit))}</p>")
    parts.append(headline_table(deficit))
    parts.append(rag_key())
    notes = ["Accumulated DSG deficit at 31 March, £m, before DfE Safety Valve contributions (as the profile "
             "states it); variance = forecast - profile (+ is worse than profile)."]
    if tol is not None:
        notes.append(RAG_RULE.format(tol=tol))
    if "rag_could_be" in deficit and deficit["rag_could_be"].astype(str).str.contains("/").any():
        notes.append("'Borderline' marks a year whose median lies so close to a RAG boundary that, within the 95% "
                     "interval of the median, it could take either colour: read P(within profile) for it; more "
                     "replications (--precision) narrow the interval but cannot move a median that sits on the "
                     "boundary.")
    if n > 1:
        notes.append("The forecast is the median over replications of each year's accumulated deficit (one "
                     "statistic everywhere); P10-P90 is the range within which 8 replications in 10 fall. The "
                     "in-year column is the mean over replications, so that the table below adds up.")
        hw = deficit.get("median_half_width_gbp_m")
        if hw is not None and hw.notna().any():
            notes.append(f"With {n} replications the median itself is known to within ±£{hw.max():.1f}m "
                         "(95% interval, widest year).")
    if "basis" in simulated:
        for r in simulated[simulated["basis"] == "outturn"].to_dict("records"):
            notes.append(f"{r['financial_year']} is a closed year: the table shows its outturn "
                         f"(£{money(r['outturn_accumulated_deficit_gbp_m'])}m, from the scenario); the model gives "
                         f"£{money(r['accumulated_deficit_gbp_m'])}m (P10-P90 "
                         f"£{money(r['accumulated_deficit_gbp_m_p10'])}m to "
                         f"£{money(r['accumulated_deficit_gbp_m_p90'])}m) for it.")
    parts.append("<p class='note'>" + " ".join(esc(t) for t in notes) + "</p>")
    path = "mean over replications" if n > 1 else "the replication"
    parts.append(f"<h3>How the deficit builds up (simulated, {path})</h3><p class='note'>Each row adds up: "
                 "opening + in-year HNB + other DSG blocks - council contribution = closing; the next year opens at "
                 "the closing figure. DfE instalments are shown separately (the profile is before them).</p>")
    parts.append(reconciliation_table(simulated))
    parts.append("<h2>Charts</h2>")
    for name in charts:
        parts.append(image(data.folder, name, CHART_CAPTIONS.get(name, name)))
    parts.append(census_section(data.tables.get("census")))
    parts.append(kpi_section(data.tables.get("kpis"), kpi_tol))
    parts.append(spend_section(data.tables.get("spend")))
    parts.append(extra_sections(data))
    parts.append(assumptions_section(data.tables.get("assumptions")))
    parts.append(provenance_section(m))
    return page(f"svsim: {title}", "".join(parts))


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<meta name='viewport' content='width=device-width'><style>{CSS}</style></head>"
            f"<body>{body}<p class='note'>Written by svsim. Colours: GREEN {RAG_COLOURS['GREEN']}, AMBER "
            f"{RAG_COLOURS['AMBER']}, RED {RAG_COLOURS['RED']} (colour-blind safe with shapes).</p></body></html>\n")


def write_report(data: FolderData, path: Path, charts: list[str]) -> None:
    """Write report.html for a run or a comparison folder."""
    if data.kind == "compare":
        from .compare_report import compare_report

        text = compare_report(data, charts)
    else:
        text = run_report(data, charts)
    Path(path).write_text(text, encoding="utf-8")


__all__ = ["headline_table", "run_report", "table_html", "write_report"]
