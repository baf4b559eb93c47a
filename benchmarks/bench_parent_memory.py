"""Memory of the parent process of `svsim run` or `compare` as the number of replications grows (issue 14).

    python benchmarks/bench_parent_memory.py --replications 2000 --workers 2
    python benchmarks/bench_parent_memory.py --replications 200 --workers 2 --scale full
    python benchmarks/bench_parent_memory.py --command compare --scale minimal --replications 2000

`--command compare` runs `outputs.compare.execute_compare` of the base scenario against scenarios/unmitigated.yaml
(attribution and charts off) at the same scale: 2 x n simulations. `--scale minimal` runs tests/fixtures'
minimal scenario (three years, ~0.1 s a replication; compare: against itself with a 10% higher request rate),
for thousands of replications in minutes.

Runs `outputs.run.execute_run` (charts off: they read the CSVs, whatever the replications) on Kent's base scenario,
at a tenth of its size by default (the overrides of tests/conftest.py's SMALL_KENT; `--scale full` for Kent itself),
into a temporary folder, and samples the parent's resident size (VmRSS, /proc/self/status) every 0.1 s. It prints
the resident size before the run, when 10% and 100% of the replications are done (the replication phase: flat
means the parent keeps nothing per finished replication), the peak while the tables are built and written, and the
peak overall (VmHWM). The workers are other processes and are not counted. Linux only; nothing is asserted.
Run it on two checkouts (PYTHONPATH=<checkout>/src) to compare them.

Figures (2-core machine under a load average of 7-15, Kent at a tenth, 2,000 replications, 2 workers):
| | results held in memory (6df4a12) | streamed to disk (issue 14) |
|---|---|---|
| parent resident at 10% / 100% of the replications | 93 / 216 MiB (71.6 kB a replication) | 81 / 83 MiB (1.1 kB) |
| peak while the tables are built | 334 MiB | 211 MiB |

`--command compare --scale minimal -n 2000 -w 2` (4,000 simulations; load average 9-17, other sessions running):
| | compare held its results (d66c1c7) | streamed to disk (issue 14) |
|---|---|---|
| parent resident at 10% / 100% of the simulations | 96 / 243 MiB (42.8 kB a simulation) | 82 / 84 MiB (0.5 kB) |
| peak while the tables are built | 350 MiB | 104 MiB |
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", "-n", type=int, default=2000)
    parser.add_argument("--workers", "-w", type=int, default=2)
    parser.add_argument("--scale", choices=("tenth", "full", "minimal"), default="tenth")
    parser.add_argument("--command", choices=("run", "compare"), default="run")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "tests"))
    import svsim
    from conftest import BASE_SCENARIO, SMALL_KENT
    from svsim.outputs.run import execute_run
    from svsim.scenario import load_scenario

    if args.scale == "minimal":
        minimal = ROOT / "tests" / "fixtures" / "scenarios" / "minimal.yaml"
        scenario = load_scenario(minimal)
        other = load_scenario(minimal, overrides=["demand.request_rate_per_10k_0_18=121", "name=minimal-more"])
    else:
        small = list(SMALL_KENT) if args.scale == "tenth" else []
        scenario = load_scenario(BASE_SCENARIO, overrides=small)
        other = load_scenario(ROOT / "scenarios" / "unmitigated.yaml", overrides=small)
    marks: dict[str, int] = {"start": status_kib("VmRSS")}
    samples: list[tuple[str, int]] = []
    phase = ["replications"]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((phase[0], status_kib("VmRSS")))
            time.sleep(0.1)

    def progress(done: int, total: int) -> None:
        if done == max(1, total // 10):
            marks["10%"] = status_kib("VmRSS")
        if done == total:
            marks["100%"] = status_kib("VmRSS")
            phase[0] = "tables"

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.command == "run":
            execute_run(scenario, replications=args.replications, seed=0, out=Path(tmp), workers=args.workers,
                        progress=progress, charts=False, command=["bench_parent_memory"])
        else:
            from svsim.outputs.compare import execute_compare

            execute_compare(scenario, [other], replications=args.replications, seed=0, out=Path(tmp),
                            workers=args.workers, progress=progress, charts=False, attribution=False,
                            command=["bench_parent_memory"])
    took = time.perf_counter() - began
    stop.set()
    sampler.join()
    mib = 1024.0
    tables_peak = max((kib for p, kib in samples if p == "tables"), default=0)
    print(f"svsim from {Path(svsim.__file__).parent}")
    total = args.replications * (2 if args.command == "compare" else 1)
    print(f"svsim {args.command}: {total} simulations ({args.scale}) on {args.workers} workers in {took:.0f} s")
    print(f"parent resident: start {marks['start'] / mib:.0f} MiB, at 10% {marks.get('10%', 0) / mib:.0f} MiB, "
          f"at 100% {marks.get('100%', 0) / mib:.0f} MiB of replications; tables peak {tables_peak / mib:.0f} MiB; "
          f"peak overall {status_kib('VmHWM') / mib:.0f} MiB")
    grown = (marks.get("100%", 0) - marks.get("10%", 0)) / mib
    per = grown * mib * 1024 / max(1, total - total // 10)
    print(f"growth over the last 90% of the simulations: {grown:.0f} MiB ({per / 1e3:.1f} kB a simulation)")


if __name__ == "__main__":
    main()
