"""`svsim params`: the parameter catalogue a policy lead reads instead of schema.py."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from svsim import cli
from svsim.scenario import load_scenario
from svsim.scenario.describe import format_series, parameter_rows

BASE = str(Path(__file__).parent.parent / "scenarios" / "base.yaml")


def invoke(*args: str):
    return CliRunner().invoke(cli.main, ["params", *args])


def test_catalogue_without_a_scenario_lists_schema_parameters_with_defaults():
    result = invoke("--match", "refusal_probability")
    assert result.exit_code == 0, result.output
    assert "decision.refusal_probability.under_5" in result.output
    assert "a probability between 0 and 1" in result.output and "(required)" in result.output
    assert "value:" not in result.output


def test_with_a_scenario_shows_value_source_and_interventions():
    result = invoke(BASE, "--match", "assessment.vacancy_rate")
    assert result.exit_code == 0, result.output
    assert "2022-01-20: 0.15; 2023-04-01: 0.25" in result.output
    assert "Report" in result.output and "sen-recruitment (set 0.1)" in result.output


def test_csv_has_one_row_per_parameter(tmp_path):
    out = tmp_path / "params.csv"
    result = invoke(BASE, "--csv", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    scenario = load_scenario(BASE)
    assert len(rows) == len(scenario.specs)
    by_path = {r["parameter"]: r for r in rows}
    assert by_path["costs.unit_cost_gbp_per_year.special"]["value"] == "22800"
    assert "Kent papers" in by_path["costs.unit_cost_gbp_per_year.special"]["source"]


def test_bad_scenario_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASE}\ndecision:\n  refusal_probabilty: 0.3\n", encoding="utf-8")
    result = invoke(str(bad))
    assert result.exit_code == 2 and "did you mean 'refusal_probability'" in result.output
    assert "Traceback" not in result.output


def test_match_filters_and_series_format():
    rows = parameter_rows(None, "threshold_gbp")
    assert [r["parameter"] for r in rows] == ["costs.mainstream.threshold_gbp"]
    assert rows[0]["default"] == "6000"
    scenario = load_scenario(BASE)
    assert format_series(scenario.base_params["decision.weeks_to_decide"]) == "6"
    assert format_series(scenario.base_params["placement.capacity.srp"]) == "1500"
