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
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

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


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Install the handlers for the duration of a command (main thread only), then restore the previous ones."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) == 1:
            raise Stopped(signum)
        if len(received) == 2:
            os.write(2, b"\nsvsim: stopping, cleaning up (once more to stop at once, leaving temporary files)\n")
            return
        os._exit(128 + received[0])

    previous = {}
    for s in HANDLED:
        with contextlib.suppress(OSError, ValueError):  # a platform without it
            previous[s] = signal.signal(s, handler)
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "EXIT_OUTPUT", "Stopped", "describe", "exit_status",
           "stop_on_signals"]
