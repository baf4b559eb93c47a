"""The people table keeps its counts: they always agree with its rows, whatever the parts do.

Checked at the start of every month of a small run in which everything happens (full special schools with a
waiting list, a review backlog, an officers' queue), by recounting from the rows; and on People's own methods.
"""

from __future__ import annotations

from svsim.domain import SETTINGS
from svsim.model.engine import Run
from svsim.model.inputs import compile_inputs
from svsim.model.recorder import Recorder
from svsim.model.rng import ChildDraws
from svsim.model.state import People


def recount(people: People) -> dict[str, object]:
    """The counts computed from the rows."""
    rows = range(people.size)
    active = [pid for pid in rows if people.active[pid]]
    count = [0] * len(SETTINGS)
    for pid in active:
        count[people.setting[pid]] += 1
    return {
        "count": count,
        "n_active": len(active),
        "n_waiting": sum(people.wait_for[pid] >= 0 for pid in active),
        "reviews_overdue": sum(people.in_review_queue[pid] for pid in rows),
        "holders": set(active) <= set(people.holders),
        "inactive_flags": not any(people.in_review_queue[pid] or people.wait_for[pid] >= 0
                                  for pid in rows if not people.active[pid]),
    }


def kept(people: People) -> dict[str, object]:
    return {"count": list(people.count), "n_active": people.n_active, "n_waiting": people.n_waiting,
            "reviews_overdue": people.reviews_overdue, "holders": True, "inactive_flags": True}


def test_counts_agree_with_rows_all_run(kent_variant):
    sc = kent_variant("placement.capacity.special=560", "placement.fallback.special=wait",
                      "annual_review.reviews_per_month=60", "assessment.officers_fte=5",
                      small=True, interventions=False)
    inp = compile_inputs(sc)
    run = Run(inp, ChildDraws(0, 0), record_events=False)
    seen: list[tuple[int, dict, dict]] = []
    for d in inp.cal.month_start_days:  # scheduled before the observer: both see the same state
        run.agenda.at_start_of_day(max(d, 0), lambda day: seen.append((day, recount(run.people), kept(run.people))),
                                   max(d, 0))
    h = run.run()
    assert len(seen) == len(inp.cal.month_start_days)
    for day, expected, actual in seen:
        assert actual == expected, f"day {day}"
    assert h.levels["waiting_for_place"].max() > 0 and h.levels["reviews_overdue"].max() > 0
    assert kept(run.people) == recount(run.people)


def test_people_methods_keep_counts(kent_variant):
    cal = compile_inputs(kent_variant(small=True)).cal
    rec = Recorder(cal, record_events=False)
    people = People(4, rec)
    people.fill(0, [5, 6, 7, 8], [0.0, 1.0, 2.0, 3.0])
    people.open_plans(range(0, 2), [0, 2], [1, 1], 0)
    people.open_plan(2, 2, 1, 10)
    people.start_waiting(2, 1)
    people.join_review_backlog([0, 2])
    assert kept(people) == recount(people)
    assert people.respell(2, 1, 1, 20.5) == 2  # the place waited for: no longer waiting
    assert people.n_waiting == 0 and kept(people) == recount(people)
    assert people.end_plan(0, 30.0) == 0  # leaves the review backlog too
    assert people.reviews_overdue == 1 and kept(people) == recount(people)
    people.leave_review_backlog([2])
    people.rebands([1, 2], [2, 2], 40)
    assert kept(people) == recount(people)
    assert people.current_holders() == [1, 2]
    people.close_open_spells(cal.n_days)
    occ = rec.occupancy()
    assert occ[0].sum() == 2 and occ[25].sum() == 3 and occ[35].sum() == 2  # plans 0, 1 from day 0; 2 from day 10
    assert occ[45, 2, 2] == 1 and occ[45, 1, 2] == 1  # after the rebanding: row 1 in setting 2, row 2 in setting 1
