"""Transitions: moving out of the area, and 1 September (ageing, phase transfers, the end of plans at 25).

Moving away is one exponential draw per plan against the cumulative hazard of the dated rate, so only real
moves are scheduled. The September clock runs once a year over everyone: plans of young people past
transitions.plan_end_age end, and at the ages of the phase transfers a plan may end or the child move setting.
"""

from __future__ import annotations

import math

from simpy.events import Event

from ..domain import AGE_BAND_OF_AGE
from .inputs import pick
from .state import MAX_AGE, State


class Transitions(State):
    """Moving away and the September clock."""

    def _schedule_move_away(self, pid: int, t: float) -> None:
        """One exponential draw against the cumulative hazard of moving away (rates may change with time)."""
        inp = self.inp
        h = inp.move_away_hazard
        d = int(t)
        if d >= self.cal.n_days:
            return
        target = h[d] + inp.move_away_rate[d] * (t - d) + self.s_move_away.exponential()
        if target >= h[-1]:
            return
        lo, hi = d, len(h) - 1  # h[lo] <= target < h[hi]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if h[mid] <= target:
                lo = mid
            else:
                hi = mid
        when = lo + (target - h[lo]) / inp.move_away_rate[lo]
        self._at(max(when, t) - self.env.now, self._moved_away, pid)

    def _moved_away(self, ev: Event) -> None:
        self.n_events += 1
        pid = ev._value
        if self.active[pid]:
            self._cease(pid, self.env.now, self.rec.f_moved_away, "moved_away")

    def _september(self, ev: Event) -> None:
        self.n_events += 1
        d = ev._value
        t = float(d)
        inp, rec = self.inp, self.rec
        m = self.month_of[d]
        year = self.year_of[d]
        end_age = inp.plan_end_age
        transfer_at = inp.transfer_at_age
        active, cohort, setting = self.active, self.cohort, self.setting
        holders = [pid for pid in self.holders if active[pid]]
        self.holders = holders
        capped_moves: list[tuple[int, int]] = []
        caps = inp.place_capacity[d]
        for pid in holders:
            if not active[pid]:
                continue
            age = cohort[pid] + year
            if age > end_age:
                self._cease(pid, t, rec.f_ceased_age, "age")
                continue
            b = AGE_BAND_OF_AGE[age] if age <= MAX_AGE else AGE_BAND_OF_AGE[MAX_AGE]
            name = transfer_at.get(age)
            s = setting[pid]
            if name is not None:
                cease_u, move_u = self.s_transfer.uniform(), self.s_transfer.uniform()
                if cease_u < inp.transfer_cease[name][d]:
                    self._cease(pid, t, rec.f_ceased_phase_transfer, "phase_transfer")
                    continue
                mv = inp.transfer_moves[name][d][s]
                if mv is not None:
                    target = pick(mv[0], mv[1], move_u)
                    if target >= 0:
                        rec.f_transfer_moves[m] += 1
                        if math.isinf(caps[target]):
                            self._respell(pid, target, b, t, m)
                            continue
                        capped_moves.append((pid, target))
            if b != self.band[pid]:
                self._respell(pid, s, b, t, m)
        for pid, target in capped_moves:
            if active[pid]:
                self._move(pid, target, t, d, m)
