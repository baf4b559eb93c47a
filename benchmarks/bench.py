"""svsim's performance benchmark: one run prints every figure the performance targets are about.

    python benchmarks/bench.py                 # the full benchmark (about two minutes on 2 cores)
    python benchmarks/bench.py --quick         # CI smoke: a few seconds, the same lines, smaller samples
    python benchmarks/bench.py --replications 10 --workers 2 --pool-replications 40 --profile

Figures (targets from the performance issue, on the 2-core reference machine, Kent's scenarios/base.yaml):
- engine: seconds per replication of `simulate` (median of --replications, scenario loaded once, imports and
  output writing excluded and reported separately), events per second (the engine's own count of things done:
  requests, decisions, assessments, reviews, appeals, moves away, Septembers), and the finance summary's time.
  Target: <= 0.5 s per replication on one core.
- memory: peak of Python allocations (tracemalloc) over one replication, and the peak resident size (VmHWM) of a
  fresh worker process that imports what a worker imports and runs one replication. Target: <= 150 MiB per worker.
  (Not ru_maxrss: on Linux it carries over the parent's peak across fork and exec, so a process started by a big
  parent reports the parent's size.)
- throughput: replications per minute in a concurrent.futures.ProcessPoolExecutor with 1 and with --workers
  processes, each task one replication (svsim.experiment.run_replication, i.e. simulate + finance summary, when it
  exists; otherwise simulate alone, and the output says so), after a warm-up task per worker; the scaling ratio,
  and the projected wall time of 1000 replications. Targets: 1000 replications in <= 5 min with 2 workers, scaling
  >= 1.8x on 2 cores. If `svsim run` has a --workers option it is also timed end to end, outputs included.
- worker memory: resident size (VmRSS) of long-running workers of svsim's own executor stack over
  --memory-replications replications (200 by default): after the first against before the last. Flat means
  each finished run is released.
- start-up: wall time of `svsim --help` and `svsim validate scenarios/base.yaml` in fresh processes (median), and
  what `python -X importtime` says they import (pandas, scipy, matplotlib must not be among it). Target: < 0.5 s.
- naive reference: benchmarks/naive_reference.py (a SimPy process per child waking monthly, simpy.Resource for
  staff, a random call per draw), and the ratio of its time to the engine's.

Timings depend on what else runs on the machine: the load average is printed first. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "matplotlib")
TARGET_S_PER_REP, TARGET_MIB, TARGET_1000_MIN, TARGET_SCALING, TARGET_STARTUP_S = 0.5, 150, 5.0, 1.8, 0.5

# ---- one replication, in this process or a worker ------------------------------------------------------------------
_SCENARIO = None
_REPLICATE = None


def replicate_function():
    """(function(scenario, seed, replication), description): the experiment's replication if it exists."""
    try:
        from svsim.experiment import run_replication
    except ImportError:
        from svsim.model import simulate

        return (lambda sc, seed, rep: simulate(sc, seed=seed, replication=rep)), "simulate only (no svsim.experiment)"
    return run_replication, "simulate + finance summary (svsim.experiment.run_replication)"


def _init_worker(scenario_path: str) -> None:
    global _SCENARIO, _REPLICATE
    from svsim.scenario import load_scenario

    _SCENARIO = load_scenario(scenario_path)
    _REPLICATE = replicate_function()[0]


def _run_one(task: tuple[int, int]) -> float:
    seed, replication = task
    began = time.perf_counter()
    _REPLICATE(_SCENARIO, seed, replication)
    return time.perf_counter() - began


# ---- measurements ----------------------------------------------------------------------------------------------------
def engine_timing(scenario, seed: int, n: int) -> dict:
    from svsim.model import simulate

    simulate(scenario, seed=seed, replication=n)  # warm-up
    times, cpu, events = [], [], []
    for r in range(n):
        began, began_cpu = time.perf_counter(), time.process_time()
        h = simulate(scenario, seed=seed, replication=r)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        events.append(h.stats.get("events", 0))
    summary_s = None
    try:
        from svsim.experiment.replications import summarise
    except ImportError:
        pass
    else:
        began = time.perf_counter()
        summarise(h, scenario)
        summary_s = time.perf_counter() - began
    return {"times": times, "cpu": cpu, "events": statistics.median(events), "summary_s": summary_s,
            "plans": int(h.occupancy[-1].sum())}


def traced_peak(scenario, seed: int) -> float:
    replicate = replicate_function()[0]
    tracemalloc.start()
    replicate(scenario, seed, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


WORKER_PROBE = """
import json, resource, sys, time
began = time.perf_counter()
sys.path.insert(0, {bench_dir!r})
from bench import replicate_function
from svsim.scenario import load_scenario
replicate, what = replicate_function()
imported = time.perf_counter() - began
scenario = load_scenario({scenario!r})
began = time.perf_counter()
replicate(scenario, {seed}, 0)
run = time.perf_counter() - began
try:  # the high-water mark of this process's own memory (ru_maxrss would include the parent's, copied at fork)
    status = open("/proc/self/status").read()
    peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
heavy = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps({{"import_s": imported, "run_s": run, "peak_mib": peak, "heavy": heavy, "what": what}}))
"""


def fresh_worker(scenario_path: str, seed: int) -> dict:
    """A new Python process doing what a worker does: import, load the scenario, run one replication."""
    code = WORKER_PROBE.format(bench_dir=str(Path(__file__).resolve().parent), scenario=scenario_path, seed=seed,
                               heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pool_throughput(scenario_path: str, workers: int, n: int, seed: int, method: str) -> dict:
    ctx = mp.get_context(method)
    began = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(scenario_path,)) as pool:
        list(pool.map(_run_one, [(seed, 100_000 + i) for i in range(workers)]))  # start the workers, load, warm up
        warm = time.perf_counter()
        per_task = list(pool.map(_run_one, [(seed, i) for i in range(n)]))
        done = time.perf_counter()
    return {"per_min": n / (done - warm) * 60, "startup_s": warm - began, "wall_s": done - warm,
            "task_s": statistics.median(per_task), "n": n}


def _replicate_rss(scenario, item: tuple[int, int]) -> tuple[int, float, float]:
    """A task on svsim's own executor stack: (worker pid, resident MiB before the replication, after it)."""
    from svsim.experiment.replications import run_replication

    def rss() -> float:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0]) / 1024

    seed, replication = item
    before = rss()
    run_replication(scenario, seed, replication)
    return os.getpid(), before, rss()


def worker_memory(scenario, workers: int, n: int, seed: int) -> dict | None:
    """Resident memory of long-running workers on svsim's executor stack (experiment.executors.map_tasks) over
    `n` replications: each worker's size before its first few tasks against before its last few. Flat means
    a worker releases each finished run."""
    try:
        from svsim.experiment.executors import map_tasks
    except ImportError:
        return None
    if not Path("/proc/self/status").exists():
        return None
    began = time.perf_counter()
    rows = map_tasks(_replicate_rss, scenario, [(seed, i) for i in range(n)], workers=workers)
    by_pid: dict[int, list[float]] = {}
    for pid, before, _ in rows:
        by_pid.setdefault(pid, []).append(before)
    k = max(1, min(len(v) for v in by_pid.values()) // 10)
    first = statistics.median(x for v in by_pid.values() for x in v[1:1 + k])  # after the first run
    last = statistics.median(x for v in by_pid.values() for x in v[-k:])
    return {"first_mib": first, "last_mib": last, "max_mib": max(r[2] for r in rows), "n": n,
            "workers": len(by_pid), "wall_s": time.perf_counter() - began}


def svsim_command() -> list[str]:
    script = Path(sys.executable).with_name("svsim")
    if script.exists():
        return [str(script)]
    found = shutil.which("svsim")
    return [found] if found else [sys.executable, "-c", "import sys; from svsim.cli import main; sys.exit(main())"]


def startup(args: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run([*svsim_command(), *args], capture_output=True, check=False, cwd=ROOT)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def importtime(args: list[str]) -> dict:
    """What `python -X importtime` says a command imports: total, slowest top-level packages, heavy ones."""
    code = f"import sys; sys.argv = ['svsim', *{args!r}]; from svsim.cli import main; main()"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=ROOT)
    top: dict[str, int] = {}
    names = set()
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        names.add(m.group(4))
        if len(m.group(3)) == 1:  # imported directly by the command
            top[m.group(4)] = top.get(m.group(4), 0) + int(m.group(2))
    slow = sorted(top.items(), key=lambda kv: -kv[1])[:3]
    heavy = [h for h in HEAVY if any(n == h or n.startswith(h + ".") for n in names)]
    return {"total_s": sum(top.values()) / 1e6, "slow": slow, "heavy": heavy}


def cli_run(scenario_path: str, n: int, workers: int) -> dict | None:
    """`svsim run` end to end (outputs included), with --workers if the command has it, else serially."""
    helptext = subprocess.run([*svsim_command(), "run", "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    parallel = "--workers" in helptext
    with tempfile.TemporaryDirectory() as out:
        cmd = [*svsim_command(), "run", scenario_path, "--replications", str(n), "--out", out]
        if parallel:
            cmd += ["--workers", str(workers)]
        began = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - began
        if done.returncode != 0:  # say why while the run folder (and its manifest) still exists
            why = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()][-1:]
            for manifest in Path(out).rglob("manifest.json"):
                try:
                    record = json.loads(manifest.read_text())
                except (OSError, ValueError):
                    continue
                detail = record.get("error") or record.get("traceback") or ""
                if detail:
                    why.append(str(detail).strip().splitlines()[-1])
            return {"error": why or [f"exit status {done.returncode}"]}
    return {"wall_s": wall, "parallel": parallel, "n": n}


def naive(scenario, days: int | None) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from naive_reference import naive_replication

    r = naive_replication(scenario, days=days)
    r["scaled_s"] = r["seconds"] * r["full_days"] / r["days"]
    return r


# ---- the report ------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke: small samples, a few seconds in all")
    parser.add_argument("--replications", "-n", type=int, default=None,
                        help="replications timed one after another (default 10, quick 2)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the parallel figure (default 2)")
    parser.add_argument("--pool-replications", type=int, default=None,
                        help="replications per pool measurement (default 12 per worker, quick 1 per worker)")
    parser.add_argument("--memory-replications", type=int, default=None,
                        help="replications for the worker-memory figure (default 200, quick 4 per worker; 0 skips)")
    parser.add_argument("--start-method", default=mp.get_start_method(),
                        choices=mp.get_all_start_methods(), help="process start method (default: the platform's)")
    parser.add_argument("--naive-days", type=int, default=None,
                        help="days of the horizon the naive reference simulates, then scaled (default all; quick 45)")
    parser.add_argument("--cli-replications", type=int, default=None,
                        help="replications of the end-to-end `svsim run` (default 20; quick: skipped)")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "base.yaml"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one replication")
    args = parser.parse_args(argv)
    quick = args.quick
    n = args.replications or (2 if quick else 10)
    workers = max(1, args.workers)
    pool_n = args.pool_replications or (1 if quick else 12) * workers
    naive_days = args.naive_days if args.naive_days is not None else (45 if quick else None)
    cli_n = args.cli_replications if args.cli_replications is not None else (0 if quick else 20)
    repeats = 2 if quick else 7
    memory_n = args.memory_replications if args.memory_replications is not None else (4 * workers if quick else 200)

    began = time.perf_counter()
    import_began = time.perf_counter()
    import svsim.model  # noqa: F401
    from svsim.scenario import load_scenario

    import_s = time.perf_counter() - import_began
    load_began = time.perf_counter()
    scenario = load_scenario(args.scenario)
    load_s = time.perf_counter() - load_began
    _, what = replicate_function()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"svsim benchmark{' (quick: small samples, figures are indicative)' if quick else ''}")
    print(f"machine           {os.cpu_count()} cores; load average {load:.2f} at the start; Python "
          f"{sys.version.split()[0]}; start method {args.start_method}")
    print(f"scenario          {args.scenario} (seed {args.seed}); load {load_s:.3f} s, imports {import_s:.3f} s "
          "(neither is in the per-replication time)")

    e = engine_timing(scenario, args.seed, n)
    med = statistics.median(e["times"])
    print(f"seconds/replication  median {med:.3f}  min {min(e['times']):.3f}  max {max(e['times']):.3f} "
          f"over {n}; CPU median {statistics.median(e['cpu']):.3f} (simulate, one core; target <= {TARGET_S_PER_REP})")
    print(f"events/second     {e['events'] / med:,.0f} ({e['events']:,.0f} events a replication; "
          f"{e['plans']:,} plans at the end)")
    if e["summary_s"] is not None:
        print(f"finance summary   {e['summary_s']:.3f} s/replication (svsim.experiment.summarise)")

    peak = traced_peak(scenario, args.seed)
    w = fresh_worker(args.scenario, args.seed)
    print(f"peak memory       {peak:.1f} MiB traced (tracemalloc, one replication); fresh worker "
          f"{w['peak_mib']:.0f} MiB peak resident (VmHWM; target <= {TARGET_MIB})")
    print(f"worker start      imports {w['import_s']:.2f} s, first replication {w['run_s']:.2f} s; "
          f"heavy modules imported: {', '.join(w['heavy']) or 'none'} (of {', '.join(HEAVY)})")

    one = pool_throughput(args.scenario, 1, pool_n, args.seed, args.start_method)
    many = pool_throughput(args.scenario, workers, pool_n, args.seed, args.start_method)
    print(f"replications/minute  1 worker: {one['per_min']:.0f}; {workers} workers: {many['per_min']:.0f} "
          f"({pool_n} replications each, after a warm-up; task = {w['what']})")
    scaling = many["per_min"] / one["per_min"]
    print(f"scaling           {scaling:.2f}x with {workers} workers (target >= {TARGET_SCALING} on 2 cores); "
          f"pool start-up {one['startup_s']:.2f} s / {many['startup_s']:.2f} s")
    projected = 1000 / many["per_min"] + many["startup_s"] / 60
    print(f"1000 replications about {projected:.1f} min with {workers} workers, outputs excluded "
          f"(target <= {TARGET_1000_MIN} min with outputs)")
    m = worker_memory(scenario, workers, memory_n, args.seed) if memory_n > 0 else None
    if m is None:
        print("worker memory     skipped (--memory-replications 0, or no executor stack / no /proc)")
    else:
        print(f"worker memory     {m['first_mib']:.0f} MiB resident after the first replication, {m['last_mib']:.0f} "
              f"MiB before the last ({m['n']} replications on {m['workers']} long-running workers of svsim's "
              f"executor stack, {m['wall_s']:.0f} s; largest after a task {m['max_mib']:.0f} MiB); flat = released")
    if cli_n > 0:
        c = cli_run(args.scenario, cli_n, workers)
        if c is None or "error" in c:
            print(f"svsim run         failed: {' | '.join(c['error']) if c else ''}")
        else:
            how = f"--workers {workers}" if c["parallel"] else "serial: `svsim run` has no --workers yet"
            rate = many["per_min"] if c["parallel"] else one["per_min"]
            fixed = max(0.0, c["wall_s"] - c["n"] * 60 / rate)  # start, imports, aggregation, outputs
            print(f"svsim run         {c['n']} replications in {c['wall_s']:.1f} s end to end, outputs included "
                  f"({how}): about {fixed:.1f} s fixed + the pool's rate, so 1000 in about "
                  f"{(fixed + 1000 * 60 / rate) / 60:.1f} min")
    else:
        print("svsim run         end-to-end run skipped (--quick or --cli-replications 0)")

    for label, cmd in (("svsim --help", ["--help"]), ("svsim validate", ["validate", args.scenario])):
        t = startup(cmd, repeats)
        imp = importtime(cmd)
        slow = ", ".join(f"{name} {us / 1e6:.3f}" for name, us in imp["slow"])
        print(f"startup {label:<16} median {t:.3f} s of {repeats} (target < {TARGET_STARTUP_S}); imports "
              f"{imp['total_s']:.3f} s, slowest: {slow}; heavy: {', '.join(imp['heavy']) or 'none'}")

    r = naive(scenario, naive_days)
    sample = ("whole horizon" if r["days"] == r["full_days"]
              else f"first {r['days']} of {r['full_days']} days, time scaled by {r['full_days'] / r['days']:.1f}")
    print(f"naive reference   {r['scaled_s']:.2f} s/replication ({sample}; {r['events']:,} events); "
          f"engine is {r['scaled_s'] / med:.0f}x faster")
    if args.profile:
        import cProfile
        import pstats

        from svsim.model import simulate

        prof = cProfile.Profile()
        prof.runcall(simulate, scenario, args.seed, 0)
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    print(f"benchmark done in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
