"""Kent's base scenario against the January 2023 census and the 2022 flows (the issue's acceptance).

The simulation starts from the January 2022 census (17,733 plans) and is read on the January 2023 census day
(third Thursday, 19 January 2023). Actual (DfE caseload.csv 2022-23; Safety Valve report): 18,931 plans;
under 5 676, 5-10 5,570, 11-15 6,802, 16-19 3,820, 20-25 2,063. It is the scenario's result, so the Safety Valve
interventions apply (they start after January 2023 except the refusal criteria, which start in April 2023).

Tolerances: total within 2% and each band within 5%, for the median of replications 0-4 (seed 0). Between
replications the total moves by about +-0.5% and the bands by +-1% to +-2% (under 5: +-4%, as it is small), so the
median of five carries about a third of that. The 16-19 and 20-25 bands are partly fits (the start state's single
years of age 11-19, README fit table); the 20-25 band's single years and the under-5 band's ages at plan are
derived (docs/dynamics.md, item 7). Measured (8 replications): +1.7% / +0.9% / -0.6% / +3.2% / +3.9%, total +1.1%.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from svsim.domain import AGE_BANDS, SETTINGS
from svsim.model import simulate

CENSUS_2023 = dt.date(2023, 1, 19)
ACTUAL = {"under_5": 676, "age_5_10": 5570, "age_11_15": 6802, "age_16_19": 3820, "age_20_25": 2063}
ACTUAL_TOTAL = 18_931
REPLICATIONS = 5


@pytest.fixture(scope="module")
def kent_runs(kent_variant):
    sc = kent_variant()
    return [simulate(sc, seed=0, replication=r) for r in range(REPLICATIONS)]


@pytest.fixture(scope="module")
def census(kent_runs):
    """Median over replications of the plans by age band on 19 January 2023."""
    by_band = np.array([h.census(CENSUS_2023).sum(axis=0) for h in kent_runs])
    return dict(zip(AGE_BANDS, np.median(by_band, axis=0), strict=True)), float(np.median(by_band.sum(axis=1)))


def test_january_2023_total_within_2_percent(census):
    _, total = census
    assert total == pytest.approx(ACTUAL_TOTAL, rel=0.02)


@pytest.mark.parametrize("band", ["under_5", "age_5_10", "age_11_15", "age_16_19", "age_20_25"])
def test_january_2023_band_within_5_percent(census, band):
    by_band, _ = census
    assert by_band[band] == pytest.approx(ACTUAL[band], rel=0.05)


def _year_2022(h, key: str) -> float:
    """A 2022 flow scaled to the whole calendar year (the run starts on 20 January: 346 of 365 days)."""
    months = [i for i, m in enumerate(h.month_starts) if m.year == 2022]
    return float(h.flows[key][months].sum()) * 365 / 346


def test_2022_flows_are_kents(kent_runs):
    """DfE 2022: 3,669 requests, 2,314 plans issued, 40.9% within 20 weeks.

    Requests within 5% (Poisson noise about 1.7%); plans within 8% (the model issues about 3.5% more, from the
    pipeline it starts with); within-20-weeks share between 33% and 53% (it is 38% to 49% between replications:
    the officers run close to capacity, so the queue, and with it timeliness, wanders).
    """
    requests = np.median([_year_2022(h, "requests") for h in kent_runs])
    plans = np.median([_year_2022(h, "plans_issued") for h in kent_runs])
    within = np.median([_year_2022(h, "plans_issued_within_20_weeks") / _year_2022(h, "plans_issued")
                        for h in kent_runs])
    assert requests == pytest.approx(3669, rel=0.05)
    assert plans == pytest.approx(2314, rel=0.08)
    assert 0.33 < within < 0.53


@pytest.mark.parametrize("replication", range(REPLICATIONS))
def test_kent_conserves_plans_every_month(kent_runs, replication):
    h = kent_runs[replication]
    days = [max(h.day_of(m), 0) for m in h.month_starts]
    stock = [int(h.occupancy[d].sum()) for d in days]
    change = h.flows["plans_issued"] + h.flows["moved_in"] - h.flows["ceased"]
    assert stock[0] == 17_733
    assert all(stock[m] + change[m] == stock[m + 1] for m in range(len(days) - 1))


def test_2022_endings_other_than_age_and_moving_away_are_kents(kent_runs):
    """DfE ceased_plans.csv 2022: 940 plans ended, 515 of them for reasons other than the maximum age (177) and
    moving away (248): needs met, education, employment, no longer engaging, other. The model ends them at reviews
    (NEET at a higher rate), at 16 and at 19: within 15% of 515 (the median; between replications about +-4%)."""
    other = np.median([_year_2022(h, "ceased_review") + _year_2022(h, "ceased_phase_transfer") for h in kent_runs])
    assert other == pytest.approx(515, rel=0.15)


def test_educated_elsewhere_and_neet_follow_their_2019_2023_trend(kent_runs):
    """eotas + neet_awaiting (DfE: 910, 975, 1,161, 1,373, 1,364 in January 2019-2023; derive_kent_inputs.py
    section f) each January 2023-2028: within 15% of 1,364 grown at between 0% (2022's change) and the 2019-2023
    mean of +10.6% a year; every stock non-negative. Without routes in from existing plans it shrank every year."""
    s = [SETTINGS.index("eotas"), SETTINGS.index("neet_awaiting")]
    for h in kent_runs:
        assert h.occupancy.min() >= 0
        for k, year in enumerate(range(2023, 2029)):
            day = dt.date(year, 1, 19) if year < 2028 else dt.date(2028, 1, 20)
            stock = float(h.census(day)[s].sum())
            assert 0.85 * 1364 <= stock <= 1.15 * 1364 * 1.106 ** k, (year, stock)


def test_educated_elsewhere_and_neet_keep_their_share_of_all_plans(kent_runs):
    """DfE's eotas + neet_awaiting grew +10.6% a year 2019-2023, but so did every plan (+12.6% a year): their share of
    all plans stayed between 7.2% and 7.7% every January (910 / 11,763, 975 / 13,499, 1,161 / 15,281, 1,373 / 17,733,
    1,364 / 18,931). The model's caseload grows about +5% a year from 2023, so the routes are checked against the
    share, not the growth: within a point of the 2019-2023 range each January 2023-2028 (measured 6.6%-7.1%)."""
    s = [SETTINGS.index("eotas"), SETTINGS.index("neet_awaiting")]
    for year in range(2023, 2029):
        day = dt.date(year, 1, 19) if year < 2028 else dt.date(2028, 1, 20)
        share = np.median([float(h.census(day)[s].sum()) / float(h.census(day).sum()) for h in kent_runs])
        assert 0.062 <= share <= 0.087, (year, share)
