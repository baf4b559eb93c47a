"""Annual reviews: a daily clock for the review team, oldest due first, with a monthly capacity.

A review falls due an interval after the last one (or after the plan was issued). Each day the reviews due
that day join the backlog and the team completes as many as its capacity for the day allows (the month's
capacity spread over its days; unused capacity is not banked). A review may end the plan, move the child
(subject to places), or continue it; the next review is due an interval after this one.
"""

from __future__ import annotations

import math

from .calendar import DAYS_PER_WEEK
from .inputs import pick
from .state import State


class Reviews(State):
    """The annual review team."""

    def _review_clock(self):
        env = self.env
        for d in range(self.cal.n_days):
            if d > env.now:
                yield env.timeout(d - env.now)
            self._review_day(d)

    def _schedule_review(self, pid: int, due: float) -> None:
        self.review_due[pid] = due
        day = math.ceil(due) if due > 0 else 0
        if day < len(self.reviews_by_day):
            self.reviews_by_day[day].append(pid)

    def _review_day(self, d: int) -> None:
        """Reviews falling due today join the backlog; the team does as many as today's capacity allows.

        Each review is one uniform draw u: the plan ends if u < p_cease, else (u - p_cease) / (1 - p_cease) picks
        any move (a uniform again, given that the plan continues).
        """
        due_q, active, in_queue, due_of = self.reviews_due, self.active, self.in_review_queue, self.review_due
        rec, inp = self.rec, self.inp
        m = self.month_of[d]
        today = self.reviews_by_day[d]
        if today:
            new = 0
            for pid in today:
                if active[pid]:
                    due_q.append(pid)
                    in_queue[pid] = True
                    new += 1
                    if due_of[pid] >= 0:
                        rec.f_reviews_due[m] += 1
            self.reviews_overdue += new
            self.reviews_by_day[d] = []
        if not due_q:
            self.review_tokens = min(self.review_tokens + inp.review_capacity_per_day[d], 1.0)
            return
        tokens = self.review_tokens + inp.review_capacity_per_day[d]
        cease_p, moves, interval = inp.review_cease[d], inp.review_moves[d], inp.review_interval_days[d]
        band, setting = self.band, self.setting
        uniform = self.s_review.uniform
        late = rec.w_review_late
        events = rec.events
        buckets = self.reviews_by_day
        n_buckets = len(buckets)
        t = float(d)
        done = 0
        while due_q and tokens >= 1.0:
            pid = due_q.popleft()
            if not in_queue[pid]:
                continue  # ceased while waiting for its review
            tokens -= 1.0
            done += 1
            in_queue[pid] = False
            self.reviews_overdue -= 1
            late.append((t - due_of[pid]) / DAYS_PER_WEEK if t > due_of[pid] else 0.0)
            if events is not None:
                events.append((t, "review", pid, ""))
            b = band[pid]
            u = uniform()
            p = cease_p[b]
            if u < p:
                self._cease(pid, t, rec.f_ceased_review, "review")
                continue
            mv = moves[setting[pid]]
            if mv is not None:
                v = (u - p) / (1.0 - p)
                if v < mv[0][-1]:  # a move (most reviews move nobody)
                    rec.f_review_moves[m] += 1
                    self._move(pid, pick(mv[0], mv[1], v), t, d, m)
            due = t + interval[b]
            due_of[pid] = due
            day = int(due)  # the first daily clock at or after `due` (t is whole, so due > 0)
            if day < due:
                day += 1
            if day < n_buckets:
                buckets[day].append(pid)
        rec.f_reviews_completed[m] += done
        self.n_events += done
        self.review_tokens = min(tokens, 1.0)  # idle capacity is not banked beyond one review

