"""Sensitivity analysis against known answers: a toy output that depends on two parameters analytically, evaluated
through the same code path as the simulation (design, applying values to the scenario, analysis); only the engine is
replaced by the formula."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.experiment import sensitivity, variants
from svsim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "fixtures" / "scenarios" / "minimal.yaml"
X1, X2 = "decision.appeal_probability", "decision.rerequest_probability"
PARAMETERS = f"""\
parameters:
  {X1}: {{low: 0.0, high: 1.0, apply: set, source: "test: uniform on [0, 1]"}}
  {X2}: {{low: 0.0, high: 1.0, apply: set, source: "test: uniform on [0, 1]"}}
"""


def toy(formula):
    """An engine stand-in: every year's 'deficit' is formula(x1, x2) of the scenario's values."""
    def deficits(scenario, seed, replication):
        n = len(variants.financial_years(scenario))
        day = dt.date(2024, 6, 1)  # factors act on the future (after horizon.last_observed), like uncertainty
        return np.full(n, formula(scenario.value(X1, day), scenario.value(X2, day)))
    return deficits


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(MINIMAL)


@pytest.fixture
def factors(tmp_path, scenario):
    path = tmp_path / "parameters.yaml"
    path.write_text(PARAMETERS, encoding="utf-8")
    return variants.read_parameters_file(path, scenario)


def _row(table, parameter):
    return table[(table["parameter"] == parameter) & (table["output"] == "accumulated_deficit_gbp_m")].iloc[0]


@pytest.mark.parametrize(("formula", "s1", "st"), [
    # Y = 4 x1 + 2 x2, x ~ U[0,1]: Var = (16 + 4)/12, so S1 = ST = 0.8 and 0.2
    (lambda a, b: 4 * a + 2 * b, (0.8, 0.2), (0.8, 0.2)),
    # Y = x1 x2: Var = 1/9 - 1/16 = 7/144, V1 = Var(x1/2) = 3/144: S1 = 3/7; ST = E[x2^2]/12 / Var = 4/7
    (lambda a, b: a * b, (3 / 7, 3 / 7), (4 / 7, 4 / 7)),
])
def test_sobol_indices_match_the_analytic_values_within_their_intervals(monkeypatch, scenario, factors, formula,
                                                                         s1, st):
    monkeypatch.setattr(variants, "accumulated_deficits", toy(formula))
    result = sensitivity.run_sensitivity(scenario, factors, "sobol", samples=1024, workers=1, seed=3)
    assert result.runs == 1024 * 4
    for parameter, want_s1, want_st in zip((X1, X2), s1, st, strict=True):
        row = _row(result.indices, parameter)
        assert row["S1_ci_low"] <= want_s1 <= row["S1_ci_high"], (parameter, row.to_dict())
        assert row["ST_ci_low"] <= want_st <= row["ST_ci_high"], (parameter, row.to_dict())
        assert row["S1_ci_high"] - row["S1_ci_low"] < 0.3  # the intervals say something


def test_oat_ranks_and_measures_the_swings(monkeypatch, scenario, factors):
    monkeypatch.setattr(variants, "accumulated_deficits", toy(lambda a, b: 4 * a + 2 * b))
    result = sensitivity.run_sensitivity(scenario, factors, "oat", replications=2, workers=1)
    assert result.points.shape == (5, 2)
    first, second = _row(result.indices, X1), _row(result.indices, X2)
    assert (first["rank"], second["rank"]) == (1, 2)
    assert first["swing"] == pytest.approx(4.0) and second["swing"] == pytest.approx(2.0)
    assert first["at_nominal"] == pytest.approx(3.0)
    import dataclasses

    from svsim.outputs.sensitivity import indices_text

    profile = np.full_like(result.profile, 100.0)  # a profile every run is within
    k = list(result.years).index(result.target_year)
    met = dataclasses.replace(result, profile=profile, indices=sensitivity.analyse(
        "oat", factors, result.points, result.deficits, profile, k))
    text = indices_text(met)
    assert f"1. {X1}" in text and f"2. {X2}" in text  # the deficit's ranking
    assert "100% at every point, so no parameter moves it over these ranges" in text


def test_morris_mu_star_is_the_slope_of_a_linear_output(monkeypatch, scenario, factors):
    monkeypatch.setattr(variants, "accumulated_deficits", toy(lambda a, b: 4 * a - 2 * b))
    result = sensitivity.run_sensitivity(scenario, factors, "morris", samples=8, workers=1)
    assert _row(result.indices, X1)["mu_star"] == pytest.approx(4.0)
    assert _row(result.indices, X2)["mu"] == pytest.approx(-2.0)
    assert _row(result.indices, X2)["sigma"] == pytest.approx(0.0, abs=1e-9)


def test_p_within_profile_is_the_share_of_replications_at_or_below_the_profile():
    deficits = np.array([[[1.0, 10.0], [1.0, 20.0], [1.0, 30.0], [1.0, 40.0]]])  # 1 point, 4 replications, 2 years
    out = sensitivity.outputs(deficits, np.array([5.0, 25.0]), 1)
    assert out["p_within_profile"][0] == 0.5
    assert out["accumulated_deficit_gbp_m"][0] == 25.0


def test_the_same_seed_gives_the_same_design_and_sobol_needs_a_power_of_two(factors):
    a = sensitivity.design_points("sobol", factors, samples=8, seed=1)
    assert np.array_equal(a, sensitivity.design_points("sobol", factors, samples=8, seed=1))
    with pytest.raises(ValueError, match="power of 2"):
        sensitivity.design_points("sobol", factors, samples=10)


def _plus(payload, item):
    return payload + item * item


def test_map_tasks_gives_the_same_results_in_item_order_whatever_the_workers():
    items = list(range(12))
    assert variants.map_tasks(_plus, 100, items, workers=2) == variants.map_tasks(_plus, 100, items, workers=1) \
        == [100 + i * i for i in items]


@pytest.mark.parametrize(("text", "expected"), [
    ("parameters:\n  decision.nothing: {low: 0, high: 1, source: x}\n", "no parameter 'decision.nothing'"),
    ("parameters:\n  decision.appeal_probability: {low: 1, high: 0, source: x}\n", "low < high"),
    ("parameters:\n  decision.appeal_probability: {low: 0, high: 1}\n", "needs a source"),
    ("parameters:\n  decision.appeal_probability: {low: 0, high: 1, apply: scale, source: x}\n", "one of"),
    ("nothing: 1\n", "expected 'parameters:'"),
])
def test_a_bad_parameters_file_is_one_readable_message(tmp_path, scenario, text, expected):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=expected) as err:
        variants.read_parameters_file(path, scenario)
    assert str(path) in str(err.value)


def test_factors_from_the_uncertainty_section_cover_its_distributions():
    kent = load_scenario(ROOT / "scenarios" / "base.yaml")
    factors = {f.path: f for f in variants.factors_from_uncertainty(kent)}
    assert set(factors) == {u.path for u in kent.uncertainty}
    demand = factors["demand.request_rate_per_10k_0_18"]  # lognormal(1, 0.08): 5th-95th percentile
    assert demand.low == pytest.approx(np.exp(-1.6449 * 0.08), rel=1e-4)
    assert demand.nominal == pytest.approx(1.0)
    assert factors["assessment.not_issue_probability"].low == 0.8  # uniform: its whole range


def test_cli_writes_a_results_folder_and_refuses_bad_input(monkeypatch, tmp_path):
    monkeypatch.setattr(variants, "accumulated_deficits", toy(lambda a, b: 4 * a + 2 * b))
    params = tmp_path / "p.yaml"
    params.write_text(PARAMETERS, encoding="utf-8")
    out = tmp_path / "out"
    run = CliRunner().invoke(cli.main, ["sensitivity", str(MINIMAL), "--parameters", str(params), "-m", "sobol",
                                        "-N", "16", "-w", "1", "--out", str(out), "-q"])
    assert run.exit_code == 0, run.output
    assert "S1 0." in run.output
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    assert {"indices.csv", "points.csv", "manifest.json", "sobol_accumulated_deficit_gbp_m.png"} <= \
        {p.name for p in folder.iterdir()}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["runs"] == 16 * 4 and manifest["parameters"][0]["source"]
    bad = CliRunner().invoke(cli.main, ["sensitivity", str(MINIMAL), "--target-year", "2030-31", "-q"])
    assert bad.exit_code == 2 and "not a year the scenario reports" in bad.output
    none = CliRunner().invoke(cli.main, ["sensitivity", str(MINIMAL), "-q"])
    assert none.exit_code == 2 and "no parameters to analyse" in none.output


def test_points_differing_only_in_money_share_a_simulation_with_the_same_numbers(scenario, tmp_path):
    """Saltelli's design changes one column at a time: with a money-only factor (the engine never reads costs.),
    the points differing from another only in it are priced on that point's simulation. The deficits are identical
    to simulating every point (real engine, minimal scenario), with fewer simulations."""
    path = tmp_path / "p.yaml"
    path.write_text(f"""\
parameters:
  {X1}: {{low: 0.0, high: 0.5, apply: set, source: "test"}}
  costs.unit_cost_gbp_per_year.special: {{low: 0.5, high: 2.0, apply: multiply, source: "test"}}
""", encoding="utf-8")
    factors = variants.read_parameters_file(path, scenario)
    design = variants.Design(scenario, 3, factors=tuple(factors))
    assert design.money_only == (False, True)
    points = sensitivity.design_points("sobol", factors, samples=2)  # N(k+2) = 8 points: A, AB1, AB2, B twice
    groups = variants.simulation_groups(design, points, 1)
    # AB2 is A with another cost, B is AB1 with another cost: one simulation each pair
    assert [g for _, g in groups] == [(0, 2), (1, 3), (4, 6), (5, 7)]
    shared = variants.run_points(design, points, 1, workers=1)
    brute = variants.by_point([variants.evaluate(design, item) for item in variants.items(points, 1)], 8, 1)
    assert np.array_equal(shared, brute)
    assert not np.array_equal(shared[0], shared[2])  # AB2 (A with another special cost) is priced differently


def test_money_only_detection_is_complete_the_engine_reads_every_other_number(kent_variant):
    """Points that differ only in money-only values share a simulation because the engine never reads `costs.`,
    `income.` or `deficit.` parameters (attribution.MONEY_PREFIXES). Recorded on Kent's base: compile_inputs (the
    engine's only reader of a scenario) reads none of them, and every number it does not read is one of those or a
    report setting, so no other factor or lever could share a simulation by being unread."""
    from svsim.experiment.attribution import MONEY_PREFIXES
    from svsim.model.inputs import compile_inputs

    kent = kent_variant()
    reads: set[str] = set()

    class Recording:
        def series(self, path):  # noqa: ANN001, ANN202
            reads.add(path)
            return kent.series(path)

        def __getattr__(self, name):  # noqa: ANN001, ANN204
            return getattr(kent, name)

    compile_inputs(Recording())
    assert reads and not [p for p in reads if p.startswith(MONEY_PREFIXES)]
    numbers = [p for p, s in kent.params.items() if any(isinstance(v, int | float) and not isinstance(v, bool)
                                                        for v in s.values)]
    unread = {p for p in numbers if p not in reads and not p.startswith(MONEY_PREFIXES)}
    assert unread <= {"rag.amber_tolerance", "rag.kpi_amber_tolerance"}, unread
    money = [p for p in numbers if p.startswith(MONEY_PREFIXES)]
    assert len(money) > 20  # the rule is about many parameters, all of them unread
