"""Units, plausible ranges, warnings and safe `extends`: what the validator refuses, converts or warns about."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.scenario import ScenarioError, load_scenario
from svsim.scenario.spec import MONEY, Param
from svsim.scenario.tree import EXTENDS_ROOT_ENV
from svsim.scenario.units import convert, money_unit, plausibility
from svsim.scenario.yamlio import parse_yaml

HERE = Path(__file__).parent
BASE = HERE.parent / "scenarios" / "base.yaml"
BAD = HERE / "fixtures" / "bad_scenarios"


def _problems(*overrides: str) -> list[str]:
    try:
        load_scenario(BASE, overrides)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_money_units_are_converted_to_the_fields_unit() -> None:
    in_pounds = load_scenario(BASE, ["income.hnb_allocation_gbp_m={value: 318000000, unit: gbp}"])
    in_thousands = load_scenario(BASE, ["costs.unit_cost_gbp_per_year.special={value: 22.8, unit: '£k'}"])
    in_millions = load_scenario(BASE, ["costs.unit_cost_gbp_per_year.special={value: 0.0228, unit: gbp_m}"])
    assert in_pounds.value("income.hnb_allocation_gbp_m") == pytest.approx(318.0)
    assert in_thousands.value("costs.unit_cost_gbp_per_year.special") == pytest.approx(22_800)
    assert in_millions.value("costs.unit_cost_gbp_per_year.special") == pytest.approx(22_800)
    assert in_pounds.units["income.hnb_allocation_gbp_m"] == "gbp_m"  # recorded in the field's own unit
    dated = load_scenario(BASE, ["income.hnb_allocation_gbp_m={value: {2022-01-20: 318000000, 2024-04-01: "
                                 "342700000}, unit: gbp}"])
    assert dated.series("income.hnb_allocation_gbp_m").values == pytest.approx((318.0, 342.7))


def test_unit_helpers() -> None:
    assert money_unit("GBP m") == money_unit("£m") == money_unit("gbp_m") == "gbp_m"
    assert money_unit("pounds") == "gbp" and money_unit("furlongs") is None
    spec = Param(MONEY, "x", unit="gbp", limits=(100, 1000), usual=(200, 500))
    assert convert(2, "gbp_k", spec) == (2000.0, None)
    assert convert(2, "parsecs", spec)[1].startswith("unknown unit 'parsecs'")
    assert plausibility(spec, 300) == (None, None)
    assert plausibility(spec, 0) == (None, None)  # 0 is "none" and always allowed unless the field says not
    assert plausibility(spec, 150)[0] is None and "unusual" in plausibility(spec, 150)[1]
    assert "outside the possible range" in plausibility(spec, 5000)[0]


def test_values_in_the_usual_range_pass_and_unusual_ones_warn() -> None:
    ok = load_scenario(BASE, ["demand.request_rate_per_10k_0_18=150"])
    assert not [w for w in ok.warnings if "request_rate" in w.key_path and w.file != "--set"]
    odd = load_scenario(BASE, ["demand.request_rate_per_10k_0_18=900"])
    assert any(w.key_path == "demand.request_rate_per_10k_0_18" and "unusual" in w.message for w in odd.warnings)


def test_numbers_in_exponent_form_are_numbers() -> None:
    data = parse_yaml("a: 1e9\nb: -2.5E-3\nc: 12\nd: 1.5\ne: 1e\nf: 2023-01-01\n", "x")
    assert data["a"] == 1e9 and data["b"] == -0.0025 and data["c"] == 12 and data["e"] == "1e"
    message = " ".join(_problems("income.hnb_allocation_gbp_m=3.18e8"))
    assert "looks like pounds, not £m" in message  # read as a number, so its size can be judged


def test_back_filled_dated_value_warns_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "late.yaml"
    f.write_text(f"extends: {BASE}\nincome:\n  hnb_allocation_gbp_m:\n    2027-04-01: 318.0\n", encoding="utf-8")
    sc = load_scenario(f)
    [w] = [w for w in sc.warnings if w.key_path == "income.hnb_allocation_gbp_m"]
    assert w.line == 4 and "after the simulation starts (2022-01-20)" in w.message and "318" in w.message
    assert sc.value("income.hnb_allocation_gbp_m") == 318.0  # accepted: the value holds from the start


def test_an_intervention_over_a_set_value_warns() -> None:
    sc = load_scenario(BASE, ["assessment.vacancy_rate=0.2", "population.age_0_18=355600"])
    [w] = [w for w in sc.warnings if w.file == "--set" and "intervention" in w.message]
    assert w.key_path == "assessment.vacancy_rate=0.2"
    assert "sen-recruitment" in w.message and "your value" in w.message and "2023-09-01" in w.message


def test_clipped_uncertainty_warns() -> None:
    sc = load_scenario(BASE, ["uncertainty={decision.appeal_success_probability: {distribution: normal, mean: 1.0, "
                              "sd: 0.5, apply: multiply}}"])
    [w] = [w for w in sc.warnings if w.key_path.startswith("uncertainty.")]
    assert "clipped" in w.message and "decision.appeal_success_probability" in w.message
    quiet = load_scenario(BASE)
    assert not [w for w in quiet.warnings if w.key_path.startswith("uncertainty.")]


def test_allocation_out_of_scale_with_the_council_warns() -> None:
    sc = load_scenario(BASE, ["income.hnb_allocation_gbp_m=3000"])  # possible, but £8,400 a child
    assert any(w.key_path == "income.hnb_allocation_gbp_m" and "per resident aged 0-18" in w.message
               for w in sc.warnings)


def test_set_extends_is_refused() -> None:
    assert any("--set cannot change 'extends'" in p for p in _problems("extends=other.yaml"))


def test_extends_never_shows_another_files_content() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(BAD / "extends_not_yaml.yaml")
    secret = (BAD / "not_a_scenario.txt").read_text(encoding="utf-8").strip()
    assert secret not in str(err.value) and "not a scenario file" in str(err.value)


def test_extends_root_confines_what_may_be_extended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {BASE}\nname: child\n", encoding="utf-8")
    monkeypatch.setenv(EXTENDS_ROOT_ENV, str(tmp_path))
    with pytest.raises(ScenarioError, match="outside"):
        load_scenario(child)
    monkeypatch.setenv(EXTENDS_ROOT_ENV, str(BASE.parent))
    monkeypatch.chdir(tmp_path)
    assert load_scenario(child).name == "child"


def test_a_symlink_loop_is_a_clean_error(tmp_path: Path) -> None:
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("extends: a.yaml\nname: c\n", encoding="utf-8")
    for name in ("a.yaml", "c.yaml"):
        result = CliRunner().invoke(cli.main, ["validate", str(tmp_path / name)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and ("loop" in result.output or "not" in result.output)


def test_validate_prints_warnings_and_exit_status() -> None:
    ok = CliRunner().invoke(cli.main, ["validate", str(BASE), "--set", "assessment.vacancy_rate=0.2"])
    assert ok.exit_code == 0 and "warning: --set: assessment.vacancy_rate=0.2:" in ok.output
    bad = CliRunner().invoke(cli.main, ["validate", str(BAD / "money_pounds_in_gbp_m.yaml")])
    assert bad.exit_code == 2 and "looks like pounds" in bad.output


def test_compare_of_different_horizons_is_refused_before_running(tmp_path: Path) -> None:
    longer = tmp_path / "longer.yaml"
    longer.write_text(f"extends: {BASE}\nname: longer\nhorizon:\n  end: 2029-03-31\n", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["compare", str(BASE), str(longer), "-n", "2", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "differs from" in result.output and "same horizon" in result.output
    assert not (tmp_path / "o").exists()  # refused before anything ran or was written
