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
from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

from ..domain import AGE_BAND_OF_AGE, SETTINGS
from .inputs import Inputs, pick
from .rng import ChildDraws, candidate_layers
from .state import MAX_AGE, Part

if TYPE_CHECKING:
    from .engine import Run

_BAND_OF_AGE = np.array(AGE_BAND_OF_AGE, dtype=np.int64)

MOVE_IN_LAYER_PER_DAY = 0.25
"""Width of one layer of move-in candidates (arrivals a day). Assumption: ~91 a year per layer keeps a handful
of layers for Kent (0.34% of ~20,000 plans is ~70 a year) and few unused candidates."""
MOVE_IN_TRIES = 256
"""Rows drawn at most to find one holding a plan (then the caseload list is used, which is rare: most rows do)."""


def move_in_candidates(inp: Inputs, draws: ChildDraws, first_row: int, n_plans_bound: int
                       ) -> tuple[list[float], list[float]]:
    """Identities for the candidates of moves in from other councils (groups move_in<j>, rows first_row..), to
    be called before any draw (engine.Run._people); returns their times and levels (arrivals a day).

    n_plans_bound is at least the plans the run can hold at once without moves in (the census plans and every
    request); grown at the highest move-in rate over the horizon, it bounds the arrival rate. No rate, no rows."""
    n_days = inp.cal.n_days
    rate = np.asarray(inp.move_in_rate[:n_days], dtype=float)
    if n_days <= 0 or not rate.size or rate.max() <= 0:
        return [], []
    bound = n_plans_bound * math.exp(float(rate.max()) * n_days)
    times, levels, layers, positions, sizes = candidate_layers(
        draws.seed, draws.replication, "move_in", rate * bound, n_days, MOVE_IN_LAYER_PER_DAY)
    rows = np.arange(first_row, first_row + times.size)
    for j, size in enumerate(sizes):
        mine = layers == j
        draws.add_group(f"move_in{j}", rows[mine], positions[mine], size)
    return times.tolist(), levels.tolist()


class Transitions(Part):
    """Moving away, moves in from other councils, and the September clock.

    Owns: the moving-away draws (`e_move_away[pid]`: stage "move_away" slot 0, a standard exponential); the
    move-in candidates (`move_in_t`, `move_in_level`, rows from `move_in_first`; engine.Run._people registers
    them). Draws at a phase transfer: stages transfer_cease and transfer_move, slot = the age of the transfer;
    at a move in: move_in_who (slot: the try) and move_in_review.
    Offers: schedule_move_away (a new plan), schedule_moves_away (the census plans), start_move_ins (the first
    candidate's event), september (start of day).
    """

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self.e_move_away = self.draws.exponentials("move_away")
        self.move_in_first = run.move_in_first
        self.move_in_t, self.move_in_level = run.move_ins

    def start_move_ins(self) -> None:
        """Schedule the first move-in candidate (each schedules the next)."""
        if self.move_in_t:
            self.at(self.move_in_t[0], self._move_in, 0)

    def _move_in(self, k: int) -> None:
        """The k-th candidate: a child with a plan arrives from another council if its level is under today's rate
        (move_in_rate_per_year x plans held); then the next candidate is scheduled."""
        self.n_events += 1
        t = self.move_in_t[k]
        d = int(t)
        if self.move_in_level[k] < self.inp.move_in_rate[d] * self.people.n_active:
            self._arrive_with_plan(self.move_in_first + k, t, d)
        k += 1
        if k < len(self.move_in_t):
            self.at(self.move_in_t[k], self._move_in, k)

    def _arrive_with_plan(self, pid: int, t: float, d: int) -> None:
        """A plan moving in: age, band and setting of a plan drawn from the caseload (the setting it waits for, if
        it waits), placed under capacity; the first review at a uniform point of the review interval."""
        people, draws = self.people, self.draws
        active = people.active
        # a plan held now, uniformly: rows drawn uniformly from those before this one (every child that can hold a
        # plan yet) until one holds a plan. A row, not a place in the caseload list: a plan that ended or opened
        # elsewhere in the list moves no other draw (common random numbers, model/rng.py)
        like = -1
        for k in range(MOVE_IN_TRIES):
            h = int(draws.uniform("move_in_who", k, pid) * pid)
            if active[h]:
                like = h
                break
        if like < 0:
            holders = people.current_holders()
            if not holders:
                return
            like = holders[int(draws.uniform("move_in_who", MOVE_IN_TRIES, pid) * len(holders))]
        inp, rec, placement = self.inp, self.rec, self.placement
        m = self.month_of[d]
        people.fill(pid, [people.cohort[like]], [-math.inf])
        b = people.band[like]
        target = people.wait_for[like] if people.wait_for[like] >= 0 else people.setting[like]
        s = placement.place_new_plan(pid, target, b, t, d, m)  # a free place, else a wait or the fallback
        rec.f_moved_in[m] += 1
        rec.event(t, "moved_in", pid, SETTINGS[s])
        self.reviews.schedule(pid, t + draws.uniform("move_in_review", 0, pid) * inp.review_interval_days[d][b])
        self.schedule_move_away(pid, t)

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
        # are skipped in bulk (their band is fixed until they are reached: moves keep a child's band). Found with
        # numpy over every plan (itemgetter reads the columns at C speed); a negative age indexes the band table
        # from its end, as a Python list index does
        todo: list[int] = []
        if holders:
            rows = np.array(holders, dtype=np.int64)
            get = itemgetter(*holders) if len(holders) > 1 else (lambda col: (col[holders[0]],))
            age_a = np.array(get(cohort), dtype=np.int64) + year
            action = (age_a > end_age) | np.isin(age_a, np.array(list(transfer_at), dtype=np.int64)) \
                | (_BAND_OF_AGE[np.minimum(age_a, MAX_AGE)] != np.array(get(band_now), dtype=np.int64))
            todo = rows[action].tolist()
        reband: list[int] = []  # plans that only change age band: done in bulk after the loop (People.rebands)
        reband_to: list[int] = []
        ages = [cohort[pid] + year for pid in todo]
        # the phase transfers' draws, slot = the age (drawn for every child in todo, used at transfer ages)
        cease_us = self.draws.uniforms_at("transfer_cease", todo, ages)
        move_us = self.draws.uniforms_at("transfer_move", todo, ages)
        for pid, age, cease_u, move_u in zip(todo, ages, cease_us, move_us, strict=True):
            if not active[pid]:
                continue
            if age > end_age:
                placement.cease(pid, t, rec.f_ceased_age, "age")
                continue
            b = AGE_BAND_OF_AGE[age] if age <= MAX_AGE else top_band
            name = transfer_at.get(age)
            if name is not None:
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
