"""Benchmark: seconds per replication of Kent's base scenario, events per second and peak memory.

    python benchmarks/bench_engine.py            # 10 replications of scenarios/base.yaml
    python benchmarks/bench_engine.py -n 20 --scenario scenarios/base.yaml --profile

Not a test: it prints figures to compare before and after a change (on the same machine). "Events" are the
engine's own count of the things it did (requests, decisions, assessments, reviews, appeals, moves away,
Septembers), not SimPy's internal steps. Peak memory is Python's (tracemalloc), measured in a separate run
because tracing slows the engine down, plus the process's maximum resident size.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--replications", type=int, default=10)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "base.yaml"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one replication")
    args = parser.parse_args(argv)

    from svsim.model import simulate
    from svsim.model.inputs import compile_inputs
    from svsim.scenario import load_scenario

    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    compile_inputs(scenario)
    compile_s = time.perf_counter() - t0
    simulate(scenario, seed=args.seed, replication=0)  # warm-up (imports, caches)

    times, events, plans = [], [], []
    for r in range(args.replications):
        t0 = time.perf_counter()
        h = simulate(scenario, seed=args.seed, replication=r)
        times.append(time.perf_counter() - t0)
        events.append(h.stats.get("events", 0))
        plans.append(int(h.occupancy[-1].sum()))

    tracemalloc.start()
    simulate(scenario, seed=args.seed, replication=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux

    med = statistics.median(times)
    print(f"scenario           {args.scenario}")
    print(f"replications       {args.replications} (seed {args.seed})")
    print(f"load scenario      {load_s:.3f} s; compile inputs {compile_s:.3f} s (included in each replication)")
    print(f"seconds/replication median {med:.3f}  min {min(times):.3f}  max {max(times):.3f}")
    print(f"events/replication {statistics.median(events):,.0f}; events/second {statistics.median(events) / med:,.0f}")
    print(f"plans at the end   {statistics.median(plans):,.0f}")
    print(f"peak memory        {peak / 2**20:.1f} MiB traced (Python objects); {rss_mb:.0f} MiB max resident")
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(simulate, scenario, args.seed, 0)
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
