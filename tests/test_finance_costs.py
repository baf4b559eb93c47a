"""Placement costs on hand-computed cases: plan-days x daily cost, uplifts, leap years, the £6k threshold, NHS share."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from svsim.domain import SETTINGS
from svsim.experiment.synthetic import history_from_stays
from svsim.finance.costs import (
    days_in_financial_year,
    expected_min_lognormal,
    mainstream_topup_gbp,
    other_lines_gbp_m,
    placement_spend,
    price_index,
    yearly_costs,
)
from svsim.model.history import BAND_INDEX, SETTING_INDEX
from svsim.scenario import ScenarioError, Series, load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"
D = dt.date
START, END = D(2022, 4, 1), D(2025, 3, 31)


@pytest.fixture(scope="module")
def plain():
    """Kent's base without interventions, no uplifts, no NHS share, age factor 1: costs equal the unit costs."""
    s = load_scenario(BASE).with_interventions([])
    changed = {f"costs.uplift.{k}": Series.constant(0.0) for k in SETTINGS}
    changed |= {f"costs.nhs_share.{k}": Series.constant(0.0) for k in SETTINGS}
    return s.with_base_params(changed)


def with_(scenario, **params):
    return scenario.with_base_params(
        {k.replace("__", "."): v if isinstance(v, Series) else Series.constant(v) for k, v in params.items()}
    )


def spend(scenario, stays, fy):
    return placement_spend(history_from_stays(START, END, stays), scenario).spend_gbp[fy].sum()


def test_days_in_financial_year():
    assert days_in_financial_year(2022) == 365
    assert days_in_financial_year(2023) == 366  # 29 February 2024
    assert days_in_financial_year(2024) == 365


def test_one_child_full_year_costs_the_unit_cost(plain):
    s = with_(plain, costs__unit_cost_gbp_per_year__special=22800.0)
    stays = [("special", "age_11_15", D(2022, 4, 1), D(2023, 4, 1))]
    assert spend(s, stays, 2022) == pytest.approx(22800.0, rel=1e-12)
    assert spend(s, stays, 2023) == 0.0


def test_one_day_costs_a_365th(plain):
    s = with_(plain, costs__unit_cost_gbp_per_year__independent=36500.0)
    stays = [("independent", "age_5_10", D(2022, 6, 1), D(2022, 6, 2))]
    assert spend(s, stays, 2022) == pytest.approx(100.0, rel=1e-12)


def test_mid_year_move_between_two_settings(plain):
    s = with_(plain, costs__unit_cost_gbp_per_year__special=36500.0, costs__unit_cost_gbp_per_year__independent=73000.0)
    move = D(2022, 9, 1)  # 153 days in special (April-August), 212 in independent
    stays = [("special", "age_11_15", START, move), ("independent", "age_11_15", move, D(2023, 4, 1))]
    ps = placement_spend(history_from_stays(START, END, stays), s)
    assert ps.plan_days[2022][SETTING_INDEX["special"], BAND_INDEX["age_11_15"]] == 153
    assert ps.plan_days[2022][SETTING_INDEX["independent"], BAND_INDEX["age_11_15"]] == 212
    assert ps.by_setting_gbp_m(2022)["special"] * 1e6 == pytest.approx(153 * 100.0)
    assert ps.by_setting_gbp_m(2022)["independent"] * 1e6 == pytest.approx(212 * 200.0)
    assert ps.total_gbp_m(2022) * 1e6 == pytest.approx(153 * 100.0 + 212 * 200.0)


def test_uplift_applies_from_1_april_and_compounds(plain):
    uplift = Series.from_pairs([(D(2022, 1, 1), 0.02), (D(2023, 4, 1), 0.05), (D(2023, 9, 1), 0.10),
                                (D(2024, 4, 1), 0.03)])
    s = with_(plain, costs__unit_cost_gbp_per_year__special=20000.0, costs__uplift__special=uplift)
    # 2022-23 is the price base year: its own uplift (0.02) is already in the base prices.
    assert price_index(s, "special", 2022) == 1.0
    # the 10% in force from September 2023 is not the one in force on 1 April 2023 or 1 April 2024
    assert price_index(s, "special", 2023) == pytest.approx(1.05)
    assert price_index(s, "special", 2024) == pytest.approx(1.05 * 1.03)
    assert price_index(s, "special", 2021) == pytest.approx(1 / 1.02)
    stays = [("special", "age_5_10", START, D(2025, 4, 1))]
    assert spend(s, stays, 2022) == pytest.approx(20000.0)
    assert spend(s, stays, 2023) == pytest.approx(21000.0)  # a full year (366 days in 2023-24) costs the year's cost
    assert spend(s, stays, 2024) == pytest.approx(21000.0 * 1.03)


def test_leap_year_day_costs_a_366th(plain):
    s = with_(plain, costs__unit_cost_gbp_per_year__special=36600.0)
    one_day = [("special", "age_5_10", D(2024, 2, 29), D(2024, 3, 1))]
    assert spend(s, one_day, 2023) == pytest.approx(100.0)
    full = [("special", "age_5_10", D(2023, 4, 1), D(2024, 4, 1))]
    assert spend(s, full, 2023) == pytest.approx(36600.0)


def test_cost_parameter_change_applies_from_its_day(plain):
    cost = Series.from_pairs([(D(2022, 1, 1), 36500.0), (D(2022, 10, 1), 73000.0)])
    s = with_(plain, costs__unit_cost_gbp_per_year__special=cost)
    stays = [("special", "age_5_10", START, D(2023, 4, 1))]
    assert spend(s, stays, 2022) == pytest.approx(183 * 100.0 + 182 * 200.0)


def test_nhs_share_reduces_hnb_cost(plain):
    s = with_(plain, costs__unit_cost_gbp_per_year__independent=50000.0, costs__nhs_share__independent=0.25)
    stays = [("independent", "age_11_15", START, D(2023, 4, 1))]
    assert spend(s, stays, 2022) == pytest.approx(37500.0)


def test_age_band_cost_factor(plain):
    s = with_(plain, costs__unit_cost_gbp_per_year__post16=10000.0, costs__age_band_cost_factor__age_20_25=1.5)
    stays = [("post16", "age_20_25", START, D(2023, 4, 1)), ("post16", "age_16_19", START, D(2023, 4, 1))]
    assert spend(s, stays, 2022) == pytest.approx(15000.0 + 10000.0)


def test_mainstream_plan_costs_the_top_up(plain):
    s = with_(plain, costs__mainstream__support_cost_gbp_mean=13000.0, costs__mainstream__support_cost_cv=0.6,
              costs__mainstream__threshold_gbp=6000.0, costs__mainstream__below_threshold_share_paid=0.15)
    stays = [("mainstream", "age_5_10", START, D(2023, 4, 1))]
    assert spend(s, stays, 2022) == pytest.approx(mainstream_topup_gbp(13000.0, 0.6, 6000.0, 0.15))


# ---- the £6k threshold: closed form --------------------------------------------------------------------------

def _lognormal(mean, cv):
    s2 = math.log1p(cv * cv)
    return math.log(mean) - s2 / 2, math.sqrt(s2)


@pytest.mark.parametrize(("mean", "cv", "threshold"), [(13000, 0.6, 6000), (8000, 1.2, 6000), (20000, 0.3, 9000)])
def test_expected_min_matches_numeric_integration(mean, cv, threshold):
    from scipy import integrate, stats

    mu, sigma = _lognormal(mean, cv)
    dist = stats.lognorm(s=sigma, scale=math.exp(mu))
    below, _ = integrate.quad(lambda x: x * dist.pdf(x), 0, threshold, limit=200)
    numeric = below + threshold * dist.sf(threshold)
    assert expected_min_lognormal(mean, cv, threshold) == pytest.approx(numeric, rel=1e-8)


def test_top_up_matches_monte_carlo():
    mean, cv, threshold, share = 13000.0, 0.6, 6000.0, 0.15
    mu, sigma = _lognormal(mean, cv)
    x = np.random.default_rng(20230615).lognormal(mu, sigma, 2_000_000)
    mc = np.maximum(0, x - threshold).mean() + share * np.minimum(x, threshold).mean()
    assert mainstream_topup_gbp(mean, cv, threshold, share) == pytest.approx(mc, rel=3e-3)


def test_top_up_limits_and_threshold_effect():
    m = 13000.0
    assert mainstream_topup_gbp(m, 0.6, 0.0, 0.0) == pytest.approx(m)  # no threshold: the HNB pays it all
    assert mainstream_topup_gbp(m, 0.6, 6000.0, 1.0) == pytest.approx(m)  # pays below the threshold too
    assert mainstream_topup_gbp(m, 0.0, 6000.0, 0.15) == pytest.approx(7000.0 + 0.15 * 6000.0)  # fixed cost
    assert mainstream_topup_gbp(5000.0, 0.0, 6000.0, 0.15) == pytest.approx(0.15 * 5000.0)
    costs = [mainstream_topup_gbp(m, 0.6, t, 0.15) for t in (4000, 6000, 8000, 10000)]
    assert all(a > b for a, b in zip(costs, costs[1:], strict=False))  # a higher threshold costs the HNB less
    assert mainstream_topup_gbp(m, 0.6, 6000, 0.075) < mainstream_topup_gbp(m, 0.6, 6000, 0.15)


def test_changing_the_threshold_changes_placement_spend(plain):
    stays = [("mainstream", "age_5_10", START, D(2023, 4, 1))]
    low = spend(with_(plain, costs__mainstream__threshold_gbp=6000.0), stays, 2022)
    high = spend(with_(plain, costs__mainstream__threshold_gbp=7000.0), stays, 2022)
    assert high < low


def test_yearly_costs_shape_and_zero_for_neet(plain):
    costs = yearly_costs(plain, D(2022, 4, 1))
    assert costs.shape == (7, 5)
    assert (costs[SETTING_INDEX["neet_awaiting"]] == 0).all()


def test_other_lines_take_the_value_in_force_on_1_april(plain):
    line = Series.from_pairs([(D(2022, 1, 1), 10.0), (D(2022, 10, 1), 20.0), (D(2023, 4, 1), 30.0)])
    s = with_(plain, costs__other_lines_gbp_m__direct_payments_and_other=line)
    assert other_lines_gbp_m(s, 2022)["direct_payments_and_other"] == 10.0
    assert other_lines_gbp_m(s, 2023)["direct_payments_and_other"] == 30.0


def test_bad_price_base_year_is_a_scenario_error(plain):
    s = with_(plain, costs__price_base_year="2022/23")
    with pytest.raises(ScenarioError, match="costs.price_base_year"):
        price_index(s, "special", 2023)
