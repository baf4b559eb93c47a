"""Sweeps: the grid, the tidy table and the folder, with the engine replaced by a formula of the levers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from svsim import cli
from svsim.experiment import variants
from svsim.experiment.sweep import parse_vary, run_sweep, sweep_table
from svsim.scenario import load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"
REFUSAL = "decision.refusal_probability"


def formula(scenario, seed, replication):
    """Deficit = 300 - 400 x refusal - 0.1 x special places + noise, growing by year."""
    day = dt.date(2027, 6, 1)
    x = scenario.value(f"{REFUSAL}.under_5", day)
    places = scenario.value("placement.capacity.special", day)
    n = len(variants.financial_years(scenario))
    return (300 - 400 * x - 0.1 * (places - 6400) + (replication - 1.5)) * np.arange(1, n + 1) / n


@pytest.fixture(scope="module")
def kent():
    return load_scenario(BASE)


def test_parse_vary_forms_and_mistakes():
    v = parse_vary(f"{REFUSAL}=0.3:0.5:0.1")
    assert v.values == (0.3, 0.4, 0.5) and not v.scale
    assert parse_vary("placement.capacity.special*=1:2:0.5").scale
    for bad in ("x=1:2", "x=a:b:c", "x=2:1:0.5", "x=1:2:0", "=1:2:1", "x=0:1000:1"):
        with pytest.raises(ValueError):
            parse_vary(bad)


def test_a_two_lever_grid_gives_every_point_and_year(monkeypatch, kent):
    monkeypatch.setattr(variants, "accumulated_deficits", formula)
    varies = [parse_vary(f"{REFUSAL}=0.3:0.5:0.1"), parse_vary("intervention:new-special-school-1=0:300:150")]
    result = run_sweep(kent, varies, replications=4, workers=1)
    assert result.points.shape == (9, 2) and result.runs == 36
    table = sweep_table(result)
    assert len(table) == 9 * len(result.years)
    last = table[table["financial_year"] == "2027-28"]
    row = last[(last[REFUSAL] == 0.4) & (last["intervention:new-special-school-1"] == 150)].iloc[0]
    assert row["median_gbp_m"] == pytest.approx(300 - 160 - 0.1 * (6100 + 150 + 150 - 6400))
    assert row["p_within_profile"] == 0.5  # noise -1.5..1.5 around 140 exactly: two of four at or below
    worst = last.sort_values("median_gbp_m").iloc[-1]
    assert (worst[REFUSAL], worst["intervention:new-special-school-1"]) == (0.3, 0)


def test_cli_writes_the_csv_and_heatmaps(monkeypatch, tmp_path):
    monkeypatch.setattr(variants, "accumulated_deficits", formula)
    run = CliRunner().invoke(cli.main, ["sweep", str(BASE), "--vary", f"{REFUSAL}=0.2:0.6:0.2", "-n", "3", "-w",
                                        "1", "--out", str(tmp_path), "-q"])
    assert run.exit_code == 0, run.output
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert {"sweep.csv", "sweep_p_within_profile.png", "sweep_median_gbp_m.png", "manifest.json"} <= \
        {p.name for p in folder.iterdir()}
    table = pd.read_csv(folder / "sweep.csv")
    assert sorted(table[REFUSAL].unique()) == pytest.approx([0.2, 0.4, 0.6])
    assert "against the profile of £140.0m" in run.output  # what the P(within) column is measured against
    assert f"{REFUSAL}: from 2023-04-01, after every intervention (now 0.288667 on 2023-04-01, 0.33 by" in run.output
    bad = CliRunner().invoke(cli.main, ["sweep", str(BASE), "--vary", f"{REFUSAL}=0.5:1.5:0.5", "-q"])
    assert bad.exit_code == 2 and "outside its valid range" in bad.output


def test_heatmap_labels_are_readable_on_every_cell():
    """Each label is light on a dark cell and dark on a light one, reaching the WCAG 4.5:1 contrast for small text,
    for both heatmaps' colour maps (the labels used to be black everywhere, unreadable on dark cells)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from svsim.outputs.sensitivity import contrast_ratio, label_cells

    values = np.linspace(0, 1, 21).reshape(3, 7)
    values[0, 0] = np.nan  # no label on a missing cell
    for cmap in ("RdYlGn", "viridis_r"):
        fig, ax = plt.subplots()
        image = ax.imshow(values, cmap=cmap, vmin=0, vmax=1)
        texts = label_cells(ax, image, values, "{:.0%}")
        assert len(texts) == values.size - 1
        for text in texts:
            v = float(text.get_text().rstrip("%")) / 100
            cell = image.cmap(image.norm(v))
            assert contrast_ratio(matplotlib.colors.to_rgb(text.get_color()), cell) >= 4.5, (cmap, v)
        plt.close(fig)
    dark = plt.get_cmap("viridis_r")(1.0)  # the darkest cell: the highest deficit
    fig, ax = plt.subplots()
    image = ax.imshow([[1.0]], cmap="viridis_r", vmin=0, vmax=1)
    assert label_cells(ax, image, np.array([[1.0]]), "{:.0f}")[0].get_color() == "white"
    assert contrast_ratio(dark, (0, 0, 0)) < 4.5  # black on it, as before, was not readable
    plt.close(fig)


def test_grid_points_resume_from_the_shared_lead_in_with_the_same_numbers(kent_variant):
    """The real engine on Kent at a tenth of its size: a grid whose points resume from each replication's lead-in
    gives exactly the numbers of simulating every point whole."""
    small = kent_variant(small=True)
    varies = [parse_vary(f"{REFUSAL}=0.2:0.6:0.4"), parse_vary("assessment.officers_fte=6:10:4")]
    before = dict(variants.LEAD_IN_STATS)
    shared = run_sweep(small, varies, replications=2, seed=1, workers=1)
    assert variants.LEAD_IN_STATS["taken"] - before["taken"] == 2
    assert variants.LEAD_IN_STATS["resumed"] - before["resumed"] == 2 * 3
    whole = run_sweep(small, varies, replications=2, seed=1, workers=1, lead_in=False)
    assert np.array_equal(shared.deficits, whole.deficits)
    assert np.ptp(shared.deficits[:, :, -1]) > 0  # the levers do move the deficit
