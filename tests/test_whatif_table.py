"""tools/whatif_table.py covers every what-if in scenarios/ (its numbers come from a real run; nothing to pin)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("whatif_table", ROOT / "tools" / "whatif_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_what_if_of_scenarios_is_a_row_with_an_existing_reference():
    rows = _tool().rows()
    files = {f for _, f, _ in rows}
    whatifs = {p.name for p in (ROOT / "scenarios").glob("*.yaml")} - {"unmitigated.yaml"}
    assert files == whatifs, "a scenario of scenarios/ is missing from tools/whatif_table.py (or the reverse)"
    assert all((ROOT / "scenarios" / ref).is_file() for _, _, ref in rows)
    assert len(rows) == len(files)
