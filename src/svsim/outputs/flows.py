"""flows.csv and census_dfe.csv: a run's calendar-year flows and January censuses in the DfE's own definitions.

Both tables use svsim.data.groups (the one written mapping from the model to the DfE's measures and placement
groups), so a run can be laid beside the published tables as it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from ..data.groups import FLOW_MEASURES, GROUP_LABELS, PLACEMENT_GROUPS, census_groups
from ..domain import AGE_BANDS
from ..experiment.precision import median_p10_p90
from ..experiment.replications import ReplicationResult


def flows_table(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """flows.csv: per calendar year and measure, the median over replications with P10 and P90, the share of the
    year simulated (`coverage`: counts of a part-year are annualised) and the DfE definition it follows."""
    rows = []
    first = results[0]
    for year in sorted(first.flow_coverage):
        for measure in FLOW_MEASURES:
            values = [r.calendar_flows.get(measure, {}).get(year, math.nan) for r in results]
            value, p10, p90 = median_p10_p90(values)
            rows.append({"calendar_year": year, "measure": measure, "value": value, "value_p10": p10,
                         "value_p90": p90, "coverage": round(first.flow_coverage[year], 4),
                         "definition": FLOW_MEASURES[measure]})
    return pd.DataFrame(rows, columns=["calendar_year", "measure", "value", "value_p10", "value_p90", "coverage",
                                       "definition"])


def census_dfe_table(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """census_dfe.csv: the January census by DfE placement group (and the total and age bands), median and P10-P90.

    `resourced_provision` is 'of which' mainstream; the total is the sum of the other groups."""
    rows = []
    for year in sorted(results[0].census):
        per_rep = [census_groups(r.census[year]) for r in results]
        for group in PLACEMENT_GROUPS:
            value, p10, p90 = median_p10_p90([g[group] for g in per_rep])
            rows.append({"census_year": year, "breakdown": "placement_group", "group": group, "value": value,
                         "value_p10": p10, "value_p90": p90, "label": GROUP_LABELS[group]})
        for b, band in enumerate(AGE_BANDS):
            value, p10, p90 = median_p10_p90([float(r.census[year][:, b].sum()) for r in results])
            rows.append({"census_year": year, "breakdown": "age_band", "group": band, "value": value,
                         "value_p10": p10, "value_p90": p90, "label": band})
        value, p10, p90 = median_p10_p90([float(r.census[year].sum()) for r in results])
        rows.append({"census_year": year, "breakdown": "total", "group": "total", "value": value,
                     "value_p10": p10, "value_p90": p90, "label": "All EHC plans"})
    return pd.DataFrame(rows, columns=["census_year", "breakdown", "group", "value", "value_p10", "value_p90",
                                       "label"])


__all__ = ["census_dfe_table", "dfe_tables", "flows_table"]


def dfe_tables(results: Sequence[ReplicationResult]) -> dict[str, pd.DataFrame]:
    """The run folder's DfE-comparable tables, by file stem."""
    return {"flows": flows_table(results), "census_dfe": census_dfe_table(results)}
