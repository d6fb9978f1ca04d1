"""Two processes never open one data directory: the second is told who holds it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from weir.log import DataDirLockedError, LogStorage

REPOSITORY = Path(__file__).resolve().parents[2]
HOLDER = """
import sys
from weir.log import LogStorage
log = LogStorage.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
log.close()
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_a_second_process_is_refused_with_the_holders_pid(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(DataDirLockedError) as raised:
        LogStorage.open(tmp_path)
    assert raised.value.pid == holder.pid
    assert raised.value.path == tmp_path
    assert str(tmp_path) in str(raised.value)
    assert f"process {holder.pid}" in str(raised.value)


def test_the_lock_is_free_once_the_holder_closes(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(timeout=10)
    with LogStorage.open(tmp_path) as log:
        assert log.last_index() == 0


def test_the_lock_is_free_once_the_holder_is_killed(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    with LogStorage.open(tmp_path):
        pass


def test_a_second_open_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with LogStorage.open(tmp_path):
        with pytest.raises(DataDirLockedError) as raised:
            LogStorage.open(tmp_path)
        assert raised.value.pid == os.getpid()
    with LogStorage.open(tmp_path):
        pass
