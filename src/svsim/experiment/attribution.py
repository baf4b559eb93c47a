"""Savings attribution: split the saving of a set of interventions among them with Shapley values.

Why Shapley: measures interact (a new special school saves less once inclusion has kept children in mainstream),
so "remove one at a time" and "add one at a time" give shares that do not add up to the total. The Shapley value
of a measure is its marginal saving averaged over every order in which the measures could be added. It is the one
split that adds up exactly to the total saving (efficiency), gives interchangeable measures equal shares
(symmetry) and gives nothing to a measure that changes nothing.

The method, as `svsim compare` reports it:

- **Players.** Scenarios are attributable when one's interventions are a subset of the other's and nothing else
  differs: `larger.with_interventions(smaller's names)` has the smaller scenario's fingerprint. The players are
  the extra interventions. With at most 8 (`EXACT_MAX_PLAYERS`) each intervention is a player. With more (Kent's
  base has 12) the interventions are **grouped by Safety Valve condition** (one without a condition stands alone)
  and, if that gives at most 9 groups (`MAX_GROUPS`), each group is a player: the values are still exact, over all
  2^g subsets of groups, and a group's saving is reported for the group, not split inside it. Otherwise no
  attribution is done. (We chose exact grouped values over Monte Carlo permutation sampling: they add up exactly,
  carry no sampling error on top of the replications', and the Safety Valve reports progress by condition.)
- **Game.** For a subset S of players, the scenario is `larger.with_interventions(common + S)`, run on the same
  seed and replications as the comparison (common random numbers and the same uncertainty draws). Its value in
  replication r and financial year y is the saving v_r(S) = D_r(none) - D_r(S), D the accumulated deficit at
  31 March (or the in-year HNB position); positive is a saving. Shapley values are computed per replication,
  then summarised across replications (mean, P10, P90, 95% t interval of the mean). Because Shapley values are
  linear, their mean is the Shapley value of the mean saving and adds up to the mean total saving.
- **Money-only measures are nearly free.** The engine never reads `costs.`, `income.` or `deficit.` parameters
  (`MONEY_PREFIXES`), so subsets that differ only by money-only interventions share one History per replication:
  each distinct set of model-changing interventions is simulated once and the money of every subset sharing it
  is recomputed from that History (`finance.placement_spend` then `finance.deficit_trajectory`, exactly what
  `summarise` does). Kent's base vs unmitigated: 512 subsets of 9 condition groups, 128 simulations a replication.
  A test checks the results are identical to brute force (every subset simulated).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..finance.deficit import financial_years
from ..scenario import Intervention, Scenario
from ..scenario.model import LABELS
from .replications import ReplicationResult, price_history

MONEY_PREFIXES: tuple[str, ...] = ("costs.", "income.", "deficit.")
"""Parameters the engine never reads: an intervention changing only these leaves the simulation unchanged."""
EXACT_MAX_PLAYERS = 8
"""Up to this many interventions, each is a player (2^8 = 256 subsets)."""
MAX_GROUPS = 9
"""Beyond EXACT_MAX_PLAYERS, interventions are grouped by Safety Valve condition if that gives at most this many."""
ATTRIBUTED: tuple[str, ...] = ("accumulated_deficit_gbp_m", "in_year_deficit_gbp_m")
"""The measures whose saving is attributed (a reduction in each, £m, positive = saving)."""


class NotAttributable(ValueError):
    """The two scenarios cannot be compared intervention by intervention; the message says why."""


def is_money_only(intervention: Intervention) -> bool:
    """True when every change is to a money parameter (the simulated children are not affected)."""
    return bool(intervention.changes) and all(c.path.startswith(MONEY_PREFIXES) for c in intervention.changes)


# ---- Shapley values ---------------------------------------------------------------------------------------------
def shapley_values(values: np.ndarray) -> np.ndarray:
    """Exact Shapley values of a game given on every subset.

    `values[mask, ...]` is v(S) for the subset S holding player j when bit j of `mask` is set (any trailing
    dimensions, e.g. replications x years, are carried along). Returns phi[j, ...]:
    phi_j = sum over S not holding j of |S|! (k-|S|-1)! / k! * (v(S + j) - v(S)).
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[0]
    k = n.bit_length() - 1
    if n < 1 or n != 1 << k:
        raise ValueError(f"a game on k players needs 2^k values, got {n}")
    masks = np.arange(n)
    sizes = np.array([bin(m).count("1") for m in range(n)])
    weights = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
    phi = np.empty((k, *values.shape[1:]))
    for j in range(k):
        bit = 1 << j
        without = masks[(masks & bit) == 0]
        phi[j] = np.tensordot(weights[sizes[without]], values[without | bit] - values[without], axes=1)
    return phi


def shapley_of(players: Sequence[str], value: Callable[[frozenset[str]], float]) -> dict[str, float]:
    """Shapley values of a game given as a function of a set of player names (for small games and tests)."""
    k = len(players)
    table = np.array([value(frozenset(p for j, p in enumerate(players) if m >> j & 1)) for m in range(1 << k)])
    return dict(zip(players, (float(x) for x in shapley_values(table)), strict=True))


# ---- which scenarios, which players ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Player:
    """One Shapley player: an intervention, or the interventions of one Safety Valve condition."""

    label: str
    interventions: tuple[str, ...]
    condition: int | None
    money_only: bool


@dataclass(frozen=True)
class AttributionPlan:
    """What to evaluate: the scenario holding every intervention, those both sides share, and the players."""

    mitigated: Scenario
    """The scenario with the interventions (BASE or OTHER)."""
    common: tuple[str, ...]
    """Interventions both scenarios have (in every subset)."""
    players: tuple[Player, ...]
    grouped: bool
    """True when interventions were grouped by Safety Valve condition."""
    mitigated_side: str
    """'base' or 'other': which of the compared scenarios has the interventions."""
    method: str
    """One sentence saying how the values are computed (shown on the terminal, in the CSV and the manifest)."""

    @property
    def k(self) -> int:
        return len(self.players)

    @property
    def n_subsets(self) -> int:
        return 1 << self.k

    @property
    def model_mask(self) -> int:
        """Bits of the players that change the simulation (not money-only)."""
        return sum(1 << j for j, p in enumerate(self.players) if not p.money_only)

    @property
    def simulations_per_replication(self) -> int:
        return 1 << bin(self.model_mask).count("1")

    def subset_names(self, mask: int) -> tuple[str, ...]:
        chosen = {n for j, p in enumerate(self.players) if mask >> j & 1 for n in p.interventions}
        return (*self.common, *sorted(chosen))

    def subset_scenario(self, mask: int) -> Scenario:
        """The scenario with the common interventions and those of the players in `mask`."""
        return self.mitigated.with_interventions(self.subset_names(mask))


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(tree, list):
        return {prefix: repr(tree)}
    return {prefix: tree}


_DATE_KEY = re.compile(r"\.\d{4}-\d{2}-\d{2}$")
"""A dated value's key at the end of a flattened path (reported as the parameter's path)."""


def differences_besides_interventions(a: Scenario, b: Scenario, limit: int = 6) -> list[str]:
    """What differs between two scenarios besides interventions only one has (for messages)."""
    common = {iv.name for iv in a.interventions} & {iv.name for iv in b.interventions}
    ta, tb = (s.with_interventions(common).to_dict() for s in (a, b))
    ia = {iv["name"]: iv for iv in ta.pop("interventions")}
    ib = {iv["name"]: iv for iv in tb.pop("interventions")}
    out = [f"intervention {name}" for name in ia if ia[name] != ib.get(name)]
    if not out and list(ia) != list(ib):
        out.append("the order of the interventions")
    fa, fb = _flatten(ta), _flatten(tb)
    labels = {*LABELS, *(f"parameters.{x}" for x in LABELS)}
    paths = {_DATE_KEY.sub("", p) for p in set(fa) | set(fb) if p not in labels and fa.get(p) != fb.get(p)}
    out += sorted(paths)
    return out[:limit] + ([f"... ({len(out) - limit} more)"] if len(out) > limit else [])


def choose_players(extra: Sequence[Intervention]) -> tuple[tuple[Player, ...], bool, str]:
    """Players for the interventions in `extra`: one each up to 8, else grouped by condition (see module notes)."""
    k = len(extra)
    if k <= EXACT_MAX_PLAYERS:
        players = tuple(Player(iv.name, (iv.name,), iv.condition, is_money_only(iv)) for iv in extra)
        return players, False, (f"exact Shapley values over all 2^{k} = {1 << k} subsets of the {k} "
                                f"intervention{'s' if k != 1 else ''}")
    groups: dict[Any, list[Intervention]] = {}
    for iv in extra:
        groups.setdefault(iv.condition if iv.condition is not None else ("alone", iv.name), []).append(iv)
    g = len(groups)
    if g > MAX_GROUPS:
        raise NotAttributable(
            f"{k} interventions in {g} Safety Valve condition groups: more than {MAX_GROUPS} players, so exact Shapley "
            f"values would need 2^{g} subsets; compare scenarios that differ by fewer interventions")
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] if isinstance(kv[0], int) else 99, extra.index(kv[1][0])))
    players = tuple(
        Player(" + ".join(iv.name for iv in ivs), tuple(iv.name for iv in ivs), ivs[0].condition,
               all(is_money_only(iv) for iv in ivs))
        for _, ivs in ordered
    )
    return players, True, (
        f"{k} interventions are more than {EXACT_MAX_PLAYERS}: grouped by Safety Valve condition into {g} groups, "
        f"exact Shapley values over all 2^{g} = {1 << g} subsets of groups (a group's saving is not split among "
        f"its interventions)")


def plan_attribution(base: Scenario, other: Scenario) -> AttributionPlan:
    """The attribution of OTHER vs BASE, or NotAttributable saying why there is none."""
    b_names = [iv.name for iv in base.interventions]
    o_names = [iv.name for iv in other.interventions]
    if set(b_names) <= set(o_names):
        smaller, larger, side = base, other, "other"
    elif set(o_names) <= set(b_names):
        smaller, larger, side = other, base, "base"
    else:
        only_b = sorted(set(b_names) - set(o_names))
        only_o = sorted(set(o_names) - set(b_names))
        raise NotAttributable(
            f"each scenario has interventions the other lacks (BASE only: {', '.join(only_b)}; OTHER only: "
            f"{', '.join(only_o)}); attribution needs one scenario's interventions to include the other's")
    small_names = {iv.name for iv in smaller.interventions}
    if not larger.with_interventions(small_names).same_inputs(smaller):
        what = differences_besides_interventions(smaller, larger)
        raise NotAttributable(
            "the scenarios differ in more than named interventions (" + "; ".join(what or ["their inputs"])
            + "), so the difference cannot be split among interventions")
    extra = [iv for iv in larger.interventions if iv.name not in small_names]
    if not extra:
        raise NotAttributable("the scenarios have the same interventions and inputs: there is no saving to split")
    players, grouped, method = choose_players(extra)
    common = tuple(iv.name for iv in larger.interventions if iv.name in small_names)
    return AttributionPlan(larger, common, players, grouped, side, method)


# ---- evaluating the subsets -------------------------------------------------------------------------------------
def _simulate(scenario: Scenario, seed: int, replication: int) -> Any:
    """The engine (looked up at call time so tests can substitute a cheap synthetic History)."""
    from ..model import simulate

    return simulate(scenario, seed=seed, replication=replication)


def _for_replication(scenario: Scenario, seed: int, replication: int) -> Scenario:
    from .uncertainty import scenario_for_replication

    return scenario_for_replication(scenario, seed, replication)


def _money(history: Any, scenario: Scenario) -> np.ndarray:
    """[year, measure] of ATTRIBUTED for one scenario's parameters on a History: what `summarise` computes."""
    _, money = price_history(history, scenario)
    return np.array([[m.accumulated_deficit_gbp_m, m.in_year_deficit_gbp_m] for m in money])


def result_money(result: ReplicationResult) -> np.ndarray:
    """[year, measure] of ATTRIBUTED from a replication already run (e.g. by the comparison)."""
    return np.array([[m.accumulated_deficit_gbp_m, m.in_year_deficit_gbp_m] for m in result.money])


def evaluate_group(plan: AttributionPlan, masks: Sequence[int], seed: int, replication: int) -> np.ndarray:
    """Simulate the first subset once and price every subset in `masks` on its History ([subset, year, measure]).

    The subsets must share their model-changing players (one model key). Each is the replication's scenario:
    the uncertainty drawn once (the draws act on base parameters, so every subset gets the same values, exactly
    as `scenario_for_replication` gives each of them) and then the subset's interventions.
    """
    keys = {m & plan.model_mask for m in masks}
    if len(keys) != 1:
        raise ValueError("subsets priced on one History must share their model-changing interventions")
    drawn = _for_replication(plan.mitigated, seed, replication)
    scenarios = [drawn.with_interventions(plan.subset_names(m)) for m in masks]
    history = _simulate(scenarios[0], seed, replication)
    return np.stack([_money(history, s) for s in scenarios])


def model_groups(plan: AttributionPlan) -> dict[int, list[int]]:
    """Model key (the bits of model-changing players) -> the subsets sharing it; the key itself comes first."""
    groups: dict[int, list[int]] = {}
    for mask in range(plan.n_subsets):
        groups.setdefault(mask & plan.model_mask, []).append(mask)
    return groups


def _group_task(payload: tuple[AttributionPlan, int], item: tuple[tuple[int, ...], int]) -> np.ndarray:
    """One (model key, replication) job on the executor stack: the plan travels once to each worker."""
    plan, seed = payload
    masks, replication = item
    return evaluate_group(plan, masks, seed, replication)


def subset_deficits(
    plan: AttributionPlan,
    seed: int,
    replications: int,
    *,
    workers: int | None = 1,
    known: Mapping[int, Sequence[ReplicationResult]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> tuple[np.ndarray, int]:
    """D[mask, replication, year, measure] for every subset, and the number of simulations run.

    One simulation per (model key, replication); subsets whose every sibling is in `known` (results already run,
    e.g. the comparison's two scenarios, by mask) are not simulated again. The jobs run on the executor stack
    (`executors.map_tasks`), so any number of workers or dask gives the same numbers.
    """
    from .executors import map_tasks

    years = financial_years(plan.mitigated)
    out = np.full((plan.n_subsets, replications, len(years), len(ATTRIBUTED)), np.nan)
    known = dict(known or {})
    jobs: list[tuple[tuple[int, ...], int]] = []
    for masks in model_groups(plan).values():
        if all(m in known for m in masks):
            for m in masks:
                for r, result in enumerate(known[m][:replications]):
                    out[m, r] = result_money(result)
            continue
        jobs.extend((tuple(masks), r) for r in range(replications))
    values = map_tasks(_group_task, (plan, seed), jobs, workers=workers, executor=executor, scheduler=scheduler,
                       progress=progress, preload=["svsim.experiment.attribution"])
    for (masks, r), value in zip(jobs, values, strict=True):
        out[list(masks), r] = value
    return out, len(jobs)


def brute_force_deficits(
    plan: AttributionPlan, seed: int, replications: int,
    replicate: Callable[[Scenario, int, int], ReplicationResult] | None = None,
) -> np.ndarray:
    """D[mask, replication, year, measure] with every subset simulated on its own (the yardstick for the cache)."""
    if replicate is None:
        from .replications import run_one as replicate
    masks = range(plan.n_subsets)
    return np.stack([np.stack([result_money(replicate(plan.subset_scenario(m), seed, r))
                               for r in range(replications)]) for m in masks])


# ---- the attribution ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stat:
    """A quantity across replications: mean, P10, P90 and the 95% t interval of the mean."""

    mean: float
    p10: float
    p90: float
    ci_low: float
    ci_high: float


def stat(samples: Iterable[float]) -> Stat:
    """Summarise per-replication values (used for Shapley values and totals)."""
    from .compare import mean_interval

    x = np.asarray(list(samples), dtype=float)
    ci = mean_interval(x)
    p10, p90 = (float(q) for q in np.quantile(x, [0.1, 0.9]))
    return Stat(ci.mean, p10, p90, ci.low, ci.high)


@dataclass(frozen=True)
class Attribution:
    """Shapley savings per player, replication, financial year and measure, with what they came from."""

    plan: AttributionPlan
    years: tuple[int, ...]
    deficits: np.ndarray
    """D[mask, replication, year, measure]: each subset's accumulated deficit / in-year position, £m."""
    shapley: np.ndarray
    """phi[player, replication, year, measure]: each player's saving, £m (positive = saving)."""
    simulations: int
    runtime_s: float

    @property
    def replications(self) -> int:
        return int(self.deficits.shape[1])

    @property
    def total_saving(self) -> np.ndarray:
        """[replication, year, measure]: without the players minus with them all."""
        return self.deficits[0] - self.deficits[-1]

    def player_stat(self, j: int, fy: int, measure: str = ATTRIBUTED[0]) -> Stat:
        return stat(self.shapley[j, :, self.years.index(fy), ATTRIBUTED.index(measure)])

    def total_stat(self, fy: int, measure: str = ATTRIBUTED[0]) -> Stat:
        return stat(self.total_saving[:, self.years.index(fy), ATTRIBUTED.index(measure)])

    def level(self, mask: int, fy: int, measure: str = ATTRIBUTED[0]) -> float:
        """Mean over replications of one subset's deficit measure (0: none of the players; -1: all)."""
        return float(self.deficits[mask, :, self.years.index(fy), ATTRIBUTED.index(measure)].mean())


def attribute(
    plan: AttributionPlan,
    seed: int,
    replications: int,
    *,
    workers: int | None = 1,
    known: Mapping[int, Sequence[ReplicationResult]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> Attribution:
    """Evaluate every subset on replications 0..n-1 of `seed` and compute Shapley savings per replication."""
    began = time.perf_counter()
    deficits, simulations = subset_deficits(plan, seed, replications, workers=workers, known=known,
                                            progress=progress, executor=executor, scheduler=scheduler)
    savings = deficits[0][None] - deficits  # v(S) = D(none) - D(S)
    return Attribution(plan, tuple(financial_years(plan.mitigated)), deficits, shapley_values(savings), simulations,
                       time.perf_counter() - began)


__all__ = [
    "ATTRIBUTED",
    "EXACT_MAX_PLAYERS",
    "MAX_GROUPS",
    "MONEY_PREFIXES",
    "Attribution",
    "AttributionPlan",
    "NotAttributable",
    "Player",
    "Stat",
    "attribute",
    "brute_force_deficits",
    "choose_players",
    "evaluate_group",
    "is_money_only",
    "model_groups",
    "plan_attribution",
    "shapley_of",
    "shapley_values",
    "stat",
    "subset_deficits",
]
