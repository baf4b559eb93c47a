"""Run folders: atomic, never overwritten, failures recorded in a manifest and nothing half-written left behind."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from svsim.outputs.run_folder import MANIFEST, RunFolder, run_name, safe_name


def test_success_renames_and_records(tmp_path):
    with RunFolder(tmp_path, "kent-1", {"seed": 3}) as run:
        assert run.path.name.startswith(".kent-1.tmp-")
        (run.path / "deficit.csv").write_text("x\n")
        assert not (tmp_path / "kent-1").exists()  # nothing visible under the final name while running
    assert run.final_path == tmp_path / "kent-1"
    manifest = json.loads((run.final_path / MANIFEST).read_text())
    assert manifest["status"] == "ok" and manifest["seed"] == 3
    assert {"svsim_version", "git", "started", "finished", "runtime_s", "files"} <= set(manifest)
    assert [p.name for p in tmp_path.iterdir()] == ["kent-1"]


def test_a_second_run_with_the_same_name_gets_a_suffix(tmp_path):
    for content in ("first", "second", "third"):
        with RunFolder(tmp_path, "kent", {}) as run:
            (run.path / "a.txt").write_text(content)
    assert (tmp_path / "kent" / "a.txt").read_text() == "first"
    assert (tmp_path / "kent-2" / "a.txt").read_text() == "second"
    assert (tmp_path / "kent-3" / "a.txt").read_text() == "third"


def test_failure_keeps_only_an_error_record(tmp_path):
    with RunFolder(tmp_path, "kent", {}) as ok:
        (ok.path / "deficit.csv").write_text("previous run")
    with pytest.raises(RuntimeError), RunFolder(tmp_path, "kent", {}) as run:
        (run.path / "deficit.csv").write_text("half")
        (run.path / "charts").mkdir()
        raise RuntimeError("disk on fire")
    assert run.final_path == tmp_path / "kent.failed"
    assert [p.name for p in run.final_path.iterdir()] == [MANIFEST]
    manifest = json.loads((run.final_path / MANIFEST).read_text())
    assert manifest["status"] == "error: RuntimeError: disk on fire"
    assert "disk on fire" in manifest["traceback"]
    assert (tmp_path / "kent" / "deficit.csv").read_text() == "previous run"  # the earlier run is untouched
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_ctrl_c_is_recorded_as_interrupted(tmp_path):
    with pytest.raises(KeyboardInterrupt), RunFolder(tmp_path, "kent", {}) as run:
        raise KeyboardInterrupt
    assert json.loads((run.final_path / MANIFEST).read_text())["status"] == "interrupted"


def test_names():
    assert run_name("kent-base", dt.datetime(2024, 5, 1, 9, 30, 5)) == "kent-base-20240501-093005"
    assert safe_name("../a b/c") == "a-b-c"
