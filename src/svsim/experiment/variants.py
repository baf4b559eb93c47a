"""Running a scenario with chosen parameter values on common random numbers: what sensitivity analysis, goal-seek
(`solve`) and sweeps share.

Two ways of giving a scenario new values, because they answer different questions:
- A **factor** (sensitivity analysis) is an uncertain input. It acts like an `uncertainty:` entry (multiply, add or
  set on the BASE parameters from the day after `horizon.last_observed`, then clipped and shares renormalised:
  `uncertainty.apply_draws`), and interventions then act on it as on the file's values. Factors come from the
  scenario's `uncertainty:` section or a parameters file listing ranges with their sources.
- A **lever** (solve, sweep) is a policy value. It acts LAST, after every intervention, from the first day of the
  first open financial year (the closed years keep their outturn): a synthetic intervention that sets the parameter
  (or scales it with `--scale`), so a measure such as Kent's `statutory-decisions` does not override it. Shares that
  must sum to 1 take up the difference in proportion to their size. A lever may also be an intervention's size
  (`intervention:NAME`: every change of that intervention set to, or scaled by, the value).

Every point of a design runs replications 0..n-1 with the same seed: common random numbers, so two points differ by
their values and not by luck. The evaluation of one (point, replication) is the module-level function `evaluate`,
whose payload (the scenario and how to vary it) is sent once per worker and whose item is small, run by the
engine's generic `executors.map_tasks`; results never depend on the number of workers.

Money-only factors and levers are nearly free. The engine never reads `costs.`, `income.` or `deficit.` parameters
(attribution.MONEY_PREFIXES), so points that differ only in those values share one simulation per replication: it is
run once and each point's money is recomputed from its History (`price_history`, what `summarise` does). Saltelli's
design changes one column at a time, so with 4 money factors among 12 a second-order Sobol study simulates 18 of its
26 points per base sample (10 of 14 for first-order and total indices); the numbers are identical to simulating every
point (tested).

The lead-in is shared too. Factors act from the day after `horizon.last_observed`, so up to that day every point of
a replication is the same simulation (for Kent, January 2022 to March 2023: 19% of the days, 12-15% of the CPU).
With `Design.lead_in` (sensitivity turns it on: `with_lead_in`), each worker simulates it once per replication,
keeps a snapshot (model/snapshot.py), and resumes every point from it with the point's own inputs: the same
History as a whole simulation (tested), or a whole simulation when a point's inputs act earlier (SnapshotError).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..finance.deficit import financial_years
from ..scenario import Problem, Scenario, ScenarioError
from ..scenario.interventions import Change, Intervention
from ..scenario.overrides import closed_until, leaves_under, share_groups
from ..scenario.spec import CAPACITY, NUMERIC_KINDS, PROBABILITY, check_value, finite_number
from ..scenario.targets import Uncertain
from . import replications
from .uncertainty import apply_draws, draws_from, scenario_for_replication

LEVER_ORDER = 10**6
"""A lever applies after every intervention of the scenario."""
APPLY = ("multiply", "add", "set")


# ---- factors (sensitivity) ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    """An input varied by sensitivity analysis over [low, high] (applied like an `uncertainty:` entry)."""

    path: str
    apply: str
    low: float
    high: float
    nominal: float
    source: str
    leaves: tuple[str, ...]

    def as_uncertain(self) -> Uncertain:
        return Uncertain(self.path, "uniform", {"low": self.low, "high": self.high}, self.apply, self.leaves)


def _quantiles(u: Uncertain, q: Sequence[float]) -> list[float]:
    from scipy import stats

    a = u.args
    dist = {
        "normal": lambda: stats.norm(a.get("mean"), a.get("sd")),
        "lognormal": lambda: stats.lognorm(a.get("sigma"), scale=a.get("median")),
        "triangular": lambda: stats.triang((a["mode"] - a["low"]) / (a["high"] - a["low"]), loc=a["low"],
                                           scale=a["high"] - a["low"]),
        "uniform": lambda: stats.uniform(a["low"], a["high"] - a["low"]),
        "beta": lambda: stats.beta(a.get("alpha"), a.get("beta")),
    }[u.distribution]()
    return [float(x) for x in dist.ppf(q)]


def factors_from_uncertainty(scenario: Scenario) -> list[Factor]:
    """One factor per `uncertainty:` entry: its range is the distribution's whole support when bounded (uniform,
    triangular) and its 5th to 95th percentile otherwise; its nominal value the median."""
    out = []
    for u in scenario.uncertainty:
        if u.distribution in ("uniform", "triangular"):
            low, high = u.args["low"], u.args["high"]
        else:
            low, high = _quantiles(u, (0.05, 0.95))
        (nominal,) = _quantiles(u, (0.5,))
        source = scenario.sources.get(f"uncertainty.{u.path}", "") or "the scenario's uncertainty section"
        out.append(Factor(u.path, u.apply, low, high, nominal,
                          f"{source} ({u.distribution} {', '.join(f'{k} {v:g}' for k, v in u.args.items())})",
                          u.leaves))
    return out


def read_parameters_file(path: Path, scenario: Scenario) -> list[Factor]:
    """A parameters file for sensitivity analysis; raise ScenarioError listing every problem (file, key, line).

    ```yaml
    parameters:
      demand.request_rate_per_10k_0_18: {low: 0.9, high: 1.15, apply: multiply, source: "assumption: ..."}
      assessment.officers_fte: {low: 60, high: 100, apply: set, nominal: 80, source: "..."}
    ```
    `apply` defaults to multiply; `nominal` (the value the other factors hold in one-at-a-time analysis) defaults to
    1 for multiply, 0 for add and the middle of the range for set.
    """
    from ..scenario.tree import Leaf, to_tree
    from ..scenario.yamlio import Located, read_yaml

    shown = str(path)
    if not path.is_file():
        raise ScenarioError([Problem(shown, "", "no such parameters file")])
    data = to_tree(read_yaml(path, shown), shown)
    node = data.get("parameters") if isinstance(data, Located) else None
    if not isinstance(node, Located) or not node:
        raise ScenarioError([Problem(shown, "parameters", "expected 'parameters:' mapping parameter paths to "
                                     "{low, high, apply, source}", getattr(data, "line", None))])
    problems: list[Problem] = []
    out = []
    for key, body in node.items():
        line, here = node.line_of(key), f"parameters.{key}"
        leaves = tuple(leaves_under(str(key), scenario.specs))
        if not leaves:
            problems.append(Problem(shown, here, f"no parameter '{key}' in the scenario", line))
            continue
        if any(scenario.specs[p].kind not in NUMERIC_KINDS or not scenario.specs[p].dated for p in leaves):
            problems.append(Problem(shown, here, "only numeric parameters that may change over time can vary", line))
            continue
        if not isinstance(body, Located):
            problems.append(Problem(shown, here, "expected {low: ..., high: ..., apply: ..., source: ...}", line))
            continue
        raw = {k: (v.value if isinstance(v, Leaf) else v) for k, v in body.items()}
        unknown = set(raw) - {"low", "high", "apply", "source", "nominal", "note"}
        if unknown:
            k = sorted(unknown)[0]
            problems.append(Problem(shown, f"{here}.{k}", f"unknown key '{k}' (allowed: low, high, apply, nominal, "
                                                          "source, note)", body.line_of(k)))
            continue
        low, high = finite_number(raw.get("low")), finite_number(raw.get("high"))
        apply = raw.get("apply", "multiply")
        if low is None or high is None or not low < high:
            problems.append(Problem(shown, here, "needs numbers low < high", line))
            continue
        if apply not in APPLY:
            problems.append(Problem(shown, f"{here}.apply", f"expected one of {', '.join(APPLY)}",
                                    body.line_of("apply")))
            continue
        source = raw.get("source")
        if not isinstance(source, str) or not source.strip():
            problems.append(Problem(shown, f"{here}.source", "every range needs a source (the report, DfE "
                                                             "statistics, or 'assumption: why')", line))
            continue
        default = {"multiply": 1.0, "add": 0.0}.get(apply, (low + high) / 2)
        nominal = finite_number(raw.get("nominal", default))
        if nominal is None or not low <= nominal <= high:
            problems.append(Problem(shown, f"{here}.nominal", "expected a number between low and high",
                                    body.line_of("nominal")))
            continue
        out.append(Factor(str(key), apply, low, high, nominal, source.strip(), leaves))
    if problems:
        raise ScenarioError(problems)
    return out


def with_factor_values(scenario: Scenario, factors: Sequence[Factor], values: Sequence[float]) -> Scenario:
    """The scenario with each factor's value applied to its base parameters (as `uncertainty:` draws are), and no
    uncertainty of its own left (the factors are the inputs being varied)."""
    bare = dataclasses.replace(scenario, uncertainty=tuple(f.as_uncertain() for f in factors))
    applied = apply_draws(bare, {f.path: float(v) for f, v in zip(factors, values, strict=True)})
    return dataclasses.replace(applied, uncertainty=())


# ---- levers (solve, sweep) ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lever:
    """A policy value found by `solve` or varied by `sweep` (see the module docstring)."""

    path: str
    """A parameter or group path, `*` matching one key (placement.new_plan_mix.*.mainstream), or
    `intervention:NAME`."""
    scale: bool
    since: dt.date
    leaves: tuple[str, ...]
    low: float
    high: float
    current: str
    """What the scenario has now, for messages."""

    @property
    def intervention(self) -> str | None:
        return self.path.split(":", 1)[1] if self.path.startswith("intervention:") else None

    @property
    def label(self) -> str:
        return f"{self.path} x" if self.scale else self.path


def _matching(path: str, specs: Sequence[str]) -> list[str]:
    if "*" not in path:
        return leaves_under(path, specs)
    pattern = re.compile("^" + re.escape(path).replace(r"\*", r"[^.]+") + r"(\..+)?$")
    return [p for p in specs if pattern.match(p)]


def open_from(scenario: Scenario) -> dt.date:
    """The first day of the first financial year not closed by `horizon.last_observed` (horizon.start if none)."""
    observed = scenario.params.get("horizon.last_observed")
    closed = closed_until(observed.first if observed is not None else None)
    return max(scenario.start, closed + dt.timedelta(days=1)) if closed else scenario.start


def parse_lever(scenario: Scenario, path: str, *, scale: bool = False,
                bounds: tuple[float, float] | None = None) -> Lever:
    """Check a lever against the scenario and fix its valid range; ValueError with a readable message if wrong.

    Default range: a probability or share set between 0 and 1; scaled between 0 and the factor that takes the
    largest of its values to 1 (or x3 for other numbers); another number set between 0 and three times its largest
    value now; an intervention's size between 0 and three times it (or x0 to x3 scaled).
    """
    since = open_from(scenario)
    if path.startswith("intervention:"):
        name = path.split(":", 1)[1]
        iv = next((i for i in scenario.interventions if i.name == name), None)
        if iv is None:
            raise ValueError(f"no intervention named '{name}' (the scenario has: "
                             f"{', '.join(i.name for i in scenario.interventions) or 'none'})")
        amounts = [c.amount for c in iv.changes if finite_number(c.amount) is not None]
        if not amounts:
            raise ValueError(f"intervention '{name}' changes nothing numeric")
        top = max(abs(a) for a in amounts) or 1.0
        default = (0.0, 3.0) if scale else (0.0 if min(amounts) >= 0 else -3 * top, 3 * top)
        current = ", ".join(f"{c.path} {c.op} {c.amount:g}" for c in iv.changes)
        return _bounded(Lever(path, scale, iv.start, tuple(c.path for c in iv.changes), *default, current), bounds)
    leaves = tuple(_matching(path, list(scenario.specs)))
    if not leaves:
        import difflib

        names = {".".join(p.split(".")[:k]) for p in scenario.specs for k in range(1, p.count(".") + 2)}
        near = difflib.get_close_matches(path, sorted(names), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise ValueError(f"no parameter '{path}' (see svsim params; a group name or * for one key is allowed){hint}")
    kinds = {scenario.specs[p].kind for p in leaves}
    if not kinds <= NUMERIC_KINDS or not all(scenario.specs[p].dated for p in leaves):
        if len(leaves) == 1:
            raise ValueError(f"'{path}' is not a number that may change over time")
        fixed = [p for p in leaves if scenario.specs[p].kind not in NUMERIC_KINDS or not scenario.specs[p].dated]
        numbers = [p for p in leaves if p not in fixed]
        raise ValueError(f"'{path}' holds {len(leaves)} parameters, and {', '.join(fixed[:3])}"
                         f"{' ...' if len(fixed) > 3 else ''} {'is' if len(fixed) == 1 else 'are'} not a number that "
                         f"may change over time: name one{', e.g. ' + numbers[0] if numbers else ''}")
    if len(kinds) > 1 and not scale:
        raise ValueError(f"'{path}' holds {len(leaves)} parameters of different kinds ({', '.join(sorted(kinds))}): "
                         f"one value cannot suit them all; name one, e.g. {leaves[0]} (or scale them all: --scale)")
    values = [float(v) for p in leaves for v in scenario.params[p].values if not math.isinf(float(v))]
    top = max(values, default=1.0)
    if kinds <= {PROBABILITY}:
        default = (0.0, 1.0 / top if top > 0 else 1.0) if scale else (0.0, 1.0)
    else:
        default = (0.0, 3.0) if scale else (0.0, 3 * top if top > 0 else 1.0)
    def span(day: dt.date) -> str:
        now = sorted({float(scenario.params[p].at(day)) for p in leaves})
        return f"{now[0]:g}" if len(now) == 1 else f"{now[0]:g} to {now[-1]:g} ({len(leaves)} parameters)"

    current, later = span(since), span(scenario.end)
    if later != current:  # a ramp or an intervention moves it after `since`: say so, the lever overrides both
        current = f"{current} on {since.isoformat()}, {later} by {scenario.end.isoformat()}"
    return _bounded(Lever(path, scale, since, leaves, *default, current), bounds)


def _bounded(lever: Lever, bounds: tuple[float, float] | None) -> Lever:
    if bounds is None:
        return lever
    low, high = bounds
    if not low < high:
        raise ValueError(f"the range {low:g}:{high:g} must have LOW < HIGH")
    return dataclasses.replace(lever, low=low, high=high)


def with_lever_value(scenario: Scenario, lever: Lever, value: float) -> Scenario:
    """The scenario with the lever at `value`; ValueError when that takes a parameter out of its range."""
    name = lever.intervention
    if name is not None:
        ivs = tuple(
            dataclasses.replace(iv, changes=tuple(
                dataclasses.replace(c, amount=(c.amount * value if lever.scale else value))
                if finite_number(c.amount) is not None else c for c in iv.changes))
            if iv.name == name else iv for iv in scenario.interventions)
        out = dataclasses.replace(scenario, interventions=ivs)
    else:
        op = "multiply" if lever.scale else "set"
        changes = tuple(Change(p, op, (value if op == "multiply" or scenario.specs[p].kind != "integer"
                                       else int(round(value))), None) for p in lever.leaves)
        rebalance = []
        for members in share_groups().values():
            moved = [m for m in members if m in lever.leaves]
            if moved:
                rebalance.append((tuple(m for m in members if m not in moved), tuple(moved)))
        iv = Intervention(name=f"lever:{lever.path}", condition=None, description="", source="", start=lever.since,
                          end=None, ramp_months=0, order=LEVER_ORDER, changes=changes, file="", line=None,
                          rebalance=tuple(rebalance))
        out = dataclasses.replace(scenario, interventions=(*scenario.interventions, iv))
    _check_range(out, lever, value)
    return out


def _check_range(scenario: Scenario, lever: Lever, value: float) -> None:
    paths = set(lever.leaves)
    for members in share_groups().values():
        if paths.intersection(members):
            paths.update(members)
    for p in sorted(paths):
        spec = scenario.specs[p]
        for v in scenario.params[p].values:
            if spec.kind == CAPACITY and isinstance(v, float) and math.isinf(v):
                continue
            if check_value(spec.kind, v, spec.choices)[1] or (isinstance(v, float) and v < -1e-9):
                raise ValueError(f"{lever.label} = {value:g} makes {p} {v:.6g}, outside its valid range")


# ---- one evaluation -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """What every evaluation of a study shares (the payload sent once to each worker)."""

    scenario: Scenario
    seed: int
    factors: tuple[Factor, ...] = ()
    levers: tuple[Lever, ...] = ()
    lead_in: str = ""
    """Non-empty (a name unique to the study): every point of a replication resumes from one simulation of the
    lead-in up to where the factors or levers act (`with_lead_in`; model/snapshot.py). The numbers are the same."""
    lead_in_until: dt.date | None = None
    """The lead-in's last day + 1: the first day any factor, lever or uncertainty draw may act (`lead_in_day`)."""

    def variant(self, values: Sequence[float]) -> Scenario:
        if self.factors:
            return with_factor_values(self.scenario, self.factors, values)
        out = self.scenario
        for lever, v in zip(self.levers, values, strict=True):
            out = with_lever_value(out, lever, v)
        return out

    @property
    def money_only(self) -> tuple[bool, ...]:
        """For each factor or lever: whether it changes only money parameters (the simulation is the same)."""
        from .attribution import MONEY_PREFIXES

        dims = self.factors or self.levers
        return tuple(bool(d.leaves) and all(p.startswith(MONEY_PREFIXES) for p in d.leaves) for d in dims)

    @property
    def years(self) -> list[int]:
        return financial_years(self.scenario)

    @property
    def profile(self) -> np.ndarray:
        """The Safety Valve profile by reported year (NaN where there is none)."""
        p = self.scenario.targets.sv_profile_gbp_m
        return np.array([p.get(fy, math.nan) for fy in self.years], dtype=float)


def accumulated_deficits(scenario: Scenario, seed: int, replication: int) -> np.ndarray:
    """The accumulated DSG deficit at each 31 March (£m, before DfE contributions) of one replication.

    Module-level and looked up at call time, so a test may substitute a cheap function of the parameters."""
    result = replications.run_replication(scenario, seed, replication)
    return np.array([m.accumulated_deficit_gbp_m for m in result.money], dtype=float)


_ENGINE_DEFICITS = accumulated_deficits
"""The engine's own; a test's substitute for `accumulated_deficits` is called as it is (no lead-in)."""


def lead_in_day(design: Design) -> dt.date:
    """The first day on which the design's points may differ: factors and the scenario's own uncertainty act from
    `draws_from` (the day after horizon.last_observed), levers from their `since` (the first open financial year,
    or an intervention's start). Up to that day every point of a replication is the same simulation."""
    return min([draws_from(design.scenario), *(lever.since for lever in design.levers)])


def with_lead_in(design: Design) -> Design:
    """The design with the shared lead-in on (sensitivity, solve and sweep), when its points act after the census
    date: each replication's simulation up to `lead_in_day` is kept and every point resumes from it."""
    day = lead_in_day(design)
    if not (design.factors or design.levers) or day <= design.scenario.census_date:
        return design
    return dataclasses.replace(design, lead_in=uuid.uuid4().hex, lead_in_until=day)


_LEAD_INS: dict[tuple[str, int], Any] = {}
"""This process's lead-in snapshots of the current study, by (Design.lead_in, replication)."""
MAX_LEAD_INS = 24
"""Snapshots a process keeps for one study (about 35 MB each on Kent's base: under 1 GB a worker). A replication
beyond them is simulated whole (the same numbers), not swapped in for another: replications come round in turn,
so evicting would throw each snapshot away before its next use."""
LEAD_IN_STATS = {"taken": 0, "resumed": 0, "simulated": 0}
"""This process's counts (benchmarks and tests read them): snapshots taken (each with its own point simulated on
the way), runs resumed, runs simulated whole."""


def simulate_point(design: Design, scenario: Scenario, replication: int) -> Any:
    """The History of one point's scenario on `replication`: resumed from the replication's lead-in snapshot when
    the design has one (model/snapshot.py: the same History), else simulated whole (also when the point's inputs
    act before the snapshot's day: SnapshotError). The first point of a replication in a process is simulated
    whole, keeping the snapshot on the way (`snapshot.take_and_run`)."""
    from ..model import simulate

    if not design.lead_in:
        return simulate(scenario, seed=design.seed, replication=replication)
    from ..model import snapshot
    from ..model.calendar import Calendar
    from ..model.inputs import compile_inputs

    inp = compile_inputs(scenario)
    key = (design.lead_in, replication)
    snap = _LEAD_INS.get(key)
    if snap is None:
        if any(k[0] != design.lead_in for k in _LEAD_INS):  # one study's snapshots at a time
            _LEAD_INS.clear()
        if len(_LEAD_INS) >= MAX_LEAD_INS:
            LEAD_IN_STATS["simulated"] += 1
            return simulate(scenario, seed=design.seed, replication=replication)
        day = Calendar(scenario.census_date, scenario.end).day_of(design.lead_in_until or draws_from(scenario))
        _LEAD_INS[key], history = snapshot.take_and_run(inp, design.seed, replication, day)
        LEAD_IN_STATS["taken"] += 1
        return history
    try:
        history = snapshot.resume(snap, inp)
        LEAD_IN_STATS["resumed"] += 1
        return history
    except snapshot.SnapshotError:
        LEAD_IN_STATS["simulated"] += 1
        return simulate(scenario, seed=design.seed, replication=replication)


def _priced(history: Any, scenario: Scenario) -> np.ndarray:
    return np.array([m.accumulated_deficit_gbp_m for m in replications.price_history(history, scenario)[1]],
                    dtype=float)


def evaluate(design: Design, item: tuple[int, int, tuple[float, ...]]) -> np.ndarray:
    """One (point, replication, values): the variant's accumulated deficit by year. The scenario's own uncertainty
    (levers only; factors replace it) is drawn for the replication, the same draw at every point."""
    _, replication, values = item
    scenario = design.variant(values)
    scenario = scenario_for_replication(scenario, design.seed, replication)
    if design.lead_in and accumulated_deficits is _ENGINE_DEFICITS:
        return _priced(simulate_point(design, scenario, replication), scenario)
    return accumulated_deficits(scenario, design.seed, replication)


def price_on_history(scenarios: Sequence[Scenario], seed: int, replication: int,
                     design: Design | None = None) -> np.ndarray:
    """[scenario, year] accumulated deficits of scenarios that differ only in money: the first is simulated (or
    resumed from the design's lead-in) and every one priced on its History (what `accumulated_deficits` gives
    each of them)."""
    from ..model import simulate

    if design is not None and design.lead_in:
        history = simulate_point(design, scenarios[0], replication)
    else:
        history = simulate(scenarios[0], seed=seed, replication=replication)
    return np.array([_priced(history, s) for s in scenarios], dtype=float)


def evaluate_shared(design: Design, item: tuple[int, tuple[tuple[float, ...], ...]]) -> np.ndarray:
    """One replication of points that differ only in money-only values: one simulation, every point priced
    ([point, year]). Identical points (a design may repeat one) are `evaluate`d once as usual."""
    replication, values = item
    if len(set(values)) == 1:
        return np.tile(evaluate(design, (0, replication, values[0])), (len(values), 1))
    scenarios = [scenario_for_replication(design.variant(v), design.seed, replication) for v in values]
    return price_on_history(scenarios, design.seed, replication, design)


def simulation_groups(design: Design, points: np.ndarray | Sequence[Sequence[float]],
                      replications_n: int) -> list[tuple[int, tuple[int, ...]]]:
    """(replication, point indices) sharing one simulation: the points whose values differ only in money-only
    factors or levers (or not at all), in the order of their first point."""
    model = [i for i, money in enumerate(design.money_only) if not money]
    keys: dict[tuple[float, ...], list[int]] = {}
    for k, row in enumerate(points):
        keys.setdefault(tuple(float(row[i]) for i in model), []).append(k)
    return [(r, tuple(group)) for group in keys.values() for r in range(replications_n)]


def items(points: np.ndarray | Sequence[Sequence[float]], replications_n: int) -> list[tuple[int, int, tuple]]:
    """Every (point index, replication, values) of a design: each point on replications 0..n-1."""
    return [(k, r, tuple(float(x) for x in row)) for k, row in enumerate(points) for r in range(replications_n)]


def by_point(results: Sequence[np.ndarray], n_points: int, replications_n: int) -> np.ndarray:
    """[point, replication, year] from results in item order."""
    return np.array(results, dtype=float).reshape(n_points, replications_n, -1)


# ---- parallel map --------------------------------------------------------------------------------------------
Progress = Callable[[int, int], None]


def map_tasks(fn: Callable[[Any, Any], Any], payload: Any, items: Sequence[Any], *, workers: int | None = None,
              executor: str = "local", scheduler: str | None = None, progress: Progress | None = None) -> list:
    """[fn(payload, item) for item in items] in item order, on the engine's executor stack (executors.map_tasks):
    the payload is sent once to each worker, and results do not depend on the workers."""
    from .executors import map_tasks as run

    return run(fn, payload, items, workers=workers, executor=executor, scheduler=scheduler, progress=progress,
               preload=["svsim.experiment.variants", "svsim.model"])


def study_pool(design: Design, *, workers: int | None = None, executor: str = "local",
               scheduler: str | None = None) -> Any:
    """Workers for several batches of one design (executors.TaskPool running `evaluate_shared`): `solve` runs each
    trial on the same workers, so they start once and keep their lead-in snapshots from trial to trial. Use it as a
    context manager (`with study_pool(...) as pool:`) and pass it to `run_points`; `end_study` after it."""
    from .executors import TaskPool

    return TaskPool(evaluate_shared, design, workers=workers, executor=executor, scheduler=scheduler,
                    preload=["svsim.experiment.variants", "svsim.model"])


def end_study() -> None:
    """Drop this process's lead-in snapshots (a serial study keeps them here; workers' go with their process)."""
    _LEAD_INS.clear()


def run_points(design: Design, points: np.ndarray | Sequence[Sequence[float]], replications_n: int, *,
               workers: int | None = None, executor: str = "local", scheduler: str | None = None,
               progress: Progress | None = None, pool: Any = None) -> np.ndarray:
    """[point, replication, year] accumulated deficits for every point of a design on common random numbers.
    Points differing only in money-only values share a simulation (`simulation_groups`); `progress` counts runs
    (points x replications) as their simulations finish. `pool` (from `study_pool`, for the same design) runs them
    on workers kept from earlier batches; without it the workers start and stop here."""
    if pool is not None:
        return _run_points(design, points, replications_n, pool=pool, progress=progress)
    try:
        with study_pool(design, workers=workers, executor=executor, scheduler=scheduler) as own:
            return _run_points(design, points, replications_n, pool=own, progress=progress)
    finally:
        if design.lead_in:  # this process's snapshots (workers=1 runs here) are not needed after the study
            end_study()


def _run_points(design: Design, points: np.ndarray | Sequence[Sequence[float]], replications_n: int, *,
                pool: Any, progress: Progress | None) -> np.ndarray:
    groups = simulation_groups(design, points, replications_n)
    rows = [tuple(float(x) for x in row) for row in points]
    todo = [(r, tuple(rows[k] for k in g)) for r, g in groups]
    done_runs = np.cumsum([0] + [len(g) for _, g in groups])
    runs = int(done_runs[-1])
    counted = None if progress is None else (lambda done, total: progress(int(done_runs[done]), runs))
    values = pool.map(todo, counted)
    out = np.full((len(rows), replications_n, len(design.years)), np.nan)
    for (r, g), value in zip(groups, values, strict=True):
        out[list(g), r] = value
    return out


__all__ = ["Design", "Factor", "Lever", "accumulated_deficits", "end_study", "evaluate", "evaluate_shared",
           "factors_from_uncertainty", "lead_in_day", "map_tasks", "open_from", "parse_lever", "price_on_history",
           "read_parameters_file", "run_points", "simulate_point", "simulation_groups", "study_pool",
           "with_factor_values", "with_lead_in", "with_lever_value"]
