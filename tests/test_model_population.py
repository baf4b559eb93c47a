"""The census-date caseload: IPF to both margins, exact whole-number rounding, single years of age."""

from __future__ import annotations

import numpy as np
import pytest

from svsim.domain import AGE_BANDS, SETTINGS, ages_in_band
from svsim.model.population import controlled_round, ipf, largest_remainder, start_ages, start_caseload

KENT_BANDS = [661, 5429, 6164, 3568, 1911]
KENT_SETTINGS = [4705, 1303, 5534, 1507, 3311, 602, 771]


def kent_prior() -> np.ndarray:
    return np.array([
        [1.0, 0.15, 0.6, 0.02, 0.0, 0.05, 0.03],
        [1.0, 0.3, 0.9, 0.2, 0.0, 0.08, 0.02],
        [1.0, 0.3, 1.1, 0.4, 0.0, 0.15, 0.05],
        [0.3, 0.05, 0.6, 0.2, 1.5, 0.1, 0.2],
        [0.0, 0.0, 0.05, 0.1, 1.0, 0.05, 0.4],
    ])


def test_ipf_meets_both_margins_and_keeps_zeros():
    prior = kent_prior()
    fitted = ipf(prior, KENT_BANDS, KENT_SETTINGS)
    np.testing.assert_allclose(fitted.sum(axis=1), KENT_BANDS, rtol=1e-9)
    np.testing.assert_allclose(fitted.sum(axis=0), KENT_SETTINGS, rtol=1e-9)
    assert (fitted[prior == 0] == 0).all()


def test_ipf_of_a_table_that_already_fits_changes_nothing():
    table = np.array([[2.0, 3.0], [5.0, 7.0]])
    np.testing.assert_allclose(ipf(table, [5, 12], [7, 10]), table)


def test_ipf_rejects_margins_that_disagree_or_are_impossible():
    with pytest.raises(ValueError, match="disagree"):
        ipf(np.ones((2, 2)), [1, 2], [1, 1])
    with pytest.raises(ValueError):
        ipf(np.array([[1.0, 0.0], [0.0, 1.0]]), [2, 0], [1, 1])  # row 1 can only fill column 1


def test_controlled_rounding_reproduces_margins_exactly_and_keeps_zeros():
    prior = kent_prior()
    table = controlled_round(ipf(prior, KENT_BANDS, KENT_SETTINGS), KENT_BANDS, KENT_SETTINGS)
    assert table.dtype.kind == "i"
    assert table.sum(axis=1).tolist() == KENT_BANDS
    assert table.sum(axis=0).tolist() == KENT_SETTINGS
    assert (table[prior == 0] == 0).all()
    fitted = ipf(prior, KENT_BANDS, KENT_SETTINGS)
    assert (np.abs(table - fitted) < 1).all()  # each cell is its floor or its ceiling


def test_controlled_rounding_needs_the_repair_step():
    # rounding up the largest fractions first fills column 1 and 2 and leaves row 0 (which cannot use column 0)
    # short: the augmenting path moves a unit of row 1 to column 0 so that row 0 can take column 1
    table = np.array([[0.0, 0.5211, 0.4789], [1.5139, 0.5261, 0.9599], [1.4861, 0.9527, 0.5612]])
    rows, cols = [1, 3, 3], [3, 2, 2]
    out = controlled_round(table, rows, cols)
    assert out.sum(axis=1).tolist() == rows and out.sum(axis=0).tolist() == cols
    assert out[0, 0] == 0
    assert (np.abs(out - table) < 1).all()


@pytest.mark.parametrize("seed", range(20))
def test_controlled_rounding_of_random_tables(seed):
    rng = np.random.default_rng(seed)
    prior = rng.random((5, 7)) * (rng.random((5, 7)) > 0.3)
    prior[:, 0] += 0.1  # every row can be filled
    prior[0, :] += 0.1  # and every column
    rows = rng.integers(1, 50, 5)
    cols = rng.multinomial(rows.sum(), np.ones(7) / 7)
    cols[cols == 0] = 1
    rows[0] += cols.sum() - rows.sum()
    if rows[0] < 0:
        pytest.skip("inconsistent draw")
    fitted = ipf(prior, rows, cols)
    out = controlled_round(fitted, rows, cols)
    assert out.sum(axis=1).tolist() == rows.tolist()
    assert out.sum(axis=0).tolist() == cols.tolist()
    assert (out[prior == 0] == 0).all() and (out >= 0).all()


def test_largest_remainder_splits_exactly():
    assert largest_remainder([1, 1, 1], 10) == [4, 3, 3]
    assert sum(largest_remainder([0.2, 0.3, 0.5], 7)) == 7
    assert largest_remainder([0, 1], 5) == [0, 5]
    assert largest_remainder([1, 2], 0) == [0, 0]


def test_start_caseload_and_ages_keep_the_published_totals():
    table = start_caseload(kent_prior(), KENT_BANDS, KENT_SETTINGS)
    profile = [1.0] * 26
    profile[0] = 0.0
    by_age = start_ages(table, profile)
    assert by_age.shape == (26, len(SETTINGS))
    assert by_age.sum(axis=0).tolist() == KENT_SETTINGS
    for b, band in enumerate(AGE_BANDS):
        assert by_age[list(ages_in_band(band))].sum() == KENT_BANDS[b]
    assert by_age[0].sum() == 0  # a zero weight keeps that age empty
