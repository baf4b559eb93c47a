"""Random streams: named, independent, reproducible, and the only source of randomness in the engine."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

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
