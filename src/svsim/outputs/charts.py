"""PNG charts of a run, drawn from the run folder's tables (matplotlib with the Agg backend, imported only here).

Conventions, so that every chart reads the same at A4: money in £m on the axis, financial-year labels
(2023-24), values written on the chart, and RAG shown by colour AND marker shape (circle GREEN, triangle AMBER,
square RED) in colours that stay distinct for colour-blind readers, always with a legend.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..domain import AGE_BAND_LABELS, AGE_BANDS, SETTING_LABELS, SETTINGS

RAG_COLOURS = {"GREEN": "#1a9641", "AMBER": "#e6a100", "RED": "#b2182b", "": "#8c8c8c"}
"""RAG colours that stay apart under the common colour-vision deficiencies (with shapes as a second cue)."""
RAG_MARKERS = {"GREEN": "o", "AMBER": "^", "RED": "s", "": "D"}
SETTING_COLOURS = {
    "mainstream": "#0072b2", "srp": "#56b4e9", "special": "#009e73", "independent": "#d55e00",
    "post16": "#cc79a7", "eotas": "#e69f00", "neet_awaiting": "#7f7f7f",
}
"""Okabe-Ito colours, one per setting, the same in every chart."""
BAND_COLOURS = ("#e69f00", "#0072b2", "#009e73", "#cc79a7", "#d55e00")
NEUTRAL = "#4d6d8a"
"""Bars that are not a judgement (an in-year position, a level): neither red nor green."""
DPI = 150
SIZE = (8.0, 4.2)


def _pyplot():  # noqa: ANN202 - matplotlib.pyplot, imported lazily
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.spines.top": False,
                         "axes.spines.right": False, "legend.fontsize": 8})
    return plt


def _save(fig, path: Path) -> None:  # noqa: ANN001 - a matplotlib Figure
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _money(v: float) -> str:
    return f"{v:,.1f}"


_QUANTILE_COLUMN = re.compile(r"^accumulated_deficit_gbp_m_p(\d+(?:_\d+)?)$")


def quantile_columns(deficit: pd.DataFrame) -> dict[float, str]:
    """Quantile -> column of the accumulated deficit quantiles in a deficit table (0.5 is the median column)."""
    out = {float(m.group(1).replace("_", ".")) / 100: c for c in deficit.columns if (m := _QUANTILE_COLUMN.match(c))}
    return dict(sorted({**out, 0.5: "accumulated_deficit_gbp_m"}.items()))


def replications_of(deficit: pd.DataFrame) -> int:
    return int(deficit["replications"].iloc[0]) if "replications" in deficit and len(deficit) else 1


def forecast_label(replications: int) -> str:
    """'median of 40 replications' or the plain warning for a single one."""
    return f"median of {replications} replications" if replications > 1 else "one replication, not a forecast"


def deficit_chart(deficit: pd.DataFrame, path: Path, title: str = "") -> None:
    """Accumulated DSG deficit: the median forecast with its P10-P90 band (and other quantiles asked for) against
    the Safety Valve profile; each year's forecast point marked by its RAG, values written on both lines, and
    P(within profile) under the year label."""
    plt = _pyplot()
    n = replications_of(deficit)
    fig, ax = plt.subplots(figsize=(8.0, 4.6))
    x = list(range(len(deficit)))
    qs = quantile_columns(deficit)
    lows = [q for q in qs if q < 0.5]
    highs = sorted((q for q in qs if q > 0.5), reverse=True)
    if n > 1:
        pairs = list(zip(lows, highs, strict=False))
        for k, (lo, hi) in enumerate(pairs):
            ax.fill_between(x, deficit[qs[lo]], deficit[qs[hi]], color="#4d6d8a", linewidth=0,
                            alpha=0.18 + 0.17 * k / max(len(pairs), 1),
                            label=f"forecast range P{lo * 100:g} to P{hi * 100:g}")
    median = deficit["accumulated_deficit_gbp_m"]
    profile = deficit["sv_profile_gbp_m"]
    ax.plot(x, profile, color="black", linestyle="--", linewidth=1.2, marker="_", markersize=14,
            label="Safety Valve profile")
    ax.plot(x, median, color="#1f3b57", linewidth=2,
            label="forecast (" + forecast_label(n) + ")")
    if "accumulated_deficit_net_of_dfe_gbp_m" in deficit:
        ax.plot(x, deficit["accumulated_deficit_net_of_dfe_gbp_m"], color="#56b4e9", linewidth=1.2, linestyle=":",
                label="forecast net of DfE instalments")
    for rag in ("GREEN", "AMBER", "RED"):
        sel = [i for i in x if deficit["rag"].iloc[i] == rag]
        ax.scatter([x[i] for i in sel], [median.iloc[i] for i in sel], marker=RAG_MARKERS[rag], s=70, zorder=4,
                   color=RAG_COLOURS[rag], edgecolors="black", linewidths=0.6, label=f"RAG {rag}")
    for xi, m, p in zip(x, median, profile, strict=True):
        above = p != p or m >= p
        ax.annotate(_money(m), (xi, m), textcoords="offset points", xytext=(0, 9 if above else -14), ha="center",
                    fontsize=8, fontweight="bold", color="#1f3b57")
        if p == p:
            ax.annotate(_money(p), (xi, p), textcoords="offset points", xytext=(0, -14 if above else 9),
                        ha="center", fontsize=8)
    if "outturn_accumulated_deficit_gbp_m" in deficit and deficit["outturn_accumulated_deficit_gbp_m"].notna().any():
        closed = [i for i in x if deficit["outturn_accumulated_deficit_gbp_m"].iloc[i] == deficit[
            "outturn_accumulated_deficit_gbp_m"].iloc[i]]
        values = [deficit["outturn_accumulated_deficit_gbp_m"].iloc[i] for i in closed]
        ax.scatter(closed, values, marker="*", s=150, color="black", zorder=5, label="outturn (closed year)")
        for xi, v in zip(closed, values, strict=True):
            ax.annotate(f"outturn {_money(v)}", (xi, v), textcoords="offset points", xytext=(10, -3),
                        fontsize=7.5)
    labels = list(deficit["financial_year"])
    if "p_within_profile" in deficit and n > 1:
        labels = [f"{fy}\nP(within) {p:.0%}" if p == p else fy
                  for fy, p in zip(labels, deficit["p_within_profile"], strict=True)]
    ax.set_xticks(x, labels)
    ax.set_ylabel("£m at 31 March, before DfE contributions")
    ax.set_ylim(bottom=0)
    ax.margins(y=0.12)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title or "Accumulated DSG deficit against the Safety Valve profile")
    ax.legend(loc="upper left", fontsize=7.5, ncol=2)
    _save(fig, path)


def in_year_chart(deficit: pd.DataFrame, path: Path) -> None:
    """In-year High Needs Block position by financial year (spend - income; mean path), bars above zero are a
    deficit. One neutral colour: the RAG judgement is on the accumulated position, not on these bars."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    x = list(range(len(deficit)))
    values = deficit["in_year_deficit_gbp_m"]
    ax.bar(x, values, color=[NEUTRAL if v >= 0 else "#9ecae1" for v in values], width=0.6)
    for xi, v in zip(x, values, strict=True):
        ax.annotate(f"{v:+,.1f}", (xi, v), textcoords="offset points", xytext=(0, 3 if v >= 0 else -11),
                    ha="center", fontsize=8)
    ax.set_xticks(x, deficit["financial_year"])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("£m in the year (+ = deficit)")
    ax.margins(y=0.15)
    ax.grid(axis="y", alpha=0.3)
    n = replications_of(deficit)
    basis = f"mean of {n} replications" if n > 1 else "one replication, not a forecast"
    ax.set_title(f"In-year High Needs Block position: spend - income ({basis})")
    _save(fig, path)


def census_chart(census: pd.DataFrame, path: Path, basis: str = "median") -> None:
    """EHCPs at each January census by age band, with the plan's figures where the scenario gives them."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    bands = census[(census["setting"] == "all") & (census["age_band"] != "all")]
    for i, band in enumerate(AGE_BANDS):
        rows = bands[bands["age_band"] == band]
        colour = BAND_COLOURS[i % len(BAND_COLOURS)]
        ax.plot(rows["census_year"], rows["ehcps"], marker="o", color=colour, label=AGE_BAND_LABELS[band])
        if len(rows):
            last = rows.iloc[-1]
            ax.annotate(f"{last['ehcps']:,.0f}", (last["census_year"], last["ehcps"]), textcoords="offset points",
                        xytext=(6, 0), va="center", fontsize=7.5, color=colour)
        planned = rows.dropna(subset=["plan_ehcps"])
        if len(planned):
            ax.scatter(planned["census_year"], planned["plan_ehcps"], marker="x", s=70, color=colour, zorder=4)
    ax.scatter([], [], marker="x", color="black", label="Safety Valve plan")
    years = sorted(bands["census_year"].unique())
    ax.set_xticks(years, [f"Jan {y}" for y in years])
    ax.set_xlim(min(years) - 0.3, max(years) + 0.6)
    ax.set_ylabel("EHC plans at the January census")
    _thousands(ax)
    ax.set_title(f"EHC plans by age band against the Safety Valve plan ({basis})")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7.5, ncol=3, loc="upper left")
    ax.set_ylim(bottom=0)
    ax.margins(y=0.2)
    _save(fig, path)


def _financial_year_axis(ax, dates: pd.Series, short: bool = False) -> None:  # noqa: ANN001 - a matplotlib Axes
    """Gridlines at each 1 April and the financial year's label in the middle of it ('2023-24', or '23-24' where
    the chart is narrow)."""
    first, last = dates.min(), dates.max()
    starts = [pd.Timestamp(y, 4, 1) for y in range(first.year - 1, last.year + 1)]
    ax.set_xticks([s for s in starts if first <= s <= last], minor=True)
    mids = [s + pd.DateOffset(months=6) for s in starts if first <= s + pd.DateOffset(months=6) <= last]
    labels = [f"{m.year - 1}-{str(m.year)[-2:]}" if m.month < 4 else f"{m.year}-{str(m.year + 1)[-2:]}"
              for m in mids]
    ax.set_xticks(mids, [label[2:] for label in labels] if short else labels)
    ax.tick_params(axis="x", which="major", length=0)
    ax.grid(axis="x", which="minor", alpha=0.4)
    ax.grid(axis="y", alpha=0.3)


def _thousands(ax) -> None:  # noqa: ANN001 - a matplotlib Axes
    """Counts on the y axis with thousands separators (18,000, not 18000)."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def placement_mix_chart(placements: pd.DataFrame, path: Path, basis: str = "median") -> None:
    """Plans by setting over time (stacked), on the first day of each month, by financial year."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    dates = pd.to_datetime(placements["date"])
    settings = [s for s in SETTINGS if s in placements]
    ax.stackplot(dates, *[placements[s] for s in settings], labels=[SETTING_LABELS[s] for s in settings],
                 colors=[SETTING_COLOURS[s] for s in settings], alpha=0.9)
    last = placements.iloc[-1]
    total = sum(last[s] for s in settings)
    ax.annotate(f"{total:,.0f} plans", (dates.iloc[-1], total), textcoords="offset points", xytext=(-4, 4),
                ha="right", fontsize=8)
    _financial_year_axis(ax, dates)
    _thousands(ax)
    ax.set_ylabel("EHC plans")
    ax.set_title(f"Placement mix: EHC plans by setting ({basis})")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", fontsize=6.5, ncol=2)
    ax.margins(y=0.35)
    _save(fig, path)


def occupancy_chart(placements: pd.DataFrame, monthly: pd.DataFrame, path: Path, basis: str = "median") -> None:
    """Plans in maintained special schools and resourced provision against the places the scenario gives them."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.6))
    dates = pd.to_datetime(placements["date"])
    for ax, setting in zip(axes, ("special", "srp"), strict=True):
        ax.plot(dates, placements[setting], color=SETTING_COLOURS[setting], linewidth=2, label="plans placed")
        column = f"capacity_{setting}"
        cap = monthly.get(column, None)
        if cap is not None and cap.notna().any():
            ax.step(pd.to_datetime(monthly["date"]), cap, where="post", color="black", linestyle="--",
                    linewidth=1, label="places (capacity)")
            ratio = placements[setting].iloc[-1] / cap.iloc[-1] if cap.iloc[-1] == cap.iloc[-1] else math.nan
            if ratio == ratio:
                ax.annotate(f"{ratio:.0%} full at the end", (0.02, 0.95), xycoords="axes fraction", fontsize=8,
                            va="top")
        else:
            ax.annotate("no capacity limit in the scenario", (0.02, 0.05), xycoords="axes fraction", fontsize=7.5)
        _financial_year_axis(ax, dates, short=True)
        _thousands(ax)
        ax.set_title(SETTING_LABELS[setting], fontsize=8.5)
        ax.set_ylabel("EHC plans")
        ax.legend(fontsize=7, loc="lower right", framealpha=0.9)
        ax.margins(y=0.25)
    fig.suptitle(f"Occupancy against capacity ({basis})", fontsize=10)
    _save(fig, path)


def _rolling_share(num: pd.Series, den: pd.Series, months: int = 12) -> pd.Series:
    n = num.rolling(months, min_periods=months).sum()
    d = den.rolling(months, min_periods=months).sum()
    return (n / d.where(d > 0)) * 100


def assessments_chart(monthly: pd.DataFrame, path: Path, basis: str = "median") -> None:
    """The assessment pipeline: requests awaiting a decision, assessments under way and the queue waiting for an
    officer (left; together the open cases the Report counts); the share of plans issued within 20 weeks over the
    last 12 months (right)."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.6))
    dates = pd.to_datetime(monthly["date"])
    fig.suptitle(f"The assessment pipeline ({basis})", fontsize=10)
    for column, label, colour in (("open_requests", "requests awaiting the decision to assess", "#0072b2"),
                                  ("assessments_in_progress", "in assessment", "#009e73"),
                                  ("assessment_queue", "waiting for an assessment officer", "#d55e00")):
        if column in monthly:
            left.plot(dates, monthly[column], color=colour, label=label)
            left.annotate(f"{monthly[column].iloc[-1]:,.0f}", (dates.iloc[-1], monthly[column].iloc[-1]),
                          textcoords="offset points", xytext=(2, 0), fontsize=7.5, color=colour)
    left.set_title("Needs assessments in progress", fontsize=9)
    left.set_ylabel("children at the start of the month")
    left.legend(fontsize=7, loc="upper left")
    shown = [c for c in ("open_requests", "assessments_in_progress", "assessment_queue") if c in monthly]
    top = float(monthly[shown].max().max()) if shown else 0.0
    left.set_ylim(0, top * 1.45 if top > 0 else 1.0)  # head room for the legend above the lines
    if {"plans_issued", "plans_issued_within_20_weeks"} <= set(monthly.columns):
        share = _rolling_share(monthly["plans_issued_within_20_weeks"], monthly["plans_issued"])
        right.plot(dates, share, color="#009e73", linewidth=2, label="issued within 20 weeks, last 12 months")
        valid = share.dropna()
        if len(valid):
            right.annotate(f"{valid.iloc[-1]:.0f}%", (dates[valid.index[-1]], valid.iloc[-1]),
                           textcoords="offset points", xytext=(2, 0), fontsize=8)
        right.set_ylim(0, 100)
        right.legend(fontsize=7, loc="lower left")
    right.set_title("Timeliness: new plans within 20 weeks", fontsize=9)
    right.set_ylabel("% of plans issued")
    for ax in (left, right):
        _financial_year_axis(ax, dates, short=True)
        ax.tick_params(axis="x", labelsize=7)
        _thousands(ax)
    _save(fig, path)


def reviews_appeals_chart(monthly: pd.DataFrame, path: Path, basis: str = "median") -> None:
    """Annual reviews overdue at the start of each month (left) and appeals against refusals over the last 12
    months (right)."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.6))
    dates = pd.to_datetime(monthly["date"])
    fig.suptitle(f"Annual reviews and appeals ({basis})", fontsize=10)
    if "reviews_overdue" in monthly:
        left.plot(dates, monthly["reviews_overdue"], color="#cc79a7", linewidth=2, label="annual reviews overdue")
        left.annotate(f"{monthly['reviews_overdue'].iloc[-1]:,.0f}", (dates.iloc[-1],
                      monthly["reviews_overdue"].iloc[-1]), textcoords="offset points", xytext=(2, 0), fontsize=8)
        left.legend(fontsize=7, loc="upper left")
    left.set_title("Overdue annual reviews", fontsize=9)
    left.set_ylabel("plans at the start of the month")
    left.set_ylim(bottom=0)
    left.margins(y=0.2)
    for column, label, colour in (("appeals", "appeals lodged", "#0072b2"),
                                  ("appeals_won", "appeals won (the assessment goes ahead)", "#e69f00")):
        if column in monthly:
            rolled = monthly[column].rolling(12, min_periods=12).sum()
            right.plot(dates, rolled, color=colour, linewidth=2, label=label)
            valid = rolled.dropna()
            if len(valid):
                right.annotate(f"{valid.iloc[-1]:,.0f}", (dates[valid.index[-1]], valid.iloc[-1]),
                               textcoords="offset points", xytext=(2, 0), fontsize=8, color=colour)
    right.set_title("Appeals to the tribunal against refusal to assess", fontsize=9)
    right.set_ylabel("in the last 12 months")
    right.set_ylim(bottom=0)
    right.margins(y=0.2)
    right.legend(fontsize=7, loc="upper left")
    for ax in (left, right):
        _financial_year_axis(ax, dates, short=True)
        ax.tick_params(axis="x", labelsize=7)
        _thousands(ax)
    _save(fig, path)


def spend_chart(spend: pd.DataFrame, path: Path, basis: str = "median") -> None:
    """High Needs Block spend by financial year, stacked by setting with the other budget lines on top; the
    total written above each bar."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    years = list(dict.fromkeys(spend["financial_year"]))
    x = list(range(len(years)))
    bottom = [0.0] * len(years)
    placement = spend[spend["kind"] == "placement"]
    for setting in SETTINGS:
        rows = placement[placement["line"] == setting].set_index("financial_year")
        if rows.empty:
            continue
        values = [float(rows["spend_gbp_m"].get(y, 0.0)) for y in years]
        ax.bar(x, values, bottom=bottom, color=SETTING_COLOURS[setting], label=SETTING_LABELS[setting], width=0.65)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    other = spend[spend["kind"] == "other"].groupby("financial_year")["spend_gbp_m"].sum()
    values = [float(other.get(y, 0.0)) for y in years]
    if any(values):
        ax.bar(x, values, bottom=bottom, color="#d9d9d9", label="other HNB lines", width=0.65, hatch="//",
               edgecolor="white")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for xi, total in zip(x, bottom, strict=True):
        ax.annotate(f"£{total:,.0f}m", (xi, total), textcoords="offset points", xytext=(0, 3), ha="center",
                    fontsize=8, fontweight="bold")
    ax.set_xticks(x, years)
    ax.set_ylabel("£m in the year")
    ax.set_title(f"High Needs Block spend by setting ({basis})")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.1)
    _save(fig, path)


CHART_CAPTIONS: dict[str, str] = {
    "deficit.png": "Accumulated DSG deficit at 31 March against the Safety Valve profile",
    "in_year_hnb.png": "In-year High Needs Block position",
    "ehcps_by_age_band.png": "EHC plans by age band against the plan",
    "placement_mix.png": "Placement mix over time",
    "occupancy.png": "Special school and resourced provision places: occupancy against capacity",
    "assessments.png": "Assessment queue and 20-week timeliness",
    "reviews_appeals.png": "Overdue annual reviews and appeals",
    "spend_by_setting.png": "High Needs Block spend by setting",
}
"""Each chart a run may draw, with the caption the report shows."""


def write_charts(folder: Path, tables: dict[str, pd.DataFrame], title: str = "") -> list[str]:
    """Draw every chart the tables allow into `folder`; returns the file names written (in report order)."""
    deficit, census = tables.get("deficit"), tables.get("census")
    placements, monthly, spend = tables.get("placements"), tables.get("monthly"), tables.get("spend")
    n = replications_of(deficit) if deficit is not None else 1
    basis = "median of replications" if n > 1 else "one replication, not a forecast"
    charts: dict[str, Callable[[Path], None]] = {}
    if deficit is not None:
        charts["deficit.png"] = lambda p: deficit_chart(deficit, p, title)
        charts["in_year_hnb.png"] = lambda p: in_year_chart(deficit, p)
    if census is not None:
        charts["ehcps_by_age_band.png"] = lambda p: census_chart(census, p, basis)
    if placements is not None:
        charts["placement_mix.png"] = lambda p: placement_mix_chart(placements, p, basis)
        if monthly is not None:
            charts["occupancy.png"] = lambda p: occupancy_chart(placements, monthly, p, basis)
    if monthly is not None:
        charts["assessments.png"] = lambda p: assessments_chart(monthly, p, basis)
        charts["reviews_appeals.png"] = lambda p: reviews_appeals_chart(monthly, p, basis)
    if spend is not None:
        charts["spend_by_setting.png"] = lambda p: spend_chart(spend, p, basis)
    for name, draw in charts.items():
        draw(folder / name)
    return list(charts)


__all__ = ["CHART_CAPTIONS", "RAG_COLOURS", "RAG_MARKERS", "forecast_label", "quantile_columns", "write_charts"]
