"""Results folders of the policy lead's toolkit: `svsim sensitivity`, `svsim solve` and `svsim sweep`.

Each is written atomically like a run folder (outputs/run_folder.py): built under a temporary name, renamed when
complete, never overwriting an earlier one, with a manifest saying how it was made.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..domain import financial_year_label
from ..experiment.sensitivity import SensitivityResult
from ..scenario import Scenario
from .run_folder import RunFolder, run_name

FLOAT_FORMAT = "%.10g"


def _scenario_record(scenario: Scenario, overrides: Sequence[str]) -> dict[str, Any]:
    return {"name": scenario.name, "title": scenario.title,
            "files": [{"path": p, "sha256": h} for p, h in scenario.files], "fingerprint": scenario.fingerprint,
            "overrides": list(overrides), "warnings": list(scenario.warnings)}


def _factor_records(result: SensitivityResult) -> list[dict[str, Any]]:
    return [{"path": f.path, "apply": f.apply, "low": f.low, "high": f.high, "nominal": f.nominal,
             "source": f.source} for f in result.factors]


# ---- sensitivity ---------------------------------------------------------------------------------------------
def points_table(result: SensitivityResult) -> Any:
    """One row per point run: the factor values, then the mean accumulated deficit in every year and P(within
    profile) in the target year."""
    import pandas as pd

    table = pd.DataFrame(result.points, columns=[f.path for f in result.factors])
    table.insert(0, "point", range(len(table)))
    means = result.deficits.mean(axis=1)
    for j, fy in enumerate(result.years):
        table[f"accumulated_deficit_gbp_m_{financial_year_label(fy)}"] = means[:, j]
    k = result.years.index(result.target_year)
    if not math.isnan(result.profile[k]):
        table["p_within_profile"] = (result.deficits[:, :, k] <= result.profile[k]).mean(axis=1)
    return table


def write_sensitivity(scenario: Scenario, result: SensitivityResult, out: Path, *, command: Sequence[str] | None,
                      overrides: Sequence[str] = (), elapsed_s: float = 0.0, charts: bool = True) -> Path:
    manifest = {
        "command": list(command if command is not None else sys.argv),
        "scenario": _scenario_record(scenario, overrides),
        "method": result.method,
        "target_year": financial_year_label(result.target_year),
        "parameters": _factor_records(result),
        "points": int(result.points.shape[0]),
        "runs": result.runs,
        **result.settings,
        "simulate_wall_s": round(elapsed_s, 3),
    }
    with RunFolder(out, run_name(f"sensitivity-{scenario.name}-{result.method}"), manifest) as run:
        result.indices.to_csv(run.path / "indices.csv", index=False, float_format=FLOAT_FORMAT)
        points_table(result).to_csv(run.path / "points.csv", index=False, float_format=FLOAT_FORMAT)
        if charts:
            sensitivity_charts(run.path, result, scenario.title or scenario.name)
    assert run.final_path is not None
    return run.final_path


def sensitivity_charts(folder: Path, result: SensitivityResult, title: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = result.indices
    year = financial_year_label(result.target_year)
    written = []
    for output in table["output"].unique():
        rows = table[table["output"] == output]
        what = (f"accumulated deficit {year}, £m" if output == "accumulated_deficit_gbp_m"
                else f"P(within profile) {year}")
        fig, ax = plt.subplots(figsize=(9, 1.2 + 0.45 * len(rows)))
        labels = list(rows["parameter"])[::-1]
        y = np.arange(len(labels))
        if result.method == "oat":
            rows = rows.iloc[::-1]
            base = float(rows["at_nominal"].iloc[0])
            lo, hi = rows["at_low"].to_numpy(), rows["at_high"].to_numpy()
            ax.barh(y, lo - base, left=base, color="#4477aa", label="at the low end")
            ax.barh(y, hi - base, left=base, color="#cc6677", label="at the high end")
            ax.axvline(base, color="black", linewidth=0.8)
            ax.set_xlabel(f"{what} (line: all at nominal)")
            name = f"tornado_{output}.png"
            ax.set_title(f"{title}\nOne at a time: {what}", fontsize=10)
        elif result.method == "morris":
            ax.remove()
            fig, ax = plt.subplots(figsize=(7, 5))
            ax.errorbar(rows["mu_star"], rows["sigma"], xerr=rows["mu_star_ci_half_width"], fmt="o")
            for _, r in rows.iterrows():
                ax.annotate(r["parameter"], (r["mu_star"], r["sigma"]), fontsize=7, xytext=(3, 3),
                            textcoords="offset points")
            ax.set_xlabel("mu* (mean absolute elementary effect)")
            ax.set_ylabel("sigma (non-linearity or interactions)")
            ax.set_title(f"{title}\nMorris screening: {what}", fontsize=10)
            name = f"morris_{output}.png"
        else:
            rows = rows.iloc[::-1]
            h = 0.38
            for k, (key, colour) in enumerate((("S1", "#4477aa"), ("ST", "#cc6677"))):
                v = rows[key].to_numpy()
                err = np.vstack([v - rows[f"{key}_ci_low"].to_numpy(), rows[f"{key}_ci_high"].to_numpy() - v])
                ax.barh(y + (k - 0.5) * h, v, height=h, xerr=err, color=colour, capsize=2,
                        label="first order S1" if key == "S1" else "total ST")
            ax.set_xlabel("Sobol index (95% interval)")
            ax.set_title(f"{title}\nSobol indices: {what}", fontsize=10)
            name = f"sobol_{output}.png"
        if result.method != "morris":
            ax.set_yticks(y)
            ax.set_yticklabels(labels, fontsize=8)
            ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        written.append(folder / name)
    return written


def _all_the_same(result: SensitivityResult) -> bool:
    """Whether every replication of every point is on the same side of the profile in the target year (P(within
    profile) is then 0% or 100% everywhere and its table says nothing)."""
    import numpy as np

    k = list(result.years).index(result.target_year)
    within = result.deficits[:, :, k] <= result.profile[k]
    return bool(np.all(within) or not np.any(within))


def indices_text(result: SensitivityResult) -> str:
    """The indices as a short terminal table (the deficit output first)."""
    table = result.indices
    year = financial_year_label(result.target_year)
    lines = []
    width = max(48, *(len(p) for p in table["parameter"]))
    for output in table["output"].unique():
        rows = table[table["output"] == output]
        what = f"accumulated deficit {year} (£m)" if output == "accumulated_deficit_gbp_m" else \
            f"P(within profile) {year}"
        if output == "p_within_profile" and _all_the_same(result):
            share = result.deficits[:, :, list(result.years).index(result.target_year)]
            p = float((share <= result.profile[list(result.years).index(result.target_year)]).mean())
            lines.append(f"{result.method.upper()}: {what}: {p:.0%} at every point, so no parameter moves it over "
                         "these ranges")
            lines.append("")
            continue
        lines.append(f"{result.method.upper()}: {what}")
        for _, r in rows.iterrows():
            if result.method == "oat":
                ci = (f"  (95% CI {r['swing_ci_low']:+.1f} to {r['swing_ci_high']:+.1f})"
                      if "swing_ci_low" in r and not _nan(r["swing_ci_low"]) else "")
                fmt = ".1f" if output == "accumulated_deficit_gbp_m" else ".2f"
                lines.append(f"  {r['rank']:>2}. {r['parameter']:<{width}} low {r['at_low']:{fmt}}  high "
                             f"{r['at_high']:{fmt}}  swing {r['swing']:+{fmt}}{ci}")
            elif result.method == "morris":
                lines.append(f"  {r['rank']:>2}. {r['parameter']:<{width}} mu* {r['mu_star']:.3g} "
                             f"(±{r['mu_star_ci_half_width']:.2g})  sigma {r['sigma']:.3g}")
            else:
                lines.append(f"  {r['rank']:>2}. {r['parameter']:<{width}} S1 {r['S1']:.2f} [{r['S1_ci_low']:.2f}, "
                             f"{r['S1_ci_high']:.2f}]  ST {r['ST']:.2f} [{r['ST_ci_low']:.2f}, "
                             f"{r['ST_ci_high']:.2f}]")
        lines.append("")
    return "\n".join(lines).rstrip()


def _nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


__all__ = ["indices_text", "points_table", "sensitivity_charts", "write_sensitivity"]


# ---- solve ---------------------------------------------------------------------------------------------------
def _what(result: Any) -> str:
    p = result.probability
    return "the median" if p == 0.5 else f"the P{p * 100:g} (met with probability {p:g})"


def solve_text(result: Any) -> str:
    """The answer in plain English."""
    lever, year = result.lever, financial_year_label(result.target_year)
    target = (f"the {year} accumulated deficit at or below the profile (£{result.profile_gbp_m:.1f}m) "
              + ("for the median of the replications" if result.probability == 0.5
                 else f"with probability {result.probability:g}"))
    head = f"Goal: {target}, by changing {lever.label} (now {lever.current}) from {lever.since.isoformat()} " \
           f"within {lever.low:g} to {lever.high:g}."
    runs = f"{len(result.trials)} values tried, {result.runs} runs ({result.replications} replications each, " \
           f"seed {result.seed})."
    if result.status == "found":
        t = next(t for t in result.trials if t.value == result.value)
        return "\n".join([
            head,
            f"Answer: {lever.label} = {result.value:.4g} (95% interval {result.ci_low:.4g} to {result.ci_high:.4g}, "
            f"from the replications' spread).",
            f"  There: {_what(result)} deficit £{t.quantile_gbp_m:.1f}m"
            + ("" if result.probability == 0.5 else f", median £{t.median_gbp_m:.1f}m")
            + f", P(within profile) {t.p_within_profile:.0%}.",
            runs,
        ])
    b = result.best
    if result.status == "none":
        verdict = (f"No value of {lever.label} between {lever.low:g} and {lever.high:g} meets it. The best, "
                   f"{b.value:g}, gives {_what(result)} deficit £{b.quantile_gbp_m:.1f}m, "
                   f"£{b.quantile_gbp_m - result.profile_gbp_m:.1f}m above the profile ("
                   + ("" if result.probability == 0.5 else f"median £{b.median_gbp_m:.1f}m, ")
                   + f"P(within profile) {b.p_within_profile:.0%}).")
    else:
        verdict = (f"Every value of {lever.label} between {lever.low:g} and {lever.high:g} meets it: even the "
                   f"worst end, {b.value:g}, gives {_what(result)} deficit £{b.quantile_gbp_m:.1f}m (P(within "
                   f"profile) {b.p_within_profile:.0%}).")
    return "\n".join([head, verdict, runs])


def write_solve(scenario: Scenario, result: Any, out: Path, *, command: Sequence[str] | None,
                overrides: Sequence[str] = (), elapsed_s: float = 0.0, charts: bool = True) -> Path:
    from ..experiment.solve import trials_table

    lever = result.lever
    manifest = {
        "command": list(command if command is not None else sys.argv),
        "scenario": _scenario_record(scenario, overrides),
        "lever": {"path": lever.path, "scale": lever.scale, "from": lever.since, "low": lever.low,
                  "high": lever.high, "now": lever.current},
        "target_year": financial_year_label(result.target_year), "probability": result.probability,
        "profile_gbp_m": result.profile_gbp_m, "status": result.status,
        "answer": None if result.value is None else {"value": result.value, "ci_low": result.ci_low,
                                                     "ci_high": result.ci_high,
                                                     "standard_error": result.standard_error},
        "best": None if result.best is None else {"value": result.best.value,
                                                  "quantile_gbp_m": result.best.quantile_gbp_m},
        "trials": len(result.trials), "runs": result.runs, "replications": result.replications, "seed": result.seed,
        "simulate_wall_s": round(elapsed_s, 3), "summary": solve_text(result),
    }
    name = run_name(f"solve-{scenario.name}-{lever.path.replace(':', '-').replace('*', 'all')}")
    with RunFolder(out, name, manifest) as run:
        table = trials_table(result)
        table.to_csv(run.path / "trials.csv", index=False, float_format=FLOAT_FORMAT)
        (run.path / "answer.txt").write_text(solve_text(result) + "\n", encoding="utf-8")
        if charts:
            _solve_chart(run.path / "solve.png", result, table, scenario.title or scenario.name)
    assert run.final_path is not None
    return run.final_path


def _solve_chart(path: Path, result: Any, table: Any, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table.sort_values("value")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(t["value"], t["quantile_gbp_m"], "o-", label=f"{_what(result)} deficit")
    ax.axhline(result.profile_gbp_m, color="black", linestyle="--", label="Safety Valve profile")
    if result.value is not None:
        ax.axvspan(result.ci_low, result.ci_high, color="#88ccee", alpha=0.4, label="answer (95% interval)")
        ax.axvline(result.value, color="#117733")
    ax.set_xlabel(result.lever.label)
    ax.set_ylabel(f"accumulated deficit {financial_year_label(result.target_year)}, £m")
    ax.set_title(f"{title}\nGoal-seek: every value tried", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---- sweep ---------------------------------------------------------------------------------------------------
def write_sweep(scenario: Scenario, result: Any, out: Path, *, target_year: int, command: Sequence[str] | None,
                overrides: Sequence[str] = (), elapsed_s: float = 0.0, charts: bool = True) -> tuple[Path, Any]:
    from ..experiment.sweep import sweep_table

    table = sweep_table(result)
    manifest = {
        "command": list(command if command is not None else sys.argv),
        "scenario": _scenario_record(scenario, overrides),
        "levers": [{"path": lv.path, "scale": lv.scale, "from": lv.since, "low": lv.low, "high": lv.high,
                    "now": lv.current} for lv in result.levers],
        "points": int(result.points.shape[0]), "replications": result.replications, "runs": result.runs,
        "seed": result.seed, "target_year": financial_year_label(target_year),
        "simulate_wall_s": round(elapsed_s, 3),
    }
    names = "-and-".join(lv.path.replace(":", "-").replace("*", "all") for lv in result.levers)
    with RunFolder(out, run_name(f"sweep-{scenario.name}-{names}"), manifest) as run:
        table.to_csv(run.path / "sweep.csv", index=False, float_format=FLOAT_FORMAT)
        if charts:
            sweep_charts(run.path, result, table, target_year, scenario.title or scenario.name)
    assert run.final_path is not None
    return run.final_path, table


def sweep_charts(folder: Path, result: Any, table: Any, target_year: int, title: str) -> list[Path]:
    """One lever: heatmaps of P(within profile) and the median deficit by year and lever value. Two levers: the
    same over the grid, in the target year."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    labels = [lv.label for lv in result.levers]
    year = financial_year_label(target_year)
    for column, what, cmap in (("p_within_profile", "P(within profile)", "RdYlGn"),
                               ("median_gbp_m", "median accumulated deficit, £m", "viridis_r")):
        if table[column].isna().all():
            continue
        if len(labels) == 1:
            grid = table.pivot(index="financial_year", columns=labels[0], values=column)
            subtitle = f"{what} by year"
        else:
            grid = table[table["financial_year"] == year].pivot(index=labels[1], columns=labels[0], values=column)
            subtitle = f"{what}, {year}"
        fig, ax = plt.subplots(figsize=(max(8, 0.55 * grid.shape[1] + 4), max(3, 0.45 * grid.shape[0] + 2)))
        kw = {"vmin": 0, "vmax": 1} if column == "p_within_profile" else {}
        image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap=cmap, origin="lower", **kw)
        ax.set_xticks(range(grid.shape[1]))
        ax.set_xticklabels([f"{v:g}" for v in grid.columns], rotation=45, fontsize=8)
        ax.set_yticks(range(grid.shape[0]))
        ax.set_yticklabels([str(v) if isinstance(v, str) else f"{v:g}" for v in grid.index], fontsize=8)
        ax.set_xlabel(labels[0])
        ax.set_ylabel("financial year" if len(labels) == 1 else labels[1])
        if grid.size <= 150:
            label_cells(ax, image, grid.to_numpy(dtype=float), "{:.0%}" if column == "p_within_profile" else "{:.0f}")
        fig.colorbar(image, ax=ax, label=what)
        ax.set_title(f"{title}\nSweep: {subtitle} ({result.replications} replications a point)", fontsize=10)
        fig.tight_layout()
        name = f"sweep_{column}.png"
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        written.append(folder / name)
    return written


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG contrast ratio of two sRGB colours (1 to 21; 4.5 is the minimum for small text)."""

    def luminance(rgb: Sequence[float]) -> float:
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_colour(cell_rgb: Sequence[float]) -> str:
    """Black or white, whichever reads better on a cell of this colour (one of them always reaches 4.5:1)."""
    on_black, on_white = contrast_ratio(cell_rgb, (0, 0, 0)), contrast_ratio(cell_rgb, (1, 1, 1))
    return "black" if on_black >= on_white else "white"


def label_cells(ax: Any, image: Any, values: np.ndarray, fmt: str) -> list[Any]:
    """Write each cell's value on a heatmap, light on dark cells and dark on light ones; return the labels."""
    texts = []
    for (i, j), v in np.ndenumerate(values):
        if not math.isnan(v):
            colour = text_colour(image.cmap(image.norm(v)))
            texts.append(ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7, color=colour))
    return texts


def sweep_text(table: Any, result: Any, target_year: int) -> str:
    year = financial_year_label(target_year)
    rows = table[table["financial_year"] == year]
    labels = [lv.label for lv in result.levers]
    profile = result.profile[list(result.years).index(target_year)]
    against = "" if _nan(profile) else f", against the profile of £{profile:,.1f}m"
    lines = [f"{year}: median accumulated deficit and P(within profile) across the grid "
             f"({result.replications} replications a point, {result.runs} runs){against}"]
    for lv in result.levers:
        lines.append(f"  {lv.label}: from {lv.since.isoformat()}, after every intervention (now {lv.current})")
    head = "".join(f"{lab[-36:]:>38}" for lab in labels) + f"{'median £m':>12}{'P10-P90':>16}{'P(within)':>11}"
    lines.append(head)
    for _, r in rows.iterrows():
        p = "-" if _nan(r["p_within_profile"]) else f"{r['p_within_profile']:.0%}"
        lines.append("".join(f"{r[lab]:>38g}" for lab in labels) + f"{r['median_gbp_m']:>12.1f}"
                     f"{r['p10_gbp_m']:>8.1f}-{r['p90_gbp_m']:<7.1f}{p:>11}")
    return "\n".join(lines)
