"""Property tests for the scenario parser: dated series, garbage overrides, probabilities, neutral changes, merges."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svsim.scenario import ScenarioError, Series, load_scenario
from svsim.scenario.interventions import Change, Intervention, apply_interventions
from svsim.scenario.spec import NUMERIC_KINDS

HERE = Path(__file__).parent
MINIMAL = HERE / "fixtures" / "scenarios" / "minimal.yaml"
BASE = HERE.parent / "scenarios" / "base.yaml"
CENSUS, END = dt.date(2022, 1, 20), dt.date(2025, 3, 31)  # minimal.yaml's simulated period

FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SCENARIO = load_scenario(MINIMAL)
PATHS = sorted(SCENARIO.specs)
NUMERIC_DATED = sorted(p for p, s in SCENARIO.specs.items() if s.kind in NUMERIC_KINDS and s.dated)
# Probabilities that are not part of a group whose members must sum to 1 (or at most 1).
FREE_PROBABILITIES = [
    "decision.appeal_probability", "decision.appeal_success_probability", "decision.rerequest_probability",
    "assessment.vacancy_rate", "start_state.reviews_overdue_share", "costs.mainstream.below_threshold_share_paid",
    *(f"decision.refusal_probability.{b}" for b in ("under_5", "age_11_15", "age_20_25")),
    "costs.nhs_share.independent", "transitions.phase_transfer.year_7.cease_probability",
]

dates_in_period = st.dates(min_value=CENSUS, max_value=END)
probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def yaml_scalar(value: object) -> str:
    """A value as YAML reads it back (PyYAML writes 1e-05 as 1.0e-05, which YAML 1.1 reads as a float)."""
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).removesuffix("\n...\n").strip()


def reference_at(pairs: list[tuple[dt.date, float]], day: dt.date) -> float:
    """The step function by its definition: the value of the last date on or before `day`, else the first."""
    on_or_before = [v for d, v in pairs if d <= day]
    return on_or_before[-1] if on_or_before else pairs[0][1]


# ---- (a) dated series round-trip --------------------------------------------------------------------------


@FEW
@given(
    st.dictionaries(dates_in_period, probabilities, min_size=1, max_size=8),
    st.lists(st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2026, 12, 31)), min_size=1, max_size=20),
)
def test_dated_series_round_trips(points: dict[dt.date, float], probes: list[dt.date]) -> None:
    pairs = sorted(points.items())
    s = load_scenario(MINIMAL, [f"assessment.vacancy_rate={yaml_scalar(dict(pairs))}"])
    series = s.base_params["assessment.vacancy_rate"]
    for day in [*probes, *points, *(d - dt.timedelta(days=1) for d in points)]:
        assert series.at(day) == reference_at(pairs, day)
    assert series.at(pairs[0][0] - dt.timedelta(days=400)) == pairs[0][1]  # before the first date: the first value
    # Writing the series back and reading it again gives the same series.
    again = load_scenario(MINIMAL, [f"assessment.vacancy_rate={yaml_scalar(series.to_yaml())}"])
    assert again.base_params["assessment.vacancy_rate"] == series


@FEW
@given(st.lists(st.tuples(st.dates(), st.integers(-3, 3)), min_size=1, max_size=10), st.lists(st.dates(), max_size=10))
def test_series_from_pairs_is_the_step_function(pairs: list[tuple[dt.date, int]], probes: list[dt.date]) -> None:
    series = Series.from_pairs(pairs)
    last: dict[dt.date, int] = {}
    for d, v in pairs:  # a later pair on the same date wins
        last[d] = v
    ordered = sorted(last.items())
    for day in [*probes, *last]:
        assert series.at(day) == reference_at(ordered, day)
    assert all(a != b for a, b in zip(series.values, series.values[1:], strict=False))  # no repeated steps
    assert list(series.dates) == sorted(series.dates)
    assert bisect.bisect_left(series.dates, series.dates[0]) == 0


# ---- (b) garbage overrides never escape as anything but ScenarioError --------------------------------------

NASTY = [
    "", "~", "null", "[]", "{}", "[1, 2", "{a: 1", "*alias", "&a [*a]", "!!python/object:os.system ls",
    "!!python/name:os.system", "!!float abc", "!!int 1.5", "!!bool maybe", "!!timestamp soon", "!!binary ***",
    "2023-02-30", "2023-13-01", "2023-02-29", "9999-12-31", "0001-01-01", "2023-01-01 25:00:00",
    "{2023-02-30: 1}", "{2030-01-01: 0.1}", "{2022-06-01 10:00:00: 0.1}", "{2023-9-1: 0.1}", "{x: 1, 2023-01-01: 2}",
    ".inf", "-.inf", ".nan", "1e400", "1.0e+400", "-1", "-0.0", "1" * 400, "0x1F", "0o17", "1_000", "190:20:30",
    "yes", "no", "on", "unlimited", "wait", "special", "\x00", "\x07", "\ufeff", "é", "'", '"', "|\n  text",
    ">-", "? a", "- a\n- b", "a: b: c", "<<: *x", "{<<: [1]}", "[" * 300, "{a: " * 50, "%YAML 1.1\n---\n1",
    "--- 1\n--- 2", "{? [1]: 2}", "[[1, 2], [3, 4]]", "{value: 1, source: s}", "{value: {2023-01-01: 1}}",
]


@FEW
@given(st.sampled_from(PATHS), st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers().map(str),
    st.floats().map(yaml_scalar),
    st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=5) | st.dates(),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5) | st.dates(), c, max_size=3),
                 max_leaves=6).map(yaml_scalar),
))
def test_garbage_overrides_raise_only_scenario_error(path: str, value: str) -> None:
    try:
        load_scenario(MINIMAL, [f"{path}={value}"])
    except ScenarioError as exc:
        assert exc.problems
        assert all(p.message for p in exc.problems)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.0123456789[]= -", max_size=40), st.sampled_from(NASTY[:20]))
def test_garbage_override_paths_raise_only_scenario_error(path: str, value: str) -> None:
    try:
        load_scenario(MINIMAL, [f"{path}={value}"])
    except ScenarioError as exc:
        assert exc.problems


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(sorted(load_scenario(BASE).specs)), st.sampled_from(NASTY))
def test_garbage_overrides_on_the_base_scenario(path: str, value: str) -> None:
    with contextlib.suppress(ScenarioError):
        load_scenario(BASE, [f"{path}={value}"])


# ---- (c) probabilities --------------------------------------------------------------------------------------


@FEW
@given(st.sampled_from(FREE_PROBABILITIES), probabilities)
def test_probabilities_in_range_are_accepted(path: str, p: float) -> None:
    s = load_scenario(MINIMAL, [f"{path}={yaml_scalar(p)}"])
    assert s.value(path) == p


@FEW
@given(st.sampled_from(FREE_PROBABILITIES), st.one_of(
    st.floats(max_value=-1e-300, allow_infinity=False), st.floats(min_value=1.0000000001, allow_infinity=False),
    st.sampled_from([".nan", ".inf", "-.inf", "yes", "'0.5'", "50%"]),
))
def test_probabilities_out_of_range_are_rejected(path: str, p: float | str) -> None:
    text = p if isinstance(p, str) else yaml_scalar(p)
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINIMAL, [f"{path}={text}"])
    assert path in str(info.value)
    assert "probability between 0 and 1" in str(info.value)


# ---- (d) neutral changes are the identity --------------------------------------------------------------------


@FEW
@given(
    st.sampled_from(NUMERIC_DATED),
    st.sampled_from([("multiply", 1.0), ("add", 0.0), ("multiply", 1), ("add", 0)]),
    dates_in_period,
    st.one_of(st.none(), st.integers(1, 400)),
    st.integers(0, 36),
)
def test_multiply_by_one_and_add_zero_change_nothing(
    path: str, op: tuple[str, float], start: dt.date, days: int | None, ramp: int
) -> None:
    end = None if days is None else start + dt.timedelta(days=days)
    iv = Intervention(name="neutral", condition=None, description="", source="", start=start, end=end,
                      ramp_months=ramp, order=None, changes=(Change(path, op[0], op[1], None),), file="", line=None)
    out = apply_interventions(SCENARIO.base_params, SCENARIO.specs, [iv])
    assert out == dict(SCENARIO.base_params)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["assessment", "decision.refusal_probability", "demand.request_rate_per_10k_0_18",
                        "placement.capacity", "costs.uplift"]),
       st.sampled_from(["{multiply: 1}", "{add: 0}", "{multiply: 1.0}"]), st.integers(0, 12))
def test_neutral_interventions_through_the_loader(prefix: str, change: str, ramp: int) -> None:
    item = f"[{{name: neutral, start: 2023-01-01, ramp_months: {ramp}, changes: {{{prefix}: {change}}}}}]"
    s = load_scenario(MINIMAL, [f"interventions={item}"])
    assert len(s.interventions) == 1
    assert dict(s.params) == dict(s.base_params) == dict(SCENARIO.base_params)


# ---- (e) merging: restating the parent changes nothing; chains compose ----------------------------------------

MINIMAL_DATA = yaml.safe_load(MINIMAL.read_text())
BASE_DATA = yaml.safe_load(BASE.read_text())


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("merge")


def _restate(data: dict, keys: list[str], parent: Path, path: Path, extra: str = "") -> Path:
    body = yaml.safe_dump({k: data[k] for k in keys}, sort_keys=False, allow_unicode=True)
    path.write_text(f"extends: {parent}\n" + (body if keys else "") + extra)
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(MINIMAL_DATA)), unique=True))
def test_child_restating_minimal_has_the_same_fingerprint(workdir: Path, keys: list[str]) -> None:
    child = _restate(MINIMAL_DATA, keys, MINIMAL, workdir / "restate_minimal.yaml")
    assert load_scenario(child).fingerprint == SCENARIO.fingerprint


BASE_FINGERPRINT = load_scenario(BASE).fingerprint


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(BASE_DATA)), unique=True),
       st.lists(st.integers(0, len(BASE_DATA["interventions"]) - 1), unique=True, max_size=5))
def test_child_restating_base_has_the_same_fingerprint(workdir: Path, keys: list[str], some: list[int]) -> None:
    data = dict(BASE_DATA)
    if "interventions" in keys:  # restate some of the interventions only: they replace theirs in place
        data["interventions"] = [BASE_DATA["interventions"][i] for i in sorted(some)]
    child = _restate(data, keys, BASE, workdir / "restate_base.yaml")
    assert load_scenario(child).fingerprint == BASE_FINGERPRINT


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FREE_PROBABILITIES), probabilities, st.sampled_from(FREE_PROBABILITIES), probabilities)
def test_extends_chains_compose(workdir: Path, path_a: str, a: float, path_b: str, b: float) -> None:
    def nested(path: str, value: float) -> dict:
        out: dict = {}
        node = out
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
        return out

    def deep_merge(x: dict, y: dict) -> dict:
        out = dict(x)
        for k, v in y.items():
            out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    first = workdir / "chain_1.yaml"
    first.write_text(f"extends: {MINIMAL}\n" + yaml.safe_dump(nested(path_a, a)))
    second = workdir / "chain_2.yaml"
    second.write_text(f"extends: {first}\n" + yaml.safe_dump(nested(path_b, b)))
    together = workdir / "chain_together.yaml"
    together.write_text(f"extends: {MINIMAL}\n" + yaml.safe_dump(deep_merge(nested(path_a, a), nested(path_b, b))))
    chained, flat = load_scenario(second), load_scenario(together)
    assert chained.fingerprint == flat.fingerprint
    assert chained.value(path_b) == b
    if path_a != path_b:
        assert chained.value(path_a) == a
    overridden = load_scenario(MINIMAL, [f"{path_a}={yaml_scalar(a)}", f"{path_b}={yaml_scalar(b)}"])
    assert overridden.fingerprint == flat.fingerprint
    assert not math.isnan(chained.value(path_b))
