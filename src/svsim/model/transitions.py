"""Transitions: moving out of the area, and 1 September (ageing, phase transfers, the end of plans at 25).

Moving away is one exponential draw per plan against the cumulative hazard of the dated rate, so only real
moves are scheduled. The September clock runs once a year over everyone: plans of young people past
transitions.plan_end_age end, and at the ages of the phase transfers a plan may end or the child move setting.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import compress
from typing import TYPE_CHECKING

import numpy as np

from ..domain import AGE_BAND_OF_AGE
from .inputs import pick
from .state import MAX_AGE, Part

if TYPE_CHECKING:
    from .engine import Run


class Transitions(Part):
    """Moving away and the September clock.

    Owns: the moving-away draws (`e_move_away[pid]`: stage "move_away" slot 0, a standard exponential).
    Draws at a phase transfer: stages transfer_cease and transfer_move, slot = the age of the transfer.
    Offers: schedule_move_away (a new plan), schedule_moves_away (the census plans), september (start of day).
    """

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self.e_move_away = self.draws.exponentials("move_away")

    def schedule_move_away(self, pid: int, t: float) -> None:
        """One exponential draw against the cumulative hazard of moving away (rates may change with time)."""
        inp = self.inp
        h = inp.move_away_hazard
        d = int(t)
        if d >= self.cal.n_days:
            return
        target = h[d] + inp.move_away_rate[d] * (t - d) + self.e_move_away[pid]
        if target >= h[-1]:
            return
        lo = bisect_right(h, target, d, len(h) - 1) - 1  # h[lo] <= target < h[lo + 1]
        when = lo + (target - h[lo]) / inp.move_away_rate[lo]
        self.at(max(when, t), self.moved_away, pid)

    def schedule_moves_away(self, pids: range) -> None:
        """schedule_move_away(pid, 0) for each of `pids` in turn, at time 0, vectorised (the same numbers)."""
        inp = self.inp
        h = inp.move_away_hazard
        if not pids or self.cal.n_days <= 0:
            return
        hz = np.asarray(h, dtype=float)
        rate = np.asarray(inp.move_away_rate, dtype=float)
        target = (h[0] + inp.move_away_rate[0] * (0.0 - 0)) + np.asarray(
            self.e_move_away[pids.start:pids.stop], dtype=float)
        keep = np.flatnonzero(target < h[-1])
        target = target[keep]
        lo = np.searchsorted(hz[:-1], target, side="right") - 1
        when = lo + (target - hz[lo]) / rate[lo]
        at, callback = self.at, self.moved_away
        for k, w in zip(keep.tolist(), when.tolist(), strict=True):
            at(max(w, 0.0), callback, pids[k])

    def moved_away(self, pid: int) -> None:
        self.n_events += 1
        if self.people.active[pid]:
            self.placement.cease(pid, self.agenda.now, self.rec.f_moved_away, "moved_away")

    def _transfer_draws(self, pids: list[int], year: int) -> dict[int, tuple[float, float]]:
        """pid -> (cease, move) uniforms of the children reaching a phase-transfer age this September (slot: the
        age), drawn in one batch per age."""
        cohort, transfer_at = self.people.cohort, self.inp.transfer_at_age
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

    def september(self, d: int) -> None:
        """Start-of-day event on 1 September: plans past the end age end, phase transfers, new age bands."""
        self.n_events += 1
        t = float(d)
        inp, rec, people, placement = self.inp, self.rec, self.people, self.placement
        m = self.month_of[d]
        year = self.year_of[d]
        end_age = inp.plan_end_age
        transfer_at = inp.transfer_at_age
        active, cohort, setting, band_now = people.active, people.cohort, people.setting, people.band
        holders = people.current_holders()
        capped_moves: list[tuple[int, int]] = []
        caps = inp.place_capacity[d]
        top_band = AGE_BAND_OF_AGE[MAX_AGE]
        # only plans that end, reach a phase transfer or change age band have anything to do today; the rest
        # are skipped in bulk (their band is fixed until they are reached: moves keep a child's band)
        action = [age > end_age or age in transfer_at
                  or (AGE_BAND_OF_AGE[age] if age <= MAX_AGE else top_band) != band_now[pid]
                  for age, pid in zip([cohort[pid] + year for pid in holders], holders, strict=True)]
        reband: list[int] = []  # plans that only change age band: done in bulk after the loop (People.rebands)
        reband_to: list[int] = []
        todo = list(compress(holders, action))
        transfer_draws = self._transfer_draws(todo, year)
        for pid in todo:
            if not active[pid]:
                continue
            age = cohort[pid] + year
            if age > end_age:
                placement.cease(pid, t, rec.f_ceased_age, "age")
                continue
            b = AGE_BAND_OF_AGE[age] if age <= MAX_AGE else top_band
            name = transfer_at.get(age)
            if name is not None:
                cease_u, move_u = transfer_draws[pid]
                if cease_u < inp.transfer_cease[name][d]:
                    placement.cease(pid, t, rec.f_ceased_phase_transfer, "phase_transfer")
                    continue
                mv = inp.transfer_moves[name][d][setting[pid]]
                if mv is not None:
                    target = pick(mv[0], mv[1], move_u)
                    if target >= 0:
                        rec.f_transfer_moves[m] += 1
                        if math.isinf(caps[target]):
                            placement.respell(pid, target, b, t, m)
                            continue
                        capped_moves.append((pid, target))
            if b != band_now[pid]:
                reband.append(pid)
                reband_to.append(b)
        # new bands from the day after t (as respell). Doing them after the loop gives the same spells: a child
        # given a place during the loop (respell, keeping its band) has its spell start that day already
        people.rebands(reband, reband_to, d + 1)
        for pid, target in capped_moves:
            if active[pid]:
                placement.move(pid, target, t, d, m)
