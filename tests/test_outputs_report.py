"""report.html and svsim.xlsx as a reader meets them: rendered in headless Chromium, opened with openpyxl, and
rebuilt by `svsim report` from the folder alone.

The browser test needs Debian's `chromium` (`.ci/run` installs it); it is skipped, saying so, where no Chromium
is installed. One real run of the base scenario (2 replications, about 10 s) is shared by the tests here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.experiment import executors, replications
from test_outputs_tables import fake_replicate  # noqa: I001 - a sibling test module

BASE = str(Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml")
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
YEARS = ["2022-23", "2023-24", "2024-25", "2025-26", "2026-27", "2027-28"]


def _run(out: Path, *args: str) -> Path:
    result = CliRunner().invoke(cli.main, ["run", BASE, "--out", str(out), "--quiet", *args])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return folder


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """The base scenario with the real engine, 2 replications."""
    return _run(tmp_path_factory.mktemp("real"), "-n", "2", "--workers", "1")


@pytest.fixture(scope="module")
def fake_runs(tmp_path_factory) -> dict[int, Path]:
    """Folders of 1 and 3 replications from the instant hand-made engine (tests that change a folder copy it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(replications, "run_replication", fake_replicate)
        mp.setattr(executors, "default_workers", lambda: 1)
        tmp = tmp_path_factory.mktemp("fake")
        return {n: _run(tmp / f"n{n}", "-n", str(n)) for n in (1, 3)}


def _copy(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / folder.name))


PROBE = """<script>window.__errors=[];
window.addEventListener('error',e=>window.__errors.push(String(e.message||(e.target&&e.target.src)||e)),true);
const __ce=console.error;console.error=function(){window.__errors.push([...arguments].join(' '));
__ce.apply(console,arguments)};
window.addEventListener('load',()=>{const imgs=[...document.images];
const d=document.createElement('pre');d.id='probe';d.textContent=JSON.stringify({images:imgs.length,
broken:imgs.filter(i=>!(i.complete&&i.naturalWidth>0)).map(i=>i.alt),
years:[...document.querySelectorAll('#headline tbody tr td:first-child')].map(t=>t.textContent),
errors:window.__errors});document.body.appendChild(d);});</script>"""


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium; .ci/run "
                                             "installs it), so report.html cannot be rendered")
def test_report_renders_in_a_browser(real_run, tmp_path):
    """Chromium loads report.html with no console errors, every chart image decodes, and the headline table
    shows the six financial years; a screenshot is kept beside it for a person to look at."""
    page = (real_run / "report.html").read_text(encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    dom = _chromium("--virtual-time-budget=10000", "--dump-dom", probed.as_uri()).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, "the page never finished loading"
    probe = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert probe["errors"] == []
    assert probe["images"] >= 8 and probe["broken"] == []
    assert [y[:7] for y in probe["years"]] == YEARS  # "2022-23 (closed)" for a closed year
    shot = tmp_path / "report.png"
    _chromium("--window-size=900,2400", f"--screenshot={shot}", (real_run / "report.html").as_uri())
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_report_is_self_contained_and_complete(real_run):
    page = (real_run / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the report must not need the network"
    assert page.count("data:image/png;base64,") >= 8
    for text in ("Safety Valve profile", "P(within profile)", "RAG key", "GREEN when the forecast",
                 "KPIs by Safety Valve condition", "Assumptions, with their sources", "How these figures were made",
                 "median of 2 replications", "Net of DfE instalments", "Variance %"):
        assert text in page, text
    assert "One replication, not a forecast" not in page
    assert "2022-23 is a closed year: the table shows its outturn (£117.5m" in page


def test_workbook_has_numbers_with_formats(real_run):
    from openpyxl import load_workbook

    wb = load_workbook(real_run / "svsim.xlsx")
    for sheet in ("Safety Valve", "Deficit quantiles", "Census", "DfE placements", "KPIs", "Spend by setting",
                  "Flows monthly", "Assumptions", "Run details"):
        assert sheet in wb.sheetnames, sheet
    ws = wb["Safety Valve"]
    header = [c.value for c in ws[2]]
    assert header[:4] == ["Financial year", "Basis", "Profile £m", "Forecast £m (median)"]
    assert ws.freeze_panes == "B3"
    years = [ws.cell(row=r, column=1).value for r in range(3, 9)]
    assert years == YEARS
    # the closed year 2022-23 shows the scenario's outturn, the others the forecast
    assert [ws.cell(row=r, column=2).value for r in range(3, 9)] == ["outturn"] + ["forecast"] * 5
    assert ws.cell(row=3, column=4).value == 117.5
    for r in range(3, 9):
        forecast = ws.cell(row=r, column=4)
        assert isinstance(forecast.value, float) and forecast.number_format.startswith("#,##0.0")
        assert ws.cell(row=r, column=8).number_format == "0.0%"  # variance %
        assert ws.cell(row=r, column=9).value in ("GREEN", "AMBER", "RED")
    header = {name: k for k, name in enumerate(header, start=1)}
    for r in range(3, 9):  # the mean path adds up along every row, the closed year's too
        def at(name: str, r: int = r) -> float:
            return ws.cell(row=r, column=header[name]).value
        closing = (at("Opening deficit £m (mean)") + at("In-year HNB £m (mean)")
                   + at("Other DSG blocks in-year £m (mean)") - at("Council contribution £m (mean)"))
        assert closing == pytest.approx(at("Closing deficit £m (mean)"), abs=0.003)
        assert at("HNB spend £m (mean)") - at("HNB income £m (mean)") == pytest.approx(
            at("In-year HNB £m (mean)"), abs=0.003)
    placements = wb["DfE placements"]
    assert "Maintained special schools or special academies" in [c.value for c in placements["B"]]
    assert all(isinstance(c.value, int | float) for c in placements["D"][2:])


def test_workbook_and_csv_keep_their_columns_whatever_the_replications(fake_runs):
    from openpyxl import load_workbook

    one, three = fake_runs[1], fake_runs[3]
    assert (one / "deficit.csv").read_text().splitlines()[0] == (three / "deficit.csv").read_text().splitlines()[0]
    wb1, wb3 = load_workbook(one / "svsim.xlsx"), load_workbook(three / "svsim.xlsx")
    assert wb1.sheetnames == wb3.sheetnames
    for name in wb1.sheetnames:
        if name == "Safety Valve":  # the forecast column says which statistic it is
            continue
        row = 2 if wb1[name]["A1"].font.italic else 1
        assert [c.value for c in wb1[name][row]] == [c.value for c in wb3[name][row]], name


def test_one_replication_says_it_is_not_a_forecast(fake_runs):
    from openpyxl import load_workbook

    folder = fake_runs[1]
    assert "One replication, not a forecast" in (folder / "report.html").read_text(encoding="utf-8")
    ws = load_workbook(folder / "svsim.xlsx")["Safety Valve"]
    assert "One replication, not a forecast" in ws["A1"].value
    assert ws["D2"].value == "Forecast £m (one replication, not a forecast)"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["statistics"]["label"] == "one replication, not a forecast"


def test_svsim_report_rebuilds_from_the_folder_alone(fake_runs, monkeypatch, tmp_path):
    folder = _copy(fake_runs[3], tmp_path)
    before = (folder / "report.html").read_text(encoding="utf-8")
    for name in ("report.html", "svsim.xlsx", "deficit.png"):
        (folder / name).unlink()
    (folder / "scenario.resolved.yaml").unlink()  # not needed: the CSVs and the manifest are enough

    def no_simulation(*args, **kwargs):
        raise AssertionError("svsim report must not simulate")

    monkeypatch.setattr(replications, "run_replication", no_simulation)
    result = CliRunner().invoke(cli.main, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert {"report.html", "svsim.xlsx", "deficit.png"} <= {p.name for p in folder.iterdir()}
    after = (folder / "report.html").read_text(encoding="utf-8")
    table = re.compile(r'<table id="headline">.*?</table>', re.S)
    assert table.search(after).group(0) == table.search(before).group(0)


def test_svsim_report_includes_tables_it_does_not_know(fake_runs, tmp_path):
    from openpyxl import load_workbook

    folder = _copy(fake_runs[3], tmp_path)
    (folder / "flows.csv").write_text("financial_year,requests\n2022-23,3669\n2023-24,4047\n")
    assert CliRunner().invoke(cli.main, ["report", str(folder)]).exit_code == 0
    assert "flows.csv" in (folder / "report.html").read_text(encoding="utf-8")
    ws = load_workbook(folder / "svsim.xlsx")["flows"]
    assert ws["B2"].value == 3669


def test_svsim_report_refuses_a_folder_that_is_not_a_run(tmp_path):
    result = CliRunner().invoke(cli.main, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a svsim run" in result.stderr


def test_svsim_report_refuses_a_failed_run(tmp_path):
    failed = tmp_path / "kent-base-20260101-000000.failed"
    failed.mkdir()
    (failed / "manifest.json").write_text('{"status": "interrupted"}')
    result = CliRunner().invoke(cli.main, ["report", str(failed)])
    assert result.exit_code == 2 and "no finished results (status: interrupted)" in result.stderr
