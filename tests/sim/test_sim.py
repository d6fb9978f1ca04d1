"""Seeded cluster simulations: the default run, determinism, fault coverage,
and proof that broken variants of the core are caught."""

from __future__ import annotations

import re

import pytest

from weir.sim.bugs import BUGS
from weir.sim.simulation import FAULTS, SimOptions, run_seed

SEEDS = 200
CHUNK = 20
"""Seeds per test, so that `pytest -n` spreads the run over workers."""


@pytest.mark.parametrize(
    "first", range(0, SEEDS, CHUNK), ids=lambda s: f"seeds-{s}-{s + CHUNK - 1}"
)
def test_five_nodes_all_faults(first: int) -> None:
    options = SimOptions(nodes=5)
    for seed in range(first, first + CHUNK):
        result = run_seed(seed, options)
        assert result.ok, (
            f"seed {seed}: {result.violations[0]}\nreplay: {options.replay_command(seed)}"
        )
        assert result.ops > 50, f"seed {seed}: only {result.ops} operations"


@pytest.mark.parametrize("nodes", [1, 3], ids=["one-node", "three-nodes"])
def test_smaller_clusters(nodes: int) -> None:
    options = SimOptions(nodes=nodes)
    for seed in range(5):
        result = run_seed(seed, options)
        assert result.ok, f"seed {seed}: {result.violations[0]}"


def test_a_seed_replays_exactly() -> None:
    options = SimOptions(trace=True)
    first = run_seed(42, options)
    second = run_seed(42, options)
    assert first.trace == second.trace
    assert len(first.trace) > 1000


def test_the_faults_really_happen() -> None:
    """The run is not vacuous: every fault fires, snapshots ship, members change."""
    seen: set[str] = set()
    patterns = {
        "loss": r"nemesis loss rate",
        "delay": r"nemesis slow network",
        "dup": r"nemesis duplication",
        "partition": r"nemesis partition",
        "crash": r"nemesis crash",
        "transfer": r"nemesis transfer leadership",
        "membership": r"applied conf change",
        "snapshot": r"installed snapshot",
        "lease": r"lease_reads=True",
        "no-pre-vote": r"pre_vote=False",
    }
    for seed in range(12):
        trace = "\n".join(run_seed(seed, SimOptions(trace=True)).trace)
        seen |= {name for name, pattern in patterns.items() if re.search(pattern, trace)}
    assert seen == set(patterns)
    assert set(FAULTS) - {"reorder"} <= seen


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_every_bug_is_caught_within_seeds_0_to_49(bug: str) -> None:
    options = SimOptions(bug=bug)
    for seed in range(50):
        result = run_seed(seed, options)
        if not result.ok:
            break
    else:
        pytest.fail(f"--bug {bug} passed seeds 0-49")
    assert result.violations[0]


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
def test_ten_thousand_seeds() -> None:
    """The long run documented in docs/raft.md: `weir sim --seeds 0-9999 --jobs 2`."""
    from weir.sim.cli import main

    assert main(["--nodes", "5", "--seeds", "0-9999", "--faults", "all", "--jobs", "2"]) == 0
