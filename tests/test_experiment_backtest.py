"""The back-test: the scenario it builds (inputs from before the cut-off only), the comparison tables (exact on
hand-made results), and the command end to end on a few replications."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from svsim.cli import main
from svsim.data.dfe import Observed, read_observed
from svsim.domain import AGE_BANDS, SETTINGS
from svsim.experiment.backtest import build_backtest_scenario, compare
from svsim.experiment.replications import ReplicationResult
from svsim.scenario.observed import rake, third_thursday_of_january

ROOT = Path(__file__).resolve().parents[1]
DATA, BASE = ROOT / "data" / "dfe", ROOT / "scenarios" / "base.yaml"


def test_census_day_is_the_third_thursday():
    assert third_thursday_of_january(2022) == dt.date(2022, 1, 20)
    assert third_thursday_of_january(2021) == dt.date(2021, 1, 21)


def test_request_growth_is_the_log_trend_of_comparable_years():
    from svsim.scenario.observed import request_growth

    tenfold = {2016: 1000.0, 2017: 5000.0, 2018: 100.0, 2019: 110.0, 2020: 121.0}
    assert request_growth(tenfold, 2020)[0] == pytest.approx(0.10)  # 2016-2017 (the transition) left out
    # a spike in the last year moves a least-squares line less than the ratio of the end years
    spiky = {2018: 100.0, 2019: 100.0, 2020: 100.0, 2021: 130.0}
    assert 0 < request_growth(spiky, 2021)[0] < (130 / 100) ** (1 / 3) - 1
    assert request_growth({2020: 100.0}, 2020)[0] == 0.05  # too few years: the stated assumption
    assert request_growth({2019: 100.0, 2020: 200.0}, 2020)[0] == 0.15  # bounded


def test_move_in_rate_from_the_stock_and_flow_residuals_before_the_cutoff():
    from svsim.scenario.observed import move_in_rate

    obs = Observed("Test", census_total={2018: 90.0, 2019: 100.0, 2020: 110.0, 2021: 125.0, 2022: 999.0},
                   flows={"new_plans": {2018: 5.0, 2019: 20.0, 2020: 20.0, 2021: 20.0},
                          "ceased": {2018: 5.0, 2019: 12.0, 2020: 10.0, 2021: 10.0}})
    # 2019: 110 - 100 - 20 + 12 = 2; 2020: 125 - 110 - 20 + 10 = 5; 2018 is before the comparable years, 2021's
    # residual needs the January 2022 census, after the cut-off
    assert move_in_rate(obs, 2021, "test")["value"] == pytest.approx(7 / 210, abs=1e-4)


def test_rake_meets_both_margins():
    fitted = rake({"a": {"x": 1.0, "y": 1.0}, "b": {"x": 1.0, "y": 0.0}}, {"a": 10, "b": 5}, {"x": 9, "y": 6})
    assert fitted["b"]["y"] == 0.0
    assert sum(fitted["a"].values()) == pytest.approx(10) and fitted["a"]["x"] + fitted["b"]["x"] == pytest.approx(9)


def test_backtest_scenario_uses_only_figures_before_the_cutoff(tmp_path):
    setup = build_backtest_scenario(BASE, DATA, 2021, tmp_path)
    s = setup.scenario
    assert s.census_date == dt.date(2021, 1, 21) and s.start == dt.date(2021, 4, 1)
    assert sum(float(s.value(f"start_state.caseload_by_age_band.{b}")) for b in AGE_BANDS) == 15281
    assert sum(float(s.value(f"start_state.caseload_by_setting.{x}")) for x in SETTINGS) == 15281
    assert float(s.value("decision.refusal_probability.age_5_10")) == pytest.approx(822 / 3255, abs=1e-4)
    assert float(s.value("assessment.not_issue_probability.under_5")) == pytest.approx(295 / 2343, abs=1e-4)
    assert not s.interventions
    for b in AGE_BANDS:  # each age band's mix still sums to 1
        assert sum(float(s.value(f"placement.new_plan_mix.{b}.{x}")) for x in SETTINGS) == pytest.approx(1)
    text = setup.overlay_path.read_text()
    assert "&id" not in text  # no YAML anchors
    assert any(p.startswith("annual_review.cease_probability") for p, _ in setup.leaks)  # set against 2022: listed


def test_backtest_staff_capacities_follow_the_workload_before_the_cutoff(tmp_path):
    """The base's officers were set against its own year's assessments (2022) and its reviews a month against its
    own caseload: the back-test keeps those ratios at the cut-off's workload (2020 assessments, January 2021 plans)."""
    from svsim.scenario import load_scenario

    base = load_scenario(BASE)
    s = build_backtest_scenario(BASE, DATA, 2021, tmp_path).scenario
    officers = float(base.series("assessment.officers_fte").first)
    path = s.series("assessment.officers_fte")  # grown with the request rate, from 2020's workload
    growth = (3255 / 2868) ** 0.5  # the request rate's: Kent's compound growth of requests 2018-2020
    assert float(path.at(dt.date(2021, 1, 21))) == pytest.approx(officers * 2343 / 2710 * growth, abs=0.05)
    assert float(path.at(dt.date(2022, 6, 1))) == pytest.approx(officers * 2343 / 2710 * growth ** 2, abs=0.05)
    for key, now, then in (("open_requests", 3255, 3669), ("open_assessments", 2343, 2710)):  # 2020 / 2022
        assert float(s.value(f"start_state.{key}")) == round(float(base.value(f"start_state.{key}")) * now / then)
    reviews = float(base.series("annual_review.reviews_per_month").first)
    assert float(s.value("annual_review.reviews_per_month")) == pytest.approx(reviews * 15281 / 17733, abs=0.5)


def test_calibration_window_takes_its_own_flows_and_no_draws(tmp_path):
    """Calibrating from January 2020 to January 2021: calendar 2020 is inside the window, so its published flows set
    demand and decisions, and the forecast-uncertainty draws start after the last census fitted to."""
    s = build_backtest_scenario(BASE, DATA, 2020, tmp_path, end=dt.date(2021, 3, 31), flows_year=2020,
                                observed_until=dt.date(2021, 1, 21)).scenario
    assert float(s.value("decision.refusal_probability.age_5_10")) == pytest.approx(822 / 3255, abs=1e-4)
    assert s.value("horizon.last_observed") == dt.date(2021, 1, 21)
    (tmp_path / "x").mkdir()
    early = build_backtest_scenario(BASE, DATA, 2020, tmp_path / "x", end=dt.date(2021, 3, 31)).scenario
    assert float(early.value("decision.refusal_probability.age_5_10")) == pytest.approx(827 / 2992, abs=1e-4)


def _result(census: dict[int, float], flows: dict[str, dict[int, float]]) -> ReplicationResult:
    arrays = {}
    for year, total in census.items():
        a = np.zeros((len(SETTINGS), len(AGE_BANDS)))
        a[0, 1] = total  # all in mainstream, age 5-10
        arrays[year] = a
    return ReplicationResult(replication=0, seed=0, money=(), placement_spend_gbp_m={}, other_lines_gbp_m={},
                             plan_years={}, census=arrays, kpis={}, month_starts=(), monthly_plans=np.zeros(0),
                             calendar_flows=flows, flow_coverage={y: 1.0 for y in (2021, 2022)})


def test_compare_against_hand_computed_errors_and_baselines():
    obs = Observed("Test", census_total={2018: 70.0, 2019: 80.0, 2020: 90.0, 2021: 100.0, 2022: 120.0},
                   census_groups={y: {"mainstream": v, "resourced_provision": 0.0, "state_special": 0.0,
                                      "independent_and_non_maintained_special": 0.0, "further_education": 0.0,
                                      "educated_elsewhere": 0.0, "neet_and_awaiting_provision": 0.0}
                                  for y, v in {2021: 100.0, 2022: 120.0}.items()},
                   flows={"requests": {2019: 10.0, 2020: 20.0, 2021: 40.0}})
    results = [_result({2021: 100, 2022: 110 + k}, {"requests": {2021: 30.0 + k}}) for k in (-1, 0, 1)]
    tables = compare(results, obs, 2021)
    t = tables["backtest"].set_index(["measure", "group", "year"])
    row = t.loc[("census_total", "total", 2022)]
    assert row.simulated == 110 and row.error == -10 and row.pct_error == pytest.approx(-100 / 12)
    assert row.carry_forward_value == 100 and row.trend_value == pytest.approx(110)  # 70, 80, 90, 100 -> 110
    req = t.loc[("requests", "", 2021)]
    assert req.simulated == 30 and req.carry_forward_value == 20 and req.trend_value == pytest.approx(30)
    mix = tables["mix"].set_index("year").loc[2022]
    assert mix.svsim_mix_error == pytest.approx(10 / 120) and mix.carry_forward_mix_error == pytest.approx(20 / 120)
    summary = tables["summary"].set_index(["measure", "group"])
    assert summary.loc[("requests", ""), "svsim_mape"] == pytest.approx(25.0)


def test_backtest_command_writes_its_folder(tmp_path):
    result = CliRunner().invoke(main, ["backtest", str(BASE), "--observed", str(DATA), "--from", "2021", "-n", "2",
                                       "-w", "1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert {"backtest.csv", "backtest_summary.csv", "backtest_mix.csv", "backtest.png", "backtest_leaks.csv",
            "backtest_inputs.csv", "flows.csv", "census_dfe.csv", "manifest.json"} <= {p.name for p in folder.iterdir()}
    table = pd.read_csv(folder / "backtest.csv", keep_default_na=False, na_values=[""])
    assert {"measure", "year", "simulated", "simulated_p10", "simulated_p90", "observed", "error",
            "pct_error"} <= set(table.columns)
    total = table[table.measure == "census_total"]
    assert list(total.year) == [2022, 2023]
    # a sanity bound, not a fit: the forecast of January 2023 from January 2021 lands within 15% of the census
    assert (total.pct_error.abs() < 15).all()
    kent = read_observed(DATA, "Kent")
    assert total[total.year == 2023].observed.item() == kent.census_total[2023]
    inputs = pd.read_csv(folder / "backtest_inputs.csv", keep_default_na=False)
    origin = dict(zip(inputs.parameter, inputs.origin, strict=False))
    assert origin["start_state.caseload_by_age_band.*"] == "published before the cut-off"
    assert origin["assessment.weeks_to_assess"] == "cites the cut-off year or later"  # set against 2022 timeliness
    assert origin["annual_review.moves.*"] == "cites the cut-off year or later"  # the Report, May 2023


def test_bad_observed_folder_exits_2_without_a_folder(tmp_path):
    result = CliRunner().invoke(main, ["backtest", str(BASE), "--observed", str(tmp_path / "nope"),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no such folder" in result.output
    assert not (tmp_path / "out").exists()
