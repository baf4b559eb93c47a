"""Parameter uncertainty: one draw per uncertain path per replication, from its own stream, applied to the base
parameters, clipped into range, and recorded (no engine needed except where said)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from svsim.experiment import replications
from svsim.experiment.executors import run_one
from svsim.experiment.uncertainty import (
    apply_draws,
    clip,
    draw,
    draws_for,
    scenario_for_replication,
    summarise_draws,
)
from svsim.outputs.tables import replications_table
from svsim.scenario.targets import Uncertain
from test_outputs_tables import fake_replicate  # noqa: I001 - a sibling test module

RATE = "demand.request_rate_per_10k_0_18"


@pytest.fixture(scope="module")
def kent(kent_variant):
    """Kent with draws acting on every value (nothing observed after the census): the rules of drawing, clipping
    and rebalancing are tested on whole series; drawing only the future is tested below on the base as it is."""
    return kent_variant("horizon.last_observed=2022-01-19")


def uncertain(scenario, path: str, distribution: str = "uniform", apply: str = "multiply", **args: float) -> Uncertain:
    leaves = tuple(p for p in scenario.specs if p == path or p.startswith(path + "."))
    return Uncertain(path, distribution, args or {"low": 0.9, "high": 1.1}, apply, leaves)


def test_no_uncertainty_is_the_identity(kent):
    plain = replace(kent, uncertainty=())
    assert scenario_for_replication(plain, 0, 5) is plain
    assert draws_for(plain, 0, 5) == {}


def test_draws_are_seeded_per_replication_and_per_path(kent):
    assert draws_for(kent, 3, 7) == draws_for(kent, 3, 7)
    assert draws_for(kent, 3, 7) != draws_for(kent, 3, 8) != draws_for(kent, 4, 7)
    # common random numbers: a scenario with other measures draws the same factors
    assert draws_for(kent.with_interventions([]), 3, 7) == draws_for(kent, 3, 7)
    # adding an uncertain parameter leaves the others' draws alone
    more = replace(kent, uncertainty=(uncertain(kent, "assessment.vacancy_rate", apply="set", low=0, high=0.2),
                                      *kent.uncertainty))
    drawn = draws_for(more, 3, 7)
    assert {k: drawn[k] for k in draws_for(kent, 3, 7)} == draws_for(kent, 3, 7)


@pytest.mark.parametrize(("distribution", "args", "mean", "sd"), [
    ("normal", {"mean": 2.0, "sd": 0.5}, 2.0, 0.5),
    ("lognormal", {"median": 1.0, "sigma": 0.1}, math.exp(0.005), math.exp(0.005) * math.sqrt(math.exp(0.01) - 1)),
    ("triangular", {"low": 0.9, "mode": 1.0, "high": 1.3}, 3.2 / 3,
     math.sqrt((0.81 + 1 + 1.69 - 0.9 - 0.9 * 1.3 - 1.3) / 18)),
    ("uniform", {"low": 0.8, "high": 1.2}, 1.0, 0.4 / math.sqrt(12)),
    ("beta", {"alpha": 2.0, "beta": 5.0}, 2 / 7, math.sqrt(10 / (49 * 8))),
])
def test_each_distribution_draws_what_it_says(kent, distribution, args, mean, sd):
    u = Uncertain("x", distribution, args, "multiply", ())
    x = np.array([draw(u, 1, i) for i in range(4000)])
    assert x.mean() == pytest.approx(mean, abs=4 * sd / math.sqrt(x.size))
    assert x.std(ddof=1) == pytest.approx(sd, rel=0.06)
    if distribution == "lognormal":
        assert np.median(x) == pytest.approx(1.0, abs=0.01)
    if distribution in ("uniform", "triangular"):
        assert x.min() >= args["low"] and x.max() <= args["high"]


def test_multiply_applies_to_every_dated_value(kent):
    drawn = apply_draws(replace(kent, uncertainty=(uncertain(kent, RATE),)), {RATE: 1.1})
    before, after = kent.base_params[RATE], drawn.base_params[RATE]
    assert after.dates == before.dates
    assert after.values == pytest.approx([v * 1.1 for v in before.values])
    assert kent.base_params[RATE] is before  # the original is untouched


def test_add_and_set_apply_to_every_leaf_under_a_group(kent):
    path = "decision.refusal_probability"
    added = apply_draws(replace(kent, uncertainty=(uncertain(kent, path, apply="add"),)), {path: 0.05})
    for leaf in (p for p in kent.specs if p.startswith(path + ".")):
        assert added.base_params[leaf].values == pytest.approx([v + 0.05 for v in kent.base_params[leaf].values])
    set_ = apply_draws(replace(kent, uncertainty=(uncertain(kent, path, apply="set"),)), {path: 0.2})
    assert set_.base_params[f"{path}.age_5_10"].values == (0.2,)


def test_interventions_act_on_the_drawn_values(kent):
    """statutory-decisions ramps refusal to 0.33 from its start date: before it the draw shows, and the ramp starts
    from the draw."""
    path = "decision.refusal_probability.age_5_10"
    iv = next(iv for iv in kent.interventions if iv.name == "statutory-decisions")
    drawn = apply_draws(replace(kent, uncertainty=(uncertain(kent, path, apply="set"),)), {path: 0.5})
    series = drawn.params[path]
    assert series.at(kent.census_date) == 0.5 and series.values[-1] == 0.33
    assert series.at(iv.start) == pytest.approx(0.5 + (0.33 - 0.5) / iv.ramp_months)


def test_values_leaving_their_range_are_clipped():
    assert clip("probability", 1.3) == 1.0 and clip("probability", -0.1) == 0.0
    assert clip("count", -2.0) == 0.0 and clip("rate", -1) == 0.0 and clip("money", -5.0) == 0.0
    assert clip("uplift", -1.5) > -1.0 and clip("uplift", 0.04) == 0.04
    assert clip("integer", 6.6) == 7 and clip("capacity", math.inf) == math.inf
    assert clip("signed_money", -12.0) == -12.0 and clip("real", -3) == -3


def test_a_probability_pushed_over_one_is_clipped(kent):
    path = "assessment.not_issue_probability"
    drawn = apply_draws(replace(kent, uncertainty=(uncertain(kent, path),)), {path: 100.0})
    assert all(drawn.base_params[leaf].values == (1.0,) for leaf in drawn.uncertainty[0].leaves)


def test_shares_are_renormalised_and_exclusive_moves_capped(kent):
    mix = "placement.new_plan_mix.under_5"
    path = f"{mix}.special"
    drawn = apply_draws(replace(kent, uncertainty=(uncertain(kent, path),)), {path: 2.0})
    members = [p for p in kent.specs if p.startswith(mix + ".")]
    assert sum(drawn.base_params[m].first for m in members) == pytest.approx(1.0)
    ratio = lambda s: s.base_params[path].first / s.base_params[f"{mix}.mainstream"].first  # noqa: E731
    assert ratio(drawn) == pytest.approx(2 * ratio(kent))
    moves = "annual_review.moves.mainstream"
    capped = apply_draws(replace(kent, uncertainty=(uncertain(kent, moves),)), {moves: 500.0})
    assert sum(capped.base_params[p].first for p in kent.specs if p.startswith(moves + ".")) == pytest.approx(1.0)
    small = apply_draws(replace(kent, uncertainty=(uncertain(kent, moves),)), {moves: 0.5})
    assert small.base_params[f"{moves}.special"].first == pytest.approx(kent.base_params[f"{moves}.special"].first / 2)


def test_an_intervention_pushing_a_drawn_value_out_of_range_is_an_error(kent):
    path = "placement.new_plan_mix.under_5.special"  # early-years-review adds -0.08 to it
    broken = replace(kent, uncertainty=(uncertain(kent, path, apply="set"),))
    with pytest.raises(ValueError, match=f"{path}.*interventions"):
        apply_draws(broken, {path: 0.0})


def test_draws_are_recorded_in_results_and_replications_csv(kent, monkeypatch):
    monkeypatch.setattr(replications, "run_replication", fake_replicate)
    results = [run_one(kent, 9, i) for i in range(3)]
    assert [r.draws for r in results] == [draws_for(kent, 9, i) for i in range(3)]
    table = replications_table(results)
    rows = table[table.measure == f"uncertainty:{RATE}"]
    assert list(rows.value) == [r.draws[RATE] for r in results] and set(rows.financial_year) == {"all"}
    summary = summarise_draws([r.draws for r in results])
    assert set(summary) == {u.path for u in kent.uncertainty} and summary[RATE]["n"] == 3
    assert summary[RATE]["min"] <= summary[RATE]["p50"] <= summary[RATE]["max"]


# ---- only the future is uncertain (issue 10, item 8) ----------------------------------------------------------
def test_draws_start_after_the_last_observed_day(kent_variant):
    """Kent's base observes up to 31 March 2023: values in force before 1 April 2023 keep the file's numbers, and
    the draw applies to every value from then on (dated ones included). A value that is not dated is drawn whole."""
    import datetime as dt

    from svsim.experiment.uncertainty import draws_from

    base = kent_variant()
    assert draws_from(base) == dt.date(2023, 4, 1)
    cost = "costs.unit_cost_gbp_per_year.independent"
    drawn = apply_draws(replace(base, uncertainty=(uncertain(base, RATE), uncertain(base, cost))),
                        {RATE: 1.2, cost: 0.5})
    before, after = base.base_params[RATE], drawn.base_params[RATE]
    for day in (dt.date(2022, 1, 20), dt.date(2022, 6, 1), dt.date(2023, 1, 1), dt.date(2023, 3, 31)):
        assert after.at(day) == before.at(day)
    for day in (dt.date(2023, 4, 1), dt.date(2024, 1, 1), dt.date(2027, 6, 1)):
        assert after.at(day) == pytest.approx(1.2 * before.at(day))
    assert drawn.base_params[cost].at(dt.date(2023, 3, 31)) == 47000.0
    assert drawn.base_params[cost].at(dt.date(2023, 4, 1)) == pytest.approx(23500.0)
    # not dated: the start state is drawn whole
    count = "start_state.open_assessments"
    whole = apply_draws(replace(base, uncertainty=(uncertain(base, count),)), {count: 2.0})
    assert whole.base_params[count].values == (2 * base.base_params[count].first,)


def test_default_last_observed_is_the_end_of_the_last_complete_calendar_year(kent_variant):
    import datetime as dt

    from svsim.experiment.uncertainty import draws_from
    from svsim.scenario import Series

    base = kent_variant()
    default = base.with_base_params({"horizon.last_observed": Series.constant(None)})
    assert draws_from(default) == dt.date(2023, 1, 1)  # horizon.start 1 April 2022: the data of calendar 2022


def test_the_closed_year_gets_no_spread_from_the_draws(kent_variant):
    """Replication by replication, the base with its uncertainty drawn and the base without uncertainty have the
    same 2022-23 money (the fitted year), while 2023-24 does move with the draws."""
    base = kent_variant()
    plain = replace(base, uncertainty=())
    moved = 0
    for r in range(3):
        with_draws, without = run_one(base, 0, r), replications.run_replication(plain, 0, r)
        assert with_draws.draws, "the base scenario has uncertain parameters"
        a, b = with_draws.year(2022), without.year(2022)
        assert a.accumulated_deficit_gbp_m == pytest.approx(b.accumulated_deficit_gbp_m, abs=0.01)
        assert a.hnb_spend_gbp_m == pytest.approx(b.hnb_spend_gbp_m, abs=0.01)
        moved += abs(with_draws.year(2023).accumulated_deficit_gbp_m
                     - without.year(2023).accumulated_deficit_gbp_m) > 0.1
    assert moved >= 2, "the draws should move the future (2023-24) in most replications"
