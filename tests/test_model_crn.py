"""Common random numbers per child make paired comparisons of interventions that change flows precise.

Removing `statutory-decisions` (refusals 0.268 -> 0.33 from April 2023) changes who is assessed; per-child draws
(model/rng.py) leave every other child's path alone, so the paired 95% interval of the 2027-28 accumulated
deficit is much narrower than the unpaired one (what independent runs would give).

Why the tenth of Kent does not reliably show 10x at 8 replications (issue 9 asked for 10x in this test). What is
left in the paired interval is the measure's own effect, not noise the engine adds: in a replication of Kent at
a tenth with 12 officers, about 120-130 children's decisions flip, and only 1-2% of the other ~4,400 children's
paths differ at all between the two runs (mostly the day of a review, as the review team's backlog changes;
`test_a_flow_measure_changes_only_the_children_it_touches`). The paired spread is then the spread of those
children's own effect: how many flip (binomial) and where each is placed (mainstream or an independent school).
Unlimited officers, uncapped special places or an unlimited review team change the ratio by nothing or in no
consistent direction (measured on seeds 0-3). Both the effect's spread and the unpaired spread grow with the
square root of the caseload, so the ratio does not depend on scale: about 10x on the tenth (8-replication ratios
9.5, 10.4, 8.0 and 14.0 on seeds 0-3) as on the full base (10.6x, README "Reproducibility"), against 2-3x with
the earlier stream-position scheme. The ratio of two 8-replication intervals is itself noisy (each half-width has
7 degrees of freedom, and a ratio of two such spreads moves by a factor of up to about two either way), so asking
for 10x would pass or fail with the seed; the test asks for 6x, well above the old scheme, and the direct test
below checks the property that makes the intervals narrow.

12 officers: SMALL_KENT's 8 (a tenth of Kent's 80) run the officers' queue at capacity, and the effect is then
mostly how long the queue is (ratios 4.9-15.4 on seeds 0-3); with 12 the queue never binds (the same numbers as
unlimited officers). The review team is unlimited for the same reason: at capacity, who is reviewed when depends
on the whole caseload, so a measure that changes how many plans there are moves other children's review dates
(measured with the plan endings of issue 10: 8% of the other children's paths, against 0.6% with the team
unlimited). That is congestion, a real effect of the model, not a failure of the random numbers tested here.

Capacity-responsive places (issue 10, item 4) are set to their neutral values here: they couple children through
shared places (a place one child takes is one another waits for or steps down into), a real effect of the model
like the review team's congestion; with them on, the ratio measured 5.5x (seed 0, 8 replications, before the
review team was made unlimited here).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from svsim.experiment.compare import paired_interval, unpaired_interval
from svsim.experiment.replications import run_replication
from svsim.model import simulate


@pytest.fixture(scope="module")
def with_and_without(kent_variant):
    base = kent_variant("assessment.officers_fte=12", "annual_review.reviews_per_month=unlimited",
                        "placement.max_wait_weeks.special=0",
                        *(f"placement.step_down_probability.{k}=0" for k in ("phase_transfer", "review", "placement")),
                        small=True)
    other = base.with_interventions([iv.name for iv in base.interventions if iv.name != "statutory-decisions"])
    assert len(other.interventions) == len(base.interventions) - 1
    return base, other


def test_removing_a_flow_measure_gives_a_paired_interval_much_narrower(with_and_without):
    base, other = with_and_without
    b, o = [], []
    for r in range(8):
        rb, ro = run_replication(base, 0, r), run_replication(other, 0, r)
        fy = rb.years[-1]
        b.append(rb.year(fy).accumulated_deficit_gbp_m)
        o.append(ro.year(fy).accumulated_deficit_gbp_m)
    paired, unpaired = paired_interval(b, o), unpaired_interval(b, o)
    assert paired.mean > 0  # fewer refusals, more plans, a larger deficit
    assert (unpaired.high - unpaired.low) >= 6 * (paired.high - paired.low)


def test_a_flow_measure_changes_only_the_children_it_touches(with_and_without):
    """Children whose first decision is the same in both runs keep their whole path (every event, its time and
    detail) but for a few: at most 5% (measured 1-2%; with draws by stream position most children's paths moved)."""
    base, other = with_and_without
    paths = []
    for sc in (base, other):
        by_child: dict[int, list] = defaultdict(list)
        for t, what, pid, detail in simulate(sc, seed=0, replication=0, record_events=True).events:
            by_child[pid].append((round(t, 6), what, detail))
        paths.append(by_child)
    a, b = paths
    children = set(a) | set(b)

    def first_decision(path: list) -> tuple | None:
        return next((e for e in path if e[1] == "decision"), None)

    flipped = {pid for pid in children if first_decision(a[pid]) != first_decision(b[pid])}
    moved = [pid for pid in children - flipped if a[pid] != b[pid]]
    assert 50 <= len(flipped) <= 0.1 * len(children)  # the measure's own children: about 6% of requests
    assert len(moved) <= 0.05 * len(children - flipped), f"{len(moved)} of {len(children - flipped)} children moved"
