"""Scenario tools: svsim validate and svsim params (check a scenario, list the parameters it can set)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from .common import (
    EXIT_BAD_INPUT,
    _warn,
    main,
)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a parameter, e.g. --set assessment.vacancy_rate=0.1 (repeatable).")
def validate(files: Sequence[Path], overrides: Sequence[str]) -> None:
    """Check scenario FILES and print a summary of each; exit 2 if any has a problem."""
    from ..scenario import ScenarioError, load_scenario

    failed = False
    for path in files:
        try:
            scenario = load_scenario(path, overrides)
        except ScenarioError as exc:
            click.echo(str(exc), err=True)
            failed = True
            continue
        too_big = _too_big(scenario)
        if too_big:  # what `run` would refuse for its size, said here too (one validator for everything)
            click.echo(f"{path}: {too_big}", err=True)
            failed = True
            continue
        click.echo(_summary(scenario))
        _warn(scenario)
    if failed:
        sys.exit(EXIT_BAD_INPUT)


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

    from ..scenario import ScenarioError, load_scenario
    from ..scenario.describe import COLUMNS, parameter_rows

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


def _too_big(scenario) -> str | None:  # noqa: ANN001 - Scenario, imported lazily
    """Why even one replication of the scenario is beyond this machine (what `svsim run -n 1 -w 1` refuses)."""
    from ..experiment.limits import estimate, refusal

    why = refusal(estimate(scenario, 1, 1))
    return f"even one replication is too large: {why}" if why else None


def _summary(scenario) -> str:  # noqa: ANN001 - Scenario, imported lazily
    from ..domain import financial_year_label

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
