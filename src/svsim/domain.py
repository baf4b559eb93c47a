"""The vocabulary of the SEND system shared by every layer: age bands, settings, phases, calendars.

Ages are *academic* ages: a child's age on 31 August before the academic year, as in SEN2. Everyone ages by
one year each September, which is also when phase transfers happen.
"""

from __future__ import annotations

import datetime as dt

AGE_BANDS: tuple[str, ...] = ("under_5", "age_5_10", "age_11_15", "age_16_19", "age_20_25")
AGE_BAND_LABELS: dict[str, str] = {
    "under_5": "Under 5",
    "age_5_10": "Age 5 to 10",
    "age_11_15": "Age 11 to 15",
    "age_16_19": "Age 16 to 19",
    "age_20_25": "Age 20 to 25",
}
AGES: tuple[int, ...] = tuple(range(0, 26))
_BAND_BOUNDS = {
    "under_5": (0, 4), "age_5_10": (5, 10), "age_11_15": (11, 15), "age_16_19": (16, 19), "age_20_25": (20, 25),
}
AGE_BAND_OF_AGE: tuple[int, ...] = tuple(
    next(i for i, b in enumerate(AGE_BANDS) if _BAND_BOUNDS[b][0] <= a <= _BAND_BOUNDS[b][1]) for a in AGES
)
"""Index into AGE_BANDS for each academic age 0..25."""


def ages_in_band(band: str) -> tuple[int, ...]:
    lo, hi = _BAND_BOUNDS[band]
    return tuple(range(lo, hi + 1))


SETTINGS: tuple[str, ...] = (
    "mainstream",
    "srp",
    "special",
    "independent",
    "post16",
    "eotas",
    "neet_awaiting",
)
SETTING_LABELS: dict[str, str] = {
    "mainstream": "Mainstream school or early years",
    "srp": "Specialist resource provision / SEN unit",
    "special": "Maintained special school (incl. academy and free)",
    "independent": "Independent or non-maintained special school",
    "post16": "Post-16 further education",
    "eotas": "Education otherwise / tuition / AP",
    "neet_awaiting": "NEET or awaiting provision",
}
CAPPED_SETTINGS: tuple[str, ...] = ("srp", "special")
"""Settings whose places the scenario may limit; the others take everyone placed there."""

PHASE_TRANSFERS: dict[str, int] = {"reception": 4, "year_7": 11, "year_12": 16, "post_19": 19}
"""Phase transfer name -> academic age reached that September."""

MONTHS: tuple[str, ...] = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

STATUTORY_WEEKS_TO_PLAN = 20
"""Weeks from request to final plan allowed by the SEND Code of Practice."""


def financial_year_of(day: dt.date) -> int:
    """The financial year (April to March) containing `day`, named by the year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(start_year: int) -> str:
    """2022 -> '2022-23'."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def parse_financial_year(label: str) -> int:
    """'2022-23' -> 2022; raises ValueError on anything else."""
    parts = str(label).split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4 or len(parts[1]) != 2:
        raise ValueError(f"'{label}' is not a financial year like 2022-23")
    start = int(parts[0])
    if (start + 1) % 100 != int(parts[1]):
        raise ValueError(f"'{label}' is not a financial year like 2022-23 (the years must follow each other)")
    return start
