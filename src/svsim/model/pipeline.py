"""Requests to plans: the decision whether to assess, appeals and repeat requests, and the officers' queue.

Assessments are limited by staff: at most `assessment capacity` run at once (filled posts x assessments each,
dated). Requests that find every place taken wait first come first served; when the capacity falls, running
assessments finish and no new one starts until the number running is below it.
"""

from __future__ import annotations

from heapq import heappush

from ..domain import AGE_BAND_OF_AGE
from .calendar import DAYS_PER_WEEK
from .state import MAX_AGE, State


class Pipeline(State):
    """Event handlers from a request to an assessment's outcome."""

    def _request(self, pid: int, t: float, kind: str) -> None:
        d = int(t)
        self.rec.f_requests[self.month_of[d]] += 1
        self.open_requests += 1
        self.request_t[pid] = t
        inp = self.inp
        if self.rec.events is not None:
            self.rec.events.append((t, "request", pid, kind))
        when = self.now + self.s_decision_time.duration(inp.decide_days[d], inp.decide_cv[d])  # self._at, inline
        if when < self.n_days:
            self.seq += 1
            heappush(self.heap, (when, self.seq, self._decide, pid))

    def _decide(self, pid: int) -> None:
        self.n_events += 1
        t = self.now
        d = int(t)
        m = self.month_of[d]
        inp, rec = self.inp, self.rec
        self.open_requests -= 1
        age = self.cohort[pid] + self.year_of[d]
        b = AGE_BAND_OF_AGE[0 if age < 0 else (MAX_AGE if age > MAX_AGE else age)]  # band_of(age), inline
        if self.s_decision.uniform() >= inp.refusal[d][b]:
            rec.f_decisions_to_assess[m] += 1
            if rec.events is not None:
                rec.events.append((t, "decision", pid, "assess"))
            self._join_assessment(pid, t)
            return
        rec.f_refusals[m] += 1
        if rec.events is not None:
            rec.events.append((t, "decision", pid, "refuse"))
        appeal, success = self.s_appeal.uniform(), self.s_appeal.uniform()
        if appeal < inp.appeal_p[d]:
            rec.f_appeals[m] += 1
            if success < inp.appeal_success_p[d]:
                self._at(inp.appeal_days[d], self._appeal_won, pid)
                return
        if self.s_rerequest.uniform() < inp.rerequest_p[d]:
            self._at(self.s_rerequest_time.exponential() * inp.rerequest_days[d], self._rerequest, pid)

    def _appeal_won(self, pid: int) -> None:
        self.n_events += 1
        t = self.now
        self.rec.f_appeals_won[self.month_of[int(t)]] += 1
        if self.rec.events is not None:
            self.rec.events.append((t, "appeal_won", pid, ""))
        self._join_assessment(pid, t)

    def _rerequest(self, pid: int) -> None:
        self.n_events += 1
        self._request(pid, self.now, "rerequest")

    # ---- assessments: c officers' places, first come first served ---------------------------------------------
    def _join_assessment(self, pid: int, t: float) -> None:
        if self.in_assessment < self.inp.assess_capacity[int(t)]:
            self._start_assessment(pid, t, t)
        else:
            self.queued_t[pid] = t
            self.assess_queue.append(pid)

    def _start_assessment(self, pid: int, t: float, queued: float) -> None:
        d = int(t)
        inp, rec = self.inp, self.rec
        self.in_assessment += 1
        rec.f_assessments_started[self.month_of[d]] += 1
        rec.w_assessment_queue.append((t - queued) / DAYS_PER_WEEK)
        if rec.events is not None:
            rec.events.append((t, "assessment_start", pid, ""))
        when = self.now + self.s_assess_time.duration(inp.assess_days[d], inp.assess_cv[d])  # self._at, inline
        if when < self.n_days:
            self.seq += 1
            heappush(self.heap, (when, self.seq, self._complete_assessment, pid))

    def _pull_assessments(self, t: float) -> None:
        cap = self.inp.assess_capacity[int(t)]
        q = self.assess_queue
        while q and self.in_assessment < cap:
            pid = q.popleft()
            self._start_assessment(pid, t, self.queued_t[pid])

    def _complete_assessment(self, pid: int) -> None:
        self.n_events += 1
        t = self.now
        d = int(t)
        m = self.month_of[d]
        rec = self.rec
        self.in_assessment -= 1
        rec.f_assessments_completed[m] += 1
        age = self.cohort[pid] + self.year_of[d]
        b = AGE_BAND_OF_AGE[0 if age < 0 else (MAX_AGE if age > MAX_AGE else age)]  # band_of(age), inline
        if self.s_not_issue.uniform() < self.inp.not_issue[d][b] or age > self.inp.plan_end_age:
            rec.f_not_issued[m] += 1
            if rec.events is not None:
                rec.events.append((t, "not_issued", pid, ""))
        else:
            self._issue_plan(pid, t, d, m, b)
        if self.assess_queue:
            self._pull_assessments(t)

    def _assessment_capacity_up(self, day: int) -> None:
        self._pull_assessments(day)
