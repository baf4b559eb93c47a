"""`svsim run` end to end: the folder and its files, no overwriting, readable errors, no half-written folders.

Most tests swap the engine for a hand-made replication (instant, deterministic) because they test the command and
the folder; `test_run_with_the_engine` runs the real engine once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.experiment import replications
from svsim.outputs import charts
from svsim.outputs.tables import DEFICIT_COLUMNS
from test_outputs_tables import fake_replicate  # noqa: I001 - a sibling test module (tests/ is on sys.path)

BASE = str(Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml")


def _engine_ready() -> bool:
    try:
        from svsim.model import simulate  # noqa: F401
    except ImportError:
        return False
    return True


HAS_ENGINE = _engine_ready()
FILES = {"deficit.csv", "census.csv", "kpis.csv", "spend.csv", "placements.csv", "replications.csv", "manifest.json",
         "scenario.resolved.yaml", "deficit.png", "in_year_hnb.png", "ehcps_by_age_band.png", "placement_mix.png"}


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(replications, "run_replication", fake_replicate)


@pytest.fixture
def no_charts(monkeypatch):
    """Skip drawing (about half a second a run) where a test is not about the charts."""
    monkeypatch.setattr(charts, "write_charts", lambda *args, **kwargs: [])


def invoke(*args: str):
    return CliRunner().invoke(cli.main, ["run", BASE, *args])


def runs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and not p.name.endswith(".failed"))


def test_run_writes_the_folder(tmp_path, fake_engine):
    result = invoke("--replications", "2", "--seed", "5", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "2022-23" in result.stdout and "129.7" in result.stdout
    assert any(rag in result.stdout for rag in ("GREEN", "AMBER", "RED"))
    (folder,) = runs(tmp_path)
    assert folder.name.startswith("kent-base-")
    assert {p.name for p in folder.iterdir()} >= FILES
    deficit = pd.read_csv(folder / "deficit.csv")
    assert list(deficit.columns) == list(DEFICIT_COLUMNS)
    assert len(deficit) == 6 and deficit["financial_year"][0] == "2022-23"
    census = pd.read_csv(folder / "census.csv")
    assert {"census_year", "age_band", "setting", "ehcps", "plan_ehcps"} <= set(census.columns)
    kpis = pd.read_csv(folder / "kpis.csv")
    assert {"financial_year", "kpi", "condition", "value", "target", "rag"} <= set(kpis.columns)
    spend = pd.read_csv(folder / "spend.csv")
    assert {"financial_year", "kind", "line", "spend_gbp_m"} <= set(spend.columns)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["seed"] == 5 and manifest["replications"] == 2
    assert manifest["scenario"]["files"][0]["sha256"] and len(manifest["scenario"]["fingerprint"]) == 64
    assert {"command", "svsim_version", "git", "started", "finished", "runtime_s"} <= set(manifest)


def test_a_second_run_does_not_overwrite_the_first(tmp_path, fake_engine, no_charts):
    assert invoke("--out", str(tmp_path)).exit_code == 0
    (first,) = runs(tmp_path)
    before = (first / "deficit.csv").read_bytes()
    result = invoke("--out", str(tmp_path), "--set", "costs.unit_cost_gbp_per_year.special=30000")
    assert result.exit_code == 0, result.output
    assert len(runs(tmp_path)) == 2
    assert (first / "deficit.csv").read_bytes() == before


def test_set_changes_the_result(tmp_path, fake_engine, no_charts):
    invoke("--out", str(tmp_path / "a"))
    invoke("--out", str(tmp_path / "b"), "--set", "income.hnb_allocation_gbp_m=400")
    a = pd.read_csv(runs(tmp_path / "a")[0] / "deficit.csv")
    b = pd.read_csv(runs(tmp_path / "b")[0] / "deficit.csv")
    assert b["in_year_deficit_gbp_m"][0] == pytest.approx(a["in_year_deficit_gbp_m"][0] - (400 - 318))


@pytest.mark.parametrize("override", ["costs.unit_cost_gbp_per_year.special=-5", "costs.no_such_thing=1",
                                      "costs.price_base_year=2022", "rag.amber_tolerance=lots"])
def test_bad_set_exits_2_with_a_message(tmp_path, fake_engine, override):
    result = invoke("--out", str(tmp_path), "--set", override)
    assert result.exit_code == 2
    assert "problem" in result.stderr and override.split("=")[0] in result.stderr
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())  # nothing written


def test_failure_mid_run_leaves_no_half_written_folder(tmp_path, fake_engine, monkeypatch):
    invoke("--out", str(tmp_path))
    (previous,) = runs(tmp_path)

    def broken(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(charts, "write_charts", broken)  # fails after the CSVs are written
    result = invoke("--out", str(tmp_path))
    assert result.exit_code == 1
    assert "no space left on device" in result.stderr and "Traceback" not in result.output
    assert runs(tmp_path) == [previous]
    (failed,) = [p for p in tmp_path.iterdir() if p.name.endswith(".failed")]
    assert [p.name for p in failed.iterdir()] == ["manifest.json"]
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["status"].startswith("error: OSError") and manifest["seed"] == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.skipif(not HAS_ENGINE, reason="the engine (svsim.model.engine) is not there yet")
def test_run_with_the_engine(tmp_path):
    result = invoke("--replications", "2", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    (folder,) = runs(tmp_path)
    assert {p.name for p in folder.iterdir()} >= FILES
    deficit = pd.read_csv(folder / "deficit.csv")
    assert deficit["p_within_profile"].between(0, 1).all()
    assert (deficit["accumulated_deficit_gbp_m_p10"] <= deficit["accumulated_deficit_gbp_m_p90"]).all()


def test_ctrl_c_mid_run_is_recorded_and_leaves_no_run(tmp_path, monkeypatch):
    def interrupted(scenario, seed, replication):
        raise KeyboardInterrupt

    monkeypatch.setattr(replications, "run_replication", interrupted)
    result = invoke("--out", str(tmp_path))
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert runs(tmp_path) == []
    (failed,) = list(tmp_path.iterdir())
    assert json.loads((failed / "manifest.json").read_text())["status"] == "interrupted"
