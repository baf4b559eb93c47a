"""PNG charts of a run, drawn from the run's tables (matplotlib with the Agg backend, imported only here)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..domain import AGE_BAND_LABELS, AGE_BANDS, SETTING_LABELS, SETTINGS

RAG_COLOURS = {"GREEN": "#2e7d32", "AMBER": "#f9a825", "RED": "#c62828", "": "#757575"}


def _pyplot():  # noqa: ANN202 - matplotlib.pyplot, imported lazily
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def deficit_chart(deficit: pd.DataFrame, path: Path, title: str = "") -> None:
    """Accumulated DSG deficit (median, with the 10-90% band when there are several replications) against the
    Safety Valve profile, each year's point coloured by its RAG."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = list(range(len(deficit)))
    if "accumulated_deficit_gbp_m_p10" in deficit:
        ax.fill_between(x, deficit["accumulated_deficit_gbp_m_p10"], deficit["accumulated_deficit_gbp_m_p90"],
                        color="#90a4ae", alpha=0.35, label="forecast, 10th to 90th percentile")
    ax.plot(x, deficit["sv_profile_gbp_m"], "k--", marker="s", label="Safety Valve profile")
    ax.plot(x, deficit["accumulated_deficit_gbp_m"], color="#37474f", label="forecast (before DfE contributions)")
    ax.scatter(x, deficit["accumulated_deficit_gbp_m"], c=[RAG_COLOURS.get(r, "#757575") for r in deficit["rag"]],
               s=70, zorder=3, edgecolors="black")
    ax.plot(x, deficit["accumulated_deficit_net_of_dfe_gbp_m"], color="#1565c0", alpha=0.7, linestyle=":",
            label="forecast net of DfE instalments")
    ax.set_xticks(x, deficit["financial_year"])
    ax.set_ylabel("£m at 31 March")
    ax.set_title(title or "Accumulated DSG deficit against the Safety Valve profile")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


_QUANTILE_COLUMN = re.compile(r"^accumulated_deficit_gbp_m_p(\d+(?:_\d+)?)$")


def quantile_columns(deficit: pd.DataFrame) -> dict[float, str]:
    """Quantile -> column of the accumulated deficit quantiles in a deficit table (0.5 is the median column)."""
    out = {float(m.group(1).replace("_", ".")) / 100: c for c in deficit.columns if (m := _QUANTILE_COLUMN.match(c))}
    return dict(sorted({**out, 0.5: "accumulated_deficit_gbp_m"}.items()))


def fan_chart(deficit: pd.DataFrame, path: Path, title: str = "", replications: int | None = None) -> None:
    """Fan chart of the accumulated DSG deficit over replications: nested bands between symmetric quantiles (P10-P90
    and any others asked for), the median line, and the Safety Valve profile with each year's point coloured by the
    RAG of the median; P(within profile) is written above each year."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = list(range(len(deficit)))
    qs = quantile_columns(deficit)
    lows = [q for q in qs if q < 0.5]
    highs = sorted((q for q in qs if q > 0.5), reverse=True)
    pairs = list(zip(lows, highs, strict=False))  # widest first
    for k, (lo, hi) in enumerate(pairs):
        ax.fill_between(x, deficit[qs[lo]], deficit[qs[hi]], color="#1565c0", linewidth=0,
                        alpha=0.25 + 0.25 * k / len(pairs), label=f"P{lo * 100:g} to P{hi * 100:g}")
    ax.plot(x, deficit["accumulated_deficit_gbp_m"], color="#0d47a1", linewidth=2, label="median forecast")
    ax.plot(x, deficit["sv_profile_gbp_m"], "k--", linewidth=1, label="Safety Valve profile")
    ax.scatter(x, deficit["sv_profile_gbp_m"], c=[RAG_COLOURS.get(r, "#757575") for r in deficit["rag"]],
               marker="s", s=60, zorder=3, edgecolors="black", label="profile, RAG of the median")
    if "p_within_profile" in deficit:
        top = deficit[qs[highs[0]]] if highs else deficit["accumulated_deficit_gbp_m"]
        for xi, p, y in zip(x, deficit["p_within_profile"], top, strict=True):
            if p == p:  # no profile that year: NaN
                ax.annotate(f"P(within) {p:.0%}", (xi, y), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontsize=7)
    ax.set_xticks(x, deficit["financial_year"])
    ax.set_ylabel("£m at 31 March (before DfE contributions)")
    ax.margins(y=0.12)
    n = f" ({replications} replications)" if replications else ""
    ax.set_title(title or f"Accumulated DSG deficit: forecast range against the Safety Valve profile{n}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def in_year_chart(deficit: pd.DataFrame, path: Path) -> None:
    """In-year HNB position (spend - income) by financial year: bars above zero are deficits."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = list(range(len(deficit)))
    values = deficit["in_year_deficit_gbp_m"]
    ax.bar(x, values, color=["#c62828" if v > 0 else "#2e7d32" for v in values])
    for xi, v in zip(x, values, strict=True):
        ax.annotate(f"{v:+.1f}", (xi, v), ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
    ax.set_xticks(x, deficit["financial_year"])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("£m (+ deficit)")
    ax.set_title("In-year High Needs Block position (spend - allocation - Schools Block transfer)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def census_chart(census: pd.DataFrame, path: Path) -> None:
    """EHCPs at each January census by age band, with the plan's figures where the scenario gives them."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bands = census[(census["setting"] == "all") & (census["age_band"] != "all")]
    for i, band in enumerate(AGE_BANDS):
        rows = bands[bands["age_band"] == band]
        colour = f"C{i}"
        ax.plot(rows["census_year"], rows["ehcps"], marker="o", color=colour, label=AGE_BAND_LABELS[band])
        planned = rows.dropna(subset=["plan_ehcps"])
        if len(planned):
            ax.scatter(planned["census_year"], planned["plan_ehcps"], marker="x", s=80, color=colour)
    ax.scatter([], [], marker="x", color="black", label="Safety Valve plan")
    ax.set_xlabel("January census")
    ax.set_ylabel("EHC plans")
    ax.set_title("EHC plans by age band against plan")
    ax.legend(fontsize=8, ncol=2, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def placement_mix_chart(placements: pd.DataFrame, path: Path) -> None:
    """Plans by setting over time (stacked), on the first day of each month."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 4.8))
    dates = pd.to_datetime(placements["date"])
    ax.stackplot(dates, *[placements[s] for s in SETTINGS], labels=[SETTING_LABELS[s] for s in SETTINGS])
    ax.set_ylabel("EHC plans")
    ax.set_title("Placement mix over time")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_charts(
    folder: Path, deficit: pd.DataFrame, census: pd.DataFrame, placements: pd.DataFrame, title: str = "",
    replications: int = 1,
) -> list[str]:
    """Draw every chart into `folder`; returns the file names written (the fan chart only with replications > 1)."""
    charts = {
        "deficit.png": lambda p: deficit_chart(deficit, p, title),
        "in_year_hnb.png": lambda p: in_year_chart(deficit, p),
        "ehcps_by_age_band.png": lambda p: census_chart(census, p),
        "placement_mix.png": lambda p: placement_mix_chart(placements, p),
    }
    if replications > 1:
        charts["deficit_fan.png"] = lambda p: fan_chart(deficit, p, replications=replications)
    for name, draw in charts.items():
        draw(folder / name)
    return list(charts)


__all__ = ["fan_chart", "quantile_columns", "write_charts"]
