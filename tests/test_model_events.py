"""The engine's event order (model/events.py) and small deterministic cases computed by hand.

These replace digests of Histories: they say what the order is, and check the engine follows it on cases whose
answer can be written down, so they survive a change of random numbers or of numpy.
"""

from __future__ import annotations

import simpy

from svsim.domain import AGE_BANDS
from svsim.model import simulate
from svsim.model.events import Agenda


def each(value) -> str:
    return "{" + ", ".join(f"{b}: {value}" for b in AGE_BANDS) + "}"


def test_events_run_by_time_then_class_then_the_order_they_were_scheduled():
    agenda = Agenda(n_days=3)
    seen: list[tuple[str, float]] = []

    def log(name):
        return lambda value: seen.append((name, agenda.now))

    agenda.at(1.0, log("timed at 1.0, first"), None)
    agenda.at(0.5, log("timed at 0.5"), None)
    agenda.at_start_of_day(1, log("start of day 1"))
    agenda.at(1.0, log("timed at 1.0, second"), None)
    agenda.every_day(lambda d: seen.append((f"daily {d}", agenda.now)))
    agenda.at(2.25, lambda v: agenda.at(2.25, log("scheduled at 2.25 by an event at 2.25"), None), None)
    agenda.at(3.0, log("at the end: never run"), None)
    agenda.at_start_of_day(1, lambda v: agenda.at(1.0, log("timed at 1.0, scheduled at the start of day 1"), None))
    env = simpy.Environment()
    env.process(agenda.run_days(env))
    env.run(until=3)
    assert seen == [
        ("daily 0", 0), ("timed at 0.5", 0.5),
        ("start of day 1", 1), ("daily 1", 1),
        ("timed at 1.0, first", 1.0), ("timed at 1.0, second", 1.0),
        ("timed at 1.0, scheduled at the start of day 1", 1.0),
        ("daily 2", 2), ("scheduled at 2.25 by an event at 2.25", 2.25),
    ]


def test_one_officer_serves_requests_first_come_first_served_by_hand(kent_variant):
    """One officer, fixed times, nobody refused: each assessment starts at max(its decision, the previous end) and
    takes exactly 14 weeks; each decision comes exactly 6 weeks after its request (computed here from the log's
    request times alone)."""
    sc = kent_variant(
        f"decision.refusal_probability={each(0)}", "decision.weeks_to_decide_cv=0",
        "assessment.officers_fte=1", "assessment.vacancy_rate=0", "assessment.assessments_per_officer=1",
        "assessment.weeks_to_assess=14", "assessment.weeks_to_assess_cv=0", "assessment.weeks_with_officer_max=0",
        f"assessment.not_issue_probability={each(0)}",
        "start_state.open_requests=0", "start_state.open_assessments=0", "population.age_0_18=2000",
        small=True, interventions=False,
    )
    h = simulate(sc, seed=1, record_events=True)
    requests = sorted(t for t, ev, _, kind in h.events if ev == "request")
    starts = sorted(t for t, ev, _, _ in h.events if ev == "assessment_start")
    issued = sorted(t for t, ev, _, _ in h.events if ev == "plan_issued")
    assert len(requests) > 20
    free, expected_starts, expected_ends = 0.0, [], []
    for r in requests:
        begin = max(r + 42.0, free)
        if begin >= h.days:
            break
        expected_starts.append(begin)
        free = begin + 98.0
        if free < h.days:
            expected_ends.append(free)
    assert len(starts) == len(expected_starts) and len(issued) == len(expected_ends)
    assert all(abs(a - b) < 1e-9 for a, b in zip(starts, expected_starts, strict=True))
    assert all(abs(a - b) < 1e-9 for a, b in zip(issued, expected_ends, strict=True))
    assert h.levels["assessment_queue"].max() > 3  # the queue was real


def test_the_monthly_observer_sees_the_day_before_anything_happens_on_it(kent_variant):
    """Start of day first: with fixed times, plans issued exactly at 00:00 of a month's first day count in that
    month's flows but not in its opening level (they show from the next day)."""
    h = simulate(kent_variant(small=True, interventions=False), seed=2)
    days = [max(h.day_of(m), 0) for m in h.month_starts]
    for m, d in enumerate(days):
        assert h.levels["plans"][m] == int(h.occupancy[d].sum())
