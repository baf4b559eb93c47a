"""`svsim init`: a starting scenario for any English council from the DfE all-council tables.

What the statistics give, per council: the latest January census by setting (total and placement), and the
calendar-year flows before it (requests, refusals, assessments, new plans by setting, timeliness, plans ceased on
moving away). What they do not give is marked in the file as an assumption to fill in, with a labelled default:
- the age split of the caseload (England's, January 2022) and the 0-18 population (implied by England's request
  rate), the placement mix of new plans by age (the template's pattern raked to the council's own new plans);
- staffing and review capacity (the template's, scaled by the council's assessments and caseload);
- money: unit costs (national averages where the project has them, else the template's), the High Needs Block
  allocation and other lines (the template's per plan), the opening deficit and contributions (0), no targets.
The template is a full scenario (by default Kent's base scenario): its modelling assumptions (review and cease
rates, moves, phase transfers) are kept and say so. The result is one self-contained file (no `extends:`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..data.dfe import Observed, read_observed
from ..domain import AGE_BANDS, SETTINGS
from .model import Scenario
from .observed import (
    SRP_HEADROOM,
    WEEKS_TO_DECIDE,
    _set_path,
    _sourced,
    new_plan_mix,
    request_growth,
    standalone,
    third_thursday_of_january,
)

HORIZON_YEARS = 5
SPECIAL_HEADROOM = 1.05
"""assumption: special places = 105% of the roll at the census (special schools run near full nationally)."""
NATIONAL_UNIT_COSTS_GBP = {"special": 26000, "independent": 63000}
"""National averages quoted in the project's domain notes (state special about £26k, independent special about
£63k a year); the other settings keep the template's values."""
TO_FILL = "assumption to fill in with the council's own figure"


def _rate(num: float | None, den: float | None, what: str) -> float:
    if num is None or not den:
        raise ValueError(f"the observed data lack {what}")
    return num / den


def init_scenario(template: Scenario, template_path: Path, observed: Observed, england: Observed,
                  year: int | None = None) -> dict[str, Any]:
    """The scenario tree (plain YAML data) for `observed`'s council starting at its latest January census."""
    la = observed.la_name
    year = year or max(observed.census_settings)
    prev = year - 1
    census = third_thursday_of_january(year)
    end = dt.date(year + HORIZON_YEARS, 3, 31)
    settings = observed.census_settings.get(year)
    if not settings:
        raise ValueError(f"no January {year} census by setting for {la}")
    total = sum(settings.values())
    flows = observed.flows

    def flow(measure: str, y: int = prev) -> float | None:
        return flows.get(measure, {}).get(y)

    requests, refusals = flow("requests"), flow("refusals")
    issued, not_issued = flow("new_plans"), flow("assessments_not_issued")
    refusal = _rate(refusals, requests, f"requests and refusals for {prev}")
    not_issue = _rate(not_issued, (issued or 0) + (not_issued or 0), f"assessments for {prev}")
    growth, growth_source = request_growth(flows.get("requests", {}), prev)

    eng_bands = england.census_age_bands[max(y for y in england.census_age_bands if len(england.census_age_bands[y])
                                             == len(AGE_BANDS))]
    eng_band_year = max(y for y in england.census_age_bands if len(england.census_age_bands[y]) == len(AGE_BANDS))
    eng_total = sum(eng_bands.values())
    bands = {b: round(total * eng_bands[b] / eng_total) for b in AGE_BANDS}
    bands[max(bands, key=lambda b: bands[b])] += round(total) - sum(bands.values())
    eng_requests = england.flows["requests"][prev]
    eng_pop = 12_300_000
    eng_rate = eng_requests / eng_pop * 10_000
    population = round(requests / eng_rate * 10_000)

    new_by_setting = observed.new_plans_settings.get(prev) or {}
    if sum(new_by_setting.values()) <= 0:
        raise ValueError(f"no new plans by setting for {la} in {prev}")
    shares = {b: sum(float(template.value(f"demand.request_age_shares.{a}")) for a in range(26)
                     if _band(a) == b) for b in AGE_BANDS}
    new_total = sum(new_by_setting.values())
    mix = new_plan_mix(template, new_by_setting, {b: new_total * shares[b] for b in AGE_BANDS}, str(prev))

    t_assess = 2710.0  # the template's 2022 assessments that its staffing was set against (Kent, DfE)
    t_plans = float(sum(float(template.value(f"start_state.caseload_by_setting.{s}")) for s in SETTINGS))
    assessments = (issued or 0) + (not_issued or 0)
    open_t = float(template.series("start_state.open_assessments").first)
    weeks_open = open_t / t_assess * 52  # the template's Little's-law weeks from decision to outcome
    scale_staff, scale_plans = assessments / t_assess, total / t_plans
    moved = flow("transfers_out")
    prior_total = observed.census_total.get(prev)
    src = f"DfE ({la})"
    rates = {census: round(_rate(requests, population, "population") * 10_000 * (1 + growth), 1)}
    rates.update({dt.date(y, 1, 1): round(requests / population * 10_000 * (1 + growth) ** (y - prev), 1)
                  for y in range(year + 1, end.year + 1)})
    tree: dict[str, Any] = {
        "name": f"{_slug(la)}-start",
        "title": f"{la}: starting scenario from the DfE statistics (svsim init)",
        "council": la,
        "description": (
            f"Built by svsim init from the DfE EHCP statistics for {la}: the January {year} census and calendar "
            f"{prev} flows. Values marked 'assumption to fill in' are defaults (England's, or the template "
            f"{template.name}'s) to replace with the council's own figures; money is not from the statistics."),
        "horizon": {"start": dt.date(year, 4, 1), "end": end, "last_observed": _sourced(
            census, f"the January {year} census, the latest figure used (flows to December {prev})")},
        "start_state": {
            "census_date": census,
            "caseload_by_age_band": _sourced(bands, f"{TO_FILL}: England's age split (DfE sen2_age_caseload.csv, "
                                                    f"January {eng_band_year}) applied to {la}'s January {year} total "
                                                    f"of {round(total)} ({src} caseload.csv)"),
            "caseload_by_setting": _sourced({s: round(settings[s]) for s in SETTINGS},
                                            f"{src} caseload.csv January {year}, mapped by svsim.data.groups"),
            "open_requests": _sourced(round(requests * WEEKS_TO_DECIDE / 52),
                                      f"derived: {round(requests)} requests in {prev} ({src}) x 6 / 52 weeks"),
            "open_assessments": _sourced(round(assessments * weeks_open / 52), (
                f"derived: {round(assessments)} assessments in {prev} ({src}) x {weeks_open:.1f} / 52 weeks, the "
                f"template's open assessments per assessment a year ({open_t:g} / {t_assess:g} x 52)")),
        },
        "population": {"age_0_18": _sourced(population, (
            f"{TO_FILL} (ONS): implied by {la}'s {round(requests)} requests in {prev} at England's rate of "
            f"{eng_rate:.1f} per 10,000 (DfE {round(eng_requests)} requests over about 12.3m residents aged 0-18)"))},
        "demand": {"request_rate_per_10k_0_18": _sourced(rates, (
            f"derived: {la}'s {prev} requests per 10,000 (with the population above), grown {growth:+.1%} a year, "
            f"{growth_source}; first and repeat requests together (the model adds repeats: a slight over-count)"))},
        "decision": {"refusal_probability": _sourced({b: round(refusal, 4) for b in AGE_BANDS},
                                                     f"{src} {prev}: {round(refusals)} of {round(requests)} requests "
                                                     "refused")},
        "assessment": {
            "not_issue_probability": _sourced({b: round(not_issue, 4) for b in AGE_BANDS},
                                              f"{src} {prev}: {round(not_issued)} of {round(assessments)} "
                                              "assessments without a plan"),
            "officers_fte": _sourced(max(1, round(float(template.value("assessment.officers_fte")) * scale_staff)),
                                     f"{TO_FILL}: the template's staffing scaled by assessments ({round(assessments)}"
                                     f" in {prev} against {t_assess:.0f})"),
            "vacancy_rate": _sourced(float(template.series("assessment.vacancy_rate").values[0]),
                                     f"{TO_FILL}: the template's"),
        },
        "annual_review": {"reviews_per_month": _sourced(
            max(1, round(float(template.value("annual_review.reviews_per_month")) * scale_plans)),
            f"{TO_FILL}: the template's review capacity scaled by caseload")},
        "placement": {
            "new_plan_mix": _sourced(mix, f"the template's age x setting pattern raked to {src} new plans by setting "
                                          f"in {prev} (newplans.csv); the age split is the template's request ages"),
            "capacity": {
                "special": _sourced(max(1, round(settings["special"] * SPECIAL_HEADROOM)),
                                    f"{TO_FILL}: {SPECIAL_HEADROOM:.0%} of the January {year} special roll"),
                "srp": _sourced(max(1, round(settings["srp"] * SRP_HEADROOM)),
                                f"{TO_FILL}: {SRP_HEADROOM:.0%} of the January {year} SRP roll"),
            },
        },
        "deficit": {
            "opening_accumulated_gbp_m": _sourced(0.0, f"{TO_FILL}: the accumulated DSG deficit at 31 March {year}"),
            "council_contribution_gbp_m": _sourced(0.0, f"{TO_FILL}: none assumed"),
            "dfe_contribution_gbp_m": _sourced(0.0, f"{TO_FILL}: none assumed (no Safety Valve agreement known)"),
        },
    }
    if moved is not None and prior_total:
        tree["transitions"] = {"move_away_rate_per_year": _sourced(
            round(moved / prior_total, 4), f"{src} ceased_plans.csv {prev}: {round(moved)} transferred or moved "
                                           f"out of England, of {round(prior_total)} plans in January {prev}")}
    costs: dict[str, Any] = {"unit_cost_gbp_per_year": {}}
    for s, v in NATIONAL_UNIT_COSTS_GBP.items():
        costs["unit_cost_gbp_per_year"][s] = _sourced(v, f"{TO_FILL}: national average (svsim's domain notes)")
    costs["other_lines_gbp_m"] = {
        line: _sourced(round(float(template.value(f"costs.other_lines_gbp_m.{line}")) * scale_plans, 2),
                       f"{TO_FILL}: the template's line scaled by caseload")
        for line in _keys(template, "costs.other_lines_gbp_m")}
    tree["costs"] = costs
    income = {}
    for line in ("hnb_allocation_gbp_m", "schools_block_transfer_gbp_m", "other_blocks_in_year_gbp_m"):
        series = template.series(f"income.{line}")
        income[line] = _sourced(round(float(series.at(dt.date(year, 4, 1))) * scale_plans, 1),
                                f"{TO_FILL}: the template's {year}-{(year + 1) % 100:02d} value scaled by caseload")
    tree["income"] = income
    _rebase_dates(template, tree, census, end)
    tree["targets"] = {"sv_profile_gbp_m": {"value": {}}, "ehcp_plan_by_age_band": {"value": {}},
                       "kpis": {k: {"value": {}} for k in template.targets.kpis}}
    tree["remove_interventions"] = [iv.name for iv in template.interventions]
    out = standalone(template_path, tree)
    out.pop("uncertainty", None)
    return out


def _band(age: int) -> str:
    from ..domain import AGE_BAND_OF_AGE

    return AGE_BANDS[AGE_BAND_OF_AGE[age]]


def _keys(scenario: Scenario, prefix: str) -> list[str]:
    return [p[len(prefix) + 1:] for p in scenario.base_params if p.startswith(prefix + ".")]


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _rebase_dates(template: Scenario, tree: dict[str, Any], census: dt.date, end: dt.date) -> None:
    """Every dated value of the template moved inside [census, end]: the value in force at the census first."""
    from .dated import Series

    for path, series in template.base_params.items():
        dates = series.change_dates()
        if not dates or all(census <= d <= end for d in dates):
            continue
        kept = [(census, series.at(census))] + [(d, v) for d, v in zip(series.dates, series.values, strict=True)
                                                if census < d <= end]
        _set_path(tree, path, {"value": Series.from_pairs(kept).to_yaml(),
                               "source": f"the template's values, from the census {census} to {end}"})


def build(la_name: str, observed_dir: Path, template_path: Path, year: int | None = None) -> dict[str, Any]:
    """Read the statistics and the template; return the new scenario's tree."""
    from . import load_scenario

    template = load_scenario(template_path)
    return init_scenario(template, template_path, read_observed(observed_dir, la_name),
                         read_observed(observed_dir, "England"), year)


__all__ = ["build", "init_scenario"]
