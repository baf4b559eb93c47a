"""The simulation calendar: days counted from the census date, calendar months and Septembers.

Time in the engine is a float number of days since the census date (day 0). An event at time t belongs to
day floor(t): it is counted in the flows of that day's month and shows in the occupancy from the start of the
next day (occupancy at the start of day d = the state after every event before time d). This makes the
stock-flow identity exact month by month: plans at the start of a month + flows in the month = plans at the
start of the next month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DAYS_PER_YEAR = 365.25
DAYS_PER_WEEK = 7.0
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1) if day.day == 1 else _clamped(day.year + y, m + 1, day.day)


def _clamped(year: int, month: int, day: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = (nxt - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day, last))


@dataclass
class Calendar:
    """Day and month bookkeeping for one simulated period [start, end] (both inclusive)."""

    start: dt.date
    end: dt.date
    n_days: int = field(init=False)
    """Days simulated: day 0 (start) to day n_days - 1 (end)."""
    month_starts: list[dt.date] = field(init=False)
    """First day of each calendar month from the month containing `start` to the one containing `end`."""
    month_start_days: list[int] = field(init=False)
    """Day index of each month start (the first may be negative: the month began before the census)."""
    month_of_day: list[int] = field(init=False)
    """Month index of each day 0..n_days (one extra day so an event at the very end has a month)."""
    days_in_month_of_day: list[int] = field(init=False)
    september_days: list[int] = field(init=False)
    """Day index of each 1 September after the start and within the period."""
    year_of_day: list[int] = field(init=False)
    """Academic years begun since the start: Septembers on or before day d (for ages of people not yet on plans)."""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the simulated period ends before it starts")
        self.n_days = (self.end - self.start).days + 1
        first = dt.date(self.start.year, self.start.month, 1)
        self.month_starts = []
        m = first
        while m <= self.end:
            self.month_starts.append(m)
            m = add_months(m, 1)
        self.month_start_days = [(m - self.start).days for m in self.month_starts]
        month_of_day: list[int] = []
        dim: list[int] = []
        for i, m in enumerate(self.month_starts):
            lo = max(self.month_start_days[i], 0)
            nxt = add_months(m, 1)
            hi = (nxt - self.start).days
            month_of_day.extend([i] * (hi - lo))
            dim.extend([(nxt - m).days] * (hi - lo))
        # one spare day (n_days) so the last instant of the period has a month
        self.month_of_day = month_of_day[: self.n_days] + [len(self.month_starts) - 1]
        self.days_in_month_of_day = dim[: self.n_days] + [dim[self.n_days - 1]]
        self.september_days = []
        year = self.start.year
        while True:
            sep = dt.date(year, 9, 1)
            if sep > self.end:
                break
            if sep > self.start:
                self.september_days.append((sep - self.start).days)
            year += 1
        year_of_day: list[int] = []
        bounds = [*self.september_days, self.n_days + 1]
        lo = 0
        for k, hi in enumerate(bounds):
            year_of_day.extend([k] * (hi - lo))
            lo = hi
        self.year_of_day = year_of_day

    @property
    def n_months(self) -> int:
        return len(self.month_starts)

    def day_of(self, when: dt.date) -> int:
        return (when - self.start).days

    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))


__all__ = ["Calendar", "DAYS_PER_MONTH", "DAYS_PER_WEEK", "DAYS_PER_YEAR", "add_months"]
