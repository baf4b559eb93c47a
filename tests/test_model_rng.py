"""Random streams: named, independent, reproducible, and the only source of randomness in the engine."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from svsim.model.rng import BLOCK, Stream, Streams, generator, stream_key

MODEL = Path(__file__).resolve().parents[1] / "src" / "svsim" / "model"


def test_same_name_seed_and_replication_give_the_same_numbers():
    a, b = Streams(7, 3)["review"], Streams(7, 3)["review"]
    assert [a.uniform() for _ in range(10)] == [b.uniform() for _ in range(10)]


def test_streams_differ_by_name_seed_and_replication():
    first = Streams(7, 3)["review"].uniform()
    assert first != Streams(7, 3)["placement"].uniform()
    assert first != Streams(8, 3)["review"].uniform()
    assert first != Streams(7, 4)["review"].uniform()


def test_using_one_stream_never_shifts_another():
    s1 = Streams(1, 0)
    s1["arrivals"].uniform()
    for _ in range(5000):
        s1["placement"].uniform()
    s2 = Streams(1, 0)
    assert [s1["review"].uniform() for _ in range(5)] == [s2["review"].uniform() for _ in range(5)]


def test_stream_keys_are_stable_across_processes():
    assert stream_key("arrivals") == 3612958146  # crc32: the same on every machine and every run
    assert generator(0, 0, "x").random() == generator(0, 0, "x").random()


def test_block_draws_do_not_depend_on_how_many_are_asked_for():
    a = Stream(generator(0, 0, "arrivals")).exponentials(10)
    b = Stream(generator(0, 0, "arrivals")).exponentials(3 * BLOCK + 5)
    np.testing.assert_array_equal(a, b[:10])


def test_durations_have_the_asked_mean_and_spread():
    s = Stream(generator(0, 0, "assessment_time"))
    for cv in (0.3, 1.0, 1.5):
        x = np.array([s.duration(14.0, cv) for _ in range(40_000)])
        assert abs(x.mean() / 14.0 - 1) < 0.03
        assert abs(x.std() / x.mean() / cv - 1) < 0.05
    assert s.duration(14.0, 0.0) == 14.0


def test_no_randomness_outside_the_rng_module():
    bad = re.compile(r"^\s*(import random|from random import)|np\.random\.|numpy\.random|default_rng", re.M)
    for path in MODEL.glob("*.py"):
        if path.name == "rng.py":
            continue
        assert not bad.search(path.read_text()), f"{path.name} draws random numbers outside rng.py"


def test_bulk_draws_are_the_single_draws_and_leave_the_stream_where_they_would():
    """take_uniforms(n) / take_exponentials(n) give what n single calls give, across block boundaries, and the
    stream goes on as after those calls (also for gamma draws, which share the generator)."""
    for n in (0, 1, 5, BLOCK - 3, BLOCK, BLOCK + 1, 3 * BLOCK + 7):
        one, bulk = Stream(generator(2, 1, "review")), Stream(generator(2, 1, "review"))
        for s in (one, bulk):
            s.uniform(), s.exponential(), s.duration(10.0, 0.5)
        singles = [one.uniform() for _ in range(n)], [one.exponential() for _ in range(n)]
        assert (bulk.take_uniforms(n), bulk.take_exponentials(n)) == singles
        after = [(s.uniform(), s.exponential(), s.duration(10.0, 0.5), s.duration(3.0, 0.3)) for s in (one, bulk)]
        assert after[0] == after[1]


# ---- per-child draws and arrival layers (the common-random-numbers scheme) -------------------------------------------
def test_a_childs_draws_depend_on_its_identity_not_on_its_row_or_on_the_others():
    """The same child (group, position) gets the same numbers whatever row it has and whoever else exists."""
    from svsim.model.rng import ChildDraws

    a = ChildDraws(3, 1)
    a.add_group("census", np.arange(4), np.arange(4), 4)
    a.add_group("layer0", np.array([4, 5, 6]), np.array([0, 2, 7]), 9)
    b = ChildDraws(3, 1)  # other children, other rows: layer0's position 2 is now row 0, position 7 is row 2
    b.add_group("layer0", np.array([0, 1, 2]), np.array([2, 5, 7]), 12)
    for stage, slot in (("decision", 0), ("decision", 1), ("review", 3)):
        ua, ub = a.uniforms(stage, slot), b.uniforms(stage, slot)
        assert ua[5] == ub[0] and ua[6] == ub[2]
    assert a.uniforms("decision", 0)[5] != a.uniforms("decision", 1)[5] != a.uniforms("appeal", 0)[5]
    assert a.duration("assessment_time", 0, 5, 10.0, 0.5) * 2 == a.duration("assessment_time", 0, 5, 20.0, 0.5)
    with pytest.raises(RuntimeError, match="before the first draw"):
        a.add_group("late", np.array([9]), np.array([0]), 1)


def test_per_child_draws_have_the_asked_distributions():
    from svsim.model.rng import ChildDraws

    n = 40_000
    d = ChildDraws(0, 0)
    d.add_group("g", np.arange(n), np.arange(n), n)
    u = np.array(d.uniforms("x"))
    assert abs(u.mean() - 0.5) < 0.01 and u.min() >= 0 and u.max() < 1
    e = np.array(d.exponentials("y"))
    assert abs(e.mean() - 1) < 0.02 and abs(e.std() - 1) < 0.03
    g = np.array([d.duration("z", 0, i, 14.0, 0.5) for i in range(n)])
    assert abs(g.mean() / 14 - 1) < 0.02 and abs(g.std() / g.mean() / 0.5 - 1) < 0.04
    assert abs(np.corrcoef(u, e)[0, 1]) < 0.02  # stages are independent


def kept(rate: np.ndarray, n_days: int, seed: int = 0) -> set[float]:
    from svsim.model.rng import arrival_layers

    return set(arrival_layers(seed, 0, rate, n_days)[0].tolist())


def test_twenty_percent_more_or_less_demand_keeps_every_base_arrival():
    """Thinning under a curve: the candidates never depend on the level of demand (no power-of-two edge)."""
    n_days = 1500
    base = 3.0 + 2.0 * np.sin(np.arange(n_days) / 200.0) ** 2  # 3 to 5 a day: crosses a layer boundary
    a, more, less = kept(base, n_days), kept(1.2 * base, n_days), kept(0.8 * base, n_days)
    assert a <= more and less <= a
    assert len(less) < len(a) < len(more)
    expected = base.sum()
    assert abs(len(a) - expected) < 4 * np.sqrt(expected)  # the Poisson process has the asked rate


def test_a_late_change_of_demand_leaves_earlier_arrivals_alone():
    n_days = 1000
    base = np.full(n_days, 2.5)
    late = base.copy()
    late[800:] = 11.0  # three more layers of candidates, all of them after day 800 in effect
    a, b = kept(base, n_days), kept(late, n_days)
    assert {t for t in a if t < 800} == {t for t in b if t < 800}
    assert len([t for t in b if t >= 800]) > 3 * len([t for t in a if t >= 800])


def test_a_column_a_batch_and_a_single_draw_give_the_same_number():
    from svsim.model.rng import ChildDraws

    d = ChildDraws(5, 2)
    d.add_group("census", np.arange(50), np.arange(50), 50)
    d.add_group("layer0", np.arange(50, 80), np.arange(0, 60, 2), 60)
    for slot in (0, 3):
        col = d.uniforms("review", slot)
        assert d.uniforms_at("review", [7, 61, 3], slot) == [col[7], col[61], col[3]]
        assert d.uniform("review", slot, 61) == col[61]
        assert d.exponential("rerequest_time", slot, 70) == d.exponentials("rerequest_time", slot)[70]
    asked = d.uniforms("decision", 0, ("layer0",))
    assert asked[55] == d.uniforms("decision", 0)[55] == d.uniform("decision", 0, 55)
    assert len(set(d.uniforms("review", 0))) == 80  # every child its own number
