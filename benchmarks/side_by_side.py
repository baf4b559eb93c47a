"""CPU seconds per replication of two source trees, alternated in fresh processes on the same machine.

    git worktree add /tmp/old5941557 5941557           # the commit to compare with, outside the repository
    python benchmarks/side_by_side.py /tmp/old5941557/src src --scenario /tmp/old5941557/scenarios/base.yaml

Each round runs the old tree then the new one (the next round the other way round), each in a fresh process that
loads the scenario, simulates one warm-up replication and then --replications replications, and records the median
CPU time (time.process_time) of one `simulate`. The ratio new/old is taken per round, so both sides of a ratio saw
about the same load; the summary gives the median and the geometric mean of the rounds' ratios, and the load
average seen. Use a scenario file both trees can read (an older tree may not know newer keys). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
from svsim.scenario import load_scenario
from svsim.model import simulate
sc = load_scenario(sys.argv[1])
simulate(sc, seed=0, replication=99)
cpu = []
for r in range(int(sys.argv[2])):
    began = time.process_time()
    simulate(sc, seed=0, replication=r)
    cpu.append(time.process_time() - began)
print(json.dumps(cpu))
"""


def one(src: str, scenario: str, replications: int) -> float:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
    out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(replications)], env=env, capture_output=True,
                         text=True, check=True)
    return statistics.median(json.loads(out.stdout))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old_src", help="the old tree's src/ directory")
    ap.add_argument("new_src", help="the new tree's src/ directory")
    ap.add_argument("--scenario", required=True, help="a scenario file both trees can load")
    ap.add_argument("--replications", type=int, default=3, help="replications per process (median taken)")
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    ratios, loads = [], []
    olds, news = [], []
    for i in range(args.rounds):
        order = ("old", "new") if i % 2 == 0 else ("new", "old")
        got = {}
        for side in order:
            got[side] = one(args.old_src if side == "old" else args.new_src, args.scenario, args.replications)
            loads.append(os.getloadavg()[0])
        olds.append(got["old"])
        news.append(got["new"])
        ratios.append(got["new"] / got["old"])
        print(f"round {i}: old {got['old']:.3f} s  new {got['new']:.3f} s  ratio {ratios[-1]:.3f}", flush=True)
    geo = math.exp(statistics.mean(math.log(r) for r in ratios))
    print(f"CPU s/replication, median of rounds: old {statistics.median(olds):.3f}  new {statistics.median(news):.3f}")
    print(f"ratio new/old over {len(ratios)} rounds: median {statistics.median(ratios):.3f}, geometric mean "
          f"{geo:.3f}, range {min(ratios):.3f}-{max(ratios):.3f}; load average {min(loads):.1f}-{max(loads):.1f}")


if __name__ == "__main__":
    main()
