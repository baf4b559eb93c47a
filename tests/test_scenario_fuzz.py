"""Random careless and hostile edits of Kent's base scenario and its what-ifs (tools/fuzz_scenarios.py's mutants):
each is refused cleanly (a ScenarioError whose every problem names its file, short and without raw exception text)
or validates, and a few that validate run one replication, scaled down, with plausible results.

CI tries a handful of mutants (hypothesis picks which); the fuzzer itself runs thousands
(`python tools/fuzz_scenarios.py --seed 1 --count 3000 --runs 100`, see tools/README.md).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import SMALL_KENT
from svsim.experiment.limits import result_problems
from svsim.experiment.replications import run_one
from svsim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fuzz_scenarios", ROOT / "tools" / "fuzz_scenarios.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_scenarios"] = fuzz  # its dataclasses need their module registered
_spec.loader.exec_module(fuzz)

CHEAP = settings(max_examples=8, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
                 suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - (folder, texts, parsed, leaves, specs)
    folder = tmp_path_factory.mktemp("fuzz") / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "scenarios").glob("*.yaml")}
    parsed = {name: yaml.safe_load(text) for name, text in texts.items()}
    from svsim.scenario.overrides import _prefixes

    specs = dict(load_scenario(ROOT / "scenarios" / "base.yaml").specs)
    return folder, texts, parsed, _prefixes(), specs


def _mutant(world, index: int):  # noqa: ANN001, ANN202
    folder, texts, parsed, leaves, specs = world
    m = fuzz.make_mutant(7, index, texts, parsed, leaves, specs)
    return m, fuzz.write_mutant(folder, m)


@CHEAP
@given(index=st.integers(min_value=0, max_value=10**6))
def test_a_mutant_is_refused_cleanly_or_validates(world, index: int) -> None:  # noqa: ANN001
    m, path = _mutant(world, index)
    outcome, _ = fuzz.validate(path, m.sets)
    assert outcome.status in ("refused", "valid"), f"{m.kinds}: {outcome.failure}\n{outcome.detail}"


@settings(max_examples=3, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(index=st.integers(min_value=0, max_value=10**6))
def test_a_mutant_that_validates_runs_with_plausible_results(world, index: int) -> None:  # noqa: ANN001
    """Scaled down to a tenth of Kent (conftest.SMALL_KENT) so that a replication takes a fraction of a second; a
    mutant the scaling contradicts (it set the caseload, say) is skipped."""
    m, path = _mutant(world, index)
    try:
        scenario = load_scenario(path, [*m.sets, *SMALL_KENT])
    except ScenarioError:
        return
    problems = result_problems(scenario, run_one(scenario, 0, 0))
    warned = [w for w in scenario.warnings if "closed financial year" not in w.message]
    assert not problems or warned, f"{m.kinds}: silent nonsense: {problems}"


def test_the_plausibility_checks_see_nonsense(kent_variant) -> None:  # noqa: ANN001
    """The checks can fail: a replication with zero demand (which validation warns about) is flagged."""
    scenario = kent_variant("demand.request_rate_per_10k_0_18=0", "decision.rerequest_probability=0", small=True)
    assert any("0 from 2022-01-20: no new requests" in w.message for w in scenario.warnings)
    problems = result_problems(scenario, run_one(scenario, 0, 0))
    assert any("demand is zero" in p for p in problems), problems
