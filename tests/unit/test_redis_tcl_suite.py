"""The Tcl suite harness reads runtest's output: results, errors, timeouts, crashes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "redis_tcl_suite.py"


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("redis_tcl_suite", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


# runtest colours its status words even when stdout is not a terminal.
OUTPUT = """Cleanup: may take some time... OK
Starting test server at port 21079
[ready]: 7657
\x1b[1;37;49mTesting unit/type/incr\x1b[0m
[\x1b[0;32;49mok\x1b[0m]: INCR against non existing key (0 ms)
[\x1b[0;31;49merr\x1b[0m]: INCR can modify objects in-place in tests/unit/type/incr.tcl
Expected 1 eq 2 (context: type eval line 10 cmd {assert {$old eq $new}} proc ::test)
[skip]: PubSub messages with CLIENT REPLY OFF
[ignore]: Not supported on external server
[err]: COPY basic usage for stream in tests/unit/keyspace.tcl
n command 'XADD', with args beginning with: 'x'
ERR unknown command 'XADD', with args beginning with: 'x'
    while executing
"r xadd x * a 1"
[ok]: No negative zero (1 ms)
[1/1 \x1b[0;33;49mdone\x1b[0m]: unit/type/incr (0 seconds)

                   The End

!!! WARNING The following tests failed:

*** [err]: INCR can modify objects in-place in tests/unit/type/incr.tcl
Expected 1 eq 2
"""


def test_parse_counts_results_and_keeps_each_error_line() -> None:
    parsed = _harness().parse(OUTPUT)
    assert parsed.finished and not parsed.timed_out
    assert (parsed.ok, parsed.skipped) == (2, 2)
    assert [(f.name, f.kind) for f in parsed.failures] == [
        ("INCR can modify objects in-place", "err"),
        ("COPY basic usage for stream", "err"),
    ]
    assert parsed.failures[0].error.startswith("Expected 1 eq 2")
    # test.tcl cuts the first 10 characters of a non-assertion error; the whole
    # message is taken from the errorInfo line after it.
    assert parsed.failures[1].error == "ERR unknown command 'XADD', with args beginning with: 'x'"
    assert parsed.last_done == "No negative zero"


def test_parse_names_the_test_in_progress_at_a_timeout() -> None:
    output = """[ok]: PUBLISH/PSUBSCRIBE basics (2 ms)
[TIMEOUT]: clients state report follows.
sock558e9b633a40 => (IN PROGRESS) PubSub messages with CLIENT REPLY OFF

                   The End
"""
    parsed = _harness().parse(output)
    assert parsed.timed_out and not parsed.finished
    assert parsed.in_progress == "PubSub messages with CLIENT REPLY OFF"
    assert parsed.last_done == "PUBLISH/PSUBSCRIBE basics"


def test_crash_culprit_is_the_first_test_that_lost_its_connection() -> None:
    output = """[ok]: a (0 ms)
[err]: server goes away in tests/unit/x.tcl
I/O error reading reply
[err]: c in tests/unit/x.tcl
couldn't open socket: connection refused
"""
    harness = _harness()
    assert harness.crash_culprit(output) == "server goes away"
    assert harness.crash_culprit("[ok]: a (0 ms)\n") == "(unknown: after 'a')"
