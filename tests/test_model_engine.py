"""The engine: deterministic pathway, conservation, extremes, directions, common random numbers, seeds.

Most tests run Kent scaled down by ten (conftest.SMALL_KENT) without the Safety Valve interventions, so that a
test sees the mechanism it is about and runs in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from svsim.domain import AGE_BANDS, SETTINGS
from svsim.model import simulate
from svsim.model.history import SETTING_INDEX

MORE_DEMAND = ("demand.request_rate_per_10k_0_18={2022-01-20: 109.2, 2023-01-01: 114.7, 2024-01-01: 120.5, "
               "2025-01-01: 126.5, 2026-01-01: 132.8, 2027-01-01: 139.4}")
"""Ten per cent more requests than the base at every date."""
ALL_BANDS = "{" + ", ".join(f"{b}: {{p}}" for b in AGE_BANDS) + "}"


def by_band(p: float) -> str:
    """A YAML mapping giving every age band the same value."""
    return ALL_BANDS.replace("{p}", str(p))


def total_plans(h, day: int) -> int:
    return int(h.occupancy[day].sum())


def check_conservation(h) -> None:
    """Plans at the start of a month + plans issued + plans moved in - plans ended in the month = plans at the start
    of the next."""
    days = [max(d, 0) for d in (h.day_of(m) for m in h.month_starts)]
    ended = h.flows["ceased_review"] + h.flows["ceased_phase_transfer"] + h.flows["ceased_age"] + h.flows["moved_away"]
    for m in range(len(days) - 1):
        start, end = total_plans(h, days[m]), total_plans(h, days[m + 1])
        assert start + h.flows["plans_issued"][m] + h.flows["moved_in"][m] - ended[m] == end, \
            f"month {h.month_starts[m]}"
        assert h.levels["plans"][m] == start
    assert (h.flows["ceased"] == ended).all()


# ---- deterministic pathway --------------------------------------------------------------------------------------
def test_deterministic_pathway(kent_variant):
    """Unlimited officers, fixed times, nobody refused or turned down: every request is a plan exactly 6 + 14 weeks
    after it was made, and is placed in the only setting its age band's mix allows."""
    sc = kent_variant(
        f"decision.refusal_probability={by_band(0)}", "decision.weeks_to_decide_cv=0",
        "assessment.officers_fte=10000", "assessment.weeks_to_assess=14", "assessment.weeks_to_assess_cv=0",
        f"assessment.not_issue_probability={by_band(0)}", "start_state.open_requests=0",
        "start_state.open_assessments=0",
        small=True, interventions=False,
    )
    h = simulate(sc, seed=3, record_events=True)
    requests = sorted(t for t, ev, _, kind in h.events if ev == "request")
    issued = sorted(t for t, ev, _, _ in h.events if ev == "plan_issued")
    lag = (6 + 14) * 7.0
    expected = [t + lag for t in requests if t + lag < h.days]
    assert len(issued) == len(expected) > 1000
    np.testing.assert_allclose(issued, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(h.waits_weeks["request_to_plan"], 20.0, atol=1e-9)
    assert (h.flows["plans_issued_within_20_weeks"] == h.flows["plans_issued"]).all()
    assert h.flows["refusals"].sum() == 0 and h.flows["not_issued"].sum() == 0
    assert h.levels["assessment_queue"].sum() == 0
    assert h.flows["requests"].sum() == len(requests)
    check_conservation(h)


def test_new_plans_follow_the_placement_mix(kent_variant):
    mix = "{mainstream: 0, srp: 0, special: 0.1, independent: 0.05, post16: 0, eotas: 0.85, neet_awaiting: 0}"
    # the step-down at placement (issue 10, item 4) sends would-be independent placements to free special places:
    # off here, so the mix rule is seen on its own
    sc = kent_variant(*(f"placement.new_plan_mix.{b}={mix}" for b in AGE_BANDS), "placement.capacity.special=unlimited",
                      "placement.step_down_probability.placement=0", small=True, interventions=False)
    h = simulate(sc)
    placed = h.new_placements.sum(axis=(0, 2))
    n = placed.sum()
    assert n == h.flows["plans_issued"].sum() > 1000
    assert placed[SETTING_INDEX["eotas"]] + placed[SETTING_INDEX["special"]] + placed[SETTING_INDEX["independent"]] == n
    for setting, share in (("eotas", 0.85), ("special", 0.1), ("independent", 0.05)):
        assert abs(placed[SETTING_INDEX[setting]] / n - share) < 4 * np.sqrt(share * (1 - share) / n)


# ---- conservation -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("replication", [0, 1, 2])
def test_conservation_small_kent(kent_variant, replication):
    check_conservation(simulate(kent_variant(small=True), seed=0, replication=replication))


def test_conservation_with_queues_and_waiting(kent_variant):
    sc = kent_variant("placement.capacity.special=560", "placement.fallback.special=wait",
                      "annual_review.reviews_per_month=60", "assessment.officers_fte=5",
                      small=True, interventions=False)
    h = simulate(sc, seed=1)
    assert h.flows["started_waiting"].sum() > 0 and h.levels["waiting_for_place"].max() > 0
    assert h.levels["reviews_overdue"][-1] > h.levels["reviews_overdue"][12]
    check_conservation(h)


# ---- extreme values -----------------------------------------------------------------------------------------------
def test_refusing_everyone_issues_no_plans(kent_variant):
    sc = kent_variant(f"decision.refusal_probability={by_band(1)}", "decision.appeal_probability=0",
                      "start_state.open_assessments=0", small=True, interventions=False)
    h = simulate(sc)
    assert h.flows["requests"].sum() > 1000
    assert h.flows["refusals"].sum() > 1000 and h.flows["decisions_to_assess"].sum() == 0
    assert h.flows["plans_issued"].sum() == 0 and h.new_placements.sum() == 0
    assert h.flows["assessments_started"].sum() == 0


def test_refusal_is_not_free_appeals_and_rerequests_come_back(kent_variant):
    sc = kent_variant(f"decision.refusal_probability={by_band(1)}", "decision.appeal_probability=0.5",
                      "decision.appeal_success_probability=1", "decision.rerequest_probability=0.5",
                      "start_state.open_assessments=0", small=True, interventions=False)
    h = simulate(sc, record_events=True)
    assert h.flows["appeals_won"].sum() > 0
    assert h.flows["plans_issued"].sum() > 0  # every plan here came through an appeal
    assert any(kind == "rerequest" for _, ev, _, kind in h.events if ev == "request")


def test_no_special_places_means_nobody_placed_there(kent_variant):
    sc = kent_variant("placement.capacity.special=0", small=True, interventions=False)
    h = simulate(sc)
    sp = SETTING_INDEX["special"]
    assert h.new_placements[:, sp, :].sum() == 0
    assert h.moves[:, :, sp].sum() == 0
    assert (np.diff(h.occupancy[:, sp, :].sum(axis=1)) <= 0).all()  # only leavers after the start
    assert h.flows["placed_in_fallback"].sum() > 0
    assert h.new_placements[:, SETTING_INDEX["independent"], :].sum() > 0


def test_no_reintegration_means_no_moves_back_to_mainstream(kent_variant):
    zero = ("annual_review.moves.special.mainstream=0", "annual_review.moves.independent.mainstream=0")
    sc = kent_variant(*zero, "annual_review.moves.special.srp=0", small=True, interventions=False)
    h = simulate(sc)
    back = h.moves[:, [SETTING_INDEX["special"], SETTING_INDEX["independent"]]][:, :, [0, 1]]
    assert back.sum() == 0
    with_it = simulate(kent_variant("annual_review.moves.special.mainstream=0.05", small=True, interventions=False))
    assert with_it.moves[:, SETTING_INDEX["special"], SETTING_INDEX["mainstream"]].sum() > 0


def test_capacity_of_a_full_setting_is_respected(kent_variant):
    sc = kent_variant("placement.capacity.special=560", small=True, interventions=False)
    h = simulate(sc)
    sp = h.occupancy[:, SETTING_INDEX["special"], :].sum(axis=1)
    assert sp[0] == 553 and sp.max() == 560  # it fills up to its places and no further
    assert h.flows["placed_in_fallback"].sum() > 0


# ---- directions on the same seeds ---------------------------------------------------------------------------------
@pytest.mark.parametrize("replication", [0, 1])
def test_more_requests_mean_more_plans(kent_variant, replication):
    staff = "assessment.officers_fte=20"  # officers to spare: every extra request can be assessed
    base = simulate(kent_variant(staff, small=True, interventions=False), replication=replication)
    more = simulate(kent_variant(staff, MORE_DEMAND, small=True, interventions=False), replication=replication)
    assert more.flows["requests"].sum() > base.flows["requests"].sum()
    assert more.flows["plans_issued"].sum() > base.flows["plans_issued"].sum()
    assert more.occupancy[-1].sum() > base.occupancy[-1].sum()


def test_more_requests_lengthen_the_queue_when_officers_are_the_limit(kent_variant):
    base = simulate(kent_variant(small=True, interventions=False))
    more = simulate(kent_variant(MORE_DEMAND, small=True, interventions=False))
    assert more.levels["assessment_queue"][-12:].mean() > base.levels["assessment_queue"][-12:].mean()
    assert np.mean(more.waits_weeks["request_to_plan"]) > np.mean(base.waits_weeks["request_to_plan"])


@pytest.mark.parametrize("replication", [0, 1])
def test_more_officers_mean_more_plans_within_20_weeks(kent_variant, replication):
    base = simulate(kent_variant(small=True, interventions=False), replication=replication)
    more = simulate(kent_variant("assessment.officers_fte=12", small=True, interventions=False),
                    replication=replication)
    assert more.flows["plans_issued_within_20_weeks"].sum() > base.flows["plans_issued_within_20_weeks"].sum()
    assert np.mean(more.waits_weeks["request_to_plan"]) < np.mean(base.waits_weeks["request_to_plan"])


def test_more_review_capacity_means_fewer_overdue_reviews(kent_variant):
    base = simulate(kent_variant(small=True, interventions=False))
    more = simulate(kent_variant("annual_review.reviews_per_month=unlimited", small=True, interventions=False))
    assert more.levels["reviews_overdue"][12:].max() == 0
    assert base.levels["reviews_overdue"][12:].min() > 0


# ---- common random numbers ----------------------------------------------------------------------------------------
def arrivals(h) -> list[float]:
    return [t for t, ev, _, kind in h.events if ev == "request" and kind == "new"]


def test_changing_placements_leaves_request_arrivals_identical(kent_variant):
    base = simulate(kent_variant(small=True), replication=2, record_events=True)
    mix = "{mainstream: 0.2, srp: 0.1, special: 0.5, independent: 0.2, post16: 0, eotas: 0, neet_awaiting: 0}"
    other = simulate(kent_variant(f"placement.new_plan_mix.age_5_10={mix}", "placement.capacity.special=unlimited",
                                  small=True), replication=2, record_events=True)
    assert arrivals(base) == arrivals(other)
    assert not np.array_equal(base.new_placements, other.new_placements)


BASE_DEMAND = {"2022-01-20": 99.3, "2023-01-01": 104.3, "2024-01-01": 109.5, "2025-01-01": 115.0,
               "2026-01-01": 120.7, "2027-01-01": 126.7}
"""scenarios/base.yaml's demand.request_rate_per_10k_0_18."""


def demand(factor: float) -> str:
    return ("demand.request_rate_per_10k_0_18={"
            + ", ".join(f"{d}: {v * factor:.6g}" for d, v in BASE_DEMAND.items()) + "}")


@pytest.mark.parametrize("factor", [1.2, 0.8])
def test_twenty_percent_more_or_less_demand_keeps_every_base_arrival(kent_variant, factor):
    """Requests are candidates under the demand curve (model/rng.py): more demand keeps a superset, less a subset."""
    base = set(arrivals(simulate(kent_variant(demand(1.0), small=True, interventions=False), record_events=True)))
    other = set(arrivals(simulate(kent_variant(demand(factor), small=True, interventions=False),
                                  record_events=True)))
    assert (base < other) if factor > 1 else (other < base)


def paths(h) -> dict[int, list[tuple[str, str, float]]]:
    out: dict[int, list[tuple[str, str, float]]] = {}
    for t, ev, pid, kind in h.events:
        out.setdefault(pid, []).append((ev, kind, t))
    return out


def test_more_refusals_change_only_the_children_they_touch(kent_variant):
    """Per-child draws: with a higher refusal probability every child refused before is refused again (the same
    uniform against a higher threshold), and a child assessed in both runs has the same assessment duration,
    however the queue in front of it changed."""
    base = paths(simulate(kent_variant(small=True, interventions=False), replication=1, record_events=True))
    more = paths(simulate(kent_variant("decision.refusal_probability=" + by_band(0.4), small=True, interventions=False),
                          replication=1, record_events=True))
    assert base.keys() == more.keys()  # the same children (rows) in both

    def first_decision(p):
        return next((kind for ev, kind, _ in p if ev == "decision"), None)

    refused = {pid for pid, p in base.items() if first_decision(p) == "refuse"}
    refused_more = {pid for pid, p in more.items() if first_decision(p) == "refuse"}
    assert refused < refused_more

    def assessment(p):  # the duration of a first-time assessment (one request, decided 'assess')
        kinds = [(ev, kind) for ev, kind, _ in p]
        if kinds[:2] != [("request", "new"), ("decision", "assess")]:
            return None
        times = {ev: t for ev, _, t in p}
        end = times.get("plan_issued", times.get("not_issued"))
        return None if end is None or "assessment_start" not in times else end - times["assessment_start"]

    both = [(assessment(base[pid]), assessment(more[pid])) for pid in base]
    both = [(a, b) for a, b in both if a is not None and b is not None]
    assert len(both) > 500
    assert all(abs(a - b) < 1e-9 for a, b in both)


# ---- seeds ----------------------------------------------------------------------------------------------------------
def same_history(a, b) -> bool:
    return (
        np.array_equal(a.occupancy, b.occupancy)
        and all(np.array_equal(a.flows[k], b.flows[k]) for k in a.flows)
        and all(np.array_equal(a.levels[k], b.levels[k]) for k in a.levels)
        and np.array_equal(a.moves, b.moves)
        and np.array_equal(a.new_placements, b.new_placements)
        and a.waits_weeks == b.waits_weeks
        and a.stats == b.stats
    )


def test_same_seed_same_history_different_seed_different(kent_variant):
    sc = kent_variant(small=True)
    a, b = simulate(sc, seed=5, replication=1), simulate(sc, seed=5, replication=1)
    assert same_history(a, b)
    assert not np.array_equal(a.occupancy, simulate(sc, seed=6, replication=1).occupancy)
    assert not np.array_equal(a.occupancy, simulate(sc, seed=5, replication=2).occupancy)


def test_simulate_does_not_change_the_scenario(kent_variant):
    sc = kent_variant(small=True)
    before = (sc.fingerprint, dict(sc.params), sc.to_yaml())
    simulate(sc, record_events=True)
    assert (sc.fingerprint, dict(sc.params), sc.to_yaml()) == before


def test_history_shapes_and_keys(kent_variant):
    h = simulate(kent_variant(small=True))
    months = len(h.month_starts)
    assert h.start == dt.date(2022, 1, 20) and h.month_starts[0] == dt.date(2022, 1, 1)
    assert h.month_starts[-1] == dt.date(2028, 3, 1) and h.date_of(h.days - 1) == dt.date(2028, 3, 31)
    assert h.occupancy.shape == (h.days, len(SETTINGS), len(AGE_BANDS)) and h.occupancy.dtype == np.int32
    required_flows = (
        "requests", "refusals", "appeals_won", "assessments_started", "assessments_completed", "plans_issued",
        "plans_issued_within_20_weeks", "not_issued", "reviews_due", "reviews_completed", "ceased_review",
        "ceased_phase_transfer", "ceased_age", "moved_away", "placed_in_fallback",
    )
    required_levels = (
        "open_requests", "assessment_queue", "assessments_in_progress", "reviews_overdue", "waiting_for_place",
    )
    assert all(h.flows[k].shape == (months,) for k in required_flows)
    assert all(h.levels[k].shape == (months,) for k in required_levels)
    assert h.moves.shape == (months, len(SETTINGS), len(SETTINGS))
    assert h.new_placements.shape == (months, len(SETTINGS), len(AGE_BANDS))
    assert len(h.waits_weeks["request_to_plan"]) == h.flows["plans_issued"].sum()
    assert h.events is None
    assert (h.occupancy >= 0).all()


def test_ageing_in_september_moves_plans_between_bands(kent_variant):
    h = simulate(kent_variant(small=True, interventions=False))
    sep = h.day_of(dt.date(2022, 9, 1))
    before, after = h.occupancy[sep].sum(axis=0), h.occupancy[sep + 1].sum(axis=0)
    assert after[0] < before[0] and after[-1] != before[-1]  # under-5s start school; the oldest age out
    assert h.flows["ceased_age"][h.month_index(dt.date(2022, 9, 1))] > 0
    assert h.flows["ceased_age"].sum() == sum(h.flows["ceased_age"][h.month_index(dt.date(y, 9, 1))]
                                              for y in range(2022, 2028))


def test_census_outside_the_simulated_days_is_an_error_not_a_wrap_around():
    import datetime as dt

    import numpy as np

    from svsim.model.history import History

    history = History(
        start=dt.date(2022, 1, 20), occupancy=np.zeros((10, 7, 5), dtype=np.int32), month_starts=[dt.date(2022, 1, 1)],
        flows={}, levels={}, moves=np.zeros((1, 7, 7), dtype=np.int32),
        new_placements=np.zeros((1, 7, 5), dtype=np.int32),
    )
    assert history.census(dt.date(2022, 1, 29)).shape == (7, 5)
    for outside in (dt.date(2022, 1, 19), dt.date(2022, 1, 30)):
        with pytest.raises(ValueError, match="outside the simulated days"):
            history.census(outside)



def test_a_finished_run_leaves_no_garbage_for_the_cycle_collector(kent_variant):
    """simulate releases its run (Run.release): reference counting frees it at once (a SimPy Environment, which
    refers to itself, is all that is left for the cyclic collector), so long-running workers stay flat. simulate
    pauses the collector (engine.gc_paused) and must leave it as it found it."""
    import gc

    from svsim.model.engine import Run
    from svsim.model.state import Part, People

    sc = kent_variant(small=True)
    simulate(sc, seed=1, replication=2)
    gc.collect()
    assert gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what the collector finds, to look at it
    try:
        simulate(sc, seed=1, replication=2)
        assert not gc.isenabled()  # a paused collector stays paused
        gc.collect()
        found = [type(o) for o in gc.garbage]
        assert found and len(found) < 50  # SimPy's Environment and its bound methods
        assert not [t for t in found if issubclass(t, Run | Part | People | dict)]  # nothing of the run itself
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    simulate(sc, seed=1, replication=2)
    assert gc.isenabled()
