"""svsim init: a valid, runnable starting scenario for councils other than Kent, built from the DfE tables; and
the many-councils command on a handful (local processes and a local dask cluster)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from svsim.cli import main
from svsim.data.dfe import read_observed
from svsim.domain import AGE_BANDS, SETTINGS
from svsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA, BASE = ROOT / "data" / "dfe", ROOT / "scenarios" / "base.yaml"
COUNCILS = ("Rutland", "York", "Hartlepool", "Leeds", "Cornwall", "Barnsley")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("init")
    paths = {}
    for name in COUNCILS:
        out = folder / f"{name}.yaml"
        result = CliRunner().invoke(main, ["init", "--la", name, "--observed", str(DATA), "--out", str(out),
                                           "--template", str(BASE)])
        assert result.exit_code == 0, result.output
        paths[name] = out
    return paths


@pytest.mark.parametrize("name", COUNCILS)
def test_init_writes_a_valid_scenario_from_the_councils_figures(written, name):
    scenario = load_scenario(written[name])
    observed = read_observed(DATA, name)
    settings = observed.census_settings[2023]
    assert scenario.census_date.year == 2023 and scenario.council == name
    for s in SETTINGS:
        assert float(scenario.value(f"start_state.caseload_by_setting.{s}")) == pytest.approx(settings[s], abs=0.5)
    total = sum(float(scenario.value(f"start_state.caseload_by_age_band.{b}")) for b in AGE_BANDS)
    assert total == pytest.approx(observed.census_total[2023], abs=1)
    refusals, requests = observed.flows["refusals"][2022], observed.flows["requests"][2022]
    assert float(scenario.value("decision.refusal_probability.age_5_10")) == pytest.approx(refusals / requests,
                                                                                          abs=1e-4)
    assert not scenario.interventions and not scenario.targets.sv_profile_gbp_m
    text = written[name].read_text()
    assert "assumption to fill in" in text and "extends" not in text
    assert "Kent" not in scenario.title


def test_init_refuses_to_overwrite_and_unknown_councils(tmp_path):
    out = tmp_path / "x.yaml"
    out.write_text("keep")
    r = CliRunner().invoke(main, ["init", "--la", "York", "--observed", str(DATA), "--out", str(out)])
    assert r.exit_code == 2 and out.read_text() == "keep"
    r = CliRunner().invoke(main, ["init", "--la", "Narnia", "--observed", str(DATA), "--out", str(tmp_path / "n.yaml")])
    assert r.exit_code == 2 and "Narnia" in r.output and not (tmp_path / "n.yaml").exists()


def test_many_councils_locally_with_a_summary(tmp_path):
    result = CliRunner().invoke(main, ["councils", "--observed", str(DATA), "--out", str(tmp_path),
                                       "--template", str(BASE), "-w", "2",
                                       *[a for n in COUNCILS[:5] for a in ("--la", n)], "--la", "Isles of Scilly"])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(summary.council) == [*COUNCILS[:5], "Isles of Scilly"]
    ok = summary[summary.status == "ok"]
    assert len(ok) == 5  # Isles of Scilly publishes no assessments: listed with the reason, the others still run
    for row in ok.itertuples():
        folder = tmp_path / row.folder
        assert (folder / "deficit.csv").is_file() and (folder / "flows.csv").is_file()
        assert row.plans > 0 and 0.5 < row.plans_forecast / row.plans < 3  # plausible, not a fitted figure


def test_many_councils_on_a_local_dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    from svsim.outputs.councils import run_councils

    names = ["Rutland", "Hartlepool"]
    dask = run_councils(names, DATA, BASE, tmp_path / "dask", executor="dask", workers=2)
    local = run_councils(names, DATA, BASE, tmp_path / "local", workers=1)
    assert list(dask.status) == ["ok", "ok"]
    assert list(dask.plans_forecast) == list(local.plans_forecast)  # same numbers wherever they ran
