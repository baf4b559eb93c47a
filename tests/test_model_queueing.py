"""Analytic checks: Little's law on steady-state stages, and an M/M/c assessment stage against Erlang C."""

from __future__ import annotations

import math

import numpy as np
import pytest

from svsim.domain import AGE_BANDS, SETTINGS
from svsim.model import simulate


def each(keys, value) -> str:
    return "{" + ", ".join(f"{k}: {value}" for k in keys) + "}"


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda / mu (a < c)."""
    top = a**c / math.factorial(c) / (1 - a / c)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# ---- Little's law -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def steady(kent_variant):
    """Small Kent with constant demand and no capacity limits (officers, reviews, places), run for 40 years."""
    sc = kent_variant(
        "horizon.end=2062-03-31", "population.age_0_18=35560", "demand.request_rate_per_10k_0_18=100",
        "assessment.officers_fte=40", "annual_review.reviews_per_month=unlimited",
        "placement.capacity.special=unlimited", "placement.capacity.srp=unlimited", small=True, interventions=False,
    )
    return sc, simulate(sc, seed=11, record_events=True)


def test_littles_law_for_decisions_and_assessments(steady):
    """Mean number in a stage = arrival rate into it x mean time in it (monthly snapshots after a year's warm-up).

    Tolerance 4%: about 480 snapshots of a stage holding about 40 (decisions) or 100 (assessments) people,
    correlated over a few weeks, give a standard error near 1%.
    """
    sc, h = steady
    keep = slice(12, len(h.month_starts) - 1)
    days = h.day_of(h.month_starts[-1]) - h.day_of(h.month_starts[12])
    requests_per_day = h.flows["requests"][keep].sum() / days
    started_per_day = h.flows["assessments_started"][keep].sum() / days
    decide = sc.value("decision.weeks_to_decide") * 7
    assess = sc.value("assessment.weeks_to_assess") * 7
    assert h.levels["assessment_queue"][keep].sum() == 0
    assert h.levels["open_requests"][keep].mean() == pytest.approx(requests_per_day * decide, rel=0.04)
    assert h.levels["assessments_in_progress"][keep].mean() == pytest.approx(started_per_day * assess, rel=0.04)


def test_caseload_is_the_sum_of_plan_durations(steady):
    """Little's law in its exact, finite form: the plan-days in the occupancy equal the days each plan was held
    (plans issued or moved in from another council)."""
    _, h = steady
    n_days = h.days
    issued = {pid: math.floor(t) + 1 for t, ev, pid, _ in h.events if ev in ("plan_issued", "moved_in")}
    ended = {pid: math.floor(t) + 1 for t, ev, pid, _ in h.events if ev == "ceased"}
    held = sum(ended.get(pid, n_days) - first for pid, first in issued.items())
    at_start = int(h.occupancy[0].sum())
    start_ended = [day for pid, day in ended.items() if pid not in issued]
    held += sum(start_ended) + (at_start - len(start_ended)) * n_days
    assert int(h.occupancy.sum(dtype=np.int64)) == held

    # in the steady state, stock = inflow x mean time held: plans issued in years 3 to 17 (all ended by year 40
    # but for a few very young ones, counted to the end) against the caseload in years 30 to 40. Tolerance 8%:
    # the cohort's inflow and mean duration (about 3,300 plans, durations with sd about 6 years) and the caseload
    # (which wanders by about 2% around its level) each carry 1.5% to 2% of noise.
    lo, hi = 365 * 3, 365 * 17
    cohort = [ended.get(p, n_days) - d for p, d in issued.items() if lo <= d < hi]
    inflow = len(cohort) / (hi - lo)
    assert h.occupancy[-3650:].sum(axis=(1, 2)).mean() == pytest.approx(inflow * np.mean(cohort), rel=0.08)


# ---- M/M/c ----------------------------------------------------------------------------------------------------------
LAMBDA_PER_WEEK, SERVERS, MEAN_SERVICE_WEEKS = 3.2, 4, 1.0


@pytest.fixture(scope="module")
def mmc(kent_variant):
    """Poisson requests at 3.2 a week, all assessed after exactly a week, by 4 officers with exponential
    one-week assessments; nobody ever gets a plan (so nothing else runs). 100 years, 8 replications."""
    rate = LAMBDA_PER_WEEK * 365.25 / 7  # per 10,000 residents a year, with 10,000 residents
    sc = kent_variant(
        "horizon.end=2122-03-31", f"start_state.caseload_by_age_band={each(AGE_BANDS, 0)}",
        f"start_state.caseload_by_setting={each(SETTINGS, 0)}", "start_state.open_requests=0",
        "start_state.open_assessments=0", "population.age_0_18=10000", f"demand.request_rate_per_10k_0_18={rate}",
        f"decision.refusal_probability={each(AGE_BANDS, 0)}", "decision.weeks_to_decide=1",
        "decision.weeks_to_decide_cv=0", f"assessment.officers_fte={SERVERS}", "assessment.vacancy_rate=0",
        "assessment.assessments_per_officer=1", f"assessment.weeks_to_assess={MEAN_SERVICE_WEEKS}",
        "assessment.weeks_to_assess_cv=1", f"assessment.not_issue_probability={each(AGE_BANDS, 1)}",
        interventions=False,
    )
    return [np.array(simulate(sc, seed=r).waits_weeks["assessment_queue"]) for r in range(8)]


def test_mmc_mean_wait_matches_erlang_c(mmc):
    """Mean wait for an officer = C(c, a) / (c mu - lambda) = 0.746 weeks here (utilisation 0.8).

    Tolerance 10%: the mean wait of one 100-year replication (about 16,700 assessments) varies by about 9% between
    replications (long busy periods make waits strongly correlated), so the mean of 8 has a standard error near
    3%; 10% is three standard errors. Over 24 replications the engine gave 0.98 +- 0.02 of the formula.
    """
    a = LAMBDA_PER_WEEK * MEAN_SERVICE_WEEKS
    expected = erlang_c(SERVERS, a) / (SERVERS / MEAN_SERVICE_WEEKS - LAMBDA_PER_WEEK)
    waits = np.concatenate(mmc)
    assert waits.size > 120_000
    assert waits.mean() == pytest.approx(expected, rel=0.10)


def test_mmc_probability_of_waiting_matches_erlang_c(mmc):
    """P(wait > 0) = C(4, 3.2) = 0.596; 3% tolerance (standard error about 1% over 8 replications)."""
    waits = np.concatenate(mmc)
    assert (waits > 0).mean() == pytest.approx(erlang_c(SERVERS, LAMBDA_PER_WEEK * MEAN_SERVICE_WEEKS), rel=0.03)
