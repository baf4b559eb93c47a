"""Random numbers: the only module that creates random generators.

A stream is addressed by name. Its generator is seeded from (root seed, replication, crc32 of the name) with
numpy's SeedSequence, so:
- adding or removing a stream never shifts the numbers of another;
- replication i of every scenario draws the same numbers from the same stream (common random numbers), so
  scenario comparisons are paired and low-noise.
Draws are made in blocks of BLOCK numbers and served one at a time from Python lists, which is far faster
than a numpy call per event. A categorical choice is a uniform draw and a bisect on cumulative shares.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterator
from itertools import chain, islice, repeat

import numpy as np

BLOCK = 2048
"""Numbers drawn at once per stream. Fixed, so a stream's sequence never depends on how much is used."""

STREAMS: tuple[str, ...] = (
    "arrivals", "arrival_accept", "request_age", "decision", "decision_time", "appeal", "rerequest",
    "rerequest_time", "assessment_time", "not_issue", "placement", "review", "transfer", "move_away", "start_state",
)
"""The streams the engine uses, one per activity (documentation; any name may be used)."""


def stream_key(name: str) -> int:
    """A stable integer for a stream name (crc32: never Python's salted hash())."""
    return zlib.crc32(name.encode("utf-8"))


def generator(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of stream `name` for (seed, replication)."""
    if seed < 0 or replication < 0:
        raise ValueError("seed and replication must be whole numbers of at least 0")
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(int(replication), stream_key(name)))
    return np.random.Generator(np.random.PCG64(ss))


def _served(draw, *args) -> Iterator[float]:
    """Numbers served one at a time from blocks of BLOCK, each block drawn when the first of its numbers is needed.

    A chain of lists: next() on it is a C call, and a block is drawn (draw(*args, BLOCK)) only when the previous
    one is used up, at the same moment a counter-and-refill buffer would draw it, so the generator's sequence of
    calls, and with it every number, is the same.
    """
    return chain.from_iterable(map(lambda _: draw(*args, BLOCK).tolist(), repeat(None)))


class Stream:
    """Buffered draws from one named stream: uniforms, exponentials and gammas, each from its own block.

    `uniform()` (a uniform number in [0, 1)) and `exponential()` (a standard exponential, mean 1) are the
    `__next__` of an iterator over blocks (see `_served`): the cheapest call Python has.
    """

    __slots__ = ("name", "rng", "uniform", "exponential", "_u", "_e", "_g")

    def __init__(self, rng: np.random.Generator, name: str = "") -> None:
        self.name = name
        self.rng = rng
        self._u = _served(rng.random)
        self._e = _served(rng.standard_exponential)
        self.uniform: Callable[[], float] = self._u.__next__
        self.exponential: Callable[[], float] = self._e.__next__
        self._g: dict[float, Iterator[float]] = {}

    def duration(self, mean: float, cv: float) -> float:
        """A gamma-distributed time with this mean and coefficient of variation (cv 0 = exactly the mean).

        cv 1 is the exponential distribution. Draws of one shape come from one block, so a change of mean only
        rescales the same draws (a monotone coupling between scenarios).
        """
        if cv <= 0.0 or mean <= 0.0:
            return mean
        if cv == 1.0:
            return mean * self.exponential()
        shape = 1.0 / (cv * cv)
        it = self._g.get(shape)
        if it is None:
            it = self._g[shape] = _served(self.rng.standard_gamma, shape)
        return next(it) * mean / shape

    def take_uniforms(self, n: int) -> list[float]:
        """The next n uniforms: the same numbers, and the same stream afterwards, as n calls of uniform()."""
        return list(islice(self._u, n))

    def take_exponentials(self, n: int) -> list[float]:
        """The next n exponentials: the same numbers, and the same stream afterwards, as n calls of exponential()."""
        return list(islice(self._e, n))

    def uniforms(self, n: int) -> np.ndarray:
        """n uniforms at once, drawn in whole blocks so the sequence does not depend on n."""
        return _blocks(self.rng.random, n)

    def exponentials(self, n: int) -> np.ndarray:
        """n standard exponentials at once, drawn in whole blocks."""
        return _blocks(self.rng.standard_exponential, n)


def _blocks(draw, n: int) -> np.ndarray:
    k = max(1, math.ceil(n / BLOCK))
    return np.concatenate([draw(BLOCK) for _ in range(k)])[:n]


class Streams:
    """All the streams of one replication, created on first use."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)
        self._streams: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        s = self._streams.get(name)
        if s is None:
            s = Stream(generator(self.seed, self.replication, name), name)
            self._streams[name] = s
        return s


__all__ = ["BLOCK", "STREAMS", "Stream", "Streams", "generator", "stream_key"]
