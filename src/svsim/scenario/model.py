"""The resolved scenario: frozen, validated, every parameter a dated series. Nothing downstream reads YAML."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

import yaml

from .dated import Series
from .errors import Problem
from .interventions import Intervention, apply_interventions
from .spec import Param
from .targets import Targets, Uncertain

LABELS = ("name", "title", "council", "description")
"""Text that names and describes a scenario without changing what it models."""


@dataclass(frozen=True)
class Scenario:
    """Model inputs for one council. Run settings (seed, replications, workers) are kept apart."""

    name: str
    title: str
    council: str
    description: str
    files: tuple[tuple[str, str], ...]
    """(path, sha256) of every file read, the root of the `extends` chain first."""
    start: dt.date
    end: dt.date
    census_date: dt.date
    base_params: Mapping[str, Series]
    specs: Mapping[str, Param]
    targets: Targets
    interventions: tuple[Intervention, ...] = ()
    uncertainty: tuple[Uncertain, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    """Things accepted but worth a look (a back-filled dated value, an unusual number): shown and recorded."""

    def __reduce__(self) -> tuple:
        """Pickle as plain dicts (mapping proxies cannot be pickled), so scenarios travel to worker processes."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name, value in fields.items():
            if isinstance(value, MappingProxyType):
                fields[name] = dict(value)
        return (_rebuild, (fields,))

    @cached_property
    def params(self) -> Mapping[str, Series]:
        """Parameters with the interventions applied (the base is never modified)."""
        return MappingProxyType(apply_interventions(self.base_params, self.specs, list(self.interventions)))

    # ---- reading parameters ---------------------------------------------------------------------------------
    def series(self, path: str) -> Series:
        try:
            return self.params[path]
        except KeyError:
            raise KeyError(f"no parameter '{path}' in the scenario schema") from None

    def value(self, path: str, when: dt.date | None = None) -> Any:
        """The value in force on `when` (default: the start of the simulation)."""
        return self.series(path).at(when or self.census_date)

    def group(self, prefix: str) -> dict[str, Series]:
        """The parameters directly under `prefix`, by their last key (e.g. one per age band)."""
        head = prefix + "."
        out = {}
        for path, series in self.params.items():
            if path.startswith(head):
                rest = path[len(head):]
                if "." not in rest:
                    out[rest] = series
        if not out:
            raise KeyError(f"no parameters under '{prefix}'")
        return out

    def change_dates(self) -> list[dt.date]:
        """Every date on which some parameter changes, within the simulated period."""
        return sorted({d for s in self.params.values() for d in s.change_dates() if self.census_date <= d <= self.end})

    # ---- variants -------------------------------------------------------------------------------------------
    def with_interventions(self, names: Iterable[str]) -> Scenario:
        """The same scenario with only the named interventions (in their declared order)."""
        wanted = {names} if isinstance(names, str) else set(names)
        unknown = wanted - {iv.name for iv in self.interventions}
        if unknown:
            raise KeyError(f"no intervention named {', '.join(sorted(unknown))}")
        return replace(self, interventions=tuple(iv for iv in self.interventions if iv.name in wanted))

    def with_base_params(self, changed: Mapping[str, Series]) -> Scenario:
        """The same scenario with some base parameters replaced (e.g. one Monte Carlo draw)."""
        unknown = set(changed) - set(self.base_params)
        if unknown:
            raise KeyError(f"no parameter {', '.join(sorted(unknown))}")
        return replace(self, base_params=MappingProxyType({**self.base_params, **changed}))

    # ---- provenance ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data (what `scenario.resolved.yaml` holds)."""
        tree: dict[str, Any] = {}
        for path, series in self.params.items():
            node = tree
            keys = path.split(".")
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = series.to_yaml()
        return {
            "name": self.name,
            "title": self.title,
            "council": self.council,
            "horizon": {"start": self.start, "end": self.end},
            "census_date": self.census_date,
            "parameters": tree,
            "interventions": [
                {"name": iv.name, "condition": iv.condition, "start": iv.start, "end": iv.end,
                 "ramp_months": iv.ramp_months, "order": iv.order,
                 "changes": {c.path: {c.op: c.amount} for c in iv.changes},
                 **({"rebalance": list(iv.rebalance_paths)} if iv.rebalance else {})}
                for iv in self.interventions
            ],
            "targets": {
                "sv_profile_gbp_m": dict(self.targets.sv_profile_gbp_m),
                "ehcp_plan_by_age_band": {k: dict(v) for k, v in self.targets.ehcp_plan_by_age_band.items()},
                "kpis": {k: dict(v) for k, v in self.targets.kpis.items()},
                **{key: dict(getattr(self.targets, key)) for key in ("actual_accumulated_deficit_gbp_m",
                                                                     "actual_in_year_hnb_gbp_m")
                   if getattr(self.targets, key)},
            },
            "uncertainty": [
                {"path": u.path, "distribution": u.distribution, **u.args, "apply": u.apply} for u in self.uncertainty
            ],
        }

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=120)

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of the resolved model inputs: equal fingerprints mean equal inputs.

        Labels (name, title, council, description), sources and file names are not model inputs and are left out.
        """
        data = self.to_dict()
        for label in LABELS:
            data.pop(label, None)
            data["parameters"].pop(label, None)
        text = yaml.safe_dump(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


    def same_inputs(self, other: Scenario) -> bool:
        """Equal model inputs: the same fingerprint, or the same but for interventions' `order:` where that changes
        no parameter (an inherited intervention patched with an `order:` so that a new one can follow it)."""
        if self.fingerprint == other.fingerprint:
            return True

        def without_order(s: Scenario) -> str:
            data = s.to_dict()
            for label in LABELS:
                data.pop(label, None)
                data["parameters"].pop(label, None)
            for iv in data["interventions"]:
                iv.pop("order", None)
            return yaml.safe_dump(data, sort_keys=True)

        return without_order(self) == without_order(other) and all(
            self.params[p] == other.params.get(p) for p in self.params if p not in LABELS)


def _rebuild(fields: dict[str, Any]) -> Scenario:
    for name in ("base_params", "specs", "sources", "units"):
        fields[name] = MappingProxyType(fields[name])
    return Scenario(**fields)
