"""Random numbers: the only module that creates random generators, and the one place the scheme is described.

Streams. A stream is addressed by name. Its generator is seeded from (root seed, replication, crc32 of the
name) with numpy's SeedSequence, so adding or removing a stream never shifts the numbers of another, and
replication i of every scenario draws the same numbers from the same stream.

Common random numbers per child (`ChildDraws`). Every draw about one child comes from a number that belongs to
that child alone, so a change to one child's path (a refusal instead of an assessment, a longer wait) leaves
every other child's draws as they were. A child has an identity: a group and a position in it (the census
children in start order, the requests open at the census date, and each layer of arrival candidates, below).
A draw is addressed by (stage, slot): the stage names what it decides ("decision", "assessment_time", "review",
...) and the slot counts repeats of that stage for the child (its 0th, 1st, ... request; its k-th review; the
age of a phase transfer). The number is element `position` of the stream named "child/<stage>/<slot>/<group>"
of (seed, replication), drawn in whole blocks, so it depends on nothing but (seed, replication, stage, slot,
group, position): not on how many others there are, nor on the order events happen in.

Arrivals (`arrival_layers`). Requests are the points under the demand curve of a Poisson process on the plane
(time x level): level layer j covers [j, j + 1) x LAYER_RATE_PER_DAY requests a day and has its own stream of
candidate times (gaps of rate LAYER_RATE_PER_DAY), levels and age draws. A candidate at level y is a request
if y < rate(t). More demand only keeps more of the same candidates (and may add a layer); less keeps fewer: a
change of demand, early or late in the horizon, never moves or redraws a candidate. A kept candidate's position
in its layer is its identity for every later draw.

Durations are gamma draws of fixed shape (cv) scaled to the mean, so a change of mean only rescales the same
draws (a monotone coupling). Draws are served from Python lists, one column per (stage, slot) over every child
row, computed on first use: a handler's draw is a list index.
"""

from __future__ import annotations

import math
import zlib
from array import array
from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain, islice, repeat

import numpy as np

BLOCK = 2048
"""Numbers drawn at once per stream. Fixed, so a stream's sequence never depends on how much is used."""

STREAMS: tuple[str, ...] = (
    "arrivals/<layer>", "arrival_level/<layer>", "request_age/<layer>",
    "child/<stage>/<slot>/<group>", "move_in/<layer>", "move_in_level/<layer>",
)
"""The streams the engine uses (documentation; any name may be used). Stages of child/...: decision_time,
decision, appeal, appeal_success, rerequest, rerequest_time, assessment_time, not_issue (slot: the child's
request, 0 first); placement, move_away (slot 0); review (slot: the child's review, 0 first); transfer_cease,
transfer_move (slot: the age of the transfer); review_team (slot: the child's review: which overdue reviews of the
day the backlog team takes, reviews.py); step_down (slot: the review number at a review, 100 + age at a
phase transfer, 1000 + reviews done at a placement: placement.py); move_in_who (slot: the try; a row drawn
uniformly until one holds a plan), move_in_review (moves in
from other councils: whose age and setting the child takes, where in the review interval it arrives);
start_overdue, start_review_position, start_open_age, start_open_elapsed, start_open_duration, start_wants (the
census date's state)."""


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


LAYER_RATE_PER_DAY = 4.0
"""Width of one layer of arrival candidates (requests a day). Assumption: a quarter of Kent's ~11 a day keeps
the unused candidates of the top layer few while a scenario needs only a handful of layers."""


def arrival_layers(seed: int, replication: int, rate_per_day: np.ndarray, n_days: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Requests under `rate_per_day` (one rate per day): (times, age uniforms, layer, position in layer) of the
    kept candidates in time order, and the number of candidates of each layer (see the module notes)."""
    top = float(np.max(rate_per_day[:n_days])) if n_days else 0.0
    n_layers = math.ceil(top / LAYER_RATE_PER_DAY) if top > 0 else 0
    times, ages, layers, positions, sizes = [], [], [], [], []
    for j in range(n_layers):
        gaps = generator(seed, replication, f"arrivals/{j}")
        chunks: list[np.ndarray] = []
        last = 0.0
        while last < n_days:  # whole blocks, so the candidates never depend on the horizon's length
            block = last + np.cumsum(gaps.standard_exponential(BLOCK)) / LAYER_RATE_PER_DAY
            chunks.append(block)
            last = float(block[-1])
        t = np.concatenate(chunks)
        t = t[t < n_days]
        n = t.size
        level = (j + _blocks(generator(seed, replication, f"arrival_level/{j}").random, n)) * LAYER_RATE_PER_DAY
        age_u = _blocks(generator(seed, replication, f"request_age/{j}").random, n)
        keep = np.flatnonzero(level < rate_per_day[t.astype(np.int64)])
        times.append(t[keep])
        ages.append(age_u[keep])
        layers.append(np.full(keep.size, j, dtype=np.int64))
        positions.append(keep)
        sizes.append(n)
    if not times:
        empty = np.zeros(0)
        return empty, empty, empty.astype(np.int64), empty.astype(np.int64), []
    t, a, lay, pos = (np.concatenate(x) for x in (times, ages, layers, positions))
    order = np.lexsort((pos, lay, t))
    return t[order], a[order], lay[order], pos[order], sizes


def candidate_layers(seed: int, replication: int, name: str, bound_per_day: np.ndarray, n_days: int,
                     layer_rate_per_day: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Candidates of a Poisson process on the plane (time x level) under `bound_per_day`, for a rate known only
    while the run goes (moves in from other councils: a rate per plan held). Layer j covers levels
    [j, j + 1) x layer_rate_per_day and has its own streams "<name>/<j>" (times) and "<name>_level/<j>"; the
    engine keeps a candidate at level y if y < the rate at its time, which must never exceed the bound. Returns
    (times, levels, layer, position in layer) of the candidates under the bound in time order, and the number of
    candidates of each layer. As for arrival_layers, a higher bound only adds candidates, never moves one."""
    top = float(np.max(bound_per_day[:n_days])) if n_days else 0.0
    n_layers = math.ceil(top / layer_rate_per_day) if top > 0 else 0
    times, levels, layers, positions, sizes = [], [], [], [], []
    for j in range(n_layers):
        gaps = generator(seed, replication, f"{name}/{j}")
        chunks: list[np.ndarray] = []
        last = 0.0
        while last < n_days:
            block = last + np.cumsum(gaps.standard_exponential(BLOCK)) / layer_rate_per_day
            chunks.append(block)
            last = float(block[-1])
        t = np.concatenate(chunks)
        t = t[t < n_days]
        level = (j + _blocks(generator(seed, replication, f"{name}_level/{j}").random, t.size)) * layer_rate_per_day
        keep = np.flatnonzero(level < bound_per_day[t.astype(np.int64)])
        times.append(t[keep])
        levels.append(level[keep])
        layers.append(np.full(keep.size, j, dtype=np.int64))
        positions.append(keep)
        sizes.append(t.size)
    if not times:
        empty = np.zeros(0)
        return empty, empty, empty.astype(np.int64), empty.astype(np.int64), []
    t, lv, lay, pos = (np.concatenate(x) for x in (times, levels, layers, positions))
    order = np.lexsort((pos, lay, t))
    return t[order], lv[order], lay[order], pos[order], sizes


_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1
_U53 = 1.0 / 9007199254740992.0  # 2^-53
_NG, _M1, _M2 = np.uint64(_GOLDEN), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place on a uint64 array: a bijection that scatters neighbouring inputs."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def _mix1(z: int) -> int:
    """_mix for one Python int (the same numbers)."""
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & _MASK
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def hashed_uniforms(key: int, ids: np.ndarray, slots: np.ndarray | int) -> np.ndarray:
    """Uniforms in [0, 1): for each identity, element `slot` + 1 of the splitmix64 stream seeded by
    mix(id x golden + key). Counter-based: any identities and slots, in any order, each get their own number."""
    z = ids.astype(np.uint64) * _NG
    z += np.uint64(key)
    _mix(z)
    if np.ndim(slots) == 0:
        z += np.uint64(((int(slots) + 1) * _GOLDEN) & _MASK)
    else:
        z += (np.asarray(slots, dtype=np.uint64) + np.uint64(1)) * _NG
    _mix(z)
    return (z >> _S11).astype(np.float64) * _U53


def hashed_uniform(key: int, ident: int, slot: int) -> float:
    """hashed_uniforms for one identity and slot (the same number, in plain Python)."""
    z = _mix1((ident * _GOLDEN + key) & _MASK)
    z = _mix1((z + (slot + 1) * _GOLDEN) & _MASK)
    return (z >> 11) * _U53


def column_key(seed: int, replication: int, name: str) -> int:
    """A 64-bit key for one stage of per-child draws, from (seed, replication, name) by SeedSequence."""
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(int(replication), stream_key(name)))
    return int(ss.generate_state(1, np.uint64)[0])


def _as_column(values: np.ndarray, lo: int) -> array:
    """A float column for rows lo.. (rows before lo read 0): array('d') is filled by a copy, far cheaper than a list."""
    col = array("d", bytes(8 * lo)) if lo else array("d")
    col.frombytes(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return col


class ChildDraws:
    """Per-child random numbers: `uniforms(stage, slot)[row]` is child `row`'s uniform for that stage and slot.

    Rows are the engine's person rows; `add_group` says which child identity (group, position) each row is.
    Uniforms and exponentials are counter-based (`hashed_uniforms` of the identity and slot under a key of
    (seed, replication, stage)), so a whole column, a batch of rows or one row give the same numbers. Gamma
    durations are element `position` of the numpy stream "child/<stage>/<slot>/<group>". Columns are computed
    on first use and kept for the replication.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)
        self.n_rows = 0
        self._groups: list[tuple[str, np.ndarray, np.ndarray, int]] = []
        self._ids = np.zeros(0, dtype=np.uint64)
        self._id_list: list[int] = []
        self._keys: dict[str, int] = {}
        self._columns: dict[tuple[str, int, float, tuple[str, ...] | None], array] = {}

    def add_group(self, name: str, rows: np.ndarray, positions: np.ndarray, size: int) -> None:
        """Rows `rows` are the children at `positions` (< size) of group `name`. Groups are added before any draw."""
        if self._columns or self._id_list:
            raise RuntimeError("every child must be known before the first draw")
        if size >= 1 << 40:
            raise ValueError("a group of more than 2^40 children")
        tag = stream_key(name) & 0xFFFFFF
        if any(stream_key(g[0]) & 0xFFFFFF == tag for g in self._groups):
            raise ValueError(f"group name '{name}' collides with another group's tag: choose another name")
        rows = np.asarray(rows, dtype=np.int64)
        positions = np.asarray(positions, dtype=np.int64)
        self._groups.append((name, rows, positions, int(size)))
        if rows.size:
            self.n_rows = max(self.n_rows, int(rows.max()) + 1)
            if self._ids.size < self.n_rows:
                self._ids = np.concatenate([self._ids, np.zeros(self.n_rows - self._ids.size, dtype=np.uint64)])
            # identity = (group tag, position) as one 64-bit number; the tag is 24 bits of crc32(name)
            self._ids[rows] = (np.uint64(tag) << np.uint64(40)) | positions.astype(np.uint64)

    def identity(self, row: int) -> int:
        """Row's identity as one number (group tag x 2^40 + position)."""
        if not self._id_list:
            self._id_list = self._ids.tolist()
        return self._id_list[row]

    def _key(self, stage: str) -> int:
        key = self._keys.get(stage)
        if key is None:
            key = self._keys[stage] = column_key(self.seed, self.replication, f"child/{stage}")
        return key

    def _span(self, groups: tuple[str, ...] | None) -> tuple[list, int, int]:
        chosen = [g for g in self._groups if g[1].size and (groups is None or g[0] in groups)]
        if not chosen:
            return [], 0, 0
        return chosen, min(int(g[1].min()) for g in chosen), max(int(g[1].max()) for g in chosen) + 1

    def _column(self, stage: str, slot: int, shape: float, groups: tuple[str, ...] | None = None) -> array:
        """shape 0: uniforms; -1: standard exponentials; > 0: gammas of that shape scaled to mean 1.

        With `groups`, only the span of rows of those groups is drawn (rows before it read 0, rows past it do not
        exist): a stage that only some children reach costs less. A row's number never depends on it.
        """
        chosen, lo, hi = self._span(groups)
        if not chosen:
            return array("d")
        if shape <= 0.0:
            col = hashed_uniforms(self._key(stage), self._ids[lo:hi], slot)
            if shape < 0.0:
                col = -np.log1p(-col)
        else:
            col = np.zeros(hi - lo)
            for name, rows, positions, size in chosen:
                rng = generator(self.seed, self.replication, f"child/{stage}/{slot}/{name}")
                col[rows - lo] = _blocks(partial(rng.standard_gamma, shape), size)[positions]
            col /= shape  # mean 1
        out = _as_column(col, lo)
        self._columns[(stage, slot, shape, groups)] = out
        return out

    def group_names(self, prefix: str = "") -> tuple[str, ...]:
        """The names of the groups (those starting with `prefix`)."""
        return tuple(g[0] for g in self._groups if g[0].startswith(prefix))

    def uniforms(self, stage: str, slot: int = 0, groups: tuple[str, ...] | None = None) -> array:
        """Uniforms in [0, 1), one per row (of `groups`, default all): for stages most children reach."""
        col = self._columns.get((stage, slot, 0.0, groups))
        return col if col is not None else self._column(stage, slot, 0.0, groups)

    def exponentials(self, stage: str, slot: int = 0, groups: tuple[str, ...] | None = None) -> array:
        """Standard exponentials (mean 1), one per row (of `groups`, default all)."""
        col = self._columns.get((stage, slot, -1.0, groups))
        return col if col is not None else self._column(stage, slot, -1.0, groups)

    def uniform(self, stage: str, slot: int, row: int) -> float:
        """One row's uniform (the number its column would hold): for stages few children reach."""
        return hashed_uniform(self._key(stage), self.identity(row), slot)

    def exponential(self, stage: str, slot: int, row: int) -> float:
        """One row's standard exponential (the number its column would hold)."""
        return -math.log1p(-self.uniform(stage, slot, row))

    def uniforms_at(self, stage: str, rows: list[int], slot: int | list[int]) -> list[float]:
        """The uniforms of a batch of rows for one slot, or a slot per row (the numbers their columns would hold)."""
        if not rows:
            return []
        slots = slot if isinstance(slot, int) else np.asarray(slot, dtype=np.int64)
        return hashed_uniforms(self._key(stage), self._ids[np.asarray(rows, dtype=np.int64)], slots).tolist()

    def unit_durations(self, stage: str, slot: int, cv: float, groups: tuple[str, ...] | None = None) -> array:
        """Per row, its duration of mean 1 with this coefficient of variation: `duration(stage, slot, row, mean, cv,
        groups)` is exactly `unit_durations(stage, slot, cv, groups)[row] * mean` for every mean > 0. A handler
        holding the column draws a duration with an index and a product."""
        if cv <= 0.0:
            return array("d", [1.0]) * self.n_rows
        if cv == 1.0:
            return self.exponentials(stage, slot, groups)
        shape = 1.0 / (cv * cv)
        col = self._columns.get((stage, slot, shape, groups))
        return col if col is not None else self._column(stage, slot, shape, groups)

    def duration(self, stage: str, slot: int, row: int, mean: float, cv: float,
                 groups: tuple[str, ...] | None = None) -> float:
        """Row's gamma-distributed time with this mean and coefficient of variation (cv 0: exactly the mean)."""
        if cv <= 0.0 or mean <= 0.0:
            return mean
        return self.unit_durations(stage, slot, cv, groups)[row] * mean


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


__all__ = ["BLOCK", "LAYER_RATE_PER_DAY", "STREAMS", "ChildDraws", "Stream", "Streams", "arrival_layers",
           "candidate_layers",
           "column_key", "generator", "hashed_uniform", "hashed_uniforms", "stream_key"]
