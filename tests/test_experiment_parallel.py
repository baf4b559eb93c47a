"""Replications in parallel processes give exactly the results of a serial run (the real engine, Kent at a tenth).

Each replication is fixed by (scenario, seed, replication index), so the number of workers can change only the
wall time: the CSVs of a run with one worker and with two are byte-identical.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import BASE_SCENARIO, SMALL_KENT  # noqa: I001 - tests/ is on sys.path
from svsim import cli
from svsim.experiment.executors import Task, TaskRunner, default_workers, run_tasks
from svsim.outputs import charts
from svsim.scenario.targets import Uncertain

CSVS = ("deficit.csv", "census.csv", "kpis.csv", "spend.csv", "placements.csv", "replications.csv")


@pytest.fixture(scope="module")
def small(request):
    return request.getfixturevalue("kent_variant")(small=True)


def same(a, b) -> bool:
    return (a.replication, a.seed, a.money, a.kpis, a.draws, a.placement_spend_gbp_m) == (
        b.replication, b.seed, b.money, b.kpis, b.draws, b.placement_spend_gbp_m
    ) and np.array_equal(a.monthly_plans, b.monthly_plans) and all(
        np.array_equal(a.census[y], b.census[y]) for y in a.census)


def test_two_processes_give_the_serial_results_in_task_order(small):
    scenarios = {"base": small, "no-measures": small.with_interventions([])}
    tasks = [Task(k, i) for i in (2, 0, 1) for k in ("no-measures", "base")]
    serial = run_tasks(scenarios, tasks, seed=11, workers=1)
    seen: list[tuple[int, int]] = []
    with TaskRunner(scenarios, 11, workers=2) as runner:
        parallel = runner.run(tasks, progress=lambda done, total: seen.append((done, total)))
        pids = runner.worker_pids()  # really two other processes
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert [r.replication for r in parallel] == [t.replication for t in tasks]
    assert all(same(a, b) for a, b in zip(serial, parallel, strict=True))
    assert seen[-1] == (6, 6) and [d for d, _ in seen] == list(range(1, 7))
    # common random numbers: replication i draws the same uncertain factors whatever the scenario
    assert serial[0].draws == serial[1].draws and serial[0].draws
    assert serial[0].money != serial[1].money  # ... while the measures still make a difference


def test_a_runner_keeps_its_pool_across_batches(small):
    with TaskRunner({"k": small}, 3, workers=2) as runner:
        first = runner.run([Task("k", 0), Task("k", 1)])
        pids = runner.worker_pids()
        second = runner.run([Task("k", 2)])
        assert runner.worker_pids() == pids and len(pids) == 2
    assert [r.replication for r in first + second] == [0, 1, 2]
    assert same(second[0], run_tasks({"k": small}, [Task("k", 2)], 3, workers=1)[0])


def test_bad_requests_are_refused(small):
    with pytest.raises(KeyError, match="nope"):
        run_tasks({"k": small}, [Task("nope", 0)], 0, workers=1)
    with pytest.raises(ValueError, match="executor"):
        run_tasks({"k": small}, [Task("k", 0)], 0, executor="spark")
    with pytest.raises(ValueError, match="scheduler"):
        run_tasks({"k": small}, [Task("k", 0)], 0, scheduler="tcp://x:8786")
    assert run_tasks({"k": small}, [], 0) == []
    assert default_workers() >= 1


def test_a_failing_replication_fails_the_run(small):
    """A worker's error reaches the caller: here a drawn share near 0 that an intervention then lowers by 0.08."""
    path = "placement.new_plan_mix.under_5.special"
    broken = replace(small, uncertainty=(Uncertain(path, "uniform", {"low": 0.0, "high": 0.01}, "set", (path,)),))
    with pytest.raises(ValueError, match=path):
        run_tasks({"k": broken}, [Task("k", 0), Task("k", 1)], 0, workers=2)


def run_cli(tmp: Path, *args: str) -> Path:
    sets = [a for o in SMALL_KENT for a in ("--set", o)]
    result = CliRunner().invoke(cli.main, ["run", str(BASE_SCENARIO), "-n", "3", "--seed", "4", "--out", str(tmp),
                                           "--quiet", *sets, *args])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in tmp.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return folder


def test_one_and_two_workers_write_byte_identical_csvs(tmp_path, monkeypatch):
    monkeypatch.setattr(charts, "write_charts", lambda *args, **kwargs: [])
    one = run_cli(tmp_path / "w1", "--workers", "1")
    two = run_cli(tmp_path / "w2", "--workers", "2")
    for name in CSVS:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
