"""The scenario compiled into per-day lookup tables, once, before a replication runs.

The engine never reads the scenario while it runs: each dated parameter becomes a Python list indexed by day
(days 0..n_days, one spare), holding the value in force that day. Structured values (shares by setting,
probabilities by age band) are built once per period in which none of their inputs changes, and the same
object is shared by every day of the period. Everything is read through `scenario.series(path)`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..domain import AGE_BANDS, AGES, CAPPED_SETTINGS, MONTHS, PHASE_TRANSFERS, SETTINGS
from ..scenario.dated import Series
from ..scenario.model import Scenario
from .calendar import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR, Calendar

WAIT = -2
"""Fallback code: the child waits (in neet_awaiting) for a place in the full setting."""
NO_FALLBACK = -1

Moves = tuple[tuple[float, ...], tuple[int, ...]] | None
"""Cumulative probabilities and target settings for moves out of one setting (None: nobody moves)."""


@dataclass
class Inputs:
    """Everything a replication needs, as plain lists indexed by day (and band or setting)."""

    cal: Calendar
    # start state
    start_table: np.ndarray  # int [band, setting]
    age_profile: tuple[float, ...]
    open_requests: int
    open_assessments: int
    reviews_overdue_share: float
    # requests
    request_rate: np.ndarray  # expected requests per day, by day
    request_age_cum: list[np.ndarray]  # by day: cumulative shares over ages 0..25
    age_year_of_day: list[int]  # by request day: academic years begun by the date the drawn age applies to
    open_age_years: tuple[int, int]  # the same for the start's open requests and open assessments
    ages_at_plan: bool  # request_age_shares_at 'plan': a first plan's academic age is the drawn age on its own date
    # decision
    decide_days: list[float]
    decide_cv: list[float]
    refusal: list[tuple[float, ...]]  # by day, by band
    appeal_p: list[float]
    appeal_success_p: list[float]
    appeal_days: list[float]
    rerequest_p: list[float]
    rerequest_days: list[float]
    # assessment
    assess_capacity: list[int]  # assessments at once: (filled posts + surge officers) x assessments each
    assess_elastic: list[float]  # extra places per queued assessment (capacity_elasticity; 0 = fixed ceiling)
    officer_days: list[float]  # longest an assessment holds an officer's place (inf = all of it)
    assess_days: list[float]
    assess_cv: list[float]
    not_issue: list[tuple[float, ...]]
    # placement
    mix: list[tuple[tuple[tuple[float, ...], tuple[int, ...]], ...]]  # by day, by band: (cumulative, settings)
    place_capacity: list[tuple[float, ...]]  # by day, by setting (inf when not capped)
    fallback: list[tuple[int, ...]]  # by day, by setting: setting index, WAIT or NO_FALLBACK
    # capacity-responsive places (placement.py): days a child waits for a full setting, step-down chances
    max_wait_days: list[tuple[float, ...]]  # by day, by setting (0 = straight to the fallback)
    step_down_transfer: list[float]  # by day
    step_down_review: list[float]  # by day
    step_down_placement: list[float]  # by day
    start_wants_share: tuple[float, ...]  # by setting: census plans in its fallback that want it
    # annual reviews
    review_interval_days: list[tuple[float, ...]]  # by day, by band
    review_capacity_per_day: list[float]  # by day (inf = unlimited)
    review_cease: list[tuple[float, ...]]
    review_moves: list[tuple[Moves, ...]]  # by day, by from-setting
    review_cease_factor: list[tuple[float, ...]]  # by day, by setting: multiplier on review_cease
    review_team_per_day: list[float]  # by day: backlog-team reviews (overdue ones only; inf = unlimited)
    review_overdue_cease: list[tuple[float, ...]]  # by day, by band: cease probability of a backlog-team review
    # transitions
    move_away_hazard: list[float]  # cumulative hazard at the start of each day
    move_away_rate: list[float]  # per day
    move_in_rate: list[float]  # by day: plans arriving from other councils per day, per plan held
    plan_end_age: int
    transfer_at_age: dict[int, str]
    transfer_cease: dict[str, list[float]]
    transfer_moves: dict[str, list[tuple[Moves, ...]]]


def _segment_starts(cal: Calendar, series: Sequence[Series]) -> list[int]:
    days = {0}
    for s in series:
        for d in s.change_dates():
            k = cal.day_of(d)
            if 0 < k <= cal.n_days:
                days.add(k)
    return sorted(days)


def daily(cal: Calendar, series: Sequence[Series], build: Callable[[Any], Any]) -> list[Any]:
    """A list over days 0..n_days of build(date), evaluated once per period where no series changes."""
    starts = _segment_starts(cal, series)
    out: list[Any] = []
    for i, s0 in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else cal.n_days + 1
        obj = build(cal.date_of(s0))
        out.extend([obj] * (end - s0))
    return out


def compile_inputs(sc: Scenario) -> Inputs:
    """Build the per-day tables of one scenario (interventions applied)."""
    from .population import start_caseload

    cal = Calendar(sc.census_date, sc.end)
    S = sc.series

    def one(path: str, fn: Callable[[Any], Any] = float) -> list[Any]:
        ser = S(path)
        return daily(cal, [ser], lambda d: fn(ser.at(d)))

    def by_band(prefix: str, fn: Callable[[Any], Any] = float) -> list[tuple]:
        sers = [S(f"{prefix}.{b}") for b in AGE_BANDS]
        return daily(cal, sers, lambda d: tuple(fn(s.at(d)) for s in sers))

    # start state
    prior = np.array([[S(f"start_state.caseload_prior.{b}.{s}").first for s in SETTINGS] for b in AGE_BANDS])
    table = start_caseload(
        prior,
        [S(f"start_state.caseload_by_age_band.{b}").first for b in AGE_BANDS],
        [S(f"start_state.caseload_by_setting.{s}").first for s in SETTINGS],
    )
    profile = tuple(float(S(f"start_state.age_profile.{a}").first) for a in AGES)

    # requests: expected per day = population x rate / 10,000 per year x seasonality (mean 1)
    pop, rate = S("population.age_0_18"), S("demand.request_rate_per_10k_0_18")
    season = [S(f"demand.seasonality.{m}") for m in MONTHS]

    def season_norm(d: Any) -> tuple[float, ...]:
        w = [float(s.at(d)) for s in season]
        mean = sum(w) / 12.0
        return tuple(x / mean for x in w) if mean > 0 else (0.0,) * 12

    per_year = daily(cal, [pop, rate], lambda d: float(pop.at(d)) * float(rate.at(d)) / 10_000.0)
    norm = daily(cal, season, season_norm)
    months = [cal.month_starts[m].month - 1 for m in cal.month_of_day]
    request_rate = np.array([per_year[d] * norm[d][months[d]] / DAYS_PER_YEAR for d in range(cal.n_days + 1)])

    ages = [S(f"demand.request_age_shares.{a}") for a in AGES]

    def age_cum(d: Any) -> np.ndarray:
        w = np.array([float(s.at(d)) for s in ages])
        c = np.cumsum(w)
        return c / c[-1] if c[-1] > 0 else c

    request_age_cum = daily(cal, ages, age_cum)

    # the academic year a request's drawn age belongs to: the request's own ('request'), or that of its expected
    # plan date, request + the mean weeks to decide and to assess ('plan'), so that ages at plan follow the shares
    decide_wk, assess_wk = S("decision.weeks_to_decide"), S("assessment.weeks_to_assess")
    if S("demand.request_age_shares_at").first == "plan":
        shift = daily(cal, [decide_wk, assess_wk], lambda d: (float(decide_wk.at(d)) + float(assess_wk.at(d)))
                      * DAYS_PER_WEEK)
    else:
        shift = [0.0] * (cal.n_days + 1)
    septembers = [*cal.september_days]
    for year in range(cal.end.year, cal.end.year + 4):  # Septembers after the run, for plan dates beyond its end
        sep = (dt.date(year, 9, 1) - cal.start).days
        if sep >= cal.n_days and (not septembers or sep > septembers[-1]):
            septembers.append(sep)
    age_year_of_day = [bisect.bisect_right(septembers, d + shift[d]) for d in range(cal.n_days + 1)]
    # open at the start: a request still has the whole assessment ahead, an assessment under way about its mean
    ahead = shift[0] - float(decide_wk.first) * DAYS_PER_WEEK if shift[0] else 0.0
    open_age_years = (age_year_of_day[0], bisect.bisect_right(septembers, ahead))

    # assessment capacity: (filled posts + surge officers) x assessments each, whole assessments; the elastic part
    # adds elasticity x (queued work in weeks / 10) x capacity = elasticity x weeks_to_assess / 10 places per queued
    # assessment, since the queued work is queue x weeks_to_assess / capacity weeks
    off, vac, per = S("assessment.officers_fte"), S("assessment.vacancy_rate"), S("assessment.assessments_per_officer")
    surge = S("assessment.surge_officers_fte")
    assess_capacity = daily(
        cal, [off, vac, per, surge],
        lambda d: int(math.floor((off.at(d) * (1.0 - vac.at(d)) + surge.at(d)) * per.at(d) + 1e-9)),
    )
    elasticity = S("assessment.capacity_elasticity")
    assess_elastic = daily(cal, [elasticity, assess_wk],
                           lambda d: float(elasticity.at(d)) * float(assess_wk.at(d)) / 10.0)

    # placement
    def mix_of(d: Any) -> tuple:
        out = []
        for b in AGE_BANDS:
            w = [float(S(f"placement.new_plan_mix.{b}.{s}").at(d)) for s in SETTINGS]
            out.append(_cumulative(w, normalise=True))
        return tuple(out)

    mix_series = [S(f"placement.new_plan_mix.{b}.{s}") for b in AGE_BANDS for s in SETTINGS]
    mix = daily(cal, mix_series, mix_of)
    cap_series = {s: S(f"placement.capacity.{s}") for s in CAPPED_SETTINGS}
    fb_series = {s: S(f"placement.fallback.{s}") for s in CAPPED_SETTINGS}

    def caps(d: Any) -> tuple[float, ...]:
        return tuple(float(cap_series[s].at(d)) if s in cap_series else math.inf for s in SETTINGS)

    def fallbacks(d: Any) -> tuple[int, ...]:
        out = []
        for s in SETTINGS:
            if s not in fb_series:
                out.append(NO_FALLBACK)
                continue
            v = fb_series[s].at(d)
            out.append(WAIT if v == "wait" else SETTINGS.index(v))
        return tuple(out)

    place_capacity = daily(cal, list(cap_series.values()), caps)
    fallback = daily(cal, list(fb_series.values()), fallbacks)
    wait_series = {s: S(f"placement.max_wait_weeks.{s}") for s in CAPPED_SETTINGS}
    max_wait_days = daily(cal, list(wait_series.values()), lambda d: tuple(
        float(wait_series[s].at(d)) * DAYS_PER_WEEK if s in wait_series else 0.0 for s in SETTINGS))
    start_wants_share = tuple(float(S(f"placement.start_wants_share.{s}").first) if s in CAPPED_SETTINGS else 0.0
                              for s in SETTINGS)

    # reviews
    rpm = S("annual_review.reviews_per_month")
    review_capacity_per_day = daily(cal, [rpm], lambda d: float(rpm.at(d)))
    review_capacity_per_day = [c / cal.days_in_month_of_day[i] for i, c in enumerate(review_capacity_per_day)]

    team = S("annual_review.backlog_team_reviews_per_month")
    review_team_per_day = daily(cal, [team], lambda d: float(team.at(d)))
    review_team_per_day = [c / cal.days_in_month_of_day[i] for i, c in enumerate(review_team_per_day)]
    factor_series = [S(f"annual_review.cease_setting_factor.{s}") for s in SETTINGS]
    review_cease_factor = daily(cal, factor_series, lambda d: tuple(float(f.at(d)) for f in factor_series))

    def moves_table(prefix: str) -> list[tuple[Moves, ...]]:
        sers = {(f, t): S(f"{prefix}.{f}.{t}") for f in SETTINGS for t in SETTINGS}

        def build(d: Any) -> tuple[Moves, ...]:
            out: list[Moves] = []
            for fi, f in enumerate(SETTINGS):
                probs = [(float(sers[(f, t)].at(d)), ti) for ti, t in enumerate(SETTINGS) if ti != fi]
                probs = [(p, ti) for p, ti in probs if p > 0]
                if not probs:
                    out.append(None)
                    continue
                cum, acc = [], 0.0
                for p, _ in probs:
                    acc += p
                    cum.append(acc)
                out.append((tuple(cum), tuple(ti for _, ti in probs)))
            return tuple(out)

        return daily(cal, list(sers.values()), build)

    # moving away: cumulative hazard by day, so a child's move date is one exponential draw
    mar = S("transitions.move_away_rate_per_year")
    move_rate = daily(cal, [mar], lambda d: float(mar.at(d)) / DAYS_PER_YEAR)
    hazard = [0.0]
    for d in range(cal.n_days):
        hazard.append(hazard[-1] + move_rate[d])

    mir = S("transitions.move_in_rate_per_year")
    move_in_rate = daily(cal, [mir], lambda d: float(mir.at(d)) / DAYS_PER_YEAR)

    transfer_cease: dict[str, list[float]] = {}
    transfer_moves: dict[str, list] = {}
    for name in PHASE_TRANSFERS:
        transfer_cease[name] = one(f"transitions.phase_transfer.{name}.cease_probability")
        transfer_moves[name] = moves_table(f"transitions.phase_transfer.{name}.moves")

    weeks = lambda v: float(v) * DAYS_PER_WEEK  # noqa: E731
    return Inputs(
        cal=cal,
        start_table=table,
        age_profile=profile,
        open_requests=int(round(S("start_state.open_requests").first)),
        open_assessments=int(round(S("start_state.open_assessments").first)),
        reviews_overdue_share=float(S("start_state.reviews_overdue_share").first),
        request_rate=request_rate,
        request_age_cum=request_age_cum,
        age_year_of_day=age_year_of_day,
        open_age_years=open_age_years,
        ages_at_plan=S("demand.request_age_shares_at").first == "plan",
        decide_days=one("decision.weeks_to_decide", weeks),
        decide_cv=one("decision.weeks_to_decide_cv"),
        refusal=by_band("decision.refusal_probability"),
        appeal_p=one("decision.appeal_probability"),
        appeal_success_p=one("decision.appeal_success_probability"),
        appeal_days=one("decision.weeks_to_appeal_outcome", weeks),
        rerequest_p=one("decision.rerequest_probability"),
        rerequest_days=one("decision.weeks_to_rerequest", weeks),
        assess_capacity=assess_capacity,
        assess_elastic=assess_elastic,
        officer_days=one("assessment.weeks_with_officer_max", lambda v: weeks(v) if v > 0 else math.inf),
        assess_days=one("assessment.weeks_to_assess", weeks),
        assess_cv=one("assessment.weeks_to_assess_cv"),
        not_issue=by_band("assessment.not_issue_probability"),
        mix=mix,
        place_capacity=place_capacity,
        fallback=fallback,
        max_wait_days=max_wait_days,
        step_down_transfer=one("placement.step_down_probability.phase_transfer"),
        step_down_review=one("placement.step_down_probability.review"),
        step_down_placement=one("placement.step_down_probability.placement"),
        start_wants_share=start_wants_share,
        review_interval_days=by_band("annual_review.interval_months", lambda v: float(v) * DAYS_PER_MONTH),
        review_capacity_per_day=review_capacity_per_day,
        review_cease=by_band("annual_review.cease_probability"),
        review_moves=moves_table("annual_review.moves"),
        review_cease_factor=review_cease_factor,
        review_team_per_day=review_team_per_day,
        review_overdue_cease=by_band("annual_review.overdue_cease_probability"),
        move_away_hazard=hazard,
        move_away_rate=move_rate,
        move_in_rate=move_in_rate,
        plan_end_age=int(S("transitions.plan_end_age").first),
        transfer_at_age={age: name for name, age in PHASE_TRANSFERS.items()},
        transfer_cease=transfer_cease,
        transfer_moves=transfer_moves,
    )


def _cumulative(weights: Sequence[float], normalise: bool) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Cumulative shares of the positive weights and their indices, for a bisect on a uniform draw."""
    items = [(w, i) for i, w in enumerate(weights) if w > 0]
    total = sum(w for w, _ in items)
    cum, acc = [], 0.0
    for w, _ in items:
        acc += w
        cum.append(acc / total if normalise and total > 0 else acc)
    if normalise and cum:
        cum[-1] = 1.0
    return tuple(cum), tuple(i for _, i in items)


def pick(cum: tuple[float, ...], targets: tuple[int, ...], u: float) -> int:
    """The target whose cumulative interval holds u, or -1 when u is beyond the total (nobody moves)."""
    k = bisect.bisect_right(cum, u)
    return targets[k] if k < len(targets) else -1


__all__ = ["Inputs", "NO_FALLBACK", "WAIT", "compile_inputs", "daily", "pick"]
