"""The executor stack: map_tasks gives serial results in item order, re-raises a task's error, notices a dead
worker, and shuts down cleanly when the parent is interrupted (real signals sent to a real subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from svsim.experiment.executors import TaskPool, WorkerDied, map_tasks

SRC = Path(__file__).resolve().parents[1] / "src"


def square_plus(payload: int, item: int) -> tuple[int, int]:
    return item, item * item + payload


def fail_on_three(payload: int, item: int) -> int:
    if item == 3:
        raise ValueError(f"item {item} is bad")
    return item


def die_on_two(payload: int, item: int) -> int:
    if item == 2:
        os._exit(7)
    return item


def killed_once_on_two(folder: str, item: int) -> tuple[int, int]:
    """Item 2 SIGKILLs its own worker the first time it runs (a marker file remembers), as the OOM killer would."""
    marker = Path(folder) / "killed"
    if item == 2 and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return item, item * item


def test_results_come_back_in_item_order_whatever_the_workers():
    items = [5, 3, 9, 0, 1, 8, 2]
    serial = map_tasks(square_plus, 10, items, workers=1)
    assert serial == [(i, i * i + 10) for i in items]
    seen = []
    assert map_tasks(square_plus, 10, items, workers=2, progress=lambda d, n: seen.append((d, n))) == serial
    assert seen == [(d, len(items)) for d in range(1, len(items) + 1)]
    assert map_tasks(square_plus, 10, [], workers=2) == []


def test_a_pool_keeps_its_workers_across_batches_and_lets_them_go():
    with TaskPool(square_plus, 1, workers=2) as pool:
        assert pool.map([1, 2, 3]) == [(1, 2), (2, 5), (3, 10)]
        pids = pool.worker_pids()
        assert pool.map([4, 5]) == [(4, 17), (5, 26)] and pool.worker_pids() == pids and len(pids) == 2
    time.sleep(0.2)
    assert not any(alive(p) for p in pids)


def test_a_task_error_reaches_the_caller_and_a_worker_dying_twice_is_reported():
    with pytest.raises(ValueError, match="item 3 is bad"):
        map_tasks(fail_on_three, 0, range(6), workers=2)
    with pytest.raises(WorkerDied, match=r"task 2 again \(exit code 7\), after it had been retried once") as died:
        map_tasks(die_on_two, 0, range(6), workers=2)
    assert died.value.item == 2


def test_a_killed_worker_s_task_is_run_again_on_a_new_worker(tmp_path):
    told = []
    with TaskPool(killed_once_on_two, str(tmp_path), workers=2, on_retry=lambda *a: told.append(a)) as pool:
        first = pool.worker_pids()
        assert pool.map(range(6)) == [(i, i * i) for i in range(6)]
        killed = int((tmp_path / "killed").read_text())
        assert killed not in pool.worker_pids() and len(pool.worker_pids()) == 2 and first == []
    assert told == [(2, "killed by SIGKILL")]


def test_bad_requests_are_refused():
    with pytest.raises(ValueError, match="executor"):
        map_tasks(square_plus, 0, [1], executor="spark")
    with pytest.raises(ValueError, match="workers"):
        map_tasks(square_plus, 0, [1], workers=0)
    with pytest.raises(ValueError, match="scheduler"):
        map_tasks(square_plus, 0, [1], scheduler="tcp://x:8786")


# ---- shutdown under real signals ------------------------------------------------------------------------------
SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    from svsim.experiment.executors import map_tasks

    def slow(payload, item):
        with open(payload, "a") as f:
            f.write(f"{os.getpid()}\\n")
        time.sleep(120)
        return item

    if __name__ == "__main__":
        pids_file, mode, executor = sys.argv[1:4]
        if mode == "term":  # what the CLI's handler does: SIGTERM/SIGHUP become SystemExit
            def stop(signum, frame):
                raise SystemExit(128 + signum)
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGHUP, stop)
        try:
            map_tasks(slow, pids_file, range(8), workers=2, executor=executor)
        except KeyboardInterrupt:
            sys.exit(130)
""")


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def descendants(root: int) -> set[int]:
    """Every process below `root` (forkserver, resource tracker, workers)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def interrupt(tmp_path: Path, signals: list[int], mode: str = "int", executor: str = "local",
              workers_started: int = 2) -> tuple[int, str, set[int]]:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    pids_file = tmp_path / "pids.txt"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, str(script), str(pids_file), mode, executor], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if pids_file.exists() and len(pids_file.read_text().split()) >= workers_started:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        else:
            pytest.fail("the workers never started")
        below = descendants(proc.pid)
        for sig in signals:
            proc.send_signal(sig)
            time.sleep(0.05)
        _, err = proc.communicate(timeout=30)  # bounded: a hang fails here
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    workers = {int(p) for p in pids_file.read_text().split()}
    assert workers <= below
    time.sleep(0.5)
    return proc.returncode, err, {p for p in below if alive(p)}


@pytest.mark.parametrize("signals,mode,code", [
    ([signal.SIGINT], "int", 130),
    ([signal.SIGTERM], "term", 128 + signal.SIGTERM),
    ([signal.SIGHUP], "term", 128 + signal.SIGHUP),
])
def test_an_interrupted_parent_leaves_no_process_behind(tmp_path, signals, mode, code):
    returncode, err, left = interrupt(tmp_path, signals, mode)
    assert returncode == code, err
    assert not left, f"processes left behind: {left}"
    assert "Traceback" not in err, err


def test_a_second_ctrl_c_during_shutdown_does_not_hang_it(tmp_path):
    """Ignored while the workers are stopped; if it lands after the shutdown, it ends the script (status -2)."""
    returncode, err, left = interrupt(tmp_path, [signal.SIGINT, signal.SIGINT])
    assert returncode in (130, -signal.SIGINT), err
    assert not left, f"processes left behind: {left}"


def test_an_interrupted_dask_run_closes_its_cluster_quietly(tmp_path):
    pytest.importorskip("distributed")
    returncode, err, left = interrupt(tmp_path, [signal.SIGINT], executor="dask")
    assert returncode == 130, err
    assert not left, f"processes left behind: {left}"
    assert "Traceback" not in err, err


def test_a_run_imports_no_scipy_stats_until_it_needs_it():
    """What `svsim run` imports to start (the CLI, the run, the executors, the engine) leaves scipy.stats out."""
    code = ("import sys, svsim.cli, svsim.outputs.run, svsim.experiment.executors, svsim.experiment.attribution, "
            "svsim.model; print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC)})
    assert out.stdout.strip() == "[]"
