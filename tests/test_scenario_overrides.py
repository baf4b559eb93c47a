"""What-ifs without copying: `--set` forms (groups, *=, +=, @DATE), warnings, patching inherited interventions by
name, and `rebalance:` for shares that must sum to 1."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.experiment.attribution import NotAttributable, plan_attribution
from svsim.scenario import ScenarioError, load_scenario
from svsim.scenario.overrides import closed_until, parse_overrides

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASE = SCENARIOS / "base.yaml"
REFUSAL = [f"decision.refusal_probability.{b}" for b in ("under_5", "age_5_10", "age_11_15", "age_16_19",
                                                          "age_20_25")]
REQUESTS = "demand.request_rate_per_10k_0_18"


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASE)


def write(tmp_path: Path, text: str, name: str = "child.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {BASE}\n" + text, encoding="utf-8")
    return path


def test_a_group_name_sets_every_parameter_in_it_and_warns_about_the_intervention_and_the_closed_year():
    s = load_scenario(BASE, ["decision.refusal_probability=0.4"])
    assert all(s.base_params[p].values == (0.4,) for p in REFUSAL)
    # the base's statutory-decisions intervention sets 0.33 from April 2023: the user is told
    assert s.params[REFUSAL[0]].at(dt.date(2022, 6, 1)) == 0.4
    assert s.params[REFUSAL[0]].at(dt.date(2024, 6, 1)) == pytest.approx(0.33)
    text = " ".join(map(str, s.warnings))
    assert "statutory-decisions" in text and "2023-04-01" in text
    assert "closed financial year" in text and "2022-23" in text


def test_the_closed_year_warning_suggests_a_form_that_works():
    """The suggested --set acts from the first open day: a date typed too early is replaced, not doubled, and a
    rebalance stays after the date; the suggestion itself is accepted without that warning."""
    from svsim.scenario.overrides import _dated

    assert _dated(f"{REQUESTS}*=1.1", dt.date(2023, 4, 1)) == f"{REQUESTS}*=1.1@2023-04-01"
    assert _dated(f"{REQUESTS}*=1.1@2022-06-01", dt.date(2023, 4, 1)) == f"{REQUESTS}*=1.1@2023-04-01"
    mix = "placement.new_plan_mix.age_5_10.mainstream=0.5 rebalance: special"
    assert _dated(mix, dt.date(2023, 4, 1)) == "placement.new_plan_mix.age_5_10.mainstream=0.5@2023-04-01 " \
        "rebalance: special"
    s = load_scenario(BASE, [f"{REQUESTS}*=1.1@2022-06-01"])
    text = " ".join(map(str, s.warnings))
    assert f"give the date it starts: --set '{REQUESTS}*=1.1@2023-04-01'" in text
    assert not [w for w in load_scenario(BASE, [f"{REQUESTS}*=1.1@2023-04-01"]).warnings
                if "closed financial year" in str(w)]


def test_scaling_and_shifting_act_on_every_dated_value(base):
    s = load_scenario(BASE, [f"{REQUESTS}*=1.1", "assessment.officers_fte+=10", "placement.capacity.special*=2"])
    before, after = base.base_params[REQUESTS], s.base_params[REQUESTS]
    assert after.dates == before.dates
    assert after.values == pytest.approx([v * 1.1 for v in before.values])
    assert s.value("assessment.officers_fte") == base.value("assessment.officers_fte") + 10
    assert s.value("placement.capacity.special") == 2 * base.value("placement.capacity.special")
    assert s.sources[REQUESTS].endswith(f"(then --set {REQUESTS}*=1.1)")


def test_from_a_date_keeps_the_closed_years_and_so_does_not_warn(base):
    s = load_scenario(BASE, [f"{REQUESTS}*=1.2@2023-04-01"])
    before, after = base.base_params[REQUESTS], s.base_params[REQUESTS]
    assert after.at(dt.date(2023, 3, 31)) == before.at(dt.date(2023, 3, 31))
    assert after.at(dt.date(2023, 4, 1)) == pytest.approx(1.2 * before.at(dt.date(2023, 4, 1)))
    assert after.at(dt.date(2027, 6, 1)) == pytest.approx(1.2 * before.at(dt.date(2027, 6, 1)))
    assert s.warnings == ()
    s = load_scenario(BASE, ["costs.mainstream.threshold_gbp=7000@2024-04-01"])
    assert s.value("costs.mainstream.threshold_gbp", dt.date(2024, 3, 31)) == 6000
    assert s.value("costs.mainstream.threshold_gbp", dt.date(2024, 4, 1)) == 7000
    assert s.warnings == ()


def test_unlimited_stays_unlimited_when_scaled():
    s = load_scenario(BASE, ["placement.capacity.srp=unlimited", "placement.capacity.srp*=0.5"])
    assert math.isinf(s.value("placement.capacity.srp"))


@pytest.mark.parametrize(("override", "expected"), [
    ("decision.refusal_probability*=5", "makes it 1.34: expected a probability"),
    ("demand.nothing*=2", "no parameter 'demand.nothing'"),
    (f"{REQUESTS}*=abc", "needs a number"),
    (f"{REQUESTS}*=1.1@2023-13-01", "is not a date"),
    ("start_state.open_requests*=2@2023-01-01", "fixed at the start"),
    ("placement.new_plan_mix.under_5.special*=0.5", "shares must sum to 1"),
    ("assessment.vacancy_rate=3@2024-04-01", "expected a probability"),
])
def test_bad_overrides_are_one_readable_message_naming_set(override, expected):
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASE, [override])
    assert len(err.value.problems) == 1
    assert err.value.problems[0].file == "--set"
    assert expected in str(err.value)


def test_parse_overrides_forms():
    a, b, c, d = parse_overrides(["x.y=1", f"{REQUESTS}*=1.5", "decision.appeal_probability+=0.1",
                                  "assessment.vacancy_rate=2@2024-01-01"])
    assert (a.op, b.op, c.op, d.op) == ("=", "*=", "+=", "=")
    assert d.since == dt.date(2024, 1, 1) and d.value == 2
    assert closed_until(dt.date(2023, 6, 15)) == dt.date(2023, 3, 31)
    assert closed_until(dt.date(2023, 3, 30)) == dt.date(2022, 3, 31)


def test_validate_prints_the_warnings_on_the_terminal():
    result = CliRunner().invoke(cli.main, ["validate", str(BASE), "--set", "assessment.vacancy_rate=0.2"])
    assert result.exit_code == 0
    assert "warning:" in result.output and "sen-recruitment" in result.output


def test_patching_an_inherited_intervention_by_name_changes_only_the_keys_given(tmp_path, base):
    path = write(tmp_path, "interventions:\n  - {name: new-special-school-1, start: 2026-09-01}\n")
    s = load_scenario(path)
    iv = next(i for i in s.interventions if i.name == "new-special-school-1")
    old = next(i for i in base.interventions if i.name == "new-special-school-1")
    assert iv.start == dt.date(2026, 9, 1) and iv.changes == old.changes and iv.order == old.order
    assert [i.name for i in s.interventions] == [i.name for i in base.interventions]


THIRD_SCHOOL = """\
name: stricter
title: Kent with stricter refusals from 2024
interventions:
  - {name: statutory-decisions, order: 1}
  - name: stricter
    start: 2024-04-01
    order: 2
    changes:
      decision.refusal_probability: {set: 0.40}
"""


def test_a_patched_order_lets_a_new_measure_follow_and_compare_still_attributes(tmp_path, base):
    path = write(tmp_path, THIRD_SCHOOL)
    s = load_scenario(path)
    assert s.params[REFUSAL[0]].at(dt.date(2023, 9, 1)) == pytest.approx(0.33)
    assert s.params[REFUSAL[0]].at(dt.date(2024, 9, 1)) == pytest.approx(0.40)
    plan = plan_attribution(base, s)  # differs only by the new measure: its saving can be attributed
    assert [p.interventions for p in plan.players] == [("stricter",)]
    # without the order patch the overlap is an error, as before
    with pytest.raises(ScenarioError, match="give both an 'order:'"):
        load_scenario(write(tmp_path, THIRD_SCHOOL.replace("  - {name: statutory-decisions, order: 1}\n", ""),
                            "no-order.yaml"))


def test_a_patched_start_is_a_different_measure_so_no_attribution_against_the_base(tmp_path, base):
    s = load_scenario(write(tmp_path, "interventions:\n  - {name: statutory-decisions, start: 2024-04-01}\n"))
    with pytest.raises(NotAttributable):
        plan_attribution(base, s)
    # but against the counterfactual without measures it is still attributed, by name
    unmitigated = load_scenario(SCENARIOS / "unmitigated.yaml")
    assert "statutory-decisions" in {m for p in plan_attribution(unmitigated, s).players for m in p.interventions}


REBALANCED = """\
interventions:
  - {name: early-years-review, order: 1}
  - name: fewer-special-under5
    start: 2024-04-01
    ramp_months: 4
    order: 2
    rebalance: mainstream
    changes:
      placement.new_plan_mix.under_5.special: {multiply: 0.5}
      placement.new_plan_mix.under_5.eotas: {set: 0.0}
"""


def test_rebalance_gives_the_difference_to_the_named_share_at_every_date(tmp_path, base):
    s = load_scenario(write(tmp_path, REBALANCED))
    mix = {k: s.params[f"placement.new_plan_mix.under_5.{k}"] for k in
           ("mainstream", "srp", "special", "independent", "post16", "eotas", "neet_awaiting")}
    dates = sorted({d for v in mix.values() for d in v.dates})
    for d in dates:
        assert sum(v.at(d) for v in mix.values()) == pytest.approx(1.0, abs=1e-9)
    day = dt.date(2025, 1, 1)
    assert mix["special"].at(day) == pytest.approx(0.5 * (0.3788 - 0.08))
    assert mix["eotas"].at(day) == 0.0
    assert mix["mainstream"].at(day) == pytest.approx(0.5318 + 0.08 + 0.5 * (0.3788 - 0.08) + 0.0235)
    assert mix["srp"].at(day) == base.params["placement.new_plan_mix.under_5.srp"].at(day)
    assert mix["mainstream"].at(dt.date(2023, 1, 1)) == 0.5318  # untouched before the measure


@pytest.mark.parametrize(("rebalance", "changes", "expected"), [
    ("mainstrem", "placement.new_plan_mix.under_5.special: {add: -0.1}", "did you mean 'mainstream'"),
    ("special", "placement.new_plan_mix.under_5.special: {add: -0.1}", "cannot also take up the difference"),
    ("mainstream", "assessment.vacancy_rate: {set: 0.1}", "nothing to rebalance"),
])
def test_rebalance_mistakes_are_reported(tmp_path, rebalance, changes, expected):
    text = (f"interventions:\n  - name: x\n    start: 2027-01-01\n    rebalance: {rebalance}\n"
            f"    changes:\n      {changes}\n")
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(write(tmp_path, text))


def test_run_records_the_warnings_in_the_manifest(tmp_path, monkeypatch):
    from svsim.experiment import executors, replications
    from svsim.outputs import charts
    from test_outputs_tables import fake_replicate  # noqa: I001 - a sibling test module

    monkeypatch.setattr(replications, "run_replication", fake_replicate)
    monkeypatch.setattr(executors, "default_workers", lambda: 1)
    monkeypatch.setattr(charts, "write_charts", lambda *args, **kwargs: [])
    result = CliRunner().invoke(cli.main, ["run", str(BASE), "--workers", "1", "--out", str(tmp_path), "-q",
                                           "--set", "decision.refusal_probability=0.4"])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert any("statutory-decisions" in w for w in manifest["scenario"]["warnings"])


def test_set_on_an_uncertainty_names_its_own_key():
    """The uncertainty key is a whole parameter path: `--set uncertainty.<path>.sigma` changes that entry's sigma and
    a mistake names `uncertainty.<path>.sigma`, not `uncertainty.demand.distribution` (issue 14)."""
    entry = f"uncertainty.{REQUESTS}"
    s = load_scenario(BASE, [f"{entry}.sigma=0.2"])
    (u,) = [u for u in s.uncertainty if u.path == REQUESTS]
    assert u.args["sigma"] == 0.2 and u.distribution == "lognormal"
    cases = [(f"{entry}.sigma=-1", f"{entry}.sigma: lognormal distribution: sigma must be greater than 0"),
             (f"{entry}.sigmaa=1", f"{entry}.sigmaa: unknown key 'sigmaa'"),
             (f"{entry}.sigma*=2", f"{entry}.sigma: *= acts on parameters"),
             ("uncertainty.assessment.officers_fte.sigma=0.1",
              "no uncertainty on assessment.officers_fte, so it has no sigma to change")]
    for override, expected in cases:
        with pytest.raises(ScenarioError) as err:
            load_scenario(BASE, [override])
        assert len(err.value.problems) == 1 and expected in str(err.value), (override, str(err.value))
        assert "uncertainty.demand.distribution" not in str(err.value)
    # a whole entry replaces the file's (a normal's arguments do not mix with the lognormal's median and sigma)
    s = load_scenario(BASE, [f"{entry}={{distribution: normal, mean: 1, sd: 0.05}}"])
    (u,) = [u for u in s.uncertainty if u.path == REQUESTS]
    assert (u.distribution, u.args) == ("normal", {"mean": 1, "sd": 0.05})


def test_set_with_rebalance_gives_the_difference_to_the_named_share(base):
    """`--set 'PATH... rebalance: KEY'` works like an intervention's `rebalance:`: the named share of each mix changed
    takes up the difference at every date, the mix still sums to 1, the other shares keep their values."""
    mix = "placement.new_plan_mix.under_5."
    day, before_start = dt.date(2026, 1, 1), dt.date(2023, 1, 1)
    old = {k: base.base_params[mix + k] for k in ("mainstream", "special", "srp")}
    s = load_scenario(BASE, [f"{mix}special*=0.5@2024-04-01 rebalance: mainstream"])
    new = s.base_params
    assert new[mix + "special"].at(day) == pytest.approx(0.5 * old["special"].at(day))
    assert new[mix + "mainstream"].at(day) == pytest.approx(old["mainstream"].at(day) + 0.5 * old["special"].at(day))
    assert new[mix + "mainstream"].at(before_start) == old["mainstream"].at(before_start)  # before @DATE: untouched
    assert new[mix + "srp"].at(day) == old["srp"].at(day)
    members = [p for p in new if p.startswith(mix)]
    assert sum(new[p].at(day) for p in members) == pytest.approx(1.0, abs=1e-9)
    assert "rebalance: mainstream" in s.sources[mix + "mainstream"]
    # `*` for one key: every age band's special share scaled, mainstream takes up the difference in each
    s = load_scenario(BASE, ["placement.new_plan_mix.*.special*=0.8 rebalance: mainstream"])
    for band in ("under_5", "age_5_10", "age_11_15", "age_16_19", "age_20_25"):
        was = {k: base.base_params[f"placement.new_plan_mix.{band}.{k}"].at(day) for k in ("mainstream", "special")}
        now = {k: s.base_params[f"placement.new_plan_mix.{band}.{k}"].at(day) for k in ("mainstream", "special")}
        assert now["special"] == pytest.approx(0.8 * was["special"])
        assert now["mainstream"] == pytest.approx(was["mainstream"] + 0.2 * was["special"])


@pytest.mark.parametrize(("override", "expected"), [
    ("placement.new_plan_mix.under_5.special*=0.5 rebalance: mainstrem", "did you mean 'mainstream'"),
    ("placement.new_plan_mix.under_5.special*=0.5 rebalance: special", "cannot also take up the difference"),
    ("assessment.vacancy_rate=0.1 rebalance: mainstream", "nothing to rebalance"),
    ("placement.new_plan_mix.under_5.special*=0.5 rebalance:", "expected the name of a share"),
    ("placement.new_plan_mix.under_5.mainstream=0.99 rebalance: special",
     "leaves placement.new_plan_mix.under_5.special -0.0"),
])
def test_set_rebalance_mistakes_are_one_message(override, expected):
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASE, [override])
    assert len(err.value.problems) == 1 and expected in str(err.value), str(err.value)
