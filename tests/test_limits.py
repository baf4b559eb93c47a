"""Run limits: an estimate of time and memory before a run, and a refusal of what is beyond the machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import BASE_SCENARIO, SMALL_KENT
from svsim import cli
from svsim.experiment.limits import estimate, refusal
from svsim.scenario import load_scenario


@pytest.fixture(scope="module")
def kent():  # noqa: ANN201 - a Scenario
    return load_scenario(BASE_SCENARIO)


def test_the_estimate_is_of_the_right_size_for_kent(kent) -> None:  # noqa: ANN001
    e = estimate(kent, replications=100, workers=2)
    assert 0.5 < e.seconds_per_replication < 20  # measured: about 2 s
    assert e.seconds == pytest.approx(50 * e.seconds_per_replication)
    assert 100e6 < e.memory_bytes < 2e9
    assert refusal(e, available=16e9) is None


def test_the_estimate_grows_with_size(kent) -> None:  # noqa: ANN001
    small = load_scenario(BASE_SCENARIO, SMALL_KENT)
    assert estimate(small, 10, 1).seconds < estimate(kent, 10, 1).seconds / 5
    assert estimate(kent, 1000, 2).memory_bytes > estimate(kent, 10, 2).memory_bytes
    assert estimate(kent, 10, 2).seconds < estimate(kent, 10, 1).seconds


def test_beyond_the_machine_is_refused_with_the_reason(kent) -> None:  # noqa: ANN001
    assert "more than the" in refusal(estimate(kent, 100_000_000, 2), available=16e9)
    assert "would take" in refusal(estimate(kent, 1_000_000, 2), available=1e15)
    huge = load_scenario(BASE_SCENARIO, HUGE)
    assert refusal(estimate(huge, 1, 1), available=16e9) is not None


HUGE = ["population.age_0_18=13000000", "demand.request_rate_per_10k_0_18=2000", "horizon.end=2120-03-31"]
"""Each value possible (validation accepts every one), together far beyond any machine: 2.6 million requests a year
for a century. (A population of 10^9 is refused by validation: no council has more than England's children.)"""


@pytest.mark.parametrize("args", [["-n", "100000000"], [a for s in HUGE for a in ("--set", s)]])
def test_cli_refuses_before_running(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli.main, ["run", str(BASE_SCENARIO), *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "--allow-large" in result.output and "Traceback" not in result.output
    assert not any((tmp_path / "o").iterdir())  # nothing ran


def test_validate_refuses_what_run_would_refuse_for_its_size() -> None:
    result = CliRunner().invoke(cli.main, ["validate", str(BASE_SCENARIO), *[a for s in HUGE for a in ("--set", s)]])
    assert result.exit_code == 2, result.output
    assert "even one replication is too large" in result.output and "Traceback" not in result.output


def test_max_replications_below_n_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["run", str(BASE_SCENARIO), "-n", "30", "--precision", "1",
                                           "--max-replications", "10", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--max-replications 10 is below -n 30" in result.output


def test_more_workers_than_cores_warns(tmp_path: Path) -> None:
    sets = [a for s in SMALL_KENT for a in ("--set", s)]
    result = CliRunner().invoke(cli.main, ["run", str(BASE_SCENARIO), "-n", "1", "-w", "512", *sets,
                                           "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning: 512 workers on" in result.output


def test_ten_thousand_replications_fit_in_a_small_machine_since_results_are_streamed(kent) -> None:  # noqa: ANN001
    """The parent keeps no replication while they run, only one table's share of them at the end (~30 KiB each,
    benchmarks/bench_parent_memory.py): 10,000 on 2 workers fit in 1.5 GB (held whole, 150 kB each, they did not)."""
    e = estimate(kent, 10_000, 2)
    assert e.memory_bytes < 1e9 and refusal(e, available=1.5e9) is None
