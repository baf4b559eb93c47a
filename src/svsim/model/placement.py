"""Plans: issuing, placing under capacity (waiting, fallback, step-down), moving between settings, ending.

Every change to a child's setting or age band closes the current spell (People does it), so the occupancy is
exact. Places in capped settings (srp, special) are counted. A child whose plan names a full setting:

- waits for a place, first come first served, up to `placement.max_wait_weeks.<setting>` (a new plan waits in
  neet_awaiting, i.e. awaiting provision; a child moving keeps its current place while it waits), then goes to
  the fallback setting; with a wait of 0 it goes to the fallback at once; with the fallback 'wait' it waits in
  neet_awaiting for as long as it takes;
- placed in a fallback because the setting was full, it keeps a flag "wants <setting>" (`wants`). When places
  free or capacity rises, the waiting list goes first; then a flagged child moves to a free place ("steps
  down") at its next phase transfer or annual review with `placement.step_down_probability.*`, a draw from its
  own `step_down` stage (model/rng.py), while under 19. A placement in the fallback itself (a new plan or a move
  at a review) is, with `step_down_probability.placement`, made for want of a place: it takes a free place in the
  setting instead, or goes ahead flagged.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from ..domain import AGE_BANDS, CAPPED_SETTINGS, SETTINGS
from .calendar import DAYS_PER_WEEK
from .inputs import WAIT, pick
from .state import N_SETTINGS, NEET, WEEKS_TO_PLAN_DAYS, Part

if TYPE_CHECKING:
    from .engine import Run

N_BANDS = len(AGE_BANDS)
CAPPED = tuple(SETTINGS.index(s) for s in CAPPED_SETTINGS)
STEP_DOWN_MAX_AGE = 18
"""Oldest academic age that steps down into a freed place: school places run to 19."""
TRANSFER_SLOT = 100
PLACEMENT_SLOT = 1000
"""Slots of the step_down stage: the review number at a review, TRANSFER_SLOT + age at a phase transfer,
PLACEMENT_SLOT + the reviews done so far at a placement in a fallback (0: the new plan; k + 1: a move at the k-th
review). Never the day: a placement a day later must see the same number (common random numbers, model/rng.py)."""


class Placement(Part):
    """Plans and places: the only part that opens, moves or ends a plan (through People's methods).

    Owns: the waiting lists (`waiting[s]`: children waiting for a place in capped setting s, first come first
    served; a child that left the wait stays in the deque and is skipped), the end of each timed wait
    (`wait_until[pid]`), the flags `wants[pid]` (the capped setting a child placed in its fallback because it was
    full still wants) and the placement draws (`u_placement[pid]`, stage "placement" slot 0; stages "step_down"
    and "start_wants").
    Offers: issue_plan, open_census_plans, flag_start_wants, move, respell, cease, step_down,
    step_downs_at_transfer, observe_places.
    """

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self.waiting: list[deque[int]] = [deque() for _ in SETTINGS]
        self.u_placement = self.draws.uniforms("placement", 0, self.draws.group_names("layer") + ("open",))
        self.wants: dict[int, int] = {}  # pid -> capped setting it wants, while placed in a fallback for it
        self.wait_until: dict[int, float] = {}  # pid -> when its timed wait for a place ends

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
        s = self.place_new_plan(pid, target, b, t, d, m)
        rec.new_placements[(m * N_SETTINGS + s) * N_BANDS + b] += 1
        if people.wait_for[pid] >= 0:
            rec.new_waits[(m * N_SETTINGS + people.wait_for[pid]) * N_BANDS + b] += 1
        if rec.events is not None:
            rec.events.append((t, "plan_issued", pid, SETTINGS[s]))
        self.reviews.schedule(pid, t + inp.review_interval_days[d][b])
        self.transitions.schedule_move_away(pid, t)

    def place_new_plan(self, pid: int, target: int, b: int, t: float, d: int, m: int) -> int:
        """Open a new plan naming `target`: a free place, else wait or the fallback (flagged). Returns the setting."""
        target, wanted = self._instead_of_fallback(pid, target, d)
        if self.people.count[target] < self.inp.place_capacity[d][target]:  # a place: what place() gives
            s, wait = target, -1
        else:
            s, wait = self.place(target, d, m, -1)
        self.people.open_plan(pid, s, b, int(t) + 1)
        if wait >= 0:
            self.wait(pid, wait, t, d)
        elif s != target:
            self.wants[pid] = target
        elif wanted >= 0:
            self.wants[pid] = wanted
        return s

    def open_census_plans(self, pids: range, settings: list[int], bands: list[int]) -> None:
        """The plans held on the census date (day 0), rows `pids`."""
        self.people.open_plans(pids, settings, bands, 0)

    def place(self, target: int, d: int, m: int, current: int, may_wait: bool = True) -> tuple[int, int]:
        """Where a child placed in `target` goes: (setting, capped setting waited for or -1). A timed wait for a
        full `target` (max_wait_weeks > 0) keeps a moving child where it is (`current`); a new plan (current -1)
        and the 'wait' fallback wait in neet_awaiting."""
        inp = self.inp
        cap = inp.place_capacity[d]
        count = self.people.count
        s = target
        hops = 0
        while count[s] >= cap[s] and s != current:
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

    def wait(self, pid: int, s: int, t: float, d: int) -> None:
        """Child pid waits for a place in capped setting s; a timed wait (fallback not 'wait') ends at t +
        max_wait_weeks."""
        self.people.start_waiting(pid, s)
        self.waiting[s].append(pid)
        inp = self.inp
        days = inp.max_wait_days[d][s]
        if days > 0 and inp.fallback[d][s] >= 0:
            self.wait_until[pid] = until = t + days
            self.at(until, self._wait_over, pid)

    def _wait_over(self, pid: int) -> None:
        """A timed wait ended without a place: the child goes to the fallback, flagged as wanting the setting."""
        self.n_events += 1
        t = self.agenda.now
        if self.wait_until.get(pid) != t:
            return  # admitted, moved or ended before its wait was over
        del self.wait_until[pid]
        people = self.people
        s = people.wait_for[pid]
        if not people.active[pid] or s < 0:
            return
        q = self.waiting[s]
        while pid in q:
            q.remove(pid)
        people.stop_waiting(pid)
        d = int(t)
        m = self.month_of[d]
        self.rec.f_wait_expired[m] += 1
        current = people.setting[pid]
        to, wait = self.place(s, d, m, current, may_wait=False)  # s is full, or the child takes the place
        if to != current:
            self.respell(pid, to, people.band[pid], t, m)
        if wait >= 0:
            self.wait(pid, wait, t, d)
        elif to != s:
            self.wants[pid] = s

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
            if self.wants and pid in self.wants:  # left the fallback: the flag goes
                del self.wants[pid]
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
        target, wanted = self._instead_of_fallback(pid, target, d)
        s, wait = self.place(target, d, m, current)
        if s != current:
            self.respell(pid, s, people.band[pid], t, m)
        if wait >= 0 and people.wait_for[pid] < 0:
            self.wait(pid, wait, t, d)
        elif wait < 0 and s != target:
            self.wants[pid] = target
        elif wanted >= 0 and s == target:
            self.wants[pid] = wanted

    def cease(self, pid: int, t: float, flow: list[int], why: str) -> None:
        """The plan ends at time t (counted in the monthly `flow`, logged with reason `why`)."""
        s = self.people.end_plan(pid, t)
        if self.wants and pid in self.wants:
            del self.wants[pid]
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

    # step-down: flagged children in a fallback move to a freed place in the setting they want
    def step_down(self, pid: int, t: float, d: int, m: int, p: float, slot: int) -> None:
        """At a phase transfer or review: a child placed in a fallback because `wants[pid]` was full moves there
        with probability p if a place is free and nobody waits for it (the waiting list goes first)."""
        s = self.wants[pid]
        if p <= 0.0 or self.people.cohort[pid] + self.year_of[d] > STEP_DOWN_MAX_AGE:
            return
        if self.people.count[s] >= self.inp.place_capacity[d][s] or self._has_waiters(s):
            return
        if self.draws.uniform("step_down", slot, pid) < p:
            self.rec.f_stepped_down[m] += 1
            self.respell(pid, s, self.people.band[pid], t, m)

    def _instead_of_fallback(self, pid: int, target: int, d: int) -> tuple[int, int]:
        """A placement in a capped setting's fallback (independent for special) is, with probability
        placement.step_down_probability.placement, made for want of a place in the setting: it takes a free place
        there instead (nobody waiting for it), or goes ahead flagged as wanting it. Returns (target, wanted or -1)."""
        p = self.inp.step_down_placement[d]
        if p <= 0.0 or target in CAPPED:  # only from an uncapped fallback: never special -> srp
            return target, -1
        fallback, cap = self.inp.fallback[d], self.inp.place_capacity[d]
        for s in CAPPED:  # (a child leaving `s` for its fallback, e.g. a placement breaking down, is not turned back)
            if fallback[s] == target and self.people.setting[pid] != s:
                if self.draws.uniform("step_down", PLACEMENT_SLOT + self.reviews.n_reviews[pid], pid) >= p:
                    return target, -1
                if self.people.count[s] < cap[s] and not self._has_waiters(s):
                    self.rec.f_stepped_down[self.month_of[d]] += 1
                    return s, -1
                return target, s
        return target, -1

    def _has_waiters(self, s: int) -> bool:
        """Anyone still waiting for `s` (entries of children admitted, moved or ended are dropped)."""
        q = self.waiting[s]
        active, wait_for = self.people.active, self.people.wait_for
        while q and (not active[q[0]] or wait_for[q[0]] != s):
            q.popleft()
        return bool(q)

    def step_downs_at_transfer(self, d: int) -> None:
        """1 September, after the transfers and any new places: flagged children reaching a phase transfer."""
        wants = self.wants
        if not wants:
            return
        p = self.inp.step_down_transfer[d]
        if p <= 0.0:
            return
        year, transfer_at, cohort = self.year_of[d], self.inp.transfer_at_age, self.people.cohort
        m = self.month_of[d]
        for pid in [pid for pid in wants if cohort[pid] + year in transfer_at]:
            if pid in wants and self.people.active[pid]:
                self.step_down(pid, float(d), d, m, p, TRANSFER_SLOT + cohort[pid] + year)

    def flag_start_wants(self, pids: range) -> None:
        """Census plans in a capped setting's fallback that want it (placement.start_wants_share), by a draw each."""
        inp = self.inp
        shares = {inp.fallback[0][s]: (s, inp.start_wants_share[s]) for s in CAPPED
                  if inp.start_wants_share[s] > 0 and inp.fallback[0][s] >= 0}
        if not shares:
            return
        u = self.draws.uniforms("start_wants", 0, ("census",))
        for pid in pids:
            hit = shares.get(self.people.setting[pid])
            if hit is not None and u[pid] < hit[1]:
                self.wants[pid] = hit[0]

    def observe_places(self, month: int) -> None:
        """Occupancy and the flagged children of each capped setting at the start of the month."""
        rec = self.rec
        wanting = [0] * N_SETTINGS
        for s in self.wants.values():
            wanting[s] += 1
        for s in CAPPED:
            name = SETTINGS[s]
            rec.level(f"occupied_{name}", month, self.people.count[s])
            rec.level(f"wanting_{name}", month, wanting[s])
