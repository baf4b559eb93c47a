"""Benchmark of `svsim sensitivity --method sobol` on Kent's base with the real engine, projecting the issue's target:
12 parameters (scenarios/parameters/kent-assumptions.yaml), N=512, second-order indices, one replication a point
(N(2k+2) = 13,312 points) on 2 cores, at most 30 minutes.

    python benchmarks/bench_sensitivity.py                 # N=8 (208 points) on 2 workers, plus the CPU probe
    python benchmarks/bench_sensitivity.py --quick         # N=2 (52 points): a smoke test
    python benchmarks/bench_sensitivity.py --samples 16 --workers 2 --probe 6
    python benchmarks/bench_sensitivity.py --probe-only --probe 8   # counts and CPU time only (no pool run)

Three figures, each printed with the load average it was measured at (the machine is shared):
1. CPU time: one simulation and one pricing of Kent's base, run here one after another (`--probe` simulations of
   different points), each simulated whole and resumed from a snapshot of the lead-in (the census date to
   horizon.last_observed, where the factors start to act: model/snapshot.py; checked to give the same numbers),
   and the lead-in's own share. The projection for an idle 2-core machine is total CPU / 2: it assumes the two
   workers keep both cores busy (they do: tasks are independent) and is a lower bound on the wall time.
2. Wall time: the real command's path (design, variants, process pool, analysis; not the results folder) on
   `--workers` processes (the lead-in's snapshot on; `--no-lead-in` to measure without). Scaled to the target it
   is the projection at the load it was measured under: an upper bound for an idle machine when the load average
   exceeds the number of cores. `--samples 512` runs the target itself (MEASURED, not projected).
3. Simulations: the target's exact count of simulations. Points that differ only in money-only factors (costs.,
   income., deficit.: the engine never reads them) share one simulation and are priced on its History, so the
   target needs fewer simulations than points (the design is built at N=512 to count them; nothing is run).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_N, TARGET_MIN, TARGET_CORES = 512, 30.0, 2


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", "-N", type=int, default=8, help="Sobol base sample of the measured run")
    parser.add_argument("--workers", "-w", type=int, default=2)
    parser.add_argument("--probe", type=int, default=4, help="simulations timed one by one for the CPU figure")
    parser.add_argument("--quick", action="store_true", help="N=2 and 2 probes, a smoke test")
    parser.add_argument("--probe-only", action="store_true", help="the counts and the CPU probe, no pool run")
    parser.add_argument("--no-lead-in", action="store_true", help="the measured run simulates every point whole")
    args = parser.parse_args()
    n, probes = (2, 2) if args.quick else (args.samples, args.probe)
    sys.path.insert(0, str(ROOT / "src"))
    import numpy as np

    from svsim.experiment import sensitivity, variants
    from svsim.experiment.replications import price_history
    from svsim.experiment.uncertainty import draws_from
    from svsim.model import simulate, snapshot
    from svsim.model.calendar import Calendar
    from svsim.model.engine import Run
    from svsim.model.inputs import compile_inputs
    from svsim.model.rng import ChildDraws
    from svsim.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "base.yaml")
    factors = read_factors(variants, scenario)
    money = [f.path for f, m in zip(factors, variants.Design(scenario, 0, factors=tuple(factors)).money_only,
                                    strict=True) if m]
    print(f"{len(factors)} parameters, {len(money)} money-only (priced, not simulated): {', '.join(money)}")

    # 3. the target's simulations (counted on its design, nothing run)
    counts = {}
    for second in (True, False):
        points = sensitivity.design_points("sobol", factors, samples=TARGET_N, second_order=second)
        counts[second] = (len(points), sensitivity.simulations_needed(scenario, factors, points, 1))
    for second, (pts, sims) in counts.items():
        print(f"target N={TARGET_N} {'second order' if second else 'first and total'}: {pts:,} points, "
              f"{sims:,} simulations ({sims / pts:.0%})")

    # 1. CPU time of one simulation (plain and resumed from the lead-in) and one pricing, one after another here
    print(f"\nCPU probe ({_load()}):")
    probe_points = sensitivity.design_points("sobol", factors, samples=2, second_order=True)[:probes + 1]
    design = variants.Design(scenario, 0, factors=tuple(factors))
    day = Calendar(scenario.census_date, scenario.end).day_of(draws_from(scenario))
    c0 = time.process_time()
    snap = snapshot.take(compile_inputs(design.variant(probe_points[0])), 0, 0, day)
    take_s = time.process_time() - c0
    sim_cpu, resume_cpu, price_cpu, lead_cpu = [], [], [], []
    for k, row in enumerate(probe_points):
        c0 = time.process_time()
        variant = design.variant(row)
        c1 = time.process_time()
        history = simulate(variant, seed=0, replication=0)
        c2 = time.process_time()
        price_history(history, variant)
        c3 = time.process_time()
        resumed = snapshot.resume(snap, compile_inputs(variant))
        c4 = time.process_time()
        run = Run(compile_inputs(variant), ChildDraws(0, 0), False)
        run.setup()
        c5 = time.process_time()
        run.run_days(0, day)
        c6 = time.process_time()
        if k:  # the first warms imports and caches
            sim_cpu.append(c2 - c1)
            price_cpu.append(c1 - c0 + c3 - c2)
            resume_cpu.append(c4 - c3)
            lead_cpu.append(c6 - c5)
        if not np.array_equal(history.occupancy, resumed.occupancy):
            raise SystemExit("a resumed run differs from the plain run: model/snapshot.py is broken")
    sim_s, price_s = sum(sim_cpu) / len(sim_cpu), sum(price_cpu) / len(price_cpu)
    resume_s, lead_s = sum(resume_cpu) / len(resume_cpu), sum(lead_cpu) / len(lead_cpu)
    print(f"  one simulation {sim_s:.3f} s CPU (min {min(sim_cpu):.3f}, max {max(sim_cpu):.3f} over "
          f"{len(sim_cpu)}); its lead-in (census to {draws_from(scenario)}, day {day}) {lead_s:.3f} s "
          f"({lead_s / sim_s:.0%}); resumed from the lead-in's snapshot {resume_s:.3f} s (min {min(resume_cpu):.3f}, "
          f"max {max(resume_cpu):.3f}; {resume_s / sim_s:.0%} of a plain run; the same numbers); taking the "
          f"snapshot {take_s:.3f} s (once per replication and worker); building a point's variant and pricing it "
          f"{price_s:.4f} s CPU; {_load()}")
    for second, (pts, sims) in counts.items():
        cpu = sims * resume_s + pts * price_s + TARGET_CORES * take_s
        budget = (TARGET_MIN * 60 * TARGET_CORES - pts * price_s) / sims
        print(f"  PROJECTED {'second order' if second else 'first+total'} from this CPU time on {TARGET_CORES} cores "
              f"with nothing else running: {cpu / TARGET_CORES / 60:.1f} min (without the lead-in's snapshot "
              f"{(sims * sim_s + pts * price_s) / TARGET_CORES / 60:.1f} min; every point simulated whole "
              f"{pts * (sim_s + price_s) / TARGET_CORES / 60:.1f} min); {TARGET_MIN:g} min needs <= {budget:.3f} s "
              "CPU a simulation")
    print("  (CPU time measured under load is itself inflated by the other processes sharing caches and cores: "
          "compare the load average; an idle machine gives the real figure)")

    if args.probe_only:
        return
    # 2. wall time of the real path on a pool of workers
    points = sensitivity.design_points("sobol", factors, samples=n, second_order=True)
    sims = sensitivity.simulations_needed(scenario, factors, points, 1)
    print(f"\nMeasured run: N={n}, second order: {len(points)} points, {sims} simulations on {args.workers} workers "
          f"({_load()})")
    began = time.perf_counter()
    result = sensitivity.run_sensitivity(scenario, factors, "sobol", samples=n, replications=1, second_order=True,
                                         workers=args.workers, lead_in=not args.no_lead_in)
    wall = time.perf_counter() - began
    print(f"  MEASURED: {result.runs} points in {wall:.1f} s: {wall / result.runs:.3f} s a point, {wall / sims:.3f} s "
          f"a simulation (pool start, snapshots and analysis included); {_load()}")
    pts, target_sims = counts[True]
    print(f"  PROJECTED at this load: N={TARGET_N} second order {wall / sims * target_sims / 60:.1f} min; "
          f"first+total {wall / sims * counts[False][1] / 60:.1f} min")
    top = result.indices[result.indices["output"] == "accumulated_deficit_gbp_m"].head(3)
    print("  largest total indices (N this small gives wide intervals):",
          ", ".join(f"{r.parameter} ST {r.ST:.2f}" for r in top.itertuples()))


def read_factors(variants, scenario):  # noqa: ANN001, ANN201 - modules imported late
    return variants.read_parameters_file(ROOT / "scenarios" / "parameters" / "kent-assumptions.yaml", scenario)


if __name__ == "__main__":
    main()
