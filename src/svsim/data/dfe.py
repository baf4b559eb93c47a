"""Read the DfE "Education, health and care plans" statistics as published (explore-education-statistics CSVs).

Conventions (see data/dfe/SOURCES.md): `x` = not available, `z` = not applicable, `c` = suppressed; all three
read as missing, never as 0. `time_period` is an academic-year label for censuses (`202223` = January 2023) and
a calendar year for flows (`2022`); in the 2022 release (`sen2_*.csv`) a census `2022` is January 2022. Files are
found by name anywhere under the folder given (`--observed DIR`), so the shipped extracts (data/dfe/) and a
fresh download of the full release are read the same way. Where the 2023+ release and the 2022 release both give
a year, the 2023+ release wins. Standard library only (csv), so reading stays fast.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..domain import AGE_BANDS, SETTINGS
from .groups import (
    MODEL_SETTING_COLUMNS,
    NEW_RELEASE_COLUMNS,
    OLD_RELEASE_TYPES,
    PLACEMENT_GROUPS,
    columns_for_year,
)

MARKERS = frozenset({"x", "z", "c", ""})
"""DfE codes for a value that is not there: not available, not applicable, suppressed (and blank)."""

OLD_AGE_LABELS = {"Under 5": "under_5", "Age 5 to 10": "age_5_10", "Age 11 to 15": "age_11_15",
                  "Age 16 to 19": "age_16_19", "Age 20 to 25": "age_20_25"}


class ObservedDataError(ValueError):
    """The observed folder lacks what was asked for (a file, a council, a year)."""


def number(text: str | None) -> float | None:
    """A published cell as a number, or None for the DfE markers x, z, c (and blanks)."""
    if text is None:
        return None
    text = text.strip()
    if text in MARKERS:
        return None
    return float(text.replace(",", ""))


def census_year(time_period: str) -> int:
    """The January census year of a caseload `time_period`: '202223' -> 2023; '2022' (2022 release) -> 2022."""
    tp = time_period.strip()
    if len(tp) == 6 and tp.isdigit():
        return int(tp[:4]) + 1
    if len(tp) == 4 and tp.isdigit():
        return int(tp)
    raise ObservedDataError(f"'{time_period}' is not a DfE time_period (like 202223 or 2022)")


def calendar_year(time_period: str) -> int:
    """The calendar year of a flow `time_period` ('2022')."""
    tp = time_period.strip()
    if len(tp) == 4 and tp.isdigit():
        return int(tp)
    raise ObservedDataError(f"'{time_period}' is not a calendar year")


def read_rows(folder: Path, name: str) -> list[dict[str, str]]:
    """Every row of every file called `name` under `folder` (sorted paths, so the order is fixed)."""
    rows: list[dict[str, str]] = []
    for path in sorted(Path(folder).rglob(name)):
        with path.open(newline="", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                row["_file"] = str(path.relative_to(folder))
                rows.append(row)
    return rows


def _is(row: dict[str, str], la_name: str) -> bool:
    if la_name == "England":
        return row.get("geographic_level") == "National"
    return row.get("geographic_level") == "Local authority" and row.get("la_name") == la_name


def _headline(row: dict[str, str]) -> bool:
    b = row.get("breakdown")
    return b is None or b.startswith("All ") or b == "New EHC plans"


def _sum(row: dict[str, str], columns: Iterable[str]) -> float:
    """Sum of leaf columns, markers as 0 (a leaf not collected in a year is not a missing plan)."""
    return float(sum(number(row.get(c)) or 0.0 for c in columns))


@dataclass
class Observed:
    """One council's (or England's) published figures, in the model's and the DfE's groupings."""

    la_name: str
    census_total: dict[int, float] = field(default_factory=dict)
    census_groups: dict[int, dict[str, float]] = field(default_factory=dict)
    """January census year -> DfE placement group (svsim.data.groups.PLACEMENT_GROUPS) -> plans."""
    census_settings: dict[int, dict[str, float]] = field(default_factory=dict)
    """January census year -> model setting -> plans (to set a start state)."""
    census_age_bands: dict[int, dict[str, float]] = field(default_factory=dict)
    flows: dict[str, dict[int, float]] = field(default_factory=dict)
    """Flow measure (svsim.data.groups.FLOW_MEASURES) -> calendar year -> value."""
    new_plans_settings: dict[int, dict[str, float]] = field(default_factory=dict)
    """Calendar year -> model setting -> new plans."""
    new_plans_age_bands: dict[int, dict[str, float]] = field(default_factory=dict)
    """Calendar year -> age band -> new plans (2022 release, to 2021)."""
    sources: dict[str, set[str]] = field(default_factory=dict)
    """Series -> files it was read from."""

    def _put(self, table: dict, key: int, value, series: str, file: str, *, overwrite: bool) -> None:
        if overwrite or key not in table:
            table[key] = value
            self.sources.setdefault(series, set()).add(file)

    def flow(self, measure: str, year: int, value: float | None, file: str, *, overwrite: bool = True) -> None:
        if value is not None:
            self._put(self.flows.setdefault(measure, {}), year, value, measure, file, overwrite=overwrite)

    def census_years(self) -> list[int]:
        return sorted(self.census_total)

    def flow_years(self, measure: str) -> list[int]:
        return sorted(self.flows.get(measure, {}))


def councils(folder: Path) -> list[str]:
    """The local authorities with a caseload row in the observed folder."""
    return sorted({r["la_name"] for r in read_rows(folder, "caseload.csv")
                   if r.get("geographic_level") == "Local authority" and r.get("la_name")})


def read_observed(folder: Path, la_name: str) -> Observed:
    """Everything the folder publishes about `la_name` ('England' for the national figures)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ObservedDataError(f"{folder}: no such folder of DfE statistics")
    obs = Observed(la_name)
    _read_old_release(folder, obs)   # older years first: the 2023+ release overwrites where both have a year
    _read_new_release(folder, obs)
    for row in read_rows(folder, "caseload_by_age_band.csv"):
        if row.get("la_name") == la_name and number(row.get("ehcplans")) is not None:
            year = int(row["census_year"])
            obs.census_age_bands.setdefault(year, {})[row["age_band"]] = number(row["ehcplans"])
            obs.sources.setdefault("census_age_bands", set()).add(row["_file"])
    if not obs.census_total:
        known = councils(folder)
        hint = f" (e.g. {', '.join(known[:3])})" if known else ""
        raise ObservedDataError(f"{folder}: no January census for '{la_name}' in any caseload table{hint}")
    return obs


def _read_new_release(folder: Path, obs: Observed) -> None:
    for row in read_rows(folder, "caseload.csv"):
        if not (_is(row, obs.la_name) and _headline(row)) or number(row.get("ehcplans")) is None:
            continue
        year, f = census_year(row["time_period"]), row["_file"]
        obs._put(obs.census_total, year, number(row["ehcplans"]), "census_total", f, overwrite=True)
        groups_cols = columns_for_year(NEW_RELEASE_COLUMNS, year)
        setting_cols = columns_for_year(MODEL_SETTING_COLUMNS, year)
        obs._put(obs.census_groups, year, {g: _sum(row, cols) for g, cols in groups_cols.items()},
                 "census_groups", f, overwrite=True)
        obs._put(obs.census_settings, year, {s: _sum(row, setting_cols[s]) for s in SETTINGS},
                 "census_settings", f, overwrite=True)
    for row in read_rows(folder, "assessments.csv"):
        if _is(row, obs.la_name) and _headline(row):
            obs.flow("new_plans", calendar_year(row["time_period"]), number(row.get("assess_issued")), row["_file"])
    for row in read_rows(folder, "newplans.csv"):
        if not (_is(row, obs.la_name) and _headline(row)) or number(row.get("new_ehc_plans")) is None:
            continue
        year, f = calendar_year(row["time_period"]), row["_file"]
        obs.flow("new_plans", year, number(row["new_ehc_plans"]), f, overwrite=False)  # assessments.csv first
        setting_cols = columns_for_year(MODEL_SETTING_COLUMNS, year)
        obs._put(obs.new_plans_settings, year, {s: _sum(row, setting_cols[s]) for s in SETTINGS},
                 "new_plans_settings", f, overwrite=True)
    for row in read_rows(folder, "requests.csv"):
        if _is(row, obs.la_name) and _headline(row):
            year, f = calendar_year(row["time_period"]), row["_file"]
            obs.flow("requests", year, number(row.get("requests_received_in_year")), f)
            obs.flow("refusals", year, number(row.get("requests_decided_not_to_assess")), f)
    for row in read_rows(folder, "assessments.csv"):
        if _is(row, obs.la_name) and _headline(row):
            year, f = calendar_year(row["time_period"]), row["_file"]
            issued, not_issued = number(row.get("assess_issued")), number(row.get("assess_not_issued"))
            obs.flow("assessments_not_issued", year, not_issued, f)
            if issued is not None and not_issued is not None:
                obs.flow("assessments_completed", year, issued + not_issued, f)
    for row in read_rows(folder, "timeliness_20_week.csv"):
        if _is(row, obs.la_name) and _headline(row):
            pc = number(row.get("pc_plans_issued_within_20_weeks"))
            obs.flow("issued_within_20_weeks_share", calendar_year(row["time_period"]),
                     None if pc is None else pc / 100, row["_file"])
    for row in read_rows(folder, "ceased_plans.csv"):
        if _is(row, obs.la_name) and _headline(row):
            year, f = calendar_year(row["time_period"]), row["_file"]
            total, max_age = number(row.get("total_ceased")), number(row.get("max_age"))
            moved = [number(row.get("transfer")), number(row.get("moved_outside_eng"))]
            obs.flow("ceased", year, total, f)
            obs.flow("ceased_max_age", year, max_age, f)
            if None not in moved:
                obs.flow("transfers_out", year, sum(moved), f)
                if total is not None and max_age is not None:
                    obs.flow("ceased_other_reasons", year, total - max_age - sum(moved), f)


def _read_old_release(folder: Path, obs: Observed) -> None:
    for row in read_rows(folder, "sen2_age_caseload.csv"):
        if not _is(row, obs.la_name):
            continue
        value, year, f = number(row.get("Total_all")), census_year(row["time_period"]), row["_file"]
        if value is None:
            continue
        label = row.get("characteristic_age")
        if label == "Total":
            obs._put(obs.census_total, year, value, "census_total", f, overwrite=False)
        elif label in OLD_AGE_LABELS:
            obs.census_age_bands.setdefault(year, {})[OLD_AGE_LABELS[label]] = value
            obs.sources.setdefault("census_age_bands", set()).add(f)
    by_type: dict[int, dict[str, float]] = {}
    files: dict[int, str] = {}
    for row in read_rows(folder, "sen2_estab_caseload.csv"):
        if _is(row, obs.la_name) and row.get("establishment_type") != "Total":
            value = number(row.get("Total_all"))
            if value is not None:
                year = census_year(row["time_period"])
                by_type.setdefault(year, {})[row["establishment_type"]] = value
                files[year] = row["_file"]
    for year, types in by_type.items():
        settings = {s: float(sum(types.get(t, 0.0) for t in OLD_RELEASE_TYPES[s])) for s in SETTINGS}
        obs._put(obs.census_settings, year, settings, "census_settings", files[year], overwrite=False)
        groups = {g: float(sum(settings[s] for s in ss)) for g, ss in PLACEMENT_GROUPS.items()}
        obs._put(obs.census_groups, year, groups, "census_groups", files[year], overwrite=False)
    shares: dict[int, dict[str, float]] = {}
    for row in read_rows(folder, "sen2_age_new_plans.csv"):
        if _is(row, obs.la_name) and row.get("characteristic_age") in OLD_AGE_LABELS:
            pc = number(row.get("Total_new_ehc_pc"))
            if pc is not None:
                shares.setdefault(calendar_year(row["time_period"]), {})[OLD_AGE_LABELS[row["characteristic_age"]]] = pc
    for row in read_rows(folder, "sen2_mi.csv"):
        if not _is(row, obs.la_name):
            continue
        year, f = calendar_year(row["time_period"]), row["_file"]
        get = {k: number(row.get(k)) for k in ("InreqEHC", "AssRefusedEHC", "NewallEHC", "AssnoneEHC",
                                                "IncExc20weekRate", "DisleaEHC", "DismetEHC", "DisothEHC",
                                                "DisleftEHC", "MtosiEHC")}
        obs.flow("requests", year, get["InreqEHC"], f, overwrite=False)
        obs.flow("refusals", year, get["AssRefusedEHC"], f, overwrite=False)
        obs.flow("new_plans", year, get["NewallEHC"], f, overwrite=False)
        obs.flow("assessments_not_issued", year, get["AssnoneEHC"], f, overwrite=False)
        if get["NewallEHC"] is not None and get["AssnoneEHC"] is not None:
            obs.flow("assessments_completed", year, get["NewallEHC"] + get["AssnoneEHC"], f, overwrite=False)
        if get["IncExc20weekRate"] is not None:
            obs.flow("issued_within_20_weeks_share", year, get["IncExc20weekRate"] / 100, f, overwrite=False)
        ceased = [get[k] for k in ("DisleaEHC", "DismetEHC", "DisothEHC", "DisleftEHC")]
        if None not in ceased:
            obs.flow("ceased", year, float(sum(ceased)), f, overwrite=False)  # type: ignore[arg-type]
        obs.flow("transfers_out", year, get["DisleaEHC"], f, overwrite=False)
        obs.flow("moves_mainstream_to_special", year, get["MtosiEHC"], f, overwrite=False)
        if get["NewallEHC"] is not None and year in shares and len(shares[year]) == len(AGE_BANDS):
            obs.new_plans_age_bands[year] = {b: round(get["NewallEHC"] * shares[year][b] / 100) for b in AGE_BANDS}


__all__ = ["MARKERS", "Observed", "ObservedDataError", "calendar_year", "census_year", "councils", "number",
           "read_observed", "read_rows"]
