"""Replication results and the run's tables, from hand-made Histories (no engine)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from svsim.experiment.replications import ReplicationResult, run_replications, summarise
from svsim.experiment.synthetic import history_from_stays
from svsim.model.history import BAND_INDEX, SETTING_INDEX
from svsim.outputs.tables import (
    DEFICIT_COLUMNS,
    census_table,
    deficit_table,
    kpi_table,
    monthly_table,
    placements_table,
    replications_table,
    reported,
    rounded,
    spend_table,
)
from svsim.scenario import load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"


@pytest.fixture(scope="module")
def kent():
    return load_scenario(BASE)


def constant_caseload(scenario, extra: int = 0) -> np.ndarray:
    counts = np.zeros((7, 5), dtype=np.int32)
    s, b = SETTING_INDEX, BAND_INDEX
    counts[s["mainstream"], b["age_5_10"]] = 4000 + extra
    counts[s["special"], b["age_11_15"]] = 6000
    counts[s["independent"], b["age_11_15"]] = 1500
    counts[s["post16"], b["age_16_19"]] = 3300
    return counts


def fake_replicate(scenario, seed: int, replication: int) -> ReplicationResult:
    """A 'replication' whose mainstream caseload grows with the replication index: deterministic and instant."""
    h = history_from_stays(scenario.census_date, scenario.end, base=constant_caseload(scenario, 500 * replication),
                           seed=seed, replication=replication)
    return summarise(h, scenario)


@pytest.fixture(scope="module")
def results(kent):
    return run_replications(kent, 3, seed=7, replicate=fake_replicate)


def test_results_are_picklable_and_seeded(results):
    assert [(r.seed, r.replication) for r in results] == [(7, 0), (7, 1), (7, 2)]
    again = pickle.loads(pickle.dumps(results[1]))
    assert again.money == results[1].money
    assert np.array_equal(again.census[2023], results[1].census[2023])


def test_summarise_needs_whole_years(kent):
    h = history_from_stays(kent.census_date, dt.date(2027, 12, 31))
    with pytest.raises(ValueError, match="2027"):
        summarise(h, kent)


def test_deficit_table_columns_and_medians(kent, results):
    df = deficit_table(kent, results)
    assert list(df["financial_year"]) == ["2022-23", "2023-24", "2024-25", "2025-26", "2026-27", "2027-28"]
    for col in ("hnb_income_gbp_m", "hnb_spend_gbp_m", "in_year_deficit_gbp_m", "accumulated_deficit_gbp_m",
                "accumulated_deficit_gbp_m_p10", "accumulated_deficit_gbp_m_p90", "p_within_profile",
                "sv_profile_gbp_m", "variance_gbp_m", "rag", "accumulated_deficit_net_of_dfe_gbp_m"):
        assert col in df.columns
    median = [r.money[0].accumulated_deficit_gbp_m for r in results][1]  # replications rise with the index
    assert df["accumulated_deficit_gbp_m"][0] == pytest.approx(median)
    assert (df["variance_gbp_m"] == df["accumulated_deficit_gbp_m"] - df["sv_profile_gbp_m"]).all()
    assert df["sv_profile_gbp_m"][0] == 129.7
    assert set(df["rag"]) <= {"GREEN", "AMBER", "RED"}
    assert df["accumulated_deficit_net_of_dfe_gbp_m"][5] == pytest.approx(df["accumulated_deficit_gbp_m"][5]
                                                                          - 6 * 23.33)


def test_deficit_table_has_the_same_columns_whatever_the_replications(kent, results):
    one, three = deficit_table(kent, results[:1]), deficit_table(kent, results)
    assert list(one.columns) == list(three.columns) == list(DEFICIT_COLUMNS)
    assert (one["replications"] == 1).all() and (three["replications"] == 3).all()
    # one replication: the range collapses onto the value, P(within) is 0 or 1, nothing to say about precision
    assert (one["accumulated_deficit_gbp_m_p10"] == one["accumulated_deficit_gbp_m"]).all()
    assert set(one["p_within_profile"]) <= {0.0, 1.0}
    assert one["median_half_width_gbp_m"].isna().all() and one["accumulated_deficit_gbp_m_mcse"].isna().all()


def test_deficit_table_rows_reconcile_along_the_mean_path(kent, results):
    """opening + in-year + other blocks - council = closing (mean), the next year opens there, and income -
    spend = -in-year: the money columns are one consistent path (the mean), so they add up where medians would
    not."""
    df = deficit_table(kent, results)
    closing = (df["opening_accumulated_deficit_gbp_m"] + df["in_year_deficit_gbp_m"]
               + df["other_blocks_in_year_gbp_m"] - df["council_contribution_gbp_m"])
    assert closing.to_numpy() == pytest.approx(df["accumulated_deficit_gbp_m_mean"].to_numpy())
    assert df["opening_accumulated_deficit_gbp_m"].iloc[1:].to_numpy() == pytest.approx(
        df["accumulated_deficit_gbp_m_mean"].iloc[:-1].to_numpy())
    assert df["opening_accumulated_deficit_gbp_m"].iloc[0] == kent.value("deficit.opening_accumulated_gbp_m")
    assert (df["hnb_spend_gbp_m"] - df["hnb_income_gbp_m"]).to_numpy() == pytest.approx(
        df["in_year_deficit_gbp_m"].to_numpy())
    assert df["variance_pct"].to_numpy() == pytest.approx((df["variance_gbp_m"] / df["sv_profile_gbp_m"]).to_numpy())


def test_rounded_keeps_money_to_the_thousand_pounds():
    df = pd.DataFrame({"x_gbp_m": [1.23456789], "share": [0.123456789], "cost_per_plan_gbp": [22800.4], "n": [3]})
    out = rounded(df)
    assert out["x_gbp_m"][0] == 1.235 and out["share"][0] == 0.1235 and out["cost_per_plan_gbp"][0] == 22800
    assert out["n"][0] == 3


def test_monthly_table_is_the_median_of_each_month(kent):
    def with_flows(k: int) -> ReplicationResult:
        r = fake_replicate(kent, 7, k)
        n = len(r.month_starts)
        return dataclasses.replace(r, monthly_flows={"appeals": np.full(n, float(k))},
                                   monthly_levels={"assessment_queue": np.arange(n, dtype=float) * k})
    df = monthly_table([with_flows(k) for k in (1, 2, 9)])
    assert list(df.columns) == ["date", "assessment_queue", "appeals"]
    assert (df["appeals"] == 2).all() and df["assessment_queue"].iloc[3] == 6


def test_census_table_has_plan_rows(kent, results):
    df = census_table(kent, results)
    assert {"census_year", "age_band", "setting", "ehcps", "plan_ehcps"} <= set(df.columns)
    row = df[(df.census_year == 2023) & (df.age_band == "under_5") & (df.setting == "all")].iloc[0]
    assert row.plan_ehcps == 531
    total = df[(df.census_year == 2023) & (df.age_band == "all")].iloc[0]
    assert total.plan_ehcps == 19228
    assert total.ehcps == 4500 + 6000 + 1500 + 3300  # median replication
    assert sorted(df.census_year.unique()) == [2022, 2023, 2024, 2025, 2026, 2027, 2028]


def test_kpi_table(kent, results):
    df = kpi_table(kent, results)
    assert {"financial_year", "kpi", "condition", "value", "target", "rag", "measured"} <= set(df.columns)
    row = df[(df.kpi == "school_age_mainstream_excl_srp_share") & (df.financial_year == "2023-24")].iloc[0]
    assert row.value == pytest.approx(4500 / (4500 + 6000 + 1500))
    assert row.target == 0.42 and row.rag == "RED" and row.condition == 1  # 0.375 is more than 5% short
    with_srp = df[(df.kpi == "school_age_mainstream_share") & (df.financial_year == "2023-24")].iloc[0]
    assert with_srp.value == pytest.approx(row.value)  # no SRP pupils here


def test_spend_table_adds_up(kent, results):
    df = spend_table(kent, results[:1])
    year = df[df.financial_year == "2023-24"]
    parts = year[year.kind != "total"]["spend_gbp_m"].sum()
    assert parts == pytest.approx(year[year.kind == "total"]["spend_gbp_m"].iloc[0])
    special = year[year.line == "special"].iloc[0]
    assert special.average_plans == pytest.approx(6000)
    assert special.cost_per_plan_gbp == pytest.approx(22800 * 1.043)


def test_placements_table(results):
    df = placements_table(results)
    assert df.columns[0] == "date" and df["date"].iloc[0] == "2022-01-20"
    assert df["special"].iloc[-1] == 6000


def test_replications_table_is_tidy(kent, results):
    df = replications_table(results)
    assert list(df.columns) == ["replication", "seed", "financial_year", "measure", "value"]
    acc = df[(df.measure == "accumulated_deficit_gbp_m") & (df.financial_year == "2022-23")]
    assert list(acc.replication) == [0, 1, 2]
    assert list(acc.value) == [r.money[0].accumulated_deficit_gbp_m for r in results]
    assert df.groupby(["replication", "financial_year", "measure"]).size().max() == 1


def test_reported_shows_the_outturn_of_a_closed_year(kent, results):
    """2022-23 is closed in the base scenario (targets.actual_...): the reported table shows its outturn, scored by
    the same rule, while deficit.csv keeps what the model simulated for it."""
    df = deficit_table(kent, results)
    assert list(df["basis"]) == ["outturn"] + ["forecast"] * 5
    assert df["outturn_accumulated_deficit_gbp_m"][0] == 117.5 and df["outturn_in_year_deficit_gbp_m"][0] == 38.0
    shown = reported(df, amber_tolerance=0.025)
    first = shown.iloc[0]
    assert first.accumulated_deficit_gbp_m == first.accumulated_deficit_gbp_m_p90 == 117.5
    assert first.variance_gbp_m == pytest.approx(117.5 - 129.7) and first.rag == "GREEN"
    assert first.p_within_profile == 1.0 and first.in_year_deficit_gbp_m == 38.0
    dfe_to_date = df["accumulated_deficit_gbp_m"][0] - df["accumulated_deficit_net_of_dfe_gbp_m"][0]
    assert first.accumulated_deficit_net_of_dfe_gbp_m == pytest.approx(117.5 - dfe_to_date)
    assert shown.iloc[1:].equals(rounded(df).iloc[1:])  # forecast years untouched
    assert df["accumulated_deficit_gbp_m"][0] != 117.5  # the simulated figure is kept in deficit.csv
    # an outturn above the profile by more than the tolerance is RED, as a forecast would be
    closed = df.copy()
    closed.loc[0, "outturn_accumulated_deficit_gbp_m"] = 140.0
    assert reported(closed, 0.025).iloc[0].rag == "RED"


def test_rag_could_be_says_when_the_median_sits_on_a_boundary(kent):
    """With too few replications to bound the median the RAG stands alone; with nine, a year whose median's 95%
    interval straddles a RAG boundary lists both ratings (checked against the interval's ends)."""
    from svsim.experiment.precision import median_ci
    from svsim.finance.scoring import profile_rag

    few = deficit_table(kent, [fake_replicate(kent, 7, k) for k in range(3)])
    assert (few["rag_could_be"] == few["rag"]).all()
    nine = [fake_replicate(kent, 7, k) for k in range(9)]
    df = deficit_table(kent, nine)
    for fy, row in zip(nine[0].years, df.itertuples(), strict=True):
        lo, hi = median_ci([r.year(fy).accumulated_deficit_gbp_m for r in nine])
        ends = {profile_rag(v, row.sv_profile_gbp_m, 0.025) for v in (lo, hi)}
        assert row.rag in row.rag_could_be.split("/")
        assert ("/" in row.rag_could_be) == (len(ends | {row.rag}) > 1)
