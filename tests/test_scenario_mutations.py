"""Random mutations of a valid scenario either validate and run, or fail cleanly in validation; random valid
parameters keep the engine's invariants.

(a) A mutation sets one parameter (or group) to a random value: a number of any size or sign, text, a list, a
mapping, dated values. `load_scenario` must either raise ScenarioError (which the CLI turns into exit 2 with file,
key and line) or accept it, and then a replication must run to the end: never an exception after validation (a
"late failure") and never a NaN or a negative stock or cost (silent nonsense).
(b) Random values inside the usual ranges keep the invariants: plans are conserved month by month, stocks and costs
are never negative, the January census equals the sum of its parts, and the accumulated deficit follows its identity
year by year.
The small `minimal.yaml` keeps each replication well under a second; CI runs few examples (more with
HYPOTHESIS_PROFILE=thorough).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from svsim import cli
from svsim.experiment.replications import run_replication
from svsim.finance.kpis import census_date_in
from svsim.model import simulate
from svsim.scenario import ScenarioError, load_scenario
from svsim.scenario.spec import NUMERIC_KINDS

HERE = Path(__file__).parent
MINIMAL = HERE / "fixtures" / "scenarios" / "minimal.yaml"
SCENARIO = load_scenario(MINIMAL)
EXAMPLES = 60 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 12
FEW = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

PATHS = sorted(SCENARIO.specs)
GROUPS = sorted({p.rsplit(".", 1)[0] for p in PATHS if "." in p})
NUMERIC = sorted(p for p, s in SCENARIO.specs.items() if s.kind in NUMERIC_KINDS)

numbers = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 0.0, -1, 1, 0.5, 1e-9, 1e9, 25, 26, 100, 1e300]),
)
scalars = st.one_of(numbers, st.text(max_size=12), st.booleans(), st.none(), st.dates())
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(["a", "under_5", "mainstream", "jan", "value", "unit", "source"]), scalars,
                    max_size=3),
    st.dictionaries(st.dates(), numbers, min_size=1, max_size=3),
    st.builds(lambda v, u: {"value": v, "unit": u}, numbers, st.sampled_from(["gbp", "gbp_m", "£k", "furlongs"])),
)


def _yaml(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).removesuffix("\n...\n").strip()


def _check_result(result) -> None:  # noqa: ANN001 - a ReplicationResult
    for m in result.money:
        for name, v in vars(m).items():
            assert math.isfinite(v), f"{name} {v} in {m.financial_year}"
        assert m.placement_spend_gbp_m >= 0
    for year in result.placement_spend_gbp_m.values():
        assert all(v >= 0 and math.isfinite(v) for v in year.values())
    assert (result.monthly_plans >= 0).all()
    for table in result.census.values():
        assert (table >= 0).all()


@FEW
@given(path=st.sampled_from(PATHS + GROUPS), value=values)
def test_a_mutation_validates_and_runs_or_fails_cleanly(path: str, value: object) -> None:
    override = f"{path}={_yaml(value)}"
    try:
        scenario = load_scenario(MINIMAL, [override])
    except ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    _check_result(run_replication(scenario, seed=1, replication=0))


@settings(max_examples=4, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(path=st.sampled_from(PATHS), value=values)
def test_a_mutation_in_the_cli_is_exit_0_or_2_never_a_traceback(path: str, value: object) -> None:
    result = CliRunner().invoke(cli.main, ["validate", str(MINIMAL), "--set", f"{path}={_yaml(value)}"])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


usual_values = st.fixed_dictionaries({
    "demand.request_rate_per_10k_0_18": st.floats(20, 300),
    "decision.refusal_probability": st.floats(0, 0.6),
    "assessment.officers_fte": st.integers(1, 40),
    "assessment.weeks_to_assess": st.floats(2, 40),
    "assessment.vacancy_rate": st.floats(0, 0.5),
    "transitions.move_away_rate_per_year": st.floats(0, 0.1),
    "transitions.plan_end_age": st.integers(19, 25),
    "costs.uplift.special": st.floats(-0.02, 0.1),
    "income.hnb_allocation_gbp_m": st.floats(20, 200),
    "deficit.council_contribution_gbp_m": st.floats(0, 10),
})


def _setting(path: str, v: float) -> str:
    if path == "decision.refusal_probability":
        return f"{path}={{under_5: {v}, age_5_10: {v}, age_11_15: {v}, age_16_19: {v}, age_20_25: {v}}}"
    return f"{path}={v}"


@FEW
@given(params=usual_values)
def test_random_valid_parameters_keep_the_invariants(params: dict[str, float]) -> None:
    scenario = load_scenario(MINIMAL, [_setting(p, v) for p, v in params.items()])
    h = simulate(scenario, seed=2, replication=0)
    # plans conserved month by month, stocks never negative
    assert (h.occupancy >= 0).all()
    days = [max(h.day_of(m), 0) for m in h.month_starts]
    ended = h.flows["ceased_review"] + h.flows["ceased_phase_transfer"] + h.flows["ceased_age"] + h.flows["moved_away"]
    for m in range(len(days) - 1):
        start, end = int(h.occupancy[days[m]].sum()), int(h.occupancy[days[m + 1]].sum())
        assert start + h.flows["plans_issued"][m] - ended[m] == end
    result = run_replication(scenario, seed=2, replication=0)
    _check_result(result)
    # the January census is the sum of its parts: every plan alive that day, counted once, by setting and band
    for year, table in result.census.items():
        day = h.day_of(census_date_in(year, scenario))
        assert int(np.asarray(table).sum()) == int(h.occupancy[day].sum())
        assert (np.asarray(table) == np.asarray(h.census(census_date_in(year, scenario)))).all()
    # the deficit identity: accumulated = previous + in-year HNB position + other blocks - council contribution
    previous = scenario.value("deficit.opening_accumulated_gbp_m")
    dfe = 0.0
    for m in result.money:
        expected = previous + m.in_year_deficit_gbp_m + m.other_blocks_in_year_gbp_m - m.council_contribution_gbp_m
        assert m.accumulated_deficit_gbp_m == pytest.approx(expected, abs=1e-6)
        dfe += m.dfe_contribution_gbp_m
        assert m.accumulated_deficit_net_of_dfe_gbp_m == pytest.approx(m.accumulated_deficit_gbp_m - dfe, abs=1e-6)
        previous = m.accumulated_deficit_gbp_m
