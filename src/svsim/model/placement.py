"""Plans: issuing, placing under capacity (fallback or a waiting list), moving between settings, ending.

Every change to a child's setting or age band closes the current spell, so the occupancy is exact. Places in
capped settings (srp, special) are counted; a child who finds a setting full goes to its fallback setting, or,
when the fallback is 'wait', waits in neet_awaiting for the next place to free, first come first served.
"""

from __future__ import annotations

from ..domain import AGE_BANDS, SETTINGS
from .calendar import DAYS_PER_WEEK
from .inputs import WAIT, pick
from .state import N_SETTINGS, NEET, WEEKS_TO_PLAN_DAYS, State

N_BANDS = len(AGE_BANDS)


class Placement(State):
    """Plans and places."""

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
        if self.count[target] < inp.place_capacity[d][target]:  # a place: what _place gives, without the call
            s, wait = target, -1
        else:
            s, wait = self._place(target, d, m, -1)
        self._open_plan(pid, s, b, int(t) + 1)
        if wait >= 0:
            self._wait(pid, wait)
        rec.new_placements[(m * N_SETTINGS + s) * N_BANDS + b] += 1
        if rec.events is not None:
            rec.events.append((t, "plan_issued", pid, SETTINGS[s]))
        self._schedule_review(pid, t + inp.review_interval_days[d][b])
        self._schedule_move_away(pid, t)

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

    def _place(self, target: int, d: int, m: int, current: int) -> tuple[int, int]:
        """Where a child placed in `target` goes: (setting, capped setting waited for or -1)."""
        cap = self.inp.place_capacity[d]
        s = target
        hops = 0
        while self.count[s] >= cap[s] and s != current:
            fb = self.inp.fallback[d][s]
            hops += 1
            if fb == WAIT or fb < 0 or hops > N_SETTINGS:
                self.rec.f_started_waiting[m] += 1
                return NEET, s
            s = fb
        if hops:
            self.rec.f_placed_in_fallback[m] += 1
        return s, -1

    def _wait(self, pid: int, s: int) -> None:
        self.wait_for[pid] = s
        self.waiting[s].append(pid)
        self.n_waiting += 1

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
        s, wait = self._place(target, d, m, current)
        if s != current:
            self._respell(pid, s, self.band[pid], t, m)
        if wait >= 0 and self.wait_for[pid] < 0:
            self._wait(pid, wait)

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
        if self.waiting[s]:
            self._admit(s, t)

    def _place_capacity_changed(self, day: int) -> None:
        t = day
        for s in range(N_SETTINGS):
            if self.waiting[s]:
                self._admit(s, t)
