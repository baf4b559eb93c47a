"""Faults while writing results: a full disk, a read-only or impossible --out, a failure at the very last write.

Each ends with one clear line, a documented exit status (2: refused before running; 74: the results could not be
written), nothing stranded in a hidden temporary folder, no complete-looking folder, an earlier run untouched and no
pointer to a `.failed` folder that does not exist. The disk-full case uses a real 200 kB tmpfs when the test may mount
one (root in a container), and a patched write raising ENOSPC everywhere.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.outputs import run_folder
from svsim.outputs.run_folder import MANIFEST, OutputError, RunFolder, run_name, safe_name

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"


def _earlier(out: Path) -> Path:
    earlier = out / "earlier-run"
    earlier.mkdir(parents=True)
    (earlier / "deficit.csv").write_text("an earlier run\n", encoding="utf-8")
    return earlier


def _visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def test_out_that_is_a_file_is_refused_before_running(tmp_path: Path) -> None:
    f = tmp_path / "a-file"
    f.write_text("x", encoding="utf-8")
    for out in (f, f / "below"):
        result = CliRunner().invoke(cli.main, ["run", str(BASE), "-n", "1", "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and ".failed" not in result.output
    assert f.read_text(encoding="utf-8") == "x"


def test_read_only_output_is_refused_before_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    real = os.access
    # root ignores chmod: pretend this one folder is not writable
    monkeypatch.setattr(run_folder.os, "access", lambda p, mode, **k: Path(p) != out and real(p, mode, **k))
    result = CliRunner().invoke(cli.main, ["run", str(BASE), "-n", "1", "--out", str(out)])
    assert result.exit_code == 2 and "cannot write in the output folder" in result.output
    assert ".failed" not in result.output


def test_full_disk_at_the_last_write_strands_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifest's final write fails: not a complete-looking folder, not a stranded hidden one, but a record."""
    earlier = _earlier(tmp_path)
    real = RunFolder._write_manifest

    def full_when_ok(self: RunFolder) -> None:
        if self.manifest.get("status") == "ok":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self)

    monkeypatch.setattr(RunFolder, "_write_manifest", full_when_ok)
    with pytest.raises(OutputError) as err, RunFolder(tmp_path, "kent", {}) as run:
        (run.path / "deficit.csv").write_text("complete outputs", encoding="utf-8")
    assert err.value.errno == errno.ENOSPC
    names = _visible(tmp_path)
    assert names == ["earlier-run", "kent.failed"], names
    assert [p.name for p in (tmp_path / "kent.failed").iterdir()] == [MANIFEST]
    manifest = json.loads((tmp_path / "kent.failed" / MANIFEST).read_text(encoding="utf-8"))
    assert "No space left" in manifest["status"]
    assert err.value.__cause__ is not None and err.value.__cause__.svsim_record == tmp_path / "kent.failed"
    assert (earlier / "deficit.csv").read_text(encoding="utf-8") == "an earlier run\n"


def test_when_no_record_can_be_written_nothing_is_left_and_none_is_claimed(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    with pytest.raises(RuntimeError) as err, RunFolder(tmp_path, "kent", {}) as run:
        (run.path / "deficit.csv").write_text("half", encoding="utf-8")
        monkeypatch.setattr(run_folder, "_claim", refuse)
        raise RuntimeError("the engine failed")
    assert _visible(tmp_path) == []  # no hidden temporary folder either
    assert err.value.svsim_record is None  # the CLI then says "nothing was kept", not a .failed path


def test_cli_reports_a_full_disk_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from svsim.outputs import run as run_module

    def no_space(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(run_module, "simulate_replications", no_space)
    out = tmp_path / "out"
    _earlier(out)
    result = CliRunner().invoke(cli.main, ["run", str(BASE), "-n", "1", "--out", str(out)])
    assert result.exit_code == 74, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("svsim")]
    assert lines == [f"svsim run: could not write the results: No space left on device; the failure is recorded in "
                     f"{next(out.glob('*.failed'))}"]
    assert not [n for n in _visible(out) if n.startswith(".")]


def _mount_tmpfs(where: Path, size: str) -> bool:
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


def test_a_real_full_disk(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "200k"):
        pytest.skip("cannot mount a small tmpfs here (needs root); the patched ENOSPC tests cover the logic")
    try:
        earlier = _earlier(disk)
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
        done = subprocess.run([sys.executable, "-c", "from svsim.cli import main; main()", "run", str(BASE), "-n", "1",
                               "-q", "--out", str(disk)], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 74, done.stderr
        assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
        names = _visible(disk)
        assert not [n for n in names if n.startswith(".")], names
        assert [n for n in names if n != "earlier-run"] == [n for n in names if n.endswith(".failed")]
        assert (earlier / "deficit.csv").read_text(encoding="utf-8") == "an earlier run\n"
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_folder_names_never_escape_out_and_stay_short() -> None:
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("/") == "run" and safe_name("..") == "run"
    name = run_name("x" * 1000)
    assert len(name.encode()) < 200 and "/" not in name
