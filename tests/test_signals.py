"""Stopping svsim for real: Ctrl-C (once, twice), SIGTERM and SIGHUP sent to a running `svsim run` / `compare`.

Each case starts svsim in its own session, waits until its workers are really running (the first replication's
result has reached the run's scratch file: a readiness marker, not a sleep, so a loaded machine only makes the wait
longer), sends the signal (to the whole process group for the terminal's Ctrl-C and hang-up, to svsim alone for
SIGTERM, as `kill` does) and checks what the README promises: the documented exit status within a bounded time, no
process of the run left, nothing that looks like a complete run, a `.failed` record saying what stopped it, the
earlier run untouched and no traceback. The tiny test scenario keeps each replication ~0.1 s. (Zombies are not
counted: in a container without an init process nobody reaps them; they hold no memory and run nothing.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import BASE_SCENARIO, SMALL_KENT

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "fixtures" / "scenarios" / "minimal.yaml"
DEADLINE_S = 60.0
"""From the signal to the exit: generous for a loaded 2-core machine (a clean stop takes about a second idle)."""
READY_TIMEOUT_S = 180.0
"""How long svsim may take to start its workers and finish a first replication (seconds idle; load makes it long)."""
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _svsim(args: list[str], out: Path, small_kent: bool = False) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    sets = [a for s in SMALL_KENT for a in ("--set", s)] if small_kent else []
    code = "import sys; from svsim.cli import main; sys.argv[0] = 'svsim'; main()"
    return subprocess.Popen([sys.executable, "-c", code, *args, *sets, "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for(proc: subprocess.Popen, ready: Callable[[], bool], what: str, poll_s: float) -> None:
    """Poll `ready()` until it holds (svsim still running), for at most READY_TIMEOUT_S; else kill svsim and fail."""
    began = time.monotonic()
    while time.monotonic() - began < READY_TIMEOUT_S:
        if ready():
            return
        if proc.poll() is not None:
            pytest.fail(f"svsim ended before it was stopped (status {proc.returncode}): {proc.communicate()}")
        time.sleep(poll_s)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail(f"{what} within {READY_TIMEOUT_S:.0f} s: {proc.communicate()}")


def _wait_until_running(proc: subprocess.Popen, out: Path) -> None:
    """Until a replication's result is in the run's scratch file (outputs/run_folder.py): the workers are running."""
    _wait_for(proc, lambda: any(p.stat().st_size > 0 for p in out.glob(".*.tmp-*/.scratch/replications.pickle")),
              "no replication finished", 0.05)


def _alive(session: int) -> list[str]:
    ps = subprocess.run(["ps", "-o", "pid=,stat=,args=", "-s", str(session)], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if line.split()[1:2] and not line.split()[1].startswith("Z")]


def _stop(proc: subprocess.Popen, sig: int, times: int, group: bool) -> tuple[int, str, float]:
    began = time.monotonic()
    for k in range(times):
        if k:
            time.sleep(0.3)  # the second Ctrl-C lands while svsim cleans up (if it is merged with the first, as
            # Python does when both arrive before its handler runs, the stop is the same)
        with __import__("contextlib").suppress(ProcessLookupError):  # already gone after the first
            (os.killpg if group else os.kill)(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        left = _alive(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"svsim did not end within {DEADLINE_S:.0f} s of the signal (status {proc.returncode}); "
                    f"left: {left}")
    return proc.returncode, err, time.monotonic() - began


def _check_folder(out: Path, earlier: Path, stopped_by: str) -> None:
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".")], f"a hidden temporary folder was left: {names}"
    complete = [n for n in names if n != earlier.name and not n.endswith(".failed")]
    assert not complete, f"a folder looks complete: {complete}"
    failed = [out / n for n in names if n.endswith(".failed")]
    assert len(failed) == 1, names
    assert [p.name for p in failed[0].iterdir()] == ["manifest.json"]
    manifest = json.loads((failed[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "interrupted" and stopped_by in manifest["stopped_by"]
    assert (earlier / "deficit.csv").read_text(encoding="utf-8") == "an earlier run\n"


def _other_scenario(folder: Path) -> Path:
    """The test scenario with 10% more requests, to compare with it."""
    text = MINIMAL.read_text(encoding="utf-8").replace("name: minimal", "name: minimal-more", 1)
    text = text.replace("{2022-01-20: 100.0, 2023-04-01: 110.0, 2024-04-01: 120.0}",
                        "{2022-01-20: 110.0, 2023-04-01: 121.0, 2024-04-01: 132.0}", 1)
    path = folder / "minimal-more.yaml"
    path.write_text(text, encoding="utf-8")
    return path


CASES = [
    # command, executor, signal, how many, to the group (terminal) or to svsim only (kill), status, recorded as
    ("run", "local", signal.SIGINT, 2, True, 130, "Ctrl-C"),
    ("run", "local", signal.SIGTERM, 1, False, 143, "SIGTERM"),
    ("run", "local", signal.SIGTERM, 1, True, 143, "SIGTERM"),  # to every process, as timeout or systemd do
    ("run", "local", signal.SIGHUP, 1, True, 129, "SIGHUP"),
    ("run", "dask", signal.SIGINT, 2, True, 130, "Ctrl-C"),
    ("run", "dask", signal.SIGTERM, 1, False, 143, "SIGTERM"),
    ("compare", "local", signal.SIGINT, 2, True, 130, "Ctrl-C"),
    ("compare", "dask", signal.SIGHUP, 1, True, 129, "SIGHUP"),
]


@pytest.mark.parametrize(("command", "executor", "sig", "times", "group", "status", "stopped_by"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{signal.Signals(c[2]).name}x{c[3]}" for c in CASES])
def test_a_signal_ends_the_run_cleanly(tmp_path: Path, command: str, executor: str, sig: int, times: int,
                                       group: bool, status: int, stopped_by: str) -> None:
    if executor == "dask":
        pytest.importorskip("distributed")
    out = tmp_path / "results"
    earlier = out / "earlier-run"
    earlier.mkdir(parents=True)
    (earlier / "deficit.csv").write_text("an earlier run\n", encoding="utf-8")
    if command == "run":
        args = ["run", str(MINIMAL), "-n", "5000", "-w", "2", "--executor", executor]
    else:
        args = ["compare", str(MINIMAL), str(_other_scenario(tmp_path)), "-n", "2500", "-w", "2", "--executor",
                executor]
    proc = _svsim(args, out)
    _wait_until_running(proc, out)
    code, err, took = _stop(proc, sig, times, group)
    assert code == status, err
    assert "Traceback" not in err and "Aborted" not in err, err
    _check_no_process_left(proc.pid)
    _check_folder(out, earlier, stopped_by)
    assert took < DEADLINE_S


def _check_no_process_left(session: int) -> None:
    """Every process of the session ends (svsim's workers go with it; allow a loaded machine a few seconds)."""
    deadline = time.monotonic() + 10.0
    while _alive(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(session), f"processes left: {_alive(session)}"


def _wait_until_handling_signals(proc: subprocess.Popen) -> None:
    """Until svsim has installed its signal handlers (SIGTERM caught, /proc/PID/status): the readiness marker for
    "starting". A fixed sleep failed under load: the Ctrl-C then landed while Python itself was still importing,
    before svsim could handle it (a KeyboardInterrupt traceback, status 1)."""
    status = Path(f"/proc/{proc.pid}/status")
    if not status.exists():
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.skip("needs /proc to see when svsim handles signals")

    def handling() -> bool:
        caught = next((line.split()[1] for line in status.read_text().splitlines() if line.startswith("SigCgt:")),
                      "0")
        return bool(int(caught, 16) & (1 << (signal.SIGTERM - 1)))

    _wait_for(proc, handling, "svsim did not handle signals", 0.01)


def test_ctrl_c_while_starting_exits_130(tmp_path: Path) -> None:
    """The first seconds (imports, reading the scenario): 130 and one line, not click's 'Aborted!' and 1."""
    proc = _svsim(["run", str(BASE_SCENARIO), "-n", "2", "-w", "2"], tmp_path / "results", small_kent=True)
    _wait_until_handling_signals(proc)
    code, err, _ = _stop(proc, signal.SIGINT, 1, True)
    if code == 0:
        pytest.skip("the run finished before the signal")
    assert code == 130, err
    assert "Aborted" not in err and "Traceback" not in err, err
    _check_no_process_left(proc.pid)
    out = tmp_path / "results"
    assert not out.exists() or all(p.name.endswith(".failed") for p in out.iterdir())


SLOW_START = """
import os, signal, sys, time
from svsim.experiment.executors import map_tasks
from svsim.signals import stop_on_signals, exit_status

def task(payload, item):
    return item

if __name__ == "__main__":
    try:
        with stop_on_signals():
            print("starting", flush=True)
            map_tasks(task, None, range(4), workers=2, preload=["slow_start"])
        print("finished", flush=True)
    except KeyboardInterrupt as exc:
        sys.exit(exit_status(exc))
"""


def test_ctrl_c_while_the_workers_start_exits_130(tmp_path: Path) -> None:
    """The forkserver takes seconds to import what workers need (here 4 s, a module that sleeps): a Ctrl-C then
    used to be ignored (SIGINT was ignored while workers started and numpy's thread took the signal)."""
    marker = tmp_path / "importing"
    (tmp_path / "slow_start.py").write_text(f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\n"
                                            "time.sleep(4)\n", encoding="utf-8")
    (tmp_path / "script.py").write_text(SLOW_START, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(tmp_path)]))
    proc = subprocess.Popen([sys.executable, str(tmp_path / "script.py")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout.readline() == "starting\n"
    began = time.monotonic()
    while not marker.exists() and time.monotonic() - began < READY_TIMEOUT_S:  # the forkserver is importing
        time.sleep(0.05)
    code, err, took = _stop(proc, signal.SIGINT, 1, True)
    assert code == 130, (code, err)
    assert "Traceback" not in err, err
    _check_no_process_left(proc.pid)
