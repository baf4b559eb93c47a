"""svsim calibrate's parts, checked by hand: which parameters a --fit names, scaling, the loss, the overlay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from svsim.cli import main
from svsim.data.dfe import Observed
from svsim.domain import AGE_BANDS, SETTINGS
from svsim.experiment.calibrate import CalibrationError, Target, expand, loss, overlay_for, scaled, targets_for
from svsim.experiment.replications import ReplicationResult
from svsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASE)


def test_fit_names_a_path_a_group_or_a_glob(base):
    paths = expand(base, ["annual_review.cease_probability", "transitions.phase_transfer.*.cease_probability",
                          "assessment.officers_fte"])
    assert paths["annual_review.cease_probability"] == [f"annual_review.cease_probability.{b}" for b in AGE_BANDS]
    # the zero cease rates at Reception and Year 7 are left out: no multiplier changes a zero
    assert len(paths["transitions.phase_transfer.*.cease_probability"]) == 2
    assert paths["assessment.officers_fte"] == ["assessment.officers_fte"]
    with pytest.raises(CalibrationError, match="no numeric parameter"):
        expand(base, ["annual_review.no_such_thing"])
    with pytest.raises(CalibrationError, match="is 0"):
        expand(base, ["transitions.phase_transfer.reception.cease_probability"])
    with pytest.raises(CalibrationError, match="both change"):
        expand(base, ["annual_review.cease_probability", "annual_review.cease_probability.under_5"])


def test_scaling_multiplies_every_value_and_caps_probabilities(base):
    paths = expand(base, ["annual_review.cease_probability", "assessment.officers_fte"])
    young, old = (float(base.value(f"annual_review.cease_probability.{b}")) for b in ("under_5", "age_20_25"))
    factor = 1.5 / old  # takes the 20-25 rate past 1
    s = scaled(base, paths, {"annual_review.cease_probability": factor, "assessment.officers_fte": 0.5})
    assert float(s.value("annual_review.cease_probability.under_5")) == pytest.approx(young * factor)
    assert float(s.value("annual_review.cease_probability.age_20_25")) == 1.0  # capped
    assert float(s.value("assessment.officers_fte")) == pytest.approx(40)
    assert float(base.value("assessment.officers_fte")) == 80  # the original is untouched


def _result(total: float, ceased: float) -> ReplicationResult:
    census = np.zeros((len(SETTINGS), len(AGE_BANDS)))
    census[0, 0] = total
    return ReplicationResult(replication=0, seed=0, money=(), placement_spend_gbp_m={}, other_lines_gbp_m={},
                             plan_years={}, census={2021: census}, kpis={}, month_starts=(),
                             monthly_plans=np.zeros(0), calendar_flows={"ceased": {2020: ceased}},
                             flow_coverage={2020: 1.0})


def test_loss_is_the_weighted_squared_relative_error_of_the_mean():
    targets = [Target("census_total", "total", 2021, 100.0, 2.0), Target("ceased", "", 2020, 50.0, 1.0)]
    results = [_result(90, 40), _result(110, 70)]  # means 100 and 55
    assert loss(results, targets) == pytest.approx(2.0 * 0 + 1.0 * (5 / 50) ** 2)


def test_targets_stop_at_the_cutoff():
    obs = Observed("X", census_total={2020: 1.0, 2021: 2.0, 2022: 3.0}, flows={"ceased": {2019: 1.0, 2020: 2.0,
                                                                                        2021: 3.0}})
    years = {(t.measure, t.year) for t in targets_for(obs, 2020, 2021)}
    assert years == {("census_total", 2021), ("ceased", 2020)}


def test_overlay_extends_the_scenario_and_says_what_it_was_fitted_to(base, tmp_path):
    paths = expand(base, ["assessment.officers_fte"])
    tree = overlay_for(BASE, paths, {"assessment.officers_fte": 1.1}, "Kent", 2020, 2021, tmp_path)
    assert (tmp_path / tree["extends"]).resolve() == BASE.resolve()
    leaf = tree["assessment"]["officers_fte"]
    assert leaf["value"] == pytest.approx(88) and "calibrated to DfE Kent figures up to 2021" in leaf["source"]


def test_cli_rejects_an_unknown_parameter(tmp_path):
    r = CliRunner().invoke(main, ["calibrate", str(BASE), "--observed", str(ROOT / "data" / "dfe"), "--fit",
                                  "nothing.here", "--until", "2021", "--out", str(tmp_path / "o.yaml")])
    assert r.exit_code == 2 and "nothing.here" in r.output and not (tmp_path / "o.yaml").exists()
