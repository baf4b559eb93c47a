"""Plan endings, moves in from other councils and routes into NEET (issue 10, items 1-3; docs/dynamics.md).

Rules by hand on Kent scaled down by ten with everything else switched off, a rate against its Poisson count, and
directions on common random numbers (replication i of two scenarios shares every child's draws). Small scenarios
and two replications keep this cheap; the Kent figures (2022 endings, the NEET stock) are in test_model_kent.py.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from svsim.domain import AGE_BANDS, SETTINGS
from svsim.experiment.replications import price_history
from svsim.model import simulate
from svsim.model.reviews import FACTOR_FROM_BAND, Reviews

NEET = SETTINGS.index("neet_awaiting")
QUIET = (
    # nothing but the census plans and their reviews: no requests, no moves away, no endings at transfers
    "demand.request_rate_per_10k_0_18=0", "start_state.open_requests=0", "start_state.open_assessments=0",
    "transitions.move_away_rate_per_year=0", "transitions.phase_transfer.year_12.cease_probability=0",
    "transitions.phase_transfer.post_19.cease_probability=0", "annual_review.moves={}",
)


def each(value) -> str:
    return "{" + ", ".join(f"{b}: {value}" for b in AGE_BANDS) + "}"


def test_the_setting_factor_applies_from_16_and_caps_at_one():
    """cease probability = band's x setting factor from the 16-19 band on, at most 1; below 16 the band's own."""
    reviews = Reviews.__new__(Reviews)
    reviews.quiet_cache = {}
    factor = tuple(20.0 if s == "neet_awaiting" else 1.0 for s in SETTINGS)
    cease = (0.01, 0.01, 0.01, 0.02, 0.06)
    probs, quiet = reviews._quiet_thresholds(cease, (None,) * len(SETTINGS), factor)
    n = len(SETTINGS)
    for b, pb in enumerate(cease):
        expected = min(1.0, pb * 20.0) if b >= FACTOR_FROM_BAND else pb
        assert probs[b * n + NEET] == pytest.approx(expected)
        assert probs[b * n + SETTINGS.index("special")] == pb
    assert probs[4 * n + NEET] == 1.0 and quiet[4 * n + NEET] > 1.0  # certain: always the exact path


def test_the_backlog_team_only_takes_overdue_reviews_and_ends_them(kent_variant):
    """Ordinary capacity 0 and a team of 30 a month with overdue_cease_probability 1 (ordinary 0): every review is
    the team's, was due at least a day before it was done, and ends the plan; the team never does more than 30 a
    month (plus at most one carried over)."""
    sc = kent_variant(*QUIET, f"annual_review.cease_probability={each(0)}", "annual_review.reviews_per_month=0",
                      "annual_review.backlog_team_reviews_per_month=30",
                      f"annual_review.overdue_cease_probability={each(1)}", small=True, interventions=False)
    h = simulate(sc, seed=3)
    done, ended = h.flows["reviews_completed"], h.flows["ceased_review"]
    assert done.sum() > 500
    assert (h.flows["reviews_by_backlog_team"] == done).all() and (ended == done).all()
    assert done.max() <= 31
    assert min(h.waits_weeks["review_late"]) >= 1 / 7 - 1e-9


def test_the_backlog_team_is_idle_when_no_review_is_overdue(kent_variant):
    """With no review overdue at the census, unlimited ordinary reviews leave nothing overdue for a day, so a team
    that would end every plan ends none (with the census's overdue reviews it takes those on day 0)."""
    sc = kent_variant(*QUIET, f"annual_review.cease_probability={each(0)}", "annual_review.reviews_per_month=unlimited",
                      "start_state.reviews_overdue_share=0", "annual_review.backlog_team_reviews_per_month=1000",
                      f"annual_review.overdue_cease_probability={each(1)}", small=True, interventions=False)
    h = simulate(sc, seed=3)
    assert h.flows["reviews_completed"].sum() > 1000
    assert h.flows["reviews_by_backlog_team"].sum() == 0 and h.flows["ceased_review"].sum() == 0


def test_moves_in_arrive_at_their_rate_per_plan_held(kent_variant):
    """0.1 a year per plan held: the arrivals are a Poisson count with mean sum over days of 0.1 / 365 x plans
    held that day (the occupancy), within 3 standard errors; plans are conserved month by month with them."""
    sc = kent_variant(*QUIET, "transitions.move_in_rate_per_year=0.1", small=True, interventions=False)
    h = simulate(sc, seed=4)
    expected = 0.1 / 365 * float(h.occupancy.sum(axis=(1, 2)).sum())
    arrived = int(h.flows["moved_in"].sum())
    assert expected > 500
    assert abs(arrived - expected) < 3 * math.sqrt(expected)
    days = [max(h.day_of(m), 0) for m in h.month_starts]
    stock = [int(h.occupancy[d].sum()) for d in days]
    change = h.flows["plans_issued"] + h.flows["moved_in"] - h.flows["ceased"]
    assert all(stock[m] + change[m] == stock[m + 1] for m in range(len(days) - 1))


def test_moves_in_take_the_caseloads_settings(kent_variant):
    """Each arrival copies the age and setting of a plan drawn from the caseload: the arrivals' setting shares are
    the caseload's (over the run), within 4 points."""
    sc = kent_variant(*QUIET, "transitions.move_in_rate_per_year=0.2", "placement.capacity.special=unlimited",
                      "placement.capacity.srp=unlimited", small=True, interventions=False)
    h = simulate(sc, seed=5, record_events=True)
    settings = [detail for _, ev, _, detail in h.events if ev == "moved_in"]
    assert len(settings) > 1000
    caseload = h.occupancy.sum(axis=(0, 2)) / h.occupancy.sum()
    for s, share in zip(SETTINGS, caseload, strict=True):
        assert settings.count(s) / len(settings) == pytest.approx(share, abs=0.04), s


@pytest.fixture(scope="module")
def paired(kent_variant):
    """Replications 0-1 of small Kent as it is, with moves in at 0 and at 1% a year, and with twice the moves
    from further education into NEET (common random numbers)."""
    variants = {
        "base": kent_variant(small=True),
        "no_moves_in": kent_variant("transitions.move_in_rate_per_year=0", small=True),
        "moves_in_1pc": kent_variant("transitions.move_in_rate_per_year=0.01", small=True),
        "neet_x2": kent_variant("annual_review.moves.post16.neet_awaiting*=2", small=True),
    }
    return {k: (sc, [simulate(sc, seed=0, replication=r) for r in range(2)]) for k, sc in variants.items()}


def test_moves_in_raise_the_caseload_and_the_spend(paired):
    """1% a year against none: at least 0.5% more plans in January 2024 and more spend in 2024-25."""
    jan24 = dt.date(2024, 1, 18)
    (sc0, low), (sc1, high) = paired["no_moves_in"], paired["moves_in_1pc"]
    for a, b in zip(low, high, strict=True):
        assert b.census(jan24).sum() >= 1.005 * a.census(jan24).sum()
        spend_a = price_history(a, sc0)[0].total_gbp_m(2024)
        spend_b = price_history(b, sc1)[0].total_gbp_m(2024)
        assert spend_b > spend_a


def test_more_moves_into_neet_fill_neet(paired):
    """Twice the moves from further education into NEET: more plans in neet_awaiting in January 2025 (at least 5
    more in Kent at a tenth of its size, where the base's 0.055 moves about 18 a year)."""
    jan25 = dt.date(2025, 1, 16)
    base, more = paired["base"][1], paired["neet_x2"][1]
    gain = np.mean([m.census(jan25)[NEET].sum() - b.census(jan25)[NEET].sum()
                    for b, m in zip(base, more, strict=True)])
    assert gain >= 5
