"""Reading the DfE statistics as published: markers, time periods, and figures checked against the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from svsim.data.dfe import ObservedDataError, calendar_year, census_year, councils, number, read_observed
from svsim.data.groups import OF_WHICH

DATA = Path(__file__).resolve().parents[1] / "data" / "dfe"


@pytest.mark.parametrize("text", ["x", "z", "c", "", " x "])
def test_markers_are_missing_not_zero(text):
    assert number(text) is None


def test_numbers_and_time_periods():
    assert number("1,234") == 1234 and number("0") == 0
    assert census_year("202223") == 2023 and census_year("2022") == 2022 and calendar_year("2021") == 2021
    with pytest.raises(ObservedDataError):
        census_year("2022/23")


def test_kent_as_published():
    kent = read_observed(DATA, "Kent")
    assert kent.census_total[2023] == 18931 and kent.census_total[2021] == 15281
    assert kent.census_age_bands[2022]["age_20_25"] == 1911
    assert kent.census_age_bands[2023]["under_5"] == 676  # Report supplement
    groups = kent.census_groups[2023]
    assert groups["resourced_provision"] == 1285 and groups["state_special"] == 6018
    assert groups["independent_and_non_maintained_special"] == 1400 + 159
    assert sum(v for g, v in groups.items() if g not in OF_WHICH) == 18931
    assert kent.flows["requests"][2022] == 3669 and kent.flows["refusals"][2020] == 822
    assert kent.flows["assessments_completed"][2022] == 2710
    assert kent.flows["issued_within_20_weeks_share"][2022] == pytest.approx(0.409)
    assert kent.flows["ceased"][2022] == 940 and kent.flows["transfers_out"][2022] == 248
    assert kent.flows["moves_mainstream_to_special"] == {**kent.flows["moves_mainstream_to_special"],
                                                          2019: 129, 2020: 154, 2021: 212}
    assert sum(kent.census_settings[2022].values()) == 17733


def test_every_census_year_adds_up_to_its_total():
    for la in ("Kent", "England", "Leeds"):
        obs = read_observed(DATA, la)
        for year, groups in obs.census_groups.items():
            if year >= 2019:
                total = sum(v for g, v in groups.items() if g not in OF_WHICH)
                assert total == pytest.approx(obs.census_total[year], rel=0.002), (la, year)


def test_all_councils_are_there():
    names = councils(DATA)
    assert len(names) >= 150 and "Kent" in names and "Birmingham" in names


def test_unknown_council_is_a_readable_error():
    with pytest.raises(ObservedDataError, match="no January census for 'Narnia'"):
        read_observed(DATA, "Narnia")
