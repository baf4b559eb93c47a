"""Snapshot and resume (model/snapshot.py): a run resumed from a snapshot of the lead-in is the run itself.

On Kent at a tenth of its size: resumed with the same inputs it equals the uninterrupted run; resumed with other
inputs from the snapshot's day on (the twelve sensitivity factors at their ends) it equals a plain run of those
inputs, exactly; inputs that differ before the day are refused, and sensitivity then simulates the point whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from svsim.experiment import variants
from svsim.experiment.uncertainty import draws_from
from svsim.model import simulate, snapshot
from svsim.model.calendar import Calendar
from svsim.model.inputs import compile_inputs

ROOT = Path(__file__).resolve().parents[1]


def assert_same_history(a, b) -> None:
    assert np.array_equal(a.occupancy, b.occupancy)
    for name in ("flows", "levels"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.keys() == y.keys()
        for k in x:
            assert np.array_equal(x[k], y[k]), f"{name}.{k}"
    assert np.array_equal(a.moves, b.moves)
    assert np.array_equal(a.new_placements, b.new_placements)
    assert a.waits_weeks == b.waits_weeks


@pytest.fixture(scope="module")
def small(kent_variant):
    return kent_variant(small=True)


@pytest.fixture(scope="module")
def factors(small):
    return variants.read_parameters_file(ROOT / "scenarios" / "parameters" / "kent-assumptions.yaml", small)


@pytest.fixture(scope="module")
def cut(small):
    return Calendar(small.census_date, small.end).day_of(draws_from(small))


@pytest.fixture(scope="module")
def snap(small, factors, cut):
    nominal = variants.with_factor_values(small, factors, [f.nominal for f in factors])
    return nominal, snapshot.take(compile_inputs(nominal), 3, 1, cut)


def test_the_lead_in_is_about_a_fifth_of_the_run(cut, small):
    n_days = Calendar(small.census_date, small.end).n_days
    assert 0.1 < cut / n_days < 0.3  # Kent: census 20 January 2022, factors from 1 April 2023


def test_a_resumed_run_with_the_same_inputs_is_the_uninterrupted_run(snap):
    nominal, s = snap
    assert_same_history(snapshot.resume(s, compile_inputs(nominal)), simulate(nominal, seed=3, replication=1))


@pytest.mark.parametrize("end", ["low", "high", "mixed"])
def test_a_resumed_run_with_other_future_inputs_is_a_plain_run_of_them(snap, small, factors, end):
    _, s = snap
    values = [getattr(f, end) if end != "mixed" else (f.low if k % 2 else f.high) for k, f in enumerate(factors)]
    variant = variants.with_factor_values(small, factors, values)
    resumed = snapshot.resume(s, compile_inputs(variant))
    plain = simulate(variant, seed=3, replication=1)
    assert_same_history(resumed, plain)
    assert resumed.flows["requests"].sum() != simulate(snap[0], seed=3, replication=1).flows["requests"].sum()


def test_taking_a_snapshot_on_the_way_gives_the_plain_run_and_the_same_snapshot(snap, small, factors):
    """take_and_run: the run that keeps the snapshot carries on to the end and gives `simulate`'s History (the
    reserved rows change no outcome), and its snapshot resumes other inputs exactly as `take`'s does."""
    nominal, s = snap
    again, history = snapshot.take_and_run(compile_inputs(nominal), 3, 1, s.day)
    assert_same_history(history, simulate(nominal, seed=3, replication=1))
    assert again.move_in_first == s.move_in_first
    variant = variants.with_factor_values(small, factors, [f.high for f in factors])
    assert_same_history(snapshot.resume(again, compile_inputs(variant)), simulate(variant, seed=3, replication=1))


def test_inputs_that_differ_before_the_snapshot_day_are_refused(snap, kent_variant):
    _, s = snap
    earlier = kent_variant("assessment.officers_fte=9", small=True)  # from the census date, not from April 2023
    with pytest.raises(snapshot.SnapshotError, match="before day"):
        snapshot.resume(s, compile_inputs(earlier))
    with pytest.raises(ValueError, match="within the run"):
        snapshot.take(compile_inputs(earlier), 0, 0, 0)


def test_sensitivity_points_give_the_same_numbers_with_and_without_the_lead_in(small, factors):
    rng = np.random.default_rng(5)
    points = np.array([[rng.uniform(f.low, f.high) for f in factors] for _ in range(3)])
    points[2, 0] = 1.6  # requests x1.6 from April 2023: more rows than the snapshot reserves, simulated whole
    plain = variants.Design(small, 2, factors=tuple(factors))
    shared = variants.with_lead_in(plain)
    assert shared.lead_in and not plain.lead_in
    before = dict(variants.LEAD_IN_STATS)
    with_lead_in = variants.run_points(shared, points, 2, workers=1)  # here, to count
    assert variants.LEAD_IN_STATS["taken"] - before["taken"] == 2  # one snapshot a replication, on its first point
    assert variants.LEAD_IN_STATS["resumed"] - before["resumed"] == 2
    assert variants.LEAD_IN_STATS["simulated"] - before["simulated"] == 2
    assert np.array_equal(with_lead_in, variants.run_points(plain, points, 2, workers=1))
