"""PNG charts of a comparison: paired vs unpaired differences, and the savings waterfall (matplotlib, Agg, lazy)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..domain import financial_year_label
from ..experiment.attribution import Attribution
from ..scenario import Scenario
from .charts import _pyplot
from .run_folder import safe_name

SAVING = "#0072b2"
"""A saving (lower deficit): blue. A cost (higher deficit): vermilion. Never green/red, which read as RAG."""
COST = "#d55e00"
LEVEL_BAR = "#4d6d8a"
PALETTE = ("#0072b2", "#e69f00", "#56b4e9", "#cc79a7", "#332288", "#f0e442", "#d55e00", "#000000", "#999999",
           "#aa4499")
"""One colour per measure; no green, which would read as 'on track' whatever the sign."""


def differences_chart(differences: pd.DataFrame, path: Path, base_label: str) -> None:
    """Saving of each compared scenario against the first (+ = lower accumulated deficit), by year: the mean over
    paired replications with its 95% interval, the value written on each point."""
    plt = _pyplot()
    acc = differences[differences["measure"] == "accumulated_deficit_gbp_m"]
    others = list(dict.fromkeys(acc["other"]))
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.8 / max(len(others), 1)
    for i, other in enumerate(others):
        rows = acc[acc["other"] == other].reset_index(drop=True)
        x = [k - 0.4 + width * (i + 0.5) for k in range(len(rows))]
        saving = -rows["mean_difference"]
        low, high = -rows["ci_high"], -rows["ci_low"]
        colour = PALETTE[i % len(PALETTE)]
        ax.errorbar(x, saving, yerr=[saving - low, high - saving], fmt="o", color=colour, capsize=4,
                    label=f"{other} (mean and 95% interval)")
        for xi, v in zip(x, saving, strict=True):
            ax.annotate(f"{v + 0.0:+.1f}" if abs(v) >= 0.05 else "0.0", (xi, v), textcoords="offset points",
                        xytext=(7, 0), va="center", fontsize=7.5)
    years = list(dict.fromkeys(acc["financial_year"]))
    ax.set_xticks(range(len(years)), years)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"£m saving against {base_label}\n(+ = lower deficit)")
    ax.set_title("Accumulated DSG deficit at 31 March: saving on the same random numbers")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def waterfall_chart(attribution: Attribution, path: Path, profile_gbp_m: float | None = None,
                    fy: int | None = None, without_label: str = "", with_label: str = "") -> None:
    """From the deficit without the measures to the deficit with them, one step per measure's saving (+ = lower
    deficit, blue; a measure that raises the deficit steps up, vermilion). The axis starts near the levels, not at
    zero, so the steps can be read; the break is said on the axis."""
    plt = _pyplot()
    fy = attribution.years[-1] if fy is None else fy
    plan = attribution.plan
    start, end = attribution.level(0, fy), attribution.level(-1, fy)
    labels = [f"without\n{without_label}".strip(), *(p.label.replace(" + ", "\n+ ") for p in plan.players),
              f"with\n{with_label}".strip()]
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(labels)), 5.4))
    level = start
    tops = [start, end]
    steps = []
    for j in range(plan.k):
        s = attribution.player_stat(j, fy)
        steps.append((j, s, level, level - s.mean))
        tops += [level, level - s.mean]
        if s.ci_low == s.ci_low:  # the whisker's ends must be on the axis too
            tops += [level - s.mean - (s.ci_high - s.mean), level - s.mean + (s.mean - s.ci_low)]
        level -= s.mean
    lo, hi = min(tops), max(tops)
    span = max(hi - lo, 1e-9)
    floor = max(0.0, lo - 0.6 * span) if lo > 0 else lo - 0.1 * span
    ax.bar(0, start - floor, bottom=floor, color=LEVEL_BAR)
    ax.annotate(f"{start:,.1f}", (0, start), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    for j, s, top, bottom in steps:
        ax.bar(j + 1, top - bottom, bottom=bottom, color=SAVING if s.mean >= 0 else COST, width=0.7)
        if s.ci_low == s.ci_low:  # whisker: the 95% interval of the saving, at the step's end
            ax.errorbar(j + 1, bottom, yerr=[[s.ci_high - s.mean], [s.mean - s.ci_low]], fmt="none",
                        ecolor="black", capsize=3, linewidth=0.8)
        ax.annotate(f"{s.mean:+.1f}", (j + 1, max(top, bottom)), textcoords="offset points", xytext=(0, 3),
                    ha="center", fontsize=8, fontweight="bold")
        ax.plot([j + 0.65, j + 1.35], [bottom, bottom], color="black", linewidth=0.5)
    ax.bar(plan.k + 1, end - floor, bottom=floor, color=LEVEL_BAR)
    ax.annotate(f"{end:,.1f}", (plan.k + 1, end), textcoords="offset points", xytext=(0, 3), ha="center",
                fontsize=8)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    top_of_axis = hi + 0.12 * span
    handles = [Patch(color=SAVING, label="saving (+ = lower deficit)"), Patch(color=COST, label="raises the deficit"),
               Patch(color=LEVEL_BAR, label="deficit without / with the measures")]
    if profile_gbp_m is not None and floor <= profile_gbp_m <= top_of_axis:
        ax.axhline(profile_gbp_m, color="black", linestyle="--", linewidth=1)
        handles.append(Line2D([], [], color="black", linestyle="--", label=f"Safety Valve profile: {profile_gbp_m:g}"))
    elif profile_gbp_m is not None:
        where = "below" if profile_gbp_m < floor else "above"
        handles.append(Line2D([], [], color="black", linestyle="--",
                              label=f"Safety Valve profile: {profile_gbp_m:g} ({where} this axis)"))
    ax.legend(handles=handles, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2,
              frameon=False)
    ax.set_ylim(floor, top_of_axis)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
    axis_note = "" if floor <= 0 else f" (axis starts at {floor:,.0f})"
    ax.set_ylabel(f"£m at 31 March {fy + 1}{axis_note}")
    ax.set_title(f"Accumulated DSG deficit {financial_year_label(fy)}: what each measure saves "
                 f"(mean of {attribution.replications}; whiskers: 95% interval)", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def by_year_chart(attribution: Attribution, path: Path) -> None:
    """Each measure's saving (accumulated deficit, mean; + = lower deficit) by financial year, stacked; a measure
    that raises the deficit is drawn below zero and hatched."""
    plt = _pyplot()
    plan = attribution.plan
    fig, ax = plt.subplots(figsize=(8, 5.6))
    x = list(range(len(attribution.years)))
    pos = [0.0] * len(x)
    neg = [0.0] * len(x)
    for j, p in enumerate(plan.players):
        values = [attribution.player_stat(j, fy).mean for fy in attribution.years]
        bottoms = [pos[i] if v >= 0 else neg[i] for i, v in enumerate(values)]
        hatch = "//" if any(v < 0 for v in values) else None
        ax.bar(x, values, bottom=bottoms, color=PALETTE[j % len(PALETTE)], label=p.label, hatch=hatch,
               edgecolor="white", width=0.65)
        for i, v in enumerate(values):
            if v >= 0:
                pos[i] += v
            else:
                neg[i] += v
    totals = [attribution.total_stat(fy).mean for fy in attribution.years]
    ax.plot(x, totals, "k_", markersize=22, markeredgewidth=2, label="total saving")
    for xi, t, top in zip(x, totals, pos, strict=True):
        ax.annotate(f"{t:+.1f}", (xi, max(t, top)), textcoords="offset points", xytext=(0, 4), ha="center",
                    fontsize=8, fontweight="bold")
    ax.set_xticks(x, [financial_year_label(fy) for fy in attribution.years])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("£m saving at 31 March (+ = lower deficit)")
    ax.set_title(f"Saving by measure and year (mean of {attribution.replications} replications)\n"
                 "above zero: lowers the deficit; below zero, hatched: raises it", fontsize=9)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.12)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def write_compare_charts(
    folder: Path, differences: pd.DataFrame, attributions: Mapping[str, Attribution], base: Scenario,
    pair_labels: Mapping[str, tuple[str, str]] | None = None,
) -> list[str]:
    """Draw every chart of a comparison into `folder`; returns the file names.

    `pair_labels` gives, per OTHER label, the (without, with) scenario labels shown under the waterfall's end bars.
    """
    names = ["differences.png"]
    base_label = str(differences["base"].iloc[0]) if len(differences) else base.name
    differences_chart(differences, folder / names[0], base_label)
    for label, attribution in attributions.items():
        suffix = "" if len(attributions) == 1 else f"-{safe_name(label)}"
        fy = attribution.years[-1]
        profile = attribution.plan.mitigated.targets.sv_profile_gbp_m.get(fy)
        waterfall = f"attribution_waterfall{suffix}.png"
        waterfall_chart(attribution, folder / waterfall, profile, fy, *(pair_labels or {}).get(label, ("", "")))
        by_year = f"attribution_by_year{suffix}.png"
        by_year_chart(attribution, folder / by_year)
        names += [waterfall, by_year]
    return names


__all__ = ["by_year_chart", "differences_chart", "waterfall_chart", "write_compare_charts"]
