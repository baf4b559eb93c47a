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

    # 4. where each model factor first acts: a pair AB_i/A of Saltelli's design (they differ only in factor i) could
    # share its simulation up to that day too (a second snapshot, inside the point's own run)
    first_acts(scenario, factors, money, design=variants.Design(scenario, 0, factors=tuple(factors)),
               post=counts[True][1])

    # 1. CPU time of one simulation (plain and resumed from the lead-in) and one pricing, one after another here
    print(f"\nCPU probe ({_load()}):")
    probe_points = sensitivity.design_points("sobol", factors, samples=2, second_order=True)[:probes + 1]
    design = variants.Design(scenario, 0, factors=tuple(factors))
    day = Calendar(scenario.census_date, scenario.end).day_of(draws_from(scenario))
    c0 = time.process_time()
    snap = snapshot.take(compile_inputs(design.variant(probe_points[0])), 0, 0, day)
    take_s = time.process_time() - c0
    c0 = time.process_time()
    snapshot.take_and_run(compile_inputs(design.variant(probe_points[0])), 0, 0, day)
    take_run_s = time.process_time() - c0  # what a worker's first point of a replication costs (it keeps the snapshot)
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
          f"snapshot alone {take_s:.3f} s, or {take_run_s:.3f} s with its own point simulated on the way (a worker's "
          f"first point of each replication: {take_run_s - sim_s:+.3f} s on a plain run); building a point's variant "
          f"and pricing it {price_s:.4f} s CPU; {_load()}")
    for second, (pts, sims) in counts.items():
        cpu = (sims - TARGET_CORES) * resume_s + pts * price_s + TARGET_CORES * take_run_s
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


READ_ON_SEPTEMBER_1 = ("transfer_moves", "transfer_cease")
"""Inputs the engine reads only at phase transfer (transitions.september): a change acts from the next 1 September."""


def first_acts(scenario, factors, money, design, post) -> None:  # noqa: ANN001 - modules imported late
    """Each non-money factor at its high end against all at nominal: the first day the compiled inputs differ
    (model/snapshot.py's rule), moved to the next 1 September for the phase-transfer tables; and what sharing each
    Saltelli pair (A, AB_i) and (B, BA_i) up to that day could save at most, against the target's simulations."""
    import datetime as dt

    from svsim.model.inputs import compile_inputs
    from svsim.model.snapshot import _same

    nominal = [f.nominal for f in factors]
    base = compile_inputs(design.variant(nominal))
    cal = base.cal
    lead_in = cal.day_of(variants_draws_from(scenario))
    saved = 0.0
    print("\nWhere each model factor first acts (the lead-in ends on day "
          f"{lead_in}, {cal.start + dt.timedelta(days=lead_in)}):")
    for i, f in enumerate(factors):
        if f.path in money:
            continue
        values = list(nominal)
        values[i] = f.high
        inp = compile_inputs(design.variant(values))
        first = cal.n_days
        for name, a in vars(base).items():
            b = getattr(inp, name)
            tables = list(a.values()) if isinstance(a, dict) else [a]
            others = list(b.values()) if isinstance(b, dict) else [b]
            for x, y in zip(tables, others, strict=True):
                if (isinstance(x, list | tuple) or getattr(x, "ndim", 0) == 1) and len(x) >= cal.n_days:
                    d = next((d for d in range(len(x)) if not _same(x[d], y[d])), None)
                elif not _same(x, y):
                    d = 0
                else:
                    d = None
                if d is not None and name in READ_ON_SEPTEMBER_1:
                    d = min((s for s in cal.september_days if s >= d), default=cal.n_days)
                if d is not None:
                    first = min(first, d)
        extra = max(0, first - lead_in)
        saved += 2 * extra / (cal.n_days - lead_in)  # AB_i and BA_i, per base sample, in after-lead-in runs
        print(f"  {f.path}: from day {first} ({cal.start + dt.timedelta(days=first)}), {extra} days after the lead-in")
    per_sample = post / TARGET_N
    print(f"  at most {saved / per_sample:.1%} of the target's after-lead-in simulation days could be shared this way "
          "(days, not CPU: each would cost a second snapshot)")


def variants_draws_from(scenario):  # noqa: ANN001, ANN201
    from svsim.experiment.uncertainty import draws_from

    return draws_from(scenario)


def read_factors(variants, scenario):  # noqa: ANN001, ANN201 - modules imported late
    return variants.read_parameters_file(ROOT / "scenarios" / "parameters" / "kent-assumptions.yaml", scenario)


if __name__ == "__main__":
    main()
