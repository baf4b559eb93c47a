"""The `svsim` command group and the helpers every command family shares (loading, checks, failures,
progress).

Heavy libraries (pandas, matplotlib, the engine) are imported inside commands so that `svsim --help` and
`svsim validate` start quickly.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import click

from .. import __version__
from ..signals import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OUTPUT, describe, exit_status, stop_on_signals

EXIT_INTERRUPTED = 130
"""Ctrl-C; SIGTERM gives 143 and SIGHUP 129 (128 + the signal), see svsim/signals.py and the README."""


class _Svsim(click.Group):
    """The command group: each command runs with the stopping signals handled (exit 130/143/129, no traceback)."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - whatever the command returns
        with stop_on_signals():
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt as exc:  # anywhere outside a command's own handling (loading, imports)
                click.echo(f"\nsvsim: {describe(exc)}; nothing was written", err=True)
                sys.exit(exit_status(exc))


@click.group(cls=_Svsim, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="svsim")
def main() -> None:
    """svsim: test SEND policy against your Safety Valve profile before you spend money on it."""


def _fail(command: str, exc: BaseException) -> NoReturn:
    """One line on how the command ended, pointing to the failure record only if it exists; the documented status."""
    from ..outputs.run_folder import OUTPUT_ERRNOS, OutputError

    if isinstance(exc, SystemExit | click.exceptions.Exit):
        raise exc
    record = getattr(exc, "svsim_record", None)
    what = "interruption" if isinstance(exc, KeyboardInterrupt) else "failure"
    kept = f"the {what} is recorded in {record}" if record else "nothing was kept"
    if isinstance(exc, KeyboardInterrupt):
        click.echo(f"\nsvsim: {describe(exc)}; partial results discarded ({kept})", err=True)
        sys.exit(exit_status(exc))
    if isinstance(exc, OutputError | MemoryError) or (isinstance(exc, OSError) and exc.errno in OUTPUT_ERRNOS):
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
        click.echo(f"svsim {command}: could not write the results: {reason}{where}; {kept}", err=True)
        sys.exit(EXIT_OUTPUT)
    if not isinstance(exc, Exception):
        raise exc
    trace = f"\n  (the traceback is in {record}/manifest.json)" if record else ""
    click.echo(f"svsim {command} failed: {type(exc).__name__}: {exc}{trace}", err=True)
    sys.exit(EXIT_FAILED)


def _check_size(scenarios: list, replications: int, workers: int | None, executor: str,  # noqa: ANN001
                allow_large: bool, quiet: bool) -> None:
    """Estimate time and memory before running; refuse (exit 2) what is beyond this machine unless allowed."""
    from ..experiment.executors import default_workers
    from ..experiment.limits import estimate, refusal

    cores = default_workers()
    if workers is not None and workers > cores and executor == "local":
        click.echo(f"warning: {workers} workers on {cores} core{'s' if cores != 1 else ''}: the extra processes only "
                   "share the cores (and add memory); results are the same with fewer", err=True)
    n = workers or cores
    costs = [estimate(s, replications, n) for s in scenarios]
    worst = max(costs, key=lambda e: e.seconds)
    total_seconds = sum(e.seconds for e in costs)
    why = refusal(worst) or (refusal(replace(worst, seconds=total_seconds)) if len(costs) > 1 else None)
    if why and not allow_large:
        click.echo(f"svsim: {why}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not quiet and (total_seconds > 60 or why):
        click.echo(f"Estimate: {replace(worst, seconds=total_seconds).describe()}", err=True)


def _warn(scenario) -> None:  # noqa: ANN001 - Scenario, imported lazily
    """Warnings the scenario was accepted with (also recorded in the run's manifest)."""
    for w in scenario.warnings:
        click.echo(f"warning: {w}", err=True)


def _check_out(out: Path) -> None:
    """Refuse an unusable --out (a file, read-only, impossible to create) before anything runs: exit 2."""
    from ..outputs.run_folder import OutputError, check_parent

    try:
        check_parent(out)
    except OutputError as exc:
        click.echo(f"svsim: {exc.strerror}", err=True)
        sys.exit(EXIT_BAD_INPUT)


def _check_executor(executor: str, scheduler: str | None) -> None:
    """--scheduler only with dask, and dask only when installed: said before anything runs."""
    if scheduler is not None and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    if executor == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            click.echo("svsim: the dask executor needs dask.distributed: pip install 'svsim[dask]'", err=True)
            sys.exit(EXIT_BAD_INPUT)


def _is_tty(stream) -> bool:  # noqa: ANN001 - a text stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressLine:
    """A one-line progress bar with ETA on stderr, drawn only when enabled and once the run has taken `after_s`
    seconds (short runs stay quiet)."""

    def __init__(self, enabled: bool, after_s: float = 2.0, width: int = 30, noun: str = "replications",
                 tty: bool = True) -> None:
        import time

        self.noun = noun
        self.tty = tty
        self._step = -1
        self.enabled = enabled
        self.after_s = after_s
        self.width = width
        self._clock = time.monotonic
        self._began = self._clock()
        self._shown = False

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        elapsed = self._clock() - self._began
        if not self.tty:  # a log, not a terminal: one line at each tenth, with the ETA
            step = done * 10 // max(total, 1)
            if step != self._step or done == total:
                self._step = step
                eta = elapsed / done * (total - done) if done else 0.0
                sys.stderr.write(f"  {done}/{total} {self.noun}, {_duration(elapsed)} elapsed, ETA {_duration(eta)}\n")
                sys.stderr.flush()
            return
        if elapsed < self.after_s and done < total and not self._shown:
            return
        filled = int(self.width * done / max(total, 1))
        eta = elapsed / done * (total - done) if done else 0.0
        line = (f"  [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {self.noun}, "
                f"{_duration(elapsed)} elapsed, ETA {_duration(eta)}")
        sys.stderr.write("\r" + line.ljust(78))
        sys.stderr.flush()
        self._shown = True

    def restart(self) -> None:
        """Start timing a new stage (its ETA must not count the previous one)."""
        self._began = self._clock()
        self._step = -1

    def finish(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._shown = False


def _load_or_exit(scenario_file: Path, overrides: Sequence[str]):  # noqa: ANN202 - a Scenario
    from ..scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(scenario_file, overrides)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    _warn(scenario)
    return scenario


def _financial_year(text: str | None, param: str) -> int | None:
    from ..domain import parse_financial_year

    if text is None:
        return None
    try:
        return parse_financial_year(text)
    except ValueError:
        raise click.BadParameter(f"expected a financial year like 2027-28, got {text!r}", param_hint=param) from None


def _check_year(scenario, year: int | None) -> None:  # noqa: ANN001 - a Scenario
    from ..domain import financial_year_label
    from ..finance.deficit import financial_years

    years = financial_years(scenario)
    if year is not None and year not in years:
        click.echo(f"svsim: --target-year {financial_year_label(year)} is not a year the scenario reports "
                   f"({financial_year_label(years[0])} to {financial_year_label(years[-1])})", err=True)
        sys.exit(EXIT_BAD_INPUT)


def _toolkit_failed(what: str, exc: BaseException, out: Path) -> None:
    if isinstance(exc, KeyboardInterrupt):
        click.echo(f"svsim: interrupted; partial results discarded (status kept in a .failed folder under {out})",
                   err=True)
        sys.exit(EXIT_INTERRUPTED)
    click.echo(f"svsim {what} failed: {type(exc).__name__}: {exc}", err=True)
    sys.exit(EXIT_FAILED)


_EXECUTION = [
    click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
                 help="Root seed: every point runs replications 0..n-1 of it (common random numbers)."),
    click.option("--workers", "-w", default=None, type=click.IntRange(min=1),
                 help="Processes to run in [default: every core]. Results do not depend on it."),
    click.option("--executor", default="local", show_default=True, type=click.Choice(["local", "dask"]),
                 help="local: a process pool on this machine; dask: dask.distributed."),
    click.option("--scheduler", default=None, metavar="ADDRESS", help="dask scheduler to use (with --executor dask)."),
    click.option("--out", "out", default=Path("results"), show_default=True,
                 type=click.Path(path_type=Path, file_okay=False), help="Folder in which the new folder is created."),
    click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                 help="Override a parameter first (every --set form; repeatable)."),
    click.option("--quiet", "-q", is_flag=True, help="No progress messages."),
]


def _execution_options(fn):  # noqa: ANN001, ANN202 - a click command function
    for option in reversed(_EXECUTION):
        fn = option(fn)
    return fn
