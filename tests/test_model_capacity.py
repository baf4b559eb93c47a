"""Places that respond to capacity (model/placement.py; docs/dynamics.md, 'Places that respond to capacity').

Cases computed by hand on a run whose handlers are called directly (no random numbers decide them), one
direction on common random numbers on the small Kent, and the never-binds warning on hand-made results.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from svsim.domain import SETTINGS
from svsim.experiment.capacity import capacity_warnings
from svsim.model import simulate
from svsim.model.engine import Run
from svsim.model.inputs import compile_inputs
from svsim.model.rng import ChildDraws

SPECIAL, INDEPENDENT, NEET, MAINSTREAM = (SETTINGS.index(s) for s in
                                          ("special", "independent", "neet_awaiting", "mainstream"))


@pytest.fixture(scope="module")
def capacity_run(kent_variant):
    """A run with 10 special places, a 12-week wait, then independent; step-down certain at reviews. Its handlers
    are called by hand: nothing else happens (no start state, no clock)."""
    sc = kent_variant("placement.capacity.special=10", "placement.max_wait_weeks.special=12",
                      "placement.fallback.special=independent", "placement.step_down_probability.review=1",
                      small=True, interventions=False)
    inputs = compile_inputs(sc)

    def make() -> Run:
        return Run(inputs, ChildDraws(0, 0), record_events=True)  # rows (and identities) for the whole run

    return make


def _rows(run: Run, n: int, age: int = 8) -> list[int]:
    """n unused rows of the people table (census rows: the start state is never opened here)."""
    first = getattr(run, "_test_rows", 0)
    run._test_rows = first + n
    run.people.fill(first, [age] * n, [0.0] * n)
    return list(range(first, first + n))


def _children(run: Run, n: int, t: float = 10.0) -> list[int]:
    """n new plans naming special at time t, one after another (age 8, band 5-10)."""
    d = int(t)
    m = run.cal.month_of_day[d]
    pids = _rows(run, n)
    for pid in pids:
        run.placement.place_new_plan(pid, SPECIAL, 1, t, d, m)
    return pids


def test_ten_places_twelve_children_two_wait_and_a_freed_place_goes_to_the_first(capacity_run):
    run = capacity_run()
    people, placement = run.people, run.placement
    pids = _children(run, 12)
    assert [people.setting[p] for p in pids] == [SPECIAL] * 10 + [NEET] * 2  # awaiting provision while they wait
    assert people.count[SPECIAL] == 10 and people.n_waiting == 2
    assert [people.wait_for[p] for p in pids[10:]] == [SPECIAL, SPECIAL]
    placement.cease(pids[3], 20.0, run.rec.f_ceased_review, "test")  # a place frees
    assert people.setting[pids[10]] == SPECIAL and people.wait_for[pids[10]] == -1  # the first to wait gets it
    assert people.setting[pids[11]] == NEET and people.wait_for[pids[11]] == SPECIAL  # the second still waits
    assert people.count[SPECIAL] == 10 and people.n_waiting == 1
    assert run.rec.f_admitted_from_waiting[run.cal.month_of_day[20]] == 1


def test_a_wait_that_ends_without_a_place_goes_to_the_fallback_flagged_and_steps_down_later(capacity_run):
    run = capacity_run()
    people, placement = run.people, run.placement
    pids = _children(run, 11)
    late = pids[10]
    until = placement.wait_until[late]
    assert until == pytest.approx(10.0 + 12 * 7)  # the wait's end, scheduled
    run.agenda.now = until - 1.0
    placement._wait_over(late)  # not its time: nothing happens
    assert people.setting[late] == NEET
    run.agenda.now = until
    placement._wait_over(late)
    assert people.setting[late] == INDEPENDENT and placement.wants[late] == SPECIAL and people.n_waiting == 0
    d = int(until) + 30
    m = run.cal.month_of_day[d]
    placement.step_down(late, float(d), d, m, 1.0, 0)  # special is full: no step-down even when certain
    assert people.setting[late] == INDEPENDENT
    placement.cease(pids[0], float(d), run.rec.f_ceased_review, "test")  # a place frees, nobody waits
    placement.step_down(late, float(d), d, m, 0.0, 0)  # probability 0: stays
    assert people.setting[late] == INDEPENDENT
    placement.step_down(late, float(d), d, m, 1.0, 0)
    assert people.setting[late] == SPECIAL and late not in placement.wants and people.count[SPECIAL] == 10
    assert run.rec.f_stepped_down[m] == 1


def test_a_move_waits_in_its_current_setting_and_the_waiting_list_goes_before_step_down(capacity_run):
    run = capacity_run()
    people, placement = run.people, run.placement
    full = _children(run, 10)
    (flagged,) = _rows(run, 1)
    people.open_plan(flagged, INDEPENDENT, 1, 0)
    placement.wants[flagged] = SPECIAL
    (mover,) = _rows(run, 1, age=11)
    people.open_plan(mover, MAINSTREAM, 2, 0)
    m = run.cal.month_of_day[40]
    placement.move(mover, SPECIAL, 40.0, 40, m)
    assert people.setting[mover] == MAINSTREAM and people.wait_for[mover] == SPECIAL  # keeps its place, waiting
    assert placement._has_waiters(SPECIAL)
    placement.step_down(flagged, 40.0, 40, m, 1.0, 0)  # full, and someone waits
    assert people.setting[flagged] == INDEPENDENT
    placement.cease(full[0], 41.0, run.rec.f_ceased_review, "test")
    assert people.setting[mover] == SPECIAL  # the waiting list first
    placement.step_down(flagged, 41.0, 41, m, 1.0, 0)
    assert people.setting[flagged] == INDEPENDENT  # nothing left for the flagged child


def test_step_down_moves_children_out_of_independent_on_common_random_numbers(kent_variant):
    """Small Kent, special full from the start (550 places for 553 children): with step-down certain at
    reviews and transfers and every census independent child flagged, new places from 2024 are taken up from
    independent; without step-down they are not."""
    common = ("placement.capacity.special={2022-01-20: 550, 2024-01-01: 600}", "placement.max_wait_weeks.special=12",
              "placement.start_wants_share.special=1")
    on = kent_variant(*common, "placement.step_down_probability.review=1",
                      "placement.step_down_probability.phase_transfer=1", small=True, interventions=False)
    off = kent_variant(*common, *(f"placement.step_down_probability.{k}=0" for k in
                                  ("review", "phase_transfer", "placement")), small=True, interventions=False)
    h_on, h_off = simulate(on, seed=3), simulate(off, seed=3)
    jan_2025 = dt.date(2025, 1, 20)
    ind_on, ind_off = h_on.census(jan_2025)[INDEPENDENT].sum(), h_off.census(jan_2025)[INDEPENDENT].sum()
    assert h_on.flows["stepped_down"].sum() >= 30 and h_off.flows["stepped_down"].sum() == 0
    assert ind_off - ind_on >= 10, (ind_on, ind_off)  # measured 16 of about 215 (small Kent, seed 3)
    assert h_on.levels["occupied_special"].max() <= 600
    # occupancy levels agree with the recorded spells at every month start
    days = [max(h_on.day_of(m), 0) for m in h_on.month_starts]
    assert all(h_on.levels["occupied_special"][k] == h_on.occupancy[d][SPECIAL].sum() for k, d in enumerate(days))


def _results(scenario, occupied_special: dict[dt.date, int], refused_special: dict[dt.date, int] | None = None,
             n: int = 2) -> list[SimpleNamespace]:
    """Hand-made replication results: 6,000 in special every month except where given."""
    months = [dt.date(2022 + k // 12, k % 12 + 1, 1) for k in range(75)]
    occ = np.array([occupied_special.get(m, 6000) for m in months], dtype=float)
    ref = np.array([(refused_special or {}).get(m, 0) for m in months], dtype=float)
    return [SimpleNamespace(month_starts=tuple(months),
                            monthly_levels={"occupied_special": occ, "occupied_srp": occ * 0},
                            monthly_flows={"refused_special": ref, "refused_srp": ref * 0}) for _ in range(n)]


def test_a_capacity_intervention_that_never_binds_is_named(kent_variant):
    base = kent_variant()
    quiet = capacity_warnings(base, _results(base, {}))
    assert len(quiet) == 2 and "'new-special-school-1' never binds" in quiet[0] and "school-2" in quiet[1]
    # more children than the 6,100 places there would be without school 1, inside its span: school 1 binds
    used = capacity_warnings(base, _results(base, {dt.date(2025, 10, 1): 6150}))
    assert len(used) == 1 and "new-special-school-2" in used[0]
    # the same count before the school opens says nothing about it
    early = capacity_warnings(base, _results(base, {dt.date(2025, 5, 1): 6150}))
    assert len(early) == 2
    # a child refused a place while school 1 is open (before school 2): school 1 binds
    refused = capacity_warnings(base, _results(base, {}, {dt.date(2026, 2, 1): 3}))
    assert len(refused) == 1 and "new-special-school-2" in refused[0]
    # a scenario without capacity interventions has nothing to say
    assert capacity_warnings(base.with_interventions([]), _results(base, {})) == []


def test_a_placement_in_independent_takes_a_free_special_place_or_is_flagged(kent_variant):
    """step_down_probability.placement 1: a new plan naming independent takes a free special place; when special
    is full it goes to independent flagged as wanting special; a child leaving special is not turned back."""
    sc = kent_variant("placement.capacity.special=2", "placement.max_wait_weeks.special=0",
                      "placement.step_down_probability.placement=1", small=True, interventions=False)
    run = Run(compile_inputs(sc), ChildDraws(0, 0), record_events=False)
    people, placement = run.people, run.placement
    d, m = 10, run.cal.month_of_day[10]
    pids = _rows(run, 3)
    placed = [placement.place_new_plan(pid, INDEPENDENT, 1, 10.0, d, m) for pid in pids]
    assert placed == [SPECIAL, SPECIAL, INDEPENDENT]
    assert placement.wants == {pids[2]: SPECIAL} and run.rec.f_stepped_down[m] == 2
    placement.move(pids[0], INDEPENDENT, 11.0, 11, m)  # leaving special for independent: not turned back or flagged
    assert people.setting[pids[0]] == INDEPENDENT and pids[0] not in placement.wants


def test_svsim_run_prints_and_records_the_never_binds_warning(kent_variant, monkeypatch, tmp_path):
    """End to end with a hand-made replication whose special schools are empty: the terminal and the manifest both
    name the two schools."""
    import json

    from click.testing import CliRunner

    from svsim import cli
    from svsim.experiment import executors, limits, replications
    from svsim.experiment.synthetic import history_from_stays
    from svsim.outputs import charts

    def empty_special(scenario, seed: int, replication: int):
        h = history_from_stays(scenario.census_date, scenario.end, seed=seed, replication=replication,
                               levels={"occupied_special": {}, "occupied_srp": {}})
        return replications.summarise(h, scenario)

    monkeypatch.setattr(replications, "run_replication", empty_special)
    # the hand-made replication has no requests: the plausibility checks would (rightly) add their own warning
    monkeypatch.setattr(limits, "result_problems", lambda scenario, result: [])
    monkeypatch.setattr(executors, "default_workers", lambda: 1)
    monkeypatch.setattr(charts, "write_charts", lambda *args, **kwargs: [])
    base = str(Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml")
    result = CliRunner().invoke(cli.main, ["run", base, "-n", "2", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.count("never binds") == 2
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    warnings = json.loads((folder / "manifest.json").read_text())["warnings"]
    assert [w.split("'")[1] for w in warnings] == ["new-special-school-1", "new-special-school-2"]
