"""Replications: run the engine once per (seed, replication) and keep a small, picklable summary of each.

A replication is an independent task: `run_replication(scenario, seed, i)` returns a `ReplicationResult` holding
only plain numbers (money by financial year, census counts, KPIs, spend by setting, monthly plans, uncertainty
draws), never the History or the scenario. `run_replications` runs them one after another; `executors.run_tasks`
runs them in a process pool or on dask and hands back the same results, because each replication is fully
determined by (scenario, seed, replication index). This module never imports the executors (they import it).
"""

from __future__ import annotations

import datetime as dt
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import BinaryIO, overload

import numpy as np

from ..domain import SETTINGS
from ..finance.costs import PlacementSpend, other_lines_gbp_m, placement_spend
from ..finance.deficit import YearMoney, deficit_trajectory, financial_years
from ..finance.kpis import census_counts, kpi_values
from ..finance.waiting import waiting_by_year
from ..model.history import History
from ..scenario import Scenario
from .flows import calendar_year_flows


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication contributes to a run's tables. Plain data, so it pickles cheaply."""

    replication: int
    seed: int
    money: tuple[YearMoney, ...]
    """One entry per reported financial year."""
    placement_spend_gbp_m: dict[int, dict[str, float]]
    """Financial year -> setting -> placement spend (HNB share), £m."""
    other_lines_gbp_m: dict[int, dict[str, float]]
    """Financial year -> other HNB line -> £m."""
    plan_years: dict[int, dict[str, float]]
    """Financial year -> setting -> plan-days / days in the year (the average number of plans)."""
    census: dict[int, np.ndarray]
    """January census year -> plans by [setting, age band]."""
    kpis: dict[str, dict[int, float]]
    """KPI -> financial year -> value."""
    month_starts: tuple[dt.date, ...]
    monthly_plans: np.ndarray
    """Plans by [month, setting, age band] on the first day of each month (the start date for the first)."""
    runtime_s: float = 0.0
    draws: dict[str, float] = field(default_factory=dict)
    """Uncertain parameter path -> the number this replication drew for it (empty without uncertainty)."""
    monthly_flows: dict[str, np.ndarray] = field(default_factory=dict)
    """Flow name (MONTHLY_FLOWS, where the History has it) -> count in each month of `month_starts`."""
    monthly_levels: dict[str, np.ndarray] = field(default_factory=dict)
    """Level name (MONTHLY_LEVELS, where the History has it) -> value at the start of each month of
    `month_starts`."""
    calendar_flows: dict[str, dict[int, float]] = field(default_factory=dict)
    """Flow measure (svsim.data.groups.FLOW_MEASURES) -> calendar year -> value, in the DfE's definitions."""
    flow_coverage: dict[int, float] = field(default_factory=dict)
    """Calendar year -> share of its days simulated (part-years' counts in calendar_flows are annualised)."""

    @property
    def years(self) -> list[int]:
        return [m.financial_year for m in self.money]

    def year(self, fy: int) -> YearMoney:
        return next(m for m in self.money if m.financial_year == fy)


MONTHLY_FLOWS: tuple[str, ...] = (
    "requests", "refusals", "decisions_to_assess", "appeals", "appeals_won", "assessments_completed",
    "plans_issued", "plans_issued_within_20_weeks", "not_issued", "reviews_due", "reviews_completed", "ceased",
    "started_waiting", "refused_srp", "refused_special", "stepped_down",
)
"""History flows a replication keeps month by month for the report (the mechanisms behind the money)."""
MONTHLY_LEVELS: tuple[str, ...] = (
    "open_requests", "assessment_queue", "assessments_in_progress", "reviews_overdue", "waiting_for_place",
    "occupied_srp", "occupied_special", "wanting_special",
)
"""History levels a replication keeps month by month for the report."""


def price_history(history: History, scenario: Scenario) -> tuple[PlacementSpend, list[YearMoney]]:
    """Placement spend and the money by financial year for one History under `scenario`'s money parameters.

    Pure: the same History can be priced under several scenarios that differ only in money (attribution does).
    """
    years = financial_years(scenario)
    spend = placement_spend(history, scenario)
    incomplete = [fy for fy in years if not spend.is_complete(fy)]
    if incomplete:
        raise ValueError(f"the History does not cover financial year(s) {incomplete} in full")
    waiting = waiting_by_year(history, scenario, years)
    return spend, deficit_trajectory(scenario, {fy: spend.total_gbp_m(fy) for fy in years}, waiting)


def summarise(
    history: History, scenario: Scenario, *, seed: int | None = None, replication: int | None = None,
    runtime_s: float = 0.0,
) -> ReplicationResult:
    """Turn one History into its ReplicationResult: money, census, KPIs (pure; used with synthetic Histories too).

    `seed` and `replication` default to those recorded in the History.
    """
    years = financial_years(scenario)
    spend, money = price_history(history, scenario)
    plan_years = {
        fy: {s: float(v) / spend.days[fy] for s, v in zip(SETTINGS, spend.plan_days[fy].sum(axis=1), strict=True)}
        for fy in years
    }
    days = [max(history.day_of(m), 0) for m in history.month_starts]
    days = [d for d in days if d < history.days]
    months = tuple(history.date_of(d) for d in days)
    calendar_flows, flow_coverage = calendar_year_flows(history)
    return ReplicationResult(
        replication=history.replication if replication is None else replication,
        seed=history.seed if seed is None else seed,
        money=tuple(money),
        placement_spend_gbp_m={fy: spend.by_setting_gbp_m(fy) for fy in years},
        other_lines_gbp_m={fy: other_lines_gbp_m(scenario, fy) for fy in years},
        plan_years=plan_years,
        census=census_counts(history, scenario),
        kpis=kpi_values(history, scenario, years),
        month_starts=months,
        monthly_plans=np.array(history.occupancy[days], dtype=np.int32),
        runtime_s=runtime_s,
        monthly_flows={name: np.asarray(history.flows[name][: len(days)], dtype=float)
                       for name in MONTHLY_FLOWS if name in history.flows},
        monthly_levels={name: np.asarray(history.levels[name][: len(days)], dtype=float)
                        for name in MONTHLY_LEVELS if name in history.levels},
        calendar_flows=calendar_flows,
        flow_coverage=flow_coverage,
    )


def run_replication(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """Simulate replication `replication` of `scenario` with root seed `seed` and summarise it."""
    from ..model import simulate  # the engine is heavy: imported only when a simulation is asked for

    began = time.perf_counter()
    history = simulate(scenario, seed=seed, replication=replication)
    return summarise(history, scenario, seed=seed, replication=replication, runtime_s=time.perf_counter() - began)


def run_one(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """One task: draw the replication's uncertain parameters, then simulate and summarise it (draws recorded)."""
    from .uncertainty import apply_draws, draws_for

    draws = draws_for(scenario, seed, replication)
    # run_replication is looked up at call time, so a test may substitute the engine (in this process)
    result = run_replication(apply_draws(scenario, draws), seed, replication)
    return replace(result, draws=draws) if draws else result


Replicate = Callable[[Scenario, int, int], ReplicationResult]


def replication_tasks(seed: int, replications: int) -> list[tuple[int, int]]:
    """The (seed, replication index) pairs of a run: each one fixes a replication's random streams."""
    if replications < 1:
        raise ValueError("at least one replication is needed")
    return [(seed, i) for i in range(replications)]


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int = 0,
    *,
    replicate: Replicate | None = None,
    progress: Callable[[ReplicationResult, int, int], None] | None = None,
) -> list[ReplicationResult]:
    """Run the replications one after another (in index order) and return their results.

    `replicate` defaults to `run_one` (the scenario's uncertainty drawn, then `run_replication`); tests may
    substitute it. For parallel runs use `executors.run_tasks`, which gives the same results.
    """
    if replicate is None:
        replicate = run_one
    tasks = replication_tasks(seed, replications)
    results: list[ReplicationResult] = []
    for k, (s, i) in enumerate(tasks, start=1):
        result = replicate(scenario, s, i)
        results.append(result)
        if progress is not None:
            progress(result, k, len(tasks))
    return results


KEPT_IN_EVERY_VIEW = ("replication", "seed", "money", "runtime_s")
"""Fields a `ReplicationStore.view` always keeps: small, and what every table checks (the years) or counts."""


class ReplicationStore(Sequence[ReplicationResult]):
    """A run's replication results streamed to a file as they finish, read back from it one at a time.

    Why: held as objects, each finished replication takes 65-180 KB in the parent, so 10,000 of them fill gigabytes
    before the tables are built. Here each is pickled to `path` as it arrives (in whatever order the workers finish)
    and the parent keeps only where it is; reading is by position (the replication's place in the run), so nothing
    depends on the finishing order or the number of workers. `view(fields)` reads every result back in one pass with
    only the fields a table needs (the others empty), so building the tables needs one table's share at a time.
    The file belongs to the run folder's scratch space (outputs/run_folder.py), which a failed or completed run
    deletes: it is never a result, and only this process writes and reads it.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: BinaryIO | None = open(self.path, "w+b")  # noqa: SIM115 - open until close()
        self._where: dict[int, tuple[int, int]] = {}  # position -> (offset, size)
        self._end = 0

    def put(self, position: int, result: ReplicationResult) -> None:
        """Append the result of the run's replication number `position` (0, 1, ... in the run's order)."""
        if position in self._where:
            raise ValueError(f"replication position {position} is already stored")
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        handle = self._open()
        handle.seek(self._end)
        handle.write(data)
        self._where[position] = (self._end, len(data))
        self._end += len(data)

    def __len__(self) -> int:
        return len(self._where)

    @overload
    def __getitem__(self, i: int) -> ReplicationResult: ...

    @overload
    def __getitem__(self, i: slice) -> list[ReplicationResult]: ...

    def __getitem__(self, i: int | slice) -> ReplicationResult | list[ReplicationResult]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        position = i + len(self) if i < 0 else i
        if position not in self._where:
            raise IndexError(f"no replication at position {i} (of {len(self)})")
        offset, size = self._where[position]
        handle = self._open()
        handle.seek(offset)
        return pickle.loads(handle.read(size))

    def view(self, fields: Sequence[str] = (), start: int = 0, stop: int | None = None) -> list[ReplicationResult]:
        """The results at positions start .. stop - 1 (all by default) with only `fields` (and KEPT_IN_EVERY_VIEW);
        the others are empty."""
        stop = len(self) if stop is None else min(stop, len(self))
        return [slimmed(self[i], fields) for i in range(start, stop)]

    @property
    def size_bytes(self) -> int:
        """Bytes written to the file so far."""
        return self._end

    def close(self) -> None:
        """Close the file (the run folder deletes it); the store then only knows how many results it had."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open(self) -> BinaryIO:
        if self._file is None:
            raise ValueError(f"the replication results' file {self.path} is closed (it is removed with the run "
                             "folder's scratch files when the run ends): read the run folder's CSVs instead")
        return self._file


class StoredSection(Sequence[ReplicationResult]):
    """Positions start .. start + length - 1 of a ReplicationStore, as a sequence read from disk one result at a time
    (a compare keeps each scenario's replications so: one store, scenario after scenario). Slicing gives another
    section, so `section[:n]` reads nothing yet."""

    def __init__(self, store: ReplicationStore, start: int, length: int) -> None:
        self.store, self.start, self.length = store, start, length

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, i: int) -> ReplicationResult: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[ReplicationResult]: ...

    def __getitem__(self, i: int | slice) -> ReplicationResult | Sequence[ReplicationResult]:
        if isinstance(i, slice):
            first, stop, step = i.indices(self.length)
            if step != 1:
                return [self[k] for k in range(first, stop, step)]
            return StoredSection(self.store, self.start + first, max(0, stop - first))
        k = i + self.length if i < 0 else i
        if not 0 <= k < self.length:
            raise IndexError(f"no replication at position {i} (of {self.length})")
        return self.store[self.start + k]


def slimmed(result: ReplicationResult, fields: Sequence[str] = ()) -> ReplicationResult:
    """`result` with only `fields` (and KEPT_IN_EVERY_VIEW) kept, the others empty: what a table or the precision
    rule needs of it, at a fraction of its memory."""
    empty = {f.name: _EMPTY.get(f.name, f.default_factory)() for f in dataclass_fields(ReplicationResult)  # type: ignore[operator]
             if f.name not in fields and f.name not in KEPT_IN_EVERY_VIEW}
    return replace(result, **empty)


_EMPTY: dict[str, Callable[[], object]] = {
    "placement_spend_gbp_m": dict, "other_lines_gbp_m": dict, "plan_years": dict, "census": dict, "kpis": dict,
    "month_starts": tuple, "monthly_plans": lambda: np.zeros((0, 0, 0), dtype=np.int32),
}
"""What an emptied field holds in a view (fields with a default factory use it)."""


def check_consistent(results: Sequence[ReplicationResult]) -> None:
    """All results of a run must cover the same years (a guard before tables are built)."""
    if not results:
        raise ValueError("no replication results")
    first = results[0].years
    if any(r.years != first for r in results):
        raise ValueError("replications cover different financial years")


__all__ = [
    "MONTHLY_FLOWS",
    "MONTHLY_LEVELS",
    "ReplicationResult",
    "ReplicationStore",
    "StoredSection",
    "check_consistent",
    "replication_tasks",
    "run_one",
    "run_replication",
    "run_replications",
    "slimmed",
    "summarise",
]
