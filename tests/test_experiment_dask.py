"""The dask executor gives the local pool's results: a LocalCluster of two worker processes, and a scheduler given
by address (as on a real cluster). Skipped when dask.distributed is not installed (the `dev` extra installs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from test_experiment_parallel import CSVS, run_cli, same  # noqa: E402, I001 - a sibling test module
from svsim.experiment.executors import Task, TaskRunner, run_tasks  # noqa: E402
from svsim.outputs import charts  # noqa: E402

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


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


def test_attribution_on_dask_gives_the_local_numbers(small):
    """Two model-changing measures and one money-only: every subset priced on a LocalCluster of 2 processes."""
    from svsim.experiment.attribution import plan_attribution, subset_deficits

    mitigated = small.with_interventions(["statutory-decisions", "sen-recruitment", "six-k-threshold"])
    plan = plan_attribution(mitigated.with_interventions([]), mitigated)
    local, n_local = subset_deficits(plan, 4, 2, workers=1)
    seen = []
    on_dask, n_dask = subset_deficits(plan, 4, 2, workers=2, executor="dask",
                                      progress=lambda d, n: seen.append((d, n)))
    assert n_local == n_dask == 2 * plan.simulations_per_replication
    assert (local == on_dask).all()  # bit for bit
    assert seen[-1] == (n_dask, n_dask)


def test_compare_on_dask_writes_the_same_differences_as_locally(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from svsim import cli
    from svsim.outputs import compare_charts

    monkeypatch.setattr(compare_charts, "write_compare_charts", lambda *args, **kwargs: [])
    base, other = (str(p) for p in (SCENARIOS / "base.yaml", SCENARIOS / "without-six-k-threshold.yaml"))
    folders = []
    for name, extra in (("local", ["--workers", "1"]), ("dask", ["--executor", "dask", "--workers", "2"])):
        out = tmp_path / name
        result = CliRunner().invoke(cli.main, ["compare", base, other, "-n", "2", "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        (folder,) = [p for p in out.iterdir() if p.is_dir()]
        folders.append(folder)
    for table in ("differences.csv", "attribution.csv"):
        assert (folders[0] / table).read_bytes() == (folders[1] / table).read_bytes(), table
    bad = CliRunner().invoke(cli.main, ["compare", base, other, "--scheduler", "tcp://127.0.0.1:1"])
    assert bad.exit_code == 2 and "--scheduler needs --executor dask" in bad.output
