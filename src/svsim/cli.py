"""The `svsim` command: the only module that talks to the terminal.

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

from . import __version__
from .signals import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OUTPUT, describe, exit_status, stop_on_signals

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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a parameter, e.g. --set assessment.vacancy_rate=0.1 (repeatable).")
def validate(files: Sequence[Path], overrides: Sequence[str]) -> None:
    """Check scenario FILES and print a summary of each; exit 2 if any has a problem."""
    from .scenario import ScenarioError, load_scenario

    failed = False
    for path in files:
        try:
            scenario = load_scenario(path, overrides)
        except ScenarioError as exc:
            click.echo(str(exc), err=True)
            failed = True
            continue
        click.echo(_summary(scenario))
        _warn(scenario)
    if failed:
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--replications", "-n", default=None, type=click.IntRange(min=1),
              help="Independent replications [default: 40, a forecast with a stable median and P10-P90]; -n 1 is "
                   "one replication, not a forecast. With --precision, the first batch (at least 20).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Root seed; replication i draws from streams derived from (seed, i).")
@click.option("--out", "out", default=Path("results"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folder in which the new run folder <scenario>-<timestamp>/ is created.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a parameter, e.g. --set costs.mainstream.threshold_gbp=7000 (repeatable).")
@click.option("--workers", "-w", default=None, type=click.IntRange(min=1),
              help="Processes running replications in parallel [default: every core]. Results do not depend on it.")
@click.option("--executor", default="local", show_default=True, type=click.Choice(["local", "dask"]),
              help="local: a process pool on this machine; dask: dask.distributed (pip install 'svsim[dask]').")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="dask scheduler to use, e.g. tcp://host:8786 [default: a local cluster of --workers processes].")
@click.option("--quantiles", "quantiles_text", default="0.1,0.5,0.9", show_default=True, metavar="Q,Q,...",
              help="Quantiles of the accumulated deficit to report, e.g. 0.05,0.5,0.95 (p10 and p90 are always "
                   "in deficit.csv).")
@click.option("--precision", default=None, type=click.FloatRange(min=0, min_open=True), metavar="GBP_M",
              help="Add replications until each year's median accumulated deficit is known to within GBP_M "
                   "(95% confidence interval half-width).")
@click.option("--max-replications", default=2000, show_default=True, type=click.IntRange(min=1),
              help="The most replications --precision may use.")
@click.option("--quiet", "-q", is_flag=True, help="No progress or timing messages (the table is still printed).")
@click.option("--allow-large", is_flag=True,
              help="Run even when the estimate says it needs more memory than is available or more than a day.")
def run(scenario_file: Path, replications: int, seed: int, out: Path, overrides: Sequence[str],
        workers: int | None, executor: str, scheduler: str | None, quantiles_text: str, precision: float | None,
        max_replications: int, quiet: bool, allow_large: bool) -> None:
    """Simulate SCENARIO, print the Safety Valve table and write a new run folder (CSV, charts, manifest)."""
    from .outputs.tables import parse_quantiles
    from .scenario import ScenarioError

    try:
        quantiles = parse_quantiles(quantiles_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quantiles") from None
    _check_executor(executor, scheduler)
    from .outputs.run import DEFAULT_REPLICATIONS

    chosen = replications is not None
    replications = replications if chosen else (1 if precision else DEFAULT_REPLICATIONS)
    if precision is not None and max_replications < replications:
        raise click.UsageError(f"--max-replications {max_replications} is below -n {replications}: the first batch "
                               "alone would exceed it")
    scenario = _load_or_exit(scenario_file, overrides)
    _check_out(out)
    _check_size([scenario], max_replications if precision else replications, workers, executor, allow_large,
                quiet)

    from .experiment.executors import default_workers
    from .outputs.run import execute_run

    bar = ProgressLine(enabled=not quiet and _is_tty(sys.stderr))
    where = (f"dask scheduler {scheduler}" if scheduler else
             f"{workers or default_workers()} {'dask ' if executor == 'dask' else ''}worker"
             f"{'s' if (workers or default_workers()) != 1 else ''}")
    say = (lambda text: None) if quiet else (lambda text: click.echo(text, err=True))
    count = (f"batches of replications until the median is within ±{precision:g} £m (at most {max_replications})"
             if precision else f"{replications} replication{'s' if replications != 1 else ''}"
             + ("" if chosen else " (the default; -n to choose)")
             + (" - one replication, not a forecast" if replications == 1 else ""))
    say(f"Running {scenario.name}: {count}, seed {seed}, on {where}")

    def on_batch(p) -> None:  # noqa: ANN001 - PrecisionOutcome
        bar.finish()
        say(f"  {p.replications} replications: widest 95% interval half-width of the median "
            f"{p.worst:.2f} £m (target {p.target:g})")

    try:
        outcome = execute_run(scenario, replications=replications, seed=seed, out=out, command=sys.argv,
                              overrides=overrides, progress=bar.update, workers=workers, executor=executor,
                              scheduler=scheduler, quantiles=quantiles, precision=precision,
                              max_replications=max_replications, on_batch=on_batch,
                              default_replications=not chosen and precision is None)
    except ScenarioError as exc:
        bar.finish()
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except BaseException as exc:  # Ctrl-C, a signal, a full disk or an error: recorded in <run>.failed/
        bar.finish()
        _fail("run", exc)
    bar.finish()
    n = len(outcome.results)
    if outcome.simulate_s > 0:
        say(f"{n} replication{'s' if n != 1 else ''} in {_duration(outcome.simulate_s)} "
            f"({60 * n / outcome.simulate_s:.1f} per minute)")
    if outcome.precision is not None:
        p = outcome.precision
        if p.achieved:
            click.echo(f"Precision reached with {p.replications} replications: every year's median accumulated "
                       f"deficit is within ±{p.worst:.2f} £m (95% interval; target ±{p.target:g} £m)", err=True)
        else:
            click.echo(f"Precision NOT reached: stopped at {p.replications} replications (--max-replications); "
                       f"the widest 95% interval half-width is ±{p.worst:.2f} £m (target ±{p.target:g} £m)",
                       err=True)
    from .outputs.tables import reported

    shown = reported(outcome.deficit, float(scenario.value("rag.amber_tolerance")))
    click.echo(sv_table_text(shown, scenario.title or scenario.name, n, quantiles))
    for w in outcome.warnings:  # e.g. a capacity intervention that never binds (also in the manifest)
        click.echo(f"warning: {w}", err=True)
    click.echo(f"\nRun folder: {outcome.folder}  (report.html and svsim.xlsx to read and forward)")


def _fail(command: str, exc: BaseException) -> NoReturn:
    """One line on how the command ended, pointing to the failure record only if it exists; the documented status."""
    from .outputs.run_folder import OUTPUT_ERRNOS, OutputError

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
    from .experiment.executors import default_workers
    from .experiment.limits import estimate, refusal

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
    from .outputs.run_folder import OutputError, check_parent

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


@main.command()
@click.argument("base_file", metavar="BASE", type=click.Path(path_type=Path))
@click.argument("other_files", metavar="OTHER...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replications", "-n", default=20, show_default=True, type=click.IntRange(min=2),
              help="Paired replications: replication i of every scenario shares its random numbers "
                   "(fewer than 20 gives a warning: the intervals are too rough to act on).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Root seed; replication i of every scenario draws from streams derived from (seed, i).")
@click.option("--workers", "-w", default=None, type=click.IntRange(min=1),
              help="Processes to run replications in [default: every core].")
@click.option("--out", "out", default=Path("results"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folder in which the new folder compare-<base>-vs-<other>-<timestamp>/ is created.")
@click.option("--attribution/--no-attribution", default=True, show_default=True,
              help="Split the saving among the measures when the scenarios differ only by named interventions.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a parameter in EVERY scenario compared, e.g. to ask what a measure saves under higher "
                   "demand: --set demand.request_rate_per_10k_0_18=130 (repeatable).")
@click.option("--executor", default="local", show_default=True, type=click.Choice(["local", "dask"]),
              help="local: a process pool on this machine; dask: dask.distributed, for the comparison and the "
                   "attribution alike (pip install 'svsim[dask]').")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="dask scheduler to use, e.g. tcp://host:8786 [default: a local cluster of --workers processes].")
@click.option("--quiet", "-q", is_flag=True, help="No progress, estimates or timing messages (results still printed).")
@click.option("--allow-large", is_flag=True,
              help="Run even when the estimate says it needs more memory than is available or more than a day.")
def compare(base_file: Path, other_files: Sequence[Path], replications: int, seed: int, workers: int | None,
            out: Path, attribution: bool, overrides: Sequence[str], executor: str, scheduler: str | None,
            quiet: bool, allow_large: bool) -> None:
    """Compare each OTHER with BASE on common random numbers: what each saves (+ = lower deficit), with 95%
    intervals.

    When OTHER and BASE differ only by named interventions, the saving is split among the measures (Shapley
    values: each measure's average contribution over every order of bringing them in; more than 8 measures are
    grouped by Safety Valve condition). Writes a new results folder with report.html and svsim.xlsx.
    """
    from .scenario import ScenarioError, load_scenario

    _check_executor(executor, scheduler)
    scenarios = []
    failed = False
    for path in (base_file, *other_files):
        try:
            scenarios.append(load_scenario(path, overrides))
        except ScenarioError as exc:
            click.echo(str(exc), err=True)
            failed = True
    if failed:
        sys.exit(EXIT_BAD_INPUT)
    for scenario in scenarios:
        _warn(scenario)
    base = scenarios[0]
    for path, other in zip(other_files, scenarios[1:], strict=True):
        if (other.start, other.end) != (base.start, base.end):
            click.echo(f"{path}: horizon: {other.start} to {other.end} differs from {base_file}'s {base.start} to "
                       f"{base.end}: scenarios compared year by year need the same horizon", err=True)
            failed = True
    if failed:
        sys.exit(EXIT_BAD_INPUT)
    _check_out(out)
    _check_size(scenarios, replications, workers, executor, allow_large, quiet=quiet)

    from .experiment.compare import unique_labels
    from .outputs.compare import (
        MIN_REPLICATIONS,
        attribution_text,
        differences_text,
        execute_compare,
        name_of,
        pair_labels,
        plan_all,
        replications_warning,
    )

    say = (lambda text: None) if quiet else (lambda text: click.echo(text, err=True))
    base, others = scenarios[0], scenarios[1:]
    labels = unique_labels(scenarios)
    titles = {lb: (s.title or lb) for lb, s in zip(labels, scenarios, strict=True)}
    plans = plan_all(base, others, labels) if attribution else {}
    say(f"Comparing with {name_of(labels[0], titles)}:")
    for label in labels[1:]:
        say(f"  {name_of(label, titles)}")
    say(f"{replications} paired replications each (replication i of every scenario uses the same random numbers, "
        f"so differences are the policies', not chance's), seed {seed}")
    if replications < MIN_REPLICATIONS:
        click.echo(replications_warning(replications), err=True)
    for label, plan in plans.items():
        if isinstance(plan, str):
            say(f"  {label}: the saving will not be split among measures: {plan}")
        else:
            grouped = " (grouped by Safety Valve condition)" if plan.grouped else ""
            say(f"  {label}: the saving will be split among {plan.k} measures{grouped}: "
                f"{plan.simulations_per_replication} simulation(s) a replication (measures that change only "
                "money reuse them)")
    bar = ProgressLine(enabled=not quiet, noun="simulations", tty=_is_tty(sys.stderr))

    def before_attribution(label: str, plan, estimate_s: float) -> None:  # noqa: ANN001 - AttributionPlan
        bar.finish()
        if estimate_s >= 30:
            say(f"Splitting the saving of {label} among its measures: about {_duration(estimate_s)} "
                "(Ctrl-C stops it and keeps nothing)")
        bar.restart()

    try:
        outcome = execute_compare(base, others, replications=replications, seed=seed, workers=workers,
                                  executor=executor, scheduler=scheduler, out=out,
                                  command=sys.argv, attribution=attribution, progress=bar.update,
                                  attribution_progress=lambda label, done, total: bar.update(done, total),
                                  before_attribution=before_attribution)
    except ScenarioError as exc:
        bar.finish()
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except BaseException as exc:  # Ctrl-C, a signal, a full disk or an error: recorded in <folder>.failed/
        bar.finish()
        _fail("compare", exc)
    bar.finish()
    click.echo(differences_text(outcome.tables["differences"], labels[0], replications, titles))
    for label, result in outcome.attributions.items():
        click.echo("")
        click.echo(attribution_text(result, *pair_labels(result.plan, labels[0], label), titles))
    for label, reason in outcome.not_attributed.items():
        click.echo(f"\nThe saving of {label} is not split among measures: {reason}.")
    if replications < MIN_REPLICATIONS:
        click.echo("\n" + replications_warning(replications))
    click.echo(f"\nResults folder: {outcome.folder}  (report.html and svsim.xlsx to read and forward)")


@main.command()
@click.argument("folder", metavar="RUN_FOLDER", type=click.Path(path_type=Path, file_okay=False))
def report(folder: Path) -> None:
    """Rebuild report.html, svsim.xlsx and the charts of a finished run or comparison folder, from its files
    (nothing is simulated again)."""
    from .outputs.present import write_presentation

    if not (folder / "manifest.json").is_file():
        click.echo(f"svsim report: {folder} is not a svsim run or comparison folder (no manifest.json)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    import json

    try:
        status = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError) as exc:
        click.echo(f"svsim report: cannot read {folder / 'manifest.json'}: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if status != "ok":
        click.echo(f"svsim report: {folder} holds no finished results (status: {status}); nothing to rebuild",
                   err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        written = write_presentation(folder)
    except (OSError, ValueError, KeyError) as exc:
        click.echo(f"svsim report: cannot rebuild {folder}: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"Rebuilt in {folder}: {', '.join(written)}")


def _load_or_exit(scenario_file: Path, overrides: Sequence[str]):  # noqa: ANN202 - a Scenario
    from .scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(scenario_file, overrides)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    _warn(scenario)
    return scenario


def _financial_year(text: str | None, param: str) -> int | None:
    from .domain import parse_financial_year

    if text is None:
        return None
    try:
        return parse_financial_year(text)
    except ValueError:
        raise click.BadParameter(f"expected a financial year like 2027-28, got {text!r}", param_hint=param) from None


def _check_year(scenario, year: int | None) -> None:  # noqa: ANN001 - a Scenario
    from .domain import financial_year_label
    from .finance.deficit import financial_years

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


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--method", "-m", default="oat", show_default=True, type=click.Choice(["oat", "morris", "sobol"]),
              help="oat: each parameter low/high (tornado); morris: screening (mu*, sigma); sobol: S1/ST indices.")
@click.option("--parameters", "parameters_file", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="YAML file of ranges with sources [default: the scenario's uncertainty: section].")
@click.option("--target-year", default=None, metavar="FY", help="Financial year analysed, e.g. 2027-28 [default: the "
              "last].")
@click.option("--replications", "-n", default=None, type=click.IntRange(min=1),
              help="Replications per point [default: oat 10, morris 2, sobol 1].")
@click.option("--samples", "-N", default=None, type=click.IntRange(min=1),
              help="Morris trajectories [10] or Sobol base sample N, a power of 2 [64]: N(k+2) points.")
@click.option("--second-order", is_flag=True, help="Sobol: also second-order indices (N(2k+2) points).")
@_execution_options
def sensitivity(scenario_file: Path, method: str, parameters_file: Path | None, target_year: str | None,
                replications: int | None, samples: int | None, second_order: bool, seed: int, workers: int | None,
                executor: str, scheduler: str | None, out: Path, overrides: Sequence[str], quiet: bool) -> None:
    """Which inputs drive the accumulated deficit (and P(within profile)) in a target year.

    Writes indices.csv, points.csv, charts (tornado, Morris, Sobol bars) and a manifest in a new folder.
    """
    import time

    from .scenario import ScenarioError

    _check_executor(executor, scheduler)
    year = _financial_year(target_year, "--target-year")
    scenario = _load_or_exit(scenario_file, overrides)
    _check_year(scenario, year)
    from .experiment.sensitivity import DEFAULT_REPLICATIONS, design_points, run_sensitivity
    from .experiment.variants import factors_from_uncertainty, read_parameters_file
    from .outputs.sensitivity import indices_text, write_sensitivity

    try:
        factors = (read_parameters_file(parameters_file, scenario) if parameters_file
                   else factors_from_uncertainty(scenario))
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not factors:
        click.echo("svsim: no parameters to analyse: the scenario has no uncertainty: section; give --parameters FILE",
                   err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        points = design_points(method, factors, samples=samples, seed=seed, second_order=second_order)
    except ValueError as exc:
        click.echo(f"svsim: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    reps = replications or DEFAULT_REPLICATIONS[method]
    if not quiet:
        click.echo(f"Sensitivity of {scenario.name} ({method}): {len(factors)} parameters, {len(points)} points x "
                   f"{reps} replication{'s' if reps != 1 else ''} = {len(points) * reps} runs, seed {seed}", err=True)
    bar = ProgressLine(enabled=not quiet and _is_tty(sys.stderr), noun="runs")
    began = time.perf_counter()
    try:
        result = run_sensitivity(scenario, factors, method, target_year=year, replications=reps, samples=samples,
                                 seed=seed, second_order=second_order, workers=workers, executor=executor,
                                 scheduler=scheduler, progress=bar.update)
        folder = write_sensitivity(scenario, result, out, command=sys.argv, overrides=overrides,
                                   elapsed_s=time.perf_counter() - began)
    except (Exception, KeyboardInterrupt) as exc:
        bar.finish()
        _toolkit_failed("sensitivity", exc, out)
    bar.finish()
    click.echo(indices_text(result))
    click.echo(f"\nResults folder: {folder}")


def _range(text: str | None, param: str) -> tuple[float, float] | None:
    if text is None:
        return None
    low, sep, high = text.partition(":")
    try:
        return float(low), float(high)
    except ValueError:
        raise click.BadParameter(f"expected LOW:HIGH, e.g. 0.3:0.6, got {text!r}", param_hint=param) from None


def _lever_or_exit(scenario, path: str, scale: bool, bounds: tuple[float, float] | None):  # noqa: ANN001, ANN202
    from .experiment.variants import parse_lever

    try:
        return parse_lever(scenario, path, scale=scale, bounds=bounds)
    except ValueError as exc:
        click.echo(f"svsim: --lever {path}: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--lever", "lever_path", required=True, metavar="PATH",
              help="A parameter or group (decision.refusal_probability), * for one key "
                   "(placement.new_plan_mix.*.mainstream), or intervention:NAME (its size).")
@click.option("--scale", is_flag=True, help="Find a factor that multiplies the lever's values (else a value set).")
@click.option("--range", "range_text", default=None, metavar="LOW:HIGH",
              help="Values to search [default: the lever's valid range, e.g. 0:1 for a probability].")
@click.option("--target-year", required=True, metavar="FY", help="Financial year whose profile must be met, e.g. "
              "2027-28.")
@click.option("--probability", "-p", default=0.5, show_default=True, type=click.FloatRange(0, 1, min_open=True,
                                                                                            max_open=True),
              help="Meet the profile with this probability (0.5: the median meets it).")
@click.option("--replications", "-n", default=20, show_default=True, type=click.IntRange(min=2),
              help="Replications per value tried (the same for every value: common random numbers).")
@click.option("--tolerance", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Stop when the value is known to within this [default: 1/1000 of the range].")
@_execution_options
def solve(scenario_file: Path, lever_path: str, scale: bool, range_text: str | None, target_year: str,
          probability: float, replications: int, tolerance: float | None, seed: int, workers: int | None,
          executor: str, scheduler: str | None, out: Path, overrides: Sequence[str], quiet: bool) -> None:
    """Goal-seek: the value of one lever at which the accumulated deficit meets the profile in a target year.

    The lever acts from the first open financial year, after every intervention. Says plainly when no value in
    range meets the target, and what the best value achieves. Writes trials.csv, answer.txt, solve.png.
    """
    import time

    bounds = _range(range_text, "--range")
    _check_executor(executor, scheduler)
    year = _financial_year(target_year, "--target-year")
    scenario = _load_or_exit(scenario_file, overrides)
    _check_year(scenario, year)
    if not scenario.targets.sv_profile_gbp_m.get(year):
        click.echo(f"svsim: the scenario has no Safety Valve profile for {target_year}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    lever = _lever_or_exit(scenario, lever_path, scale, bounds)
    from .experiment.solve import solve as find
    from .experiment.variants import with_lever_value
    from .outputs.sensitivity import solve_text, write_solve

    for end in (lever.low, lever.high):
        try:
            with_lever_value(scenario, lever, end)
        except ValueError as exc:
            click.echo(f"svsim: --range: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
    say = (lambda text: None) if quiet else (lambda text: click.echo(text, err=True))
    say(f"Solving {scenario.name}: {lever.label} in {lever.low:g}..{lever.high:g} from {lever.since}, "
        f"{replications} replications a value, seed {seed}")

    def on_trial(trial, number: int) -> None:  # noqa: ANN001 - a Trial
        say(f"  value {number}: {lever.label} = {trial.value:.5g}: median £{trial.median_gbp_m:.1f}m, "
            f"P(within profile) {trial.p_within_profile:.0%}")

    began = time.perf_counter()
    try:
        result = find(scenario, lever, target_year=year, probability=probability, replications=replications,
                      seed=seed, tolerance=tolerance, workers=workers, executor=executor, scheduler=scheduler,
                      on_trial=on_trial)
        folder = write_solve(scenario, result, out, command=sys.argv, overrides=overrides,
                             elapsed_s=time.perf_counter() - began)
    except (Exception, KeyboardInterrupt) as exc:
        _toolkit_failed("solve", exc, out)
    click.echo(solve_text(result))
    click.echo(f"\nResults folder: {folder}")


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--vary", "varies", multiple=True, required=True, metavar="PATH=LOW:HIGH:STEP",
              help="A lever and its values (PATH*=LOW:HIGH:STEP to scale it); once or twice.")
@click.option("--target-year", default=None, metavar="FY", help="Year of the terminal table and of the two-lever "
              "heatmaps [default: the last].")
@click.option("--replications", "-n", default=20, show_default=True, type=click.IntRange(min=1),
              help="Replications per grid point (the same for every point: common random numbers).")
@_execution_options
def sweep(scenario_file: Path, varies: Sequence[str], target_year: str | None, replications: int, seed: int,
          workers: int | None, executor: str, scheduler: str | None, out: Path, overrides: Sequence[str],
          quiet: bool) -> None:
    """A grid of one or two levers: P(within profile) by year and the median deficit at every point.

    Levers act as in `svsim solve` (after interventions, from the first open year). Writes sweep.csv and heatmaps.
    """
    import time

    from .experiment.sweep import levers_for, parse_vary

    _check_executor(executor, scheduler)
    if len(varies) > 2:
        raise click.UsageError("--vary at most twice (a grid of one or two levers)")
    try:
        parsed = [parse_vary(v) for v in varies]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--vary") from None
    year = _financial_year(target_year, "--target-year")
    scenario = _load_or_exit(scenario_file, overrides)
    _check_year(scenario, year)
    try:
        levers_for(scenario, parsed)
    except ValueError as exc:
        click.echo(f"svsim: --vary: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    from .experiment.sweep import run_sweep
    from .finance.deficit import financial_years
    from .outputs.sensitivity import sweep_text, write_sweep

    year = year or financial_years(scenario)[-1]
    points = 1
    for v in parsed:
        points *= len(v.values)
    if not quiet:
        click.echo(f"Sweeping {scenario.name}: {points} points x {replications} replications = "
                   f"{points * replications} runs, seed {seed}", err=True)
    bar = ProgressLine(enabled=not quiet and _is_tty(sys.stderr), noun="runs")
    began = time.perf_counter()
    try:
        result = run_sweep(scenario, parsed, replications=replications, seed=seed, workers=workers,
                           executor=executor, scheduler=scheduler, progress=bar.update)
        folder, table = write_sweep(scenario, result, out, target_year=year, command=sys.argv, overrides=overrides,
                                    elapsed_s=time.perf_counter() - began)
    except (Exception, KeyboardInterrupt) as exc:
        bar.finish()
        _toolkit_failed("sweep", exc, out)
    bar.finish()
    click.echo(sweep_text(table, result, year))
    click.echo(f"\nResults folder: {folder}")


def sv_table_text(deficit, title: str, replications: int,  # noqa: ANN001 - a pandas DataFrame
                  quantiles: Sequence[float] = (0.1, 0.5, 0.9)) -> str:
    """The Safety Valve table as the council's quarterly return shows it: year, profile, forecast, variance, RAG;
    with several replications also P(within profile) and the range between the outer quantiles asked for."""
    from .outputs.tables import quantile_column

    several = replications > 1
    lo, hi = min(quantiles), max(quantiles)
    lo_col, hi_col = quantile_column(lo), quantile_column(hi)
    band_label = f"P{lo * 100:g}-P{hi * 100:g}"
    head = f"{'Year':<9}{'Profile':>9}{'Forecast' if several else 'One rep.':>10}{'Variance':>10}  {'RAG':<6}"
    if several:
        head += f"{'P(within)':>10}{band_label:>16}"
    head += f"{'In-year':>9}"
    lines = [
        title,
        "Accumulated DSG deficit at 31 March, £m, before DfE contributions: "
        + (f"median of {replications} replications; in-year HNB (+ = deficit) is the mean" if several
           else "ONE REPLICATION, NOT A FORECAST (run without -n for a forecast)"),
        head,
    ]

    def num(v: float, fmt: str) -> str:
        """`v` in `fmt`; a NaN (no profile that year) as '-' in the same width, so the columns stay aligned."""
        width = int("".join(c for c in fmt.split(".")[0] if c.isdigit()) or 0)
        return f"{'-':>{width}}" if v != v else format(v, fmt)

    closed = []
    for row in deficit.to_dict("records"):
        year = row["financial_year"]
        if row.get("basis") == "outturn":
            closed.append(year)
            year += "*"
        rag = row["rag"] if isinstance(row["rag"], str) and row["rag"] else "-"
        line = (f"{year:<9}{num(row['sv_profile_gbp_m'], '9.1f')}"
                f"{num(row['accumulated_deficit_gbp_m'], '10.1f')}{num(row['variance_gbp_m'], '+10.1f')}"
                f"  {rag + ('?' if '/' in str(row.get('rag_could_be', '')) else ''):<6}")
        if several:
            band = f"{row[lo_col]:.1f}-{row[hi_col]:.1f}" if lo < 0.5 < hi else "-"
            band = "outturn" if row.get("basis") == "outturn" else band
            line += f"{num(row['p_within_profile'], '10.0%')}{band:>16}"
        line += num(row["in_year_deficit_gbp_m"], "+9.1f")
        lines.append(line)
    borderline = [f"{r['financial_year']} ({r['rag_could_be']})" for r in deficit.to_dict("records")
                  if "/" in str(r.get("rag_could_be", ""))]
    if borderline:
        lines.append(f"? borderline: the median is too close to a RAG boundary to be sure of the colour: "
                     f"{', '.join(borderline)}; read P(within) for these years.")
    if closed:
        lines.append(f"* {', '.join(closed)}: closed year, the outturn (actual) from the scenario, not a forecast.")
    half = deficit.get("median_half_width_gbp_m", None)
    if several and half is not None and half.notna().any():
        lines.append(f"The median is known to within ±{half.max():.1f} £m (95% interval, widest year); "
                     "P(within) is the share of replications at or below the profile.")
    elif several:
        lines.append("Too few replications to say how precise the median is (at least 6 are needed).")
    return "\n".join(lines)


@main.command()
@click.argument("scenario_file", metavar="[SCENARIO]", required=False, type=click.Path(path_type=Path))
@click.option("--match", "-m", default="", metavar="TEXT", help="Only parameters whose path or meaning contains TEXT.")
@click.option("--csv", "csv_file", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="Write the catalogue to a CSV file (opens in Excel) instead of printing it.")
def params(scenario_file: Path | None, match: str, csv_file: Path | None) -> None:
    """List every parameter a scenario can set: meaning, allowed values, unit, default.

    With a SCENARIO, also its value there, the cited source and the interventions that change it.
    """
    import csv

    from .scenario import ScenarioError, load_scenario
    from .scenario.describe import COLUMNS, parameter_rows

    scenario = None
    if scenario_file is not None:
        try:
            scenario = load_scenario(scenario_file)
        except ScenarioError as exc:
            click.echo(str(exc), err=True)
            sys.exit(EXIT_BAD_INPUT)
    rows = parameter_rows(scenario, match)
    columns = [c for c in COLUMNS if scenario is not None or c not in ("value", "source", "changed_by")]
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        click.echo(f"{len(rows)} parameters written to {csv_file}")
        return
    for row in rows:
        click.echo(click.style(row["parameter"], bold=True))
        click.echo(f"    {row['meaning']}")
        detail = f"    allowed: {row['allowed']}"
        if row["unit"]:
            detail += f"; unit: {row['unit']}"
        detail += f"; default: {row['default']}" + ("" if row["can_change_over_time"] == "yes" else "; fixed at start")
        click.echo(detail)
        if scenario is not None:
            click.echo(f"    value: {row['value']}")
            if row["source"]:
                click.echo(f"    source: {' '.join(row['source'].split())}")
            if row["changed_by"]:
                click.echo(f"    changed by: {row['changed_by']}")
    if not rows:
        click.echo(f"no parameter matches '{match}'", err=True)


def _summary(scenario) -> str:  # noqa: ANN001 - Scenario, imported lazily
    from .domain import financial_year_label

    t = scenario.targets
    lines = [
        f"OK  {scenario.files[-1][0]}  ({scenario.name})",
        f"    {scenario.title}" if scenario.title else "",
        f"    council: {scenario.council}" if scenario.council else "",
        f"    horizon: {scenario.start} to {scenario.end}; simulation starts at the census of {scenario.census_date}",
        f"    extends: {' -> '.join(f for f, _ in scenario.files)}" if len(scenario.files) > 1 else "",
        f"    parameters: {len(scenario.params)} ({len(scenario.sources)} with a cited source)",
        f"    interventions: {len(scenario.interventions)}",
    ]
    for iv in scenario.interventions:
        cond = f"condition {iv.condition}" if iv.condition else "no condition"
        until = f" to {iv.end}" if iv.end else ""
        ramp = f", ramp {iv.ramp_months} months" if iv.ramp_months else ""
        lines.append(f"      - {iv.name} ({cond}): from {iv.start}{until}{ramp}; {len(iv.changes)} change(s)")
    if t.sv_profile_gbp_m:
        profile = ", ".join(f"{financial_year_label(fy)} {v:g}" for fy, v in sorted(t.sv_profile_gbp_m.items()))
        lines.append(f"    Safety Valve profile (£m): {profile}")
    for year, bands in sorted(t.ehcp_plan_by_age_band.items()):
        lines.append(f"    EHCP plan, January {year}: {sum(bands.values()):,.0f} across {len(bands)} age bands")
    if t.kpis:
        lines.append(f"    KPI targets: {', '.join(sorted(t.kpis))}")
    if scenario.uncertainty:
        lines.append(f"    uncertain parameters: {', '.join(u.path for u in scenario.uncertainty)}")
    return "\n".join(line for line in lines if line)


if __name__ == "__main__":  # pragma: no cover
    main()


# ---- evidence: back-test, calibration, starting scenarios from DfE statistics (svsim.outputs.backtest, ...) ----
@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--observed", "observed_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder of DfE EHCP statistics as published, e.g. data/dfe (files are found by name).")
@click.option("--from", "cutoff", default=2021, show_default=True, type=click.IntRange(2016, 2030),
              help="January census to start from; inputs are set from figures published for it and the year before.")
@click.option("--la", "la_name", default=None, help="The council's DfE name [default: from the scenario's council].")
@click.option("--replications", "-n", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--workers", "-w", default=None, type=click.IntRange(min=1), help="Processes [default: every core].")
@click.option("--out", default=Path("results"), show_default=True, type=click.Path(path_type=Path, file_okay=False))
def backtest(scenario_file: Path, observed_dir: Path, cutoff: int, la_name: str | None, replications: int,
             seed: int, workers: int | None, out: Path) -> None:
    """Start SCENARIO from an earlier census with inputs published before it and compare with what happened."""
    from .data.dfe import ObservedDataError
    from .outputs.backtest import execute_backtest, summary_text
    from .scenario import ScenarioError

    try:
        outcome = execute_backtest(scenario_file, observed_dir, cutoff=cutoff, replications=replications, seed=seed,
                                   out=out, workers=workers, la_name=la_name, command=sys.argv)
    except (ScenarioError, ObservedDataError) as exc:
        click.echo(f"svsim backtest: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("svsim: interrupted; partial results discarded", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # recorded in the .failed folder's manifest
        click.echo(f"svsim backtest failed: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(summary_text(outcome))
    if outcome.leaks:
        click.echo(f"{len(outcome.leaks)} inherited inputs cite data from {cutoff} or later "
                   f"(listed in backtest_leaks.csv): the back-test still knows that much of its future.")
    click.echo(f"\nResults folder: {outcome.folder}")


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--observed", "observed_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder of DfE EHCP statistics as published, e.g. data/dfe.")
@click.option("--fit", "patterns", multiple=True, required=True, metavar="PARAM",
              help="Parameter to fit (a path, a group, or a glob like transitions.phase_transfer.*.cease_probability); "
                   "one multiplier each. Repeatable.")
@click.option("--until", required=True, type=click.IntRange(2017, 2030),
              help="Fit to January censuses up to this year and calendar-year flows up to the year before.")
@click.option("--from", "start", default=None, type=click.IntRange(2016, 2030),
              help="January census the fitting runs start from [default: the year before --until].")
@click.option("--la", "la_name", default=None, help="The council's DfE name [default: from the scenario].")
@click.option("--replications", "-n", default=6, show_default=True, type=click.IntRange(min=1),
              help="Replications per evaluation (the same seeds every time: common random numbers).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--max-evaluations", default=60, show_default=True, type=click.IntRange(min=5))
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The overlay to write (it `extends:` SCENARIO); refused if it exists.")
def calibrate(scenario_file: Path, observed_dir: Path, patterns: Sequence[str], until: int, start: int | None,
              la_name: str | None, replications: int, seed: int, workers: int, max_evaluations: int,
              out_file: Path) -> None:
    """Fit PARAMs of SCENARIO to the published history up to --until and write them as an overlay."""
    import os
    import tempfile

    from .data.dfe import ObservedDataError
    from .experiment.calibrate import CalibrationError, write_overlay
    from .experiment.calibrate import calibrate as fit
    from .scenario import ScenarioError

    if out_file.exists():
        click.echo(f"svsim calibrate: {out_file} exists; choose another --out", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        with tempfile.TemporaryDirectory() as work:
            outcome = fit(scenario_file, observed_dir, patterns, until, Path(work), start=start,
                          replications=replications, seed=seed, workers=workers, la_name=la_name,
                          max_evaluations=max_evaluations)
    except (ScenarioError, ObservedDataError, CalibrationError) as exc:
        click.echo(f"svsim calibrate: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("svsim: interrupted; nothing written", err=True)
        sys.exit(EXIT_INTERRUPTED)
    outcome.overlay["extends"] = os.path.relpath(scenario_file.resolve(), out_file.resolve().parent)
    tmp = out_file.with_name(f".{out_file.name}.tmp")
    write_overlay(outcome, tmp)
    tmp.replace(out_file)
    click.echo(f"Fitted {len(outcome.multipliers)} multiplier(s) in {outcome.evaluations} evaluations of "
               f"{replications} replications; loss {outcome.loss_at_start:.4f} -> {outcome.loss:.4f}")
    for name, factor in outcome.multipliers.items():
        click.echo(f"  {name}: x{factor:.3f} ({len(outcome.paths[name])} parameter(s))")
    for row in outcome.fit:
        click.echo(f"  {row['measure']:28s} {row['group'][:22]:22s} {row['year']}  observed {row['observed']:9.3f}"
                   f"  before {row['before']:9.3f}  after {row['after']:9.3f}")
    if outcome.flat:
        click.echo(f"Not pinned down by these data (moving it by a quarter hardly changes the fit): "
                   f"{', '.join(outcome.flat)}")
    for a, b, r in outcome.correlated:
        click.echo(f"Correlated (only their combination is pinned down): {a} and {b}, r = {r:+.2f}")
    click.echo(f"Overlay written: {out_file}")


@main.command()
@click.option("--la", "la_name", required=True, help="The council's name as the DfE writes it, e.g. 'Leeds'.")
@click.option("--observed", "observed_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder of DfE EHCP statistics with the all-council tables, e.g. data/dfe.")
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The scenario file to write; refused if it exists.")
@click.option("--template", default=Path("scenarios/base.yaml"), show_default=True,
              type=click.Path(path_type=Path, dir_okay=False),
              help="Scenario whose modelling assumptions (and labelled money defaults) are kept.")
def init(la_name: str, observed_dir: Path, out_file: Path, template: Path) -> None:
    """Write a starting scenario for a council from the DfE statistics (assumptions to fill in are marked)."""
    from .data.dfe import ObservedDataError
    from .experiment.backtest import dump_yaml
    from .scenario import ScenarioError, load_scenario
    from .scenario.init import build

    if out_file.exists():
        click.echo(f"svsim init: {out_file} exists; choose another --out", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        tree = build(la_name, observed_dir, template)
    except (ScenarioError, ObservedDataError, ValueError, KeyError) as exc:
        click.echo(f"svsim init: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    text = (f"# Starting scenario for {la_name}, written by `svsim init` from {observed_dir} and {template}.\n"
            "# Search for 'assumption to fill in': those values are defaults, not the council's figures.\n")
    tmp = out_file.with_name(f".{out_file.name}.tmp")
    tmp.write_text(text + dump_yaml(tree), encoding="utf-8")
    try:
        scenario = load_scenario(tmp)
    except ScenarioError as exc:
        tmp.unlink()
        click.echo(f"svsim init: the scenario built for {la_name} does not validate:\n{exc}", err=True)
        sys.exit(EXIT_FAILED)
    tmp.replace(out_file)
    fills = dump_yaml(tree).count("assumption to fill in")
    click.echo(f"Wrote {out_file}: {scenario.name}, January {scenario.census_date.year} census, horizon to "
               f"{scenario.end}; {fills} values are assumptions to fill in.")


@main.command()
@click.option("--observed", "observed_dir", required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--la", "names", multiple=True, help="A council (repeatable).")
@click.option("--all", "every", is_flag=True, help="Every council in the observed tables.")
@click.option("--template", default=Path("scenarios/base.yaml"), show_default=True,
              type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replications", "-n", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--workers", "-w", default=None, type=click.IntRange(min=1))
@click.option("--executor", default="local", show_default=True, type=click.Choice(["local", "dask"]))
@click.option("--scheduler", default=None, metavar="ADDRESS", help="dask scheduler [default: a local cluster].")
@click.option("--out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the scenarios, a results folder per council and summary.csv.")
def councils(observed_dir: Path, names: Sequence[str], every: bool, template: Path, replications: int, seed: int,
             workers: int | None, executor: str, scheduler: str | None, out: Path) -> None:
    """Build and run a starting scenario for many councils (one task per council), with one summary table."""
    from .data.dfe import ObservedDataError
    from .data.dfe import councils as all_councils
    from .outputs.councils import run_councils

    try:
        chosen = all_councils(observed_dir) if every else list(names)
    except ObservedDataError as exc:
        click.echo(f"svsim councils: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not chosen:
        click.echo("svsim councils: name councils with --la NAME (repeatable) or use --all", err=True)
        sys.exit(EXIT_BAD_INPUT)
    _check_executor(executor, scheduler)
    summary = run_councils(chosen, observed_dir, template, out, replications=replications, seed=seed,
                           executor=executor, workers=workers, scheduler=scheduler)
    ok = summary[summary.status == "ok"]
    click.echo(f"{len(ok)} of {len(summary)} councils run; summary: {out / 'summary.csv'}")
    for row in summary[summary.status != "ok"].itertuples():
        click.echo(f"  {row.council}: {row.reason}", err=True)
