"""Goal-seek on common random numbers: a known root is found, the same seed gives the same answer, and a target no
value can meet is said plainly. The engine is replaced by a formula of the lever's value (the rest of the path,
applying the lever to Kent's scenario after its interventions, is the real one)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.experiment import variants
from svsim.experiment.solve import solve
from svsim.scenario import load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"
REFUSAL = "decision.refusal_probability"
PROFILE_2027 = 140.0  # Kent's 2027-28 profile


def linear(start: float, slope: float):
    """Every year's deficit = start + slope x (refusal rate in 2027) + replication noise (r - 9.5)."""
    def deficits(scenario, seed, replication):
        x = scenario.value(f"{REFUSAL}.age_5_10", dt.date(2027, 6, 1))
        n = len(variants.financial_years(scenario))
        return np.full(n, start + slope * x + (replication - 9.5))
    return deficits


@pytest.fixture(scope="module")
def kent():
    return load_scenario(BASE)


def test_finds_the_known_root_with_an_interval_that_holds_it(monkeypatch, kent):
    monkeypatch.setattr(variants, "accumulated_deficits", linear(300.0, -400.0))
    lever = variants.parse_lever(kent, REFUSAL)
    assert (lever.low, lever.high, lever.since) == (0.0, 1.0, dt.date(2023, 4, 1))
    result = solve(kent, lever, target_year=2027, replications=20, workers=1)
    assert result.status == "found"
    assert result.value == pytest.approx(0.4, abs=1e-3)  # median noise is 0: 300 - 400 x = 140
    assert result.ci_low <= 0.4 <= result.ci_high
    assert result.runs == 20 * len(result.trials) and len(result.trials) < 15
    again = solve(kent, lever, target_year=2027, replications=20, workers=1)
    assert again.value == result.value and again.ci_low == result.ci_low


def test_a_higher_probability_asks_for_more(monkeypatch, kent):
    monkeypatch.setattr(variants, "accumulated_deficits", linear(300.0, -400.0))
    lever = variants.parse_lever(kent, REFUSAL)
    result = solve(kent, lever, target_year=2027, probability=0.8, replications=20, workers=1)
    q = float(np.quantile(np.arange(20) - 9.5, 0.8))
    assert result.value == pytest.approx((160 + q) / 400, abs=1e-3)


def test_says_plainly_when_no_value_meets_the_target(monkeypatch, kent):
    monkeypatch.setattr(variants, "accumulated_deficits", linear(1000.0, -10.0))
    result = solve(kent, variants.parse_lever(kent, REFUSAL), target_year=2027, replications=4, workers=1)
    assert result.status == "none" and result.value is None
    assert result.best.value == 1.0 and len(result.trials) == 2
    from svsim.outputs.sensitivity import solve_text

    assert "No value of decision.refusal_probability between 0 and 1 meets it. The best, 1," in solve_text(result)


def test_the_lever_acts_after_the_interventions_and_only_from_the_open_years(kent):
    lever = variants.parse_lever(kent, REFUSAL)
    s = variants.with_lever_value(kent, lever, 0.5)
    assert s.value(f"{REFUSAL}.under_5", dt.date(2022, 6, 1)) == 0.268  # 2022-23 is closed
    assert s.value(f"{REFUSAL}.under_5", dt.date(2025, 6, 1)) == 0.5  # statutory-decisions' 0.33 is overridden
    mix = variants.parse_lever(kent, "placement.new_plan_mix.*.mainstream", scale=True)
    s = variants.with_lever_value(kent, mix, 1.1)
    day = dt.date(2026, 6, 1)
    for band in ("under_5", "age_5_10", "age_16_19"):
        shares = {k: s.value(f"placement.new_plan_mix.{band}.{k}", day) for k in
                  ("mainstream", "srp", "special", "independent", "post16", "eotas", "neet_awaiting")}
        assert sum(shares.values()) == pytest.approx(1.0)
        assert shares["mainstream"] == pytest.approx(1.1 * kent.value(f"placement.new_plan_mix.{band}.mainstream",
                                                                       day))
    with pytest.raises(ValueError, match="outside its valid range"):
        variants.with_lever_value(kent, mix, 1.5)
    school = variants.parse_lever(kent, "intervention:new-special-school-1")
    assert variants.with_lever_value(kent, school, 300).value("placement.capacity.special", day) == 6100 + 300


def test_cli_answers_and_writes_a_folder(monkeypatch, kent, tmp_path):
    monkeypatch.setattr(variants, "accumulated_deficits", linear(300.0, -400.0))
    run = CliRunner().invoke(cli.main, ["solve", str(BASE), "--lever", REFUSAL, "--target-year", "2027-28", "-n",
                                        "20", "-w", "1", "--out", str(tmp_path), "-q"])
    assert run.exit_code == 0, run.output
    assert "Answer: decision.refusal_probability = 0.4" in run.output
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert {"trials.csv", "answer.txt", "solve.png", "manifest.json"} <= {p.name for p in folder.iterdir()}
    assert json.loads((folder / "manifest.json").read_text())["answer"]["value"] == pytest.approx(0.4, abs=1e-3)
    for args, message in ((["--lever", "decision.nothing"], "no parameter"),
                          (["--lever", REFUSAL, "--range", "0:2"], "outside its valid range"),
                          (["--lever", "intervention:nope"], "no intervention named 'nope'"),
                          (["--lever", "decision.refusal"], "did you mean decision.refusal_probability"),
                          (["--lever", "demand"], "name one, e.g. demand.request_rate_per_10k_0_18"),
                          (["--lever", "assessment"], "parameters of different kinds")):
        bad = CliRunner().invoke(cli.main, ["solve", str(BASE), *args, "--target-year", "2027-28", "-q"])
        assert bad.exit_code == 2 and message in bad.output, bad.output


def test_on_a_rough_response_the_answer_still_meets_the_target(monkeypatch, kent):
    def rough(scenario, seed, replication):
        x = scenario.value(f"{REFUSAL}.age_5_10", dt.date(2027, 6, 1))
        n = len(variants.financial_years(scenario))
        return np.full(n, 300 - 400 * x + 3 * np.sin(5000 * x) + (replication - 9.5))

    monkeypatch.setattr(variants, "accumulated_deficits", rough)
    result = solve(kent, variants.parse_lever(kent, REFUSAL), target_year=2027, replications=20, workers=1)
    at = next(t for t in result.trials if t.value == result.value)
    assert at.quantile_gbp_m <= PROFILE_2027
    assert result.ci_low <= result.value <= result.ci_high
    assert abs(result.value - 0.4) < 0.02


def test_every_value_resumes_from_the_shared_lead_in_with_the_same_answer(kent_variant):
    """The real engine on Kent at a tenth of its size, the profile set between the two ends so the search
    brackets: with the lead-in shared (two workers, kept from value to value) the trials and the answer are the
    same numbers as simulating every value whole in one process."""
    import dataclasses

    small = kent_variant(small=True)
    lever = variants.parse_lever(small, REFUSAL)
    ends = [variants.run_points(variants.Design(small, 4, levers=(lever,)), [[v]], 2, workers=1)[0, :, -1]
            for v in (0.0, 1.0)]
    profile = dict(small.targets.sv_profile_gbp_m)
    profile[2027] = float(np.median(ends[0]) + np.median(ends[1])) / 2
    small = dataclasses.replace(small, targets=dataclasses.replace(small.targets, sv_profile_gbp_m=profile))
    whole = solve(small, lever, target_year=2027, replications=2, seed=4, workers=1, lead_in=False, tolerance=0.05)
    shared = solve(small, lever, target_year=2027, replications=2, seed=4, workers=2, tolerance=0.05)
    assert whole.status == "found" and len(whole.trials) >= 4
    assert [(t.value, t.deficits) for t in shared.trials] == [(t.value, t.deficits) for t in whole.trials]
    assert (shared.value, shared.ci_low, shared.ci_high) == (whole.value, whole.ci_low, whole.ci_high)
    before = dict(variants.LEAD_IN_STATS)
    again = solve(small, lever, target_year=2027, replications=2, seed=4, workers=1, tolerance=0.05)  # here, to count
    assert again.value == whole.value
    assert variants.LEAD_IN_STATS["taken"] - before["taken"] == 2  # one a replication, for the whole search
    assert variants.LEAD_IN_STATS["resumed"] - before["resumed"] == 2 * (len(whole.trials) - 1)
    assert not variants._LEAD_INS  # dropped after the study
