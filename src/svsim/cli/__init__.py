"""The `svsim` command: the only package that talks to the terminal.

One module per command family, each registering its commands on the group in `common`:
run/report (`run`), compare (`compare`), sensitivity/solve/sweep (`experiments`), backtest/calibrate/init/councils
(`evidence`), validate/params (`scenario_tools`). Shared helpers (loading, checks, failures, progress) are in
`common`. Heavy libraries are imported inside commands so that `svsim --help` and `svsim validate` start quickly.
"""

from __future__ import annotations

from . import compare, evidence, experiments, run, scenario_tools  # noqa: F401 - each registers its commands
from .common import EXIT_INTERRUPTED, ProgressLine, main
from .run import sv_table_text

__all__ = ["EXIT_INTERRUPTED", "ProgressLine", "main", "sv_table_text"]
