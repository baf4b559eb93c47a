#!/usr/bin/env python3
"""Mutation fuzzer for scenario files: careless and hostile edits of scenarios/base.yaml and its what-ifs.

    python tools/fuzz_scenarios.py --seed 1 --count 2000 [--runs 20] [--cli-runs 3] [--subprocess 20] [--out DIR]

Each mutant is the base scenario or a what-if with one to three mutations of the kinds a careless or hostile user
makes (a key deleted, misspelt or repeated, a value of the wrong type, a number scaled by 1e-6..1e9, a sign flip,
zero, NaN/inf/'1e9', shares perturbed, dates moved out of the horizon or to impossible days, an intervention's target
misspelt, `extends` to a missing or non-YAML file, unicode, huge lists, anchors, `--set` forms with bad values).
Every mutant is validated through `load_scenario` and the `svsim validate` summary (the same checks as the CLI, in
this process: about 0.2 s each). Then:

- `--runs N`: N of the mutants that validate are run as `svsim run -n 1` does before it writes anything: the size
  estimate for one replication, one replication (`run_one`), the run's tables, and the plausibility checks of
  `svsim.experiment.limits.result_problems` (the one place they are kept).
- `--cli-runs K`: K of those also go through the real `svsim run -n 1 -w 1` (in this process, into a temporary
  folder): charts, workbook and report included (about 8 s each).
- `--subprocess K`: K mutants are also validated by the `svsim` executable, to compare exit statuses and look for
  tracebacks the way a user sees them.

Outcomes: `refused` (exit 2: ScenarioError with located problems), `valid` (exit 0), `ran` (a clean run), and
FAILURE: a traceback, an exit status other than 0/2, a refusal without a file or with raw exception text, a failure
after validation passed (late failure, including a run refused for its size), or silent nonsense (a run with
impossible outputs and no warning). The summary lists each failure class with an example; each failing mutant is
written to `<out>/<class>/<n>.yaml` with a `.txt` saying how to reproduce it.

Deterministic: the same --seed and --count make the same mutants (mutant n depends only on the seed and n).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
sys.path.insert(0, str(ROOT / "src"))

from svsim.scenario import ScenarioError, load_scenario  # noqa: E402

WHAT_IFS = sorted(p.name for p in SCENARIOS.glob("*.yaml") if p.name != "base.yaml")
VALIDATE_SECONDS = 30
RUN_SECONDS = 120


# ---- mutants ----------------------------------------------------------------------------------------------------

@dataclass
class Mutant:
    index: int
    source: str
    kinds: list[str] = field(default_factory=list)
    text: str = ""
    sets: list[str] = field(default_factory=list)
    extra: dict[str, bytes] = field(default_factory=dict)
    """Other files next to the mutant (a file it extends), name -> bytes."""
    raw: bytes | None = None
    """The mutant's bytes when they are not `text` in UTF-8 (a BOM, invalid bytes)."""


def _walk(node: Any, path: tuple = ()) -> list[tuple[tuple, Any, Any]]:
    """(path, parent, key) of every node under `node`."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.append(((*path, k), node, k))
        out.extend(_walk(v, (*path, k)))
    return out


def _numbers(data: Any) -> list[tuple[tuple, Any, Any]]:
    return [n for n in _walk(data) if isinstance(n[1][n[2]], int | float) and not isinstance(n[1][n[2]], bool)]


def _typo(rng: random.Random, word: str) -> str:
    word = str(word)
    if len(word) < 2:
        return word + "x"
    i = rng.randrange(len(word))
    how = rng.choice(["drop", "swap", "double", "case", "space", "dash", "homoglyph", "zero-width"])
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    if how == "case":
        return word.upper() if rng.random() < 0.3 else word.capitalize()
    if how == "space":
        return rng.choice([" " + word, word + " ", word.replace("_", " ")])
    if how == "dash":
        return word.replace("_", "-") if "_" in word else word + "-"
    if how == "homoglyph":
        return word.replace("a", "а").replace("e", "е").replace("o", "о") if re.search("[aeo]", word) else word + "ı"
    return word[:i] + "\u200b" + word[i:]


ODD_VALUES: list[Any] = [
    float("nan"), float("inf"), float("-inf"), "1e9", "1,000", "£318m", "50%", 1e308, 10**30, -(10**30), "NaN",
    ".inf", "0x10", "1_000", True, False, None, "", " ", "unlimited", "yes", "null", "~", [], {}, [1, 2], {"a": 1},
    "1e400", 1e-320, -0.0, "２５", "25 years", dt.date(2023, 1, 1), "2023-04-01", "😀", "\u202eevil", "a" * 5000,
    {"value": 1, "unit": "furlongs"}, {"value": None}, {"value": [1]}, {"source": "only a source"},
]
UNITS = ["gbp", "gbp_m", "gbp_k", "gbp_bn", "GBP", "£", "£m", "pounds", "furlongs", "per 10k a year", "weeks",
         "months", "people", "", "%", None, 5, ["gbp"]]
EXTENDS = ["no-such-file.yaml", "README.md", "../README.md", "/etc/passwd", "/dev/zero", ".", "", 123, None,
           "parameters", "base.yml", "http://example.com/base.yaml", "binary.yaml", "empty.yaml", "list.yaml",
           "self", "/proc/self/environ", "../scenarios/base.yaml", "base.yaml\x00", "a" * 300 + ".yaml",
           "loop.yaml", ["base.yaml"], "backtest/README.md", "parameters/kent-assumptions.yaml"]


class Mutator:
    """Applies random mutations to a parsed scenario (plain data) and to its text."""

    def __init__(self, rng: random.Random, base: dict):
        self.rng = rng
        self.base = base  # the parsed base scenario, for paths a what-if may set

    # -- tree mutations: each returns a short description ---------------------------------------------------
    def pick(self, data: Any, want=None) -> tuple[tuple, Any, Any] | None:  # noqa: ANN001
        nodes = [n for n in _walk(data) if want is None or want(n)]
        return self.rng.choice(nodes) if nodes else None

    def delete(self, data: dict) -> str:
        n = self.pick(data)
        if n is None:
            return "nothing to delete"
        path, parent, key = n
        del parent[key]
        return f"delete {_p(path)}"

    def rename(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[1], dict))
        if n is None:
            return "nothing to rename"
        path, parent, key = n
        new = _typo(self.rng, key) if not isinstance(key, dt.date) else str(key)
        items = [(new if k == key else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
        return f"rename {_p(path)} -> {new!r}"

    def retype(self, data: dict) -> str:
        n = self.pick(data)
        if n is None:
            return "nothing"
        path, parent, key = n
        parent[key] = copy.deepcopy(self.rng.choice(ODD_VALUES))
        return f"set {_p(path)} = {_short(parent[key])}"

    def scale(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[1][n[2]], int | float) and not isinstance(n[1][n[2]], bool))
        if n is None:
            return "no number"
        path, parent, key = n
        k = self.rng.choice([-6, -3, -2, -1, 1, 2, 3, 4, 6, 9, self.rng.uniform(-6, 9)])
        v = parent[key] * 10**k
        parent[key] = int(v) if isinstance(parent[key], int) and float(v).is_integer() and abs(v) < 1e18 else v
        return f"scale {_p(path)} by 1e{k:g}"

    def sign(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[1][n[2]], int | float) and not isinstance(n[1][n[2]], bool))
        if n is None:
            return "no number"
        path, parent, key = n
        parent[key] = -parent[key] if parent[key] else -1
        return f"negate {_p(path)}"

    def zero(self, data: dict) -> str:
        if self.rng.random() < 0.3:  # a whole group (a mapping of numbers) to zero
            n = self.pick(data, lambda n: isinstance(n[1][n[2]], dict) and n[1][n[2]] and all(
                isinstance(v, int | float) for v in n[1][n[2]].values()))
            if n is not None:
                path, parent, key = n
                parent[key] = {k: 0 for k in parent[key]}
                return f"zero every value of {_p(path)}"
        n = self.pick(data, lambda n: isinstance(n[1][n[2]], int | float) and not isinstance(n[1][n[2]], bool))
        if n is None:
            return "no number"
        path, parent, key = n
        parent[key] = self.rng.choice([0, 0.0])
        return f"zero {_p(path)}"

    def shares(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[1][n[2]], dict) and len(n[1][n[2]]) >= 3 and all(
            isinstance(v, float) for v in n[1][n[2]].values()))
        if n is None:
            return "no shares"
        path, parent, key = n
        group = parent[key]
        k = self.rng.choice(list(group))
        how = self.rng.choice(["eps", "big", "negative", "all-equal", "percent"])
        if how == "eps":
            group[k] += self.rng.choice([1e-9, 1e-7, 1e-4, -1e-4, 0.01])
        elif how == "big":
            group[k] += self.rng.uniform(0.1, 2)
        elif how == "negative":
            group[k] = -abs(group[k]) - 0.01
        elif how == "all-equal":
            for j in group:
                group[j] = 1 / len(group)
        else:
            for j in group:
                group[j] = group[j] * 100
        return f"shares {_p(path)}: {how} on {k}"

    def dates(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[2], dt.date) or isinstance(n[1][n[2]], dt.date))
        if n is None:
            return "no date"
        path, parent, key = n
        how = self.rng.choice(["years", "odd", "text", "datetime", "far"])
        if isinstance(key, dt.date):
            new: Any = self._moved(key, how)
            items = [(new if k == key else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
            return f"date key {_p(path)} -> {new!r}"
        parent[key] = self._moved(parent[key], how)
        return f"date {_p(path)} -> {parent[key]!r}"

    def _moved(self, d: dt.date, how: str) -> Any:
        if how == "years":
            return d.replace(year=d.year + self.rng.choice([-30, -10, -3, -1, 1, 3, 10, 30]), day=min(d.day, 28))
        if how == "odd":
            return self.rng.choice(["2023-02-29", "2023-04-31", "2024-13-01", "2023-00-10", "2023-9-1", "01/09/2023",
                                    "2023-04-01T00:00", "20230401"])
        if how == "text":
            return str(d)
        if how == "datetime":
            return dt.datetime(d.year, d.month, d.day, 12, 0)
        return self.rng.choice([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1900, 1, 1), dt.date(2100, 3, 31)])

    def reorder(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[1][n[2]], dict) and n[1][n[2]] and all(
            isinstance(k, dt.date) for k in n[1][n[2]]))
        if n is None:
            return "no dated series"
        path, parent, key = n
        items = list(parent[key].items())
        self.rng.shuffle(items)
        if self.rng.random() < 0.5 and len(items) > 1:  # and drop the first date: back-filled
            items = items[1:]
        parent[key] = dict(items)
        return f"reorder dated {_p(path)}"

    def intervention(self, data: dict) -> str:
        ivs = data.get("interventions")
        if not isinstance(ivs, list) or not ivs:
            ivs = data["interventions"] = copy.deepcopy(self.base.get("interventions", []))[:2]
            if not ivs:
                return "no interventions"
        iv = self.rng.choice(ivs)
        if not isinstance(iv, dict):
            return "intervention not a mapping"
        how = self.rng.choice(["path", "op", "start", "ramp", "duplicate", "end", "order", "no-changes", "amount",
                               "name", "condition", "extra-key", "many"])
        changes = iv.get("changes") if isinstance(iv.get("changes"), dict) else {}
        if how == "path" and changes:
            k = self.rng.choice(list(changes))
            changes[_typo(self.rng, k)] = changes.pop(k)
        elif how == "op" and changes:
            k = self.rng.choice(list(changes))
            changes[k] = {self.rng.choice(["multiple", "sett", "add", "scale", "divide", "set"]):
                          self.rng.choice([0.5, -1, "x", None, 1e9, float("nan")])}
        elif how == "start":
            iv["start"] = self.rng.choice([dt.date(1999, 1, 1), dt.date(2040, 4, 1), "soon", None, 2024,
                                           dt.date(2028, 3, 31), dt.date(2022, 1, 20)])
        elif how == "ramp":
            iv["ramp_months"] = self.rng.choice([-1, 0.5, 10**6, "12", None, 1e9, 600])
        elif how == "duplicate":
            ivs.append(copy.deepcopy(iv))
        elif how == "end":
            iv["end"] = self.rng.choice([dt.date(2020, 1, 1), iv.get("start"), dt.date(2090, 1, 1), "never"])
        elif how == "order":
            iv["order"] = self.rng.choice([-1, 0.5, "first", 10**20, None])
        elif how == "no-changes":
            iv["changes"] = self.rng.choice([{}, None, [], "all"])
        elif how == "amount" and changes:
            k = self.rng.choice(list(changes))
            op = self.rng.choice(["set", "add", "multiply"])
            changes[k] = {op: self.rng.choice([1e9, -1e9, 0, -1, 100, 1e-9, 1000, 0.5])}
        elif how == "name":
            iv["name"] = self.rng.choice([None, 12, "", "x" * 500, "a/b", "../../etc", "名前"])
        elif how == "condition":
            iv["condition"] = self.rng.choice([0, 99, -1, "three", 3.5])
        elif how == "extra-key":
            iv[_typo(self.rng, "description")] = "x"
        elif how == "many":
            for i in range(self.rng.choice([50, 500])):
                extra = copy.deepcopy(iv)
                extra["name"] = f"{iv.get('name')}-{i}"
                ivs.append(extra)
        return f"intervention {iv.get('name')!r}: {how}"

    def extends(self, data: dict, mutant: Mutant) -> str:
        target = self.rng.choice(EXTENDS)
        if target == "self":
            target = f"mutant-{mutant.index}.yaml"
        elif target == "binary.yaml":
            mutant.extra["binary.yaml"] = bytes(self.rng.randrange(256) for _ in range(200))
        elif target == "empty.yaml":
            mutant.extra["empty.yaml"] = b""
        elif target == "list.yaml":
            mutant.extra["list.yaml"] = b"- a\n- b\n"
        elif target == "loop.yaml":
            mutant.extra["loop.yaml"] = f"extends: mutant-{mutant.index}.yaml\nname: loop\n".encode()
        data["extends"] = target
        data.pop("name", None) if self.rng.random() < 0.3 else None
        return f"extends: {_short(target)}"

    def unicode(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[1][n[2]], str))
        text = self.rng.choice(["Ｋｅｎｔ", "\u200b", "\u202eevil", "😀" * 50, "e\u0301", "\x07bell", "\ud7ff",
                                "tab\there", "line\nbreak", "名前", "\u0000nul", "\ufeffbom"])
        if n is not None and self.rng.random() < 0.6:
            path, parent, key = n
            parent[key] = parent[key] + text if self.rng.random() < 0.5 else text
            return f"unicode in {_p(path)}"
        n = self.pick(data, lambda n: isinstance(n[1], dict))
        if n is None:
            return "nothing"
        path, parent, key = n
        parent[f"{key}{text}"] = parent.pop(key)
        return f"unicode in key {_p(path)}"

    def huge(self, data: dict) -> str:
        n = self.pick(data)
        if n is None:
            return "nothing"
        path, parent, key = n
        how = self.rng.choice(["list", "dated", "text", "mapping", "nested"])
        if how == "list":
            parent[key] = list(range(self.rng.choice([1000, 100_000])))
        elif how == "dated":
            start = dt.date(2022, 1, 20)
            parent[key] = {start + dt.timedelta(days=i): float(i % 7) / 10 for i in range(self.rng.choice([300, 2000]))}
        elif how == "text":
            parent[key] = "x" * self.rng.choice([10_000, 1_000_000])
        elif how == "mapping":
            parent[key] = {f"k{i}": i for i in range(5000)}
        else:
            v: Any = 1
            for _ in range(self.rng.choice([50, 150])):
                v = {"a": v}
            parent[key] = v
        return f"huge {how} at {_p(path)}"

    def wrapper(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[1][n[2]], int | float | dict) and not isinstance(n[1][n[2]], bool))
        if n is None:
            return "nothing"
        path, parent, key = n
        value = parent[key]
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        unit = self.rng.choice(UNITS)
        if isinstance(value, int | float) and not isinstance(value, bool) and self.rng.random() < 0.5:
            value = value * self.rng.choice([1e6, 1e-6, 1e3, 1e-3])
        wrapped: dict[str, Any] = {"value": value, "unit": unit}
        if self.rng.random() < 0.3:
            wrapped["source"] = self.rng.choice([["a"], {"x": 1}, 5, None, ""])
        if self.rng.random() < 0.2:
            wrapped[_typo(self.rng, "source")] = "typo"
        parent[key] = wrapped
        return f"wrap {_p(path)} with unit {unit!r}"

    def horizon(self, data: dict) -> str:
        h = data.setdefault("horizon", {})
        if not isinstance(h, dict):
            return "horizon not a mapping"
        key = self.rng.choice(["start", "end", "last_observed", "census"])
        value = self.rng.choice([dt.date(9999, 3, 31), dt.date(2023, 3, 31), dt.date(2022, 3, 31), dt.date(2100, 3, 31),
                                 dt.date(2022, 4, 2), dt.date(2030, 3, 31), dt.date(1990, 1, 1), dt.date(2022, 4, 1),
                                 dt.date(2028, 4, 1), dt.date(2021, 4, 1), "2023", None])
        if key == "census":
            ss = data.setdefault("start_state", {})
            if isinstance(ss, dict):
                ss["census_date"] = value
        else:
            h[key] = value
        return f"horizon {key} -> {value!r}"

    def uncertainty(self, data: dict) -> str:
        u = data.setdefault("uncertainty", {})
        if not isinstance(u, dict):
            return "uncertainty not a mapping"
        path = self.rng.choice(["demand.request_rate_per_10k_0_18", "assessment.officers_fte", "costs.uplift",
                                "decision.refusal_probability", "nonexistent.path", "placement.new_plan_mix",
                                "transitions.plan_end_age", "costs.unit_cost_gbp_per_year.independent",
                                "start_state.open_requests", "horizon.end", "name"])
        dist = self.rng.choice([
            {"distribution": "lognormal", "median": 1.0, "sigma": self.rng.choice([0.1, 5, -1, 0, 100])},
            {"distribution": "normal", "mean": self.rng.choice([0, 1, 1e9]), "sd": self.rng.choice([0.1, 10, -1])},
            {"distribution": "uniform", "low": self.rng.choice([0.5, 2, -5]), "high": self.rng.choice([1.5, 1, 1e6])},
            {"distribution": "beta", "a": self.rng.choice([2, 0, -1]), "b": 2},
            {"distribution": "triangular", "low": 0.9, "mode": self.rng.choice([1.0, 2.0]), "high": 1.1},
            {"distribution": "poisson", "lam": 3},
            {"distribution": "normal"},
        ])
        dist["apply"] = self.rng.choice(["multiply", "add", "set", "divide", None])
        if dist["apply"] is None:
            del dist["apply"]
        u[path] = dist
        return f"uncertainty {path}: {_short(dist)}"

    def targets(self, data: dict) -> str:
        t = data.setdefault("targets", {})
        if not isinstance(t, dict):
            return "targets not a mapping"
        how = self.rng.choice(["label", "kpi", "value", "census"])
        if how == "label":
            t["sv_profile_gbp_m"] = {self.rng.choice(["2022-24", "2022/23", 2022, "FY23", "2030-31", "1999-00"]): 100}
        elif how == "kpi":
            t["kpis"] = {self.rng.choice(["reintegration", "new_plans", "made_up"]): {"2023-24": 0.4}}
        elif how == "value":
            t["sv_profile_gbp_m"] = {"2023-24": self.rng.choice([156_100_000, -5, float("nan"), "lots", 1e9])}
        else:
            t["ehcp_plan_by_age_band"] = {self.rng.choice([2023, 1999, 2040, "2023-24"]): {"under_5": -3}}
        return f"targets {how}"

    def unknown_key(self, data: dict) -> str:
        n = self.pick(data, lambda n: isinstance(n[1][n[2]], dict))
        target = data if n is None or self.rng.random() < 0.3 else n[1][n[2]]
        name = self.rng.choice(["extra", "notes", "value", "unit", "source", "todo", "x" * 300, 5, "2023-04-01"])
        target[name] = self.rng.choice([1, "text", None, {"a": 1}])
        return f"add key {name!r} at {_p(n[0]) if n and target is not data else 'top'}"

    def move_value(self, data: dict) -> str:
        a, b = self.pick(data), self.pick(data)
        if a is None or b is None:
            return "nothing"
        b[1][b[2]] = copy.deepcopy(a[1][a[2]])
        return f"copy {_p(a[0])} into {_p(b[0])}"

    def edge(self, data: dict, specs: dict) -> tuple[str, str]:
        """A number at the edge of what validation accepts (its limits, its usual range, 0, a mild scaling): these
        pass validation, so they probe the run."""
        from svsim.scenario.spec import NUMERIC_KINDS, PROBABILITY

        path = self.rng.choice([p for p, spec in specs.items() if spec.kind in NUMERIC_KINDS])
        spec = specs[path]
        candidates: list[float] = [0]
        for bounds in (spec.limits, spec.usual):
            candidates += [b for b in (bounds or ()) if b is not None]
        if spec.kind == PROBABILITY:
            candidates += [0, 1, 0.999, 1e-6]
        candidates += [self.rng.choice([0.1, 0.5, 2, 3, 5, 10])]  # a factor: set below as `*=`
        value = self.rng.choice(candidates)
        if value == candidates[-1]:
            return f"{path}*={value:g}", f"--set {path}*={value:g}"
        value = int(value) if float(value).is_integer() else value
        return f"{path}={value}", f"--set {path}={value} (edge)"

    # -- --set mutations ------------------------------------------------------------------------------------
    def set_form(self, leaves: list[str]) -> tuple[str, str]:
        path = self.rng.choice(leaves)
        if self.rng.random() < 0.25:
            path = path.rsplit(".", 1)[0] if "." in path and self.rng.random() < 0.5 else _typo(self.rng, path)
        if self.rng.random() < 0.1:
            path = self.rng.choice([
                "extends", "name", "interventions", "uncertainty.demand.request_rate_per_10k_0_18.sigma",
                "uncertainty.assessment.officers_fte.sigma", "targets.sv_profile_gbp_m.2023-24",
                "placement.new_plan_mix.*.mainstream", "horizon.end", "", "a..b", "*"])
        op = self.rng.choice(["=", "=", "*=", "+=", "", "=="])
        value = self.rng.choice(["0", "-1", "1e9", "nan", ".nan", ".inf", "-.inf", "'1e9'", "abc", "[1, 2]",
                                 "{a: 1}", "{2024-04-01: 0.3}", "{2099-04-01: 0.3}", "{2023-02-29: 1}", "", "~",
                                 "unlimited", "0.5", "1e-9", "2", "100000000000000000000", "{value: 5, unit: gbp_m}",
                                 "&a 1", "*a", "!!python/object:os.system x", "[", "{", "\x00", "😀", "1,5",
                                 "{distribution: lognormal, median: 1, sigma: 0.1, apply: multiply}", "true"])
        tail = self.rng.choice(["", "", "", "@2024-04-01", "@2099-01-01", "@2023-02-29", "@soon", "@",
                                " rebalance: mainstream", " rebalance: nothing", " rebalance:"])
        text = f"{path}{op}{value}{tail}"
        return text, f"--set {_short(text)}"

    # -- text mutations -------------------------------------------------------------------------------------
    def text_mutation(self, text: str, mutant: Mutant) -> str:
        lines = text.split("\n")
        keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w.-]+:\s*\S", line)]
        how = self.rng.choice(["duplicate-line", "anchor", "merge", "tabs", "crlf", "bom", "bad-bytes", "indent",
                               "truncate", "comment-out", "alias-number", "flow-junk", "nul"])
        if how == "duplicate-line" and keyed:
            i = self.rng.choice(keyed)
            lines.insert(i + 1, lines[i])
        elif how == "anchor" and keyed:
            i = self.rng.choice(keyed)
            key, _, rest = lines[i].partition(":")
            lines[i] = f"{key}: &anc{rest}"
            j = self.rng.choice(keyed)
            k2, _, _ = lines[j].partition(":")
            if j != i:
                lines[j] = f"{k2}: *anc"
        elif how == "merge":
            lines.insert(0, "defaults: &d {vacancy_rate: 0.9, officers_fte: 5}")
            lines.append("assessment_extra:\n  <<: *d")
        elif how == "tabs" and keyed:
            i = self.rng.choice(keyed)
            lines[i] = "\t" + lines[i].lstrip()
        elif how == "crlf":
            return "\r\n".join(lines)
        elif how == "bom":
            mutant.raw = b"\xef\xbb\xbf" + text.encode("utf-8")
        elif how == "bad-bytes":
            i = self.rng.randrange(len(lines))
            mutant.raw = ("\n".join(lines[:i]) + "\n").encode() + b"\xff\xfe\xc3(" + ("\n".join(lines[i:])).encode()
        elif how == "indent" and keyed:
            i = self.rng.choice(keyed)
            lines[i] = " " * self.rng.choice([1, 3, 5]) + lines[i]
        elif how == "truncate":
            cut = self.rng.randrange(len(text))
            return text[:cut]
        elif how == "comment-out" and keyed:
            i = self.rng.choice(keyed)
            lines[i] = "# " + lines[i]
        elif how == "alias-number":
            lines.append("_anchors: [&big 1e9, &neg -5]")
            nums = [i for i in keyed if re.search(r":\s*-?\d+(\.\d+)?\s*$", lines[i])]
            if nums:
                i = self.rng.choice(nums)
                lines[i] = re.sub(r":\s*-?\d+(\.\d+)?\s*$", ": *" + self.rng.choice(["big", "neg"]), lines[i])
        elif how == "flow-junk" and keyed:
            i = self.rng.choice(keyed)
            lines[i] = lines[i] + self.rng.choice([" }", " ]", " : x", " #", " &", " !!binary x", " ! x"])
        elif how == "nul":
            i = self.rng.randrange(len(lines))
            lines[i] = lines[i] + "\x00"
        mutant.kinds.append(f"text: {how}")
        return "\n".join(lines)


def _p(path: tuple) -> str:
    return ".".join(str(k) for k in path)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Dumper(yaml.SafeDumper):
    pass


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=200, default_flow_style=None)


def _repr_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        value = value.encode("utf-8", "replace").decode("utf-8")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _repr_str)

TREE_MUTATIONS = ["delete", "rename", "retype", "scale", "scale", "scale", "sign", "zero", "zero", "shares", "shares",
                  "dates", "dates", "reorder", "intervention", "intervention", "intervention", "unicode", "huge",
                  "wrapper", "wrapper", "horizon", "uncertainty", "targets", "unknown_key", "move_value", "extends"]


def make_mutant(seed: int, index: int, texts: dict[str, str], parsed: dict[str, Any], leaves: list[str],
                specs: dict) -> Mutant:
    """Mutant number `index` of `seed` (depends on nothing else)."""
    rng = random.Random(f"svsim-fuzz-{seed}-{index}")
    source = "base.yaml" if rng.random() < 0.6 else rng.choice(WHAT_IFS)
    m = Mutant(index, source)
    mut = Mutator(rng, parsed["base.yaml"])
    data = copy.deepcopy(parsed[source])
    if source != "base.yaml" and rng.random() < 0.6:  # a what-if that overrides some of the base's values
        path, _, _ = rng.choice(_walk(parsed["base.yaml"]))
        node = parsed["base.yaml"]
        target = data
        for k in path[:-1]:
            node = node[k]
            if isinstance(node, list):
                break
            target = target.setdefault(k, {}) if isinstance(target, dict) else target
        else:
            if isinstance(target, dict):
                target[path[-1]] = copy.deepcopy(node[path[-1]])
    roll = rng.random()
    if roll < 0.25:  # numbers at the edges of what validates, as --set
        for _ in range(rng.choice([1, 1, 2, 3])):
            text, kind = mut.edge(data, specs)
            m.sets.append(text)
            m.kinds.append(kind)
        m.text = texts[source]
        return m
    if roll < 0.38:  # --set forms only
        for _ in range(rng.choice([1, 1, 2])):
            text, kind = mut.set_form(leaves)
            m.sets.append(text)
            m.kinds.append(kind)
        m.text = texts[source] if source == "base.yaml" or rng.random() < 0.5 else _dump(data)
        return m
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        kind = rng.choice(TREE_MUTATIONS)
        try:
            m.kinds.append(mut.extends(data, m) if kind == "extends" else getattr(mut, kind)(data))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            m.kinds.append(f"{kind}: skipped ({type(exc).__name__})")
    m.text = _dump(data)
    if roll > 0.85:
        m.text = mut.text_mutation(m.text, m)
    if rng.random() < 0.05:
        text, kind = mut.set_form(leaves)
        m.sets.append(text)
        m.kinds.append(kind)
    return m


# ---- running and classifying ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    status: str
    """refused | valid | ran | FAILURE"""
    failure: str = ""
    """The failure class (a short stable description) when status is FAILURE."""
    detail: str = ""
    notes: list[str] = field(default_factory=list)
    """Softer observations (a refusal without a line, a run refused for its size...)."""


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int):  # noqa: ANN202
    def alarm(signum, frame):  # noqa: ANN001, ARG001
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _where_raised(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "svsim" in f.filename]
    f = frames[-1] if frames else (traceback.extract_tb(exc.__traceback__) or [None])[-1]
    if f is None:
        return ""
    name = f.filename.split("/src/")[-1] if "/src/" in f.filename else Path(f.filename).name
    return f" at {name}:{f.lineno} in {f.name}"


def _crash(stage: str, exc: BaseException) -> Outcome:
    trace = "".join(traceback.format_exception(exc))
    return Outcome("FAILURE", f"{stage}: traceback {type(exc).__name__}{_where_raised(exc)}", trace)


_RAW = re.compile(r"Traceback|\b(ValueError|TypeError|KeyError|AttributeError|IndexError|RecursionError|"
                  r"OverflowError|ZeroDivisionError|UnicodeError)\b|<[a-zA-Z_.]+ object at 0x")


def check_refusal(exc: ScenarioError, mutant_file: str) -> Outcome:
    """A refusal is clean when every problem names its file, is readable, short, and no raw exception text."""
    problems = exc.problems
    out = Outcome("refused", detail=str(exc))
    if not problems:
        return Outcome("FAILURE", "refusal with no problem listed", str(exc))
    for p in problems:
        if not p.file:
            return Outcome("FAILURE", f"refusal without a file: {_template(p.message)}", str(exc))
        if _RAW.search(p.message):
            return Outcome("FAILURE", f"raw exception text in a refusal: {_template(p.message)}", str(exc))
        if len(str(p)) > 1500:
            return Outcome("FAILURE", f"refusal message of {len(str(p)):,} characters: {_template(p.message)}",
                           str(exc)[:3000])
        if p.line is None and p.file.endswith((".yaml", ".yml")) and p.key_path:
            out.notes.append(f"no line: {p.key_path.split('.')[0]}: {_template(p.message)}")
    shown = str(exc).count("\n")
    if shown > 60:
        return Outcome("FAILURE", f"a flood of {shown:,} lines for {len(problems):,} problems", str(exc)[:3000])
    return out


def _template(message: str) -> str:
    """A message with its numbers, quoted words and dates blanked: the class of a problem."""
    t = re.sub(r"'[^']*'", "'_'", message)
    t = re.sub(r"\d[\d,._e+-]*", "N", t)
    return t[:110]


def validate(path: Path, sets: list[str]) -> tuple[Outcome, Any]:
    """What `svsim validate` does, in this process: load, then print the summary and the warnings."""
    from svsim.cli.scenario_tools import _summary

    try:
        with _time_limit(VALIDATE_SECONDS):
            scenario = load_scenario(path, sets)
            text = _summary(scenario) + "".join(f"\nwarning: {w}" for w in scenario.warnings)
            text.encode("utf-8")
    except ScenarioError as exc:
        return check_refusal(exc, path.name), None
    except _Timeout:
        return Outcome("FAILURE", f"validate took over {VALIDATE_SECONDS} s"), None
    except BaseException as exc:  # noqa: BLE001 - the point: anything else is a traceback for the user
        if isinstance(exc, KeyboardInterrupt):
            raise
        return _crash("validate", exc), None
    return Outcome("valid", detail=text), scenario


def run_api(scenario: Any) -> Outcome:
    """What `svsim run -n 1 -w 1` does before it writes files: the size check, one replication, the tables; then
    the plausibility checks of the results."""
    from svsim.experiment.limits import estimate, refusal, result_problems
    from svsim.experiment.replications import run_one
    from svsim.outputs.run import build_tables

    why = refusal(estimate(scenario, 1, 1))
    if why:
        return Outcome("FAILURE", f"late refusal: validate passed, run refuses: {_template(why)[:80]}", why)
    try:
        with _time_limit(RUN_SECONDS):
            began = time.perf_counter()
            result = run_one(scenario, 0, 0)
            build_tables(scenario, [result])
            seconds = time.perf_counter() - began
    except _Timeout:
        return Outcome("FAILURE", f"a replication took over {RUN_SECONDS} s (validate passed, the estimate did not "
                                  "refuse)")
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        return _crash("late failure in run", exc)
    problems = result_problems(scenario, result)
    # a --set's note that it changes a closed year says nothing about whether the value is plausible
    warned = [w for w in scenario.warnings if "closed financial year" not in w.message]
    if problems and not warned:
        return Outcome("FAILURE", f"silent nonsense: {_template(problems[0])}", "\n".join(problems))
    out = Outcome("ran", detail=f"{seconds:.1f} s")
    if problems:
        out.notes.append(f"warned nonsense: {_template(problems[0])}")
    return out


def run_cli(path: Path, sets: list[str], out: Path) -> Outcome:
    """The real `svsim run -n 1 -w 1` in this process (charts, workbook and report included)."""
    from click.testing import CliRunner

    from svsim import cli

    args = ["run", str(path), "-n", "1", "-w", "1", "-q", "--out", str(out)]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(cli.main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return _crash("late failure in svsim run", result.exception)
    if "Traceback" in result.output or result.exit_code not in (0, 2):
        return Outcome("FAILURE", f"svsim run exit {result.exit_code}", result.output[-3000:])
    if result.exit_code == 2:
        return Outcome("FAILURE", f"late refusal in svsim run: {_template(result.output.strip().splitlines()[-1])}",
                       result.output)
    return Outcome("ran")


def run_subprocess(path: Path, sets: list[str], expected: Outcome) -> Outcome | None:
    """`svsim validate` as a user runs it: the exit status must match, no traceback on the terminal."""
    import subprocess

    args = [sys.executable, "-m", "svsim.cli", "validate", str(path)]
    for s in sets:
        args += ["--set", s]
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "LANG": "C"}
    try:
        done = subprocess.run(args, capture_output=True, timeout=VALIDATE_SECONDS * 2, env=env, cwd=path.parent)
    except subprocess.TimeoutExpired:
        return Outcome("FAILURE", "svsim validate (process) timed out")
    err = done.stderr.decode("utf-8", "replace")
    want = {"refused": 2, "valid": 0}.get(expected.status)
    if "Traceback" in err or done.returncode not in (0, 2):
        return Outcome("FAILURE", f"svsim validate (process) exit {done.returncode}", err[-3000:])
    if want is not None and done.returncode != want:
        return Outcome("FAILURE", f"svsim validate (process) exit {done.returncode}, in-process {expected.status}",
                       err[-3000:])
    return None


def write_mutant(folder: Path, m: Mutant) -> Path:
    path = folder / f"mutant-{m.index}.yaml"
    path.write_bytes(m.raw if m.raw is not None else m.text.encode("utf-8", "surrogatepass"))
    for name, data in m.extra.items():
        (folder / name).write_bytes(data)
    return path


def save_failure(out: Path, m: Mutant, o: Outcome, seed: int) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", o.failure.lower()).strip("-")[:80]
    folder = out / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{m.index}.yaml").write_bytes(m.raw if m.raw is not None else m.text.encode("utf-8", "surrogatepass"))
    for name, data in m.extra.items():
        (folder / f"{m.index}.{name}").write_bytes(data)
    sets = " ".join(f"--set {s!r}" for s in m.sets)
    (folder / f"{m.index}.txt").write_text(
        f"failure: {o.failure}\nsource: {m.source}\nmutations: {'; '.join(m.kinds)}\n"
        f"reproduce: python tools/fuzz_scenarios.py --seed {seed} --only {m.index}\n"
        f"(the file extends scenarios next to it: copy it into scenarios/ to run svsim validate {sets})\n\n"
        f"{o.detail}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--start", type=int, default=0, help="first mutant number (to split a long fuzz)")
    ap.add_argument("--only", type=int, default=None, help="just this mutant (to reproduce a failure)")
    ap.add_argument("--runs", type=int, default=0, help="how many validated mutants to run (one replication each)")
    ap.add_argument("--cli-runs", type=int, default=0, help="how many of those also through the real svsim run")
    ap.add_argument("--subprocess", type=int, default=0, help="how many mutants also through the svsim executable")
    ap.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="folder for failing mutants")
    ap.add_argument("--show", action="store_true", help="print each mutant's outcome")
    args = ap.parse_args(argv)

    texts = {p.name: p.read_text(encoding="utf-8") for p in SCENARIOS.glob("*.yaml")}
    parsed = {name: yaml.safe_load(text) for name, text in texts.items()}
    from svsim.scenario.overrides import _prefixes

    leaves = _prefixes()
    specs = dict(load_scenario(SCENARIOS / "base.yaml").specs)
    indices = [args.only] if args.only is not None else list(range(args.start, args.start + args.count))
    # about one mutant in three validates: run every k-th of those to spread the runs over the whole set
    run_every = max(1, round(0.35 * len(indices) / args.runs)) if args.runs else 0
    cli_every = max(1, args.runs // args.cli_runs) if args.cli_runs and args.runs else 0
    sub_every = max(1, len(indices) // args.subprocess) if args.subprocess else 0
    statuses: Counter[str] = Counter()
    failures: dict[str, list[int]] = {}
    notes: dict[str, list[int]] = {}
    runs = cli_runs = valid = 0
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="svsim-fuzz-") as tmp:
        work = Path(tmp) / "scenarios"
        shutil.copytree(SCENARIOS, work)
        (Path(tmp) / "README.md").write_text("not a scenario\n", encoding="utf-8")
        for n, i in enumerate(indices):
            m = make_mutant(args.seed, i, texts, parsed, leaves, specs)
            path = write_mutant(work, m)
            outcome, scenario = validate(path, m.sets)
            if sub_every and n % sub_every == 0:
                outcome = run_subprocess(path, m.sets, outcome) or outcome
            valid += scenario is not None
            if scenario is not None and run_every and runs < args.runs and (valid % run_every == 0
                                                                            or args.only is not None):
                runs += 1
                outcome = run_api(scenario)
                if outcome.status == "ran" and cli_every and runs % cli_every == 0:
                    cli_runs += 1
                    outcome = run_cli(path, m.sets, Path(tmp) / "runs")
            statuses[outcome.status] += 1
            for note in outcome.notes:
                notes.setdefault(note, []).append(i)
            if outcome.status == "FAILURE":
                failures.setdefault(outcome.failure, []).append(i)
                save_failure(args.out, m, outcome, args.seed)
            if args.show or args.only is not None:
                print(f"{i}: {outcome.status} {outcome.failure} [{'; '.join(m.kinds)}]")
                if args.only is not None:
                    print(outcome.detail)
            if (n + 1) % 100 == 0:
                print(f"  ... {n + 1} mutants, {time.perf_counter() - began:.0f} s: "
                      + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())), flush=True)
            path.unlink()
            for name in m.extra:
                (work / name).unlink(missing_ok=True)
    seconds = time.perf_counter() - began
    print(f"{len(indices)} mutants (seed {args.seed}, from {indices[0]}) in {seconds:.0f} s: "
          + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
          + f"; runs {runs} (through the real svsim run: {cli_runs})")
    if notes:
        print("notes (not failures):")
        for note, ids in sorted(notes.items(), key=lambda kv: -len(kv[1]))[:25]:
            print(f"  {len(ids):5d}  {note}  (e.g. {ids[0]})")
    if failures:
        total = sum(len(v) for v in failures.values())
        print(f"FAILURES: {total} in {len(failures)} classes (mutants in {args.out}/):")
        for name, ids in sorted(failures.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(ids):5d}  {name}  (e.g. {ids[0]})")
    else:
        print("no failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
