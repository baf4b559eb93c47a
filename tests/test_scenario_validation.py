"""Every broken scenario in tests/fixtures/bad_scenarios fails with a ScenarioError that says where and why.

The table maps each fixture to the line its first problem is on and the words the message must contain: the
key path and a phrase that tells the user what is wrong. The file name is always checked too.
"""

# ruff: noqa: E501 - one fixture a line reads best
from __future__ import annotations

from pathlib import Path

import pytest

from svsim.scenario import Problem, ScenarioError, load_scenario
from svsim.scenario.yamlio import MAX_FILE_BYTES

HERE = Path(__file__).parent
BAD = HERE / "fixtures" / "bad_scenarios"
BASE = HERE.parent / "scenarios" / "base.yaml"

# fixture -> (file named in the message, line or None, words the message must contain)
CASES: dict[str, tuple[str, int | None, tuple[str, ...]]] = {
    "unknown_key.yaml": (
        "unknown_key.yaml", 4, ("assessment.vacancy_rat", "unknown key", "did you mean 'vacancy_rate'")
    ),
    "duplicate_key.yaml": ("duplicate_key.yaml", 5, ("assessment.officers_fte", "duplicate key", "first on line 4")),
    "wrong_type.yaml": ("wrong_type.yaml", 4, ("assessment.officers_fte", "expected a number", "'eighty'")),
    "negative_count.yaml": ("negative_count.yaml", 4, ("start_state.open_requests", "at least 0", "-5")),
    "negative_rate.yaml": (
        "negative_rate.yaml", 4, ("transitions.move_away_rate_per_year", "a rate of at least 0", "-0.01")
    ),
    "probability_above_one.yaml": (
        "probability_above_one.yaml", 4, ("decision.appeal_probability", "probability between 0 and 1", "1.2")
    ),
    "shares_not_one.yaml": ("shares_not_one.yaml", 5, ("placement.new_plan_mix.under_5", "must sum to 1", "1.0682")),
    "dated_outside_period.yaml": (
        "dated_outside_period.yaml", 6, ("assessment.vacancy_rate", "2030-04-01", "outside the simulated period")
    ),
    "non_iso_date.yaml": ("non_iso_date.yaml", 6, ("assessment.vacancy_rate", "'2023-9-1'", "not a valid ISO date")),
    "invalid_date.yaml": ("invalid_date.yaml", 6, ("assessment.vacancy_rate", "'2023-02-30'", "not a valid date")),
    "datetime_key.yaml": ("datetime_key.yaml", 6, ("assessment.vacancy_rate", "time of day")),
    "missing_extends.yaml": ("missing_extends.yaml", 2, ("extends", "no_such_parent.yaml", "does not exist")),
    "cycle_a.yaml": ("cycle_b.yaml", 2, ("extends", "cycle", "cycle_a.yaml -> ", "cycle_b.yaml -> ")),
    "extends_directory.yaml": ("extends_directory.yaml", 2, ("extends", "is not a file")),
    "intervention_unknown_param.yaml": (
        "intervention_unknown_param.yaml", 7,
        ("interventions[more-officers].changes.assessment.oficers_fte", "no parameter",
         "did you mean 'assessment.officers_fte'"),
    ),
    "intervention_unknown_op.yaml": (
        "intervention_unknown_op.yaml", 7,
        ("interventions[more-officers].changes.assessment.officers_fte", "unknown change 'multiple'",
         "did you mean 'multiply'"),
    ),
    "intervention_overlap.yaml": (
        "intervention_overlap.yaml", 9,
        ("interventions[hire-b]", "assessment.officers_fte", "overlap 'hire-a'", "order"),
    ),
    "intervention_probability_above_one.yaml": (
        "intervention_probability_above_one.yaml", 4,
        ("interventions[appeals-double]", "decision.appeal_success_probability 1.2 on 2024-04-01",
         "probability between 0 and 1"),
    ),
    "intervention_breaks_shares.yaml": (
        "intervention_breaks_shares.yaml", 4,
        ("placement.new_plan_mix.age_16_19", "must sum to 1", "after intervention more-srp"),
    ),
    "intervention_end_before_start.yaml": (
        "intervention_end_before_start.yaml", 6, ("interventions[short-lived].end", "must be after start")
    ),
    "intervention_bad_ramp.yaml": ("intervention_bad_ramp.yaml", 6, ("interventions[slow].ramp_months", "2.5")),
    "remove_unknown_intervention.yaml": (
        "remove_unknown_intervention.yaml", 3,
        ("remove_interventions", "no inherited intervention is named 'nhs-joint-fundin'", "nhs-joint-funding"),
    ),
    "unknown_kpi.yaml": ("unknown_kpi.yaml", 5, ("targets.kpis.reintegration", "unknown KPI", "'reintegrations'")),
    "bad_financial_year.yaml": (
        "bad_financial_year.yaml", 5, ("targets.sv_profile_gbp_m.2022-24", "not a financial year like 2022-23")
    ),
    "bad_price_base_year.yaml": (
        "bad_price_base_year.yaml", 4, ("costs.price_base_year", "expected a financial year like 2022-23")
    ),
    "uncertainty_bad_argument.yaml": (
        "uncertainty_bad_argument.yaml", 4,
        ("uncertainty.demand.request_rate_per_10k_0_18.sigma", "sigma must be greater than 0"),
    ),
    "scalar_for_age_bands.yaml": (
        "scalar_for_age_bands.yaml", 4, ("decision.refusal_probability", "expected a mapping with keys (under_5", "0.3")
    ),
    "set_unknown_choice.yaml": (
        "set_unknown_choice.yaml", 5, ("placement.fallback.special", "one of:", "'independant'")
    ),
    "missing_required.yaml": ("missing_required.yaml", 25, ("assessment.officers_fte", "missing required key")),
    "python_tag.yaml": ("python_tag.yaml", 4, ("assessment.officers_fte", "!!python/object", "not allowed")),
    "yaml_syntax_error.yaml": ("yaml_syntax_error.yaml", 4, ("YAML syntax error", "line 3")),
    "alias_bomb.yaml": ("alias_bomb.yaml", 5, ("more than 100 YAML aliases",)),
    "alias_expansion.yaml": ("alias_expansion.yaml", 7, ("aliases", "expand to more than")),
    "alias_recursive.yaml": ("alias_recursive.yaml", 3, ("alias", "contains it")),
    "not_a_mapping.yaml": ("not_a_mapping.yaml", None, ("must be a mapping",)),
    # Units and plausible ranges: a slip refused with its likely cause.
    "money_pounds_in_gbp_m.yaml": ("money_pounds_in_gbp_m.yaml", 4, ("income.hnb_allocation_gbp_m", "looks like pounds, not £m", "318 £m")),
    "unit_cost_in_gbp_m.yaml": ("unit_cost_in_gbp_m.yaml", 5, ("costs.unit_cost_gbp_per_year.special", "looks like £m, not pounds", "22,800 pounds")),
    "unknown_unit.yaml": ("unknown_unit.yaml", 4, ("income.hnb_allocation_gbp_m", "unknown unit 'furlongs'", "gbp_m")),
    "dated_unknown_unit.yaml": ("dated_unknown_unit.yaml", 4, ("income.hnb_allocation_gbp_m", "unknown unit 'yards'")),
    "money_unit_on_count.yaml": ("money_unit_on_count.yaml", 4, ("assessment.officers_fte", "is a money unit", "not money")),
    "dated_value_in_pounds.yaml": ("dated_value_in_pounds.yaml", 6, ("income.hnb_allocation_gbp_m (2023-04-01)", "looks like pounds")),
    "opening_deficit_in_pounds.yaml": ("opening_deficit_in_pounds.yaml", 4, ("deficit.opening_accumulated_gbp_m", "looks like pounds", "79.5 £m")),
    "profile_in_pounds.yaml": ("profile_in_pounds.yaml", 5, ("targets.sv_profile_gbp_m.2022-23", "looks like pounds", "140 £m")),
    "other_line_in_pounds.yaml": ("other_line_in_pounds.yaml", 5, ("costs.other_lines_gbp_m.central_services", "looks like pounds")),
    "threshold_in_thousands.yaml": ("threshold_in_thousands.yaml", 5, ("costs.mainstream.threshold_gbp", "looks like £ thousands", "6000 pounds")),
    "support_cost_in_gbp_m.yaml": ("support_cost_in_gbp_m.yaml", 5, ("costs.mainstream.support_cost_gbp_mean", "looks like £m, not pounds")),
    "schools_block_in_pounds.yaml": ("schools_block_in_pounds.yaml", 4, ("income.schools_block_transfer_gbp_m", "looks like pounds")),
    "dfe_contribution_in_pounds.yaml": ("dfe_contribution_in_pounds.yaml", 4, ("deficit.dfe_contribution_gbp_m", "looks like pounds")),
    "intervention_makes_cost_absurd.yaml": ("intervention_makes_cost_absurd.yaml", 4, ("interventions[typo]", "costs.unit_cost_gbp_per_year.special", "outside the possible range")),
    "plan_end_age_zero.yaml": ("plan_end_age_zero.yaml", 4, ("transitions.plan_end_age", "outside the possible range 16 to 25")),
    "plan_end_age_above_25.yaml": ("plan_end_age_above_25.yaml", 4, ("transitions.plan_end_age", "30", "16 to 25")),
    "request_rate_absurd.yaml": ("request_rate_absurd.yaml", 4, ("demand.request_rate_per_10k_0_18", "1000 times too large", "did you mean 99.3")),
    "seasonality_weight_absurd.yaml": ("seasonality_weight_absurd.yaml", 5, ("demand.seasonality.jan", "outside the possible range 0 to 12")),
    "interval_months_zero.yaml": ("interval_months_zero.yaml", 5, ("annual_review.interval_months.under_5", "0 months", "1 to 120")),
    "uplift_percent.yaml": ("uplift_percent.yaml", 5, ("costs.uplift.special", "did you mean 0.043")),
    "weeks_absurd.yaml": ("weeks_absurd.yaml", 4, ("decision.weeks_to_decide", "6000 weeks", "0 to 520")),
    "move_away_rate_percent.yaml": ("move_away_rate_percent.yaml", 4, ("transitions.move_away_rate_per_year", "did you mean 0.014")),
    "officers_absurd.yaml": ("officers_absurd.yaml", 4, ("assessment.officers_fte", "80,000", "0 to 10,000")),
    "cost_factor_absurd.yaml": ("cost_factor_absurd.yaml", 5, ("costs.age_band_cost_factor.age_20_25", "0 to 20")),
    "cv_absurd.yaml": ("cv_absurd.yaml", 4, ("assessment.weeks_to_assess_cv", "0 to 10")),
    # What a run used to fail on late, found by validate.
    "seasonality_all_zero.yaml": ("seasonality_all_zero.yaml", 4, ("demand.seasonality", "every month has weight 0", "no requests")),
    "margins_disagree.yaml": ("margins_disagree.yaml", 4, ("start_state.caseload_by_setting", "totals 17,734", "17,733", "must agree")),
    "fractional_caseload.yaml": ("fractional_caseload.yaml", 5, ("start_state.caseload_by_age_band.under_5", "whole number", "661.5")),
    "fractional_open_requests.yaml": ("fractional_open_requests.yaml", 4, ("start_state.open_requests", "whole number", "420.5")),
    "age_profile_zero_band.yaml": ("age_profile_zero_band.yaml", 4, ("start_state.age_profile", "ages 0-4 all have weight 0", "under_5")),
    "prior_row_zero.yaml": ("prior_row_zero.yaml", 5, ("start_state.caseload_prior.under_5", "every weight is 0", "661 plans")),
    "prior_zeros_impossible.yaml": ("prior_zeros_impossible.yaml", 4, ("start_state.caseload_prior", "impossible", "age_5_10", "post16")),
    "horizon_start_not_april.yaml": ("horizon_start_not_april.yaml", 4, ("horizon.start", "must be 1 April")),
    "horizon_end_not_march.yaml": ("horizon_end_not_march.yaml", 4, ("horizon.end", "must be 31 March")),
    "horizon_too_long.yaml": ("horizon_too_long.yaml", 4, ("horizon.end", "7,977 years", "at most 100")),
    "horizon_end_before_start.yaml": ("horizon_end_before_start.yaml", 3, ("horizon.end", "must be after horizon.start")),
    "census_after_start.yaml": ("census_after_start.yaml", 3, ("start_state.census_date", "on or before horizon.start")),
    "lead_in_too_long.yaml": ("lead_in_too_long.yaml", 4, ("start_state.census_date", "32 years", "at most 10")),
    "name_too_long.yaml": ("name_too_long.yaml", 3, ("name", "254 characters", "at most 100")),
    "extends_not_yaml.yaml": ("extends_not_yaml.yaml", 2, ("extends", "not a scenario file", ".yaml or .yml")),
    # Found by the mutation fuzzer (tools/fuzz_scenarios.py): each was a late failure, a minute's wait or a flood.
    "population_beyond_england.yaml": ("population_beyond_england.yaml", 5, ("population.age_0_18", "outside the possible range 0 to 13,000,000", "did you mean 355,600")),
    "uncertainty_breaks_intervention.yaml": ("uncertainty_breaks_intervention.yaml", 5, ("uncertainty.placement.new_plan_mix.under_5.special", "= 0)", "'early-years-review'", "-0.00666667 on 2024-01-01", "not a probability")),
    "too_many_values.yaml": ("too_many_values.yaml", 5, ("more than 20,000 values",)),
    "huge_name_in_message.yaml": ("huge_name_in_message.yaml", 4, ("remove_interventions", "no inherited intervention", "characters cut")),
}
HELPERS = {"cycle_b.yaml"}  # extended by a fixture, not a failure case of its own
MULTI = {"three_errors.yaml", "flood_of_problems.yaml"}


def _error(path: Path, overrides: tuple[str, ...] = ()) -> ScenarioError:
    try:
        load_scenario(path, overrides)
    except ScenarioError as exc:
        return exc
    except Exception as exc:  # pragma: no cover - the point of the test
        pytest.fail(f"{path.name} raised {type(exc).__name__}, not ScenarioError: {exc}")
    pytest.fail(f"{path.name} loaded without error")


def test_every_fixture_is_in_the_table() -> None:
    on_disk = {p.name for p in BAD.glob("*.yaml")}
    assert on_disk - HELPERS - MULTI == set(CASES)
    assert len(CASES) >= 60


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_bad_scenario_message(fixture: str) -> None:
    shown_file, line, words = CASES[fixture]
    exc = _error(BAD / fixture)
    text = str(exc)
    assert exc.problems, "a ScenarioError carries its problems"
    first = exc.problems[0]
    assert isinstance(first, Problem)
    assert Path(first.file).name == shown_file
    assert first.line == line
    where = f"{shown_file}:{line}" if line is not None else shown_file
    assert where in text
    for word in words:
        assert word in text, f"{word!r} not in:\n{text}"
    # One failure mode each: the fixture reports exactly that problem.
    assert len(exc.problems) == 1, text


def test_three_independent_errors_are_reported_together() -> None:
    exc = _error(BAD / "three_errors.yaml")
    assert len(exc.problems) == 3, str(exc)
    by_path = {p.key_path: p for p in exc.problems}
    assert set(by_path) == {"assessment.vacancy_rate", "start_state.open_assessments", "demand.seasonallity"}
    assert by_path["assessment.vacancy_rate"].line == 4
    assert by_path["start_state.open_assessments"].line == 6
    assert by_path["demand.seasonallity"].line == 8
    assert "did you mean 'seasonality'" in by_path["demand.seasonallity"].message
    assert all(Path(p.file).name == "three_errors.yaml" for p in exc.problems)
    assert str(exc).startswith("3 problems in scenario:")


def test_a_flood_of_problems_is_cut_to_the_first_forty() -> None:
    exc = _error(BAD / "flood_of_problems.yaml")
    assert len(exc.problems) == 66  # every pair of the twelve copies overlaps
    first = exc.problems[0]
    assert (Path(first.file).name, first.line, first.key_path) == ("flood_of_problems.yaml", 9, "interventions[hire-1]")
    assert "overlap 'hire-0'" in first.message
    text = str(exc)
    assert text.startswith("66 problems in scenario:") and text.endswith("... and 26 more (fix the ones above first)")
    assert text.count("\n  - ") == 40


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    padding = "# padding to make the file too big to read\n"
    big.write_text(f"extends: {BASE}\n" + padding * (MAX_FILE_BYTES // len(padding) + 10))
    exc = _error(big)
    assert "big.yaml" in str(exc)
    assert "limited to 2 MB" in str(exc)


def test_extended_file_over_the_size_limit_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text("name: x\n" + "#" * (MAX_FILE_BYTES + 1))
    (tmp_path / "child.yaml").write_text("extends: parent.yaml\n")
    exc = _error(tmp_path / "child.yaml")
    assert "parent.yaml" in str(exc) and "limited to 2 MB" in str(exc)


def test_missing_top_level_file() -> None:
    exc = _error(BAD / "no_such_scenario.yaml")
    assert "no_such_scenario.yaml" in str(exc) and "file not found" in str(exc)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ("empty file",)),
        ("\xff\xfe not utf-8", ("not UTF-8",)),
        ("name: [unclosed\n", ("YAML syntax error",)),
        ("name: *undefined\n", ("undefined",)),
        ("name: !!int abc\n", ("cannot read 'abc'",)),
        ("? [a, b]\n: 1\n", ("plain value",)),
        ("name: " + "[" * 500 + "\n", ("nested",)),
    ],
)
def test_malformed_files_raise_scenario_error(tmp_path: Path, text: str, words: tuple[str, ...]) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    exc = _error(path)
    for word in words:
        assert word in str(exc)


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("assessment.vacancy_rat=0.1", ("--set", "assessment.vacancy_rat", "did you mean 'vacancy_rate'")),
        ("asessment.vacancy_rate=0.1", ("--set", "asessment", "did you mean 'assessment'")),
        ("assessment.vacancy_rate=1.5", ("--set", "assessment.vacancy_rate", "probability between 0 and 1")),
        ("assessment.officers_fte=many", ("assessment.officers_fte", "'many'")),
        ("decision.refusal_probability=1.3", ("decision.refusal_probability.under_5", "probability between 0 and 1")),
        ("assessment.vacancy_rate={2030-01-01: 0.1}", ("outside the simulated period",)),
        ("assessment.vacancy_rate=[unclosed", ("--set assessment.vacancy_rate", "YAML syntax error")),
        ("no-equals-sign", ("expected PATH=VALUE",)),
    ],
)
def test_set_overrides_are_validated_like_yaml(override: str, words: tuple[str, ...]) -> None:
    exc = _error(BASE, (override,))
    for word in words:
        assert word in str(exc), str(exc)


def test_every_problem_is_reported_across_overrides() -> None:
    exc = _error(BASE, ("assessment.vacancy_rat=0.1", "decision.appeal_probability=2"))
    assert {p.key_path for p in exc.problems} == {"assessment.vacancy_rat", "decision.appeal_probability"}


MINIMAL = HERE / "fixtures" / "scenarios" / "minimal.yaml"


@pytest.mark.parametrize(("override", "path", "words"), [
    ("assessment.officers_fte=0", "assessment", "no assessment capacity from 2022-01-20"),
    ("assessment.vacancy_rate={2022-01-20: 0.1, 2024-04-01: 1.0}", "assessment", "no assessment capacity from 2024-04-01"),
    ("income.hnb_allocation_gbp_m=0", "income.hnb_allocation_gbp_m", "all its spend is deficit"),
    ("population.age_0_18=0", "population.age_0_18", "no new requests"),
    ("uncertainty.demand.request_rate_per_10k_0_18={distribution: lognormal, median: 1, sigma: 3, apply: multiply}",
     "uncertainty.demand.request_rate_per_10k_0_18", "impossible for demand.request_rate_per_10k_0_18"),
])
def test_a_value_that_validates_but_switches_something_off_is_warned(override: str, path: str, words: str) -> None:
    """Found by the fuzzer: these validated silently and ran to figures that read as a policy success (no demand, no
    new plans) or a disaster (no income), or drew a request rate of millions per 10,000 children."""
    warnings = load_scenario(MINIMAL, [override]).warnings
    assert any(w.key_path == path and words in w.message for w in warnings), [str(w) for w in warnings]
    assert not any(words in w.message for w in load_scenario(MINIMAL).warnings)
