"""The `svsim` command: the only module that talks to the terminal.

Heavy libraries (pandas, matplotlib, the engine) are imported inside commands so that `svsim --help` and
`svsim validate` start quickly.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from . import __version__

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
def run(scenario_file: Path, replications: int, seed: int, out: Path, overrides: Sequence[str],
        workers: int | None, executor: str, scheduler: str | None, quantiles_text: str, precision: float | None,
        max_replications: int, quiet: bool) -> None:
    """Simulate SCENARIO, print the Safety Valve table and write a new run folder (CSV, charts, manifest)."""
    from .outputs.tables import parse_quantiles
    from .scenario import ScenarioError, load_scenario

    try:
        quantiles = parse_quantiles(quantiles_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quantiles") from None
    _check_executor(executor, scheduler)
    try:
        scenario = load_scenario(scenario_file, overrides)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)

    from .experiment.executors import default_workers
    from .outputs.run import DEFAULT_REPLICATIONS, execute_run

    chosen = replications is not None
    replications = replications if chosen else (1 if precision else DEFAULT_REPLICATIONS)

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
    except KeyboardInterrupt:
        bar.finish()
        click.echo(f"svsim: interrupted; partial results discarded (status kept in a .failed folder under {out})",
                   err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # recorded with its traceback in <run>.failed/manifest.json
        bar.finish()
        click.echo(f"svsim run failed: {type(exc).__name__}: {exc}\n"
                   f"  (the traceback is in the .failed folder's manifest.json under {out})", err=True)
        sys.exit(EXIT_FAILED)
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
    click.echo(f"\nRun folder: {outcome.folder}  (report.html and svsim.xlsx to read and forward)")


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
def compare(base_file: Path, other_files: Sequence[Path], replications: int, seed: int, workers: int | None,
            out: Path, attribution: bool, overrides: Sequence[str], executor: str, scheduler: str | None,
            quiet: bool) -> None:
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
    except KeyboardInterrupt:
        bar.finish()
        click.echo(f"svsim: interrupted; partial results discarded (status kept in a .failed folder under {out})",
                   err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # recorded with its traceback in <folder>.failed/manifest.json
        bar.finish()
        click.echo(f"svsim compare failed: {type(exc).__name__}: {exc}\n"
                   f"  (the traceback is in the .failed folder's manifest.json under {out})", err=True)
        sys.exit(EXIT_FAILED)
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
        return "-" if v != v else format(v, fmt)  # NaN: no profile that year

    closed = []
    for row in deficit.to_dict("records"):
        year = row["financial_year"]
        if row.get("basis") == "outturn":
            closed.append(year)
            year += "*"
        line = (f"{year:<9}{num(row['sv_profile_gbp_m'], '9.1f')}"
                f"{num(row['accumulated_deficit_gbp_m'], '10.1f')}{num(row['variance_gbp_m'], '+10.1f')}"
                f"  {(row['rag'] or '-') + ('?' if '/' in str(row.get('rag_could_be', '')) else ''):<6}")
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
