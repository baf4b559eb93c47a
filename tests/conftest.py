"""Shared test helpers: Kent's base scenario with `--set`-style overrides, full size or scaled down."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from svsim.scenario import Scenario, load_scenario

BASE_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"

SMALL_KENT: tuple[str, ...] = (
    "start_state.caseload_by_age_band={under_5: 66, age_5_10: 543, age_11_15: 616, age_16_19: 357, age_20_25: 191}",
    "start_state.caseload_by_setting={mainstream: 470, srp: 130, special: 553, independent: 151, post16: 331, "
    "eotas: 60, neet_awaiting: 78}",
    "population.age_0_18={2022-01-20: 35560, 2023-01-01: 35740, 2024-01-01: 35920, 2025-01-01: 36100, "
    "2026-01-01: 36280, 2027-01-01: 36460}",
    "start_state.open_requests=42",
    "start_state.open_assessments=160",
    "assessment.officers_fte=8",
    "annual_review.reviews_per_month=145",
    "placement.capacity.special=630",
    "placement.capacity.srp=150",
)
"""Kent at a tenth of its size (caseload, population, staff, places): the same dynamics, ten times faster."""


@pytest.fixture(scope="session")
def kent_variant() -> Callable[..., Scenario]:
    """kent_variant("path=value", ..., small=False, interventions=True): the base scenario with overrides (cached).

    `small=True` scales Kent down by ten (SMALL_KENT); interventions=False drops the Safety Valve measures.
    """
    cache: dict[tuple, Scenario] = {}

    def make(*overrides: str, small: bool = False, interventions: bool = True) -> Scenario:
        key = (overrides, small, interventions)
        if key not in cache:
            sc = load_scenario(BASE_SCENARIO, overrides=[*(SMALL_KENT if small else ()), *overrides])
            cache[key] = sc if interventions else sc.with_interventions([])
        return cache[key]

    return make
