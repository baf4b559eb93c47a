"""The cost of waiting and the backlog commitment, on hand-made Histories (finance/waiting.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from svsim.domain import SETTINGS
from svsim.experiment.replications import price_history
from svsim.experiment.synthetic import history_from_stays, month_starts
from svsim.finance.costs import yearly_costs
from svsim.finance.waiting import waiting_by_year
from svsim.model.history import BAND_INDEX, SETTING_INDEX
from svsim.scenario import Series, load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"
D = dt.date
START, END = D(2022, 4, 1), D(2028, 3, 31)
YEARS = [2022, 2023, 2024, 2025, 2026, 2027]


@pytest.fixture(scope="module")
def kent():
    """Kent's base without interventions, waiting priced at round figures."""
    s = load_scenario(BASE).with_interventions([])
    c = Series.constant
    return s.with_base_params({
        "costs.waiting.decision_gbp_per_year": c(1000.0),
        "costs.waiting.assessment_gbp_per_year": c(2000.0),
        "costs.waiting.place_gbp_per_year": c(20000.0),
        "costs.waiting.appeal_gbp": c(5000.0),
    })


def every_month(value: float) -> dict[D, float]:
    return dict.fromkeys(month_starts(START, END), value)


def test_constant_queue_costs_its_child_days(kent):
    """100 children awaiting a decision all year: 365 x 100 child-days, 100 child-years x £1,000 = £0.1m in
    2022-23 (price index 1); in 2023-24 the eotas uplift of 4.3% applies."""
    h = history_from_stays(START, END, levels={"open_requests": every_month(100)})
    w = waiting_by_year(h, kent, YEARS)
    assert w[2022].child_days["decision"] == pytest.approx(36500.0)
    assert w[2022].child_days["assessment"] == 0.0
    assert w[2022].waiting_spend_gbp_m == pytest.approx(0.1)
    assert w[2023].child_days["decision"] == pytest.approx(36600.0)  # 2023-24 holds 29 February 2024
    assert w[2023].waiting_spend_gbp_m == pytest.approx(0.1 * 1.043 * 366 / 366)
    assert w[2022].waiting_at_year_end == {"decision": 100.0, "assessment": 0.0, "place": 0.0}


def test_trapezoid_rule_on_a_queue_that_appears(kent):
    """Assessments level 0 until 1 June 2022, 300 from 1 July: June counts (0 + 300) / 2 x 30 days; the queue and
    those in progress both count, at £2,000 a child-year."""
    levels = {"assessment_queue": {m: (100 if m >= D(2022, 7, 1) else 0) for m in month_starts(START, END)},
              "assessments_in_progress": {m: (200 if m >= D(2022, 7, 1) else 0) for m in month_starts(START, END)}}
    h = history_from_stays(START, END, levels=levels)
    w = waiting_by_year(h, kent, YEARS)[2022]
    days_from_july = (D(2023, 4, 1) - D(2022, 7, 1)).days
    expected = 150 * 30 + 300 * days_from_july
    assert w.child_days["assessment"] == pytest.approx(expected)
    assert w.waiting_spend_gbp_m == pytest.approx(expected / 365 * 2000 / 1e6)


def test_appeals_are_priced_per_appeal(kent):
    h = history_from_stays(START, END, flows={"appeals": {D(2022, 5, 3): 10, D(2023, 1, 9): 6}})
    w = waiting_by_year(h, kent, YEARS)[2022]
    assert w.appeals == 16
    assert w.appeals_spend_gbp_m == pytest.approx(16 * 5000 / 1e6)
    assert w.waiting_spend_gbp_m == pytest.approx(0.08)


def test_backlog_commitment_by_hand(kent):
    """At 1 April 2023: 100 requests, 60 + 40 assessments. In 2022-23: 70 decisions to assess, 30 refusals, 5 appeals
    won (p_assess = 75/100), 100 assessments completed, 80 plans (p_issue = 0.8), new plans all in special at 5-10.
    Commitment = (100 x 0.75 x 0.8 + 100 x 0.8) x the yearly cost of a special place at 5-10 = 140 x cost."""
    apr = D(2023, 4, 1)
    levels = {"open_requests": {apr: 100}, "assessment_queue": {apr: 60}, "assessments_in_progress": {apr: 40}}
    flows = {"decisions_to_assess": {D(2022, 6, 1): 70}, "refusals": {D(2022, 6, 1): 30},
             "appeals_won": {D(2022, 9, 1): 5}, "assessments_completed": {D(2022, 10, 1): 100},
             "plans_issued": {D(2022, 10, 1): 80}}
    h = history_from_stays(START, END, levels=levels, flows=flows,
                           new_placements=[(D(2022, 10, 1), "special", "age_5_10", 80)])
    w = waiting_by_year(h, kent, YEARS)[2022]
    cost = yearly_costs(kent, D(2023, 3, 31))[SETTING_INDEX["special"], BAND_INDEX["age_5_10"]]
    assert w.p_assess == pytest.approx(0.75)
    assert w.p_issue == pytest.approx(0.8)
    assert w.new_plan_cost_gbp == pytest.approx(cost)
    assert w.children_waiting == 200
    assert w.backlog_commitment_gbp_m == pytest.approx(140 * cost / 1e6)
    # nothing issued in 2023-24: the year's rates are 0 and so is the commitment of its (empty) queue
    assert waiting_by_year(h, kent, YEARS)[2023].backlog_commitment_gbp_m == 0.0


def test_new_plans_waiting_for_a_place_commit_the_place_their_wait_turns_into(kent):
    """In 2022-23 80 plans are issued: 60 in mainstream at 5-10 and 20 that wait for a full special school (placed in
    neet_awaiting, at £0, while they wait). 30 waits ended in a place and 10 expired (to the fallback, independent):
    the waiting plans commit 0.75 x special + 0.25 x independent each, not £0 (they did, which priced the plans the
    queue turns into ~£5k too low once special schools filled)."""
    apr = D(2023, 4, 1)
    flows = {"assessments_completed": {D(2022, 10, 1): 80}, "plans_issued": {D(2022, 10, 1): 80},
             "admitted_from_waiting": {D(2022, 11, 1): 30}, "wait_expired": {D(2023, 1, 1): 10}}
    h = history_from_stays(START, END, levels={"assessment_queue": {apr: 10}}, flows=flows,
                           new_placements=[(D(2022, 10, 1), "mainstream", "age_5_10", 60),
                                           (D(2022, 10, 1), "neet_awaiting", "age_5_10", 20)])
    waits = np.zeros_like(h.new_placements)
    waits[h.month_index(D(2022, 10, 1)), SETTING_INDEX["special"], BAND_INDEX["age_5_10"]] = 20
    h = dataclasses.replace(h, new_waits=waits)
    c = yearly_costs(kent, D(2023, 3, 31))[:, BAND_INDEX["age_5_10"]]
    ms, sp, ind = (c[SETTING_INDEX[k]] for k in ("mainstream", "special", "independent"))
    w = waiting_by_year(h, kent, YEARS)[2022]
    assert w.new_plan_cost_gbp == pytest.approx((60 * ms + 20 * (0.75 * sp + 0.25 * ind)) / 80)
    assert w.backlog_commitment_gbp_m == pytest.approx(10 * 1.0 * w.new_plan_cost_gbp / 1e6)
    # without the record of waits (older Histories) the plans count where they were placed, as before
    assert waiting_by_year(dataclasses.replace(h, new_waits=None), kent, YEARS)[2022].new_plan_cost_gbp == \
        pytest.approx(60 * ms / 80)


def test_queue_plans_beyond_a_years_find_full_settings_full(kent):
    """At 1 April 2023 400 assessments wait (p_issue 1); 2022-23 issued 100 plans, 50 mainstream, 30 SRP and 20
    special (5-10). The first 100 of the queue's plans are priced at the year's placements; the other 300 name the
    same mix (150 mainstream, 90 SRP, 60 special) but find what is left on 31 March: SRP has 40 free places (the
    other 50 fall back to special), special is full, so 60 + 50 go to its fallback, independent. Priced at the
    year's average instead, the 300 would cost 110 independent places less 50 SRP and 60 special places (about £3m)
    less: a queue longer than a year's plans does not find the places a year's plans found."""
    apr = D(2023, 4, 1)
    held = np.zeros((len(SETTINGS), 5), dtype=np.int32)
    held[SETTING_INDEX["special"], BAND_INDEX["age_11_15"]] = 6100  # placement.capacity.special
    held[SETTING_INDEX["srp"], BAND_INDEX["age_11_15"]] = 1460  # placement.capacity.srp 1,500: 40 free
    flows = {"assessments_completed": {D(2022, 10, 1): 100}, "plans_issued": {D(2022, 10, 1): 100}}
    h = history_from_stays(START, END, base=held, levels={"assessment_queue": {apr: 400}}, flows=flows,
                           new_placements=[(D(2022, 10, 1), "mainstream", "age_5_10", 50),
                                           (D(2022, 10, 1), "srp", "age_5_10", 30),
                                           (D(2022, 10, 1), "special", "age_5_10", 20)])
    c = yearly_costs(kent, D(2023, 3, 31))[:, BAND_INDEX["age_5_10"]]
    ms, srp, sp, ind = (c[SETTING_INDEX[k]] for k in ("mainstream", "srp", "special", "independent"))
    w = waiting_by_year(h, kent, YEARS)[2022]
    assert (w.queue_plans, w.year_plans) == (400, 100)
    assert w.new_plan_cost_gbp == pytest.approx((50 * ms + 30 * srp + 20 * sp) / 100)
    assert w.beyond_plan_cost_gbp == pytest.approx((150 * ms + 40 * srp + 110 * ind) / 300)
    assert w.backlog_commitment_gbp_m == pytest.approx((100 * w.new_plan_cost_gbp + 300 * w.beyond_plan_cost_gbp)
                                                       / 1e6)
    # with room everywhere (nobody held) the queue's plans beyond the year's cost what the year's did
    roomy = history_from_stays(START, END, levels={"assessment_queue": {apr: 400}}, flows=flows,
                               new_placements=[(D(2022, 10, 1), "mainstream", "age_5_10", 50),
                                               (D(2022, 10, 1), "srp", "age_5_10", 30),
                                               (D(2022, 10, 1), "special", "age_5_10", 20)])
    assert waiting_by_year(roomy, kent, YEARS)[2022].backlog_commitment_gbp_m == pytest.approx(
        400 * w.new_plan_cost_gbp / 1e6)


def test_children_waiting_for_a_place_commit_a_place(kent):
    """With fallback 'wait' for special, children waiting for a place at 31 March commit a special place each,
    costed at the plans' age mix in special on that day."""
    scenario = kent.with_base_params({"placement.fallback.special": Series.constant("wait")})
    base = np.zeros((len(SETTINGS), 5), dtype=np.int32)
    base[SETTING_INDEX["special"], BAND_INDEX["age_11_15"]] = 10
    h = history_from_stays(START, END, base=base, levels={"waiting_for_place": {D(2024, 4, 1): 7}})
    w = waiting_by_year(h, scenario, YEARS)[2023]
    cost = yearly_costs(scenario, D(2024, 3, 31))[SETTING_INDEX["special"], BAND_INDEX["age_11_15"]]
    assert w.waiting_at_year_end["place"] == 7
    assert w.backlog_commitment_gbp_m == pytest.approx(7 * cost / 1e6)
    # the base's timed wait (placement.max_wait_weeks.special, then independent) commits the same place
    assert waiting_by_year(h, kent, YEARS)[2023].backlog_commitment_gbp_m == pytest.approx(7 * cost / 1e6)
    # with neither a 'wait' fallback nor a timed wait nobody waits for a place: nothing is committed
    no_wait = kent.with_base_params({"placement.max_wait_weeks.special": Series.constant(0.0)})
    assert waiting_by_year(h, no_wait, YEARS)[2023].backlog_commitment_gbp_m == 0.0


def test_last_year_end_is_extrapolated(kent):
    """1 April 2028 is not simulated: the level after March 2028 continues the February-to-March change."""
    levels = {"open_requests": {D(2028, 2, 1): 100, D(2028, 3, 1): 130}}
    h = history_from_stays(START, END, levels=levels)
    w = waiting_by_year(h, kent, YEARS)[2027]
    assert w.waiting_at_year_end["decision"] == pytest.approx(160.0)
    # and never below zero
    h = history_from_stays(START, END, levels={"open_requests": {D(2028, 2, 1): 100, D(2028, 3, 1): 10}})
    assert waiting_by_year(h, kent, YEARS)[2027].waiting_at_year_end["decision"] == 0.0


def test_waiting_enters_the_deficit_and_the_backlog_sits_beside_it(kent):
    """Waiting spend is HNB spend (it moves the headline); the commitment only moves the incl-backlog measure."""
    apr = D(2023, 4, 1)
    quiet = history_from_stays(START, END)
    busy = history_from_stays(
        START, END, levels={"open_requests": every_month(100) | {apr: 100}},
        flows={"decisions_to_assess": {D(2022, 6, 1): 1}, "assessments_completed": {D(2022, 6, 1): 1},
               "plans_issued": {D(2022, 6, 1): 1}},
        new_placements=[(D(2022, 6, 1), "special", "age_5_10", 1)],
    )
    _, m0 = price_history(quiet, kent)
    _, m1 = price_history(busy, kent)
    y0, y1 = m0[0], m1[0]
    assert y1.waiting_spend_gbp_m == pytest.approx(0.1)
    assert y1.hnb_spend_gbp_m - y0.hnb_spend_gbp_m == pytest.approx(0.1)
    assert y1.accumulated_deficit_gbp_m - y0.accumulated_deficit_gbp_m == pytest.approx(0.1)
    cost = yearly_costs(kent, D(2023, 3, 31))[SETTING_INDEX["special"], BAND_INDEX["age_5_10"]]
    assert y1.backlog_commitment_gbp_m == pytest.approx(100 * cost / 1e6)
    assert y1.accumulated_deficit_incl_backlog_gbp_m == pytest.approx(
        y1.accumulated_deficit_gbp_m + y1.backlog_commitment_gbp_m)
    assert y1.children_waiting == 100
    assert y0.backlog_commitment_gbp_m == 0.0


def test_compare_text_shows_the_backlog_beside_the_headline():
    """svsim compare's terminal table gives the incl-backlog difference beside the accumulated-deficit difference."""
    import pandas as pd

    from svsim.outputs.compare import differences_text

    def row(measure: str, base: float, other: float) -> dict:
        diff = other - base
        return {"measure": measure, "financial_year": "2027-28", "other": "slow", "base_mean": base,
                "other_mean": other, "base_median": base, "other_median": other, "mean_difference": diff,
                "ci_low": diff - 1, "ci_high": diff + 1, "unpaired_ci_low": diff - 20, "unpaired_ci_high": diff + 20,
                "saving_gbp_m": -diff, "saving_ci_low": -diff - 1, "saving_ci_high": -diff + 1}

    rows = [row("accumulated_deficit_gbp_m", 100.0, 90.0), row("accumulated_deficit_incl_backlog_gbp_m", 110.0, 106.0)]
    text = differences_text(pd.DataFrame(rows), "base", 4)
    line = next(row for row in text.splitlines() if row.startswith("2027-28"))
    assert "incl. backlog" in text
    # savings (+ = lower deficit): 10 on the headline, only 4 once the backlog's deferred cost is counted
    assert float(line.split()[-1]) == 4.0 and float(line.split()[3]) == 10.0
