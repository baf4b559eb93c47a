"""Transitions: moving out of the area, and 1 September (ageing, phase transfers, the end of plans at 25).

Moving away is one exponential draw per plan against the cumulative hazard of the dated rate, so only real
moves are scheduled. The September clock runs once a year over everyone: plans of young people past
transitions.plan_end_age end, and at the ages of the phase transfers a plan may end or the child move setting.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import compress

import numpy as np

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
        if d >= self.n_days:
            return
        target = h[d] + inp.move_away_rate[d] * (t - d) + self.e_move_away[pid]
        if target >= h[-1]:
            return
        lo = bisect_right(h, target, d, len(h) - 1) - 1  # h[lo] <= target < h[lo + 1]
        when = lo + (target - h[lo]) / inp.move_away_rate[lo]
        self.at(max(when, t), self._moved_away, pid)

    def _schedule_moves_away(self, pids: range) -> None:
        """_schedule_move_away(pid, 0) for each of `pids` in turn, at time 0, vectorised (the same numbers)."""
        inp = self.inp
        h = inp.move_away_hazard
        if not pids or self.n_days <= 0:
            return
        hz = np.asarray(h, dtype=float)
        rate = np.asarray(inp.move_away_rate, dtype=float)
        target = (h[0] + inp.move_away_rate[0] * (0.0 - 0)) + np.asarray(
            self.e_move_away[pids.start:pids.stop], dtype=float)
        keep = np.flatnonzero(target < h[-1])
        target = target[keep]
        lo = np.searchsorted(hz[:-1], target, side="right") - 1
        when = lo + (target - hz[lo]) / rate[lo]
        at, callback = self.at, self._moved_away
        for k, w in zip(keep.tolist(), when.tolist(), strict=True):
            at(max(w, 0.0), callback, pids[k])

    def _moved_away(self, pid: int) -> None:
        self.n_events += 1
        if self.active[pid]:
            self._cease(pid, self.now, self.rec.f_moved_away, "moved_away")

    def _transfer_draws(self, pids: list[int], year: int) -> dict[int, tuple[float, float]]:
        """pid -> (cease, move) uniforms of the children reaching a phase-transfer age this September (slot: the
        age), drawn in one batch per age."""
        cohort, transfer_at = self.cohort, self.inp.transfer_at_age
        by_age: dict[int, list[int]] = {}
        for pid in pids:
            age = cohort[pid] + year
            if age in transfer_at:
                by_age.setdefault(age, []).append(pid)
        out: dict[int, tuple[float, float]] = {}
        for age, who in by_age.items():
            cease = self.draws.uniforms_at("transfer_cease", who, age)
            move = self.draws.uniforms_at("transfer_move", who, age)
            out.update(zip(who, zip(cease, move, strict=True), strict=True))
        return out

    def _september(self, d: int) -> None:
        self.n_events += 1
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
        band_now = self.band
        top_band = AGE_BAND_OF_AGE[MAX_AGE]
        # only plans that end, reach a phase transfer or change age band have anything to do today; the rest
        # are skipped in bulk (their band is fixed until they are reached: moves keep a child's band)
        action = [age > end_age or age in transfer_at
                  or (AGE_BAND_OF_AGE[age] if age <= MAX_AGE else top_band) != band_now[pid]
                  for age, pid in zip([cohort[pid] + year for pid in holders], holders, strict=True)]
        spell_start = self.spell_start
        e = d + 1  # a new spell starts the day after t (as in _respell)
        sp_start: list[int] = []  # spells closed by a change of age band, recorded in bulk at the end
        sp_setting: list[int] = []
        sp_band: list[int] = []
        todo = list(compress(holders, action))
        transfer_draws = self._transfer_draws(todo, year)
        for pid in todo:
            if not active[pid]:
                continue
            age = cohort[pid] + year
            if age > end_age:
                self._cease(pid, t, rec.f_ceased_age, "age")
                continue
            b = AGE_BAND_OF_AGE[age] if age <= MAX_AGE else top_band
            name = transfer_at.get(age)
            s = setting[pid]
            if name is not None:
                cease_u, move_u = transfer_draws[pid]
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
            old = band_now[pid]
            if b != old:  # _respell(pid, s, b, t, m) with no change of setting, inline
                start = spell_start[pid]
                if start < e:
                    sp_start.append(start)
                    sp_setting.append(s)
                    sp_band.append(old)
                spell_start[pid] = e
                band_now[pid] = b
        rec.spells(sp_start, [e] * len(sp_start), sp_setting, sp_band)
        for pid, target in capped_moves:
            if active[pid]:
                self._move(pid, target, t, d, m)
