"""Scenarios built from published DfE statistics: the back-test start (`backtest_overlay`) and, for `svsim init`,
a starting scenario for any council (svsim.scenario.init).

A back-test scenario is an `extends:` overlay of a base scenario that moves the start to an earlier January
census (the cut-off) and replaces every input that describes the council's recent past with a figure published
before the cut-off: the census at the cut-off, and flows from the calendar year before it. Each replaced input's
source names the figure. Everything else is inherited from the base; `leaks()` lists the inherited inputs whose
source cites data from the cut-off year or later, so a reader can see what the back-test still knows of the future.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..data.dfe import Observed
from ..domain import AGE_BANDS, SETTINGS, ages_in_band
from .model import Scenario

POPULATION_GROWTH = 0.005
"""The base scenario's assumed yearly growth of the 0-18 population, used to extend its series backwards."""
REQUEST_GROWTH_BOUNDS = (0.0, 0.15)
GROWTH_YEARS = 4
"""Calendar years of requests (to the flows year) whose log-linear least-squares slope gives the request growth:
the same window as the back-test's linear-trend baseline."""
FIRST_COMPARABLE_YEAR = 2018
"""Request counts before 2018 are left out of the growth: the transition from statements to EHC plans ended in
March 2018, and counts during it are not comparable (Kent's doubled from 2016 to 2017 and fell back in 2018)."""


def request_growth(requests: dict[int, float], last: int) -> tuple[float, str]:
    """Yearly growth of requests and how it was found: the least-squares slope of log requests over the comparable
    years in the GROWTH_YEARS to `last` (every point counts, so one unusual year moves it less than a ratio of two
    end years), bounded to REQUEST_GROWTH_BOUNDS; 5% (an assumption) with fewer than two such years."""
    import numpy as np

    years = [y for y in range(max(last - GROWTH_YEARS + 1, FIRST_COMPARABLE_YEAR), last + 1) if requests.get(y)]
    lo, hi = REQUEST_GROWTH_BOUNDS
    if len(years) < 2:
        return 0.05, "assumption: 5% a year (fewer than two comparable years of requests)"
    slope = float(np.polyfit(years, np.log([requests[y] for y in years]), 1)[0])
    growth = min(max(float(np.expm1(slope)), lo), hi)
    return growth, (f"the council's own trend of requests {years[0]}-{years[-1]} (least-squares line through their "
                    f"logarithms; from {FIRST_COMPARABLE_YEAR}, after the transition from statements; bounded to "
                    f"{lo:.0%}-{hi:.0%})")
SPECIAL_HEADROOM = 1.10
"""assumption: special-school places at the cut-off = 110% of the special roll then (special schools ran near
full, Report, condition 7; the base's own ceiling is set from a later census, so it cannot be used)."""
SRP_HEADROOM = 1.15
"""As the base scenario: SRP places about 115% of the roll at the start."""
WEEKS_TO_DECIDE, WEEKS_DECISION_TO_OUTCOME = 6.0, 18.0
"""The base scenario's rules for open requests and open assessments at the census (Little's law)."""


def third_thursday_of_january(year: int) -> dt.date:
    """SEN2 census day: the third Thursday of January (20 January 2022, 21 January 2021)."""
    first = dt.date(year, 1, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 14)


def _sourced(value: Any, source: str) -> dict[str, Any]:
    return {"value": value, "source": source}


def _need(table: dict, key: int, what: str) -> Any:
    if key not in table:
        raise ValueError(f"the observed data have no {what} for {key}")
    return table[key]


def rake(prior: dict[str, dict[str, float]], rows: dict[str, float], cols: dict[str, float],
         iterations: int = 200) -> dict[str, dict[str, float]]:
    """Iterative proportional fitting of a [row][col] prior to row and column totals (zero cells stay zero)."""
    m = {r: dict(c) for r, c in prior.items()}
    for _ in range(iterations):
        for r, target in rows.items():
            s = sum(m[r].values())
            if s > 0:
                m[r] = {c: v * target / s for c, v in m[r].items()}
        for c, target in cols.items():
            s = sum(m[r][c] for r in m)
            if s > 0:
                for r in m:
                    m[r][c] *= target / s
    return m


def _shares(row: dict[str, float]) -> dict[str, float]:
    """Shares rounded to 4 dp that sum to exactly 1 (the largest absorbs the rounding)."""
    total = sum(row.values())
    q = {k: round(v / total, 4) for k, v in row.items()}
    big = max(q, key=lambda k: q[k])
    q[big] = round(q[big] + 1.0 - sum(q.values()), 4)
    return q


def new_plan_mix(base: Scenario, by_setting: dict[str, float], by_band: dict[str, float],
                 when: str) -> dict[str, dict[str, float]]:
    """The base's placement mix by age band (a structural prior) raked to one year's new plans by setting and band."""
    prior = {b: {s: float(base.value(f"placement.new_plan_mix.{b}.{s}")) * by_band[b] for s in SETTINGS}
             for b in AGE_BANDS}
    fitted = rake(prior, by_band, by_setting)
    return {b: _shares(fitted[b]) if sum(fitted[b].values()) > 0 else
            {s: float(base.value(f"placement.new_plan_mix.{b}.{s}")) for s in SETTINGS} for b in AGE_BANDS}


def request_age_shares(base: Scenario, by_band: dict[str, float]) -> dict[int, float]:
    """The base's single-year request shares, rescaled so each band's total follows `by_band` (new plans by band)."""
    shares = {a: float(base.value(f"demand.request_age_shares.{a}")) for a in range(26)}
    total = sum(by_band.values())
    out = {}
    for band in AGE_BANDS:
        ages = ages_in_band(band)
        inside = sum(shares[a] for a in ages)
        for a in ages:
            out[a] = shares[a] / inside * by_band[band] / total if inside > 0 else 0.0
    s = sum(out.values())
    out = {a: round(v / s, 4) for a, v in out.items()}
    big = max(out, key=lambda a: out[a])
    out[big] = round(out[big] + 1.0 - sum(out.values()), 4)
    return out


def backtest_overlay(base: Scenario, base_path: Path, observed: Observed, cutoff: int,
                     overlay_dir: Path, end: dt.date | None = None, flows_year: int | None = None,
                     observed_until: dt.date | None = None) -> dict[str, Any]:
    """The overlay (a scenario tree) that starts `base` at the January `cutoff` census with inputs published before it.

    Census at the cut-off: caseload by age band and by setting. Flows from calendar year cutoff-1: request rate,
    refusal and not-issue probabilities, placement mix of new plans (raked), request ages, open requests and
    assessments. Request growth: the council's own trend of requests (request_growth). Places: from the
    cut-off roll. Interventions (all dated after the back-test's comparison years) are removed. With `end` the
    horizon stops there: the base's dated values after it are dropped and its targets kept only inside it.

    For a calibration (svsim.experiment.calibrate) the flows can come from a later calendar year that is still
    inside the observed window (`flows_year`, e.g. the cut-off year itself), and `observed_until` (the last census
    of the window) moves `horizon.last_observed`, so that no forecast-uncertainty draw acts on observed years.
    """
    la = observed.la_name
    prev = cutoff - 1 if flows_year is None else flows_year
    census = third_thursday_of_january(cutoff)
    bands = _need(observed.census_age_bands, cutoff, "January census by age band")
    settings = _need(observed.census_settings, cutoff, "January census by setting")
    flows = observed.flows
    requests = _need(flows.get("requests", {}), prev, "requests")
    refusals = _need(flows.get("refusals", {}), prev, "refusals")
    completed = _need(flows.get("assessments_completed", {}), prev, "assessments completed")
    not_issued = _need(flows.get("assessments_not_issued", {}), prev, "assessments not issued")
    growth, growth_source = request_growth(flows["requests"], prev)

    pop = base.series("population.age_0_18")
    first_date, first_value = pop.dates[0], pop.values[0]
    end = min(end or base.end, base.end)
    last_year = end.year + 1
    pop_dates = [census] + [dt.date(y, 1, 1) for y in range(cutoff + 1, last_year)]
    pop_values = {}
    for d in pop_dates:
        if d >= first_date:
            pop_values[d] = float(pop.at(d))
        else:
            pop_values[d] = round(first_value / (1 + POPULATION_GROWTH) ** (first_date.year - d.year))
    population_prev = first_value / (1 + POPULATION_GROWTH) ** (first_date.year - prev)
    rerequest = float(base.value("decision.rerequest_probability"))
    appeal_won = float(base.value("decision.appeal_probability")) * float(
        base.value("decision.appeal_success_probability"))
    first_requests = requests - refusals * (1 - appeal_won) * rerequest
    rate = first_requests / population_prev * 10_000
    rate_dates = [census] + [dt.date(y, 1, 1) for y in range(cutoff + 1, last_year)]
    rates = {d: round(rate * (1 + growth) ** (d.year - prev), 1) for d in rate_dates}

    new_by_setting = _need(observed.new_plans_settings, prev, "new plans by setting")
    new_by_band = observed.new_plans_age_bands.get(prev)
    band_source = f"DfE sen2_age_new_plans.csv {prev}"
    if new_by_band is None:  # the 2023+ release has no age bands for councils: keep the base's band split
        total = sum(new_by_setting.values())
        base_shares = {b: sum(float(base.value(f"demand.request_age_shares.{a}")) for a in ages_in_band(b))
                       for b in AGE_BANDS}
        new_by_band = {b: total * base_shares[b] for b in AGE_BANDS}
        band_source = "the base scenario's request ages (no published age split of new plans for that year)"
    mix = new_plan_mix(base, new_by_setting, new_by_band, str(prev))
    ages = request_age_shares(base, new_by_band)

    rel_base = Path(_relpath(base_path, overlay_dir))
    names = [iv.name for iv in base.interventions]
    src = f"DfE ({la})"
    overlay: dict[str, Any] = {
        "extends": str(rel_base),
        "name": f"{base.name}-backtest-from-{cutoff}",
        "title": f"{base.title}: back-test from the January {cutoff} census",
        "council": base.council,
        "description": (
            f"Back-test of {base.name}: starts at the January {cutoff} census with the council's recent past set "
            f"only from DfE figures published for January {cutoff} and calendar {prev}; built by svsim backtest. "
            "Money inputs are the base's and are not compared."
        ),
        "horizon": {"start": dt.date(cutoff, 4, 1), "end": end, "last_observed": _sourced(
            census, f"the cut-off: the January {cutoff} census (flows are known to December {prev}); uncertainty "
                    "draws act on everything after it") if observed_until is None else _sourced(
            observed_until, f"the calibration's window is observed to the census of {observed_until} (flows from "
                            f"January {cutoff}): no forecast-uncertainty draw acts inside it")},
        "start_state": {
            "census_date": census,
            "caseload_by_age_band": _sourced({b: int(bands[b]) for b in AGE_BANDS},
                                             f"{src} January {cutoff} census by age band (sen2_age_caseload.csv)"),
            "caseload_by_setting": _sourced({s: int(settings[s]) for s in SETTINGS},
                                            f"{src} January {cutoff} census by setting, mapped by svsim.data.groups"),
            **open_cases(base, observed, prev, src),
        },
        "population": {"age_0_18": _sourced(
            pop_values, f"the base's series, extended back before {first_date} at its assumed "
                        f"{POPULATION_GROWTH:.1%} a year")},
        "demand": {
            "request_rate_per_10k_0_18": _sourced(
                rates, f"derived: {int(requests)} requests in {prev} ({src}) less about "
                       f"{requests - first_requests:.0f} repeat requests (the base's re-request rule) per 10,000 "
                       f"residents aged 0-18 = {rate:.1f}; grown {growth:+.1%} a year, {growth_source}"),
            "request_age_shares": _sourced(ages, f"the base's single-year shares rescaled within age bands to new "
                                                 f"plans by age band in {prev} ({band_source})"),
        },
        "decision": {"refusal_probability": _sourced(
            {b: round(refusals / requests, 4) for b in AGE_BANDS},
            f"{src} requests {prev}: {int(refusals)} decided not to assess of {int(requests)}")},
        "assessment": {
            "not_issue_probability": _sourced(
                {b: round(not_issued / completed, 4) for b in AGE_BANDS},
                f"{src} {prev}: {int(not_issued)} of {int(completed)} assessments did not lead to a plan"),
            "vacancy_rate": _sourced(float(base.series("assessment.vacancy_rate").values[0]),
                                     "the base's first value (its later change is after the cut-off); the "
                                     "capacity follows the flows year's assessments (officers_fte)"),
        },
        "placement": {
            "new_plan_mix": _sourced(mix, f"the base's age x setting pattern (a structural prior) raked by iterative "
                                          f"proportional fitting to {src} new plans by setting in {prev} "
                                          f"(newplans.csv) and by age band ({band_source})"),
            "capacity": {
                "special": _sourced(round(settings["special"] * SPECIAL_HEADROOM),
                                    f"assumption: {SPECIAL_HEADROOM:.0%} of the January {cutoff} special roll "
                                    f"({int(settings['special'])}, {src})"),
                "srp": _sourced(round(settings["srp"] * SRP_HEADROOM),
                                f"assumption as the base: {SRP_HEADROOM:.0%} of the January {cutoff} SRP roll "
                                f"({int(settings['srp'])}, {src})"),
            },
        },
        "remove_interventions": names,
    }
    moved, before = flows.get("transfers_out", {}).get(prev), observed.census_total.get(prev)
    if moved is not None and before:
        overlay["transitions"] = {"move_away_rate_per_year": _sourced(
            round(moved / before, 4),
            f"{src} {prev}: {int(moved)} plans ended on transfer to another council (sen2_mi.csv DisleaEHC or "
            f"ceased_plans.csv) of {int(before)} in January {prev}")}
    if "transitions.move_in_rate_per_year" in base.base_params:
        moving_in = move_in_rate(observed, cutoff, src)
        if moving_in is not None:
            overlay.setdefault("transitions", {})["move_in_rate_per_year"] = moving_in
    _scale_capacities(base, observed, overlay, cutoff, prev, src, {d: (1 + growth) ** (d.year - prev)
                                                                 for d in rate_dates})
    if not names:
        overlay.pop("remove_interventions")
    if end < base.end:
        _trim(base, overlay, end)
    return overlay


def open_cases(base: Scenario, observed: Observed, prev: int, src: str) -> dict[str, Any]:
    """Requests and assessments open at the start, as the base's open cases per request and per completed assessment
    (its Little's-law rules, whatever its durations) times the flows year's requests and completed assessments.

    The base's ratios are taken against its own year's flows (the latest published up to its census); without
    them, 6 and 18 weeks (WEEKS_TO_DECIDE, WEEKS_DECISION_TO_OUTCOME)."""
    flows = observed.flows
    base_year = base.value("start_state.census_date").year
    out = {}
    for key, measure, weeks, what in (("open_requests", "requests", WEEKS_TO_DECIDE, "requests"),
                                      ("open_assessments", "assessments_completed", WEEKS_DECISION_TO_OUTCOME,
                                       "assessments completed")):
        series = flows.get(measure, {})
        now = series[prev]
        ref = max((y for y in series if y <= base_year and series[y]), default=None)
        if ref is not None and f"start_state.{key}" in base.base_params:
            open_base = float(base.series(f"start_state.{key}").first)
            out[key] = _sourced(round(open_base * now / series[ref]), (
                f"derived: the base's {open_base:g} open x {int(now)} / {int(series[ref])} {what} in {prev} / {ref} "
                f"({src}): the base's open cases per case (its Little's-law rule) at the flows year's workload"))
        else:
            out[key] = _sourced(round(now * weeks / 52), f"derived: {int(now)} {what} in {prev} ({src}) x "
                                                          f"{weeks:g} / 52 weeks")
    return out


def move_in_rate(observed: Observed, cutoff: int, src: str) -> dict[str, Any] | None:
    """Plans arriving from other councils a year per plan, from the residuals of DfE's stock-and-flow arithmetic
    (next January = January + new plans - ceased + arrivals) over the years whose next census is by `cutoff`, from
    2019: the base's own rule (tools/derive_kent_inputs.py section f, which starts in 2019; Kent's 2018 census is of
    low quality, data/dfe/SOURCES.md) on the years before the cut-off."""
    total, flows = observed.census_total, observed.flows
    years = [y for y in range(max(cutoff - 4, FIRST_COMPARABLE_YEAR + 1), cutoff) if all(
        v is not None for v in (total.get(y), total.get(y + 1), flows.get("new_plans", {}).get(y),
                                flows.get("ceased", {}).get(y)))]
    if not years:
        return None
    residuals = {y: total[y + 1] - total[y] - flows["new_plans"][y] + flows["ceased"][y] for y in years}
    rate = max(sum(residuals.values()), 0.0) / sum(total[y] for y in years)
    shown = ", ".join(f"{r:+.0f} in {y}" for y, r in residuals.items())
    return _sourced(round(rate, 4), (
        f"derived: DfE's stock-and-flow residuals ({src}: next January - January - new plans + ceased) {shown}, over "
        f"the January caseloads of {years[0]}-{years[-1]}: the base's rule on the years before the cut-off"))


def _scale_capacities(base: Scenario, observed: Observed, overlay: dict[str, Any], cutoff: int, prev: int,
                      src: str, demand_growth: dict[dt.date, float]) -> None:
    """Staff capacities at the cut-off's workload: the base's capacity-to-workload ratio, the workload from before it.

    The base sets its case officers against its own year's assessments and its review capacity against its own
    caseload (figures from after a back-test's cut-off), so both are scaled: officers by the assessments completed
    in the flows year over those of the base's year (the latest published up to its census), then grown with the
    request rate (`demand_growth`: date -> factor on the flows year), so the service keeps the pace with demand
    it had before the cut-off; reviews a month by the caseload at the cut-off over the base's census caseload.
    Each only if the base has the parameter."""
    base_year = base.value("start_state.census_date").year
    done = observed.flows.get("assessments_completed", {})
    ref = max((y for y in done if y <= base_year and done[y]), default=None)
    if "assessment.officers_fte" in base.base_params and ref is not None and done.get(prev):
        officers = float(base.series("assessment.officers_fte").first)
        ratio = done[prev] / done[ref]
        overlay["assessment"]["officers_fte"] = _sourced(
            {d: round(officers * ratio * f, 1) for d, f in demand_growth.items()}, (
                f"derived: the base's {officers:g} officers x {int(done[prev])} / {int(done[ref])} assessments "
                f"completed in {prev} / {ref} ({src}): the base's officers per assessment at the workload before the "
                f"cut-off; then grown as the request rate, since before the cut-off the council kept pace with "
                f"demand (assessments completed against requests less refusals, {prev - 2}-{prev}: "
                f"{_pace(observed, prev)})"))
    total = observed.census_total
    if "annual_review.reviews_per_month" in base.base_params and total.get(base_year) and total.get(cutoff):
        reviews = float(base.series("annual_review.reviews_per_month").first)
        overlay.setdefault("annual_review", {})["reviews_per_month"] = _sourced(
            round(reviews * total[cutoff] / total[base_year]), (
                f"derived: the base's {reviews:g} reviews a month x {int(total[cutoff])} / {int(total[base_year])} "
                f"plans in January {cutoff} / {base_year} ({src}): the base's review capacity per plan at the "
                "cut-off's caseload"))


def _pace(observed: Observed, prev: int) -> str:
    """'2060/1801, 2394/2165, 2343/2433': completed over decided-to-assess in the three years to `prev`."""
    f = observed.flows
    out = []
    for y in range(prev - 2, prev + 1):
        done, asked, refused = (f.get(m, {}).get(y) for m in ("assessments_completed", "requests", "refusals"))
        if done and asked and refused is not None:
            out.append(f"{int(done)}/{int(asked - refused)}")
    return ", ".join(out) or "not published"


def _set_path(tree: dict[str, Any], path: str, value: Any) -> bool:
    """Put `value` at a dotted path unless the overlay already sets it or a parent of it; True if put."""
    keys = path.split(".")
    node = tree
    for k in keys[:-1]:
        child = node.setdefault(k, {})
        if not isinstance(child, dict) or "value" in child:
            return False
        node = child
    if keys[-1] in node:
        return False
    node[keys[-1]] = value
    return True


def _trim(base: Scenario, overlay: dict[str, Any], end: dt.date) -> None:
    """Drop the base's dated values after `end` and its targets outside the shorter horizon."""
    from .dated import Series

    for path, series in base.base_params.items():
        late = [d for d in series.change_dates() if d > end]
        if not late:
            continue
        kept = [(d, v) for d, v in zip(series.dates, series.values, strict=True) if d <= end]
        trimmed = Series.from_pairs(kept) if kept else Series.constant(series.first)
        _set_path(overlay, path, {"value": trimmed.to_yaml(),
                                  "source": f"the base's values up to {end} (the back-test's horizon)"})
    start_fy, last_fy = overlay["horizon"]["start"].year, end.year - 1
    t = base.targets
    targets: dict[str, Any] = {
        "sv_profile_gbp_m": {f"{y}-{(y + 1) % 100:02d}": v for y, v in t.sv_profile_gbp_m.items()
                             if start_fy <= y <= last_fy},
        "ehcp_plan_by_age_band": {y: dict(v) for y, v in t.ehcp_plan_by_age_band.items() if y <= end.year},
        "kpis": {k: {f"{y}-{(y + 1) % 100:02d}": v for y, v in row.items() if start_fy <= y <= last_fy}
                 for k, row in t.kpis.items()},
    }
    why = f"the base's targets inside the back-test's horizon (to {end})"
    overlay["targets"] = {k: {"value": v, "source": why} for k, v in targets.items() if k != "kpis"}
    overlay["targets"]["kpis"] = {k: {"value": v, "source": why} for k, v in targets["kpis"].items()}


REPLACED_PREFIXES = (
    "horizon.", "start_state.census_date", "start_state.caseload_by_age_band", "start_state.caseload_by_setting",
    "start_state.open_requests", "start_state.open_assessments", "population.", "demand.request_rate_per_10k_0_18",
    "demand.request_age_shares", "decision.refusal_probability", "assessment.not_issue_probability",
    "assessment.vacancy_rate", "placement.new_plan_mix", "placement.capacity.", "transitions.move_away_rate_per_year",
    "assessment.officers_fte", "annual_review.reviews_per_month", "transitions.move_in_rate_per_year",
)


MONEY_PREFIXES = ("costs.", "income.", "deficit.", "rag.")


def _cited_years(source: str, report_year: int | None) -> list[int]:
    """The years a source cites; svsim calibrate's own sources cite the last flow year fitted to, and 'the Report'
    (a council's monitoring report, the base's last observed date) its year."""
    fitted = re.match(r"calibrated to .*? up to (\d{4})", source)
    if fitted:  # fitted to censuses up to that January, flows to the year before
        return [int(fitted.group(1)) - 1]
    years = [int(y) for y in re.findall(r"(?<!\d)(20[0-3]\d)(?!\d)", source)]
    if report_year is not None and re.search(r"\bReport\b", source):
        years.append(report_year)
    return years


def _report_year(base: Scenario) -> int | None:
    try:
        return base.value("horizon.last_observed").year
    except (KeyError, AttributeError):
        return None


def leaks(base: Scenario, cutoff: int) -> list[tuple[str, str]]:
    """Inherited inputs whose source cites a year from `cutoff` on: what the back-test still knows of its future.

    (path, source) for each such parameter, grouped by source (one entry per distinct source text)."""
    seen: dict[str, str] = {}
    report_year = _report_year(base)
    for path, source in base.sources.items():
        if path.startswith(REPLACED_PREFIXES) or path.startswith(MONEY_PREFIXES):
            continue
        if any(y >= cutoff for y in _cited_years(source, report_year)) and source not in seen.values():
            seen[path] = source
    return sorted(seen.items())


def extends_chain(path: Path) -> list[Path]:
    """A scenario file and the files it extends, nearest first (where a value's citation can be looked up)."""
    import yaml

    chain = [Path(path)]
    while True:
        parent = (yaml.safe_load(chain[-1].read_text(encoding="utf-8")) or {}).get("extends")
        if not parent:
            return chain
        chain.append(chain[-1].resolve().parent / parent)


def provenance(scenario: Scenario, cutoff: int, report_year: int | None = None,
               chain: Sequence[Scenario] = ()) -> list[dict[str, Any]]:
    """Every input of a back-test scenario and where its value comes from, one row per distinct source.

    `origin`: 'published before the cut-off' (set by the back-test from the DfE figures), 'calibrated before the
    cut-off' (svsim calibrate, on data before it), 'cites the cut-off year or later' (a leak: what the back-test
    still knows of its future), 'assumption' (its source cites no later data), 'money (not compared)' and
    'default' (no source: the schema's default, e.g. the zero moves of a move table). A value whose block an
    overlay overrode in part loses its citation; it is looked up along `chain` (the files the scenario was built
    from, nearest first: svsim.scenario.observed.extends_chain)."""
    groups: dict[str, dict[str, Any]] = {}
    for path in scenario.base_params:
        source = scenario.sources.get(path, "")
        for other in chain if not source else ():
            if other.sources.get(path):
                source = other.sources[path]
                break
        if path.startswith(MONEY_PREFIXES):
            origin = "money (not compared)"
        elif not source:
            origin = "default"
        elif source.startswith("calibrated to "):
            origin = ("calibrated before the cut-off" if all(y < cutoff for y in _cited_years(source, None))
                      else "cites the cut-off year or later")
        elif path.startswith(REPLACED_PREFIXES):
            origin = "published before the cut-off"
        elif any(y >= cutoff for y in _cited_years(source, report_year)):
            origin = "cites the cut-off year or later"
        else:
            origin = "assumption"
        key = f"{origin}|{source}"
        if key not in groups:
            groups[key] = {"origin": origin, "parameters": [], "source": " ".join(source.split())}
        groups[key]["parameters"].append(path)
    rows = []
    for g in groups.values():
        ps = g["parameters"]
        rows.append({"origin": g["origin"], "parameter": ps[0] if len(ps) == 1 else _common(ps),
                     "n_parameters": len(ps), "source": g["source"]})
    return rows


def _common(paths: list[str]) -> str:
    """'a.b.x', 'a.b.y' -> 'a.b.*'."""
    parts = [p.split(".") for p in paths]
    prefix = []
    for bits in zip(*parts, strict=False):
        if len(set(bits)) > 1:
            break
        prefix.append(bits[0])
    return ".".join(prefix) + ".*" if prefix else paths[0] + " (and others)"


def _relpath(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(Path(target).resolve(), Path(start).resolve())


__all__ = ["backtest_overlay", "extends_chain", "leaks", "new_plan_mix", "provenance", "rake", "request_age_shares",
           "request_growth", "third_thursday_of_january"]


def _wrapper(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and all(k in ("value", "source", "unit", "note") for k in node)


def _dated(node: Any) -> bool:
    return isinstance(node, dict) and bool(node) and all(isinstance(k, dt.date) for k in node)


def _plain_merge(base: Any, over: Any) -> Any:
    """Merge like `extends` does for plain YAML data: containers key by key, anything else replaced whole."""
    if not isinstance(over, dict) or _wrapper(over) or _dated(over):
        return over
    if _wrapper(base):
        base = base["value"]  # a block overridden in part: its citation no longer covers the whole
    if not isinstance(base, dict) or _dated(base):
        return over
    out = dict(base)
    for k, v in over.items():
        out[k] = _plain_merge(base[k], v) if k in base else v
    return out


def raw_tree(path: Path) -> dict[str, Any]:
    """A scenario file as plain YAML data with its `extends` chain merged (interventions by name)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    parent = data.pop("extends", None)
    if parent is None:
        return data
    base = raw_tree(Path(path).resolve().parent / parent)
    removed = set(data.pop("remove_interventions", []) or [])
    inherited = [iv for iv in base.get("interventions", []) or [] if iv.get("name") not in removed]
    own = {iv.get("name"): iv for iv in data.pop("interventions", []) or []}
    merged = _plain_merge(base, data)
    ivs = [own.pop(iv.get("name"), iv) for iv in inherited] + list(own.values())
    merged.pop("interventions", None)
    if ivs:
        merged["interventions"] = ivs
    return merged


def standalone(base_path: Path, overlay: dict[str, Any]) -> dict[str, Any]:
    """The overlay applied to the base's YAML as one file without `extends` (so targets and dated values outside a
    shorter horizon can be dropped, which an overlay cannot do). Interventions named for removal are dropped."""
    tree = raw_tree(base_path)
    over = {k: v for k, v in overlay.items() if k not in ("extends", "remove_interventions", "targets")}
    merged = _plain_merge(tree, over)
    removed = set(overlay.get("remove_interventions", []))
    ivs = [iv for iv in merged.pop("interventions", []) or [] if iv.get("name") not in removed]
    if ivs:
        merged["interventions"] = ivs
    if "targets" in overlay:
        merged["targets"] = {k: v for k, v in overlay["targets"].items() if k != "kpis" and v["value"]}
        kpis = {k: v for k, v in overlay["targets"]["kpis"].items() if v["value"]}
        if kpis:
            merged["targets"]["kpis"] = kpis
        if not merged["targets"]:
            merged.pop("targets")
    return merged
