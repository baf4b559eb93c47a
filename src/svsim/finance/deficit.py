"""Income, in-year positions and the accumulated DSG deficit, per financial year (all £m).

Rules (also in the README):

- Yearly money values (HNB allocation, Schools Block transfer, other blocks' in-year position, other HNB lines,
  council and DfE contributions) are the values in force on 1 April of the financial year.
- HNB spend = placement spend + other HNB lines + the cost of waiting (finance/waiting.py); HNB income = allocation
  + Schools Block transfer.
- In-year HNB position = spend - income (+ is a deficit).
- Accumulated DSG deficit at 31 March = last year's + in-year HNB + other blocks' in-year - council contribution,
  starting from `deficit.opening_accumulated_gbp_m` (the position the day before `horizon.start`).
  This is the figure *before* DfE Safety Valve contributions, which is what the Safety Valve profile states
  (Kent's £118m at 31 March 2023 is "prior to the DFE contributions"; its 2027-28 profile of £140m equals the DfE's
  £140m total). The position net of DfE instalments subtracts their running total.
- Beside the headline: the children still waiting at 31 March and the backlog commitment (the full-year cost of the
  plans and places they will turn into, finance/waiting.py); `accumulated_deficit_incl_backlog_gbp_m` adds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..domain import financial_year_of
from ..scenario import Scenario
from .costs import first_day, other_lines_gbp_m
from .waiting import WaitingYear


@dataclass(frozen=True)
class YearMoney:
    """One financial year's money, £m. Picklable and small: what a replication hands back."""

    financial_year: int
    placement_spend_gbp_m: float
    other_lines_gbp_m: float
    hnb_allocation_gbp_m: float
    schools_block_transfer_gbp_m: float
    other_blocks_in_year_gbp_m: float
    council_contribution_gbp_m: float
    dfe_contribution_gbp_m: float
    accumulated_deficit_gbp_m: float
    """At 31 March, before DfE contributions (comparable with the Safety Valve profile)."""
    accumulated_deficit_net_of_dfe_gbp_m: float
    waiting_spend_gbp_m: float = 0.0
    """HNB cost of children waiting (decision, assessment, place) and of appeals, in the year."""
    children_waiting: float = 0.0
    """Children still waiting for a decision, an assessment or a place at 31 March."""
    backlog_commitment_gbp_m: float = 0.0
    """Full-year cost of the plans and places the queue at 31 March will turn into."""

    @property
    def hnb_spend_gbp_m(self) -> float:
        return self.placement_spend_gbp_m + self.other_lines_gbp_m + self.waiting_spend_gbp_m

    @property
    def accumulated_deficit_incl_backlog_gbp_m(self) -> float:
        """The accumulated deficit plus the backlog commitment: delay does not read as a saving."""
        return self.accumulated_deficit_gbp_m + self.backlog_commitment_gbp_m

    @property
    def hnb_income_gbp_m(self) -> float:
        return self.hnb_allocation_gbp_m + self.schools_block_transfer_gbp_m

    @property
    def in_year_deficit_gbp_m(self) -> float:
        """In-year HNB position: + is a deficit."""
        return self.hnb_spend_gbp_m - self.hnb_income_gbp_m


def financial_years(scenario: Scenario) -> list[int]:
    """The financial years reported: from the one holding horizon.start to the one holding horizon.end."""
    return list(range(financial_year_of(scenario.start), financial_year_of(scenario.end) + 1))


def deficit_trajectory(
    scenario: Scenario, placement_spend_gbp_m: Mapping[int, float], waiting: Mapping[int, WaitingYear] | None = None,
) -> list[YearMoney]:
    """Money for every reported financial year, from the placement spend and the waiting of each (pure).

    Without `waiting` (or for a year it lacks) the cost of waiting, the children waiting and the commitment are 0.
    """
    years = financial_years(scenario)
    missing = [y for y in years if y not in placement_spend_gbp_m]
    if missing:
        raise ValueError(f"no placement spend for financial year(s) {missing}")

    def at(path: str, fy: int) -> float:
        return float(scenario.series(path).at(first_day(fy)))

    rows: list[YearMoney] = []
    gross = float(scenario.value("deficit.opening_accumulated_gbp_m"))
    dfe_total = 0.0
    for fy in years:
        placements = float(placement_spend_gbp_m[fy])
        other = sum(other_lines_gbp_m(scenario, fy).values())
        allocation = at("income.hnb_allocation_gbp_m", fy)
        transfer = at("income.schools_block_transfer_gbp_m", fy)
        other_blocks = at("income.other_blocks_in_year_gbp_m", fy)
        council = at("deficit.council_contribution_gbp_m", fy)
        dfe = at("deficit.dfe_contribution_gbp_m", fy)
        w = (waiting or {}).get(fy)
        waiting_spend = w.waiting_spend_gbp_m if w else 0.0
        in_year = placements + other + waiting_spend - allocation - transfer
        gross += in_year + other_blocks - council
        dfe_total += dfe
        rows.append(
            YearMoney(fy, placements, other, allocation, transfer, other_blocks, council, dfe, gross, gross - dfe_total,
                      waiting_spend, w.children_waiting if w else 0.0, w.backlog_commitment_gbp_m if w else 0.0)
        )
    return rows


__all__ = ["YearMoney", "deficit_trajectory", "financial_years"]
