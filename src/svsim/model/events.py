"""The engine's event order, defined here and nowhere else.

Every event has a key (time, priority class, sequence), and events run in increasing key order:

- time: days since the census date, a float (whole numbers are the starts of days);
- priority class, for events at the same time:
    START_OF_DAY  what happens to everyone at 00:00 of a day: the monthly observer (it sees the state before
                  anything else happens that day), 1 September, changes of capacity;
    DAILY         a team's day, once a day after the start of the day: the annual review team;
    TIMED         a single child's event: a request, a decision, an assessment's end, an appeal's outcome, a
                  repeat request, a move away;
- sequence: the order in which events were scheduled (first scheduled, first run), so ties are never broken by
  anything but the engine's own choices.

How it runs (`Agenda.run_days`): SimPy is the clock, one SimPy process that wakes once a day. On day d it runs
the START_OF_DAY events of d, the DAILY callbacks, then every TIMED event before d + 1 in key order. That is
exactly the key order above, because START_OF_DAY and DAILY events only happen at whole days. A TIMED event
(time, sequence, callback, value) for a later day waits in that day's list, in the order scheduled; when the day
starts the list is sorted by time (a stable sort: equal times stay in sequence order) and run in order, merged
with a small heap of the events scheduled during the day for the same day (few: most durations are days). No
event pays for a heap of every plan's move away years ahead, and the order is the key's. Nothing else is
scheduled on SimPy's queue, so the order never depends on how SimPy breaks its own ties. `at` is the one way to
schedule a single child's event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from itertools import count
from operator import itemgetter
from typing import Any

START_OF_DAY, DAILY, TIMED = 0, 1, 2
"""Priority classes at equal times (lower runs first)."""

Handler = Callable[[Any], None]
_time, _sequence = itemgetter(0), itemgetter(1)


def _scheduler(heap: list, later: list[list], today: list[int]) -> Callable[[float, Handler, Any], None]:
    """The `at` of an agenda (a closure over locals: it is called for almost every event, and a plain function
    with no attribute lookups is the cheapest call). An event before the end of the current day `today[0]` goes
    on the day's `heap`; a later one waits in its day's list `later[int(t)]` (in sequence order) until that day starts;
    one at or after the end of the run is dropped."""
    seq = count(1).__next__
    push = heappush
    end = len(later)

    def at(t: float, handler: Handler, value: Any) -> None:
        """Run handler(value) at time t (TIMED, after every event already scheduled for that instant). Events at
        or after the end of the run would never be handled and are not kept."""
        if t < today[0]:
            push(heap, (t, seq(), handler, value))
        elif t < end:
            later[int(t)].append((t, seq(), handler, value))

    return at


class Agenda:
    """The events of one replication, and the clock that runs them (engine.Run holds one, `Run.agenda`; the
    parts schedule through its `at`).

    `at(t, handler, value)`: run handler(value) at time t (TIMED, after every event already scheduled for that
    instant); events at or after the end of the run are not kept. It is the one scheduling function for a
    child's event (an attribute holding a closure, see `_scheduler`).
    """

    def __init__(self, n_days: int) -> None:
        self.n_days = n_days
        self.now: float = 0  # the time of the event being handled (an int on the day clock)
        self.heap: list[tuple[float, int, Handler, Any]] = []  # TIMED events scheduled for the current day
        self.later: list[list[tuple[float, int, Handler, Any]]] = [[] for _ in range(n_days)]  # by day, unsorted
        self._day_end = [0]  # the end of the current day: events before it go on the heap
        self._start_of_day: dict[int, list[tuple[Handler, Any]]] = {}
        self._daily: list[Callable[[int], None]] = []
        self.at: Callable[[float, Handler, Any], None] = _scheduler(self.heap, self.later, self._day_end)

    def at_start_of_day(self, day: int, handler: Handler, value: Any = None) -> None:
        """Run handler(value) at 00:00 of `day` (START_OF_DAY, in the order scheduled)."""
        self._start_of_day.setdefault(day, []).append((handler, value))

    def every_day(self, callback: Callable[[int], None]) -> None:
        """Call callback(day) every day after the start-of-day events (DAILY, in the order registered)."""
        self._daily.append(callback)

    def pending(self) -> list[tuple[float, int, Handler, Any]]:
        """Every TIMED event not yet run, as (time, sequence, handler, value), in no particular order (snapshots)."""
        return [*self.heap, *(event for day in self.later for event in day)]

    def set_pending(self, events: list[tuple[float, int, Handler, Any]]) -> None:
        """Replace the TIMED events not yet run by `events` (time, sequence, handler, value): a resumed run's
        (model/snapshot.py). Their sequences must sort before those of events scheduled from now on."""
        self.heap.clear()
        for day in self.later:
            day.clear()
        for event in sorted(events, key=_sequence):  # a day's list is in sequence order (run_days relies on it)
            t = event[0]
            if t < self._day_end[0]:
                heappush(self.heap, event)
            elif t < self.n_days:
                self.later[int(t)].append(event)

    def run_days(self, env: Any, first_day: int = 0) -> Iterator[Any]:
        """The SimPy process that is the clock (see the module notes): env.process(agenda.run_days(env)); from
        `first_day` when a run resumes (model/snapshot.py)."""
        heap, later, day_end, start_of_day, daily = self.heap, self.later, self._day_end, self._start_of_day, \
            self._daily
        for d in range(first_day, self.n_days):
            if d > first_day:
                yield env.timeout(1)
            self.now = d
            # the day's TIMED events, sorted, run in order from `today`; one scheduled during the day for the same
            # day goes on the (usually empty) heap, and the two are merged by key
            today = sorted(later[d], key=_time)  # stable: equal times stay in the order scheduled (sequence)
            later[d] = []
            day_end[0] = d + 1
            todo = start_of_day.pop(d, None)
            if todo:
                for handler, value in todo:
                    handler(value)
            for callback in daily:
                callback(d)
            for event in today:
                while heap and heap[0] < event:
                    t, _, handler, value = heappop(heap)
                    self.now = t
                    handler(value)
                t, _, handler, value = event
                self.now = t
                handler(value)
            while heap:
                t, _, handler, value = heappop(heap)
                self.now = t
                handler(value)


__all__ = ["DAILY", "START_OF_DAY", "TIMED", "Agenda"]
