"""The parts of a scenario that are not model parameters: targets to score against, and uncertainty."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..domain import AGE_BANDS, financial_year_of, parse_financial_year
from .errors import Problem
from .schema import DISTRIBUTIONS, KPIS, UNCERTAINTY_APPLY
from .spec import NUMERIC_KINDS, SIGNED_MONEY, Param, finite_number
from .tree import Leaf
from .units import plausibility
from .validate import Where, suggest
from .yamlio import Located

TARGET_KEYS = ("sv_profile_gbp_m", "ehcp_plan_by_age_band", "kpis", "actual_accumulated_deficit_gbp_m",
               "actual_in_year_hnb_gbp_m")
PROFILE_SPEC = Param(SIGNED_MONEY, "accumulated deficit in the Safety Valve profile", unit="gbp_m",
                     limits=(None, 5_000), usual=(None, 1_000))
"""The profile (and outturns) are in £m: a size beyond any council's DSG is a unit slip."""


@dataclass(frozen=True)
class Targets:
    sv_profile_gbp_m: dict[int, float] = field(default_factory=dict)
    """Financial year (start year) -> accumulated DSG deficit at 31 March, £m, before DfE contributions."""
    ehcp_plan_by_age_band: dict[int, dict[str, float]] = field(default_factory=dict)
    """January census year -> age band -> planned EHCPs."""
    kpis: dict[str, dict[int, float]] = field(default_factory=dict)
    """KPI name -> financial year -> target."""
    sources: dict[str, str] = field(default_factory=dict)
    actual_accumulated_deficit_gbp_m: dict[int, float] = field(default_factory=dict)
    """Closed financial years -> the outturn accumulated DSG deficit at 31 March, £m, before DfE contributions
    (reports show it instead of a forecast for those years)."""
    actual_in_year_hnb_gbp_m: dict[int, float] = field(default_factory=dict)
    """Closed financial years -> the outturn in-year HNB position, £m (+ = deficit)."""


@dataclass(frozen=True)
class Uncertain:
    """A parameter (or group) whose value each replication draws from a distribution."""

    path: str
    distribution: str
    args: dict[str, float]
    apply: str  # multiply | add | set
    leaves: tuple[str, ...]


def _number(leaf: Any) -> float | None:
    return finite_number(leaf.value if isinstance(leaf, Leaf) else leaf)


def _shown(leaf: Any) -> str:
    """A short description of a bad value for a message."""
    if isinstance(leaf, Leaf):
        leaf = leaf.value
    if isinstance(leaf, dict):
        return "a mapping"
    if isinstance(leaf, list):
        return "a list"
    text = repr(leaf)
    return text if len(text) <= 60 else text[:57] + "..."


def _loc(node: Located, key: Any, fallback: Where) -> tuple[str, int | None]:
    return (node.file_of(key) or fallback.file, node.line_of(key))


def parse_targets(node: Any, where: Where, horizon: tuple[dt.date, dt.date]) -> tuple[Targets, list[Problem]]:
    problems: list[Problem] = []
    if node is None:
        return Targets(), problems
    if not isinstance(node, Located):
        return Targets(), [Problem(where.file, "targets", "expected a section (sv_profile_gbp_m, ...)", where.line)]
    first_fy, last_fy = financial_year_of(horizon[0]), financial_year_of(horizon[1])
    sources: dict[str, str] = {}

    def bad(n: Located, key: Any, path: str, message: str) -> None:
        file, line = _loc(n, key, where)
        problems.append(Problem(file, path, message, line))

    def fy_key(n: Located, key: Any, path: str) -> int | None:
        try:
            fy = parse_financial_year(key)
        except ValueError as exc:
            bad(n, key, path, str(exc))
            return None
        if not first_fy <= fy <= last_fy:
            bad(n, key, path, f"financial year {key} is outside the horizon")
            return None
        return fy

    for key in node:
        if key not in TARGET_KEYS:
            bad(node, key, f"targets.{key}", f"unknown key '{key}': {suggest(key, list(TARGET_KEYS))}")

    def by_year(key: str) -> dict[int, float]:
        """A mapping of financial years (2022-23) to £m amounts, e.g. the profile or the outturn."""
        out: dict[int, float] = {}
        sv = node.get(key)
        if sv is None:
            return out
        if not isinstance(sv, Located):
            bad(node, key, f"targets.{key}", "expected financial years like 2022-23: £m")
            return out
        for year, leaf in sv.items():
            path = f"targets.{key}.{year}"
            fy = fy_key(sv, year, path)
            value = _number(leaf)
            too_big = plausibility(PROFILE_SPEC, value)[0] if value is not None else None
            if value is None:
                bad(sv, year, path, f"expected an amount in £m, got {_shown(leaf)}")
            elif too_big:
                bad(sv, year, path, too_big)
            elif fy is not None:
                out[fy] = value
                if isinstance(leaf, Leaf) and leaf.source:
                    sources[key] = leaf.source
        return out

    profile = by_year("sv_profile_gbp_m")
    actual_accumulated = by_year("actual_accumulated_deficit_gbp_m")
    actual_in_year = by_year("actual_in_year_hnb_gbp_m")

    plan: dict[int, dict[str, float]] = {}
    ehcp = node.get("ehcp_plan_by_age_band")
    if ehcp is not None:
        if not isinstance(ehcp, Located):
            bad(node, "ehcp_plan_by_age_band", "targets.ehcp_plan_by_age_band",
                "expected census years (2023: {under_5: ..., ...})")
        else:
            for year, bands in ehcp.items():
                path = f"targets.ehcp_plan_by_age_band.{year}"
                in_horizon = isinstance(year, int) and horizon[0].year <= year <= horizon[1].year
                if isinstance(year, bool) or not in_horizon:
                    bad(ehcp, year, path, f"expected a January census year within the horizon, got {year!r}")
                    continue
                if not isinstance(bands, Located):
                    bad(ehcp, year, path, "expected age bands: " + ", ".join(AGE_BANDS))
                    continue
                row = {}
                for band, leaf in bands.items():
                    value = _number(leaf)
                    if band not in AGE_BANDS:
                        bad(bands, band, f"{path}.{band}",
                            f"unknown age band '{band}': {suggest(band, list(AGE_BANDS))}")
                    elif value is None or value < 0:
                        bad(bands, band, f"{path}.{band}", f"expected a number of plans, got {_shown(leaf)}")
                    else:
                        row[band] = value
                        if isinstance(leaf, Leaf) and leaf.source:
                            sources["ehcp_plan_by_age_band"] = leaf.source
                plan[year] = row

    kpis: dict[str, dict[int, float]] = {}
    kpi_node = node.get("kpis")
    if kpi_node is not None:
        if not isinstance(kpi_node, Located):
            bad(node, "kpis", "targets.kpis", "expected KPI names, each with financial years: target")
        else:
            for name, years in kpi_node.items():
                path = f"targets.kpis.{name}"
                if name not in KPIS:
                    bad(kpi_node, name, path, f"unknown KPI '{name}': {suggest(name, list(KPIS))}")
                    continue
                if not isinstance(years, Located):
                    bad(kpi_node, name, path, "expected financial years like 2023-24: target")
                    continue
                row = {}
                for key, leaf in years.items():
                    fy = fy_key(years, key, f"{path}.{key}")
                    value = _number(leaf)
                    if value is None or value < 0 or (name.endswith("_share") and value > 1):
                        what = "a share between 0 and 1" if name.endswith("_share") else "a number of at least 0"
                        bad(years, key, f"{path}.{key}", f"expected {what}, got {_shown(leaf)}")
                    elif fy is not None:
                        row[fy] = value
                        if isinstance(leaf, Leaf) and leaf.source:
                            sources[f"kpis.{name}"] = leaf.source
                kpis[name] = row
    return Targets(profile, plan, kpis, sources, actual_accumulated, actual_in_year), problems


def parse_uncertainty(node: Any, where: Where, specs: dict[str, Param]) -> tuple[list[Uncertain], list[Problem]]:
    """`uncertainty: {param.path: {distribution: lognormal, median: 1, sigma: 0.1, apply: multiply}}`."""
    problems: list[Problem] = []
    out: list[Uncertain] = []
    if node is None:
        return out, problems
    if not isinstance(node, Located):
        return out, [Problem(where.file, "uncertainty", "expected parameter paths, each with a distribution",
                             where.line)]
    for path, body in node.items():
        file, line = _loc(node, path, where)
        here = f"uncertainty.{path}"
        leaves = tuple(p for p in specs if p == path or p.startswith(f"{path}."))
        if not leaves:
            problems.append(Problem(file, here, f"no parameter '{path}': {suggest(path, list(specs))}", line))
            continue
        if any(specs[p].kind not in NUMERIC_KINDS or not specs[p].dated for p in leaves):
            problems.append(Problem(file, here, "only numeric parameters that may change over time can be uncertain",
                                    line))
            continue
        if not isinstance(body, Located):
            problems.append(Problem(file, here, "expected {distribution: ..., its arguments, apply: ...}", line))
            continue
        raw = {k: (v.value if isinstance(v, Leaf) else v) for k, v in body.items()}
        dist = raw.get("distribution")
        if not isinstance(dist, str) or dist not in DISTRIBUTIONS:
            problems.append(Problem(file, f"{here}.distribution",
                                    f"expected one of {', '.join(DISTRIBUTIONS)}, got {_shown(dist)}",
                                    body.line_of("distribution")))
            continue
        apply = raw.get("apply", "multiply")
        if not isinstance(apply, str) or apply not in UNCERTAINTY_APPLY:
            problems.append(Problem(file, f"{here}.apply", f"expected one of {', '.join(UNCERTAINTY_APPLY)}, "
                                    f"got {_shown(apply)}", body.line_of("apply")))
            continue
        allowed = {"distribution", "apply", "source", "note", *DISTRIBUTIONS[dist]}
        args: dict[str, float] = {}
        ok = True
        for key in raw:
            if key not in allowed:
                problems.append(Problem(file, f"{here}.{key}", f"unknown key '{key}' for a {dist} distribution: "
                                        f"{suggest(key, sorted(allowed))}", body.line_of(key)))
                ok = False
        for arg in DISTRIBUTIONS[dist]:
            v = finite_number(raw.get(arg))
            if v is None:
                problems.append(Problem(file, f"{here}.{arg}", f"a {dist} distribution needs '{arg}' (a number)",
                                        body.line_of(arg)))
                ok = False
            else:
                args[arg] = v
        if ok:
            bad_arg = _check_distribution(dist, args)
            if bad_arg:
                arg, message = bad_arg
                problems.append(Problem(file, f"{here}.{arg}", f"{dist} distribution: {message}",
                                        body.line_of(arg)))
            else:
                out.append(Uncertain(str(path), dist, args, apply, leaves))
    return out, problems


def _check_distribution(dist: str, a: dict[str, float]) -> tuple[str, str] | None:
    """(argument, what is wrong with it) or None."""
    for arg in {"normal": ("sd",), "lognormal": ("median", "sigma"), "beta": ("alpha", "beta")}.get(dist, ()):
        if a[arg] <= 0:
            return arg, f"{arg} must be greater than 0, got {a[arg]:g}"
    if dist == "triangular" and not (a["low"] <= a["mode"] <= a["high"] and a["low"] < a["high"]):
        return "mode", f"needs low <= mode <= high with low < high, got {a['low']:g}, {a['mode']:g}, {a['high']:g}"
    if dist == "uniform" and a["low"] >= a["high"]:
        return "high", f"needs low < high, got {a['low']:g} and {a['high']:g}"
    return None
