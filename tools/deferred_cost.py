#!/usr/bin/env python3
"""Recruitment's deferred cost, measured: the evidence behind docs/dynamics.md item 5 ("Recruitment's deferred cost").

    PYTHONPATH=src python tools/deferred_cost.py [-n 16] [--seed 0] [--workers 2] [--measure sen-recruitment]

Runs the base and the base without one measure (default `sen-recruitment`) on replications 0..n-1 of one seed
(common random numbers, draws applied as `svsim run` does) and prints, for 2027-28: the paired differences (without
minus with) in the accumulated deficit and in the deficit including the backlog, their ratio over all pairs with a
bootstrap 95% interval, the spread of the ratio over groups of 4 pairs (what the direction test sees), and the
arithmetic behind it: the extra children waiting at each 31 March, the child-years they waited from 1 April 2023
(trapezoid rule), and 1 - (extra queue at 31 March 2028 / those child-years), the ratio a one-year commitment gives
when queue and headline are priced alike. About 2 x n x ~1 s CPU.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LAST = 2027
FIRST_QUEUE_YEAR = 2023  # recruitment starts in September 2023; the queues are equal at 31 March 2023


def main() -> None:
    from svsim.experiment.executors import Task, run_tasks
    from svsim.scenario import load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=16, help="paired replications (default 16)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--measure", default="sen-recruitment")
    args = ap.parse_args()

    began = time.perf_counter()
    base = load_scenario(ROOT / "scenarios" / "base.yaml")
    names = [iv.name for iv in base.interventions]
    if args.measure not in names:
        raise SystemExit(f"{args.measure}: not a measure of scenarios/base.yaml ({', '.join(names)})")
    scenarios = {"base": base, "without": base.with_interventions([n for n in names if n != args.measure])}
    tasks = [Task(k, r) for k in scenarios for r in range(args.n)]
    flat = run_tasks(scenarios, tasks, args.seed, workers=args.workers)
    with_, without = flat[: args.n], flat[args.n:]

    def diff(measure: str, fy: int = LAST) -> np.ndarray:
        return np.array([getattr(o.year(fy), measure) - getattr(b.year(fy), measure)
                         for o, b in zip(without, with_, strict=True)])

    head, incl = diff("accumulated_deficit_gbp_m"), diff("accumulated_deficit_incl_backlog_gbp_m")
    years = list(range(FIRST_QUEUE_YEAR, LAST + 1))
    queue = np.array([diff("children_waiting", fy) for fy in years])  # [year, pair]: extra waiting at 31 March
    child_years = (queue[0] / 2 + sum((queue[i - 1] + queue[i]) / 2 for i in range(1, len(years))))
    rng = np.random.default_rng(1)
    boot = [incl[i].mean() / head[i].mean() for i in (rng.integers(0, args.n, args.n) for _ in range(5000))]
    fours = [incl[i].mean() / head[i].mean() for i in (rng.integers(0, args.n, 4) for _ in range(5000))]

    print(f"Removing {args.measure}, 2027-28, {args.n} paired replications, seed {args.seed}\n")
    print("| measure | mean | sd |\n|---|---|---|")
    print(f"| headline (accumulated deficit), without - with, £m | {head.mean():+.1f} | {head.std(ddof=1):.1f} |")
    print(f"| including the backlog, without - with, £m | {incl.mean():+.1f} | {incl.std(ddof=1):.1f} |")
    for fy, q in zip(years, queue, strict=True):
        print(f"| extra children waiting at 31 March {fy + 1} | {q.mean():+.0f} | {q.std(ddof=1):.0f} |")
    print(f"| extra child-years waited from 1 April {FIRST_QUEUE_YEAR} | {child_years.mean():+.0f} | "
          f"{child_years.std(ddof=1):.0f} |")
    lo, hi = np.percentile(boot, [2.5, 97.5])
    f5, f95 = np.percentile(fours, [5, 95])
    print(f"\nratio incl / headline: {incl.mean() / head.mean():.3f} (bootstrap 95% {lo:.3f}-{hi:.3f}); groups of "
          f"4 pairs: {f5:.3f}-{f95:.3f} (5%-95%), P(> 0.5) = {np.mean(np.array(fours) > 0.5):.2f}")
    print(f"arithmetic: 1 - extra queue at 31 March {LAST + 1} / child-years = "
          f"{1 - queue[-1].mean() / child_years.mean():.3f}")
    print(f"\n{time.perf_counter() - began:.0f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
