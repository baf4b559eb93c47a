"""Transitions: moving out of and into the area, and 1 September (ageing, phase transfers, the end of plans at 25).

Moving away is one exponential draw per plan against the cumulative hazard of the dated rate, so only real
moves are scheduled. Moves in from other councils arrive at transitions.move_in_rate_per_year per plan held,
by thinning a fixed set of candidates (rng.candidate_layers): each arriving child takes the age and setting of
a plan drawn at random from the caseload, is placed under capacity and has its first review within a review
interval. The September clock runs once a year over everyone: plans of young people past
transitions.plan_end_age end, and at the ages of the phase transfers a plan may end or the child move setting.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import compress

import numpy as np

from ..domain import AGE_BAND_OF_AGE, SETTINGS
from .inputs import pick
from .rng import candidate_layers
from .state import MAX_AGE, State

MOVE_IN_LAYER_PER_DAY = 0.25
"""Width of one layer of move-in candidates (arrivals a day). Assumption: ~91 a year per layer keeps a handful
of layers for Kent (0.34% of ~20,000 plans is ~70 a year) and few unused candidates."""
MOVE_IN_TRIES = 64
"""Plans drawn at most to find one still held (the caseload list keeps ended plans until 1 September)."""


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

    def _register_move_ins(self, first_row: int, n_plans_bound: int) -> None:
        """Identities for the candidates of moves in (groups move_in<j>, rows from first_row), before any draw.

        n_plans_bound is at least the plans the run can hold at once without moves in (the census plans and every
        request); grown at the highest move-in rate over the horizon, it bounds the arrival rate."""
        inp, draws = self.inp, self.draws
        n_days = self.cal.n_days
        rate = np.asarray(inp.move_in_rate[:n_days], dtype=float)
        self.move_in_t: list[float] = []
        self.move_in_level: list[float] = []
        self.move_in_first = first_row
        if n_days <= 0 or not rate.size or rate.max() <= 0:
            return
        bound = n_plans_bound * math.exp(float(rate.max()) * n_days)
        times, levels, layers, positions, sizes = candidate_layers(
            draws.seed, draws.replication, "move_in", rate * bound, n_days, MOVE_IN_LAYER_PER_DAY)
        rows = np.arange(first_row, first_row + times.size)
        for j, size in enumerate(sizes):
            mine = layers == j
            draws.add_group(f"move_in{j}", rows[mine], positions[mine], size)
        self.move_in_t = times.tolist()
        self.move_in_level = levels.tolist()

    def _schedule_move_ins(self) -> None:
        """Rows for the candidates (after every other row), and the first candidate's event."""
        n = len(self.move_in_t)
        if not n:
            return
        assert len(self.cohort) == self.move_in_first, "move-in rows must follow every other row"
        self._new_people([0] * n, [-math.inf] * n)
        self.at(self.move_in_t[0], self._move_in, 0)

    def _move_in(self, k: int) -> None:
        """The k-th candidate: a child with a plan arrives from another council if its level is under today's rate
        (move_in_rate_per_year x plans held); then the next candidate is scheduled."""
        self.n_events += 1
        t = self.move_in_t[k]
        d = int(t)
        inp = self.inp
        if self.move_in_level[k] < inp.move_in_rate[d] * self.n_active:
            self._arrive_with_plan(self.move_in_first + k, t, d)
        k += 1
        if k < len(self.move_in_t):
            self.at(self.move_in_t[k], self._move_in, k)

    def _arrive_with_plan(self, pid: int, t: float, d: int) -> None:
        """A plan moving in: age, band and setting of a plan drawn from the caseload (the setting it waits for, if
        it waits), placed under capacity; the first review at a uniform point of the review interval."""
        holders, active, draws = self.holders, self.active, self.draws
        like = -1
        for k in range(MOVE_IN_TRIES):
            h = holders[int(draws.uniform("move_in_who", k, pid) * len(holders))]
            if active[h]:
                like = h
                break
        if like < 0:
            return
        inp, rec = self.inp, self.rec
        m = self.month_of[d]
        self.cohort[pid] = self.cohort[like]
        b = self.band[like]
        target = self.wait_for[like] if self.wait_for[like] >= 0 else self.setting[like]
        if self.count[target] < inp.place_capacity[d][target]:
            s, wait = target, -1
        else:
            s, wait = self._place(target, d, m, -1)
        self._open_plan(pid, s, b, d + 1)
        if wait >= 0:
            self._wait(pid, wait)
        rec.f_moved_in[m] += 1
        rec.event(t, "moved_in", pid, SETTINGS[s])
        self._schedule_review(pid, t + draws.uniform("move_in_review", 0, pid) * inp.review_interval_days[d][b])
        self._schedule_move_away(pid, t)

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
