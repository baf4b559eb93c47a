"""Each Safety Valve measure in scenarios/base.yaml moves its own KPI and the money the way its description says.

All comparisons are on common random numbers: replication i of the base and of the base without one measure share
their seed, so the paired difference holds the measure's effect and little luck. Few replications keep this fast.
Every threshold is stated beside its assertion and sits well inside what the measure does today (the measured
sizes are in docs/dynamics.md, "Direction tests"). Measures the engine cannot honour yet are strict xfails naming the
missing mechanism (docs/dynamics.md), so they start failing loudly, as XPASS, the day the mechanism arrives.

Sign convention: `saving(name, ...)` = (base without the measure) - base, so + means the measure lowers the
measure's value (saves money, fewer children waiting, ...).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from svsim.data.groups import PLACEMENT_GROUPS
from svsim.domain import AGE_BANDS, SETTINGS
from svsim.experiment.executors import Task, run_tasks
from svsim.scenario import load_scenario
from svsim.scenario.dated import Series

BASE_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"
REPLICATIONS = 4
SEED = 0
LAST = 2027  # 2027-28, the last year of the Safety Valve profile
MEASURES = (
    "inclusion-in-mainstream", "early-years-review", "statutory-decisions", "sen-recruitment",
    "annual-review-backlog-team", "reintegration", "post16-pathways", "transition-charter", "new-special-school-1",
    "new-special-school-2", "six-k-threshold", "nhs-joint-funding",
)


@pytest.fixture(scope="module")
def runs():
    """Replications 0..REPLICATIONS-1 of the base and of the base without each measure (one pool for all)."""
    base = load_scenario(BASE_SCENARIO)
    names = [iv.name for iv in base.interventions]
    assert set(names) == set(MEASURES), "a measure was added to or removed from the base: give it a direction test"
    scenarios = {"base": base} | {n: base.with_interventions([m for m in names if m != n]) for n in names}
    tasks = [Task(k, r) for k in scenarios for r in range(REPLICATIONS)]
    flat = run_tasks(scenarios, tasks, SEED, workers=2)
    return {k: flat[i * REPLICATIONS:(i + 1) * REPLICATIONS] for i, k in enumerate(scenarios)}


def saving(runs, name: str, measure: str, fy: int = LAST) -> float:
    """Mean over paired replications of (without `name`) - base, for a YearMoney measure."""
    return float(np.mean([getattr(o.year(fy), measure) - getattr(b.year(fy), measure)
                          for o, b in zip(runs[name], runs["base"], strict=True)]))


def kpi_gain(runs, name: str, kpi: str, fy: int) -> float:
    """Mean over paired replications of base - (without `name`) for a KPI: + means the measure raises it."""
    return float(np.mean([b.kpis[kpi][fy] - o.kpis[kpi][fy] for o, b in zip(runs[name], runs["base"], strict=True)]))


ACC = "accumulated_deficit_gbp_m"
INCL = "accumulated_deficit_incl_backlog_gbp_m"


def test_inclusion_in_mainstream(runs):
    """More new school-age plans and fewer moves in mainstream: the condition 1 KPI rises and money is saved
    (measured: +1.5 points and £21m by 2027-28)."""
    assert kpi_gain(runs, "inclusion-in-mainstream", "school_age_mainstream_excl_srp_share", LAST) >= 0.008
    assert saving(runs, "inclusion-in-mainstream", ACC) >= 8.0


def test_early_years_review(runs):
    """Fewer new under-5 plans placed in special schools (condition 2 KPI down; measured 8.0-8.6 points) and money
    saved (measured £17m)."""
    for fy in (2025, LAST):
        assert kpi_gain(runs, "early-years-review", "new_under_5_special_share", fy) <= -0.05
    assert saving(runs, "early-years-review", ACC) >= 5.0


def test_statutory_decisions(runs):
    """Stricter decisions to assess: more refusals (measured +6 points) and less spend. Assessment capacity binds,
    so most of the saving is a shorter queue: the deficit including the backlog falls by more (measured £13m
    headline, £25m with the backlog)."""
    for fy in (2023, 2025, LAST):
        assert kpi_gain(runs, "statutory-decisions", "refusal_share", fy) >= 0.04
    assert saving(runs, "statutory-decisions", ACC) > 0.0
    assert saving(runs, "statutory-decisions", INCL) >= 5.0


def test_sen_recruitment_issues_plans_sooner_and_shortens_the_queue(runs):
    """Recruiting case officers issues plans sooner: timeliness rises (measured +26 points in 2025-26), the queue at
    31 March 2028 is shorter, and the headline deficit is higher with it (removing it 'saves' about £40m)."""
    assert kpi_gain(runs, "sen-recruitment", "issued_within_20_weeks_share", 2025) >= 0.10
    waiting = saving(runs, "sen-recruitment", "children_waiting")
    assert waiting >= 500, f"without recruitment the queue at 31 March 2028 should be longer; got {waiting:+.0f}"
    headline = saving(runs, "sen-recruitment", ACC)
    assert headline < 0, f"without recruitment fewer plans are issued, so the headline is lower; got {headline:+.1f}"


def test_sen_recruitment_shows_its_deferred_cost(runs):
    """With the backlog commitment beside it, removing recruitment must not look like much more than half of the
    headline's 'saving': the queue it leaves behind carries the deferred cost (issue 10's example: at most half).

    The arithmetic (docs/dynamics.md, "What the commitment prices"): the headline difference is the plan-years not
    held while the extra queue built up (about 2,610 child-years from April 2023, x p_issue x the marginal cost of
    a plan, independent for a child needing special once special schools are full); the commitment is one year of
    the final extra queue (about 1,420 children) at the same marginal cost, since a queue longer than a year's plans
    finds the special places full. So the ratio is about 1 - 1,420 / 2,610 = 0.46, set by how long the queue took
    to build, not by a price (tools/deferred_cost.py prints these figures). Measured: 0.47 on 16 pairs (bootstrap
    95% interval 0.44-0.50), so the issue's half holds; groups of 4 pairs run 0.42-0.51 (5%-95%), so 0.5 on these 4
    would be a knife-edge. The limit 0.55 keeps a margin on both sides: the commitment priced at the year's average
    placements (one year of the queue at ~£14k a plan) gave 0.61-0.69 in every group of 4."""
    headline, incl = saving(runs, "sen-recruitment", ACC), saving(runs, "sen-recruitment", INCL)
    assert headline < -10.0, f"removing recruitment should lower the headline; got {headline:+.1f}"
    assert incl / headline <= 0.55, (
        f"removing recruitment lowers the headline by £{-headline:.1f}m but the deficit including the backlog by "
        f"£{-incl:.1f}m: {incl / headline:.2f} of it")


def test_annual_review_backlog_team_clears_reviews(runs):
    """More reviews a month: fewer overdue (measured 7 points lower every year)."""
    for fy in (2023, 2025, LAST):
        assert kpi_gain(runs, "annual-review-backlog-team", "reviews_overdue_share", fy) <= -0.03


def test_annual_review_backlog_team_saves_by_ceasing_plans(runs):
    """The team ceased 20.3% of the reviews it completed (Report): 150 reviews a month of the oldest overdue plans,
    of which the 16-25s cease at 20.3% (annual_review.overdue_cease_probability), end about 120 more plans a year
    than the ordinary rates would, so at least £10m by 2027-28 (measured: £26.6m, pairs £25.9m-£27.8m)."""
    assert saving(runs, "annual-review-backlog-team", ACC) >= 10.0


def test_reintegration(runs):
    """More moves back to mainstream: the condition 4 KPI rises (measured +50 to +62 a year) and money is saved
    (£14m)."""
    for fy in (2025, LAST):
        assert kpi_gain(runs, "reintegration", "reintegrations", fy) >= 20
    assert saving(runs, "reintegration", ACC) >= 4.0


def test_post16_pathways(runs):
    """More special school pupils move to FE at 16: the condition 5 KPI rises (measured +2.4 to +2.6 points) and money
    is saved (£15m)."""
    for fy in (2025, LAST):
        assert kpi_gain(runs, "post16-pathways", "post16_mainstream_fe_share", fy) >= 0.01
    assert saving(runs, "post16-pathways", ACC) >= 4.0


def test_transition_charter(runs):
    """Half as many moves from mainstream to independent at Year 7: fewer independent placements (measured 29 fewer
    by March 2028) and money saved (£2.7m)."""
    assert -kpi_gain(runs, "transition-charter", "independent_placements", LAST) >= 10
    assert saving(runs, "transition-charter", ACC) >= 1.0


@pytest.mark.parametrize(("school", "months_open"), [("new-special-school-1", 31), ("new-special-school-2", 19)])
def test_new_special_school_saves_money(runs, school, months_open):
    """150 state special places, taken by children who would otherwise wait or go to an independent school (~£24k a
    year less each; docs/dynamics.md, 'Places that respond to capacity'): at least 30 fewer independent placements
    at March 2028 and at least £1m per 10 months open by 2027-28 (school 1 opens September 2025, 31 months before
    April 2028: £3.1m; school 2 September 2026, 19 months: £1.9m). Measured: £8.7m and 150 fewer; £5.1m and 150
    fewer."""
    assert -kpi_gain(runs, school, "independent_placements", LAST) >= 30
    assert saving(runs, school, ACC) >= months_open / 10


def test_six_k_threshold(runs):
    """Paying schools half as much towards their first £6,000: about £2m saved in 2023-24 (Report; measured
    £2.00m), and it keeps saving."""
    assert 1.5 <= saving(runs, "six-k-threshold", ACC, 2023) <= 2.5
    assert saving(runs, "six-k-threshold", ACC) >= 8.0


def test_nhs_joint_funding(runs):
    """The NHS pays twice its share of independent placements: money saved (measured £2.2m by 2027-28)."""
    assert saving(runs, "nhs-joint-funding", ACC) >= 1.0


# ---- the base's assessment stage and age structure (issue 10, items 6 and 7), on the same replications -------------
REPORT_OPEN_CASES_MAY_2023 = 2100  # Report, condition 3: 'almost 2,100 open cases'
DFE_WITHIN_20_WEEKS_2022 = 0.409  # DfE timeliness_20_week.csv, Kent, calendar 2022
DFE_JANUARY_2023 = {"under_5": 676, "age_5_10": 5570, "age_11_15": 6802, "age_16_19": 3820, "age_20_25": 2063}
DFE_GROWTH_2019_2023 = {"age_5_10": 0.123, "age_11_15": 0.133}  # mean yearly growth (tools/derive_kent_inputs.py f5)
CENSUS_YEARS = range(2023, 2029)


def month_of(result, when: dt.date) -> int:
    return result.month_starts.index(when)


def open_cases(result, when: dt.date) -> float:
    """Requests awaiting a decision + assessments waiting for an officer or under way, at 00:00 on `when`."""
    m = month_of(result, when)
    return float(sum(result.monthly_levels[k][m] for k in ("open_requests", "assessment_queue",
                                                             "assessments_in_progress")))


def issued_in(result, year: int) -> float:
    """New plans in calendar `year`, a year's worth (2022, simulated from 20 January, is annualised)."""
    return float(result.calendar_flows["new_plans"][year])


def band_mean(runs, year: int, band: str) -> float:
    return float(np.mean([r.census[year][:, AGE_BANDS.index(band)].sum() for r in runs["base"]]))


def test_open_cases_in_may_2023_are_the_reports(runs):
    """A fit, not a validation: assessment.weeks_to_assess (30) was set from this figure by Little's law (README fit
    table). Within 15% of 2,100 (measured about 2,060)."""
    got = np.mean([open_cases(r, dt.date(2023, 5, 1)) for r in runs["base"]])
    assert abs(got / REPORT_OPEN_CASES_MAY_2023 - 1) <= 0.15, f"{got:.0f} open cases in May 2023"


def test_2022_timeliness_is_dfes(runs):
    """A fit: assessment.weeks_to_assess_cv (1.1) was set so that 40.9% of 2022's plans come within 20 weeks. Within
    5 points (measured 40-41%)."""
    got = np.mean([r.calendar_flows["issued_within_20_weeks_share"][2022] for r in runs["base"]])
    assert abs(got - DFE_WITHIN_20_WEEKS_2022) <= 0.05, f"{got:.3f} within 20 weeks in 2022"


def test_timeliness_is_not_a_knife_edge(runs):
    """The 2025-26 share within 20 weeks used to flip between about 0-15% and about 50% from one replication to the
    next. Over 20 replications its interquartile range is now 2-3 points (docs/dynamics.md, item 6); on these 4 the
    whole range must stay under 15 points (a knife-edge would put some replications in each mode: with two equally
    likely modes 35 points apart, all 4 in one mode has probability 1/8)."""
    shares = [r.kpis["issued_within_20_weeks_share"][2025] for r in runs["base"]]
    assert max(shares) - min(shares) < 0.15, f"2025-26 within 20 weeks by replication: {shares}"


@pytest.fixture(scope="module")
def surge(runs):
    """The base without recruitment (vacancies stay at 25%, a queue builds) plus 10 agency officers from April 2024
    to April 2025, on the first 2 replications (pairs with runs['sen-recruitment'])."""
    base = load_scenario(BASE_SCENARIO)
    names = [iv.name for iv in base.interventions if iv.name != "sen-recruitment"]
    plan = Series.from_pairs([(base.census_date, 0.0), (dt.date(2024, 4, 1), 10.0), (dt.date(2025, 4, 1), 0.0)])
    scenario = base.with_interventions(names).with_base_params({"assessment.surge_officers_fte": plan})
    return run_tasks({"surge": scenario}, [Task("surge", r) for r in range(2)], SEED, workers=2)


def test_a_surge_of_officers_lowers_open_cases(runs, surge):
    """10 officers x 11 places for 12 months, each place held about 14 weeks, can finish about 110 x 52 / 14 = 410
    more assessments if a queue feeds them: open cases at the surge's end at least 200 lower (measured about 300:
    the queue for an officer empties; the wait for advice does not shorten)."""
    end = dt.date(2025, 4, 1)
    pairs = zip(runs["sen-recruitment"][:2], surge, strict=True)
    lower = np.mean([open_cases(without, end) - open_cases(with_, end) for without, with_ in pairs])
    assert lower >= 200, f"open cases only {lower:+.0f} lower at the end of the surge"


def test_under_5_band_follows_its_new_plans(runs):
    """Structural stability (issue 10, item 7): the under-5 band turns over almost completely each year, so its
    January level follows the plans issued in the year before. Every January 2023-2028 it stays between 0.85 and
    1.3 times 676 (January 2023, DfE) grown with the model's plans issued (not with demand: officers cap how many
    plans are issued). It used to fall to about 0.6 from January 2024 (requests at academic age 4 got their plans
    at 5)."""
    issued_2022 = np.mean([issued_in(r, 2022) for r in runs["base"]])
    for year in CENSUS_YEARS:
        growth = np.mean([issued_in(r, year - 1) for r in runs["base"]]) / issued_2022
        ratio = band_mean(runs, year, "under_5") / (DFE_JANUARY_2023["under_5"] * growth)
        assert 0.85 <= ratio <= 1.3, f"under 5 in January {year}: {ratio:.2f} of its yardstick"


@pytest.mark.parametrize("band", ["age_5_10", "age_11_15"])
def test_school_age_bands_neither_shrink_nor_outgrow_their_trend(runs, band):
    """Stocks that accumulate: every January 2023-2028 at least 0.9 of January 2023's level (DfE; the model gives
    -4% to 0% in January 2023, then grows) and at most 1.1 times that level grown at the 2019-2023 mean growth
    (+12.3%, +13.3% a year): no collapse like the under-5 band's, no runaway."""
    level, growth = DFE_JANUARY_2023[band], DFE_GROWTH_2019_2023[band]
    for year in CENSUS_YEARS:
        got = band_mean(runs, year, band)
        assert 0.9 * level <= got <= 1.1 * level * (1 + growth) ** (year - 2023), f"{band} {year}: {got:.0f}"


def test_16_19_band_follows_its_recent_trend(runs):
    """Within 15% of January 2023's 3,820 grown at its 2021-2023 rate (+7% a year), every January 2023-2028. The
    endings engineer's plan endings (issue 10, item 1) act on this band."""
    for year in CENSUS_YEARS:
        expected = DFE_JANUARY_2023["age_16_19"] * 1.07 ** (year - 2023)
        assert abs(band_mean(runs, year, "age_16_19") / expected - 1) <= 0.15, year


@pytest.mark.xfail(strict=True, reason=(
    "known miss (issue 10, items 1 and 7): the 20-25 band grows from about 2,140 (January 2023, +3.9%) to about 3,640 "
    "(2028) against about 3,030 on its trend (+20%; was about 4,100). The cohort flow of DfE's band counts gives "
    "415-480 plans a year reaching 20 in 2020-2022; the model brings about 600-800 a year from 2024 as the larger "
    "11-15 cohorts come through, and DfE's recorded 2022 endings (515 other than age and moving away) leave no "
    "room for the extra ~200 a year ending at 19-20 that the stocks imply (docs/dynamics.md, item 7)"))
def test_20_25_band_follows_its_recent_trend(runs):
    """Within 15% of January 2023's 2,063 grown at +8% a year (its 2023 rate), every January 2023-2028."""
    for year in CENSUS_YEARS:
        expected = DFE_JANUARY_2023["age_20_25"] * 1.08 ** (year - 2023)
        assert abs(band_mean(runs, year, "age_20_25") / expected - 1) <= 0.15, year


def test_every_stock_is_non_negative(runs):
    """No January census cell, no month's plans by setting and age band and no monthly queue is ever negative, in
    any of the scenarios run here."""
    for results in runs.values():
        for r in results:
            assert min(int(c.min()) for c in r.census.values()) >= 0
            assert int(r.monthly_plans.min()) >= 0
            assert min(float(v.min()) for v in r.monthly_levels.values()) >= 0


@pytest.fixture(scope="module")
def dfe_groups():
    """Kent's January census by DfE placement group (the repo's copy of the DfE statistics), 2019 and 2023."""
    from svsim.data.dfe import read_observed

    observed = read_observed(Path(__file__).resolve().parents[1] / "data" / "dfe", "Kent")
    return observed.census_groups[2019], observed.census_groups[2023]


@pytest.mark.parametrize("group", list(PLACEMENT_GROUPS))
def test_setting_groups_neither_collapse_nor_outgrow_their_trend(runs, dfe_groups, group):
    """Structural stability by setting (issue 10, 'Tests and evidence'): every DfE placement group, every January
    2023-2028, at least 0.8 of its January 2023 level (DfE) and at most 1.2 times that level grown at the group's
    2019-2023 mean growth (mainstream +14%, resourced provision +6.5%, state special +10%, independent +15%, FE +15%,
    educated elsewhere +29%, NEET and awaiting +0.5% a year). The measures move settings on purpose (inclusion,
    step-down into new special places), so the band asks for no collapse and no runaway, not for the trend: a
    group may lose up to a fifth of its 2023 level over five years, more than any DfE group lost in 2019-2023
    (largest fall: NEET and awaiting, -13% in 2022-23). State special places are capped (placement.capacity), so
    its ceiling is never the trend in the base. Measured (4 replications): the closest to the floor is NEET and
    awaiting, 0.84 in January 2026-2027 (children waiting for a special place leave it as the new schools open);
    the closest to the ceiling is NEET and awaiting in 2024 (0.86 of it). Far under the trend, said plainly:
    independent ends at 0.96 of its 2023 level in 2028, half its 2019-2023 trend (the step-down assumptions,
    docs/dynamics.md item 4), state special at its capacity."""
    first, last = dfe_groups[0][group], dfe_groups[1][group]
    growth = (last / first) ** (1 / 4) - 1
    rows = [SETTINGS.index(s) for s in PLACEMENT_GROUPS[group]]
    for year in CENSUS_YEARS:
        got = float(np.mean([r.census[year][rows].sum() for r in runs["base"]]))
        assert got >= 0.8 * last, f"{group} January {year}: {got:.0f}, under 0.8 of January 2023's {last:.0f}"
        ceiling = 1.2 * last * (1 + growth) ** (year - 2023)
        assert got <= ceiling, f"{group} January {year}: {got:.0f} outgrows its trend ({ceiling:.0f})"
