"""Deficits, Safety Valve scoring and KPIs on hand-computed numbers."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from svsim.experiment.synthetic import history_from_stays
from svsim.finance.deficit import deficit_trajectory, financial_years
from svsim.finance.kpis import MEASURED, census_counts, census_date_in, kpi_values
from svsim.finance.scoring import AMBER, GREEN, RED, kpi_rag, p_within_profile, profile_rag, score_year
from svsim.model.history import BAND_INDEX, SETTING_INDEX
from svsim.scenario import Series, load_scenario
from svsim.scenario.schema import KPIS

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"
D = dt.date


@pytest.fixture(scope="module")
def money():
    """Kent's base with round money: allocation 300, transfer 10, other lines 40 (4 x 10), other blocks -5 then
    +5, council 10 a year, DfE 20 a year, opening 100."""
    s = load_scenario(BASE).with_interventions([])
    c = Series.constant
    changed = {f"costs.other_lines_gbp_m.{k}": c(10.0) for k in (
        "central_sen_services_and_therapies", "outreach_and_inclusion_services",
        "alternative_provision_and_hospital_education", "direct_payments_and_other")}
    changed |= {
        "income.hnb_allocation_gbp_m": Series.from_pairs([(D(2022, 1, 1), 300.0), (D(2023, 4, 1), 320.0)]),
        "income.schools_block_transfer_gbp_m": c(10.0),
        "income.other_blocks_in_year_gbp_m": Series.from_pairs([(D(2022, 1, 1), -5.0), (D(2023, 4, 1), 5.0),
                                                                 (D(2024, 4, 1), 0.0)]),
        "deficit.opening_accumulated_gbp_m": c(100.0),
        "deficit.council_contribution_gbp_m": c(10.0),
        "deficit.dfe_contribution_gbp_m": c(20.0),
    }
    return s.with_base_params(changed)


def test_financial_years_cover_the_horizon(money):
    assert financial_years(money) == [2022, 2023, 2024, 2025, 2026, 2027]


def test_deficit_trajectory_by_hand(money):
    spend = {2022: 300.0, 2023: 310.0, 2024: 280.0, 2025: 290.0, 2026: 290.0, 2027: 290.0}
    rows = deficit_trajectory(money, spend)
    y22, y23, y24 = rows[:3]
    # 2022-23: spend 300 + 40 other lines = 340; income 300 + 10 = 310; in-year +30
    assert y22.hnb_spend_gbp_m == pytest.approx(340.0)
    assert y22.hnb_income_gbp_m == pytest.approx(310.0)
    assert y22.in_year_deficit_gbp_m == pytest.approx(30.0)
    # accumulated = 100 + 30 - 5 (other blocks' surplus) - 10 (council) = 115; net of DfE: 115 - 20
    assert y22.accumulated_deficit_gbp_m == pytest.approx(115.0)
    assert y22.accumulated_deficit_net_of_dfe_gbp_m == pytest.approx(95.0)
    # 2023-24: in-year 310 + 40 - 330 = 20; accumulated 115 + 20 + 5 - 10 = 130; net 130 - 40
    assert y23.in_year_deficit_gbp_m == pytest.approx(20.0)
    assert y23.accumulated_deficit_gbp_m == pytest.approx(130.0)
    assert y23.accumulated_deficit_net_of_dfe_gbp_m == pytest.approx(90.0)
    # 2024-25: in-year 280 + 40 - 330 = -10 (a surplus); accumulated 130 - 10 + 0 - 10 = 110; net 110 - 60
    assert y24.in_year_deficit_gbp_m == pytest.approx(-10.0)
    assert y24.accumulated_deficit_gbp_m == pytest.approx(110.0)
    assert y24.accumulated_deficit_net_of_dfe_gbp_m == pytest.approx(50.0)


def test_deficit_trajectory_needs_every_year(money):
    with pytest.raises(ValueError, match="2027"):
        deficit_trajectory(money, {2022: 1.0, 2023: 1.0, 2024: 1.0, 2025: 1.0, 2026: 1.0})


# ---- Safety Valve RAG ---------------------------------------------------------------------------------------

def test_profile_rag_thresholds():
    assert profile_rag(117.5, 129.7, 0.025) == GREEN
    assert profile_rag(100.0, 100.0, 0.025) == GREEN  # on the profile is within it
    assert profile_rag(102.0, 100.0, 0.025) == AMBER
    assert profile_rag(102.5, 100.0, 0.025) == AMBER  # the edge of the tolerance is still amber
    assert profile_rag(102.6, 100.0, 0.025) == RED
    assert profile_rag(100.1, 100.0, 0.0) == RED


def test_p_within_profile():
    assert p_within_profile([90, 100, 110, 120], 100) == 0.5
    assert p_within_profile([90, 95], 100) == 1.0
    assert p_within_profile([101], 100) == 0.0
    assert math.isnan(p_within_profile([], 100))


def test_score_year_uses_the_median():
    score = score_year(2023, [150.0, 160.0, 157.0, 140.0, 170.0], 156.1, 0.025)
    assert score.forecast_gbp_m == 157.0
    assert score.variance_gbp_m == pytest.approx(0.9)  # forecast - profile
    assert score.rag == AMBER
    assert score.p_within_profile == pytest.approx(0.4)
    assert score.p10_gbp_m <= score.forecast_gbp_m <= score.p90_gbp_m
    assert score_year(2023, [150.0], None, 0.025).rag == ""


def test_kpi_rag_higher_is_better():
    assert kpi_rag(0.45, 0.42, "higher", 0.05) == GREEN
    assert kpi_rag(0.42, 0.42, "higher", 0.05) == GREEN
    assert kpi_rag(0.40, 0.42, "higher", 0.05) == AMBER  # 0.02 short, within 5% of 0.42 = 0.021
    assert kpi_rag(0.39, 0.42, "higher", 0.05) == RED


def test_kpi_rag_lower_is_better():
    assert kpi_rag(0.30, 0.36, "lower", 0.05) == GREEN
    assert kpi_rag(0.37, 0.36, "lower", 0.05) == AMBER  # 0.01 over, within 0.018
    assert kpi_rag(0.38, 0.36, "lower", 0.05) == RED
    assert kpi_rag(0.0, 0.0, "lower", 0.05) == GREEN
    assert kpi_rag(1.0, 0.0, "lower", 0.05) == RED


def test_kpi_rag_without_value_or_target():
    assert kpi_rag(math.nan, 0.4, "higher", 0.05) == ""
    assert kpi_rag(0.4, None, "higher", 0.05) == ""
    with pytest.raises(ValueError):
        kpi_rag(0.4, 0.4, "sideways", 0.05)


# ---- KPIs from a History --------------------------------------------------------------------------------------

def test_every_kpi_has_a_measurement_rule():
    assert set(MEASURED) == set(KPIS)


def test_kpis_from_a_hand_made_history(money):
    start, end = D(2022, 1, 20), D(2024, 3, 31)
    census = census_date_in(2023, money)
    assert census == D(2023, 1, 20)
    base = np.zeros((7, 5), dtype=int)
    s, b = SETTING_INDEX, BAND_INDEX
    base[s["mainstream"], b["age_5_10"]] = 30
    base[s["srp"], b["age_11_15"]] = 10
    base[s["special"], b["age_11_15"]] = 50
    base[s["independent"], b["age_11_15"]] = 10
    base[s["post16"], b["age_16_19"]] = 40
    base[s["special"], b["age_16_19"]] = 60
    # 5 more mainstream pupils from 1 January 2024: in the January 2024 census (2023-24), not in January 2023's
    stays = [("mainstream", "age_5_10", D(2024, 1, 1), D(2024, 3, 1))] * 5
    h = history_from_stays(
        start, end, stays, base=base,
        flows={"plans_issued": {D(2022, 5, 1): 60, D(2023, 2, 1): 40, D(2023, 5, 1): 10},
               "plans_issued_within_20_weeks": {D(2022, 5, 1): 30, D(2023, 2, 1): 10, D(2023, 5, 1): 10},
               "requests": {D(2022, 6, 1): 100}, "refusals": {D(2022, 6, 1): 25}},
        levels={"reviews_overdue": {D(2023, 3, 1): 40, D(2023, 4, 1): 999}, "waiting_for_place": {D(2023, 3, 1): 7}},
        moves=[(D(2022, 9, 1), "special", "mainstream", 2), (D(2023, 1, 1), "independent", "srp", 1),
               (D(2023, 4, 1), "special", "mainstream", 5), (D(2022, 9, 1), "mainstream", "special", 9)],
        new_placements=[(D(2022, 9, 1), "special", "under_5", 3), (D(2022, 9, 1), "independent", "under_5", 1),
                        (D(2022, 9, 1), "mainstream", "under_5", 6), (D(2022, 9, 1), "special", "age_5_10", 50)],
    )
    k = kpi_values(h, money, [2022, 2023])
    # school age (5-15) at the January 2023 census: mainstream 30 + SRP 10 of 100
    assert k["school_age_mainstream_share"][2022] == pytest.approx(40 / 100)
    assert k["school_age_mainstream_share"][2023] == pytest.approx(45 / 105)
    # the same without SRP and SEN units: mainstream 30 (35 in January 2024) of 100 (105)
    assert k["school_age_mainstream_excl_srp_share"][2022] == pytest.approx(30 / 100)
    assert k["school_age_mainstream_excl_srp_share"][2023] == pytest.approx(35 / 105)
    # 16-19: post-16 40 of 100 (special 60 is not mainstream or FE)
    assert k["post16_mainstream_fe_share"][2022] == pytest.approx(0.4)
    assert k["new_under_5_special_share"][2022] == pytest.approx(4 / 10)
    assert math.isnan(k["new_under_5_special_share"][2023])  # no new under-5 plans: no value
    assert k["issued_within_20_weeks_share"][2022] == pytest.approx(40 / 100)
    assert k["issued_within_20_weeks_share"][2023] == pytest.approx(1.0)
    assert k["new_plans"][2022] == 100
    assert k["refusal_share"][2022] == pytest.approx(0.25)  # of requests: this History has no decisions flow
    h.flows["decisions_to_assess"] = h.flows["requests"] * 0
    h.flows["decisions_to_assess"][h.month_index(D(2022, 7, 1))] = 50
    assert kpi_values(h, money, [2022])["refusal_share"][2022] == pytest.approx(25 / 75)
    assert k["reintegrations"][2022] == 3  # special->mainstream 2, independent->SRP 1; not mainstream->special
    assert k["reintegrations"][2023] == 5
    # 1 March 2023: 40 overdue of 200 plans that day (the 999 on 1 April belongs to the next year)
    assert k["reviews_overdue_share"][2022] == pytest.approx(40 / 200)
    assert k["waiting_for_place"][2022] == 7
    assert k["independent_placements"][2022] == 10


def test_census_counts_by_year(money):
    base = np.zeros((7, 5), dtype=int)
    base[SETTING_INDEX["special"], BAND_INDEX["age_5_10"]] = 3
    h = history_from_stays(D(2022, 1, 20), D(2024, 3, 31), [("srp", "under_5", D(2023, 1, 20), D(2023, 1, 21))],
                           base=base)
    census = census_counts(h, money)
    assert sorted(census) == [2022, 2023, 2024]
    assert census[2022].sum() == 3
    assert census[2023][SETTING_INDEX["srp"], BAND_INDEX["under_5"]] == 1
