"""Shapley attribution: the computation on known games, the choice of players, and the money-only cache.

The cache test runs the real engine (on Kent scaled down by ten) and checks the cached results are identical to
simulating every subset; the combinatorial tests use `fake_simulate`, an instant History that depends on the
model parameters (never on money ones).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import zlib
from pathlib import Path

import numpy as np
import pytest

from svsim.domain import AGE_BANDS, SETTINGS
from svsim.experiment import attribution
from svsim.experiment.attribution import (
    EXACT_MAX_PLAYERS,
    NotAttributable,
    attribute,
    brute_force_deficits,
    choose_players,
    is_money_only,
    model_groups,
    plan_attribution,
    shapley_of,
    shapley_values,
    subset_deficits,
)
from svsim.experiment.synthetic import history_from_stays
from svsim.finance.deficit import financial_years
from svsim.scenario import Intervention, load_scenario
from svsim.scenario.interventions import Change

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def fake_simulate(scenario, seed: int = 0, replication: int = 0):  # noqa: ANN001, ANN201
    """An instant 'simulation': plans depend (non-linearly) on every model parameter at the horizon's end and on the
    replication, never on money parameters. Deterministic."""
    x = 0.0
    for path, series in scenario.params.items():
        if path.startswith(attribution.MONEY_PREFIXES):
            continue
        v = series.at(scenario.end)
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            x += (zlib.crc32(path.encode()) % 1000 + 1) * float(v)
    counts = np.full((len(SETTINGS), len(AGE_BANDS)), 100, dtype=np.int64)
    counts[SETTINGS.index("mainstream"), 1] += int(x) % 997 + 50 * replication
    counts[SETTINGS.index("special"), 2] += int(x * 7) % 499 + 10 * (replication % 3)
    counts[SETTINGS.index("independent"), 2] += int(x * 3) % 211
    return history_from_stays(scenario.census_date, scenario.end, base=counts, seed=seed, replication=replication)


def fake_money(history, scenario) -> np.ndarray:  # noqa: ANN001
    """Instant money ([year, measure] like attribution._money): plan-years priced by two money parameters in force
    on 1 April, non-linearly (so money-only interventions interact with model ones)."""
    rows, accumulated = [], 0.0
    for fy in financial_years(scenario):
        first, after = dt.date(fy, 4, 1), dt.date(fy + 1, 4, 1)
        plans = history.occupancy[history.day_of(first):history.day_of(after)].sum(axis=(1, 2)).mean()
        share = scenario.series("costs.mainstream.below_threshold_share_paid").at(first)
        nhs = scenario.series("costs.nhs_share.independent").at(first)
        in_year = plans / 100 * (1 + share) * (1 - nhs) - 20
        accumulated += in_year
        rows.append([accumulated, in_year])
    return np.array(rows)


@pytest.fixture
def fake_engine(monkeypatch):
    """The engine and the pricing swapped for instant stand-ins (serial runs only)."""
    monkeypatch.setattr(attribution, "_simulate", fake_simulate)
    monkeypatch.setattr(attribution, "_money", fake_money)


@pytest.fixture(scope="module")
def kent():
    return load_scenario(SCENARIOS / "base.yaml"), load_scenario(SCENARIOS / "unmitigated.yaml")


def _iv(name: str, condition: int | None, *paths: str) -> Intervention:
    changes = tuple(Change(p, "multiply", 1.0, None) for p in paths or ("decision.refusal_probability",))
    return Intervention(name, condition, "", "", dt.date(2023, 4, 1), None, 0, None, changes, "x.yaml", None)


# ---- Shapley values on known games -----------------------------------------------------------------------------
def test_additive_game_gives_each_player_its_own_value():
    own = {"a": 3.0, "b": -1.5, "c": 7.25, "d": 0.0}
    phi = shapley_of(list(own), lambda s: sum(own[p] for p in s))
    assert phi == pytest.approx(own)


def test_symmetric_players_get_equal_shares():
    phi = shapley_of(["a", "b", "c", "d", "e"], lambda s: len(s) ** 2)  # depends on the size of S only
    assert list(phi.values()) == pytest.approx([25 / 5] * 5)


def test_three_player_game_by_hand():
    v = {(): 0, (1,): 10, (2,): 20, (3,): 30, (1, 2): 40, (1, 3): 50, (2, 3): 60, (1, 2, 3): 90}
    # phi_1 = 1/3 (10 - 0) + 1/6 (40 - 20) + 1/6 (50 - 30) + 1/3 (90 - 60) = 20, and likewise 30 and 40
    phi = shapley_of([1, 2, 3], lambda s: v[tuple(sorted(s))])
    assert phi == pytest.approx({1: 20.0, 2: 30.0, 3: 40.0})


def test_a_player_that_changes_nothing_gets_nothing_and_complements_share():
    # glove game: a left glove (1) and two right gloves (2, 3); a pair is worth 1
    phi = shapley_of([1, 2, 3], lambda s: float(1 in s and (2 in s or 3 in s)))
    assert phi == pytest.approx({1: 2 / 3, 2: 1 / 6, 3: 1 / 6})
    phi = shapley_of(["x", "dummy"], lambda s: 5.0 * ("x" in s))
    assert phi == pytest.approx({"x": 5.0, "dummy": 0.0})


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_efficiency_and_trailing_dimensions(k):
    rng = np.random.default_rng(k)
    values = rng.normal(size=(1 << k, 4, 3))  # any game, carried over replications x years
    values[0] = 0.0
    phi = shapley_values(values)
    assert phi.shape == (k, 4, 3)
    np.testing.assert_allclose(phi.sum(axis=0), values[-1] - values[0], atol=1e-12)
    # the same as the permutation definition (for small k)
    if k <= 3:
        perms = list(itertools.permutations(range(k)))
        direct = np.zeros_like(phi)
        for order in perms:
            mask = 0
            for j in order:
                direct[j] += values[mask | 1 << j] - values[mask]
                mask |= 1 << j
        np.testing.assert_allclose(phi, direct / len(perms), atol=1e-12)


def test_shapley_needs_a_power_of_two():
    with pytest.raises(ValueError, match="2\\^k"):
        shapley_values(np.zeros(6))
    assert shapley_values(np.zeros((1, 2))).shape == (0, 2)


# ---- players and plans -----------------------------------------------------------------------------------------
def test_money_only_interventions():
    assert is_money_only(_iv("a", 8, "costs.mainstream.below_threshold_share_paid"))
    assert is_money_only(_iv("b", None, "income.hnb_allocation_gbp_m", "deficit.council_contribution_gbp_m"))
    assert not is_money_only(_iv("c", 1, "costs.nhs_share.independent", "placement.capacity.special"))


def test_up_to_eight_interventions_are_players_beyond_that_condition_groups():
    few = [_iv(f"m{i}", i % 3) for i in range(EXACT_MAX_PLAYERS)]
    players, grouped, method = choose_players(few)
    assert not grouped and [p.label for p in players] == [f"m{i}" for i in range(8)]
    assert "2^8 = 256" in method

    many = [_iv(f"m{i}", 1 + i % 4) for i in range(10)] + [_iv("loose", None)]
    players, grouped, method = choose_players(many)
    assert grouped and "grouped by Safety Valve condition into 5 groups" in method
    assert [p.condition for p in players] == [1, 2, 3, 4, None]
    assert players[0].interventions == ("m0", "m4", "m8") and players[0].label == "m0 + m4 + m8"

    too_many = [_iv(f"m{i}", i + 1) for i in range(10)]
    with pytest.raises(NotAttributable, match="more than 9"):
        choose_players(too_many)


def test_kent_base_against_unmitigated_is_grouped_by_condition(kent):
    base, unmitigated = kent
    plan = plan_attribution(unmitigated, base)
    assert plan.mitigated_side == "other" and plan.grouped and plan.common == ()
    assert [p.condition for p in plan.players] == list(range(1, 10))
    assert {p.label for p in plan.players if p.money_only} == {"six-k-threshold", "nhs-joint-funding"}
    assert plan.n_subsets == 512 and plan.simulations_per_replication == 128
    groups = model_groups(plan)
    assert len(groups) == 128 and all(len(m) == 4 and m[0] == key for key, m in groups.items())
    # the same pair the other way round: BASE holds the interventions
    assert plan_attribution(base, unmitigated).mitigated_side == "base"


def test_one_intervention_removed(kent):
    base, _ = kent
    without = load_scenario(SCENARIOS / "without-six-k-threshold.yaml")
    plan = plan_attribution(base, without)
    assert plan.mitigated_side == "base" and [p.label for p in plan.players] == ["six-k-threshold"]
    assert len(plan.common) == 11 and plan.simulations_per_replication == 1
    assert plan.subset_scenario(0).fingerprint == without.fingerprint
    assert plan.subset_scenario(1).fingerprint == base.fingerprint


def test_scenarios_differing_in_other_ways_are_not_attributed(kent):
    base, unmitigated = kent
    changed = load_scenario(SCENARIOS / "base.yaml", overrides=["assessment.vacancy_rate=0.2"])
    with pytest.raises(NotAttributable, match="more than named interventions.*assessment.vacancy_rate"):
        plan_attribution(unmitigated, changed)
    with pytest.raises(NotAttributable, match="same interventions"):
        plan_attribution(base, base)
    a = base.with_interventions(["six-k-threshold"])
    b = base.with_interventions(["nhs-joint-funding"])
    with pytest.raises(NotAttributable, match="each scenario has interventions the other lacks"):
        plan_attribution(a, b)


# ---- evaluating subsets: the cache against brute force ----------------------------------------------------------
def test_cache_is_identical_to_brute_force_on_the_engine(kent_variant):
    """One model-changing and two money-only interventions: 2 simulations a replication instead of 8."""
    small = kent_variant(small=True).with_interventions(["statutory-decisions", "six-k-threshold",
                                                         "nhs-joint-funding"])
    plan = plan_attribution(small.with_interventions([]), small)
    assert plan.simulations_per_replication == 2
    cached, simulations = subset_deficits(plan, 3, 2)
    assert simulations == 4
    brute = brute_force_deficits(plan, 3, 2)
    assert np.array_equal(cached, brute)  # bit for bit
    parallel, _ = subset_deficits(plan, 3, 2, workers=2)  # a process pool: the same numbers
    assert np.array_equal(parallel, cached)
    result = attribute(plan, 3, 2)
    fy = result.years[-1]
    total = result.total_stat(fy).mean
    assert sum(result.player_stat(j, fy).mean for j in range(plan.k)) == pytest.approx(total, abs=1e-9)
    six_k = result.player_stat([p.label for p in plan.players].index("six-k-threshold"), 2023,
                               "in_year_deficit_gbp_m")
    assert six_k.ci_low > 0  # a tenth of Kent: about £0.2m a year, in money only, so known very precisely


def test_cache_matches_brute_force_on_the_synthetic_engine(fake_engine, kent):
    """Kent's conditions 6 to 9: two model-changing players and two money-only ones."""
    base, unmitigated = kent
    plan = plan_attribution(unmitigated, base)
    small = dataclasses.replace(plan, players=plan.players[-4:])
    cached, simulations = subset_deficits(small, 0, 2)
    assert simulations == 4 * 2  # four sets of model-changing players, two replications
    brute = brute_force_deficits(small, 0, 2, replicate=_fake_replicate)
    np.testing.assert_array_equal(cached, brute)


def test_shapley_savings_add_up_to_the_total_saving(fake_engine, kent):
    base, unmitigated = kent
    plan = plan_attribution(unmitigated, base)
    result = attribute(plan, 0, 2)
    assert result.shapley.shape == (9, 2, len(result.years), 2)
    for fy in result.years:
        for measure in attribution.ATTRIBUTED:
            total = result.total_stat(fy, measure)
            parts = sum(result.player_stat(j, fy, measure).mean for j in range(plan.k))
            assert parts == pytest.approx(total.mean, rel=1e-12, abs=1e-9)
            assert total.mean == pytest.approx(result.level(0, fy, measure) - result.level(-1, fy, measure))
    # per replication as well, and the mean of per-replication values is the value of the mean game (linearity)
    np.testing.assert_allclose(result.shapley.sum(axis=0), result.total_saving, atol=1e-9)
    mean_game = shapley_values(result.deficits[0][None].mean(axis=1) - result.deficits.mean(axis=1))
    np.testing.assert_allclose(result.shapley.mean(axis=1), mean_game, atol=1e-9)
    # money-only groups change nothing before they start, and six-k saves money every year after
    six_k = [p.label for p in plan.players].index("six-k-threshold")
    assert result.player_stat(six_k, 2022, "in_year_deficit_gbp_m").mean == pytest.approx(0, abs=1e-9)
    assert result.player_stat(six_k, 2023, "in_year_deficit_gbp_m").mean > 0


def fake_result(scenario, seed: int, replication: int):  # noqa: ANN001, ANN201
    """What run_one would give with the stand-ins: a ReplicationResult whose money is `fake_money`."""
    from svsim.experiment.replications import summarise
    from svsim.experiment.uncertainty import scenario_for_replication
    from svsim.finance.deficit import YearMoney

    drawn = scenario_for_replication(scenario, seed, replication)
    history = fake_simulate(drawn, seed, replication)
    result = summarise(history, drawn, seed=seed, replication=replication)
    money = tuple(YearMoney(m.financial_year, in_year, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, acc, acc)
                  for m, (acc, in_year) in zip(result.money, fake_money(history, drawn), strict=True))
    return dataclasses.replace(result, money=money)


_fake_replicate = fake_result


def test_a_redefined_intervention_is_named(kent, tmp_path):
    base, _ = kent
    other = tmp_path / "other.yaml"
    other.write_text(
        f"extends: {SCENARIOS / 'base.yaml'}\nname: kent-deeper-six-k\nremove_interventions: [nhs-joint-funding]\n"
        "interventions:\n  - name: six-k-threshold\n    condition: 8\n    start: 2023-04-01\n    changes:\n"
        "      costs.mainstream.below_threshold_share_paid: {multiply: 0.4}\n", encoding="utf-8")
    with pytest.raises(NotAttributable, match="intervention six-k-threshold"):
        plan_attribution(base, load_scenario(other))
