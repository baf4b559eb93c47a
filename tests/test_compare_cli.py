"""`svsim compare` end to end: the folder, its CSVs and charts, the terminal tables, attribution or the reason why not.

`test_compare_six_k_with_the_engine` runs the real engine (3 paired replications on 2 workers); the others swap
the engine, the runner and the pricing for instant stand-ins (see test_experiment_attribution) and run serially.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.experiment import attribution, compare
from svsim.outputs.compare import ATTRIBUTION_COLUMNS, DIFFERENCE_COLUMNS
from test_experiment_attribution import fake_money, fake_result, fake_simulate  # noqa: I001 - a sibling module

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASE = str(SCENARIOS / "base.yaml")
UNMITIGATED = str(SCENARIOS / "unmitigated.yaml")
WITHOUT_SIX_K = str(SCENARIOS / "without-six-k-threshold.yaml")


def fake_run_tasks(scenarios, tasks, seed, *, workers=None, progress=None, deliver=None, **_):  # noqa: ANN001, ANN201
    out = []
    for done, t in enumerate(tasks, start=1):
        result = fake_result(scenarios[t.key], seed, t.replication)
        if deliver is None:
            out.append(result)
        else:  # streamed, as executors.run_tasks does
            deliver(done - 1, result)
        if progress is not None:
            progress(done, len(tasks))
    return out


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(compare, "_run_tasks", lambda: fake_run_tasks)
    monkeypatch.setattr(attribution, "_simulate", fake_simulate)
    monkeypatch.setattr(attribution, "_money", fake_money)


def invoke(*args: str):
    return CliRunner().invoke(cli.main, ["compare", *args])


def only_folder(parent: Path) -> Path:
    folders = [p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(folders) == 1, folders
    return folders[0]


def test_compare_six_k_with_the_engine(tmp_path):
    result = invoke(BASE, WITHOUT_SIX_K, "-n", "3", "--seed", "2", "--workers", "2", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    folder = only_folder(tmp_path)
    assert folder.name.startswith("compare-kent-base-vs-kent-without-six-k-threshold-")
    files = {p.name for p in folder.iterdir()}
    assert {"differences.csv", "replications.csv", "attribution.csv", "differences.png",
            "attribution_waterfall.png", "attribution_by_year.png", "manifest.json", "kent-base.resolved.yaml",
            "kent-without-six-k-threshold.resolved.yaml"} <= files

    diffs = pd.read_csv(folder / "differences.csv")
    assert list(diffs.columns) == list(DIFFERENCE_COLUMNS)
    row = diffs[(diffs.measure == "in_year_deficit_gbp_m") & (diffs.financial_year == "2023-24")].iloc[0]
    assert row.other == "kent-without-six-k-threshold" and row.base == "kent-base"
    assert 1.5 < row.mean_difference < 2.6 and row.ci_low > 0  # about £2m a year, and surely not zero
    acc = diffs[(diffs.measure == "accumulated_deficit_gbp_m") & (diffs.financial_year != "2022-23")]
    assert (acc.ci_half_width < acc.unpaired_ci_half_width / 3).all()

    attr = pd.read_csv(folder / "attribution.csv")
    assert list(attr.columns) == list(ATTRIBUTION_COLUMNS)
    six_k = attr[(attr.intervention == "six-k-threshold") & (attr.measure == "accumulated_deficit_gbp_m")]
    total = attr[(attr.intervention == "total") & (attr.measure == "accumulated_deficit_gbp_m")]
    assert list(six_k.saving_gbp_m) == pytest.approx(list(total.saving_gbp_m))
    final = acc[acc.financial_year == "2027-28"].iloc[0]
    assert six_k.saving_gbp_m.iloc[-1] == pytest.approx(final.mean_difference)  # saving = without - with
    assert set(six_k.condition) == {8} and six_k.comparison.iloc[0] == "kent-without-six-k-threshold -> kent-base"

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["replications"] == 3 and manifest["seed"] == 2
    assert manifest["attribution"]["kent-without-six-k-threshold"]["simulations"] == 0  # reuses the comparison
    assert not [w for w in manifest["warnings"] if "implausible" in w]  # the real checks ran: silent on shipped
    assert "implausible" not in result.output
    assert "Saving" in result.output and "95% interval" in result.output and "2027-28" in result.output
    assert "six-k-threshold" in result.output and "Results folder:" in result.output
    # one sign convention: a saving is BASE - OTHER (+ = lower deficit); dropping the £6k change raises the deficit
    assert (diffs.saving_gbp_m == -diffs.mean_difference).all()
    assert (acc.saving_gbp_m < 0).all() and "RAISES the deficit" in result.output
    assert "saving (+ = lower deficit)" in result.output and "BASE" not in result.output
    assert "Kent base scenario" in result.output  # titles, not only names
    assert "Warning: 3 replications are too few" in result.output and "ETA" in result.output
    assert {"headline.csv", "report.html", "svsim.xlsx"} <= files
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Savings (+ = lower deficit)" in page and "Shapley" in page and "data:image/png;base64," in page


def test_compare_unmitigated_with_base_is_attributed_by_condition(tmp_path, fake_engine):
    result = invoke(UNMITIGATED, BASE, "-n", "2", "--workers", "1", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "split among 9 measures (grouped by Safety Valve condition)" in result.output
    assert "128 simulation(s) a replication" in result.output
    folder = only_folder(tmp_path)
    assert folder.name.startswith("compare-kent-unmitigated-vs-kent-base-")
    attr = pd.read_csv(folder / "attribution.csv")
    assert attr.method.str.contains("grouped by Safety Valve condition").all()
    acc = attr[attr.measure == "accumulated_deficit_gbp_m"]
    assert acc.financial_year.nunique() == 6 and len(acc) == 6 * 10  # 9 groups and the total, every year
    for _, rows in acc.groupby("financial_year"):
        players = rows[rows.intervention != "total"]
        total = rows[rows.intervention == "total"].saving_gbp_m.iloc[0]
        assert players.saving_gbp_m.sum() == pytest.approx(total, abs=0.0005 * len(players))  # CSV: 3 decimals
        assert (players.saving_gbp_m_p10 <= players.saving_gbp_m_p90).all()
    group = acc[acc.condition == 3].iloc[0]
    assert group.members == "statutory-decisions;sen-recruitment;annual-review-backlog-team"
    assert (folder / "attribution_waterfall.png").stat().st_size > 1000
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["attribution"]["kent-base"]["simulations"] == 2 * 128


def test_scenarios_that_differ_otherwise_are_compared_but_not_attributed(tmp_path, fake_engine):
    other = tmp_path / "faster.yaml"
    other.write_text(f"extends: {BASE}\nname: kent-faster\nassessment:\n  vacancy_rate: 0.05\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(BASE, str(other), "-n", "2", "--workers", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "The saving of kent-faster is not split among measures" in result.output
    assert "assessment.vacancy_rate" in result.output
    folder = only_folder(out)
    assert not (folder / "attribution.csv").exists() and (folder / "differences.csv").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["attribution"]["kent-faster"]["done"] is False


def test_no_attribution_flag_and_several_others(tmp_path, fake_engine):
    result = invoke(BASE, WITHOUT_SIX_K, UNMITIGATED, "-n", "2", "--workers", "1", "--no-attribution",
                    "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    folder = only_folder(tmp_path)
    assert folder.name.startswith("compare-kent-base-vs-kent-without-six-k-threshold-and-1-more-")
    diffs = pd.read_csv(folder / "differences.csv")
    assert set(diffs.other) == {"kent-without-six-k-threshold", "kent-unmitigated"}
    assert not (folder / "attribution.csv").exists()
    assert result.output.count("  against ") == 2  # one table per OTHER


def test_quiet_compare_prints_results_but_no_progress(tmp_path, fake_engine):
    result = invoke(BASE, WITHOUT_SIX_K, "-n", "2", "--workers", "1", "--quiet", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "ETA" not in result.stderr and "Comparing with" not in result.stderr
    assert "Warning: 2 replications are too few" in result.stdout and "Saving" in result.stdout


def test_comparison_report_and_workbook_rebuild_from_the_folder(tmp_path, fake_engine):
    from openpyxl import load_workbook

    result = invoke(BASE, WITHOUT_SIX_K, "-n", "2", "--workers", "1", "--quiet", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    folder = only_folder(tmp_path)
    for name in ("report.html", "svsim.xlsx"):
        (folder / name).unlink()
    rebuilt = CliRunner().invoke(cli.main, ["report", str(folder)])
    assert rebuilt.exit_code == 0, rebuilt.output
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Savings (+ = lower deficit)" in page and "Only 2 replications" in page
    assert page.count("data:image/png;base64,") >= 3  # the comparison's charts, embedded
    ws = load_workbook(folder / "svsim.xlsx")["Savings"]
    header = [c.value for c in ws[2]]
    assert "Saving £m (+ = lower deficit)" in header
    column = header.index("Saving £m (+ = lower deficit)") + 1
    diffs = pd.read_csv(folder / "differences.csv")
    acc = diffs[diffs.measure == "accumulated_deficit_gbp_m"]
    assert [ws.cell(row=r, column=column).value for r in range(3, 3 + len(acc))] == pytest.approx(
        list(acc.saving_gbp_m))


def test_bad_input_and_failures(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASE}\nassessment:\n  vacancy_rat: 0.05\n", encoding="utf-8")
    result = invoke(BASE, str(bad), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "vacancy_rat" in result.output
    assert not (tmp_path / "out").exists()
    assert invoke(BASE, "-n", "2").exit_code == 2  # OTHER is required
    assert invoke(BASE, WITHOUT_SIX_K, "-n", "1").exit_code == 2  # an interval needs two replications

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("worker lost")

    monkeypatch.setattr(compare, "_run_tasks", lambda: broken)
    result = invoke(BASE, WITHOUT_SIX_K, "-n", "2", "--out", str(tmp_path / "fail"))
    assert result.exit_code == 1 and "worker lost" in result.output
    failed = [p for p in (tmp_path / "fail").iterdir() if p.name.endswith(".failed")]
    assert len(failed) == 1
    manifest = json.loads((failed[0] / "manifest.json").read_text())
    assert "worker lost" in manifest["status"]


def test_set_overrides_every_scenario_compared(tmp_path, fake_engine):
    from svsim.scenario import load_scenario

    result = invoke(BASE, WITHOUT_SIX_K, "-n", "2", "--workers", "1", "--no-attribution", "--out", str(tmp_path),
                    "--set", "demand.request_rate_per_10k_0_18=130")
    assert result.exit_code == 0, result.output
    manifest = json.loads((only_folder(tmp_path) / "manifest.json").read_text())
    changed = load_scenario(BASE, ["demand.request_rate_per_10k_0_18=130"]).fingerprint
    assert manifest["base"]["fingerprint"] == changed != load_scenario(BASE).fingerprint
    bad = invoke(BASE, WITHOUT_SIX_K, "-n", "2", "--set", "demand.request_rate_per_10k_0_18=-1")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "demand.request_rate_per_10k_0_18" in bad.output


def test_attribution_time_estimate_from_the_comparisons_own_pace():
    """Extra simulations (those beyond the two the comparison already ran) x the comparison's mean time per
    replication, shared among the workers."""
    from types import SimpleNamespace

    from svsim.outputs.compare import attribution_estimate_s

    plan = SimpleNamespace(simulations_per_replication=128)
    run = [SimpleNamespace(runtime_s=0.4), SimpleNamespace(runtime_s=0.6)]
    comparison = SimpleNamespace(results=(run, run))
    assert attribution_estimate_s(plan, comparison, replications=10, workers=2) == pytest.approx(126 * 10 * 0.5 / 2)
    money_only = SimpleNamespace(simulations_per_replication=1)  # reuses the comparison's simulations
    assert attribution_estimate_s(money_only, comparison, replications=10, workers=2) == 0


def test_compare_streams_its_replications_to_disk_and_writes_the_same_files(tmp_path, fake_engine, monkeypatch):
    """The replications go to the run's scratch file as they finish (the parent keeps only their measures), and the
    folder's CSVs are those of the comparison held in memory; replications.csv written a few rows at a time."""
    from svsim.experiment.replications import StoredSection
    from svsim.outputs import compare as outputs_compare
    from svsim.outputs.tables import rounded
    from svsim.scenario import load_scenario

    base, other = load_scenario(BASE), load_scenario(UNMITIGATED)
    monkeypatch.setattr(outputs_compare, "REPLICATIONS_CSV_CHUNK", 3)
    outcome = outputs_compare.execute_compare(base, [other], replications=7, seed=5, workers=1, out=tmp_path,
                                              attribution=False, charts=False, command=[])
    assert all(isinstance(r, StoredSection) and len(r) == 7 for r in outcome.comparison.results)
    assert not list(outcome.folder.rglob("*.pickle")) and not (outcome.folder / ".scratch").exists()
    held = compare.run_comparison(base, [other], replications=7, seed=5, workers=1)  # results in memory
    assert isinstance(held.results[0], tuple)
    fmt = outputs_compare.FLOAT_FORMAT
    want = outputs_compare.replications_long_table(held).to_csv(index=False, float_format=fmt)
    assert (outcome.folder / "replications.csv").read_text(encoding="utf-8") == want
    for stem, table in (("differences", outputs_compare.differences_table(held)),
                        ("headline", outputs_compare.headline_table(held))):
        assert (outcome.folder / f"{stem}.csv").read_text(encoding="utf-8") == rounded(table).to_csv(
            index=False, float_format=fmt), stem


def test_an_implausible_replication_is_a_warning_in_terminal_and_manifest(tmp_path, fake_engine, monkeypatch):
    """As in `svsim run`: the plausibility checks run on replication 0 of every scenario compared, and a finding
    is printed and recorded naming the scenario, since it validated without a warning explaining it."""
    from svsim.experiment import limits

    monkeypatch.setattr(limits, "result_problems", lambda scenario, result: (
        ["no request for an assessment in the last 12 months: demand is zero"]
        if scenario.name == "kent-without-six-k-threshold" else []))
    result = invoke(BASE, WITHOUT_SIX_K, "-n", "2", "--workers", "1", "--no-attribution", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    want = "implausible result (kent-without-six-k-threshold, replication 0): no request for an assessment"
    assert f"warning: {want}" in result.output and "implausible result (kent-base" not in result.output
    manifest = json.loads((only_folder(tmp_path) / "manifest.json").read_text(encoding="utf-8"))
    assert [w for w in manifest["warnings"] if "implausible" in w] == [
        "implausible result (kent-without-six-k-threshold, replication 0): no request for an assessment in the last "
        "12 months: demand is zero"]


def test_plausibility_warnings_run_the_real_checks_on_replication_zero():
    """The real checks, not a stand-in: a replication 0 whose money is not a number is found; a scenario that
    carries its own warnings is not checked (they explain it), nor are later replications."""
    import dataclasses
    import math

    from svsim.experiment.compare import Comparison
    from svsim.outputs.compare import plausibility_warnings
    from svsim.scenario import load_scenario

    base, other = load_scenario(BASE), load_scenario(WITHOUT_SIX_K)
    good = [fake_result(s, 0, r) for s in (base, other) for r in range(2)]
    broken = dataclasses.replace(good[2], money=tuple(dataclasses.replace(m, accumulated_deficit_gbp_m=math.nan)
                                                      for m in good[2].money))
    labels = ("kent-base", "other")
    # the stand-ins' money does not add up as the engine's does: look only at what the broken replication adds
    before = set(plausibility_warnings(Comparison(labels, (base, other), ((good[0], good[1]), (good[2], good[3])),
                                                  0, ())))
    results = ((good[0], good[1]), (broken, good[3]))
    found = set(plausibility_warnings(Comparison(labels, (base, other), results, 0, ()))) - before
    assert found and all(w.startswith("implausible result (other, replication 0): ") for w in found)
    assert any("accumulated_deficit_gbp_m not a number" in w for w in found)
    late = ((good[0], good[1]), (good[2], broken))  # only replication 0 is checked, as in `svsim run`
    assert set(plausibility_warnings(Comparison(labels, (base, other), late, 0, ()))) == before
    warned = dataclasses.replace(other, warnings=("a located warning",))
    checked = plausibility_warnings(Comparison(labels, (base, warned), results, 0, ()))
    assert not [w for w in checked if "(other," in w]
