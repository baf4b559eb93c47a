"""Assessment capacity as a dated path (issue 10, item 6) and the age requests are drawn at (item 7): the rules.

Small hand-checkable cases: the compiled capacity tables, the elastic places a queue opens, the officer's place
an assessment gives up after weeks_with_officer_max, and ages drawn at the expected plan date. The base's
figures (open cases in May 2023, timeliness, the under-5 band) are checked in tests/test_dynamics_directions.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from svsim.domain import AGE_BANDS, AGES
from svsim.model import simulate
from svsim.model.inputs import compile_inputs
from svsim.scenario.dated import Series


def each(keys, value) -> str:
    return "{" + ", ".join(f"{k}: {value}" for k in keys) + "}"


def short(sc, end: dt.date):
    """The scenario simulated to `end` only (its targets and measures beyond are simply not reached)."""
    return dataclasses.replace(sc, end=end)


def test_surge_officers_add_places_on_their_dates_only(kent_variant):
    """(posts x (1 - vacancy) + surge) x assessments each: 10 surge officers at 11 each add 110 places."""
    sc = kent_variant(interventions=False)
    surge = sc.with_base_params({"assessment.surge_officers_fte": Series.from_pairs(
        [(sc.census_date, 0.0), (dt.date(2024, 4, 1), 10.0), (dt.date(2025, 4, 1), 0.0)])})
    base, more = compile_inputs(sc), compile_inputs(surge)
    cal = base.cal
    inside, before, after = (cal.day_of(d) for d in (dt.date(2024, 10, 1), dt.date(2024, 3, 31), dt.date(2025, 4, 1)))
    per = sc.value("assessment.assessments_per_officer")
    assert more.assess_capacity[inside] - base.assess_capacity[inside] == pytest.approx(10 * per, abs=1)
    assert more.assess_capacity[before] == base.assess_capacity[before]
    assert more.assess_capacity[after] == base.assess_capacity[after]


def test_elastic_places_and_officer_limit_compile_to_neutral_defaults(kent_variant):
    """Elasticity 0 adds no place; weeks_with_officer_max 0 means the whole assessment (infinity)."""
    off = compile_inputs(kent_variant("assessment.capacity_elasticity=0", "assessment.weeks_with_officer_max=0",
                                      small=True, interventions=False))
    assert set(off.assess_elastic) == {0.0} and set(off.officer_days) == {float("inf")}
    on = compile_inputs(kent_variant("assessment.capacity_elasticity=0.2", "assessment.weeks_with_officer_max=20",
                                     "assessment.weeks_to_assess=30", small=True, interventions=False))
    assert all(k == pytest.approx(0.2 * 30 / 10) for k in on.assess_elastic)  # places per queued assessment
    assert set(on.officer_days) == {140.0}


@pytest.fixture(scope="module")
def overloaded(kent_variant):
    """Small Kent without measures and with 3 officers (28 places) against about 260 assessments a year of 30
    weeks: a queue builds from the start. One year with a fixed ceiling, with elastic places (elasticity 0.1 = 0.3
    places per queued assessment) and with officers' places held for at most 4 weeks."""
    common = ("assessment.officers_fte=3", "assessment.vacancy_rate=0.15", "assessment.weeks_to_assess=30")

    def run(*extra: str):
        sc = short(kent_variant(*common, *extra, small=True, interventions=False), dt.date(2023, 3, 31))
        return sc, compile_inputs(sc), simulate(sc, seed=3)

    return {
        "fixed": run("assessment.capacity_elasticity=0", "assessment.weeks_with_officer_max=0"),
        "elastic": run("assessment.capacity_elasticity=0.1", "assessment.weeks_with_officer_max=0"),
        "officer4": run("assessment.capacity_elasticity=0", "assessment.weeks_with_officer_max=4"),
    }


def test_a_fixed_ceiling_is_never_exceeded(overloaded):
    _, inp, h = overloaded["fixed"]
    cap = inp.assess_capacity[0]
    assert h.levels["assessment_queue"][3:].min() > 0, "the case needs a queue"
    assert h.levels["assessments_in_progress"].max() <= cap


def test_the_queue_opens_elastic_places(overloaded):
    """With a queue q, the places in use are cap + floor(k q) (k = elasticity x weeks_to_assess / 10 = 0.3), give
    or take the one place a single event moves; and the queue ends shorter than with the fixed ceiling."""
    _, inp, h = overloaded["elastic"]
    cap, k = inp.assess_capacity[0], inp.assess_elastic[0]
    q, running = h.levels["assessment_queue"], h.levels["assessments_in_progress"]
    busy = q > 0
    assert busy[3:].all()
    assert (running[busy] >= cap + np.floor(k * q[busy]) - 1).all()
    assert (running[busy] <= cap + k * (q[busy] + 1) + 1).all()
    assert running[busy].max() > cap + 5
    assert q[-1] < overloaded["fixed"][2].levels["assessment_queue"][-1]


def test_an_officer_gives_up_the_place_after_the_limit(overloaded):
    """With places held for at most 4 of the 30 weeks, each place starts about 52 / 3.9 = 13 assessments a year
    instead of 52 / 30 = 1.7: the officers start at least four times as many, and open assessments (with an
    officer or awaiting advice) exceed the places."""
    _, inp, fixed = overloaded["fixed"]
    _, _, limited = overloaded["officer4"]
    assert limited.flows["assessments_started"].sum() >= 4 * fixed.flows["assessments_started"].sum()
    assert limited.levels["assessments_in_progress"].max() > 2 * inp.assess_capacity[0]


def test_ages_drawn_at_the_expected_plan_date(kent_variant):
    """Every request for a child of academic age 4, exact times (6 + 30 weeks), no queue, no appeals: with the
    ages at the plan date every plan is an under-5 plan; with the ages at the request, the plans of requests made
    more than 36 weeks before a September (about 30% of them) are, the rest are issued at 5."""
    shares = "{" + ", ".join(f"{a}: {int(a == 4)}" for a in AGES) + "}"
    common = (
        f"demand.request_age_shares={shares}", "decision.weeks_to_decide_cv=0", "assessment.weeks_to_assess=30",
        "assessment.weeks_to_assess_cv=0", "assessment.officers_fte=1000", "decision.appeal_probability=0",
        "decision.rerequest_probability=0", "start_state.open_requests=0", "start_state.open_assessments=0",
    )
    under5 = {}
    for basis in ("request", "plan"):
        sc = short(kent_variant(*common, f"demand.request_age_shares_at={basis}", small=True, interventions=False),
                   dt.date(2024, 3, 31))
        placed = simulate(sc, seed=5).new_placements.sum(axis=(0, 1))
        under5[basis] = placed[AGE_BANDS.index("under_5")] / placed.sum()
    assert under5["plan"] == 1.0
    assert 0.15 < under5["request"] < 0.45


def test_ages_at_plan_hold_whatever_the_assessment_takes(kent_variant):
    """Every request for a child of academic age 5 at its plan, with Kent's spread of assessment times (cv 1.1 around
    30 weeks): with the ages at plan every first plan is issued at academic age 5 (the 5-10 band), however long the
    assessment takes. Dating the age by the *expected* plan date alone put the plans that came before the September
    the mean would have crossed at 4 (under 5): about a fifth of Kent's under-5 plans came a year too young
    (docs/dynamics.md, item 7)."""
    shares = "{" + ", ".join(f"{a}: {int(a == 5)}" for a in AGES) + "}"
    sc = short(kent_variant(
        f"demand.request_age_shares={shares}", "demand.request_age_shares_at=plan", "assessment.weeks_to_assess=30",
        "assessment.weeks_to_assess_cv=1.1", "assessment.officers_fte=1000", "decision.appeal_probability=0",
        "decision.rerequest_probability=0", "start_state.open_requests=0", "start_state.open_assessments=0",
        small=True, interventions=False), dt.date(2024, 3, 31))
    placed = simulate(sc, seed=5).new_placements.sum(axis=(0, 1))
    assert placed.sum() > 100
    assert placed[AGE_BANDS.index("age_5_10")] == placed.sum()


def test_ages_at_the_request_keep_the_request_year(kent_variant):
    """request_age_shares_at 'request' (the schema's default): the drawn age is the age on the request's day."""
    inp = compile_inputs(kent_variant("demand.request_age_shares_at=request", small=True, interventions=False))
    assert inp.age_year_of_day == inp.cal.year_of_day
    assert inp.open_age_years == (0, 0)
