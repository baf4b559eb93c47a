"""Loading scenarios: dated values, `--set` overrides, `extends` paths and deep merge, safety, and base.yaml."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from svsim.domain import AGE_BANDS
from svsim.scenario import Problem, ScenarioError, Series, load_scenario
from svsim.scenario.dated import ALWAYS
from svsim.scenario.spec import REQUIRED, check_value

HERE = Path(__file__).parent
MINIMAL = HERE / "fixtures" / "scenarios" / "minimal.yaml"
BASE = HERE.parent / "scenarios" / "base.yaml"
D = dt.date


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


# ---- Series: a value holds from its date (inclusive) until the next (exclusive) ---------------------------


def test_series_value_holds_from_its_date_until_the_next() -> None:
    s = Series((D(2022, 4, 1), D(2023, 9, 1)), (0.268, 0.25))
    assert s.at(D(2022, 4, 1)) == 0.268
    assert s.at(D(2023, 8, 31)) == 0.268
    assert s.at(D(2023, 9, 1)) == 0.25  # inclusive at the new date
    assert s.at(D(2099, 1, 1)) == 0.25
    assert s.at(D(2000, 1, 1)) == 0.268  # before the first date, the first value holds
    assert s.change_dates() == (D(2022, 4, 1), D(2023, 9, 1))
    assert s.first == 0.268 and not s.is_constant


def test_constant_series() -> None:
    s = Series.constant(3.0)
    assert s.dates == (ALWAYS,) and s.is_constant
    assert s.at(D(1, 1, 1)) == 3.0 and s.at(D(9999, 12, 31)) == 3.0
    assert s.change_dates() == ()
    assert s.to_yaml() == 3.0


def test_from_pairs_sorts_drops_repeats_and_keeps_the_last_value_on_one_date() -> None:
    s = Series.from_pairs([(D(2024, 1, 1), 2), (D(2023, 1, 1), 1), (D(2023, 6, 1), 1), (D(2024, 1, 1), 3)])
    assert s.dates == (D(2023, 1, 1), D(2024, 1, 1))
    assert s.values == (1, 3)
    assert s.to_yaml() == {D(2023, 1, 1): 1, D(2024, 1, 1): 3}
    assert s.map(lambda v: v * 0) == Series((D(2023, 1, 1),), (0,))


@pytest.mark.parametrize(("dates", "values"), [((), ()), ((D(2023, 1, 1),), (1, 2)),
                                               ((D(2023, 1, 1), D(2023, 1, 1)), (1, 2)),
                                               ((D(2024, 1, 1), D(2023, 1, 1)), (1, 2))])
def test_series_refuses_bad_shapes(dates: tuple, values: tuple) -> None:
    with pytest.raises(ValueError):
        Series(dates, values)


def test_dated_values_in_yaml(tmp_path: Path) -> None:
    s = load_scenario(MINIMAL)
    rate = s.series("demand.request_rate_per_10k_0_18")
    assert rate.dates == (D(2022, 1, 20), D(2023, 4, 1), D(2024, 4, 1))
    assert s.value("demand.request_rate_per_10k_0_18") == 100.0  # default date: the census date
    assert s.value("demand.request_rate_per_10k_0_18", D(2023, 3, 31)) == 100.0
    assert s.value("demand.request_rate_per_10k_0_18", D(2023, 4, 1)) == 110.0
    assert s.change_dates() == [D(2022, 1, 20), D(2023, 4, 1), D(2024, 4, 1)]


def test_the_same_date_twice_is_a_duplicate_key(tmp_path: Path) -> None:
    path = write(tmp_path / "twice.yaml", f"""\
        extends: {MINIMAL}
        assessment:
          vacancy_rate: {{2022-01-20: 0.1, 2023-01-01: 0.2, 2023-01-01: 0.3}}
        """)
    with pytest.raises(ScenarioError, match="duplicate key '2023-01-01'"):
        load_scenario(path)


def test_a_dated_value_on_a_parameter_fixed_at_the_start_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "fixed.yaml", f"""\
        extends: {MINIMAL}
        start_state:
          open_requests: {{2022-01-20: 50, 2023-01-01: 60}}
        """)
    with pytest.raises(ScenarioError, match="cannot change over time"):
        load_scenario(path)


@pytest.mark.parametrize("key", ["2023-09-01 09:30:00", "2023-09-01T00:00:00Z", "2023-09-01 00:00:00"])
def test_datetime_keys_are_rejected(tmp_path: Path, key: str) -> None:
    text = f"extends: {MINIMAL}\nassessment:\n  vacancy_rate: {{2022-01-20: 0.1, {key}: 0.2}}\n"
    path = write(tmp_path / "dt.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "time of day" in str(info.value) and "dt.yaml:3" in str(info.value)


@pytest.mark.parametrize(("where", "text"), [
    ("horizon.start", "horizon: {start: 2022-04-01 00:00:00, end: 2025-03-31}"),
    ("interventions[x].start", "interventions: [{name: x, start: 2023-01-01 10:00:00, end: 2024-01-01,"
                               " changes: {assessment.vacancy_rate: {set: 0.2}}}]"),
])
def test_datetimes_are_not_dates(tmp_path: Path, where: str, text: str) -> None:
    path = write(tmp_path / "dt.yaml", f"extends: {MINIMAL}\n{text}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert where in str(info.value) and "ISO date" in str(info.value)


# ---- --set overrides ---------------------------------------------------------------------------------------


def test_set_overrides_change_values() -> None:
    s = load_scenario(MINIMAL, [
        "assessment.vacancy_rate=0.25",
        "demand.request_age_shares.4=0.5", "demand.request_age_shares.8=0",  # integer keys: single years of age
        "placement.capacity.srp=unlimited",
        "income.hnb_allocation_gbp_m={2022-01-20: 100, 2024-04-01: 110}",
        "decision.appeal_probability={value: 0.2, source: a survey}",
    ])
    assert s.value("assessment.vacancy_rate") == 0.25
    assert s.value("demand.request_age_shares.4") == 0.5
    assert s.value("placement.capacity.srp") == float("inf")
    assert s.value("income.hnb_allocation_gbp_m", D(2024, 4, 1)) == 110
    assert s.sources["decision.appeal_probability"] == "a survey"


def test_set_overrides_are_checked_after_merging() -> None:
    with pytest.raises(ScenarioError, match="must sum to 1"):
        load_scenario(MINIMAL, ["demand.request_age_shares.4=0.5"])


def test_a_later_set_wins() -> None:
    s = load_scenario(MINIMAL, ["assessment.vacancy_rate=0.25", "assessment.vacancy_rate=0.3"])
    assert s.value("assessment.vacancy_rate") == 0.3


# ---- extends: paths and deep merge -------------------------------------------------------------------------


def test_extends_is_relative_to_the_file_not_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path / "root.yaml", MINIMAL.read_text())
    write(tmp_path / "a" / "parent.yaml", "extends: ../root.yaml\nassessment: {vacancy_rate: 0.2}\n")
    child = write(tmp_path / "a" / "b" / "child.yaml", "extends: ../parent.yaml\nassessment: {officers_fte: 12}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for path in (child, Path("../a/b/child.yaml")):
        s = load_scenario(path)
        assert s.value("assessment.vacancy_rate") == 0.2
        assert s.value("assessment.officers_fte") == 12
        assert s.value("assessment.weeks_to_assess") == 14  # from root.yaml, two levels up
        assert [Path(f).name for f, _ in s.files] == ["root.yaml", "parent.yaml", "child.yaml"]
        assert all(len(digest) == 64 for _, digest in s.files)


def test_deep_merge_keeps_the_other_age_bands_and_their_source(tmp_path: Path) -> None:
    path = write(tmp_path / "child.yaml", f"""\
        extends: {MINIMAL}
        decision:
          refusal_probability:
            under_5: 0.3
        """)
    s = load_scenario(path)
    assert s.value("decision.refusal_probability.under_5") == 0.3
    for band in AGE_BANDS[1:]:
        assert s.value(f"decision.refusal_probability.{band}") == 0.2
        assert s.sources[f"decision.refusal_probability.{band}"] == "test source A"
    assert "decision.refusal_probability.under_5" not in s.sources  # the parent's citation no longer applies
    assert s.value("assessment.officers_fte") == 10  # other sections untouched


def test_replacing_a_value_source_block_does_not_inherit_the_source(tmp_path: Path) -> None:
    plain = load_scenario(write(tmp_path / "plain.yaml", f"extends: {MINIMAL}\nassessment: {{officers_fte: 12}}\n"))
    assert plain.value("assessment.officers_fte") == 12
    assert "assessment.officers_fte" not in plain.sources
    cited = load_scenario(write(tmp_path / "cited.yaml",
                                f"extends: {MINIMAL}\nassessment: {{officers_fte: {{value: 12, source: new}}}}\n"))
    assert cited.sources["assessment.officers_fte"] == "new"


def test_a_child_dated_series_replaces_the_parent_series_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "child.yaml", f"""\
        extends: {MINIMAL}
        demand:
          request_rate_per_10k_0_18: {{2022-01-20: 90.0, 2024-01-01: 95.0}}
        """)
    s = load_scenario(path)
    assert s.series("demand.request_rate_per_10k_0_18").values == (90.0, 95.0)
    assert "demand.request_rate_per_10k_0_18" not in s.sources


def test_fingerprint_ignores_names_files_and_sources(tmp_path: Path) -> None:
    path = write(tmp_path / "renamed.yaml", f"""\
        extends: {MINIMAL}
        name: other
        title: Another title
        council: Somewhere
        assessment:
          officers_fte: {{value: 10, source: a different citation}}
        """)
    assert load_scenario(path).fingerprint == load_scenario(MINIMAL).fingerprint
    changed = load_scenario(MINIMAL, ["assessment.officers_fte=11"])
    assert changed.fingerprint != load_scenario(MINIMAL).fingerprint


def test_yaml_merge_keys_can_be_overridden(tmp_path: Path) -> None:
    path = write(tmp_path / "anchors.yaml", f"""\
        extends: {MINIMAL}
        decision:
          refusal_probability: &bands {{under_5: 0.25, age_5_10: 0.25, age_11_15: 0.25, age_16_19: 0.25,
                                       age_20_25: 0.25}}
        assessment:
          not_issue_probability:
            <<: *bands
            under_5: 0.3
        """)
    s = load_scenario(path)
    assert s.value("assessment.not_issue_probability.under_5") == 0.3
    assert s.value("assessment.not_issue_probability.age_5_10") == 0.25
    assert s.value("decision.refusal_probability.under_5") == 0.25


# ---- safety ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["!!python/object:builtins.dict {}", "!!python/object/apply:os.system [echo hi]",
                                 "!!python/name:os.system", "!!python/tuple [1, 2]", "!custom 1"])
def test_python_and_unknown_tags_are_refused(tmp_path: Path, tag: str) -> None:
    path = write(tmp_path / "tag.yaml", f"extends: {MINIMAL}\nassessment:\n  officers_fte: {tag}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "not allowed" in str(info.value) and "tag.yaml:3" in str(info.value)


def test_problem_text_names_file_line_and_key() -> None:
    p = Problem("s.yaml", "a.b", "went wrong", 7)
    assert str(p) == "s.yaml:7: a.b: went wrong"
    assert str(Problem("s.yaml", "", "went wrong")) == "s.yaml: went wrong"
    assert str(ScenarioError([p])).startswith("1 problem in scenario:")


# ---- base.yaml --------------------------------------------------------------------------------------------

# Labels and the simulated period define the scenario rather than state a figure: nothing to cite.
NOT_CITED = {"name", "title", "council", "description", "horizon.start", "horizon.end", "start_state.census_date"}


def test_base_loads_and_every_non_default_parameter_has_a_source() -> None:
    s = load_scenario(BASE)
    uncited = []
    for path, series in s.base_params.items():
        spec = s.specs[path]
        if spec.default is not REQUIRED and series == Series.constant(check_value(spec.kind, spec.default,
                                                                                  spec.choices)[0]):
            continue  # the schema default
        if path not in s.sources and path not in NOT_CITED:
            uncited.append(path)
    assert uncited == [], f"parameters in base.yaml without a source: {uncited}"
    assert all(s.sources[p].strip() for p in s.sources)


def test_base_interventions_and_targets_have_sources() -> None:
    s = load_scenario(BASE)
    assert s.interventions
    assert [iv.name for iv in s.interventions if not iv.source.strip()] == []
    assert {"sv_profile_gbp_m", "ehcp_plan_by_age_band"} <= set(s.targets.sources)
    assert {f"kpis.{k}" for k in s.targets.kpis} <= set(s.targets.sources)


def test_scenario_pickles_for_worker_processes():
    import pickle

    scenario = load_scenario(BASE)
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy.fingerprint == scenario.fingerprint
    assert dict(copy.params) == dict(scenario.params)
    assert copy.interventions == scenario.interventions
