"""`weir sim` command-line contract: the final line, exit codes, replay commands,
history files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from weir.sim.cli import main, parse_seeds

FINAL = re.compile(r"^sim: seeds=(\d+) ok=(\d+) failed=(\d+) ops=(\d+) linearizable=(yes|no)$")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    status = main(list(argv))
    return status, capsys.readouterr().out.splitlines()


def test_passing_run_ends_with_the_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(capsys, "--nodes", "5", "--seeds", "0-2", "--faults", "all")
    assert status == 0
    match = FINAL.match(lines[-1])
    assert match is not None, lines[-1]
    assert match.group(1, 2, 3, 5) == ("3", "3", "0", "yes")
    assert int(match.group(4)) > 0
    assert len(lines) == 1


def test_trace_of_one_seed(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(capsys, "--seed", "17", "--trace")
    assert status == 0
    assert "start seed=17" in lines[0]
    assert any("recv Message(APP" in line for line in lines)
    assert lines[-1].startswith("sim: seeds=1 ok=1 failed=0")


def test_bug_run_fails_with_a_report_and_replay_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, lines = run(capsys, "--bug", "stale-read", "--seeds", "0-3")
    assert status == 1
    assert lines[-1].startswith("sim: seeds=4 ")
    assert FINAL.match(lines[-1]) is not None
    failed = [line for line in lines if re.match(r"seed \d+: FAILED: ", line)]
    assert failed
    seed = int(failed[0].split()[1].rstrip(":"))
    assert (
        f"  replay: weir sim --seed {seed} --trace --nodes 5 --faults all --bug stale-read" in lines
    )
    assert any("stale read" in line or "not linearizable" in line for line in lines)


def test_faults_can_be_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(capsys, "--seeds", "1", "--faults", "crash,partition", "--nodes", "3")
    assert status == 0
    assert lines[-1].startswith("sim: seeds=1 ok=1")


def test_write_then_check_history(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    status, _ = run(capsys, "--seed", "3", "--write-history", str(path))
    assert status == 0
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert {e["type"] for e in events} >= {"invoke", "ok"}
    status, lines = run(capsys, "--check-history", str(path))
    assert status == 0
    assert re.match(r"^history: ops=\d+ keys=\d+ linearizable=yes$", lines[-1])


def test_check_history_reports_a_violation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [
        {"process": 1, "type": "invoke", "f": "put", "key": "k", "value": "1", "time": 0},
        {"process": 1, "type": "ok", "f": "put", "key": "k", "value": "1", "time": 1},
        {"process": 2, "type": "invoke", "f": "get", "key": "k", "value": None, "time": 2},
        {"process": 2, "type": "ok", "f": "get", "key": "k", "value": None, "time": 3},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    status, out = run(capsys, "--check-history", str(path))
    assert status == 1
    assert out[-1] == "history: ops=2 keys=1 linearizable=no"
    assert any("not linearizable" in line for line in out)


def test_check_history_of_a_malformed_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text("{oops\n")
    assert main(["--check-history", str(path)]) == 2
    assert "broken.jsonl:1" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--seeds", "5-1"],
        ["--faults", "meteor"],
        ["--bug", "nope"],
        ["--seed", "1", "--seeds", "2"],
    ],
    ids=["empty-range", "unknown-fault", "unknown-bug", "seed-and-seeds"],
)
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_seed_lists() -> None:
    assert parse_seeds("0-3,7,9-10") == [0, 1, 2, 3, 7, 9, 10]


def test_module_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "weir.sim", "--seeds", "0", "--nodes", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert FINAL.match(done.stdout.splitlines()[-1])
