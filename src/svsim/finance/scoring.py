"""Safety Valve scoring: forecast against the profile (variance, RAG, P(within profile)) and KPI RAG.

Rules (also in the README):

- variance = forecast - profile (svsim computes it; + means above the profile, i.e. worse).
- Profile RAG, on the median forecast over replications: GREEN when forecast <= profile; AMBER when above it by no
  more than `rag.amber_tolerance` x profile; RED beyond.
- p_within_profile = the share of replications whose accumulated deficit is <= the profile.
- KPI RAG, on the median value: GREEN when the target is met (>= for a KPI where higher is better, <= where lower
  is better); AMBER when missed by no more than `rag.kpi_amber_tolerance` x target; RED beyond. No value or no
  target gives no rating ("").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

GREEN, AMBER, RED = "GREEN", "AMBER", "RED"


def profile_rag(forecast: float, profile: float, amber_tolerance: float) -> str:
    """RAG of an accumulated-deficit forecast against the Safety Valve profile for the same year end."""
    if forecast <= profile:
        return GREEN
    if forecast - profile <= amber_tolerance * abs(profile):
        return AMBER
    return RED


def p_within_profile(forecasts: Sequence[float], profile: float) -> float:
    """Share of replications whose forecast is at or below the profile."""
    values = np.asarray(forecasts, dtype=float)
    if values.size == 0:
        return math.nan
    return float(np.mean(values <= profile))


def kpi_rag(value: float | None, target: float | None, direction: str, tolerance: float) -> str:
    """RAG of a KPI against its target; `direction` is 'higher' or 'lower' (which way is better)."""
    if value is None or target is None or math.isnan(value) or math.isnan(target):
        return ""
    if direction == "higher":
        if value >= target:
            return GREEN
        return AMBER if target - value <= tolerance * abs(target) else RED
    if direction == "lower":
        if value <= target:
            return GREEN
        return AMBER if value - target <= tolerance * abs(target) else RED
    raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")


@dataclass(frozen=True)
class ProfileScore:
    """One financial year of the Safety Valve table."""

    financial_year: int
    profile_gbp_m: float | None
    forecast_gbp_m: float
    """Median over replications of the accumulated deficit before DfE contributions."""
    p10_gbp_m: float
    p90_gbp_m: float
    variance_gbp_m: float | None
    rag: str
    p_within_profile: float | None


def score_year(
    financial_year: int, forecasts: Sequence[float], profile: float | None, amber_tolerance: float
) -> ProfileScore:
    """Score one year's replications (one forecast each) against its profile (None: no profile that year)."""
    values = np.asarray(forecasts, dtype=float)
    median = float(np.median(values))
    p10, p90 = (float(q) for q in np.quantile(values, [0.1, 0.9]))
    if profile is None:
        return ProfileScore(financial_year, None, median, p10, p90, None, "", None)
    return ProfileScore(
        financial_year, profile, median, p10, p90, median - profile,
        profile_rag(median, profile, amber_tolerance), p_within_profile(values, profile),
    )


__all__ = ["AMBER", "GREEN", "RED", "ProfileScore", "kpi_rag", "p_within_profile", "profile_rag", "score_year"]
