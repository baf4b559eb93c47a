#!/usr/bin/env python3
"""The what-if table of scenarios/README.md, measured: every what-if against its reference on paired replications.

    PYTHONPATH=src python tools/whatif_table.py [-n 10] [--seed 0] [--workers 2] [--year 2027]

Runs the unmitigated counterfactual, each `only-condition-*` file, the base and each what-if of scenarios/ on
replications 0..n-1 of one seed (common random numbers: every scenario is paired with every other), in one pool,
and prints the markdown table: the difference OTHER minus REFERENCE in the accumulated deficit at 31 March of the
target year (negative = a saving), its paired 95% t interval, the same difference with the backlog commitment
added, and each scenario's own P(within profile) that year (the share of its replications at or under the
Safety Valve profile). Takes about 15 scenarios x n replications x ~1.2 s CPU (2-3 minutes on 2 idle cores at
n=10); the runtime and load average are printed under the table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

CONDITIONS = {
    1: "inclusion in mainstream", 2: "early years", 3: "decisions, recruitment, review backlog",
    4: "reintegration", 5: "post-16 pathways", 6: "Transition Charter", 7: "two new special schools",
    8: "£6k threshold", 9: "NHS joint funding",
}
WHATIFS = {
    "without-six-k-threshold.yaml": "the base without the £6k threshold change",
    "third-special-school.yaml": "a third special school",
    "stricter-refusals-with-appeals.yaml": "stricter refusals with appeals",
    "demand-2019-2022-trend.yaml": "demand back on its 2019-2022 trend",
}
"""What-ifs compared with the base (file -> description)."""


def rows() -> list[tuple[str, str, str]]:
    """(label, file, reference file) for every row of the table, in order."""
    out = []
    for n, what in CONDITIONS.items():
        found = sorted(SCENARIOS.glob(f"only-condition-{n}-*.yaml"))
        if found:
            out.append((f"condition {n} alone: {what}", found[0].name, "unmitigated.yaml"))
    out.append(("all the measures", "base.yaml", "unmitigated.yaml"))
    out += [(what, name, "base.yaml") for name, what in WHATIFS.items() if (SCENARIOS / name).is_file()]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", "-w", type=int, default=None, help="default: every core")
    parser.add_argument("--year", type=int, default=2027, help="financial year (2027 = 2027-28)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    import numpy as np

    from svsim.experiment.compare import paired_interval, run_comparison
    from svsim.scenario import load_scenario

    began = time.perf_counter()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    if subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src", "scenarios"], capture_output=True,
                      text=True).stdout.strip():
        commit += " with uncommitted changes to src/ or scenarios/"
    table = rows()
    files = list(dict.fromkeys(["unmitigated.yaml", "base.yaml", *(f for _, f, _ in table)]))
    scenarios = [load_scenario(SCENARIOS / f) for f in files]
    done = run_comparison(scenarios[0], scenarios[1:], replications=args.replications, seed=args.seed,
                          workers=args.workers)
    profile = scenarios[0].targets.sv_profile_gbp_m.get(args.year, float("nan"))

    def per_rep(file: str, incl_backlog: bool = False) -> np.ndarray:
        results = done.results[files.index(file)]
        out = []
        for r in results:
            m = next(y for y in r.money if y.financial_year == args.year)
            out.append(m.accumulated_deficit_incl_backlog_gbp_m if incl_backlog else m.accumulated_deficit_gbp_m)
        return np.array(out, dtype=float)

    def p_within(file: str) -> str:
        return f"{float(np.mean(per_rep(file) <= profile)):.0%}"

    fy = f"{args.year}-{(args.year + 1) % 100:02d}"
    wall = time.perf_counter() - began
    print(f"| what-if | compared with | {fy} difference, £m | paired 95% CI | incl. backlog | "
          "P(within profile): what-if / reference |")
    print("|---|---|---|---|---|---|")
    for label, file, ref in table:
        d = paired_interval(per_rep(ref), per_rep(file))
        b = paired_interval(per_rep(ref, True), per_rep(file, True))
        print(f"| {label} (`{file}`) | {ref.removesuffix('.yaml')} | {d.mean:+.1f} | {d.low:+.1f} to {d.high:+.1f} "
              f"| {b.mean:+.1f} | {p_within(file)} / {p_within(ref)} |")
    print()
    print(f"{fy} profile £{profile:.1f}m; base forecast £{per_rep('base.yaml').mean():.1f}m, unmitigated "
          f"£{per_rep('unmitigated.yaml').mean():.1f}m (means of the same {args.replications} replications); "
          f"seed {args.seed}, commit {commit}.")
    one, five, fifteen = os.getloadavg()
    print(f"Measured with `PYTHONPATH=src python tools/whatif_table.py -n {args.replications} --seed {args.seed}`: "
          f"{len(files)} scenarios x {args.replications} replications in {wall:.0f} s wall on {os.cpu_count()} "
          f"cores (load average {one:.1f} {five:.1f} {fifteen:.1f}).")


if __name__ == "__main__":
    main()
