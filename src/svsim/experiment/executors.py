"""Executors: the one stack that runs many independent tasks in parallel and gives back what a serial run gives.

Everything parallel in svsim (replications, the paired comparison, Shapley attribution, and sweeps or
sensitivity analyses) goes through `map_tasks(fn, payload, items)` or, to keep the workers across several
batches, a `TaskPool`. `fn(payload, item)` is a module-level function; the payload (scenarios, a plan, the seed)
travels once to each worker; each item is small (a key and a replication index) and its result comes back in
item order. Why results are identical whatever the workers or the executor: a task is fully determined by its
payload and item (random numbers come only from named streams keyed by seed and replication, model/rng.py), so
it can run in any process, on any machine, in any order.

- `local`: svsim's own pool of worker processes (forkserver; spawn where there is none), one pipe per worker,
  items handed out one at a time to whichever worker is free. `workers=1` runs in this process, without a pool.
  A worker keeps nothing between tasks: the payload is a local of its loop, and each finished task's objects
  are released (a cycle collection after each task, so memory stays flat over thousands of tasks).
- `dask`: dask.distributed. `scheduler=None` starts a LocalCluster of `workers` single-threaded processes;
  otherwise the Client connects to `scheduler` (e.g. tcp://host:8786). The payload is sent once, as a task (so dask can
  make it again if every worker dies).
  dask is optional: pip install 'svsim[dask]'.

Shutdown is part of the contract. On any exception or interruption in this process (Ctrl-C, or SystemExit from
a SIGTERM/SIGHUP handler) the work not yet started is dropped, worker processes are terminated and joined with a
timeout (killed if they do not go), and Ctrl-C is ignored while that happens, so a second Ctrl-C cannot leave
the shutdown hanging. Workers ignore Ctrl-C (the parent decides) and exit when the parent's pipe closes, so no
worker outlives the parent. A dask LocalCluster is closed with its logging silenced.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_ready
from types import TracebackType
from typing import Any

from ..scenario import Scenario
from .replications import ReplicationResult, run_one

EXECUTORS = ("local", "dask")
PRELOAD = ["svsim.experiment.executors", "svsim.experiment.replications", "svsim.model"]
"""Modules every local worker imports once (in the forkserver), so a new worker starts in milliseconds."""
JOIN_TIMEOUT_S = 3.0
"""How long terminated workers get to exit before they are killed."""
RETRIES = 1
"""How many times a task whose worker process died (killed, out of memory) is run again before the run fails.
A task is determined by its payload and item, so the retry gives the result the first attempt would have."""

Progress = Callable[[int, int], None]
"""progress(done, total), called in this process as tasks finish."""
TaskFn = Callable[[Any, Any], Any]
"""fn(payload, item) -> result: a module-level function (it is sent to workers by reference)."""
Deliver = Callable[[int, Any], None]
"""deliver(index, result), called in this process as each task finishes (in completion order), instead of keeping
the results: the caller streams them somewhere (experiment.replications.ReplicationStore) and memory stays flat."""
Retry = Callable[[Any, str], None]
"""on_retry(item, how the worker died), called in this process when a task is run again after its worker died."""


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _check(executor: str, workers: int | None, scheduler: str | None) -> None:
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor '{executor}': expected one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    if scheduler is not None and executor != "dask":
        raise ValueError("--scheduler needs the dask executor (--executor dask)")


# ---- the generic stack ----------------------------------------------------------------------------------------
class TaskPool:
    """Workers (local processes or a dask client) that run `fn(payload, item)` for batches of items.

    The workers start with the first batch that needs them and stay until `close()` (or the end of a `with`
    block), so start-up and sending the payload happen once for several batches.
    """

    def __init__(self, fn: TaskFn, payload: Any, *, workers: int | None = None, executor: str = "local",
                 scheduler: str | None = None, preload: Sequence[str] = (), on_retry: Retry | None = None) -> None:
        _check(executor, workers, scheduler)
        self.fn = fn
        self.on_retry = on_retry
        self.payload = payload
        self.executor = executor
        self.scheduler = scheduler
        self.workers = workers or default_workers()
        self.preload = [*PRELOAD, *preload]
        self._backend: _Local | _Dask | None = None

    def __enter__(self) -> TaskPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.close()
        else:
            self.abort()

    def close(self) -> None:
        """Let the workers finish and go (after a batch has completed)."""
        backend, self._backend = self._backend, None
        if backend is not None:
            with _no_interrupts():
                backend.close()

    def abort(self) -> None:
        """Stop at once: drop pending work, terminate the workers (used on errors and interruptions)."""
        backend, self._backend = self._backend, None
        if backend is not None:
            with _no_interrupts():
                backend.abort()

    def worker_pids(self) -> list[int]:
        """Process ids of the local workers (empty for dask or before the first parallel batch)."""
        return list(self._backend.pids()) if isinstance(self._backend, _Local) else []

    def cluster_workers(self) -> int:
        """How many workers the tasks ran on (for dask: the cluster's workers when last asked)."""
        if isinstance(self._backend, _Dask):
            return len(self._backend.client.scheduler_info().get("workers", {}))
        return self.workers

    def map(self, items: Sequence[Any], progress: Progress | None = None,
            deliver: Deliver | None = None) -> list[Any]:
        """fn(payload, item) for every item, in item order (a task's exception is re-raised here).

        With `deliver`, each result is handed to `deliver(index, result)` as it finishes and not kept (returns [])."""
        items = list(items)
        if not items:
            return []
        results: list[Any] = []
        if deliver is None:
            results = [None] * len(items)
            deliver = results.__setitem__
        if self.executor == "local" and (self.workers == 1 or len(items) == 1) and self._backend is None:
            self._serial(items, progress, deliver)
            return results
        try:
            if self._backend is None:
                self._backend = (_Dask(self.payload, self.workers, self.scheduler) if self.executor == "dask"
                                 else _Local(self.fn, self.payload, min(self.workers, len(items)), self.preload,
                                             self.on_retry))
            self._backend.map(self.fn, items, progress, deliver)
            return results
        except BaseException:
            self.abort()
            raise

    def _serial(self, items: list[Any], progress: Progress | None, deliver: Deliver) -> None:
        for done, item in enumerate(items, start=1):
            deliver(done - 1, self.fn(self.payload, item))
            if progress is not None:
                progress(done, len(items))


def map_tasks(fn: TaskFn, payload: Any, items: Sequence[Any], *, workers: int | None = None,
              executor: str = "local", scheduler: str | None = None, progress: Progress | None = None,
              preload: Sequence[str] = (), on_retry: Retry | None = None) -> list[Any]:
    """[fn(payload, item) for item in items], run on `workers` processes (or dask), identical whatever they are.

    `fn` must be a module-level function, `payload` and items picklable. `workers` defaults to every core
    (ignored for dask with a `scheduler`: the cluster decides); `workers=1` runs here. `progress(done, total)` is
    called in this process as tasks finish. Local workers are started with forkserver, so a script calling this
    needs the usual `if __name__ == "__main__":` guard. A task whose worker process dies is run once more on a new
    worker (`on_retry(item, how)` is told); a second death raises `WorkerDied` naming the item.
    """
    with TaskPool(fn, payload, workers=workers, executor=executor, scheduler=scheduler, preload=preload,
                  on_retry=on_retry) as pool:
        return pool.map(items, progress)


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Ignore Ctrl-C while workers are being stopped (bounded by JOIN_TIMEOUT_S), so a second one cannot hang it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


# ---- local processes ------------------------------------------------------------------------------------------
def process_context(preload: list[str]) -> Any:
    """forkserver where available (fast, and safe when this process has threads), else spawn; `preload` are
    the modules every worker imports once."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(preload)
        return ctx
    return multiprocessing.get_context("spawn")


def _start_forkserver(ctx: Any) -> None:
    """Start the forkserver (if it is the start method and not running yet) with SIGINT ignored, which it hands on
    to every worker it forks; ignored only while it is spawned (milliseconds), not while it imports PRELOAD (seconds,
    during which a Ctrl-C is held by svsim's handler instead of lost)."""
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    from ..signals import children_ignore_terminal_signals

    with children_ignore_terminal_signals(ignore_ctrl_c=True):
        forkserver.ensure_running()


class WorkerDied(RuntimeError):
    """A worker process ended without sending its task's result (killed, or out of memory), twice for the same
    task: the first time the task is run again, with the same item (so the same seed and the same result)."""

    def __init__(self, message: str, item: Any = None, how: str = "") -> None:
        super().__init__(message)
        self.item = item
        self.how = how


def _how_it_died(exitcode: int | None) -> str:
    """'killed by SIGKILL' / 'exit code 7' for messages."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a RuntimeError carrying its text and traceback."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        text = "".join(traceback.format_exception(exc))
        return RuntimeError(f"a task failed in a worker process:\n{text}")


def _worker_main(fn: TaskFn, payload: Any, conn: Any) -> None:
    """A worker's whole life: receive (index, item), send (True, result) or (False, exception), until told to stop
    or the parent's end of the pipe closes. Nothing is kept between tasks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        _, item = message
        try:
            reply: tuple[bool, Any] = (True, fn(payload, item))
        except Exception as exc:
            reply = (False, _portable(exc))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
        except Exception as exc:  # an unpicklable result
            conn.send((False, _portable(RuntimeError(f"a task's result could not be sent back: {exc!r}"))))
        del message, item, reply
        gc.collect()  # a finished run's objects hold reference cycles: free them now, not generations later


class _Local:
    def __init__(self, fn: TaskFn, payload: Any, n: int, preload: list[str], on_retry: Retry | None = None) -> None:
        self.ctx = process_context(preload)
        self.fn, self.payload, self.on_retry = fn, payload, on_retry
        self.procs: list[Any] = []
        self.conns: list[Any] = []
        try:
            _start_forkserver(self.ctx)
            for _ in range(n):
                self.procs.append(None)
                self.conns.append(None)
                self._start(len(self.procs) - 1)
        except BaseException:
            self.abort()
            raise

    def _start(self, w: int) -> None:
        """Start worker `w` (a new one, or the replacement of one that died)."""
        from ..signals import children_ignore_terminal_signals

        # Workers start with the terminal's signals blocked (and, from the forkserver, SIGINT ignored): a Ctrl-C or
        # hang-up reaching the whole process group stops svsim, which stops them, quietly; one that arrives while
        # they start is held and acted on once they have (reliability).
        with children_ignore_terminal_signals():
            parent, child = self.ctx.Pipe(duplex=True)
            proc = self.ctx.Process(target=_worker_main, args=(self.fn, self.payload, child), daemon=True,
                                    name="svsim-worker")
            self.conns[w] = parent  # known before it starts, so abort() closes it whatever happens
            try:
                proc.start()
            finally:
                child.close()
            self.procs[w] = proc

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p is not None]

    def map(self, fn: TaskFn, items: list[Any], progress: Progress | None, deliver: Deliver) -> None:
        todo = iter(enumerate(items))
        busy: dict[int, int] = {}  # worker -> index of its item
        deaths: dict[int, int] = {}  # item index -> workers that died running it

        def feed(w: int) -> None:
            nxt = next(todo, None)
            if nxt is not None:
                busy[w] = nxt[0]
                with contextlib.suppress(OSError):  # a worker that died idle: its sentinel tells, below
                    self.conns[w].send(nxt)

        def lost(w: int) -> None:
            """Worker `w` died during its task: start a new one on the same item, or give up the second time."""
            proc, index = self.procs[w], busy.pop(w)
            proc.join(1.0)
            how = _how_it_died(proc.exitcode)
            deaths[index] = deaths.get(index, 0) + 1
            if deaths[index] > RETRIES:
                raise WorkerDied(f"a worker process died running task {items[index]!r} again ({how}), after it "
                                 f"had been retried once", item=items[index], how=how)
            with contextlib.suppress(Exception):
                self.conns[w].close()
            with contextlib.suppress(Exception):
                proc.close()
            self.procs[w] = None
            self._start(w)
            if self.on_retry is not None:
                self.on_retry(items[index], how)
            busy[w] = index
            with contextlib.suppress(OSError):
                self.conns[w].send((index, items[index]))

        for w in range(len(self.procs)):
            feed(w)
        done = 0
        while busy:
            ready = set(wait_ready([self.conns[w] for w in busy] + [self.procs[w].sentinel for w in busy]))
            for w in list(busy):
                conn, proc = self.conns[w], self.procs[w]
                if conn in ready or conn.poll():
                    try:
                        ok, value = conn.recv()
                    except (EOFError, OSError):
                        lost(w)
                        continue
                    index = busy.pop(w)
                    if not ok:
                        raise value
                    deliver(index, value)
                    del value
                    done += 1
                    if progress is not None:
                        progress(done, len(items))
                    feed(w)
                elif proc.sentinel in ready:
                    lost(w)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(Exception):
                conn.send(None)
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        for proc in self.procs:
            if proc is not None:
                proc.join(max(0.0, deadline - time.monotonic()))
        self.abort()  # whoever did not leave in time

    def abort(self) -> None:
        procs, self.procs = [p for p in self.procs if p is not None], []
        conns, self.conns = [c for c in self.conns if c is not None], []
        for proc in procs:
            if proc.exitcode is None:
                with contextlib.suppress(Exception):
                    proc.terminate()
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.join(max(0.0, deadline - time.monotonic()))
        for proc in procs:
            if proc.exitcode is None:
                with contextlib.suppress(Exception):
                    proc.kill()
                    proc.join(1.0)
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.close()


# ---- dask -----------------------------------------------------------------------------------------------------
def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("the dask executor needs dask.distributed: pip install 'svsim[dask]'") from exc
    return distributed


def open_dask(workers: int, scheduler: str | None) -> tuple[Any, Any, Any]:
    """(dask.distributed, a client, the local cluster or None): a cluster of `workers` single-threaded processes
    on this machine, or the scheduler at `scheduler`. The caller closes them with `close_dask`."""
    distributed = _import_distributed()
    if scheduler is not None:
        return distributed, distributed.Client(scheduler), None
    from ..signals import children_ignore_terminal_signals

    # dask spawns its nannies from its own threads, which do not block the terminal's signals: they are blocked
    # around each spawn instead (_spawn_blocking), so the nannies and their workers never see them, and a Ctrl-C
    # while the cluster starts is held by svsim's handler, not lost. Workers log only critical errors: a stop is
    # not an error (reliability).
    cluster = None
    try:
        with children_ignore_terminal_signals(), _spawn_blocking_terminal_signals():
            # allowed_failures: a task whose worker dies is run again once, like the local pool (dask's default is 3)
            # dashboard on any free port: the default (8787) warns "Port 8787 is already in use" when another
            # cluster runs on the machine
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=logging.CRITICAL,
                                               scheduler_kwargs={"allowed_failures": RETRIES})
    except BaseException:  # a signal held while the cluster started arrives here: close what was started
        if cluster is not None:
            close_dask(None, cluster)
        raise
    try:
        return distributed, distributed.Client(cluster), cluster
    except BaseException:
        close_dask(None, cluster)
        raise


@contextlib.contextmanager
def _spawn_blocking_terminal_signals() -> Iterator[None]:
    """While inside, every process multiprocessing spawns (from any thread) starts with SIGINT and SIGHUP blocked,
    which it and its own children keep: they are stopped by svsim, not by the terminal."""
    from multiprocessing import util

    spawn = util.spawnv_passfds
    terminal = {s for s in (signal.SIGINT, getattr(signal, "SIGHUP", None)) if s is not None}

    def blocked_spawn(path: Any, args: Any, passfds: Any) -> int:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, terminal)  # this thread only
        try:
            return spawn(path, args, passfds)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    util.spawnv_passfds = blocked_spawn
    try:
        yield
    finally:
        util.spawnv_passfds = spawn


def close_dask(client: Any, cluster: Any) -> None:
    """Close a client and a local cluster without dumping tracebacks (an interrupted close is still a close)."""
    loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        for thing in (client, cluster):
            if thing is not None:
                with contextlib.suppress(BaseException):
                    thing.close()
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _the_payload(payload: Any) -> Any:
    """The payload as a dask task (see _Dask)."""
    return payload


class _Dask:
    def __init__(self, payload: Any, workers: int, scheduler: str | None) -> None:
        self.distributed, self.client, self.cluster = open_dask(workers, scheduler)
        self.run_id = uuid.uuid4().hex[:12]
        self.batch = 0
        try:
            # The payload is a task's result, not scattered data: dask can compute a lost task again, never lost
            # scattered data. With every worker killed at once (the out-of-memory killer, `kill -9`) scattered data
            # is gone and dask cancels every task with "unknown" reason; a task's result is made again on the new
            # workers and the replications that were running are retried (allowed_failures), like the local pool.
            self.shared = self.client.submit(_the_payload, payload, key=f"svsim-payload-{self.run_id}", pure=False)
            self.client.replicate([self.shared])  # on every worker, so that any may start a task at once
        except BaseException:
            self.abort()
            raise

    def map(self, fn: TaskFn, items: list[Any], progress: Progress | None, deliver: Deliver) -> None:
        self.batch += 1
        futures = [self.client.submit(fn, self.shared, item, key=f"svsim-{self.run_id}-{self.batch}-{i}", pure=False)
                   for i, item in enumerate(items)]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for done, fut in enumerate(self.distributed.as_completed(futures), start=1):
                try:
                    deliver(index[fut.key], fut.result())
                    fut.release()  # the cluster need not keep a result the caller has
                except self.distributed.KilledWorker as exc:  # its workers died: dask already retried it
                    item = items[index[fut.key]]
                    raise WorkerDied(f"dask workers died running task {item!r} ({exc})", item=item,
                                     how="dask: KilledWorker") from None
                except self.distributed.client.FutureCancelledError as exc:  # the cluster dropped it (workers gone)
                    item = items[index[fut.key]]
                    raise WorkerDied(f"the dask cluster lost task {item!r} ({exc})", item=item,
                                     how="dask: the cluster cancelled it") from None
                if progress is not None:
                    progress(done, len(items))
        except BaseException:
            with contextlib.suppress(BaseException):
                self.client.cancel(futures)
            raise

    def close(self) -> None:
        close_dask(self.client, self.cluster)

    abort = close


# ---- replications ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One replication of one scenario."""

    key: str
    """Which scenario (a key of the `scenarios` mapping), to group results."""
    replication: int


def _replicate_task(payload: tuple[Mapping[str, Scenario], int], item: tuple[str, int]) -> ReplicationResult:
    scenarios, seed = payload
    key, replication = item
    return run_one(scenarios[key], seed, replication)


def run_tasks(
    scenarios: Mapping[str, Scenario],
    tasks: Sequence[Task],
    seed: int,
    *,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    deliver: Deliver | None = None,
    notify: Callable[[str], None] | None = None,
    retried: list[dict[str, Any]] | None = None,
) -> list[ReplicationResult]:
    """Results in the order of `tasks`, identical whatever `workers`/`executor`.

    Each task runs `run_one(scenarios[key], seed, replication)`: the replication's uncertain parameters drawn,
    then simulated and summarised, its draws recorded in `ReplicationResult.draws`. With `deliver`, each result is
    handed to `deliver(position in tasks, result)` as it finishes instead (returns []). A replication whose worker
    died is run again once: `notify(line)` is told and `retried` extended (see TaskRunner.retried).
    """
    with TaskRunner(scenarios, seed, workers=workers, executor=executor, scheduler=scheduler) as runner:
        runner.on_retry = notify
        try:
            return runner.run(tasks, progress=progress, deliver=deliver)
        finally:
            if retried is not None:
                retried.extend(runner.retried)


class TaskRunner:
    """Replications of several scenarios on a `TaskPool` kept open across batches (the precision loop)."""

    def __init__(self, scenarios: Mapping[str, Scenario], seed: int, *, workers: int | None = None,
                 executor: str = "local", scheduler: str | None = None) -> None:
        self.scenarios = dict(scenarios)
        self.seed = int(seed)
        self.retried: list[dict[str, Any]] = []
        """Replications run again because their worker process died: scenario, replication, how it died."""
        self.pool = TaskPool(_replicate_task, (self.scenarios, self.seed), workers=workers, executor=executor,
                             scheduler=scheduler, on_retry=self._retrying)
        self.executor, self.scheduler, self.workers = executor, scheduler, self.pool.workers
        self.on_retry: Callable[[str], None] | None = None
        """Told (one line of text) when a replication is retried."""

    def _retrying(self, item: tuple[str, int], how: str) -> None:
        key, replication = item
        self.retried.append({"scenario": key, "replication": replication, "worker": how})
        if self.on_retry is not None:
            self.on_retry(f"a worker process died running replication {replication} of '{key}' ({how}); "
                          "running it again with the same seed")

    def __enter__(self) -> TaskRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.pool.__exit__(exc_type, exc, tb)

    def close(self) -> None:
        self.pool.close()

    def worker_pids(self) -> list[int]:
        return self.pool.worker_pids()

    def cluster_workers(self) -> int:
        return self.pool.cluster_workers()

    def run(self, tasks: Sequence[Task], progress: Progress | None = None,
            deliver: Deliver | None = None) -> list[ReplicationResult]:
        """Run `tasks` and return their results in task order (or, with `deliver`, hand each to
        `deliver(position in tasks, result)` as it finishes and return [])."""
        tasks = list(tasks)
        unknown = sorted({t.key for t in tasks} - set(self.scenarios))
        if unknown:
            raise KeyError(f"tasks name unknown scenario(s): {', '.join(map(str, unknown))}")
        try:
            return self.pool.map([(t.key, t.replication) for t in tasks], progress, deliver)
        except WorkerDied as exc:
            if not (isinstance(exc.item, tuple) and len(exc.item) == 2):
                raise
            key, replication = exc.item
            raise WorkerDied(f"replication {replication} of '{key}' (seed {self.seed}) ended its worker process "
                             f"twice ({exc.how}; it was retried once with the same seed): the run stops. A "
                             "replication that kills its worker is usually out of memory: check the scenario's "
                             "sizes or use fewer workers", item=exc.item, how=exc.how) from None


__all__ = [
    "EXECUTORS",
    "Task",
    "TaskPool",
    "TaskRunner",
    "WorkerDied",
    "default_workers",
    "map_tasks",
    "run_one",
    "run_tasks",
]
