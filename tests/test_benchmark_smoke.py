"""The benchmark runs and prints every figure (`benchmarks/bench.py --quick`); no timing is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = (
    "seconds/replication",
    "events/second",
    "peak memory",
    "worker start",
    "replications/minute",
    "scaling",
    "1000 replications",
    "svsim run",
    "startup svsim --help",
    "startup svsim validate",
    "naive reference",
    "benchmark done",
)


def test_quick_benchmark_runs_and_prints_every_figure():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for start in EXPECTED:
        assert any(line.startswith(start) for line in lines), f"no line starting {start!r} in:\n{done.stdout}"
    assert "heavy modules imported: none" in done.stdout  # a worker does not import pandas, scipy or matplotlib
