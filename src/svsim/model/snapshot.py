"""Snapshot and resume: simulate a lead-in shared by many variants once, then each variant from its end.

Why. Sensitivity analysis runs thousands of variants of one scenario on the same replication, and their inputs
differ only from a day on (factors act from the day after `horizon.last_observed`). Up to that day every variant
is the same simulation, so it is run once (`take`) and each variant continues from a copy of its end (`resume`).

How (exact, not an approximation):
- `take` runs the scenario to the start of day `day` and keeps the state of the run (the people table, the four
  parts, the recorder and the agenda) pickled, and the same run's state just after a setup without the start
  state (the census plans and open cases: engine.Run.setup(start_state=False)).
- `resume` builds the variant's own run (its inputs, random-number identities and setup without the start state),
  then merges three states attribute by attribute, like a three-way merge in version control: the snapshot's
  bare setup is the common ancestor, the snapshot's state at `day` is what the lead-in changed, the
  variant's state at setup is what its inputs changed. An attribute only one side changed takes that side's value;
  one both changed is merged row by row (people columns: the lead-in's rows and the variant's future requests),
  and if a row or a value was changed by both, the variant's inputs acted on the lead-in: `SnapshotError` (then
  simulate it whole). Random-number columns and caches built from inputs are the variant's.
- The inputs must agree before `day` (every per-day table, every fixed number); the cumulative moving-away
  hazard, which schedules events past `day`, must agree whole. Otherwise `SnapshotError`.
- Pending events are moved across with their handlers re-bound to the variant's parts; the pending new request
  and move-in candidate (each event schedules the next) take the variant's next time. Their order is kept: the
  pending events keep their relative sequence, and every later event sorts after them, as in an uninterrupted run.
- Rows. The run's rows are the census plans, open requests, the requests of the whole run in time order, then the
  move-in candidates. The variants' requests before `day` are the same rows; after it their number differs, so
  the snapshot reserves spare rows and puts the move-in candidates at the same fixed row for every variant
  (`engine.Run(move_in_first=...)`). A variant needing more rows than reserved raises SnapshotError. A fixed
  first row also fixes the move-in candidates' bound, so the candidates never accepted differ from a plain run's:
  the children who arrive, and every outcome, are the same (tested: resumed runs equal plain `simulate` runs).
"""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field
from types import MethodType
from typing import Any

from .engine import Run, gc_paused
from .history import History
from .inputs import Inputs
from .rng import ChildDraws

PARTS = ("pipeline", "placement", "reviews", "transitions")
CONTEXT = frozenset(("inp", "cal", "rec", "draws", "people", "agenda", "at", "month_of", "year_of", *PARTS))
"""Part attributes that are the shared context (Part.__init__, Part.link): the resumed run's own."""
CACHES = frozenset(("quiet_cache", "u_review", "u_team"))
"""Part attributes built lazily during a run from inputs or draws: the variant's (rebuilt as needed)."""
CHAINS = {("pipeline", "arrival"): "arrival_t", ("transitions", "_move_in"): "move_in_t"}
"""Events that schedule their successor: (part, handler) -> the part's list of times indexed by the event's value."""
WHOLE = ("move_away_hazard",)
"""Inputs read past the current day when an event is scheduled: they must agree on every day."""
SPARE_ROWS = 0.3
"""Rows reserved for requests, beyond the snapshot scenario's own: a share of them (assumption: variants with up to
30% more requests in the whole run resume; more than that raises SnapshotError)."""


class SnapshotError(ValueError):
    """This variant cannot continue from this snapshot (its inputs act before the snapshot's day)."""


@dataclass
class Snapshot:
    """The state of one replication at the start of `day` (see the module notes). Picklable."""

    day: int
    seed: int
    replication: int
    record_events: bool
    move_in_first: int
    inputs: Inputs
    at_setup: bytes
    at_day: bytes
    _ancestor: dict | None = field(default=None, repr=False, compare=False)

    def ancestor(self) -> dict:
        if self._ancestor is None:
            self._ancestor = pickle.loads(self.at_setup)
        return self._ancestor

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_ancestor": None}


def take(inp: Inputs, seed: int, replication: int, day: int, record_events: bool = False) -> Snapshot:
    """Run `inp` to the start of `day` (0 < day < the run's days) and keep its state."""
    return _taken(inp, seed, replication, day, record_events)[0]


def take_and_run(inp: Inputs, seed: int, replication: int, day: int,
                 record_events: bool = False) -> tuple[Snapshot, History]:
    """`take`, and the History of `inp` itself from the same run carried on to the end: a variant that needs a
    snapshot and is simulated anyway pays only for keeping the state (about a tenth of a run less than `take`
    then `resume`). The History is `simulate`'s (the reserved rows change no outcome: module notes; tested)."""
    snap, run = _taken(inp, seed, replication, day, record_events)
    run.run_days(day, run.cal.n_days)
    history = run.finish()
    history.seed, history.replication = snap.seed, snap.replication
    return snap, history


def _taken(inp: Inputs, seed: int, replication: int, day: int, record_events: bool) -> tuple[Snapshot, Run]:
    """The snapshot at `day` and the run it was taken from, stopped there."""
    n_days = inp.cal.n_days
    if not 0 < day < n_days:
        raise ValueError(f"a snapshot's day must be within the run (1 to {n_days - 1}), got {day}")
    plain = Run(inp, ChildDraws(seed, replication), record_events)
    n_requests = plain.move_in_first - plain.arrival_first
    spare = plain.arrival_first + math.ceil(n_requests * (1.0 + SPARE_ROWS)) + 64
    del plain
    bare = Run(inp, ChildDraws(seed, replication), record_events, move_in_first=spare)
    bare.setup(start_state=False)
    at_setup = pickle.dumps(_capture(bare), protocol=pickle.HIGHEST_PROTOCOL)
    del bare
    run = Run(inp, ChildDraws(seed, replication), record_events, move_in_first=spare)
    run.setup()
    run.run_days(0, day)
    at_day = pickle.dumps(_capture(run), protocol=pickle.HIGHEST_PROTOCOL)
    return Snapshot(day, int(seed), int(replication), record_events, spare, inp, at_setup, at_day), run


def resume(snapshot: Snapshot, inp: Inputs) -> History:
    """The History of `inp` on the snapshot's replication, simulated from the snapshot's day on: the same numbers
    as `simulate` gives (SnapshotError if `inp` differs from the snapshot's inputs before that day)."""
    check_inputs(snapshot.inputs, inp, snapshot.day)
    with gc_paused():  # building the run and unpickling make many containers the cyclic collector would walk
        run = Run(inp, ChildDraws(snapshot.seed, snapshot.replication), snapshot.record_events,
                  move_in_first=snapshot.move_in_first)
        if run.move_in_first != snapshot.move_in_first:
            raise SnapshotError(f"the variant has {run.move_in_first - run.arrival_first:,} requests, more than "
                                f"the {snapshot.move_in_first - run.arrival_first:,} rows the snapshot reserved")
        run.setup(start_state=False)  # the start state is the snapshot's
        theirs = _capture(run)
        _merge_into(run, snapshot.ancestor(), pickle.loads(snapshot.at_day), theirs, snapshot.day)
    run.run_days(snapshot.day, run.cal.n_days)
    history = run.finish()
    run.release()
    history.seed, history.replication = snapshot.seed, snapshot.replication
    return history


def check_inputs(base: Inputs, other: Inputs, day: int) -> None:
    """SnapshotError unless `other` equals `base` on days before `day` (and whole for WHOLE and fixed values)."""
    n = base.cal.n_days
    if other.cal.n_days != n or other.cal.start != base.cal.start:
        raise SnapshotError("the variant's horizon differs from the snapshot's")
    for name, a in vars(base).items():
        if not _agree(a, getattr(other, name), n, day, name not in WHOLE):
            raise SnapshotError(f"the variant's input '{name}' differs from the snapshot's before day {day}")


def _agree(a: Any, b: Any, n_days: int, day: int, per_day: bool) -> bool:
    """Whether two inputs agree: per-day tables (n_days long or more) on days before `day`, dicts of them key by
    key, anything else whole."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_agree(a[k], b[k], n_days, day, per_day) for k in a)
    if per_day and isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) >= n_days:
        return len(a) == len(b) and _same(list(a[:day]), list(b[:day]))
    if per_day and type(a).__name__ == "ndarray" and getattr(a, "ndim", 0) == 1 and len(a) >= n_days:
        return len(a) == len(b) and _same(list(a[:day]), list(b[:day]))
    return _same(a, b)


# ---- capturing and merging state -------------------------------------------------------------------------------
def _holders(run: Run) -> dict[int, str]:
    return {id(run): "run", **{id(getattr(run, p)): p for p in PARTS}}


def _token(handler: Any, names: dict[int, str]) -> tuple[str, str]:
    if not isinstance(handler, MethodType) or id(handler.__self__) not in names:
        raise SnapshotError(f"cannot move an event handled by {handler!r}")
    return names[id(handler.__self__)], handler.__func__.__name__


def _capture(run: Run) -> dict:
    """The run's state as plain values: objects' attributes, events with handlers as (owner, method name)."""
    names = _holders(run)
    agenda = run.agenda
    return {
        "people": {k: v for k, v in vars(run.people).items() if k != "rec"},
        "rec": {k: v for k, v in vars(run.rec).items() if k != "cal"},
        **{p: {k: v for k, v in vars(getattr(run, p)).items() if k not in CONTEXT} for p in PARTS},
        "heap": [(t, seq, _token(h, names), v) for t, seq, h, v in agenda.pending()],
        "start_of_day": {d: [(_token(h, names), v) for h, v in todo] for d, todo in agenda._start_of_day.items()},
        "now": agenda.now,
    }


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (ValueError, TypeError):  # numpy arrays, or containers of them
        return pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL) == pickle.dumps(b, protocol=pickle.HIGHEST_PROTOCOL)


def _merge_value(where: str, base: Any, ours: Any, theirs: Any) -> Any:
    """Three-way merge of one value: `ours` is the lead-in's, `theirs` the variant's setup, `base` the ancestor."""
    if _same(theirs, base):
        return ours
    if _same(ours, base):
        return theirs
    if isinstance(base, list) and isinstance(ours, list) and isinstance(theirs, list) \
            and len(base) == len(ours) == len(theirs):  # row by row (people's columns)
        import numpy as np

        b, o, t = (np.array(x) for x in (base, ours, theirs))
        if b.dtype == object or o.dtype != b.dtype or t.dtype != b.dtype:
            raise SnapshotError(f"{where} was changed both by the lead-in and by the variant's inputs")
        ours_changed, theirs_changed = o != b, t != b
        both = np.flatnonzero(ours_changed & theirs_changed)
        if both.size:
            raise SnapshotError(f"{where}[{both[0]}] was changed both by the lead-in and by the variant's inputs")
        return np.where(theirs_changed, t, o).tolist()
    raise SnapshotError(f"{where} was changed both by the lead-in and by the variant's inputs")


def _merge_object(obj: Any, where: str, base: dict, ours: dict, theirs: dict) -> None:
    for key, value in theirs.items():
        if key in CACHES or type(value).__name__ == "array":  # random-number columns and caches: the variant's
            continue
        if key not in base or key not in ours:
            raise SnapshotError(f"{where}.{key} is not in the snapshot")
        setattr(obj, key, _merge_value(f"{where}.{key}", base[key], ours[key], value))


def _merge_into(run: Run, base: dict, ours: dict, theirs: dict, day: int) -> None:
    """Make `run` (the variant just set up) the state at the start of `day` (see the module notes)."""
    _merge_object(run.people, "people", base["people"], ours["people"], theirs["people"])
    _merge_object(run.rec, "rec", base["rec"], ours["rec"], theirs["rec"])
    for p in PARTS:
        _merge_object(getattr(run, p), p, base[p], ours[p], theirs[p])
    owners = {"run": run, **{p: getattr(run, p) for p in PARTS}}

    def bound(token: tuple[str, str]) -> Any:
        return getattr(owners[token[0]], token[1])

    # pending events: the setups must have scheduled the same (bar the chains' times), then the lead-in's heap
    def plain(heap: list) -> tuple[list, list]:
        return (sorted((t, seq, tok, v) for t, seq, tok, v in heap if tok not in CHAINS),
                sorted((seq, tok, v) for _, seq, tok, v in heap if tok in CHAINS))

    if not _same(plain(base["heap"]), plain(theirs["heap"])):
        raise SnapshotError("the variant's setup schedules other events than the snapshot's")
    pending = sorted(ours["heap"])
    heap = []
    for k, (t, _, tok, v) in enumerate(pending):
        if tok in CHAINS:
            t = getattr(owners[tok[0]], CHAINS[tok])[v]
            if t < day:
                raise SnapshotError(f"the variant's {tok[1]} {v} comes before day {day}")
        heap.append((t, k - len(pending), bound(tok), v))  # before every event scheduled from now on, in order
    agenda = run.agenda
    agenda.set_pending(heap)
    later = {}
    for d in set(ours["start_of_day"]) | {d for d in theirs["start_of_day"] if d >= day}:
        todo = _merge_value(f"start of day {d}", base["start_of_day"].get(d), ours["start_of_day"].get(d),
                            theirs["start_of_day"].get(d))
        if todo:
            later[d] = [(bound(tok), v) for tok, v in todo]
    agenda._start_of_day.clear()
    agenda._start_of_day.update(later)
    agenda.now = ours["now"]


__all__ = ["Snapshot", "SnapshotError", "check_inputs", "resume", "take", "take_and_run"]
