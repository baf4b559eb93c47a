"""Replications streamed to disk (experiment.replications.ReplicationStore): read back by position whatever the
order they finished in, viewed with only the fields a table needs, and the run's tables built from the file are the
tables built from the results held in memory (so streaming changes no number and no byte of the CSVs)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from svsim.experiment.replications import KEPT_IN_EVERY_VIEW, ReplicationStore, run_replications
from svsim.outputs.run import TABLE_FIELDS, build_tables, execute_run, write_replications_csv
from svsim.outputs.tables import replications_table


@pytest.fixture(scope="module")
def small(request):
    return request.getfixturevalue("kent_variant")(small=True)


@pytest.fixture(scope="module")
def results(small):
    """Five real replications of Kent at a tenth, with the base scenario's uncertainty drawn (every field filled)."""
    out = run_replications(small, 5, seed=4)
    assert all(r.draws and r.kpis and r.monthly_flows and r.calendar_flows for r in out)
    return out


@pytest.fixture
def store(tmp_path, results):
    s = ReplicationStore(tmp_path / "replications.pickle")
    for position in (3, 0, 4, 1, 2):  # as workers might finish
        s.put(position, results[position])
    yield s
    s.close()


def test_results_come_back_by_position_whatever_order_they_were_stored_in(store, results):
    assert len(store) == 5 and store.size_bytes == (store.path.stat().st_size)
    assert [r.replication for r in store] == [r.replication for r in results]
    assert store[-1].replication == results[-1].replication and len(store[1:3]) == 2
    assert np.array_equal(store[2].monthly_plans, results[2].monthly_plans) and store[2].kpis == results[2].kpis
    with pytest.raises(IndexError):
        store[5]
    with pytest.raises(ValueError, match="already stored"):
        store.put(1, results[1])


def test_a_view_keeps_only_the_fields_asked_for(store, results):
    view = store.view(("census",), start=1, stop=3)
    assert [r.replication for r in view] == [1, 2]
    assert view[0].money == results[1].money and view[0].census.keys() == results[1].census.keys()
    assert view[0].kpis == {} and view[0].draws == {} and view[0].monthly_plans.size == 0
    assert {"money", "replication", "seed", "runtime_s"} == set(KEPT_IN_EVERY_VIEW)


def test_tables_from_the_file_are_the_tables_from_memory(small, store, results):
    """Catches a table that starts reading a field TABLE_FIELDS does not list (it would get an empty one)."""
    from_memory = build_tables(small, results)
    from_file = build_tables(small, store)
    assert set(from_memory) == set(from_file) == set(TABLE_FIELDS) | {"assumptions"}
    for stem, table in from_memory.items():
        assert table.to_csv(float_format="%.10g") == from_file[stem].to_csv(float_format="%.10g"), stem


def test_replications_csv_written_in_chunks_is_the_whole_table(tmp_path, store, results):
    whole = io.StringIO()
    replications_table(results).to_csv(whole, index=False, float_format="%.10g")
    write_replications_csv(tmp_path / "chunked.csv", store, chunk=2)
    assert (tmp_path / "chunked.csv").read_text(encoding="utf-8") == whole.getvalue()


def test_a_closed_store_says_where_its_numbers_are(store):
    store.close()
    assert len(store) == 5
    with pytest.raises(ValueError, match="run folder's CSVs"):
        store[0]


def test_a_finished_run_folder_keeps_no_scratch_file(tmp_path, small, results):
    outcome = execute_run(small, replications=3, out=tmp_path, replicate=lambda sc, seed, i: results[i],
                          charts=False, command=[])
    names = sorted(p.name for p in outcome.folder.iterdir())
    assert ".scratch" not in names and not [n for n in names if n.endswith(".pickle")]
    manifest = json.loads((outcome.folder / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == names and len(outcome.results) == 3
    assert "replications" not in outcome.tables and (outcome.folder / "replications.csv").is_file()
