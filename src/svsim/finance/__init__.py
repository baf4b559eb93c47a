"""Money and scoring: pure functions of a History and a Scenario (no randomness, no SimPy)."""

from .costs import (
    PlacementSpend,
    days_in_financial_year,
    expected_min_lognormal,
    mainstream_topup_gbp,
    other_lines_gbp_m,
    placement_spend,
    price_index,
    yearly_costs,
)
from .deficit import YearMoney, deficit_trajectory, financial_years
from .kpis import MEASURED, census_counts, census_date_in, kpi_values
from .scoring import ProfileScore, kpi_rag, p_within_profile, profile_rag, score_year
from .waiting import STAGES, WaitingYear, waiting_by_year

__all__ = [
    "MEASURED",
    "PlacementSpend",
    "ProfileScore",
    "YearMoney",
    "census_counts",
    "census_date_in",
    "days_in_financial_year",
    "deficit_trajectory",
    "expected_min_lognormal",
    "financial_years",
    "kpi_rag",
    "kpi_values",
    "mainstream_topup_gbp",
    "other_lines_gbp_m",
    "p_within_profile",
    "placement_spend",
    "price_index",
    "profile_rag",
    "score_year",
    "yearly_costs",
    "STAGES",
    "WaitingYear",
    "waiting_by_year",
]
