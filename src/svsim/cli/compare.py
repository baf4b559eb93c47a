"""svsim compare: what each scenario saves against a base, on common random numbers."""

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
    _warn,
    main,
)


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
    from ..scenario import ScenarioError, load_scenario

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

    from ..experiment.compare import unique_labels
    from ..outputs.compare import (
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
    for w in outcome.warnings:  # an implausible replication (also in the manifest)
        click.echo(f"warning: {w}", err=True)
    click.echo(differences_text(outcome.tables["differences"], labels[0], replications, titles))
    for label, result in outcome.attributions.items():
        click.echo("")
        click.echo(attribution_text(result, *pair_labels(result.plan, labels[0], label), titles))
    for label, reason in outcome.not_attributed.items():
        click.echo(f"\nThe saving of {label} is not split among measures: {reason}.")
    if replications < MIN_REPLICATIONS:
        click.echo("\n" + replications_warning(replications))
    click.echo(f"\nResults folder: {outcome.folder}  (report.html and svsim.xlsx to read and forward)")
