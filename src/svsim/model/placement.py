"""Plans: issuing, placing under capacity (waiting, fallback, step-down), moving between settings, ending.

Every change to a child's setting or age band closes the current spell, so the occupancy is exact. Places in
capped settings (srp, special) are counted. A child whose plan names a full setting:

- waits for a place, first come first served, up to `placement.max_wait_weeks.<setting>` (a new plan waits in
  neet_awaiting, i.e. awaiting provision; a child moving keeps its current place while it waits), then goes to
  the fallback setting; with a wait of 0 it goes to the fallback at once; with the fallback 'wait' it waits in
  neet_awaiting for as long as it takes;
- placed in a fallback because the setting was full, it keeps a flag "wants <setting>" (`wants`). When places
  free or capacity rises, the waiting list goes first; then a flagged child moves to a free place ("steps
  down") at its next phase transfer or annual review with `placement.step_down_probability.*`, a draw from its
  own `step_down` stage (model/rng.py), while under 19.
"""

from __future__ import annotations

from typing import Any

from ..domain import AGE_BANDS, CAPPED_SETTINGS, SETTINGS
from .calendar import DAYS_PER_WEEK
from .inputs import WAIT, pick
from .state import N_SETTINGS, NEET, WEEKS_TO_PLAN_DAYS, State

N_BANDS = len(AGE_BANDS)
CAPPED = tuple(SETTINGS.index(s) for s in CAPPED_SETTINGS)
STEP_DOWN_MAX_AGE = 18
"""Oldest academic age that steps down into a freed place: school places run to 19."""
TRANSFER_SLOT = 100
PLACEMENT_SLOT = 1000
"""Slots of the step_down stage: the review number at a review, TRANSFER_SLOT + age at a phase transfer,
PLACEMENT_SLOT + day at a placement in a fallback."""


class Placement(State):
    """Plans and places."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wants: dict[int, int] = {}  # pid -> capped setting it wants, while placed in a fallback for it
        self.wait_until: dict[int, float] = {}  # pid -> when its timed wait for a place ends

    def _issue_plan(self, pid: int, t: float, d: int, m: int, b: int) -> None:
        inp, rec = self.inp, self.rec
        waited = t - self.request_t[pid]
        rec.f_plans_issued[m] += 1
        if waited <= WEEKS_TO_PLAN_DAYS + 1e-9:
            rec.f_plans_issued_within_20_weeks[m] += 1
        rec.w_request_to_plan.append(waited / DAYS_PER_WEEK)
        cum, targets = inp.mix[d][b]
        target = pick(cum, targets, self.u_placement[pid])
        if target < 0:
            target = targets[-1]
        s = self._place_new_plan(pid, target, b, t, d, m)
        rec.new_placements[(m * N_SETTINGS + s) * N_BANDS + b] += 1
        if self.wait_for[pid] >= 0:
            rec.new_waits[(m * N_SETTINGS + self.wait_for[pid]) * N_BANDS + b] += 1
        if rec.events is not None:
            rec.events.append((t, "plan_issued", pid, SETTINGS[s]))
        self._schedule_review(pid, t + inp.review_interval_days[d][b])
        self._schedule_move_away(pid, t)

    def _place_new_plan(self, pid: int, target: int, b: int, t: float, d: int, m: int) -> int:
        """Open a new plan naming `target`: a free place, else wait or the fallback (flagged). Returns the setting."""
        target, wanted = self._instead_of_fallback(pid, target, d)
        if self.count[target] < self.inp.place_capacity[d][target]:  # a place: what _place gives, without the call
            s, wait = target, -1
        else:
            s, wait = self._place(target, d, m, -1)
        self._open_plan(pid, s, b, int(t) + 1)
        if wait >= 0:
            self._wait(pid, wait, t, d)
        elif s != target:
            self.wants[pid] = target
        elif wanted >= 0:
            self.wants[pid] = wanted
        return s

    def _open_plans(self, pids: range, settings: list[int], bands: list[int]) -> None:
        """Plans for the consecutive people `pids` from day 0 (the census), as _open_plan for each in turn."""
        lo, hi = pids.start, pids.stop
        self.setting[lo:hi] = settings
        self.band[lo:hi] = bands
        self.active[lo:hi] = [True] * len(pids)
        self.spell_start[lo:hi] = [0] * len(pids)
        for s in settings:
            self.count[s] += 1
        self.n_active += len(pids)
        self.holders.extend(pids)

    def _open_plan(self, pid: int, s: int, b: int, first_day: int) -> None:
        self.setting[pid] = s
        self.band[pid] = b
        self.active[pid] = True
        self.spell_start[pid] = first_day
        self.count[s] += 1
        self.n_active += 1
        self.holders.append(pid)

    def _place(self, target: int, d: int, m: int, current: int, may_wait: bool = True) -> tuple[int, int]:
        """Where a child placed in `target` goes: (setting, capped setting waited for or -1). A timed wait for a
        full `target` (max_wait_weeks > 0) keeps a moving child where it is (`current`); a new plan (current -1)
        and the 'wait' fallback wait in neet_awaiting."""
        inp = self.inp
        cap = inp.place_capacity[d]
        s = target
        hops = 0
        while self.count[s] >= cap[s] and s != current:
            if may_wait:  # only capped settings are ever full
                getattr(self.rec, "f_refused_" + SETTINGS[s])[m] += 1
            fb = inp.fallback[d][s]
            if may_wait and hops == 0 and fb >= 0 and inp.max_wait_days[d][s] > 0:
                self.rec.f_started_waiting[m] += 1
                return (NEET if current < 0 else current), s
            hops += 1
            if fb == WAIT or fb < 0 or hops > N_SETTINGS:
                self.rec.f_started_waiting[m] += 1
                return NEET, s
            s = fb
        if hops:
            self.rec.f_placed_in_fallback[m] += 1
        return s, -1

    def _wait(self, pid: int, s: int, t: float, d: int) -> None:
        """The child waits for a place in `s`; a timed wait (fallback not 'wait') ends at t + max_wait_weeks."""
        self.wait_for[pid] = s
        self.waiting[s].append(pid)
        self.n_waiting += 1
        inp = self.inp
        days = inp.max_wait_days[d][s]
        if days > 0 and inp.fallback[d][s] >= 0:
            self.wait_until[pid] = until = t + days
            self.at(until, self._wait_over, pid)

    def _wait_over(self, pid: int) -> None:
        """A timed wait ended without a place: the child goes to the fallback, flagged as wanting the setting."""
        self.n_events += 1
        t = self.now
        if self.wait_until.get(pid) != t:
            return  # admitted, moved or ended before its wait was over
        del self.wait_until[pid]
        s = self.wait_for[pid]
        if not self.active[pid] or s < 0:
            return
        q = self.waiting[s]
        while pid in q:
            q.remove(pid)
        self.wait_for[pid] = -1
        self.n_waiting -= 1
        d = int(t)
        m = self.month_of[d]
        self.rec.f_wait_expired[m] += 1
        current = self.setting[pid]
        to, wait = self._place(s, d, m, current, may_wait=False)  # s is full, or the child takes the place
        if to != current:
            self._respell(pid, to, self.band[pid], t, m)
        if wait >= 0:
            self._wait(pid, wait, t, d)
        elif to != s:
            self.wants[pid] = s

    def _admit(self, s: int, t: float) -> None:
        """Give freed places in `s` to the children waiting for it, first come first served."""
        q = self.waiting[s]
        cap = self.inp.place_capacity[int(t)][s]
        while q and self.count[s] < cap:
            pid = q.popleft()
            if self.active[pid] and self.wait_for[pid] == s:
                m = self.month_of[int(t)]
                self.rec.f_admitted_from_waiting[m] += 1
                self._respell(pid, s, self.band[pid], t, m)

    def _respell(self, pid: int, s: int, b: int, t: float, m: int) -> None:
        """Change a child's setting and/or age band from the day after time t."""
        old = self.setting[pid]
        e = int(t) + 1
        start = self.spell_start[pid]
        if start < e:
            self.rec.spell(start, e, old, self.band[pid])
        self.spell_start[pid] = e
        self.band[pid] = b
        if s != old:
            self.setting[pid] = s
            self.count[old] -= 1
            self.count[s] += 1
            if self.wants and pid in self.wants:  # left the fallback: the flag goes
                del self.wants[pid]
            self.rec.moves[(m * N_SETTINGS + old) * N_SETTINGS + s] += 1
            if self.rec.events is not None:
                self.rec.events.append((t, "move", pid, f"{SETTINGS[old]}->{SETTINGS[s]}"))
            if self.wait_for[pid] >= 0:
                self.wait_for[pid] = -1
                self.n_waiting -= 1
            if self.waiting[old]:
                self._admit(old, t)

    def _move(self, pid: int, target: int, t: float, d: int, m: int) -> None:
        """A move decided at a review or phase transfer, subject to capacity."""
        current = self.setting[pid]
        target, wanted = self._instead_of_fallback(pid, target, d)
        s, wait = self._place(target, d, m, current)
        if s != current:
            self._respell(pid, s, self.band[pid], t, m)
        if wait >= 0 and self.wait_for[pid] < 0:
            self._wait(pid, wait, t, d)
        elif wait < 0 and s != target:
            self.wants[pid] = target
        elif wanted >= 0 and s == target:
            self.wants[pid] = wanted

    def _cease(self, pid: int, t: float, flow: list[int], why: str) -> None:
        m = self.month_of[int(t)]
        s = self.setting[pid]
        e = int(t) + 1
        start = self.spell_start[pid]
        if start < e:
            self.rec.spell(start, e, s, self.band[pid])
        self.active[pid] = False
        self.count[s] -= 1
        self.n_active -= 1
        flow[m] += 1
        if self.rec.events is not None:
            self.rec.events.append((t, "ceased", pid, why))
        if self.wait_for[pid] >= 0:
            self.wait_for[pid] = -1
            self.n_waiting -= 1
        if self.in_review_queue[pid]:
            self.in_review_queue[pid] = False
            self.reviews_overdue -= 1
        if self.wants and pid in self.wants:
            del self.wants[pid]
        if self.waiting[s]:
            self._admit(s, t)

    def _place_capacity_changed(self, day: int) -> None:
        t = day
        for s in range(N_SETTINGS):
            if self.waiting[s]:
                self._admit(s, t)

    # step-down: flagged children in a fallback move to a freed place in the setting they want
    def _step_down(self, pid: int, t: float, d: int, m: int, p: float, slot: int) -> None:
        """At a phase transfer or review: a child placed in a fallback because `wants[pid]` was full moves there
        with probability p if a place is free and nobody waits for it (the waiting list goes first)."""
        s = self.wants[pid]
        if p <= 0.0 or self.cohort[pid] + self.year_of[d] > STEP_DOWN_MAX_AGE:
            return
        if self.count[s] >= self.inp.place_capacity[d][s] or self._has_waiters(s):
            return
        if self.draws.uniform("step_down", slot, pid) < p:
            self.rec.f_stepped_down[m] += 1
            self._respell(pid, s, self.band[pid], t, m)

    def _instead_of_fallback(self, pid: int, target: int, d: int) -> tuple[int, int]:
        """A placement in a capped setting's fallback (independent for special) is, with probability
        placement.step_down_probability.placement, made for want of a place in the setting: it takes a free place
        there instead (nobody waiting for it), or goes ahead flagged as wanting it. Returns (target, wanted or -1)."""
        p = self.inp.step_down_placement[d]
        if p <= 0.0 or target in CAPPED:  # only from an uncapped fallback: never special -> srp
            return target, -1
        fallback, cap = self.inp.fallback[d], self.inp.place_capacity[d]
        for s in CAPPED:  # (a child leaving `s` for its fallback, e.g. a placement breaking down, is not turned back)
            if fallback[s] == target and self.setting[pid] != s:
                if self.draws.uniform("step_down", PLACEMENT_SLOT + d, pid) >= p:
                    return target, -1
                if self.count[s] < cap[s] and not self._has_waiters(s):
                    self.rec.f_stepped_down[self.month_of[d]] += 1
                    return s, -1
                return target, s
        return target, -1

    def _has_waiters(self, s: int) -> bool:
        """Anyone still waiting for `s` (entries of children admitted, moved or ended are dropped)."""
        q = self.waiting[s]
        while q and (not self.active[q[0]] or self.wait_for[q[0]] != s):
            q.popleft()
        return bool(q)

    def _step_downs_at_transfer(self, d: int) -> None:
        """1 September, after the transfers and any new places: flagged children reaching a phase transfer."""
        wants = self.wants
        if not wants:
            return
        p = self.inp.step_down_transfer[d]
        if p <= 0.0:
            return
        year, transfer_at, cohort = self.year_of[d], self.inp.transfer_at_age, self.cohort
        m = self.month_of[d]
        for pid in [pid for pid in wants if cohort[pid] + year in transfer_at]:
            if pid in wants and self.active[pid]:
                self._step_down(pid, float(d), d, m, p, TRANSFER_SLOT + cohort[pid] + year)

    def _flag_start_wants(self, pids: range) -> None:
        """Census plans in a capped setting's fallback that want it (placement.start_wants_share), by a draw each."""
        inp = self.inp
        shares = {inp.fallback[0][s]: (s, inp.start_wants_share[s]) for s in CAPPED
                  if inp.start_wants_share[s] > 0 and inp.fallback[0][s] >= 0}
        if not shares:
            return
        u = self.draws.uniforms("start_wants", 0, ("census",))
        for pid in pids:
            hit = shares.get(self.setting[pid])
            if hit is not None and u[pid] < hit[1]:
                self.wants[pid] = hit[0]

    def _observe_places(self, month: int) -> None:
        """Occupancy and the flagged children of each capped setting at the start of the month."""
        rec = self.rec
        wanting = [0] * N_SETTINGS
        for s in self.wants.values():
            wanting[s] += 1
        for s in CAPPED:
            name = SETTINGS[s]
            rec.level(f"occupied_{name}", month, self.count[s])
            rec.level(f"wanting_{name}", month, wanting[s])
