"""Interventions resolve to the dated values the README promises, and never touch the base parameters.

Semantics (scenario/interventions.py): a change holds from `start` (inclusive) to `end` (exclusive), then the
parameter returns to its base; `ramp_months: n` applies k/n of the change from start + (k-1) months; overlapping
changes to one parameter need `order:` and then apply in ascending order.
"""

from __future__ import annotations

import copy
import datetime as dt
import textwrap
from pathlib import Path
from types import MappingProxyType

import pytest

from svsim.domain import AGE_BANDS
from svsim.scenario import Scenario, ScenarioError, Series, load_scenario
from svsim.scenario.interventions import add_months, apply_interventions

HERE = Path(__file__).parent
MINIMAL = HERE / "fixtures" / "scenarios" / "minimal.yaml"
BASE = HERE.parent / "scenarios" / "base.yaml"
D = dt.date
DAY = dt.timedelta(days=1)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def child(tmp_path: Path, body: str, name: str = "child.yaml", parent: Path = MINIMAL) -> Scenario:
    return load_scenario(write(tmp_path / name, f"extends: {parent}\n" + textwrap.dedent(body)))


def interventions(*items: str) -> str:
    return "interventions:\n" + "".join(textwrap.indent(textwrap.dedent(i), "  ") for i in items)


# ---- ramps, ends, mid-year -----------------------------------------------------------------------------


def test_ramp_applies_k_over_n_in_monthly_steps(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: hire
          start: 2023-01-15
          ramp_months: 4
          changes: {assessment.officers_fte: {add: 12}}
        """))
    v = lambda d: s.value("assessment.officers_fte", d)  # noqa: E731
    assert v(D(2023, 1, 14)) == 10
    assert v(D(2023, 1, 15)) == 13  # k=1: 1/4 of +12
    assert v(D(2023, 2, 14)) == 13
    assert v(D(2023, 2, 15)) == 16  # k=2
    assert v(D(2023, 3, 15)) == 19  # k=3
    assert v(D(2023, 4, 14)) == 19
    assert v(D(2023, 4, 15)) == 22  # k=4: the full change from start + 3 months
    assert v(D(2025, 3, 31)) == 22
    assert s.series("assessment.officers_fte").change_dates() == (
        D(2023, 1, 15), D(2023, 2, 15), D(2023, 3, 15), D(2023, 4, 15)
    )
    assert s.base_params["assessment.officers_fte"] == Series.constant(10.0)


def test_ramp_of_a_multiply_phases_in_the_factor_linearly(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: halve
          start: 2023-01-01
          ramp_months: 2
          changes: {assessment.vacancy_rate: {multiply: 0.5}}
        """))
    assert s.value("assessment.vacancy_rate", D(2023, 1, 1)) == pytest.approx(0.075)
    assert s.value("assessment.vacancy_rate", D(2023, 2, 1)) == pytest.approx(0.05)


def test_ramp_month_ends_clamp_to_the_last_day(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: hire
          start: 2023-01-31
          ramp_months: 3
          changes: {assessment.officers_fte: {add: 3}}
        """))
    assert s.series("assessment.officers_fte").change_dates() == (D(2023, 1, 31), D(2023, 2, 28), D(2023, 3, 31))
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)


def test_end_is_exclusive_and_the_value_reverts(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: surge
          start: 2023-01-01
          end: 2024-01-01
          changes: {assessment.vacancy_rate: {set: 0.3}}
        """))
    v = lambda d: s.value("assessment.vacancy_rate", d)  # noqa: E731
    assert v(D(2022, 12, 31)) == 0.1
    assert v(D(2023, 1, 1)) == 0.3
    assert v(D(2023, 12, 31)) == 0.3
    assert v(D(2024, 1, 1)) == 0.1


def test_end_during_a_ramp_cuts_it_short(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: hire
          start: 2023-01-01
          end: 2023-04-01
          ramp_months: 12
          changes: {assessment.officers_fte: {add: 12}}
        """))
    assert s.value("assessment.officers_fte", D(2023, 3, 31)) == 13  # 3/12 of +12
    assert s.value("assessment.officers_fte", D(2023, 4, 1)) == 10


def test_mid_year_change(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: autumn
          start: 2023-10-17
          changes: {income.hnb_allocation_gbp_m: {add: 5}}
        """))
    assert s.value("income.hnb_allocation_gbp_m", D(2023, 10, 16)) == 100
    assert s.value("income.hnb_allocation_gbp_m", D(2023, 10, 17)) == 105
    assert D(2023, 10, 17) in s.change_dates()


def test_multiply_follows_a_base_that_changes_over_time(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: fewer-requests
          start: 2022-06-01
          changes: {demand.request_rate_per_10k_0_18: {multiply: 0.9}}
        """))
    series = s.series("demand.request_rate_per_10k_0_18")
    assert series.dates == (D(2022, 1, 20), D(2022, 6, 1), D(2023, 4, 1), D(2024, 4, 1))
    assert series.values == pytest.approx((100.0, 90.0, 99.0, 108.0))
    assert series.at(D(2023, 3, 31)) == pytest.approx(90.0)


def test_intervention_starting_on_the_same_date_as_a_base_change(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: halve
          start: 2023-04-01
          end: 2024-04-01
          changes: {demand.request_rate_per_10k_0_18: {multiply: 0.5}}
        """))
    v = lambda d: s.value("demand.request_rate_per_10k_0_18", d)  # noqa: E731
    assert v(D(2023, 3, 31)) == 100.0
    assert v(D(2023, 4, 1)) == 55.0  # the new base value, halved, from the same day
    assert v(D(2024, 4, 1)) == 120.0  # the end coincides with the next base change: base resumes


def test_two_ordered_interventions_on_the_same_date(tmp_path: Path) -> None:
    s = child(tmp_path, interventions(
        """\
        - name: double
          start: 2023-04-01
          order: 2
          changes: {assessment.officers_fte: {multiply: 2}}
        """,
        """\
        - name: add-five
          start: 2023-04-01
          order: 1
          changes: {assessment.officers_fte: {add: 5}}
        """,
    ))
    assert s.value("assessment.officers_fte", D(2023, 3, 31)) == 10
    assert s.value("assessment.officers_fte", D(2023, 4, 1)) == 30  # (10 + 5) x 2: order 1 first


# ---- overlaps -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("order_add", "order_mul", "expected"), [(1, 2, 30.0), (2, 1, 25.0)])
def test_overlapping_interventions_apply_in_order(tmp_path: Path, order_add: int, order_mul: int,
                                                  expected: float) -> None:
    s = child(tmp_path, interventions(
        f"""\
        - name: double
          start: 2023-01-01
          end: 2024-01-01
          order: {order_mul}
          changes: {{assessment.officers_fte: {{multiply: 2}}}}
        """,
        f"""\
        - name: add-five
          start: 2023-06-01
          order: {order_add}
          changes: {{assessment.officers_fte: {{add: 5}}}}
        """,
    ))
    v = lambda d: s.value("assessment.officers_fte", d)  # noqa: E731
    assert v(D(2023, 1, 1)) == 20  # only the doubling
    assert v(D(2023, 6, 1)) == expected  # both
    assert v(D(2024, 1, 1)) == 15  # only the +5


def test_overlap_without_order_is_an_error_but_disjoint_dates_are_not(tmp_path: Path) -> None:
    a = """\
        - name: a
          start: 2023-01-01
          end: 2024-01-01
          changes: {assessment.officers_fte: {add: 1}}
        """
    b = """\
        - name: b
          start: {start}
          changes: {{assessment.officers_fte: {{add: 2}}}}
        """
    with pytest.raises(ScenarioError, match="overlap 'a'"):
        child(tmp_path, interventions(a, b.format(start="2023-12-31")))
    s = child(tmp_path, interventions(a, b.format(start="2024-01-01")))  # end is exclusive: no overlap
    assert s.value("assessment.officers_fte", D(2023, 12, 31)) == 11
    assert s.value("assessment.officers_fte", D(2024, 1, 1)) == 12


def test_same_order_on_overlapping_interventions_is_an_error(tmp_path: Path) -> None:
    item = """\
        - name: {name}
          start: 2023-01-01
          order: 1
          changes: {{assessment.officers_fte: {{add: 1}}}}
        """
    with pytest.raises(ScenarioError, match="different whole numbers"):
        child(tmp_path, interventions(item.format(name="a"), item.format(name="b")))


# ---- kinds of target ----------------------------------------------------------------------------------


def test_set_on_a_choice_parameter(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: wait-for-special
          start: 2024-01-01
          changes: {placement.fallback.special: {set: wait}}
        """))
    assert s.value("placement.fallback.special", D(2023, 12, 31)) == "independent"
    assert s.value("placement.fallback.special", D(2024, 1, 1)) == "wait"


@pytest.mark.parametrize(
    ("change", "ramp", "words"),
    [
        ("{set: nowhere}", 0, "one of:"),
        ("{multiply: 2}", 0, "only 'set'"),
        ("{set: wait}", 3, "ramp cannot phase in a non-numeric value"),
    ],
)
def test_bad_changes_to_a_choice_parameter(tmp_path: Path, change: str, ramp: int, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        child(tmp_path, interventions(f"""\
            - name: x
              start: 2024-01-01
              ramp_months: {ramp}
              changes: {{placement.fallback.special: {change}}}
            """))


def test_group_prefix_changes_every_leaf_under_it(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: stricter
          start: 2023-04-01
          changes: {decision.refusal_probability: {multiply: 1.5}}
        """))
    after = s.group("decision.refusal_probability")
    assert set(after) == set(AGE_BANDS)
    for band in AGE_BANDS:
        assert after[band].at(D(2023, 3, 31)) == 0.2
        assert after[band].at(D(2023, 4, 1)) == pytest.approx(0.3)
    assert [c.path for c in s.interventions[0].changes] == [f"decision.refusal_probability.{b}" for b in AGE_BANDS]


def test_group_prefix_and_one_of_its_leaves_in_one_intervention_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="again"):
        child(tmp_path, interventions("""\
            - name: twice
              start: 2023-04-01
              changes:
                decision.refusal_probability: {set: 0.3}
                decision.refusal_probability.under_5: {set: 0.4}
            """))


def test_capacity_set_from_unlimited_with_a_ramp_switches_at_the_end(tmp_path: Path) -> None:
    s = child(tmp_path, interventions("""\
        - name: cap-srp
          start: 2023-01-01
          ramp_months: 3
          changes: {placement.capacity.srp: {set: 200}}
        """))
    v = lambda d: s.value("placement.capacity.srp", d)  # noqa: E731
    assert v(D(2022, 12, 31)) == float("inf")
    assert v(D(2023, 2, 1)) == float("inf")
    assert v(D(2023, 3, 1)) == 200


# ---- extends: remove and override by name --------------------------------------------------------------


PARENT_INTERVENTIONS = interventions(
    """\
    - name: hire
      start: 2023-01-01
      changes: {assessment.officers_fte: {add: 5}}
    """,
    """\
    - name: fewer-vacancies
      start: 2023-06-01
      changes: {assessment.vacancy_rate: {set: 0.05}}
    """,
)


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    return write(tmp_path / "parent.yaml", f"extends: {MINIMAL}\n" + PARENT_INTERVENTIONS)


def test_remove_interventions_drops_an_inherited_one(tmp_path: Path, parent: Path) -> None:
    s = child(tmp_path, "remove_interventions: [hire]\n", parent=parent)
    assert [iv.name for iv in s.interventions] == ["fewer-vacancies"]
    assert s.value("assessment.officers_fte", D(2024, 1, 1)) == 10
    assert s.value("assessment.vacancy_rate", D(2024, 1, 1)) == 0.05


def test_remove_interventions_needs_a_parent(tmp_path: Path) -> None:
    path = write(tmp_path / "lonely.yaml", MINIMAL.read_text() + "remove_interventions: [hire]\n")
    with pytest.raises(ScenarioError, match="only a scenario that 'extends'"):
        load_scenario(path)


def test_an_intervention_with_an_inherited_name_replaces_it_in_place(tmp_path: Path, parent: Path) -> None:
    s = child(tmp_path, interventions(
        """\
        - name: hire
          start: 2024-01-01
          changes: {assessment.officers_fte: {add: 20}}
        """,
        """\
        - name: new-one
          start: 2024-06-01
          changes: {income.hnb_allocation_gbp_m: {add: 1}}
        """,
    ), parent=parent)
    assert [iv.name for iv in s.interventions] == ["hire", "fewer-vacancies", "new-one"]
    assert s.value("assessment.officers_fte", D(2023, 6, 1)) == 10  # the parent's +5 from 2023 is gone
    assert s.value("assessment.officers_fte", D(2024, 1, 1)) == 30


def test_a_child_without_interventions_inherits_them(tmp_path: Path, parent: Path) -> None:
    s = child(tmp_path, "title: child\n", parent=parent)
    assert [iv.name for iv in s.interventions] == ["hire", "fewer-vacancies"]


def test_a_child_interventions_block_that_is_not_a_list_is_reported(tmp_path: Path, parent: Path) -> None:
    with pytest.raises(ScenarioError, match="expected a list of interventions"):
        child(tmp_path, "interventions:\n  name: x\n  start: 2024-01-01\n", parent=parent)


# ---- the base is never mutated ------------------------------------------------------------------------


def test_params_leave_base_params_unchanged() -> None:
    s = load_scenario(BASE)
    before = copy.deepcopy(dict(s.base_params))
    after = s.params
    assert dict(s.base_params) == before
    assert after != s.base_params  # the interventions did change something
    assert isinstance(s.base_params, MappingProxyType) and isinstance(after, MappingProxyType)


def test_apply_interventions_leaves_its_input_equal_to_a_copy() -> None:
    s = load_scenario(BASE)
    params = dict(s.base_params)
    snapshot = copy.deepcopy(params)
    out = apply_interventions(params, s.specs, list(s.interventions))
    assert params == snapshot
    assert out is not params
    assert out != params


def test_loading_twice_gives_equal_fingerprints() -> None:
    a, b = load_scenario(BASE), load_scenario(BASE)
    assert a.fingerprint == b.fingerprint
    assert a.params == b.params
    assert a is not b


def test_with_interventions_subsets() -> None:
    s = load_scenario(BASE)
    names = [iv.name for iv in s.interventions]
    assert len(names) >= 2
    params_before = dict(s.params)
    none = s.with_interventions([])
    assert dict(none.params) == dict(s.base_params)
    assert none.fingerprint != s.fingerprint
    assert s.with_interventions(names).fingerprint == s.fingerprint
    for iv in s.interventions:
        one = s.with_interventions([iv.name])
        assert one.interventions == (iv,)
        assert s.with_interventions(iv.name).interventions == (iv,)  # a single name works too
        expected = apply_interventions(s.base_params, s.specs, [iv])
        assert dict(one.params) == expected
        touched = {c.path for c in iv.changes}
        assert all(one.params[p] == s.base_params[p] for p in s.base_params if p not in touched)
        assert any(one.params[p] != s.base_params[p] for p in touched)
    # The original is untouched by making variants.
    assert [iv.name for iv in s.interventions] == names
    assert dict(s.params) == params_before
    with pytest.raises(KeyError, match="no intervention named"):
        s.with_interventions(["no-such"])


def test_with_base_params_returns_a_new_scenario() -> None:
    s = load_scenario(MINIMAL)
    t = s.with_base_params({"assessment.officers_fte": Series.constant(99.0)})
    assert t.value("assessment.officers_fte") == 99
    assert s.value("assessment.officers_fte") == 10
    with pytest.raises(KeyError):
        s.with_base_params({"assessment.no_such": Series.constant(1.0)})
