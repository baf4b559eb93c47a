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
