"""Every broken scenario in tests/fixtures/bad_scenarios fails with a ScenarioError that says where and why.

The table maps each fixture to the line its first problem is on and the words the message must contain: the
key path and a phrase that tells the user what is wrong. The file name is always checked too.
"""

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
}
HELPERS = {"cycle_b.yaml"}  # extended by a fixture, not a failure case of its own
MULTI = {"three_errors.yaml"}


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
    assert len(CASES) >= 18


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
