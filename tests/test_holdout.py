"""The out-of-sample test (issue 11): calibrate on Kent's data up to the January 2021 census and calendar 2020
flows, forecast January 2022 and 2023 and the 2021-2022 flows, and compare with what was published.

Nothing here was tuned on 2021-2023: the calibration sees only censuses to January 2021 and flows to 2020, and
the forecast's inputs come from the same years (svsim.scenario.observed), but for the inherited inputs declared in
KNOWN_LEAKS (and the README). Tolerances, not seeded figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from svsim.experiment.calibrate import HOLDOUT_SCENARIO, holdout

ROOT = Path(__file__).resolve().parents[1]
KENT_SPREADSHEET_MISS = 0.015
"""Kent's own spreadsheet model missed its January 2023 EHCP total by 1.5% (the Report: 19,228 planned, 18,931)."""


@pytest.fixture(scope="module")
def kent_holdout(tmp_path_factory):
    outcome, tables = holdout(ROOT / HOLDOUT_SCENARIO, ROOT / "data" / "dfe",
                              tmp_path_factory.mktemp("holdout"), replications=6, workers=1)
    return outcome, tables


KNOWN_LEAKS = {
    "start_state.caseload_prior.*", "start_state.age_profile.*", "start_state.reviews_overdue_share",
    "decision.appeal_probability", "assessment.weeks_to_assess", "placement.fallback.special",
    "annual_review.moves.*", "transitions.phase_transfer.year_7.moves.*",
    "annual_review.cease_setting_factor.neet_awaiting", "annual_review.overdue_cease_probability.*",
    "assessment.weeks_to_assess_cv", "placement.max_wait_weeks.special", "placement.start_wants_share.special",
    "placement.step_down_probability.*",
}
"""Inputs of the hold-out's forecast whose sources cite the cut-off year or later: listed in the README's
out-of-sample section ('what the forecast still inherits'). A new one must be removed from the hold-out (put back
in scenarios/backtest/kent-before-2021.yaml, derived in svsim.scenario.observed, or calibrated) or listed there."""


def _total(tables, year):
    t = tables["backtest"]
    return t[(t.measure == "census_total") & (t.year == year)].iloc[0]


def test_calibration_sees_only_the_past(kent_holdout):
    outcome, _ = kent_holdout
    assert {row["year"] for row in outcome.fit} <= {2020, 2021}
    assert outcome.loss <= outcome.loss_at_start
    assert not outcome.at_bound, outcome.multipliers  # the data pin the multipliers inside the fit's bounds


def test_every_input_from_after_the_cutoff_is_declared(kent_holdout):
    _, tables = kent_holdout
    inputs = tables["inputs"]
    leaked = set(inputs[inputs.origin == "cites the cut-off year or later"].parameter)
    assert leaked <= KNOWN_LEAKS, f"undeclared inputs citing 2021 or later: {sorted(leaked - KNOWN_LEAKS)}"
    assert (inputs.origin == "calibrated before the cut-off").any()


def test_placement_mix_beats_carrying_january_2021_forward(kent_holdout):
    _, tables = kent_holdout
    mix = tables["mix"].set_index("year")
    for year in (2022, 2023):
        assert mix.loc[year, "svsim_mix_error"] < mix.loc[year, "carry_forward_mix_error"], mix


def test_january_2023_total_is_close(kent_holdout):
    """A regression guard on the forecast's size, not the goal (the README's out-of-sample table has the measured
    figure). It was 4% while the hold-out inherited inputs set against 2022-2023 (case officers, review capacity,
    the year-12 and mainstream-to-special moves); with those put back to pre-2021 figures the forecast is about 5%
    under, so the guard is 6%. The goal below keeps Kent's 1.5%."""
    _, tables = kent_holdout
    row = _total(tables, 2023)
    assert abs(row.pct_error) < 6.0, row
    assert abs(row.pct_error) < abs(row.carry_forward_pct_error)


def test_january_2023_total_within_kents_own_miss(kent_holdout):
    """The issue's goal: within Kent's own 1.5%. Measured -0.5% on 20 replications with issue 10's dynamics on main
    (README's out-of-sample section). A real assertion: a change to the dynamics that moves the forecast outside it
    fails here, and the tolerance is never loosened. Nothing is tuned on 2021-2023."""
    _, tables = kent_holdout
    row = _total(tables, 2023)
    assert abs(row.pct_error) / 100 <= KENT_SPREADSHEET_MISS, (
        f"January 2023 total {row.simulated:,.0f} against {row.observed:,.0f}: {row.pct_error:+.2f}%, "
        f"outside Kent's own {KENT_SPREADSHEET_MISS:.1%}")
