"""Plans: issuing, placing under capacity (fallback or a waiting list), moving between settings, ending.

Every change to a child's setting or age band closes the current spell (People does it), so the occupancy is
exact. Places in capped settings (srp, special) are counted; a child who finds a setting full goes to its fallback
setting, or, when the fallback is 'wait', waits in neet_awaiting for the next place to free, first come first
served.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from ..domain import AGE_BANDS, SETTINGS
from .calendar import DAYS_PER_WEEK
from .inputs import WAIT, pick
from .state import N_SETTINGS, NEET, WEEKS_TO_PLAN_DAYS, Part

if TYPE_CHECKING:
    from .engine import Run

N_BANDS = len(AGE_BANDS)


class Placement(Part):
    """Plans and places: the only part that opens, moves or ends a plan (through People's methods).

    Owns: the waiting lists (`waiting[s]`: children waiting for a place in capped setting s, first come first
    served; a child that left the wait stays in the deque and is skipped) and the placement draws
    (`u_placement[pid]`, stage "placement" slot 0).
    Offers: issue_plan, open_census_plans, move, respell, cease.
    """

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self.waiting: list[deque[int]] = [deque() for _ in SETTINGS]
        self.u_placement = self.draws.uniforms("placement", 0, self.draws.group_names("layer") + ("open",))

    def issue_plan(self, pid: int, t: float, d: int, m: int, b: int) -> None:
        """An assessment ends in a plan at time t (day d, month m, age band b): place the child."""
        inp, rec, people = self.inp, self.rec, self.people
        waited = t - people.request_t[pid]
        rec.f_plans_issued[m] += 1
        if waited <= WEEKS_TO_PLAN_DAYS + 1e-9:
            rec.f_plans_issued_within_20_weeks[m] += 1
        rec.w_request_to_plan.append(waited / DAYS_PER_WEEK)
        cum, targets = inp.mix[d][b]
        target = pick(cum, targets, self.u_placement[pid])
        if target < 0:
            target = targets[-1]
        if people.count[target] < inp.place_capacity[d][target]:  # a place: what place() gives, without the call
            s, wait = target, -1
        else:
            s, wait = self.place(target, d, m, -1)
        people.open_plan(pid, s, b, int(t) + 1)
        if wait >= 0:
            self.wait(pid, wait)
        rec.new_placements[(m * N_SETTINGS + s) * N_BANDS + b] += 1
        if rec.events is not None:
            rec.events.append((t, "plan_issued", pid, SETTINGS[s]))
        self.reviews.schedule(pid, t + inp.review_interval_days[d][b])
        self.transitions.schedule_move_away(pid, t)

    def open_census_plans(self, pids: range, settings: list[int], bands: list[int]) -> None:
        """The plans held on the census date (day 0), rows `pids`."""
        self.people.open_plans(pids, settings, bands, 0)

    def place(self, target: int, d: int, m: int, current: int) -> tuple[int, int]:
        """Where a child placed in `target` goes: (setting, capped setting waited for or -1)."""
        cap = self.inp.place_capacity[d]
        count = self.people.count
        s = target
        hops = 0
        while count[s] >= cap[s] and s != current:
            fb = self.inp.fallback[d][s]
            hops += 1
            if fb == WAIT or fb < 0 or hops > N_SETTINGS:
                self.rec.f_started_waiting[m] += 1
                return NEET, s
            s = fb
        if hops:
            self.rec.f_placed_in_fallback[m] += 1
        return s, -1

    def wait(self, pid: int, s: int) -> None:
        """Child pid waits for a place in capped setting s."""
        self.people.start_waiting(pid, s)
        self.waiting[s].append(pid)

    def admit(self, s: int, t: float) -> None:
        """Give freed places in `s` to the children waiting for it, first come first served."""
        q = self.waiting[s]
        cap = self.inp.place_capacity[int(t)][s]
        people = self.people
        count, active, wait_for = people.count, people.active, people.wait_for
        while q and count[s] < cap:
            pid = q.popleft()
            if active[pid] and wait_for[pid] == s:
                m = self.month_of[int(t)]
                self.rec.f_admitted_from_waiting[m] += 1
                self.respell(pid, s, people.band[pid], t, m)

    def respell(self, pid: int, s: int, b: int, t: float, m: int) -> None:
        """Change a child's setting and/or age band from the day after time t; a freed place goes to a waiting
        child."""
        old = self.people.respell(pid, s, b, t)
        if s != old:
            rec = self.rec
            rec.moves[(m * N_SETTINGS + old) * N_SETTINGS + s] += 1
            if rec.events is not None:
                rec.events.append((t, "move", pid, f"{SETTINGS[old]}->{SETTINGS[s]}"))
            if self.waiting[old]:
                self.admit(old, t)

    def move(self, pid: int, target: int, t: float, d: int, m: int) -> None:
        """A move decided at a review or phase transfer, subject to capacity."""
        people = self.people
        current = people.setting[pid]
        s, wait = self.place(target, d, m, current)
        if s != current:
            self.respell(pid, s, people.band[pid], t, m)
        if wait >= 0 and people.wait_for[pid] < 0:
            self.wait(pid, wait)

    def cease(self, pid: int, t: float, flow: list[int], why: str) -> None:
        """The plan ends at time t (counted in the monthly `flow`, logged with reason `why`)."""
        s = self.people.end_plan(pid, t)
        flow[self.month_of[int(t)]] += 1
        if self.rec.events is not None:
            self.rec.events.append((t, "ceased", pid, why))
        if self.waiting[s]:
            self.admit(s, t)

    def capacity_changed(self, day: int) -> None:
        """Start-of-day event: places in some setting change from today."""
        for s in range(N_SETTINGS):
            if self.waiting[s]:
                self.admit(s, day)
