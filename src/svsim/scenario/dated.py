"""Dated values: a parameter that changes on given dates.

Period semantics (also in the README): a value holds from its date (inclusive) until the next date
(exclusive). Before the first date, the first value holds. A plain value is a series with one value that
holds everywhere.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ALWAYS = dt.date(1900, 1, 1)
"""Date carried by a plain (undated) value: it holds from the beginning of time."""


@dataclass(frozen=True)
class Series:
    """A step function of time: `values[i]` holds on `[dates[i], dates[i+1])`."""

    dates: tuple[dt.date, ...]
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.dates or len(self.dates) != len(self.values):
            raise ValueError("a series needs as many values as dates, and at least one")
        if any(a >= b for a, b in zip(self.dates, self.dates[1:], strict=False)):
            raise ValueError("series dates must be strictly increasing")

    @classmethod
    def constant(cls, value: Any) -> Series:
        return cls((ALWAYS,), (value,))

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[dt.date, Any]]) -> Series:
        """Build from (date, value) pairs, dropping repeats of the previous value (of two pairs on one date,
        the later wins)."""
        last: dict[dt.date, Any] = {}
        for d, v in pairs:
            last[d] = v
        dates: list[dt.date] = []
        values: list[Any] = []
        for d in sorted(last):
            if not values or last[d] != values[-1]:
                dates.append(d)
                values.append(last[d])
        return cls(tuple(dates), tuple(values))

    @property
    def is_constant(self) -> bool:
        return len(self.values) == 1

    def at(self, when: dt.date) -> Any:
        i = bisect.bisect_right(self.dates, when) - 1
        return self.values[max(i, 0)]

    @property
    def first(self) -> Any:
        return self.values[0]

    def change_dates(self) -> tuple[dt.date, ...]:
        """Dates on which the value changes (the first date of a dated series counts)."""
        return tuple(d for d in self.dates if d != ALWAYS)

    def map(self, fn: Callable[[Any], Any]) -> Series:
        return Series.from_pairs((d, fn(v)) for d, v in zip(self.dates, self.values, strict=True))

    def combine(self, dates: Iterable[dt.date], fn: Callable[[dt.date, Any], Any]) -> Series:
        """A new series evaluated at this series' dates and the extra `dates`: fn(date, value_here)."""
        points = sorted(set(self.dates) | set(dates))
        return Series.from_pairs((d, fn(d, self.at(d))) for d in points)

    def to_yaml(self) -> Any:
        """Plain data for writing back to YAML (a scalar if constant)."""
        if self.is_constant and self.dates[0] == ALWAYS:
            return self.values[0]
        return {d: v for d, v in zip(self.dates, self.values, strict=True)}
