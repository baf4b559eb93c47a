"""The median's order-statistic interval and the stopping rule, on synthetic data from known distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from svsim.experiment.precision import (
    median_ci,
    median_ci_ranks,
    median_half_width,
    next_total,
    run_until_precise,
)


@pytest.mark.parametrize(("n", "ranks"), [(6, (1, 6)), (10, (2, 9)), (20, (6, 15)), (50, (18, 33)),
                                          (100, (40, 61))])
def test_ranks_match_the_published_table(n, ranks):
    """Conover's table of order-statistic intervals for the median at 95% (at least 95% coverage)."""
    assert median_ci_ranks(n) == ranks
    j = ranks[0]
    assert 1 - 2 * binom.cdf(j - 1, n, 0.5) >= 0.95  # covers at least 95% ...
    assert 1 - 2 * binom.cdf(j, n, 0.5) < 0.95  # ... and is the narrowest that does


def test_too_few_values_give_an_infinite_interval():
    assert median_ci_ranks(5) is None
    assert median_ci([1.0, 2.0, 3.0]) == (-math.inf, math.inf)
    assert median_half_width([1.0, 2.0]) == math.inf


def test_the_interval_covers_the_true_median_at_least_95_percent_of_the_time():
    rng = np.random.default_rng(2024)
    for n in (20, 61):
        samples = rng.lognormal(mean=np.log(150.0), sigma=0.2, size=(3000, n))  # true median 150, skewed
        lo_hi = np.array([median_ci(s) for s in samples])
        coverage = np.mean((lo_hi[:, 0] <= 150.0) & (lo_hi[:, 1] >= 150.0))
        assert 0.94 <= coverage <= 0.985, (n, coverage)


def test_half_width_shrinks_like_one_over_root_n():
    """For a normal sample the median's 95% half-width is about 1.96 * 1.2533 * sd / sqrt(n)."""
    rng = np.random.default_rng(7)
    sd = 10.0
    for n in (100, 400):
        widths = [median_half_width(rng.normal(0, sd, n)) for _ in range(400)]
        assert np.mean(widths) == pytest.approx(1.96 * 1.2533 * sd / math.sqrt(n), rel=0.1)


def test_batches_grow_by_half_up_to_the_cap():
    assert [next_total(n) for n in (20, 30, 45, 68)] == [30, 45, 68, 102]
    assert next_total(1) == 2 and next_total(1900, max_replications=2000) == 2000


def synthetic(sd: float):
    """A 'replication' i is a deterministic normal draw per year, so replications are the same however batched."""
    calls: list[tuple[int, int]] = []

    def run_batch(first: int, stop: int) -> list[dict[str, float]]:
        calls.append((first, stop))
        return [{fy: float(np.random.default_rng([i, k]).normal(100 + 10 * k, sd * (k + 1)))
                 for k, fy in enumerate(("2023-24", "2024-25"))} for i in range(first, stop)]

    def values(results: list[dict[str, float]]) -> dict[str, list[float]]:
        return {fy: [r[fy] for r in results] for fy in results[0]}

    return run_batch, values, calls


def test_stops_at_the_first_batch_whose_every_year_meets_the_target():
    run_batch, values, calls = synthetic(sd=5.0)
    target = 1.5
    seen = []
    results, outcome = run_until_precise(run_batch, values, target, on_batch=lambda o: seen.append(o.worst))
    assert outcome.achieved and outcome.replications == len(results) == outcome.batches[-1]
    assert outcome.worst <= target and all(w > target for w in seen[:-1])
    # the widest year (sd 10) decides: about (1.96 * 1.2533 * 10 / 1.5)^2 = 273 replications are needed
    assert 150 <= outcome.replications <= 700
    # batches cover replications 0, 1, 2, ... without gaps or repeats, growing by half
    assert calls[0] == (0, 20) and all(a[1] == b[0] for a, b in zip(calls, calls[1:], strict=False))
    assert [stop for _, stop in calls] == outcome.batches
    assert all(b == next_total(a) for a, b in zip(outcome.batches, outcome.batches[1:], strict=False))
    # the same numbers as a single batch of that size
    again, _ = run_until_precise(run_batch, values, 1e9, start=outcome.replications)
    assert again == results


def test_the_cap_stops_an_unreachable_target():
    run_batch, values, _ = synthetic(sd=5.0)
    results, outcome = run_until_precise(run_batch, values, 0.01, start=20, max_replications=50)
    assert not outcome.achieved and outcome.replications == len(results) == 50
    assert outcome.batches == [20, 30, 45, 50]
    assert outcome.to_dict()["replications_used"] == 50 and set(outcome.to_dict()["half_widths_gbp_m"]) == {
        "2023-24", "2024-25"}


def test_bad_arguments_are_refused():
    run_batch, values, _ = synthetic(sd=1.0)
    for kwargs in ({"target": 0}, {"target": 1, "growth": 1.0}, {"target": 1, "max_replications": 0}):
        with pytest.raises(ValueError):
            run_until_precise(run_batch, values, **kwargs)
