"""Executors: run many (scenario, replication) tasks in parallel and give back the same results as a serial run.

Why this is safe to parallelise: a replication is fully determined by (scenario, seed, replication index) through
named random streams (model/rng.py), and parameter uncertainty is drawn from its own named streams
(experiment/uncertainty.py). So a task can run in any process, on any machine, in any order, and the results,
re-ordered by task, are identical whatever the number of workers or the executor.

- `local`: a concurrent.futures.ProcessPoolExecutor kept for the whole call (or for several calls through
  `TaskRunner`). The scenarios are sent once to each worker (the pool's initializer); a task travels as a small
  tuple (index, key, replication). `workers=1` runs in this process, without a pool.
- `dask`: dask.distributed. `scheduler=None` starts a LocalCluster of `workers` single-threaded processes;
  otherwise the Client connects to `scheduler` (e.g. tcp://host:8786). The scenarios are scattered once.
  dask is optional: pip install 'svsim[dask]'.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

from ..scenario import Scenario
from . import replications
from .replications import ReplicationResult
from .uncertainty import apply_draws, draws_for

EXECUTORS = ("local", "dask")

Progress = Callable[[int, int], None]
"""progress(done, total), called in this process as tasks finish."""


@dataclass(frozen=True)
class Task:
    """One replication of one scenario."""

    key: str
    """Which scenario (a key of the `scenarios` mapping), to group results."""
    replication: int


def run_one(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """One task: draw the replication's uncertain parameters, then simulate and summarise it (draws recorded)."""
    draws = draws_for(scenario, seed, replication)
    # looked up at call time, so a test may substitute the engine (in this process: workers=1)
    result = replications.run_replication(apply_draws(scenario, draws), seed, replication)
    return replace(result, draws=draws) if draws else result


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(
    scenarios: Mapping[str, Scenario],
    tasks: Sequence[Task],
    seed: int,
    *,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[ReplicationResult]:
    """Results in the order of `tasks`, identical whatever `workers`/`executor`.

    Each task runs `run_replication(scenario_for_replication(scenarios[key], seed, replication), seed,
    replication)` (see `run_one`), its uncertainty draws recorded in `ReplicationResult.draws`. `workers` defaults
    to every core (for dask with a `scheduler`, it is ignored: the cluster decides); `workers=1` runs here,
    without a pool. `progress(done, total)` is called in this process as tasks finish. Worker processes are
    started with forkserver (spawn where there is none), so a script calling this needs the usual
    `if __name__ == "__main__":` guard.
    """
    with TaskRunner(scenarios, seed, workers=workers, executor=executor, scheduler=scheduler) as runner:
        return runner.run(tasks, progress=progress)


class TaskRunner:
    """A pool (local processes or a dask client) kept open across several batches of tasks.

    Used by `run_tasks` (one batch) and by the precision loop (batches until the intervals are narrow enough),
    so worker start-up and sending the scenarios happen once.
    """

    def __init__(
        self,
        scenarios: Mapping[str, Scenario],
        seed: int,
        *,
        workers: int | None = None,
        executor: str = "local",
        scheduler: str | None = None,
    ) -> None:
        if executor not in EXECUTORS:
            raise ValueError(f"unknown executor '{executor}': expected one of {', '.join(EXECUTORS)}")
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        if scheduler is not None and executor != "dask":
            raise ValueError("--scheduler needs the dask executor (--executor dask)")
        self.scenarios = dict(scenarios)
        self.seed = int(seed)
        self.executor = executor
        self.scheduler = scheduler
        self.workers = workers or default_workers()
        self._backend: _Local | _Dask | None = None

    def __enter__(self) -> TaskRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(abandon=exc is not None)

    def close(self, abandon: bool = False) -> None:
        """Shut the pool down; `abandon` (after an error or Ctrl-C) stops running replications instead of waiting."""
        if self._backend is not None:
            backend, self._backend = self._backend, None
            backend.close(abandon) if isinstance(backend, _Local) else backend.close()

    def cluster_workers(self) -> int:
        """How many workers the tasks ran on (for dask: the cluster's workers when last asked)."""
        if isinstance(self._backend, _Dask):
            return len(self._backend.client.scheduler_info().get("workers", {}))
        return self.workers

    def run(self, tasks: Sequence[Task], progress: Progress | None = None) -> list[ReplicationResult]:
        """Run `tasks` and return their results in task order."""
        tasks = list(tasks)
        unknown = sorted({t.key for t in tasks} - set(self.scenarios))
        if unknown:
            raise KeyError(f"tasks name unknown scenario(s): {', '.join(map(str, unknown))}")
        if not tasks:
            return []
        if self.executor == "local" and (self.workers == 1 or len(tasks) == 1) and self._backend is None:
            return self._serial(tasks, progress)
        if self._backend is None:
            self._backend = _Dask(self) if self.executor == "dask" else _Local(self, len(tasks))
        return self._backend.run(tasks, progress)

    def _serial(self, tasks: list[Task], progress: Progress | None) -> list[ReplicationResult]:
        out = []
        for done, t in enumerate(tasks, start=1):
            out.append(run_one(self.scenarios[t.key], self.seed, t.replication))
            if progress is not None:
                progress(done, len(tasks))
        return out


# ---- local process pool ---------------------------------------------------------------------------------------
_WORKER_SCENARIOS: dict[str, Scenario] = {}
_WORKER_SEED = 0


def _init_worker(scenarios: dict[str, Scenario], seed: int) -> None:
    """Pool initializer: each worker receives the scenarios once. Workers ignore Ctrl-C: the parent handles it,
    cancels what has not started and waits for the running replications (under a second each)."""
    global _WORKER_SEED
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_SCENARIOS.clear()
    _WORKER_SCENARIOS.update(scenarios)
    _WORKER_SEED = seed


def _run_in_worker(index: int, key: str, replication: int) -> tuple[int, ReplicationResult]:
    return index, run_one(_WORKER_SCENARIOS[key], _WORKER_SEED, replication)


def process_context(preload: list[str]) -> Any:
    """forkserver where available (fast, and safe when this process has threads), else spawn; `preload` are
    the modules every worker imports once."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(preload)
        return ctx
    return multiprocessing.get_context("spawn")


def _mp_context() -> Any:
    return process_context(["svsim.experiment.executors", "svsim.model"])


def gather(futures: list[Future], progress: Progress | None = None) -> Iterator[Any]:
    """Each future's result as it finishes (a worker's exception re-raised here), counting progress; on any
    error or interruption the futures not yet started are cancelled."""
    pending = set(futures)
    done = 0
    try:
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield fut.result()
                done += 1
                if progress is not None:
                    progress(done, len(futures))
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise


class _Local:
    def __init__(self, runner: TaskRunner, first_batch: int) -> None:
        from ..signals import children_ignore_terminal_signals

        pool = None
        try:
            with children_ignore_terminal_signals():  # the resource tracker starts here (see run)
                pool = ProcessPoolExecutor(
                    max_workers=min(runner.workers, first_batch),  # no idle processes for a small run
                    mp_context=_mp_context(), initializer=_init_worker,
                    initargs=(runner.scenarios, runner.seed),
                )
        except BaseException:  # a Ctrl-C held during the start arrives here: no pool left behind
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        self.pool = pool

    def run(self, tasks: list[Task], progress: Progress | None) -> list[ReplicationResult]:
        results: list[ReplicationResult | None] = [None] * len(tasks)
        from ..signals import children_ignore_terminal_signals

        with children_ignore_terminal_signals():  # processes start here: a terminal Ctrl-C is for svsim to handle
            futures = [self.pool.submit(_run_in_worker, i, t.key, t.replication) for i, t in enumerate(tasks)]
        for i, result in gather(futures, progress):
            results[i] = result
        return results  # type: ignore[return-value]

    def close(self, abandon: bool = False) -> None:
        if abandon:
            abandon_pool(self.pool)
        else:
            self.pool.shutdown(wait=True, cancel_futures=True)


def abandon_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's running tasks at once and shut it down (after an error or Ctrl-C): nobody will read their
    results, and waiting for them can take minutes."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


# ---- dask ---------------------------------------------------------------------------------------------------
def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("the dask executor needs dask.distributed: pip install 'svsim[dask]'") from exc
    return distributed


def _run_on_dask(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    return run_one(scenario, seed, replication)


def open_dask(workers: int, scheduler: str | None) -> tuple[Any, Any, Any]:
    """(dask.distributed, a client, the local cluster or None): a cluster of `workers` single-threaded processes
    on this machine, or the scheduler at `scheduler`. The caller closes the client, then the cluster."""
    distributed = _import_distributed()
    if scheduler is not None:
        return distributed, distributed.Client(scheduler), None
    from ..signals import children_ignore_terminal_signals

    cluster = None
    try:
        with children_ignore_terminal_signals(ignore_ctrl_c=True):  # a terminal Ctrl-C stops svsim, which closes
            # the cluster quietly
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.CRITICAL)
    except BaseException:  # a Ctrl-C held while the cluster started arrives here: close what was started
        if cluster is not None:
            cluster.close()
        raise
    return distributed, distributed.Client(cluster), cluster


class _Dask:
    def __init__(self, runner: TaskRunner) -> None:
        self.distributed, self.client, self.cluster = open_dask(runner.workers, runner.scheduler)
        self.seed = runner.seed
        try:
            # one copy of each scenario on every worker, referenced by every task
            self.scattered = {key: self.client.scatter(s, broadcast=True) for key, s in runner.scenarios.items()}
        except BaseException:
            self.close()
            raise
        self.run_id = uuid.uuid4().hex[:12]
        self.batch = 0

    def run(self, tasks: list[Task], progress: Progress | None) -> list[ReplicationResult]:
        self.batch += 1
        futures = [
            self.client.submit(_run_on_dask, self.scattered[t.key], self.seed, t.replication,
                               key=f"svsim-{self.run_id}-{self.batch}-{i}", pure=False)
            for i, t in enumerate(tasks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[ReplicationResult | None] = [None] * len(tasks)
        try:
            for done, fut in enumerate(self.distributed.as_completed(futures), start=1):
                results[index[fut.key]] = fut.result()
                if progress is not None:
                    progress(done, len(tasks))
        except BaseException:
            self.client.cancel(futures)
            raise
        return results  # type: ignore[return-value]

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


__all__ = ["EXECUTORS", "Task", "TaskRunner", "abandon_pool", "default_workers", "run_one", "run_tasks"]
