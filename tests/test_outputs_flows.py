"""flows.csv and census_dfe.csv: calendar-year flows and DfE placement groups, checked by hand on synthetic
Histories (exact) and present in a real run folder."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from svsim.data.groups import FLOW_MEASURES, OF_WHICH, PLACEMENT_GROUPS, census_groups
from svsim.domain import AGE_BANDS, SETTINGS
from svsim.experiment.flows import calendar_year_flows, year_coverage
from svsim.experiment.synthetic import history_from_stays
from svsim.outputs.flows import census_dfe_table, flows_table


def _monthly(start: dt.date, months: int, value: int) -> dict[dt.date, int]:
    out, y, m = {}, start.year, start.month
    for _ in range(months):
        out[dt.date(y, m, 1)] = value
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_full_calendar_years_are_plain_sums():
    start, end = dt.date(2021, 1, 1), dt.date(2022, 12, 31)
    flows = {"requests": _monthly(start, 24, 10), "plans_issued": _monthly(start, 24, 4),
             "plans_issued_within_20_weeks": _monthly(start, 24, 1), "ceased_age": {dt.date(2022, 5, 3): 7},
             "ceased_review": {dt.date(2021, 2, 3): 5}, "moved_away": {dt.date(2021, 3, 1): 2}}
    h = history_from_stays(start, end, flows=flows,
                           moves=[(dt.date(2021, 9, 1), "mainstream", "special", 3),
                                  (dt.date(2021, 9, 1), "srp", "independent", 2),
                                  (dt.date(2021, 9, 1), "special", "mainstream", 9)])
    out, coverage = calendar_year_flows(h)
    assert coverage == {2021: 1.0, 2022: 1.0}
    assert out["requests"] == {2021: 120.0, 2022: 120.0}
    assert out["new_plans"][2021] == 48.0
    assert out["issued_within_20_weeks_share"][2022] == pytest.approx(0.25)
    assert out["ceased"] == {2021: 7.0, 2022: 7.0}
    assert out["ceased_max_age"] == {2021: 0.0, 2022: 7.0}
    assert out["ceased_other_reasons"][2021] == 5.0 and out["transfers_out"][2021] == 2.0
    assert out["moves_mainstream_to_special"] == {2021: 5.0, 2022: 0.0}
    assert out["transfers_in"] == {2021: 0.0, 2022: 0.0}
    assert set(out) == set(FLOW_MEASURES)


def test_a_part_year_is_annualised_and_a_short_one_left_out():
    start, end = dt.date(2022, 1, 20), dt.date(2023, 3, 31)
    cov = year_coverage(history_from_stays(start, end))
    assert cov[2022] == pytest.approx(346 / 365) and cov[2023] == pytest.approx(90 / 365)
    h = history_from_stays(start, end, flows={"requests": {dt.date(2022, 6, 1): 346}})
    out, coverage = calendar_year_flows(h)
    assert list(coverage) == [2022]
    assert out["requests"][2022] == pytest.approx(365.0)


def test_placement_groups_cover_every_setting_once():
    census = np.arange(len(SETTINGS) * len(AGE_BANDS)).reshape(len(SETTINGS), len(AGE_BANDS))
    groups = census_groups(census)
    total = sum(v for g, v in groups.items() if g not in OF_WHICH)
    assert total == census.sum()
    assert groups["mainstream"] >= groups["resourced_provision"]
    covered = [s for g, ss in PLACEMENT_GROUPS.items() if g not in OF_WHICH for s in ss]
    assert sorted(covered) == sorted(SETTINGS)


def test_tables_have_the_published_columns(tmp_path):
    from svsim.experiment.replications import summarise
    from svsim.scenario import load_scenario

    scenario = load_scenario("scenarios/base.yaml")
    start, end = scenario.census_date, scenario.end
    base = np.zeros((len(SETTINGS), len(AGE_BANDS)), dtype=np.int32)
    base[0, 1] = 100
    results = [summarise(history_from_stays(start, end, base=base,
                                            flows={"requests": _monthly(dt.date(2022, 1, 1), 12, 10 + k)}),
                         scenario, seed=0, replication=k) for k in range(5)]
    flows = flows_table(results)
    assert list(flows.columns[:5]) == ["calendar_year", "measure", "value", "value_p10", "value_p90"]
    row = flows[(flows.calendar_year == 2023) & (flows.measure == "requests")]
    assert row.value.item() == 0
    row = flows[(flows.calendar_year == 2022) & (flows.measure == "requests")].iloc[0]
    assert row.value_p10 <= row.value <= row.value_p90
    census = census_dfe_table(results)
    total = census[(census.census_year == 2023) & (census.group == "total")].value.item()
    assert total == 100
    assert census[(census.census_year == 2023) & (census.group == "mainstream")].value.item() == 100


def test_every_run_folder_has_flows_and_dfe_census(tmp_path):
    from svsim.experiment.replications import summarise
    from svsim.outputs.run import execute_run
    from svsim.scenario import load_scenario

    scenario = load_scenario("scenarios/base.yaml")
    base = np.ones((len(SETTINGS), len(AGE_BANDS)), dtype=np.int32)

    def replicate(sc, seed, i):
        return summarise(history_from_stays(sc.census_date, sc.end, base=base), sc, seed=seed, replication=i)

    outcome = execute_run(scenario, replications=2, out=tmp_path, replicate=replicate, charts=False, command=[])
    assert (outcome.folder / "flows.csv").is_file() and (outcome.folder / "census_dfe.csv").is_file()
