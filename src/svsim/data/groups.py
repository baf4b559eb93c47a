"""The DfE's placement groups and flow measures, and how the model's settings and History flows map onto them.

This is the one place the mapping is written down. The January census of a run (census_dfe.csv) and the
observed DfE tables (svsim.data.dfe) are both expressed in PLACEMENT_GROUPS, and calendar-year flows in
FLOW_MEASURES, so simulated and published figures can be compared without a mapping of one's own.

The model has seven settings; the DfE publishes more. Where the model does not tell two DfE groups apart, the
group is their union and its name says so:
- independent special schools and non-maintained special schools are one model setting (`independent`), so the
  comparable group is `independent_and_non_maintained_special`;
- NEET and awaiting provision are one model setting (`neet_awaiting`): `neet_and_awaiting_provision`.
`resourced_provision` is "of which" within `mainstream` (as in the DfE's mainstream_total): never add the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PLACEMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "mainstream": ("mainstream", "srp"),
    "resourced_provision": ("srp",),
    "state_special": ("special",),
    "independent_and_non_maintained_special": ("independent",),
    "further_education": ("post16",),
    "educated_elsewhere": ("eotas",),
    "neet_and_awaiting_provision": ("neet_awaiting",),
}
"""DfE placement group -> the model settings it is made of."""

OF_WHICH: dict[str, str] = {"resourced_provision": "mainstream"}
"""Groups counted inside another group (excluded when groups are summed to a total)."""

GROUP_LABELS: dict[str, str] = {
    "mainstream": "Mainstream schools incl. resourced provision and SEN units, and non-maintained early years",
    "resourced_provision": "of which resourced provision and SEN units",
    "state_special": "State-funded special schools (LA maintained, academy, free)",
    "independent_and_non_maintained_special": "Independent and non-maintained special schools",
    "further_education": "Further education (general FE, specialist post-16, other providers)",
    "educated_elsewhere": "Educated elsewhere: AP/PRU, home education, other arrangements, other settings (not NEET)",
    "neet_and_awaiting_provision": "NEET and awaiting provision",
}

NEW_RELEASE_COLUMNS: dict[str, tuple[str, ...]] = {
    "mainstream": (
        "mainstream_la_maintained", "mainstream_la_maintained_resourced_provision", "mainstream_la_maintained_senunit",
        "mainstream_academy", "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
        "mainstream_free_school", "mainstream_free_school_resourced_provision", "mainstream_free_school_senunit",
        "mainstream_independent", "nm_early_years",
    ),
    "resourced_provision": (
        "mainstream_la_maintained_resourced_provision", "mainstream_la_maintained_senunit",
        "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
        "mainstream_free_school_resourced_provision", "mainstream_free_school_senunit",
    ),
    "state_special": ("special_la_maintained", "special_academy_free"),
    "independent_and_non_maintained_special": ("special_independent", "special_non_maintained"),
    "further_education": ("general_fe_tertiary_colleges", "specialist_post_16_institutions", "ukrlp_provider"),
    "educated_elsewhere": (
        "elective_home_education", "other_arrangements_la", "other_arrangements_parents", "ap_pru_academy",
        "ap_pru_free_school", "ap_pru_la_maintained", "perm_ex_2022", "other_schools", "other_placement_settings",
        "online_provider", "w_settings", "placement_unknown",
    ),
    "neet_and_awaiting_provision": ("neet", "neet_ntci", "neet_other", "neet_other_csa", "await_prov_2022"),
}
"""Group -> leaf columns of the 2023+ release tables (caseload.csv, newplans.csv); `x`/`z` count as 0. The same
leaves as tools/derive_kent_inputs.py uses for the model's settings."""

AWAITING_COLUMN_FROM_2023 = "other_placement_settings"
"""From the January 2023 census the column `await_prov_2022` is gone and `other_placement_settings` carries DfE's
footnote 3: "includes those awaiting provision, those where a type of setting is specified in the EHC plan but no
specific setting is named, those out of provision, and all other settings not otherwise listed" (Kent: 486
awaiting provision in January 2022, 460 in this column in January 2023, 0-15 before). So from 2023 it counts in
`neet_and_awaiting_provision` (model setting `neet_awaiting`), before 2023 in `educated_elsewhere` (`eotas`)."""


def columns_for_year(mapping: dict[str, tuple[str, ...]], census_year: int) -> dict[str, tuple[str, ...]]:
    """A group/setting -> columns mapping as it applies to a census year (see AWAITING_COLUMN_FROM_2023)."""
    if census_year < 2023:
        return mapping
    out = {}
    for key, cols in mapping.items():
        cols = tuple(c for c in cols if c != AWAITING_COLUMN_FROM_2023)
        if key in ("neet_and_awaiting_provision", "neet_awaiting"):
            cols = (*cols, AWAITING_COLUMN_FROM_2023)
        out[key] = cols
    return out


MODEL_SETTING_COLUMNS: dict[str, tuple[str, ...]] = {
    "mainstream": ("mainstream_la_maintained", "mainstream_academy", "mainstream_free_school",
                   "mainstream_independent", "nm_early_years"),
    "srp": NEW_RELEASE_COLUMNS["resourced_provision"],
    "special": NEW_RELEASE_COLUMNS["state_special"],
    "independent": NEW_RELEASE_COLUMNS["independent_and_non_maintained_special"],
    "post16": NEW_RELEASE_COLUMNS["further_education"],
    "eotas": NEW_RELEASE_COLUMNS["educated_elsewhere"],
    "neet_awaiting": NEW_RELEASE_COLUMNS["neet_and_awaiting_provision"],
}
"""Model setting -> leaf columns of the 2023+ release (used to set a start state from a published census)."""

OLD_RELEASE_TYPES: dict[str, tuple[str, ...]] = {
    "mainstream": ("Mainstream - LA maintained", "Mainstream - Academy", "Mainstream - Free school",
                   "Mainstream - Independent", "Non-maintained early years"),
    "srp": ("Mainstream - LA maintained - SEN unit", "Mainstream - LA maintained - Resourced provision",
            "Mainstream - Academy - SEN unit", "Mainstream - Academy - Resourced Provision",
            "Mainstream - Free school - SEN unit", "Mainstream - Free school - Resourced provision"),
    "special": ("Special - LA maintained", "Special - Academy/free", "Hospital School"),
    "independent": ("Special - Independent", "Special - Non-maintained"),
    "post16": ("General FE and tertiary colleges/HE", "Other FE", "Sixth form college",
               "Specialist post-16 institutions"),
    "eotas": ("Elective home education", "Other arrangements by local authority", "Other arrangements by parents",
              "AP/PRU - LA maintained", "AP/PRU - Academy", "AP/PRU - Free school", "Permanently excluded", "Other"),
    "neet_awaiting": ("NEET", "Awaiting provision - below compulsory school age and in education",
                      "Awaiting provision - below compulsory school age and not in education",
                      "Awaiting provision - compulsory school age and in education",
                      "Awaiting provision - compulsory school age and not in education",
                      "Awaiting provision - above compulsory school age and in education",
                      "Awaiting provision - above compulsory school age and not in education"),
}
"""Model setting -> establishment_type rows of the 2022 release (sen2_estab_caseload.csv), as in
tools/derive_kent_inputs.py."""

FLOW_MEASURES: dict[str, str] = {
    "requests": "requests for an EHC needs assessment received (History: requests, first and repeat) "
                "| DfE requests.csv requests_received_in_year; sen2_mi.csv InreqEHC",
    "refusals": "decided not to assess (History: refusals) | DfE requests.csv requests_decided_not_to_assess; "
                "sen2_mi.csv AssRefusedEHC",
    "assessments_completed": "assessments completed, plan issued or not (History: assessments_completed) "
                             "| DfE assessments.csv assess_issued + assess_not_issued",
    "assessments_not_issued": "assessments that ended without a plan (History: not_issued) "
                              "| DfE assessments.csv assess_not_issued",
    "new_plans": "new EHC plans issued (History: plans_issued) | DfE newplans.csv new_ehc_plans",
    "issued_within_20_weeks_share": "share of new plans issued within 20 weeks of the request, exceptions included "
                                    "(History: plans_issued_within_20_weeks / plans_issued) "
                                    "| DfE timeliness_20_week.csv pc_plans_issued_within_20_weeks / 100",
    "ceased": "plans ceased, every reason (History: ceased_review + ceased_phase_transfer + ceased_age + moved_away) "
              "| DfE ceased_plans.csv total_ceased (2022); sen2_mi.csv DisleaEHC + DismetEHC + DisothEHC + "
              "DisleftEHC (to 2021, a series break)",
    "ceased_max_age": "ceased at the maximum age, 25 (History: ceased_age) | DfE ceased_plans.csv max_age",
    "ceased_other_reasons": "ceased at a review or phase transfer: needs met, education, employment, disengaged "
                            "(History: ceased_review + ceased_phase_transfer) | DfE ceased_plans.csv total_ceased "
                            "- max_age - transfer - moved_outside_eng",
    "transfers_out": "plans ended on moving to another council or leaving England (History: moved_away) "
                     "| DfE ceased_plans.csv transfer + moved_outside_eng; sen2_mi.csv DisleaEHC",
    "transfers_in": "plans arriving with a child from another council (History: moved_in, "
                    "transitions.move_in_rate_per_year) | not published in our extracts (residual of DfE's "
                    "stock-and-flow account, tools/derive_kent_inputs.py section f)",
    "appeals": "appeals against a refusal to assess (History: appeals) | not published as such "
               "(assessments.csv number_assess_tribunal counts tribunal-related assessments)",
    "moves_mainstream_to_special": "moves from mainstream or SRP to special or independent special "
                                   "(History: moves) | DfE sen2_mi.csv MtosiEHC (to 2021)",
}
"""Calendar-year flow measure -> 'model definition | DfE source'."""

SHARE_MEASURES: frozenset[str] = frozenset({"issued_within_20_weeks_share"})
"""Measures that are shares (not annualised for a part-year)."""


def group_counts(by_setting: dict[str, float]) -> dict[str, float]:
    """Plans by model setting -> plans by DfE placement group (resourced_provision is 'of which' mainstream)."""
    return {g: float(sum(by_setting.get(s, 0.0) for s in settings)) for g, settings in PLACEMENT_GROUPS.items()}


def census_groups(census: np.ndarray) -> dict[str, float]:
    """A census array [setting, age band] (svsim.domain.SETTINGS order) -> plans by DfE placement group."""
    from ..domain import SETTINGS

    return group_counts({s: float(census[i].sum()) for i, s in enumerate(SETTINGS)})
