"""Paired comparison on common random numbers: the intervals, and the six-k-threshold saving on the engine."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from svsim.experiment.compare import (
    MEASURES,
    differences,
    mean_interval,
    paired_interval,
    replication_measures,
    run_comparison,
    unique_labels,
    unpaired_interval,
)
from svsim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


# ---- intervals -------------------------------------------------------------------------------------------------
def test_paired_interval_is_the_t_interval_of_the_differences():
    rng = np.random.default_rng(1)
    base = rng.normal(100, 10, size=12)
    other = base + 2 + rng.normal(0, 0.5, size=12)
    got = paired_interval(base, other)
    want = stats.ttest_rel(other, base).confidence_interval(0.95)
    assert got.mean == pytest.approx(np.mean(other - base))
    assert (got.low, got.high) == pytest.approx((want.low, want.high))
    assert got.sd == pytest.approx(np.std(other - base, ddof=1)) and got.n == 12


def test_unpaired_interval_is_welch():
    rng = np.random.default_rng(2)
    base = rng.normal(100, 10, size=9)
    other = rng.normal(103, 4, size=9)
    got = unpaired_interval(base, other)
    want = stats.ttest_ind(other, base, equal_var=False).confidence_interval(0.95)
    assert (got.low, got.high) == pytest.approx((want.low, want.high))
    assert got.mean == pytest.approx(other.mean() - base.mean())


def test_pairing_removes_the_common_noise():
    rng = np.random.default_rng(3)
    luck = rng.normal(0, 20, size=10)  # shared by both scenarios in a replication
    base, other = 100 + luck, 98 + luck + rng.normal(0, 0.2, size=10)
    assert paired_interval(base, other).half_width < unpaired_interval(base, other).half_width / 20


def test_degenerate_samples():
    one = mean_interval([4.0])
    assert one.mean == 4.0 and math.isnan(one.low) and math.isnan(one.high)
    flat = paired_interval([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    assert (flat.mean, flat.low, flat.high) == (1.0, 1.0, 1.0)
    same = unpaired_interval([1.0, 1.0], [3.0, 3.0])
    assert (same.low, same.high) == (2.0, 2.0)
    assert math.isnan(mean_interval([]).mean)
    with pytest.raises(ValueError):
        paired_interval([1.0, 2.0], [1.0])


def test_labels_are_unique():
    class S:
        def __init__(self, name: str) -> None:
            self.name = name

    assert unique_labels([S("a"), S("b"), S("a"), S("a")]) == ("a", "b", "a#2", "a#3")


# ---- on the engine ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def six_k():
    """Kent against Kent without the £6k threshold change: 3 paired replications (about 3 s)."""
    base = load_scenario(SCENARIOS / "base.yaml")
    without = load_scenario(SCENARIOS / "without-six-k-threshold.yaml")
    return run_comparison(base, [without], replications=3, seed=11, workers=1)


def test_removing_six_k_threshold_costs_about_2m_a_year_and_the_interval_excludes_zero(six_k):
    diffs = {(d.measure, d.financial_year): d for d in six_k.differences}
    first = diffs["in_year_deficit_gbp_m", 2023]  # the change starts on 1 April 2023
    assert 1.5 < first.paired.mean < 2.6  # the report: "about £2m saving in 2023-24"
    assert first.paired.low > 0
    for fy in range(2023, 2028):
        d = diffs["accumulated_deficit_gbp_m", fy]
        assert d.paired.low > 0, fy  # OTHER (without the measure) is dearer in every year
    assert diffs["accumulated_deficit_gbp_m", 2022].paired.mean == 0.0
    # money only: the same children in every replication, so plans and non-mainstream spend do not move at all
    for fy in range(2022, 2028):
        assert diffs["ehcps_january_census", fy].paired.mean == 0.0
        assert diffs["placement_spend_gbp_m.special", fy].paired.mean == 0.0


def test_paired_intervals_are_far_tighter_than_unpaired(six_k):
    for d in six_k.differences:
        if d.measure == "accumulated_deficit_gbp_m" and d.financial_year >= 2023:
            assert d.paired.half_width < d.unpaired.half_width / 3, d


def test_comparison_shape(six_k):
    assert six_k.labels == ("kent-base", "kent-without-six-k-threshold")
    base, other = six_k.results
    assert [r.replication for r in base] == [0, 1, 2] == [r.replication for r in other]
    assert {r.seed for r in (*base, *other)} == {11}
    keys = set(replication_measures(base[0]))
    assert {m for m, _ in keys} == set(MEASURES)
    with pytest.raises(ValueError, match="same replications"):
        differences(base, other[::-1], "x")
