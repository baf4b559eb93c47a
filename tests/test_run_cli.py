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
from svsim.cli.common import ProgressLine
from svsim.experiment import executors, replications
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
         "scenario.resolved.yaml", "deficit.png", "in_year_hnb.png", "ehcps_by_age_band.png", "placement_mix.png",
         "monthly.csv", "assumptions.csv", "spend_by_setting.png", "report.html", "svsim.xlsx"}


@pytest.fixture
def fake_engine(monkeypatch):
    """The hand-made replication, run in this process (a worker process would not see the substitute)."""
    monkeypatch.setattr(replications, "run_replication", fake_replicate)
    monkeypatch.setattr(executors, "default_workers", lambda: 1)
    from svsim.experiment import limits  # the hand-made replication has no requests: not a council to check

    monkeypatch.setattr(limits, "result_problems", lambda scenario, result: [])


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
    assert "P10-P90" in result.stdout and "P(within)" in result.stdout
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
    assert manifest["workers"] == 1 and manifest["executor"] == "local" and manifest["quantiles"] == [0.1, 0.5, 0.9]
    assert set(manifest["uncertainty"]["draws"]) == {u["path"] for u in manifest["uncertainty"]["parameters"]}
    assert manifest["headline"]["2022-23"]["p_within_profile"] is not None
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
    result = invoke("-n", "1", "--out", str(tmp_path))
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert runs(tmp_path) == []
    (failed,) = list(tmp_path.iterdir())
    assert json.loads((failed / "manifest.json").read_text())["status"] == "interrupted"


def test_custom_quantiles_add_columns_and_show_the_band(tmp_path, fake_engine, no_charts):
    result = invoke("-n", "3", "--quantiles", "0.05,0.5,0.95", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "P5-P95" in result.stdout
    deficit = pd.read_csv(runs(tmp_path)[0] / "deficit.csv")
    for col in ("accumulated_deficit_gbp_m_p5", "accumulated_deficit_gbp_m_p95", "accumulated_deficit_gbp_m_p10",
                "accumulated_deficit_gbp_m_p90", "accumulated_deficit_gbp_m_mean", "accumulated_deficit_gbp_m_mcse"):
        assert col in deficit.columns
    assert (deficit["accumulated_deficit_gbp_m_p5"] <= deficit["accumulated_deficit_gbp_m_p10"]).all()
    assert (deficit["accumulated_deficit_gbp_m_p95"] >= deficit["accumulated_deficit_gbp_m_p90"]).all()
    replications_csv = pd.read_csv(runs(tmp_path)[0] / "replications.csv")
    assert {"accumulated_deficit_gbp_m", "uncertainty:demand.request_rate_per_10k_0_18"} <= set(
        replications_csv["measure"])


@pytest.mark.parametrize("bad", ["0.5,1.2", "lots", "0"])
def test_bad_quantiles_exit_2(tmp_path, fake_engine, bad):
    result = invoke("--quantiles", bad, "--out", str(tmp_path))
    assert result.exit_code == 2 and "quantiles" in result.output


def test_scheduler_needs_dask_executor(tmp_path, fake_engine):
    result = invoke("--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--executor dask" in result.output


def test_quiet_and_not_a_tty_print_no_progress(tmp_path, fake_engine, no_charts):
    loud = invoke("-n", "2", "--out", str(tmp_path))
    assert "Running kent-base" in loud.stderr and "\r" not in loud.stderr  # not a terminal: no bar
    quiet = invoke("-n", "2", "--quiet", "--out", str(tmp_path))
    assert quiet.exit_code == 0 and quiet.stderr == "" and "2022-23" in quiet.stdout


def test_progress_line_shows_eta_after_a_while(capsys):
    bar = ProgressLine(enabled=True, after_s=0.0)
    bar.update(5, 20)
    bar.finish()
    err = capsys.readouterr().err
    assert "5/20 replications" in err and "ETA" in err and err.endswith("\n")
    silent = ProgressLine(enabled=False)
    silent.update(1, 2)
    silent.finish()
    assert capsys.readouterr().err == ""


def test_precision_reports_replications_used(tmp_path, fake_engine, no_charts):
    """The fake engine's deficit grows with the replication index, so a tight target is never met: the cap stops it."""
    result = invoke("--precision", "0.001", "--max-replications", "30", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "NOT reached" in result.stderr and "30 replications" in result.stderr
    manifest = json.loads((runs(tmp_path)[0] / "manifest.json").read_text())
    assert manifest["replications"] == 30
    assert manifest["precision"]["replications_used"] == 30 and manifest["precision"]["batches"] == [20, 30]
    assert manifest["precision"]["achieved"] is False


def test_dask_executor_without_dask_says_how_to_install_it(tmp_path, fake_engine, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if it were not installed
    result = invoke("--executor", "dask", "--out", str(tmp_path))
    assert result.exit_code == 2 and "pip install 'svsim[dask]'" in result.stderr


def test_sv_table_stays_aligned_in_years_without_a_profile() -> None:
    """A year with no profile shows '-' in the width of its column (not a bare '-' that shifts the rest, nor 'nan')."""
    import math

    import pandas as pd

    from svsim.cli.run import sv_table_text

    def row(year: str, profile: float, rag: object) -> dict:
        return {"financial_year": year, "basis": "forecast", "sv_profile_gbp_m": profile,
                "accumulated_deficit_gbp_m": 118.0, "variance_gbp_m": 118.0 - profile, "rag": rag,
                "rag_could_be": rag, "accumulated_deficit_gbp_m_p10": 117.0, "accumulated_deficit_gbp_m_p90": 119.0,
                "p_within_profile": math.nan if profile != profile else 0.0, "in_year_deficit_gbp_m": 38.0}

    text = sv_table_text(pd.DataFrame([row("2022-23", math.nan, math.nan), row("2023-24", 100.0, "RED")]), "t", 8)
    head, without, with_profile = (line for line in text.splitlines() if line.startswith(("Year", "2022", "2023")))
    assert "nan" not in without
    assert len(without) == len(with_profile) == len(head)
    assert without.index("118.0") == with_profile.index("118.0")


MINIMAL = str(Path(__file__).resolve().parent / "fixtures" / "scenarios" / "minimal.yaml")


@pytest.mark.parametrize("args", [["--max-replications", "50"], ["-n", "5", "--max-replications", "3"]])
def test_max_replications_without_precision_is_refused(tmp_path, args):
    """--max-replications only bounds --precision: alone it would be silently ignored, so it is an error."""
    result = CliRunner().invoke(cli.main, ["run", MINIMAL, *args, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--precision" in result.output and "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_an_implausible_replication_is_a_warning_in_terminal_and_manifest(tmp_path, fake_engine, no_charts,
                                                                          monkeypatch):
    """The plausibility checks (experiment/limits.py) run on the first replication: what they find is printed and
    recorded, since the scenario validated without a warning explaining it."""
    from svsim.experiment import limits

    monkeypatch.setattr(limits, "result_problems", lambda scenario, result: ["money not a number in 2022-23"])
    result = invoke("-n", "2", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "warning: implausible result (replication 0): money not a number in 2022-23" in result.output
    (folder,) = runs(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert any("money not a number" in w for w in manifest["warnings"])
