"""The scenario schema: every parameter svsim knows, its kind, unit, default and meaning.

This is the single place where defaults live. A default is only given where a neutral or statutory value
exists (a multiplier of 1, a statutory 6 weeks, no capacity limit); anything council-specific is REQUIRED
so that a scenario file must state it and cite where it came from.
"""

from __future__ import annotations

from ..domain import AGE_BANDS, AGES, CAPPED_SETTINGS, MONTHS, PHASE_TRANSFERS, SETTINGS
from .spec import (
    CAPACITY,
    CHOICE,
    DATE,
    DURATION,
    FINANCIAL_YEAR,
    INTEGER,
    MONEY,
    RATE,
    REQUIRED,
    SIGNED_MONEY,
    TEXT,
    UPLIFT,
    WEIGHT,
    ByKey,
    Custom,
    Param,
    Section,
    count,
    prob,
)

_WEEKS = {"limits": (0, 520), "usual": (0, 104)}
"""Durations in weeks: ten years is impossible, over two years unusual."""
_CV = {"limits": (0, 10), "usual": (0, 3)}



def _plans(doc: str) -> Param:
    """A start-state count of children: whole numbers (the simulation follows each child)."""
    return Param(INTEGER, doc, dated=False)


_moves_doc = "probability of moving from one setting (outer key) to another (inner key); the rest stay"


def _moves(doc: str = _moves_doc) -> ByKey:
    return ByKey(SETTINGS, ByKey(SETTINGS, prob("probability of this move", 0.0), total="at_most_one"), doc)


SCHEMA = Section(
    {
        "name": Param(TEXT, "short name used for the results folder", dated=False),
        "title": Param(TEXT, "one-line title", "", dated=False),
        "council": Param(TEXT, "the local authority modelled", "", dated=False),
        "description": Param(TEXT, "what this scenario represents", "", dated=False),
        "horizon": Section(
            {
                "start": Param(DATE, "first day reported (start of the first financial year)", dated=False),
                "end": Param(DATE, "last day simulated (end of the last financial year)", dated=False),
                "last_observed": Param(
                    DATE,
                    "last day of the data the scenario is fitted to: uncertainty draws apply to dated values from the "
                    "next day on, never to the history (default: 31 December of the year holding horizon.start, "
                    "the end of the last complete calendar year of data)",
                    None,
                    dated=False,
                ),
            },
            "the period reported; the simulation starts earlier, at start_state.census_date (the lead-in)",
        ),
        "start_state": Section(
            {
                "census_date": Param(DATE, "date of the census the simulation starts from", dated=False),
                "caseload_by_age_band": ByKey(AGE_BANDS, _plans("EHC plans"), complete=True),
                "caseload_by_setting": ByKey(SETTINGS, _plans("EHC plans"), complete=True),
                "caseload_prior": ByKey(
                    AGE_BANDS,
                    ByKey(SETTINGS, Param(WEIGHT, "prior weight", 0.0, dated=False)),
                    "prior age band x setting pattern fitted to both marginals by iterative proportional fitting",
                ),
                "age_profile": ByKey(
                    AGES,
                    Param(WEIGHT, "relative weight of this single year of age within its age band", dated=False),
                    "spreads each age band over its single years of age",
                    complete=True,
                ),
                "open_requests": _plans("requests awaiting a decision to assess"),
                "open_assessments": _plans("assessments under way or waiting for an officer"),
                "reviews_overdue_share": prob("share of plans whose annual review is already overdue", dated=False),
            },
            "the caseload and pipeline on the census date",
        ),
        "population": Section(
            {"age_0_18": count("resident population aged 0 to 18 (ONS mid-year estimate)", unit="people",
                               usual=(1_000, 1_000_000))},  # English councils: ~500 (Scilly) to ~360,000 (Kent)
        ),
        "demand": Section(
            {
                "request_rate_per_10k_0_18": Param(
                    RATE,
                    "first requests for an EHC needs assessment a year per 10,000 residents aged 0-18 (repeat "
                    "requests after a refusal come from decision.rerequest_probability)",
                    unit="per 10k a year", limits=(0, 2_000), usual=(10, 500),
                ),
                "request_age_shares": ByKey(
                    AGES, prob("share of requests for children of this academic age (at the request, or at the "
                               "expected plan date: see request_age_shares_at)", 0.0), total="one"
                ),
                "request_age_shares_at": Param(
                    CHOICE, "what age request_age_shares give: the academic age at the request ('request'), or the "
                    "academic age at the plan ('plan': the request is dated back from its expected plan date, request "
                    "+ weeks_to_decide + weeks_to_assess, and a first plan has the drawn age on the day it is issued; "
                    "then published ages at the start of plans can be used as they are)",
                    "request", dated=False, choices=("request", "plan"),
                ),
                "seasonality": ByKey(
                    MONTHS,
                    Param(WEIGHT, "relative request rate in this month (normalised to average 1)", 1.0,
                          limits=(0, 12), usual=(0.1, 3)),
                    "monthly pattern of requests",
                ),
            },
            "requests for EHC needs assessment (a Poisson process with time-varying rate)",
        ),
        "decision": Section(
            {
                "weeks_to_decide": Param(DURATION, "mean weeks from request to decision whether to assess", 6.0,
                                         unit="weeks", **_WEEKS),
                "weeks_to_decide_cv": Param(WEIGHT, "coefficient of variation of that time (0 = fixed)", 0.0, **_CV),
                "refusal_probability": ByKey(AGE_BANDS, prob("probability a request is refused"), complete=True),
                "appeal_probability": prob("probability a refusal is appealed", 0.0),
                "appeal_success_probability": prob("probability an appeal leads to assessment", 0.0),
                "weeks_to_appeal_outcome": Param(DURATION, "weeks from refusal to appeal outcome", 26.0, unit="weeks",
                                                 **_WEEKS),
                "rerequest_probability": prob("probability a refused family requests again later", 0.0),
                "weeks_to_rerequest": Param(DURATION, "mean weeks from refusal to a new request", 26.0, unit="weeks",
                                            **_WEEKS),
            },
            "the decision whether to assess",
        ),
        "assessment": Section(
            {
                "officers_fte": count("EHC case officer posts (establishment, full-time equivalent)",
                                      limits=(0, 10_000), usual=(0, 1_000)),
                "vacancy_rate": prob("share of those posts vacant", 0.0),
                "assessments_per_officer": Param(
                    RATE, "assessments a filled post works on at once (capacity = filled posts x this)",
                    limits=(0, 1_000), usual=(1, 100),
                ),
                "weeks_to_assess": Param(DURATION, "mean weeks of work on an assessment once an officer takes it",
                                         unit="weeks", **_WEEKS),
                "weeks_to_assess_cv": Param(WEIGHT, "coefficient of variation of that time (0 = fixed)", 0.5, **_CV),
                "not_issue_probability": ByKey(
                    AGE_BANDS, prob("probability an assessment ends without a plan"), complete=True
                ),
                "weeks_with_officer_max": Param(
                    DURATION, "longest an assessment holds an officer's place: beyond it the assessment stays open "
                    "waiting for advice or decisions without one (0 = the whole assessment)", 0.0, unit="weeks",
                    **_WEEKS,
                ),
                "surge_officers_fte": count(
                    "case officers (FTE) added by backlog teams or agency staff, filled whatever the vacancy rate "
                    "(capacity = (filled posts + this) x assessments_per_officer)", 0.0,
                    limits=(0, 10_000), usual=(0, 500),
                ),
                "capacity_elasticity": Param(
                    WEIGHT, "extra share of assessment capacity per 10 weeks of queued work (the queue over the "
                    "officers' rate): overtime and prioritisation as the queue grows; 0 = a fixed ceiling",
                    0.0, limits=(0, 10), usual=(0, 0.5),
                ),
            },
            "needs assessments, first come first served by limited officers",
        ),
        "placement": Section(
            {
                "new_plan_mix": ByKey(
                    AGE_BANDS,
                    ByKey(SETTINGS, prob("share of new plans placed in this setting", 0.0), total="one"),
                    "where new plans are placed, by age band",
                    complete=True,
                ),
                "capacity": ByKey(
                    CAPPED_SETTINGS, Param(CAPACITY, "places (EHCP pupils) available", "unlimited"), "places by setting"
                ),
                "fallback": ByKey(
                    CAPPED_SETTINGS,
                    Param(CHOICE, "where a child goes when the setting is full ('wait' = waits for a place)",
                          "independent", choices=(*SETTINGS, "wait")),
                ),
                # capacity-responsive places (issue 10, item 4; docs/dynamics.md): waiting, then step-down
                "max_wait_weeks": ByKey(
                    CAPPED_SETTINGS,
                    Param(DURATION, "weeks a child whose plan names this setting waits for a place when it is full "
                          "before going to the fallback (0 = straight to the fallback; ignored when the fallback "
                          "is 'wait')", 0.0, unit="weeks", **_WEEKS),
                    "waiting for a place in a full setting",
                ),
                "step_down_probability": Section(
                    {
                        "phase_transfer": prob("probability that a child placed in a fallback because its setting "
                                               "was full moves to a free place there at its phase transfer", 0.0),
                        "review": prob("the same at each annual review", 0.0),
                        "placement": prob("probability that a new plan or a move at a review placed in a capped "
                                          "setting's fallback (independent) takes a free place in the setting "
                                          "instead", 0.0),
                    },
                    "moves from a fallback (independent) into a freed place in the setting the plan names",
                    optional=True,
                ),
                "start_wants_share": ByKey(
                    CAPPED_SETTINGS,
                    prob("share of the census date's plans in this setting's fallback placed there because it was "
                         "full (they may step down when places free)", 0.0, dated=False),
                    "children already in a fallback at the census date who want the capped setting",
                ),
            },
            "placement of new plans and of moves, under capacity",
        ),
        "annual_review": Section(
            {
                "interval_months": ByKey(
                    AGE_BANDS, Param(DURATION, "months between reviews", 12.0, unit="months", limits=(1, 120),
                                     usual=(3, 24), zero_ok=False),
                ),
                "reviews_per_month": Param(CAPACITY, "annual reviews the service can complete a month", "unlimited"),
                "cease_probability": ByKey(AGE_BANDS, prob("probability a review ceases the plan"), complete=True),
                "moves": _moves("probability a review moves the child between settings (reintegration included)"),
                # plan endings (issue 10, item 1): by setting, and at the reviews a backlog team clears
                "cease_setting_factor": ByKey(
                    SETTINGS,
                    Param(WEIGHT, "multiplier on the band's cease probability for a plan aged 16 or over in this "
                          "setting, not waiting for a place (a result above 1 counts as 1)", 1.0, limits=(0, 1000),
                          usual=(0, 50)),
                    "post-16 plans in some settings end more often at review (NEET: no longer wishes to engage)",
                ),
                "backlog_team_reviews_per_month": Param(
                    CAPACITY, "reviews a month done by a backlog team on the oldest overdue reviews (due before "
                    "the day), on top of reviews_per_month", 0.0),
                "overdue_cease_probability": ByKey(
                    AGE_BANDS,
                    prob("probability that a review done by the backlog team ceases the plan (the plan's own "
                         "probability when that is higher)", 0.0),
                    "cease probability of the backlog team's reviews, by age band",
                ),
            },
            "annual reviews: capacity, cessation and moves",
        ),
        "transitions": Section(
            {
                "move_away_rate_per_year": Param(RATE, "plans transferred out of the area a year, per plan", 0.0,
                                                 limits=(0, 1), usual=(0, 0.2)),
                "move_in_rate_per_year": Param(RATE, "plans arriving from other councils a year, per plan held "
                                               "(age and setting drawn as the caseload's)", 0.0,
                                               limits=(0, 1), usual=(0, 0.05)),
                "plan_end_age": Param(INTEGER, "plans end in the September after the child reaches this academic age "
                                      "(by law plans may run to 25; an earlier end is a what-if)",
                                      25, dated=False, limits=(16, 25), usual=(19, 25), zero_ok=False),
                "phase_transfer": ByKey(
                    tuple(PHASE_TRANSFERS),
                    Section(
                        {
                            "cease_probability": prob("probability the plan ends at this transfer", 0.0),
                            "moves": _moves(),
                        }
                    ),
                    "what happens at each September phase transfer",
                ),
            },
            "September ageing, phase transfers, moves away and the end of plans",
        ),
        "costs": Section(
            {
                "price_base_year": Param(
                    FINANCIAL_YEAR, "financial year whose prices unit costs are given in", dated=False
                ),
                "unit_cost_gbp_per_year": ByKey(
                    tuple(s for s in SETTINGS if s != "mainstream"),
                    Param(MONEY, "High Needs cost per plan per year in this setting (price-base prices)", unit="gbp",
                          limits=(100, 1_000_000), usual=(1_000, 400_000)),
                    complete=True,
                ),
                "age_band_cost_factor": ByKey(AGE_BANDS, Param(WEIGHT, "multiplier on unit costs", 1.0, limits=(0, 20),
                                                               usual=(0.2, 5))),
                "uplift": ByKey(
                    SETTINGS,
                    Param(UPLIFT, "annual price uplift applied each 1 April (the value in force then)", 0.0,
                          limits=(-0.5, 1.0), usual=(-0.05, 0.15)),
                    "yearly price uplifts by setting",
                ),
                "mainstream": Section(
                    {
                        "support_cost_gbp_mean": Param(MONEY, "mean yearly cost of additional support per plan",
                                                       unit="gbp", limits=(100, 200_000), usual=(1_000, 60_000)),
                        "support_cost_cv": Param(WEIGHT, "spread of that cost between pupils (lognormal cv)", **_CV),
                        "threshold_gbp": Param(MONEY, "cost a school meets from its notional SEN budget", 6000.0,
                                               unit="gbp", limits=(100, 100_000), usual=(1_000, 20_000)),
                        "below_threshold_share_paid": prob(
                            "share of the cost below the threshold the High Needs Block pays anyway", 0.0
                        ),
                    },
                    "mainstream top-up: the HNB pays the support cost above the threshold",
                ),
                "nhs_share": ByKey(SETTINGS, prob("share of placement cost met by NHS joint funding", 0.0)),
                "waiting": Section(
                    {
                        "decision_gbp_per_year": Param(
                            MONEY, "HNB cost per child a year while a request awaits the decision to assess "
                            "(interim support, tuition for children out of school)", 0.0, unit="GBP",
                        ),
                        "assessment_gbp_per_year": Param(
                            MONEY, "HNB cost per child a year while an assessment waits for an officer or is "
                            "under way", 0.0, unit="GBP",
                        ),
                        "place_gbp_per_year": Param(
                            MONEY, "HNB cost per child a year while a child with a plan waits for a place (tuition "
                            "or a package while a place is found), on top of the neet_awaiting unit cost", 0.0,
                            unit="GBP",
                        ),
                        "appeal_gbp": Param(
                            MONEY, "HNB cost of one appeal to the tribunal (mediation, legal and officer time)", 0.0,
                            unit="GBP",
                        ),
                    },
                    "the cost of waiting: children in a queue, priced per child-day from the monthly queue "
                    "levels (price-base prices, uplifted like eotas), and appeals",
                    optional=True,
                ),
                "other_lines_gbp_m": ByKey(
                    None, Param(SIGNED_MONEY, "yearly amount (value in force on 1 April)", unit="gbp_m",
                                 limits=(None, 2_000), usual=(None, 500)),
                    "other High Needs lines not driven by placements",
                ),
            },
            "High Needs Block spend",
        ),
        "income": Section(
            {
                "hnb_allocation_gbp_m": Param(MONEY, "High Needs Block allocation for the financial year", unit="gbp_m",
                                              limits=(0.1, 5_000), usual=(1, 1_000)),
                "schools_block_transfer_gbp_m": Param(SIGNED_MONEY, "transfer from the Schools Block to HNB", 0.0,
                                                      unit="gbp_m", limits=(None, 500), usual=(None, 50)),
                "other_blocks_in_year_gbp_m": Param(
                    SIGNED_MONEY, "in-year position of the other DSG blocks (+ deficit, - surplus)", 0.0,
                    unit="gbp_m", limits=(None, 1_000), usual=(None, 100),
                ),
            },
            "money in (values in force on 1 April apply to the financial year)",
        ),
        "deficit": Section(
            {
                "opening_accumulated_gbp_m": Param(
                    SIGNED_MONEY, "accumulated DSG deficit on the day before horizon.start", dated=False,
                    unit="gbp_m", limits=(None, 5_000), usual=(None, 1_000),
                ),
                "council_contribution_gbp_m": Param(MONEY, "council's own contribution in the financial year", 0.0,
                                                    unit="gbp_m", limits=(0, 2_000), usual=(0, 300)),
                "dfe_contribution_gbp_m": Param(MONEY, "DfE Safety Valve instalment in the financial year", 0.0,
                                                unit="gbp_m", limits=(0, 2_000), usual=(0, 300)),
            },
            "turning in-year positions into the accumulated deficit",
        ),
        "targets": Custom("targets", "the Safety Valve profile, EHCP plan by age band and KPI targets"),
        "rag": Section(
            {
                "amber_tolerance": Param(
                    WEIGHT, "AMBER when the forecast exceeds the profile by no more than this share", 0.025,
                    dated=False,
                ),
                "kpi_amber_tolerance": Param(
                    WEIGHT, "AMBER when a KPI misses its target by no more than this share of it", 0.05, dated=False
                ),
            },
            "RAG scoring thresholds",
            optional=True,
        ),
        "interventions": Custom("interventions", "named, dated changes to parameters"),
        "remove_interventions": Custom("remove_interventions", "names of inherited interventions to drop"),
        "uncertainty": Custom("uncertainty", "distributions for uncertain parameters (used by Monte Carlo)"),
        "extends": Custom("extends", "a scenario file this one overrides"),
    }
)

INTERVENTION_KEYS = ("name", "condition", "description", "source", "start", "end", "ramp_months", "order", "changes",
                     "rebalance")
CHANGE_OPS = ("set", "multiply", "add")
KPI_DIRECTIONS = ("higher", "lower")

KPIS: dict[str, tuple[int, str, str]] = {
    "school_age_mainstream_share": (1, "higher", "share of school-age (5-15) EHCPs in mainstream incl. SRP, at census"),
    "school_age_mainstream_excl_srp_share": (
        1, "higher", "share of school-age (5-15) EHCPs in mainstream schools, SRP and SEN units excluded, at census"
    ),
    "new_under_5_special_share": (2, "lower", "share of new under-5 plans placed in special or independent"),
    "issued_within_20_weeks_share": (3, "higher", "share of plans issued within 20 weeks of the request"),
    "refusal_share": (3, "higher", "share of decisions that refuse to assess"),
    "reviews_overdue_share": (3, "lower", "share of plans whose annual review is overdue, at year end"),
    "reintegrations": (4, "higher", "moves from special or independent to mainstream or SRP in the year"),
    "post16_mainstream_fe_share": (5, "higher", "share of 16-18 year-olds with EHCPs in mainstream or FE"),
    "waiting_for_place": (6, "lower", "children waiting for a place at year end"),
    "independent_placements": (7, "lower", "plans in independent special schools at year end"),
    "new_plans": (3, "lower", "new EHC plans issued in the year"),
}
"""KPI name -> (Safety Valve condition, which way is better, meaning). Measured per financial year."""

DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "beta": ("alpha", "beta"),
}
UNCERTAINTY_APPLY = ("multiply", "add", "set")

__all__ = ["SCHEMA", "REQUIRED", "KPIS", "INTERVENTION_KEYS", "CHANGE_OPS", "DISTRIBUTIONS"]
