"""report.html and svsim.xlsx for a comparison folder, in plain words and one sign convention: a saving is the
first scenario's figure minus the other's, so + = lower deficit, in every table, chart and sentence."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .present import FolderData
from .report import (
    _isnum,
    esc,
    image,
    money,
    page,
    pct,
    provenance_section,
    rag_cell,
    rag_key,
    table_html,
)

MIN_REPLICATIONS = 20
SPLIT = ("How the saving is split: each measure is credited with what it adds on average over every order in which "
         "the measures could be brought in (Shapley values), so the parts add up to the total and a measure that "
         "only works together with another shares the credit.")
CAPTIONS = {
    "differences.png": "Saving against the first scenario by year (+ = lower deficit), with 95% intervals",
    "attribution_waterfall": "From the deficit without the measures to the deficit with them, measure by measure",
    "attribution_by_year": "What each measure saves, year by year",
}


def _title(manifest: dict[str, Any], label: str) -> str:
    title = (manifest.get("titles") or {}).get(label, label)
    return f"{title} ({label})" if title != label else label


def scenario_tables(headline: pd.DataFrame | None) -> str:
    if headline is None or headline.empty:
        return ""
    out = []
    for label, rows in headline.groupby("scenario", sort=False):
        body = []
        for r in rows.to_dict("records"):
            body.append(
                f"<tr><td>{esc(r['financial_year'])}</td><td class='num'>{money(r['sv_profile_gbp_m'])}</td>"
                f"<td class='num'><b>{money(r['accumulated_deficit_gbp_m'])}</b></td>"
                f"<td class='num'>{money(r['accumulated_deficit_gbp_m_p10'])} to "
                f"{money(r['accumulated_deficit_gbp_m_p90'])}</td>"
                f"<td class='num'>{money(r['variance_gbp_m'], sign=True)}</td>{rag_cell(r['rag'])}"
                f"<td class='num'>{pct(r['p_within_profile'])}</td></tr>")
        title = rows["title"].iloc[0]
        out.append(f"<h3>{esc(title)} ({esc(label)})</h3><table class='headline'><thead><tr><th>Financial year</th>"
                   "<th>Profile £m</th><th>Forecast £m (median)</th><th>P10-P90 £m</th><th>Variance £m</th>"
                   f"<th>RAG</th><th>P(within profile)</th></tr></thead><tbody>{''.join(body)}</tbody></table>")
    return "<h2>Each scenario against the Safety Valve profile</h2>" + rag_key() + "".join(out)


def savings_section(differences: pd.DataFrame, manifest: dict[str, Any]) -> str:
    acc = differences[differences["measure"] == "accumulated_deficit_gbp_m"]
    out = ["<h2>Savings (+ = lower deficit)</h2><p>Each compared scenario against the first. The saving is the first "
           "scenario's accumulated deficit minus the other's, averaged over replications that share their random "
           "numbers (so the difference is the policies', not chance's), with its 95% interval. The levels are each "
           "scenario's median.</p>"]
    for other, rows in acc.groupby("other", sort=False):
        base = rows["base"].iloc[0]
        body = []
        for r in rows.to_dict("records"):
            body.append(f"<tr><td>{esc(r['financial_year'])}</td><td class='num'>{money(r['base_median'])}</td>"
                        f"<td class='num'>{money(r['other_median'])}</td>"
                        f"<td class='num'><b>{money(r['saving_gbp_m'], sign=True)}</b></td>"
                        f"<td class='num'>{money(r['saving_ci_low'], sign=True)} to "
                        f"{money(r['saving_ci_high'], sign=True)}</td></tr>")
        last = rows.iloc[-1]
        if _isnum(last["saving_ci_low"]) and last["saving_ci_low"] > 0:
            verdict = f"{other} lowers the deficit by £{last['saving_gbp_m']:.1f}m by {last['financial_year']}."
        elif _isnum(last["saving_ci_high"]) and last["saving_ci_high"] < 0:
            verdict = (f"{other} raises the deficit by £{-last['saving_gbp_m']:.1f}m by "
                       f"{last['financial_year']}.")
        else:
            verdict = (f"By {last['financial_year']} the difference cannot be told from zero with these "
                       "replications (the interval includes 0).")
        out.append(f"<h3>{esc(_title(manifest, other))} against {esc(_title(manifest, base))}</h3>"
                   f"<table><thead><tr><th>Financial year</th><th>{esc(base)} £m</th><th>{esc(other)} £m</th>"
                   "<th>Saving £m<br>(+ = lower deficit)</th><th>95% interval £m</th></tr></thead>"
                   f"<tbody>{''.join(body)}</tbody></table><p><b>{esc(verdict)}</b></p>")
    return "".join(out)


def attribution_section(attribution: pd.DataFrame | None, manifest: dict[str, Any]) -> str:
    if attribution is None or attribution.empty:
        reasons = [f"{lb}: {rec.get('reason')}" for lb, rec in (manifest.get("attribution") or {}).items()
                   if not rec.get("done")]
        return ("<h2>What each measure saves</h2><p>Not split: " + esc("; ".join(reasons)) + "</p>") if reasons else ""
    acc = attribution[attribution["measure"] == "accumulated_deficit_gbp_m"]
    out = [f"<h2>What each measure saves</h2><p>{esc(SPLIT)}</p>"]
    for comparison, rows in acc.groupby("comparison", sort=False):
        years = list(dict.fromkeys(rows["financial_year"]))
        wide = rows.pivot_table(index=["intervention"], columns="financial_year", values="saving_gbp_m",
                                sort=False).reset_index()
        last = rows[rows["financial_year"] == years[-1]].set_index("intervention")
        wide.insert(1, "condition", [last["condition"].get(i, "") for i in wide["intervention"]])
        wide[f"95% interval {years[-1]}"] = [
            f"{money(last['saving_gbp_m_ci_low'].get(i), sign=True)} to "
            f"{money(last['saving_gbp_m_ci_high'].get(i), sign=True)}" for i in wide["intervention"]]
        without, with_ = rows["without_gbp_m"].iloc[-1], rows["with_gbp_m"].iloc[-1]
        shown = wide.astype(object).where(wide.notna(), "")
        out.append(f"<h3>{esc(comparison)}: saving £m (+ = lower deficit), mean of "
                   f"{esc(rows['replications'].iloc[0])} replications</h3>"
                   + table_html(shown, {y: (lambda v: money(v, sign=True)) for y in years}, cls="small")
                   + f"<p class='note'>{esc(rows['method'].iloc[0])} Without the measures £{money(without)}m at 31 "
                     f"March {years[-1][:2]}{years[-1][-2:]}, with them £{money(with_)}m (means).</p>")
    notes = [n for rec in (manifest.get("attribution") or {}).values() for n in rec.get("raises_deficit", [])]
    for n in notes:
        out.append(f"<p><b>{esc(n['measure'])} raises the deficit</b> by £{n['raises_gbp_m']:.1f}m by "
                   f"{esc(n['financial_year'])}: {esc(n['why'])}.</p>")
    return "".join(out)


def compare_report(data: FolderData, charts: list[str]) -> str:
    m = data.manifest
    base = (m.get("base") or {}).get("label", "")
    others = [o.get("label", "") for o in m.get("others", [])]
    n = int(m.get("replications", 0))
    parts = [f"<h1>Comparing scenarios: {esc(_title(m, base))}</h1>",
             "<p>Against: " + "; ".join(esc(_title(m, o)) for o in others) + f". {n} paired replications, seed "
             f"{esc(m.get('seed', ''))}, {esc(str(m.get('started', ''))[:10])}.</p>"]
    if n < MIN_REPLICATIONS:
        parts.append(f"<div class='banner'>Only {n} replications: the intervals are too rough to act on. Run again "
                     f"with -n {MIN_REPLICATIONS} or more.</div>")
    parts.append(savings_section(data.tables["differences"], m))
    parts.append(scenario_tables(data.tables.get("headline")))
    parts.append(attribution_section(data.tables.get("attribution"), m))
    parts.append("<h2>Charts</h2>")
    for name in charts:
        key = next((k for k in CAPTIONS if name.startswith(k)), name)
        parts.append(image(data.folder, name, CAPTIONS.get(key, name)))
    assumptions = data.tables.get("assumptions")
    if assumptions is not None and not assumptions.empty:
        cols = [c for c in ("scenario", "kind", "parameter", "value", "unit", "source") if c in assumptions]
        shown = assumptions[(assumptions.get("scenario") == base) | (assumptions["kind"] == "intervention")]
        parts.append("<h2>Assumptions, with their sources</h2><p>The first scenario's parameters as the run used "
                     "them, and every scenario's measures (all scenarios' parameters are in svsim.xlsx and "
                     "assumptions.csv).</p>" + table_html(shown[cols].fillna(""), cls="small wide", max_rows=1000))
    parts.append(provenance_section({**m, "scenario": {"files": [f for s in [m.get("base") or {}, *m.get(
        "others", [])] for f in s.get("files", [])]}}))
    return page(f"svsim comparison: {base}", "".join(parts))


def write_compare_workbook(data: FolderData, wb) -> None:  # noqa: ANN001 - an openpyxl Workbook
    from .workbook import COUNT, SHARE, add_sheet, run_details

    t = data.tables
    acc = t["differences"][t["differences"]["measure"] == "accumulated_deficit_gbp_m"]
    savings = pd.DataFrame({
        "Compared scenario": acc["other"], "Against": acc["base"], "Financial year": acc["financial_year"],
        "First scenario £m (median)": acc["base_median"], "Compared scenario £m (median)": acc["other_median"],
        "Saving £m (+ = lower deficit)": acc["saving_gbp_m"], "95% interval low £m": acc["saving_ci_low"],
        "95% interval high £m": acc["saving_ci_high"], "Replications": acc["replications"],
    })
    add_sheet(wb, "Savings", savings, {"Replications": COUNT},
              note="Saving = first scenario - compared scenario (+ = lower deficit), mean over paired replications.")
    if "headline" in t:
        add_sheet(wb, "Safety Valve by scenario", t["headline"], {"p_within_profile": SHARE})
    if "attribution" in t:
        add_sheet(wb, "Saving by measure", t["attribution"],
                  note="saving_gbp_m: + = lower deficit. " + SPLIT)
    add_sheet(wb, "differences.csv", t["differences"])
    if "assumptions" in t:
        add_sheet(wb, "Assumptions", t["assumptions"].fillna(""))
    for stem, df in data.extra.items():
        add_sheet(wb, stem, df)
    add_sheet(wb, "Run details", run_details(data.manifest))
