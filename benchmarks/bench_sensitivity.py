"""Benchmark of `svsim sensitivity --method sobol`: measures a small Sobol design on Kent's base with the real engine
and projects the issue's target, 12 parameters and N=512 with second-order indices (N(2k+2) = 13,312 runs, one
replication a point) on 2 cores, which must take at most 30 minutes.

    python benchmarks/bench_sensitivity.py                 # N=8: 8 x 26 = 208 runs on 2 workers
    python benchmarks/bench_sensitivity.py --quick         # N=2: 52 runs (a smoke test)
    python benchmarks/bench_sensitivity.py --samples 16 --workers 2

It runs exactly what the command runs (design, variants applied to the scenario, the process pool, the analysis)
except the results folder, and prints the load average first: on a shared machine the projection is an upper bound
of what an idle one would do. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RUNS, TARGET_MIN = 512 * (2 * 12 + 2), 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", "-N", type=int, default=8, help="Sobol base sample (a power of 2)")
    parser.add_argument("--workers", "-w", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="N=2, a smoke test")
    args = parser.parse_args()
    n = 2 if args.quick else args.samples
    sys.path.insert(0, str(ROOT / "src"))
    from svsim.experiment import sensitivity
    from svsim.experiment.variants import read_parameters_file
    from svsim.scenario import load_scenario

    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    scenario = load_scenario(ROOT / "scenarios" / "base.yaml")
    factors = read_parameters_file(ROOT / "scenarios" / "parameters" / "kent-assumptions.yaml", scenario)
    points = sensitivity.design_points("sobol", factors, samples=n, second_order=True)
    print(f"Sobol, {len(factors)} parameters, N={n}, second order: {len(points)} runs on {args.workers} workers")
    began = time.perf_counter()
    result = sensitivity.run_sensitivity(scenario, factors, "sobol", samples=n, replications=1, second_order=True,
                                         workers=args.workers)
    wall = time.perf_counter() - began
    per_run = wall / result.runs
    print(f"measured: {result.runs} runs in {wall:.1f} s = {per_run:.3f} s a run ({60 / per_run:.0f} runs a minute), "
          "analysis included")
    projected = per_run * TARGET_RUNS / 60
    print(f"projected: N=512 (13,312 runs) in {projected:.1f} min (target <= {TARGET_MIN:g} min); first and total "
          f"indices only (N(k+2) = 7,168 runs): {per_run * 512 * 14 / 60:.1f} min")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    top = result.indices[result.indices["output"] == "accumulated_deficit_gbp_m"].head(3)
    print("largest total indices (N this small gives wide intervals):",
          ", ".join(f"{r.parameter} ST {r.ST:.2f}" for r in top.itertuples()))


if __name__ == "__main__":
    main()
