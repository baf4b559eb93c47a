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

SAVING = "#2e7d32"
COST = "#c62828"
LEVEL_BAR = "#546e7a"


def differences_chart(differences: pd.DataFrame, path: Path, base_label: str) -> None:
    """Accumulated-deficit difference OTHER - BASE by year: paired 95% CI (dark) beside the unpaired one (light)."""
    plt = _pyplot()
    acc = differences[differences["measure"] == "accumulated_deficit_gbp_m"]
    others = list(dict.fromkeys(acc["other"]))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / max(len(others), 1)
    for i, other in enumerate(others):
        rows = acc[acc["other"] == other].reset_index(drop=True)
        x = [k - 0.4 + width * (i + 0.5) for k in range(len(rows))]
        colour = f"C{i}"
        mean = rows["mean_difference"]
        ax.errorbar([xi + width * 0.15 for xi in x], mean,
                    yerr=[mean - rows["unpaired_ci_low"], rows["unpaired_ci_high"] - mean], fmt="none",
                    ecolor=colour, alpha=0.35, elinewidth=6, label=f"{other}: unpaired 95% CI")
        ax.errorbar(x, mean, yerr=[mean - rows["ci_low"], rows["ci_high"] - mean], fmt="o", color=colour,
                    capsize=4, label=f"{other}: paired mean and 95% CI")
    years = list(dict.fromkeys(acc["financial_year"]))
    ax.set_xticks(range(len(years)), years)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"£m at 31 March (OTHER - {base_label})")
    ax.set_title("Accumulated DSG deficit: difference from BASE on common random numbers")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def waterfall_chart(attribution: Attribution, path: Path, profile_gbp_m: float | None = None,
                    fy: int | None = None, without_label: str = "", with_label: str = "") -> None:
    """From the deficit without the interventions to the deficit with them, one step per Shapley saving."""
    plt = _pyplot()
    fy = attribution.years[-1] if fy is None else fy
    plan = attribution.plan
    start, end = attribution.level(0, fy), attribution.level(-1, fy)
    labels = [f"without\n{without_label}".strip(), *(p.label.replace(" + ", "\n+ ") for p in plan.players),
              f"with\n{with_label}".strip()]
    fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(labels)), 5))
    ax.bar(0, start, color=LEVEL_BAR)
    ax.annotate(f"{start:.1f}", (0, start), ha="center", va="bottom", fontsize=8)
    level = start
    for j in range(plan.k):
        s = attribution.player_stat(j, fy)
        top, bottom = level, level - s.mean
        ax.bar(j + 1, top - bottom, bottom=bottom, color=SAVING if s.mean >= 0 else COST)
        label_at = max(top, bottom)
        if s.ci_low == s.ci_low:  # the whisker shows where `bottom` could be: the 95% CI of the saving
            ax.errorbar(j + 1, bottom, yerr=[[s.ci_high - s.mean], [s.mean - s.ci_low]], fmt="none",
                        ecolor="black", capsize=3, linewidth=0.8)
            label_at = max(label_at, bottom + s.mean - s.ci_low)
        ax.annotate(f"{-s.mean:+.1f}", (j + 1, label_at), ha="center", va="bottom", fontsize=8)
        ax.plot([j + 0.6, j + 1.4], [bottom, bottom], color="black", linewidth=0.5)
        level = bottom
    ax.bar(plan.k + 1, end, color=LEVEL_BAR)
    ax.annotate(f"{end:.1f}", (plan.k + 1, end), ha="center", va="bottom", fontsize=8)
    if profile_gbp_m is not None:
        ax.axhline(profile_gbp_m, color="black", linestyle="--", linewidth=1,
                   label=f"Safety Valve profile: {profile_gbp_m:g}")
        ax.legend(fontsize=8, loc="lower center")
    ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=7)
    ax.set_ylabel(f"£m at 31 March {fy + 1}")
    ax.set_title(f"Accumulated DSG deficit {financial_year_label(fy)}: Shapley saving of each intervention "
                 f"(mean of {attribution.replications}; whiskers: 95% CI)", fontsize=9)
    ax.axhline(0, color="black", linewidth=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def by_year_chart(attribution: Attribution, path: Path) -> None:
    """Each intervention's saving (accumulated deficit, mean) by financial year, stacked."""
    plt = _pyplot()
    plan = attribution.plan
    fig, ax = plt.subplots(figsize=(11, 4.8))
    x = list(range(len(attribution.years)))
    pos = [0.0] * len(x)
    neg = [0.0] * len(x)
    for j, p in enumerate(plan.players):
        values = [attribution.player_stat(j, fy).mean for fy in attribution.years]
        bottoms = [pos[i] if v >= 0 else neg[i] for i, v in enumerate(values)]
        ax.bar(x, values, bottom=bottoms, color=f"C{j % 10}", label=p.label)
        for i, v in enumerate(values):
            if v >= 0:
                pos[i] += v
            else:
                neg[i] += v
    totals = [attribution.total_stat(fy).mean for fy in attribution.years]
    ax.plot(x, totals, "k_", markersize=20, markeredgewidth=2, label="total saving")
    ax.set_xticks(x, [financial_year_label(fy) for fy in attribution.years])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("£m lower accumulated deficit at 31 March")
    ax.set_title(f"Saving by intervention (Shapley, mean of {attribution.replications} replications)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
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
