"""The building blocks of the scenario schema: what a node of the YAML tree may hold.

A schema is a tree of `Section` (named fields), `ByKey` (one item per category: age band, setting, ...)
and `Param` (a leaf). Every leaf has a kind that fixes its allowed values, a default (or REQUIRED) and a
one-line description. Defaults live here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from ..domain import parse_financial_year


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

# Kinds of leaf value, each with its rule.
PROBABILITY = "probability"  # a number in [0, 1]
COUNT = "count"  # a number >= 0 (people, places, staff)
CAPACITY = "capacity"  # a count, or the word "unlimited"
RATE = "rate"  # a number >= 0 per unit of time or population
DURATION = "duration"  # a number >= 0 of weeks or months (unit in the name)
MONEY = "money"  # a number >= 0 in pounds or £m (unit in the name)
SIGNED_MONEY = "signed_money"  # any number in pounds or £m (positions can be surpluses)
UPLIFT = "uplift"  # a proportional change > -1 (0.043 = +4.3%)
WEIGHT = "weight"  # a number >= 0, relative (normalised by the model)
REAL = "real"  # any number
CHOICE = "choice"  # one of a fixed list of words
TEXT = "text"
FINANCIAL_YEAR = "financial_year"  # a label like 2022-23 (April to March)
DATE = "date"
INTEGER = "integer"  # a whole number >= 0

NUMERIC_KINDS = {PROBABILITY, COUNT, CAPACITY, RATE, DURATION, MONEY, SIGNED_MONEY, UPLIFT, WEIGHT, REAL, INTEGER}

EXPECTED = {
    PROBABILITY: "a probability between 0 and 1",
    COUNT: "a number of at least 0",
    CAPACITY: "a number of places of at least 0, or 'unlimited'",
    RATE: "a rate of at least 0",
    DURATION: "a duration of at least 0",
    MONEY: "an amount of money of at least 0",
    SIGNED_MONEY: "an amount of money",
    UPLIFT: "a proportional change greater than -1 (0.043 means +4.3%)",
    WEIGHT: "a weight of at least 0",
    REAL: "a number",
    INTEGER: "a whole number of at least 0",
    TEXT: "text",
    FINANCIAL_YEAR: "a financial year like 2022-23",
    DATE: "an ISO date like 2023-09-01",
}

UNLIMITED = math.inf


def check_value(kind: str, value: Any, choices: tuple[str, ...] = ()) -> tuple[Any, str | None]:
    """Return (clean value, None) or (None, what was expected)."""
    if kind == CHOICE:
        if isinstance(value, str) and value in choices:
            return value, None
        return None, "one of: " + ", ".join(choices)
    if kind == TEXT:
        return (value, None) if isinstance(value, str) else (None, EXPECTED[TEXT])
    if kind == FINANCIAL_YEAR:
        try:
            parse_financial_year(value)
        except ValueError:
            return None, EXPECTED[FINANCIAL_YEAR]
        return value, None
    if kind == DATE:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value, None
        return None, EXPECTED[DATE]
    if kind == CAPACITY and value == "unlimited":
        return UNLIMITED, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, EXPECTED[kind]
    try:
        v = float(value)
    except OverflowError:  # an integer too large for a float
        return None, EXPECTED[kind]
    if math.isnan(v) or (math.isinf(v) and kind != CAPACITY):
        return None, EXPECTED[kind]
    rule = {
        PROBABILITY: lambda: 0.0 <= v <= 1.0,
        COUNT: lambda: v >= 0,
        CAPACITY: lambda: v >= 0,
        RATE: lambda: v >= 0,
        DURATION: lambda: v >= 0,
        MONEY: lambda: v >= 0,
        SIGNED_MONEY: lambda: True,
        UPLIFT: lambda: v > -1,
        WEIGHT: lambda: v >= 0,
        REAL: lambda: True,
        INTEGER: lambda: v >= 0 and v == int(v),
    }[kind]
    if not rule():
        return None, EXPECTED[kind]
    return (int(v) if kind == INTEGER else v), None


def finite_number(value: Any) -> float | None:
    """The value as a float if it is a finite number (not a bool, text, NaN or infinity), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        v = float(value)
    except OverflowError:
        return None
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class Param:
    """A leaf: one value, or dated values when `dated`."""

    kind: str
    doc: str
    default: Any = REQUIRED
    unit: str = ""
    dated: bool = True
    choices: tuple[str, ...] = ()
    limits: tuple[float | None, float | None] | None = None
    """Possible values (inclusive; for signed money, of the size): outside them a value is refused as a slip."""
    usual: tuple[float | None, float | None] | None = None
    """Values usual for an English council: outside them a value is accepted with a warning."""
    zero_ok: bool = True
    """0 (none, switched off) is accepted whatever the limits."""


@dataclass(frozen=True)
class ByKey:
    """One `item` per key (age band, setting, ...). `keys=None` allows any name (e.g. budget lines).

    `total`: "one" when the items are shares that must sum to 1 at every date, "at_most_one" when they are
    probabilities of exclusive outcomes. `complete`: every key must be given (else missing keys take the
    item's default).
    """

    keys: tuple[Any, ...] | None
    item: Any
    doc: str = ""
    total: str | None = None
    complete: bool = False


@dataclass(frozen=True)
class Section:
    """Named fields. An `optional` section may be left out entirely (its fields' defaults apply)."""

    fields: dict[str, Any]
    doc: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Custom:
    """A node validated by its own function (targets, interventions, uncertainty)."""

    name: str
    doc: str = ""
    required: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def prob(doc: str, default: Any = REQUIRED, **kw: Any) -> Param:
    return Param(PROBABILITY, doc, default, **kw)


def count(doc: str, default: Any = REQUIRED, **kw: Any) -> Param:
    return Param(COUNT, doc, default, **kw)
