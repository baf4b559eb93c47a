"""A worker process killed mid-run (SIGKILL, as the out-of-memory killer does): its replication runs again with the
same seed on a new worker, so the run's numbers are those of an undisturbed run; a second death stops the run
naming the replication. Real engine (Kent at a tenth), real SIGKILLs sent to real worker processes. (The pool-level
cases, a worker dying twice and the on_retry call, are in test_experiment_executors.py with toy tasks.)"""

from __future__ import annotations

import os
import signal
from dataclasses import fields

import pytest

from svsim.experiment.executors import Task, TaskRunner, WorkerDied


@pytest.fixture(scope="module")
def small(request):
    return request.getfixturevalue("kent_variant")(small=True)


@pytest.fixture(scope="module")
def undisturbed(small):
    with TaskRunner({"base": small}, 3, workers=1) as runner:
        return runner.run([Task("base", i) for i in range(6)])


def comparable(results) -> list:
    """Every field of every result but the wall time (the only thing a retry may change), as bytes."""
    import pickle

    return [[pickle.dumps(getattr(r, f.name)) for f in fields(r) if f.name != "runtime_s"] for r in results]


def killer(runner: TaskRunner, pids: list[int], how_many: int):
    """A progress callback that SIGKILLs workers once two replications are done (mid-task: while replications
    remain, a worker is idle only between this callback and its next item)."""
    def progress(done: int, total: int) -> None:
        if done == 2 and not pids:
            pids.extend(pids_now := sorted(runner_pids(runner))[:how_many])
            for pid in pids_now:
                os.kill(pid, signal.SIGKILL)
    return progress


def runner_pids(runner: TaskRunner) -> list[int]:
    if runner.executor == "dask":
        client = runner.pool._backend.client
        return list(client.run(os.getpid).values())
    return runner.worker_pids()


SLOW = pytest.mark.skipif(not os.environ.get("SVSIM_SLOW_TESTS"),
                          reason="the suite's budget: the run-folder test below does the same for `svsim run` "
                                 "(dask: ~11 s more); SVSIM_SLOW_TESTS=1 runs it")


@pytest.mark.parametrize("executor", [pytest.param("local", marks=SLOW), pytest.param("dask", marks=SLOW)])
def test_killed_workers_replications_run_again_with_the_same_results(small, undisturbed, executor):
    if executor == "dask":
        pytest.importorskip("distributed")
    killed: list[int] = []
    told: list[str] = []
    with TaskRunner({"base": small}, 3, workers=2, executor=executor) as runner:
        runner.on_retry = told.append
        # dask: one of its two workers (its nanny starts another); local: both, each replaced
        results = runner.run([Task("base", i) for i in range(6)],
                             progress=killer(runner, killed, 1 if executor == "dask" else 2))
        if executor == "local":
            assert not set(killed) & set(runner.worker_pids()), "the killed workers were replaced"
            assert told and all("killed by SIGKILL" in t and "same seed" in t for t in told)
            assert {r["replication"] for r in runner.retried} <= {2, 3, 4, 5} and runner.retried
    assert len(killed) == (1 if executor == "dask" else 2)
    assert comparable(results) == comparable(undisturbed)


def test_a_replication_that_kills_its_worker_twice_is_named(small, monkeypatch):
    """The pool's WorkerDied (the generic item) becomes a message naming the replication, its scenario and seed."""
    def dies(self, items, progress=None, deliver=None):
        raise WorkerDied("died twice", item=items[1], how="killed by SIGKILL")

    monkeypatch.setattr("svsim.experiment.executors.TaskPool.map", dies)
    with TaskRunner({"base": small}, 3, workers=2) as runner, pytest.raises(WorkerDied) as died:
        runner.run([Task("base", 4), Task("base", 5)])
    assert "replication 5 of 'base' (seed 3) ended its worker process twice (killed by SIGKILL" in str(died.value)


def test_a_run_folder_records_the_retry_and_holds_the_undisturbed_numbers(tmp_path, small, undisturbed):
    """`svsim run`'s path (execute_run): a worker SIGKILLed mid-run; deficit.csv and census.csv are those of the
    undisturbed results and the manifest lists the replication run again."""
    import json
    from pathlib import Path

    from svsim.outputs.run import FLOAT_FORMAT, build_tables, execute_run
    from svsim.outputs.tables import rounded

    me = os.getpid()

    def workers() -> list[int]:  # the forkserver's children (the resource tracker and forkserver are ours)
        ours = {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == me}
        return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) in ours]

    killed: list[int] = []

    def progress(done: int, total: int) -> None:
        if done == 2 and not killed:
            killed.extend(workers())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    told: list[str] = []
    outcome = execute_run(small, replications=6, seed=3, out=tmp_path, workers=2, progress=progress,
                          charts=False, command=[], notify=told.append)
    assert killed and told
    manifest = json.loads((outcome.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["retried_replications"] and all(r["worker"] == "killed by SIGKILL"
                                                    for r in manifest["retried_replications"])
    expected = build_tables(small, undisturbed)
    for stem in ("deficit", "census", "monthly", "replications"):  # replications.csv: every replication's numbers
        table = expected[stem] if stem == "replications" else rounded(expected[stem])
        want = table.to_csv(index=False, float_format=FLOAT_FORMAT)
        assert (outcome.folder / f"{stem}.csv").read_text(encoding="utf-8") == want, stem


def _parent(proc_dir) -> int:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def sleepy_or_deadly(payload: float, item: tuple[str, int]) -> int:
    """('sleep', i): i squared after `payload` seconds (so tasks are in flight when workers are killed);
    ('die', i): the worker process exits at once, every time (a replication that always kills its worker)."""
    import time

    kind, i = item
    if kind == "die":
        os._exit(7)
    time.sleep(payload)
    return i * i


def pool_pids(pool) -> list[int]:
    if pool.executor == "dask":
        return list(pool._backend.client.run(os.getpid).values())
    return pool.worker_pids()


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_every_worker_killed_at_once_then_a_task_that_always_kills_its_worker(executor):
    """Both workers SIGKILLed together mid-batch (dask used to lose its scattered payload and end with its own
    FutureCancelledError, exit 1): the batch completes with the right results. Then a task that kills its worker
    every time: retried once, then WorkerDied naming it (dask: after its own allowed_failures=1)."""
    from svsim.experiment.executors import TaskPool

    if executor == "dask":
        pytest.importorskip("distributed")
    killed: list[int] = []
    with TaskPool(sleepy_or_deadly, 0.2, workers=2, executor=executor) as pool:
        def progress(done: int, total: int) -> None:
            if done == 2 and not killed:
                killed.extend(pool_pids(pool))
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)

        assert pool.map([("sleep", i) for i in range(8)], progress) == [i * i for i in range(8)]
        assert len(killed) == 2 and not set(killed) & set(pool_pids(pool))
        with pytest.raises(WorkerDied) as died:
            pool.map([("sleep", 0), ("die", 1), ("sleep", 2)])
        assert died.value.item == ("die", 1)
