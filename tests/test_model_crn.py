"""Common random numbers per child make paired comparisons of interventions that change flows precise.

Removing `statutory-decisions` (refusals 0.268 -> 0.33 from April 2023) changes who is assessed; per-child draws
(model/rng.py) leave every other child's draws alone, so the paired 95% interval of the 2027-28 accumulated deficit
is much narrower than the unpaired one (what independent runs would give). Issue 9 asked for 10x at 8
replications; what holds, measured (session 4, after removing the needless coupling listed below):

- With every mechanism on, the ratio's underlying value (sqrt(var base + var other) / sd of the paired difference,
  from 16-48 replications) is about 4.8 on the full base and 5.5 on Kent at a tenth (SMALL_KENT). The paired spread
  left is congestion, a real effect of the model: the officers' queue runs at capacity (8 officers here, 80 in the
  base), so the children whose decisions flip take officers' time and delay everyone behind them, first come first
  served. With the officers unlimited the full base's ratio is 13x (16 replications, seed 100); with the review
  team unlimited 5.5x, with special and SRP places unlimited 5.6x, with the waits for and step-downs into special
  places off 6.1x; with the officers, review team and places all unlimited 11x.
- A ratio of two 8-replication intervals is itself noisy: simulated from normal data with the measured spreads,
  an underlying 5.6 gives 8-replication ratios of 2.05 (1% quantile), 2.7 (5%), 5.2 (median) and 9.8 (95%), so 10x
  at 8 replications is reached in about 1 seed in 20, and even an underlying 12 reaches it only 6 times in 10.
  Measured: 7.6, 3.8, 4.3, 6.2, 5.4, 2.7 on seeds 0-5 (SMALL_KENT, every mechanism on); 9.4, 3.7, 4.3 on seeds 0-2
  on the full base (README "Reproducibility"). The test below asks for 2 (the 1% quantile): it would fail for a
  regression that coupled children again, not for an unlucky seed. With the congestion neutralised (12 officers,
  the review team unlimited, the capacity mechanisms off: the path test's fixture) the ratios are 8.2, 5.1, 8.0,
  14.5, 12.0, 6.3 on seeds 0-5. (The full base's figures by mechanism above were measured with the move-in change
  below, since reverted: 5.4 with everything on then, 4.8 now.)
- Needless coupling removed (session 4), each a case where a small change of timing handed a child a different
  draw or a different rule: the backlog team took the first few overdue reviews by place in the queue, so one
  more plan in the backlog gave a different set of 16-25s its 20% cease probability (a change of refusal 0.268 ->
  0.2685, about 8 children, moved the full base's 2027-28 deficit by a paired sd of 1.6 £m; now 0.45, and 0.17
  without the team); now it takes the overdue reviews of the day's batch with the lowest review_team draws. The
  step-down-at-placement draw was keyed by the day. A child moving in copied the plan at a place in the caseload
  list, which every other opening or ending shifts; it now draws among rows that exist by its day (transitions.py
  `_like`): of seed 0's moved-in children, 2 of 39 copy a different plan without `statutory-decisions` (17
  before; full base 148 of 463, 213 before). The ratio did not move beyond its noise: seeds 0-5 7.6, 3.8, 4.3,
  6.2, 5.4, 2.7 (7.3, 7.9, 4.9, 6.2, 5.4, 2.6 before, on main with issue 10's dynamics); underlying value 5.2
  (5.8 before; 48 replications, seed 100, sd of each about 10%).

The path test shows the property itself: with the congestion neutralised, children whose first decision is the
same in both runs keep their whole path. With it on, most children's paths move (69% on the full base: the
officers' queue delays everyone behind a flipped child, and the review backlog moves review dates), as they
would in the real system.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from svsim.experiment.compare import paired_interval, unpaired_interval
from svsim.experiment.replications import run_replication
from svsim.model import simulate


def _without_statutory_decisions(base):
    other = base.with_interventions([iv.name for iv in base.interventions if iv.name != "statutory-decisions"])
    assert len(other.interventions) == len(base.interventions) - 1
    return base, other


@pytest.fixture(scope="module")
def real_mechanisms(kent_variant):
    """Kent at a tenth with every mechanism on: the officers' queue at capacity, the review team and places."""
    return _without_statutory_decisions(kent_variant(small=True))


@pytest.fixture(scope="module")
def with_and_without(kent_variant):
    """The congestion neutralised: 12 officers (the queue never binds), the review team unlimited, no waits for or
    step-downs into special places."""
    base = kent_variant("assessment.officers_fte=12", "annual_review.reviews_per_month=unlimited",
                        "placement.max_wait_weeks.special=0",
                        *(f"placement.step_down_probability.{k}=0" for k in ("phase_transfer", "review", "placement")),
                        small=True)
    return _without_statutory_decisions(base)


def test_removing_a_flow_measure_gives_a_paired_interval_much_narrower(real_mechanisms):
    """Every mechanism on, 8 replications: at least 2x (the 1% quantile of the 8-replication ratio at the measured
    underlying 5.5; seed 0 gives 7.6; see the module notes for why not 10x)."""
    base, other = real_mechanisms
    b, o = [], []
    for r in range(8):
        rb, ro = run_replication(base, 0, r), run_replication(other, 0, r)
        fy = rb.years[-1]
        b.append(rb.year(fy).accumulated_deficit_gbp_m)
        o.append(ro.year(fy).accumulated_deficit_gbp_m)
    paired, unpaired = paired_interval(b, o), unpaired_interval(b, o)
    assert paired.mean > 0  # fewer refusals, more plans, a larger deficit
    assert (unpaired.high - unpaired.low) >= 2 * (paired.high - paired.low)


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
