"""Random numbers: the only module that creates random generators.

A stream is addressed by name. Its generator is seeded from (root seed, replication, crc32 of the name) with
numpy's SeedSequence, so:
- adding or removing a stream never shifts the numbers of another;
- replication i of every scenario draws the same numbers from the same stream (common random numbers), so
  scenario comparisons are paired and low-noise.
Draws are made in blocks of BLOCK numbers and served one at a time from a Python list, which is far faster
than a numpy call per event. A categorical choice is a uniform draw and a bisect on cumulative shares.
"""

from __future__ import annotations

import math
import zlib

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


class Stream:
    """Buffered draws from one named stream: uniforms, exponentials and gammas, each from its own block."""

    __slots__ = ("name", "rng", "_u", "_ui", "_e", "_ei", "_g")

    def __init__(self, rng: np.random.Generator, name: str = "") -> None:
        self.name = name
        self.rng = rng
        self._u: list[float] = []
        self._ui = 0
        self._e: list[float] = []
        self._ei = 0
        self._g: dict[float, list] = {}

    def uniform(self) -> float:
        """A uniform number in [0, 1)."""
        i = self._ui
        if i == len(self._u):
            self._u = self.rng.random(BLOCK).tolist()
            i = 0
        self._ui = i + 1
        return self._u[i]

    def exponential(self) -> float:
        """A standard exponential (mean 1)."""
        i = self._ei
        if i == len(self._e):
            self._e = self.rng.standard_exponential(BLOCK).tolist()
            i = 0
        self._ei = i + 1
        return self._e[i]

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
        buf = self._g.get(shape)
        if buf is None or buf[1] == len(buf[0]):
            buf = [self.rng.standard_gamma(shape, BLOCK).tolist(), 0]
            self._g[shape] = buf
        i = buf[1]
        buf[1] = i + 1
        return buf[0][i] * mean / shape

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
