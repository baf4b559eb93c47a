"""svsim run and svsim report: one scenario's forecast, its Safety Valve table and its run folder."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from .common import (
    EXIT_BAD_INPUT,
    ProgressLine,
    _check_executor,
    _check_out,
    _check_size,
    _duration,
    _fail,
    _is_tty,
    _load_or_exit,
    main,
)


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
              help="The most replications --precision may use (an error without --precision).")
@click.option("--quiet", "-q", is_flag=True, help="No progress or timing messages (the table is still printed).")
@click.option("--allow-large", is_flag=True,
              help="Run even when the estimate says it needs more memory than is available or more than a day.")
def run(scenario_file: Path, replications: int, seed: int, out: Path, overrides: Sequence[str],
        workers: int | None, executor: str, scheduler: str | None, quantiles_text: str, precision: float | None,
        max_replications: int, quiet: bool, allow_large: bool) -> None:
    """Simulate SCENARIO, print the Safety Valve table and write a new run folder (CSV, charts, manifest)."""
    from ..outputs.tables import parse_quantiles
    from ..scenario import ScenarioError

    try:
        quantiles = parse_quantiles(quantiles_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quantiles") from None
    _check_executor(executor, scheduler)
    from ..outputs.run import DEFAULT_REPLICATIONS

    chosen = replications is not None
    replications = replications if chosen else (1 if precision else DEFAULT_REPLICATIONS)
    source = click.get_current_context().get_parameter_source("max_replications")
    if precision is None and source is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--max-replications only bounds --precision: give --precision GBP_M too, or use -n "
                               "for a fixed number of replications")
    if precision is not None and max_replications < replications:
        raise click.UsageError(f"--max-replications {max_replications} is below -n {replications}: the first batch "
                               "alone would exceed it")
    scenario = _load_or_exit(scenario_file, overrides)
    _check_out(out)
    _check_size([scenario], max_replications if precision else replications, workers, executor, allow_large,
                quiet)

    from ..experiment.executors import default_workers
    from ..outputs.run import execute_run

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

    def retried(line: str) -> None:  # a worker died: said even with --quiet (the run goes on)
        bar.finish()
        click.echo(f"svsim: {line}", err=True)

    try:
        outcome = execute_run(scenario, replications=replications, seed=seed, out=out, command=sys.argv,
                              overrides=overrides, progress=bar.update, workers=workers, executor=executor,
                              scheduler=scheduler, quantiles=quantiles, precision=precision,
                              max_replications=max_replications, on_batch=on_batch,
                              default_replications=not chosen and precision is None, notify=retried)
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
    from ..outputs.tables import reported

    shown = reported(outcome.deficit, float(scenario.value("rag.amber_tolerance")))
    click.echo(sv_table_text(shown, scenario.title or scenario.name, n, quantiles))
    for w in outcome.warnings:  # e.g. a capacity intervention that never binds (also in the manifest)
        click.echo(f"warning: {w}", err=True)
    click.echo(f"\nRun folder: {outcome.folder}  (report.html and svsim.xlsx to read and forward)")


@main.command()
@click.argument("folder", metavar="RUN_FOLDER", type=click.Path(path_type=Path, file_okay=False))
def report(folder: Path) -> None:
    """Rebuild report.html, svsim.xlsx and the charts of a finished run or comparison folder, from its files
    (nothing is simulated again)."""
    from ..outputs.present import write_presentation

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
    from ..outputs.tables import quantile_column

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
