"""Annual reviews: a daily clock for the review team, oldest due first, with a monthly capacity.

A review falls due an interval after the last one (or after the plan was issued). Each day the reviews due
that day join the backlog and the team completes as many as its capacity for the day allows (the month's
capacity spread over its days; unused capacity is not banked). A review may end the plan, move the child
(subject to places), or continue it; the next review is due an interval after this one. The agenda
(events.py) runs the team's day (`Reviews.day`, a DAILY callback) after the start-of-day events and before the
day's timed events.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..domain import AGE_BANDS
from .calendar import DAYS_PER_WEEK
from .inputs import pick
from .state import Part

if TYPE_CHECKING:
    from array import array

    from .engine import Run

FACTOR_FROM_BAND = AGE_BANDS.index("age_16_19")
"""annual_review.cease_setting_factor applies from this band on: NEET is a post-16 status, and below 16 the
setting holds children awaiting provision, whose plans do not end for disengaging."""

_SLOW = 2.0
"""A threshold above every uniform draw: the review goes through the full (exact) path."""


class Reviews(Part):
    """The annual review team.

    Owns: per child `review_due` (when its next review is due) and `n_reviews` (reviews done: the slot of its
    next review draw); the reviews falling due on each day (`by_day`), the backlog in order (`due_queue` from
    `head`; People keeps who is in it and `reviews_overdue`), the day's unused capacity (`tokens`), and the
    review draws (`u_review[k][pid]`: stage "review", slot k = the child's k-th review, a column built on first
    use) and the backlog team's keys (`u_team[k][pid]`: stage "review_team", the same way).
    Offers: schedule (a plan's next review), start_census (the census plans' reviews), day (the DAILY callback).
    """

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        n = self.people.size
        self.review_due: list[float] = [math.inf] * n
        self.n_reviews: list[int] = [0] * n
        self.by_day: list[list[int]] = [[] for _ in range(self.cal.n_days + 1)]  # who falls due on each day
        self.due_queue: list[int] = []  # due and not yet done, oldest first, from index head
        self.head = 0
        self.tokens = 0.0
        self.quiet_cache: dict[tuple[int, int, int], tuple[tuple[list[float], list[float]], object]] = {}
        self.team_tokens = 0.0  # the backlog team's unused capacity carried into the next day (at most one)
        self.u_review: list[array] = []  # by the child's review number (0 = its first)
        self.u_team: list[array] = []  # the backlog team's keys, as u_review

    def schedule(self, pid: int, due: float) -> None:
        """Child pid's next review is due at time `due`."""
        self.review_due[pid] = due
        day = math.ceil(due) if due > 0 else 0
        if day < len(self.by_day):
            self.by_day[day].append(pid)

    def start_census(self, first: int, dues: list[float]) -> None:
        """Rows first.. (the census plans) are due at these times (negative: overdue): schedule for each, in order
        of due date (overdue ones all fall on day 0, oldest first), in bulk."""
        n = len(dues)
        due = np.array(dues, dtype=float)
        order = np.lexsort((np.arange(n), due))
        self.review_due[first:first + n] = dues
        days = np.where(due > 0, np.ceil(due), 0).astype(np.int64)[order]
        sorted_pids = (order + first).tolist()
        n_buckets = len(self.by_day)
        cuts = np.flatnonzero(np.diff(days)) + 1
        for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), n], strict=True):
            if lo < hi and days[lo] < n_buckets:
                self.by_day[int(days[lo])].extend(sorted_pids[lo:hi])

    def _quiet_thresholds(self, cease_p: tuple[float, ...], moves: tuple, factor: tuple[float, ...]
                          ) -> tuple[list[float], list[float]]:
        """By (band x N_SETTINGS + setting): (the cease probability, the quiet threshold). A review whose uniform
        draw is at least the threshold neither ends the plan nor moves the child. It is the exact boundary
        p + (1 - p) x P(move) raised by 1e-9, far above rounding error, so a draw just below it still goes
        through the exact test; the result never depends on it. The cease probability is the band's times the
        setting's factor (annual_review.cease_setting_factor) from the 16-19 band on, at most 1; a child waiting
        for a place keeps the band's own probability (the exact test uses it; the threshold is an upper bound)."""
        cache = self.quiet_cache
        key = (id(cease_p), id(moves), id(factor))
        hit = cache.get(key)
        if hit is not None:
            return hit[0]
        probs: list[float] = []
        out: list[float] = []
        for b, pb in enumerate(cease_p):
            for mv, f in zip(moves, factor, strict=True):
                p = min(1.0, pb * f) if b >= FACTOR_FROM_BAND else pb
                probs.append(p)
                if p >= 1.0:
                    out.append(_SLOW)
                elif mv is None:
                    out.append(p)
                else:
                    out.append(p + (1.0 - p) * mv[0][-1] + 1e-9)
        cache[key] = ((probs, out), (cease_p, moves, factor))  # keep the objects alive, so their ids stay theirs
        return probs, out

    def day(self, d: int) -> None:
        """Reviews falling due today join the backlog; the team does as many as today's capacity allows.

        Each review is one uniform draw u: the plan ends if u < p_cease, else (u - p_cease) / (1 - p_cease) picks
        any move (a uniform again, given that the plan continues). Most reviews change nothing but the next due
        date, so they are done in bulk; the few that end a plan or move a child are done one by one, in order,
        and see every change made by the reviews before them. The result is that of doing them one at a time.
        """
        people = self.people
        due_q, active, in_queue, due_of = self.due_queue, people.active, people.in_review_queue, self.review_due
        rec, inp = self.rec, self.inp
        m = self.month_of[d]
        buckets = self.by_day
        today = buckets[d]
        if today:
            new = [pid for pid in today if active[pid]]
            if new:
                due_q.extend(new)
                people.join_review_backlog(new)
                # reviews overdue at the census date (due < 0) are all on day 0's list: not counted as falling due
                rec.f_reviews_due[m] += sum([due_of[pid] >= 0 for pid in new]) if d == 0 else len(new)
            buckets[d] = []
        if inp.review_team_per_day[d] > 0:
            self._backlog_team_day(d)
        head = self.head
        tokens = self.tokens + inp.review_capacity_per_day[d]
        if head == len(due_q) or tokens < 1.0:
            self.tokens = min(tokens, 1.0)
            return
        # the reviews done today: the oldest still waiting (skipping plans that ended while waiting)
        todo: list[int] = []
        if tokens == math.inf:
            todo = [pid for pid in due_q[head:] if in_queue[pid]]
            head = len(due_q)
        else:
            want = int(tokens)
            while len(todo) < want and head < len(due_q):
                chunk = due_q[head:head + want - len(todo)]
                head += len(chunk)
                todo.extend([pid for pid in chunk if in_queue[pid]])
        if head > 4096 and 2 * head > len(due_q):
            del due_q[:head]
            head = 0
        self.head = head
        done = len(todo)
        if not done:
            self.tokens = min(tokens, 1.0)
            return
        tokens -= done  # exact: whole numbers off a float below 2**52
        self.tokens = min(tokens, 1.0)  # idle capacity is not banked beyond one review
        people.leave_review_backlog(todo)
        rec.f_reviews_completed[m] += done
        self.n_events += done
        t = float(d)
        rec.w_review_late.extend([(t - due_of[pid]) / DAYS_PER_WEEK if t > due_of[pid] else 0.0 for pid in todo])
        moves, interval = inp.review_moves[d], inp.review_interval_days[d]
        events = rec.events
        cease_band = inp.review_cease[d]
        cease_bs, quiet = self._quiet_thresholds(cease_band, moves, inp.review_cease_factor[d])
        wait_for = people.wait_for
        if events is not None:
            quiet = [_SLOW] * len(quiet)
        n_settings = len(moves)
        # the next review is due an interval after this one, at the first daily clock at or after it (t is whole,
        # so due > 0); by band: (due, the list of that day's reviews)
        n_buckets = len(buckets)
        next_due: list[float] = []
        next_day: list[list[int]] = []
        for iv in interval:
            due = t + iv
            on = int(due)
            if on < due:
                on += 1
            next_due.append(due)
            next_day.append(buckets[on] if on < n_buckets else [])
        band, setting, n_reviews = people.band, people.setting, self.n_reviews
        cease, move = self.placement.cease, self.placement.move
        columns = self.u_review  # columns[k]: every child's draw for its k-th review
        wants, step_down = self.placement.wants, self.placement.step_down
        for pid in todo:
            k = n_reviews[pid]
            n_reviews[pid] = k + 1
            try:
                u = columns[k][pid]
            except IndexError:  # the first k-th review of anyone: add the column
                while len(columns) <= k:
                    columns.append(self.draws.uniforms("review", len(columns)))
                u = columns[k][pid]
            b = band[pid]
            cell = b * n_settings + setting[pid]
            if u < quiet[cell]:
                if events is not None:
                    events.append((t, "review", pid, ""))
                p = cease_bs[cell] if wait_for[pid] < 0 else cease_band[b]
                if u < p:
                    cease(pid, t, rec.f_ceased_review, "review")
                    continue
                mv = moves[setting[pid]]
                if mv is not None:
                    v = (u - p) / (1.0 - p)
                    if v < mv[0][-1]:  # a move (most reviews move nobody)
                        rec.f_review_moves[m] += 1
                        move(pid, pick(mv[0], mv[1], v), t, d, m)
            due_of[pid] = next_due[b]
            next_day[b].append(pid)
            if wants and pid in wants:  # placed in a fallback for a full setting: a freed place? (placement.py)
                step_down(pid, t, d, m, inp.step_down_review[d], k)

    def _backlog_team_day(self, d: int) -> None:
        """The backlog team's day (annual_review.backlog_team_reviews_per_month): it takes the oldest reviews in
        the backlog that were overdue before today (due a day or more ago), before the ordinary team starts, and
        ceases each plan with annual_review.overdue_cease_probability (the plan's own probability when higher).
        Its reviews are reviews like any other (the child's k-th review draw, moves, the next due date).

        "The oldest" is today's batch: the reviews the two teams do today are the oldest in the backlog either way,
        and within that batch the backlog team takes the overdue ones with the lowest `review_team` draws (the
        child's own number for its k-th review, model/rng.py), not the first few by place in the queue: a place
        in the queue moves with every other plan, so taking the first few would hand a different set of children
        to the team (and its higher cease probability) whenever one more or one fewer plan is in the backlog."""
        people = self.people
        due_q, in_queue, due_of = self.due_queue, people.in_review_queue, self.review_due
        inp, rec = self.inp, self.rec
        tokens = self.team_tokens + inp.review_team_per_day[d]
        t = float(d)
        n_q = len(due_q)
        head = self.head
        while head < n_q and not in_queue[due_q[head]]:
            head += 1  # skip plans that ended while waiting
        want = int(tokens) if tokens != math.inf else n_q
        ordinary = self.tokens + inp.review_capacity_per_day[d]  # what the ordinary team will do after it today
        batch = want + (int(ordinary) if ordinary != math.inf else n_q)
        # the overdue reviews in today's batch, in order: the first `batch` still waiting, up to the first one that
        # fell due today (not overdue: the backlog is in order of due date, by day)
        overdue: list[int] = []
        i = head
        last_due = t - 1.0
        while len(overdue) < batch and i < n_q:
            chunk = [pid for pid in due_q[i:i + batch - len(overdue)] if in_queue[pid]]
            i += batch - len(overdue)
            for j, pid in enumerate(chunk):
                if due_of[pid] > last_due:
                    overdue.extend(chunk[:j])
                    i = n_q  # stop
                    break
            else:
                overdue.extend(chunk)
        if len(overdue) > want:
            # the want lowest keys (ties: the first in the batch); the keys are the children's review_team uniforms for
            # their next review, read from whole columns (the same numbers as draws.uniforms_at, model/rng.py)
            n_reviews, cols = self.n_reviews, self.u_team
            try:
                keys = [cols[n_reviews[pid]][pid] for pid in overdue]
            except IndexError:  # the first k-th review of anyone by the team: add the columns up to k
                while len(cols) <= max(map(n_reviews.__getitem__, overdue)):
                    cols.append(self.draws.uniforms("review_team", len(cols)))
                keys = [cols[n_reviews[pid]][pid] for pid in overdue]
            cut = sorted(keys)[want - 1]  # the want-th lowest key
            todo = [pid for pid, key in zip(overdue, keys, strict=True) if key <= cut]
            if len(todo) > want:  # a tie at the cut (never seen with 53-bit numbers): the first ones in the batch
                chosen = sorted(sorted(range(len(overdue)), key=keys.__getitem__)[:want])
                todo = [overdue[j] for j in chosen]
        else:
            todo = overdue
        self.head = head
        # idle capacity is not banked beyond one review
        self.team_tokens = min(tokens - len(todo), 1.0) if tokens != math.inf else 0.0
        if not todo:
            return
        m = self.month_of[d]
        done = len(todo)
        people.leave_review_backlog(todo)
        rec.f_reviews_completed[m] += done
        rec.f_reviews_by_backlog_team[m] += done
        self.n_events += done
        rec.w_review_late.extend([(t - due_of[pid]) / DAYS_PER_WEEK for pid in todo])
        moves, interval = inp.review_moves[d], inp.review_interval_days[d]
        cease_band = inp.review_cease[d]
        cease_bs, _ = self._quiet_thresholds(cease_band, moves, inp.review_cease_factor[d])
        overdue_p = inp.review_overdue_cease[d]
        n_settings = len(moves)
        band, setting, wait_for, n_reviews, columns = people.band, people.setting, people.wait_for, self.n_reviews, \
            self.u_review
        cease, move = self.placement.cease, self.placement.move
        wants, step_down = self.placement.wants, self.placement.step_down
        for pid in todo:
            k = n_reviews[pid]
            n_reviews[pid] = k + 1
            while len(columns) <= k:  # the first k-th review of anyone: add the column
                columns.append(self.draws.uniforms("review", len(columns)))
            u = columns[k][pid]
            b = band[pid]
            rec.event(t, "review", pid, "backlog_team")
            own = cease_bs[b * n_settings + setting[pid]] if wait_for[pid] < 0 else cease_band[b]
            p = max(own, overdue_p[b])
            if u < p:
                cease(pid, t, rec.f_ceased_review, "review")
                continue
            mv = moves[setting[pid]]
            if mv is not None and p < 1.0:
                v = (u - p) / (1.0 - p)
                if v < mv[0][-1]:
                    rec.f_review_moves[m] += 1
                    move(pid, pick(mv[0], mv[1], v), t, d, m)
            self.schedule(pid, t + interval[b])
            if wants and pid in wants:  # a flagged child in a fallback: a freed place? (placement.py)
                step_down(pid, t, d, m, inp.step_down_review[d], k)
