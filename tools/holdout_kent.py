#!/usr/bin/env python3
"""Kent's out-of-sample test, printed as the README's tables (svsim.experiment.calibrate.holdout).

    PYTHONPATH=src python tools/holdout_kent.py [REPLICATIONS [UNTIL]] > tools/holdout_kent.out.md

Calibrates on the data up to the January UNTIL census (default 2021) and calendar UNTIL-1 flows, forecasts from
January UNTIL and compares every later census and calendar year's flows with the published figures
(`... 20 2022` is the one-year-ahead test, the horizon of Kent's own 1.5% miss).
"""

import sys
import tempfile
from pathlib import Path

from svsim.experiment.calibrate import HOLDOUT_SCENARIO, holdout

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    replications = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    until = int(sys.argv[2]) if len(sys.argv) > 2 else 2021
    with tempfile.TemporaryDirectory() as work:
        outcome, tables = holdout(ROOT / HOLDOUT_SCENARIO, ROOT / "data" / "dfe", Path(work), until=until,
                                  replications=replications, workers=None)
    print(f"Calibrated: {', '.join(f'{k} x{v:.3f}' for k, v in outcome.multipliers.items())} "
          f"(loss {outcome.loss_at_start:.3f} -> {outcome.loss:.3f}"
          f"{'; at a bound of the fit: ' + ', '.join(outcome.at_bound) if outcome.at_bound else ''}); "
          f"forecast with {replications} replications.\n")
    table, mix, summary = tables["backtest"], tables["mix"], tables["summary"]
    print(f"| January census | svsim (P10-P90) | observed | svsim error | carry Jan {until} forward | linear trend |")
    print("|---|---|---|---|---|---|")
    for r in table[table.measure == "census_total"].itertuples():
        print(f"| {r.year} total | {r.simulated:,.0f} ({r.simulated_p10:,.0f}-{r.simulated_p90:,.0f}) | "
              f"{r.observed:,.0f} | {r.pct_error:+.1f}% | {r.carry_forward_pct_error:+.1f}% | "
              f"{r.trend_pct_error:+.1f}% |")
    for r in mix.itertuples():
        print(f"| {r.year} placement-group mix error | {r.svsim_mix_error:.1%} | | | {r.carry_forward_mix_error:.1%} | "
              f"{r.trend_mix_error:.1%} |")
    print()
    print("| measure | years | svsim MAPE (bias) | carry forward MAPE (bias) | trend MAPE (bias) |")
    print("|---|---|---|---|---|")
    for r in summary.itertuples():
        def f(m, b):
            return "n/a" if m != m else f"{m:.1f}% ({b:+.1f}%)"
        name = r.measure + (f" {r.group}" if r.group and r.group != "total" else "")
        print(f"| {name} | {r.years} | {f(r.svsim_mape, r.svsim_bias)} | "
              f"{f(r.carry_forward_mape, r.carry_forward_bias)} | {f(r.trend_mape, r.trend_bias)} |")


    print()
    print("Every input of the forecast and where its value comes from (backtest_inputs.csv; money inputs, which are "
          "not compared, and the zero defaults of the move tables left out):\n")
    print("| origin | input (number of values) | source (first 140 characters) |")
    print("|---|---|---|")
    inputs = tables["inputs"]
    order = ["published before the cut-off", "calibrated before the cut-off", "assumption",
             "cites the cut-off year or later"]
    for origin in order:
        for r in inputs[inputs.origin == origin].itertuples():
            text = r.source if len(r.source) <= 140 else r.source[:139] + "…"
            print(f"| {origin} | `{r.parameter}` ({r.n_parameters}) | {text.replace('|', '/')} |")


if __name__ == "__main__":
    main()
