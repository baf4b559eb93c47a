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
@click.option("--replications", "-n", default=1, show_default=True, type=click.IntRange(min=1),
              help="Independent replications; with more than one, tables show medians and 10-90% ranges.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Root seed; replication i draws from streams derived from (seed, i).")
@click.option("--out", "out", default=Path("results"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folder in which the new run folder <scenario>-<timestamp>/ is created.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a parameter, e.g. --set costs.mainstream.threshold_gbp=7000 (repeatable).")
def run(scenario_file: Path, replications: int, seed: int, out: Path, overrides: Sequence[str]) -> None:
    """Simulate SCENARIO, print the Safety Valve table and write a new run folder (CSV, charts, manifest)."""
    from .finance.costs import price_base_year
    from .scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(scenario_file, overrides)
        price_base_year(scenario)  # the one money input the schema cannot check at load
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)

    from .outputs.run import execute_run

    def progress(result, done: int, total: int) -> None:  # noqa: ANN001 - ReplicationResult
        click.echo(f"  replication {done}/{total} done ({result.runtime_s:.1f} s)", err=True)

    click.echo(f"Running {scenario.name}: {replications} replication{'s' if replications != 1 else ''}, "
               f"seed {seed}", err=True)
    try:
        outcome = execute_run(scenario, replications=replications, seed=seed, out=out, command=sys.argv,
                              overrides=overrides, progress=progress)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo(f"svsim: interrupted; partial results discarded (status kept in a .failed folder under {out})",
                   err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # recorded with its traceback in <run>.failed/manifest.json
        click.echo(f"svsim run failed: {type(exc).__name__}: {exc}\n"
                   f"  (the traceback is in the .failed folder's manifest.json under {out})", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(sv_table_text(outcome.deficit, scenario.title or scenario.name, replications))
    click.echo(f"\nRun folder: {outcome.folder}")


def sv_table_text(deficit, title: str, replications: int) -> str:  # noqa: ANN001 - a pandas DataFrame
    """The Safety Valve table as the council's quarterly return shows it: year, profile, forecast, variance, RAG."""
    several = replications > 1
    head = f"{'Year':<9}{'Profile':>9}{'Forecast':>10}{'Variance':>10}  {'RAG':<6}"
    if several:
        head += f"{'P(within)':>10}{'p10-p90':>16}"
    lines = [
        title,
        "Accumulated DSG deficit at 31 March, £m, before DfE contributions"
        + (f" (median of {replications} replications)" if several else ""),
        head,
    ]

    def num(v: float, fmt: str) -> str:
        return "-" if v != v else format(v, fmt)  # NaN: no profile that year

    for row in deficit.itertuples():
        line = (f"{row.financial_year:<9}{num(row.sv_profile_gbp_m, '9.1f')}"
                f"{num(row.accumulated_deficit_gbp_m, '10.1f')}{num(row.variance_gbp_m, '+10.1f')}"
                f"  {row.rag or '-':<6}")
        if several:
            band = f"{row.accumulated_deficit_gbp_m_p10:.1f}-{row.accumulated_deficit_gbp_m_p90:.1f}"
            line += f"{num(row.p_within_profile, '10.0%')}{band:>16}"
        lines.append(line)
    return "\n".join(lines)


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
