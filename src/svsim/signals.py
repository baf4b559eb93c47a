"""Stopping cleanly on Ctrl-C, SIGTERM and SIGHUP, with the exit status a shell expects (128 + the signal).

While a command runs, the first of these signals raises `Stopped` (a KeyboardInterrupt, so every `except
BaseException` clean-up path runs: the pool is shut down, the run folder records the interruption). Further
signals while stopping are noted but do not interrupt the clean-up (an interrupted clean-up is what leaves hung
pools and orphan processes); a third one ends the process at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
"""The run failed (an error in the simulation); its traceback is in the run's .failed/manifest.json."""
EXIT_BAD_INPUT = 2
"""Bad input, refused before anything ran: a scenario problem, a bad option, an unusable --out, a run too large."""
EXIT_OUTPUT = 74
"""The results could not be written (disk full, read-only, permission): nothing complete-looking is left."""

HANDLED = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None),
                            getattr(signal, "SIGHUP", None)) if s is not None)


class Stopped(KeyboardInterrupt):
    """Raised in the main thread by a stopping signal; `status` is the exit status (130, 143, 129)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        self.signum = int(signum)
        self.status = 128 + self.signum
        super().__init__(self.signal_name)

    @property
    def signal_name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


def exit_status(exc: BaseException) -> int:
    """130 for a plain KeyboardInterrupt, 128 + the signal for `Stopped`."""
    return getattr(exc, "status", 128 + signal.SIGINT)


def describe(exc: BaseException) -> str:
    """'interrupted (Ctrl-C)' / 'terminated (SIGTERM)' / 'hung up (SIGHUP)' for messages and manifests."""
    signum = getattr(exc, "signum", signal.SIGINT)
    if signum == signal.SIGINT:
        return "interrupted (Ctrl-C, SIGINT)"
    if signum == getattr(signal, "SIGHUP", -1):
        return "stopped: the terminal hung up (SIGHUP)"
    return f"stopped by {getattr(exc, 'signal_name', 'a signal')}"


class _State:
    """What the handler has seen while a command runs, and whether raising must wait (a pool is starting)."""

    received: list[int] = []
    holding = 0
    held: list[int] = []


def _handler(signum: int, frame: FrameType | None) -> None:
    if _State.holding:  # raising now could leave a half-started worker process that nobody stops
        _State.held.append(signum)
        return
    _State.received.append(signum)
    if len(_State.received) == 1:
        _quiet_shutdown()
        raise Stopped(signum)
    if len(_State.received) == 2:
        os.write(2, b"\nsvsim: stopping, cleaning up (once more to stop at once, leaving temporary files)\n")
        return
    os._exit(128 + _State.received[0])


def _quiet_pool_thread(hook: Callable[[Any], None]) -> Callable[[Any], None]:
    """A thread exception hook that drops Python 3.11's complaint when a stopped pool's workers die: its manager
    thread then fails futures that were already cancelled (InvalidStateError), which is harmless."""
    from concurrent.futures import InvalidStateError

    def quiet(args: Any) -> None:
        if not (args.exc_type is not None and issubclass(args.exc_type, InvalidStateError)):
            hook(args)

    return quiet


def _quiet_shutdown() -> None:
    """Once stopping, the libraries' complaints about connections closed under them are noise, not news."""
    import logging

    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Install the handlers for the duration of a command (main thread only), then restore the previous ones."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _State.received, _State.held, _State.holding = [], [], 0
    hook = threading.excepthook
    threading.excepthook = _quiet_pool_thread(hook)
    previous = {}
    for s in HANDLED:
        with contextlib.suppress(OSError, ValueError):  # a platform without it
            previous[s] = signal.signal(s, _handler)
    try:
        yield
    finally:
        stopping = bool(_State.received)
        for s, old in previous.items():  # once stopping, a late Ctrl-C must not turn the exit into a traceback
            signal.signal(s, signal.SIG_IGN if stopping else old)
        if not stopping:
            threading.excepthook = hook


@contextmanager
def children_ignore_terminal_signals(ignore_ctrl_c: bool = False) -> Iterator[None]:
    """Start worker processes inside this: they never receive SIGINT or SIGHUP, and svsim's reaction waits.

    A Ctrl-C or a closed terminal reaches the whole process group. Processes and threads started inside (a process
    pool's forkserver, resource tracker and workers; a dask LocalCluster's loop, nannies and workers) inherit these
    signals blocked, so the signal stops only svsim, which then shuts its workers down, quietly and completely (a
    worker or tracker killed by the signal instead prints tracebacks and leaks). A stopping signal that arrives
    meanwhile is held, not lost, and acted on when the block ends: raising in the middle of starting a process would
    leave one that no pool knows of.

    `ignore_ctrl_c`: for children that unblock SIGINT when they start (dask's nannies and workers, spawned; the
    forkserver hands its workers the SIGINT action it started with), SIGINT is also ignored, which they inherit.
    A Ctrl-C meanwhile is still held, not lost: Linux keeps a blocked signal pending even when it is ignored, as long
    as every thread blocks it. multiprocessing's resource tracker is the exception: starting, it unblocks SIGINT in
    this thread, and a Ctrl-C then ignored would be lost (a Ctrl-C during a pool's start was ignored until this was
    seen). So it is started first, while SIGINT still has svsim's handler, and the signals are blocked again.
    """
    import threading

    terminal = {s for s in (signal.SIGINT, getattr(signal, "SIGHUP", None)) if s is not None}
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, terminal)
    _State.holding += 1
    handler = None
    try:
        if ignore_ctrl_c:
            _start_resource_tracker()
            signal.pthread_sigmask(signal.SIG_BLOCK, terminal)
            handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        yield
    finally:
        if handler is not None:
            signal.signal(signal.SIGINT, handler)  # before unblocking: a pending Ctrl-C reaches svsim's handler
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        _State.holding -= 1
        if not _State.holding and _State.held:
            held, _State.held = _State.held, []
            for signum in held:
                _handler(signum, None)


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now if it is not running (it blocks and then unblocks SIGINT and
    SIGTERM in this thread around its start; its own process ignores both)."""
    with contextlib.suppress(Exception):  # a platform without it: nothing to start
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()


__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "EXIT_OUTPUT", "Stopped", "children_ignore_terminal_signals",
           "describe", "exit_status", "stop_on_signals"]
