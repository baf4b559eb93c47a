"""Each Safety Valve measure in scenarios/base.yaml moves its own KPI and the money the way its description says.

All comparisons are on common random numbers: replication i of the base and of the base without one measure share
their seed, so the paired difference holds the measure's effect and little luck. Few replications keep this fast.
Every threshold is stated beside its assertion and sits well inside what the measure does today (the measured
sizes are in docs/dynamics.md, "Direction tests"). Measures the engine cannot honour yet are strict xfails naming the
missing mechanism (docs/dynamics.md), so they start failing loudly, as XPASS, the day the mechanism arrives.

Sign convention: `saving(name, ...)` = (base without the measure) - base, so + means the measure lowers the
measure's value (saves money, fewer children waiting, ...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from svsim.experiment.executors import Task, run_tasks
from svsim.scenario import load_scenario

BASE_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"
REPLICATIONS = 4
SEED = 0
LAST = 2027  # 2027-28, the last year of the Safety Valve profile
MEASURES = (
    "inclusion-in-mainstream", "early-years-review", "statutory-decisions", "sen-recruitment",
    "annual-review-backlog-team", "reintegration", "post16-pathways", "transition-charter", "new-special-school-1",
    "new-special-school-2", "six-k-threshold", "nhs-joint-funding",
)


@pytest.fixture(scope="module")
def runs():
    """Replications 0..REPLICATIONS-1 of the base and of the base without each measure (one pool for all)."""
    base = load_scenario(BASE_SCENARIO)
    names = [iv.name for iv in base.interventions]
    assert set(names) == set(MEASURES), "a measure was added to or removed from the base: give it a direction test"
    scenarios = {"base": base} | {n: base.with_interventions([m for m in names if m != n]) for n in names}
    tasks = [Task(k, r) for k in scenarios for r in range(REPLICATIONS)]
    flat = run_tasks(scenarios, tasks, SEED, workers=2)
    return {k: flat[i * REPLICATIONS:(i + 1) * REPLICATIONS] for i, k in enumerate(scenarios)}


def saving(runs, name: str, measure: str, fy: int = LAST) -> float:
    """Mean over paired replications of (without `name`) - base, for a YearMoney measure."""
    return float(np.mean([getattr(o.year(fy), measure) - getattr(b.year(fy), measure)
                          for o, b in zip(runs[name], runs["base"], strict=True)]))


def kpi_gain(runs, name: str, kpi: str, fy: int) -> float:
    """Mean over paired replications of base - (without `name`) for a KPI: + means the measure raises it."""
    return float(np.mean([b.kpis[kpi][fy] - o.kpis[kpi][fy] for o, b in zip(runs[name], runs["base"], strict=True)]))


ACC = "accumulated_deficit_gbp_m"
INCL = "accumulated_deficit_incl_backlog_gbp_m"


def test_inclusion_in_mainstream(runs):
    """More new school-age plans and fewer moves in mainstream: the condition 1 KPI rises and money is saved
    (measured: +1.6 points and £17m by 2027-28)."""
    assert kpi_gain(runs, "inclusion-in-mainstream", "school_age_mainstream_excl_srp_share", LAST) >= 0.008
    assert saving(runs, "inclusion-in-mainstream", ACC) >= 8.0


def test_early_years_review(runs):
    """Fewer new under-5 plans placed in special schools (condition 2 KPI down; measured 8.4 points) and money saved
    (measured £11m)."""
    for fy in (2025, LAST):
        assert kpi_gain(runs, "early-years-review", "new_under_5_special_share", fy) <= -0.05
    assert saving(runs, "early-years-review", ACC) >= 5.0


def test_statutory_decisions(runs):
    """Stricter decisions to assess: more refusals (measured +6 points) and less spend. Assessment capacity binds,
    so most of the saving is a shorter queue: the deficit including the backlog falls by more (measured £10m
    headline, £21m with the backlog)."""
    for fy in (2023, 2025, LAST):
        assert kpi_gain(runs, "statutory-decisions", "refusal_share", fy) >= 0.04
    assert saving(runs, "statutory-decisions", ACC) > 0.0
    assert saving(runs, "statutory-decisions", INCL) >= 5.0


def test_sen_recruitment_shows_its_deferred_cost(runs):
    """Recruiting case officers issues plans sooner: timeliness rises (measured +45 points in 2025-26) and the
    headline deficit is higher with it (removing it 'saves' £42m). With the backlog commitment beside it, removing
    recruitment must not look like more than half that saving (measured £20m: the queue it leaves behind carries the
    deferred cost; issue 10, item 5)."""
    assert kpi_gain(runs, "sen-recruitment", "issued_within_20_weeks_share", 2025) >= 0.10
    waiting = saving(runs, "sen-recruitment", "children_waiting")
    assert waiting >= 500, f"without recruitment the queue at 31 March 2028 should be longer; got {waiting:+.0f}"
    headline, incl = saving(runs, "sen-recruitment", ACC), saving(runs, "sen-recruitment", INCL)
    assert headline < 0, f"without recruitment fewer plans are issued, so the headline is lower; got {headline:+.1f}"
    assert -incl <= -headline / 2, (
        f"removing recruitment lowers the headline by £{-headline:.1f}m but the deficit including the backlog by "
        f"£{-incl:.1f}m, more than half of it")


def test_annual_review_backlog_team_clears_reviews(runs):
    """More reviews a month: fewer overdue (measured 7 points lower every year)."""
    for fy in (2023, 2025, LAST):
        assert kpi_gain(runs, "annual-review-backlog-team", "reviews_overdue_share", fy) <= -0.03


def test_annual_review_backlog_team_saves_by_ceasing_plans(runs):
    """The team ceased 20.3% of the reviews it completed (Report): 150 reviews a month of the oldest overdue plans,
    of which the 16-25s cease at 20.3% (annual_review.overdue_cease_probability), end about 120 more plans a year
    than the ordinary rates would, so at least £10m by 2027-28 (measured: £27.6m, sd £0.4m)."""
    assert saving(runs, "annual-review-backlog-team", ACC) >= 10.0


def test_reintegration(runs):
    """More moves back to mainstream: the condition 4 KPI rises (measured +53 a year) and money is saved (£11m)."""
    for fy in (2025, LAST):
        assert kpi_gain(runs, "reintegration", "reintegrations", fy) >= 20
    assert saving(runs, "reintegration", ACC) >= 4.0


def test_post16_pathways(runs):
    """More special school pupils move to FE at 16: the condition 5 KPI rises (measured +2.6 points) and money is
    saved (£10m)."""
    for fy in (2025, LAST):
        assert kpi_gain(runs, "post16-pathways", "post16_mainstream_fe_share", fy) >= 0.01
    assert saving(runs, "post16-pathways", ACC) >= 4.0


def test_transition_charter(runs):
    """Half as many moves from mainstream to independent at Year 7: fewer independent placements (measured 28 fewer
    by March 2028) and money saved (£2.5m)."""
    assert -kpi_gain(runs, "transition-charter", "independent_placements", LAST) >= 10
    assert saving(runs, "transition-charter", ACC) >= 1.0


@pytest.mark.parametrize("school", ["new-special-school-1", "new-special-school-2"])
@pytest.mark.xfail(strict=True, reason="missing mechanism: placements that respond to capacity (new places take "
                   "children from the waiting list and step children down from independent; docs/dynamics.md, "
                   "'Places that respond to capacity'): with the 6,100-place ceiling special schools stop filling and "
                   "nobody moves back, so a new school saves exactly £0")
def test_new_special_school_saves_money(runs, school):
    """150 state special places instead of independent ones (~£24k a year less each): at least £3m by 2027-28 each,
    and fewer independent placements."""
    assert saving(runs, school, ACC) >= 3.0
    assert -kpi_gain(runs, school, "independent_placements", LAST) >= 30


def test_six_k_threshold(runs):
    """Paying schools half as much towards their first £6,000: about £2m saved in 2023-24 (Report; measured
    £1.98m), and it keeps saving."""
    assert 1.5 <= saving(runs, "six-k-threshold", ACC, 2023) <= 2.5
    assert saving(runs, "six-k-threshold", ACC) >= 8.0


def test_nhs_joint_funding(runs):
    """The NHS pays twice its share of independent placements: money saved (measured £2.3m by 2027-28)."""
    assert saving(runs, "nhs-joint-funding", ACC) >= 1.0
