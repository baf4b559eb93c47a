"""The policy lead's experiments: svsim sensitivity, solve and sweep."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from .common import (
    EXIT_BAD_INPUT,
    ProgressLine,
    _check_executor,
    _check_year,
    _execution_options,
    _financial_year,
    _is_tty,
    _load_or_exit,
    _toolkit_failed,
    main,
)


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

    from ..scenario import ScenarioError

    _check_executor(executor, scheduler)
    year = _financial_year(target_year, "--target-year")
    scenario = _load_or_exit(scenario_file, overrides)
    _check_year(scenario, year)
    from ..experiment.sensitivity import DEFAULT_REPLICATIONS, design_points, run_sensitivity, simulations_needed
    from ..experiment.variants import factors_from_uncertainty, read_parameters_file
    from ..outputs.sensitivity import indices_text, write_sensitivity

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
        sims = simulations_needed(scenario, factors, points, reps)
        shared = (f" ({sims} simulations: points differing only in money parameters share one)"
                  if sims < len(points) * reps else "")
        click.echo(f"Sensitivity of {scenario.name} ({method}): {len(factors)} parameters, {len(points)} points x "
                   f"{reps} replication{'s' if reps != 1 else ''} = {len(points) * reps} runs{shared}, seed {seed}",
                   err=True)
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
    from ..experiment.variants import parse_lever

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
    from ..experiment.solve import solve as find
    from ..experiment.variants import with_lever_value
    from ..outputs.sensitivity import solve_text, write_solve

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

    from ..experiment.sweep import levers_for, parse_vary

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
    from ..experiment.sweep import run_sweep
    from ..finance.deficit import financial_years
    from ..outputs.sensitivity import sweep_text, write_sweep

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
