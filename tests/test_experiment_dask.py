"""The dask executor gives the local pool's results: a LocalCluster of two worker processes, and a scheduler given
by address (as on a real cluster). Skipped when dask.distributed is not installed (the `dev` extra installs it)."""

from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed")

from test_experiment_parallel import CSVS, run_cli, same  # noqa: E402, I001 - a sibling test module
from svsim.experiment.executors import Task, TaskRunner, run_tasks  # noqa: E402
from svsim.outputs import charts  # noqa: E402


@pytest.fixture(scope="module")
def small(kent_variant):
    return kent_variant(small=True)


def test_a_scheduler_address_gives_the_local_results(small):
    scenarios = {"base": small, "no-measures": small.with_interventions([])}
    tasks = [Task(k, i) for i in (1, 0) for k in ("base", "no-measures")]
    serial = run_tasks(scenarios, tasks, seed=5, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        seen = []
        with TaskRunner(scenarios, 5, executor="dask", scheduler=cluster.scheduler_address) as runner:
            first = runner.run(tasks[:2], progress=lambda d, n: seen.append((d, n)))
            second = runner.run(tasks[2:])  # a second batch on the same client and scattered scenarios
            assert runner.cluster_workers() == 2
    assert all(same(a, b) for a, b in zip(serial, first + second, strict=True))
    assert seen == [(1, 2), (2, 2)]


def test_dask_local_cluster_writes_the_same_csvs_as_one_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(charts, "write_charts", lambda *args, **kwargs: [])
    one = run_cli(tmp_path / "w1", "--workers", "1")
    dask = run_cli(tmp_path / "dask", "--executor", "dask", "--workers", "2")
    for name in CSVS:
        assert (one / name).read_bytes() == (dask / name).read_bytes(), name
