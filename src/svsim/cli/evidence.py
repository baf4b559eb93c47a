"""Evidence: svsim backtest, calibrate, init and councils (back-test, calibration, starting scenarios from DfE
statistics)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from .common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    _check_executor,
    main,
)


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
    from ..data.dfe import ObservedDataError
    from ..outputs.backtest import execute_backtest, summary_text
    from ..scenario import ScenarioError

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

    from ..data.dfe import ObservedDataError
    from ..experiment.calibrate import CalibrationError, write_overlay
    from ..experiment.calibrate import calibrate as fit
    from ..scenario import ScenarioError

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
    if outcome.at_bound:
        click.echo(f"At a bound of the fit (the data want more than it may give): {', '.join(outcome.at_bound)}")
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
    from ..data.dfe import ObservedDataError
    from ..experiment.backtest import dump_yaml
    from ..scenario import ScenarioError, load_scenario
    from ..scenario.init import build

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
    from ..data.dfe import ObservedDataError
    from ..data.dfe import councils as all_councils
    from ..outputs.councils import run_councils

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
