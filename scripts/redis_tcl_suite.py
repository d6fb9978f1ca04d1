"""Runs Redis 7.0's own Tcl test suite against weir (or a real redis-server, for the
reference) and writes a Markdown + JSON report of what passes and what fails.

    python scripts/redis_tcl_suite.py                      # weir, default units
    python scripts/redis_tcl_suite.py --redis              # the same against redis-server
    python scripts/redis_tcl_suite.py --both -o report.md  # both, side by side
    python scripts/redis_tcl_suite.py --units unit/type/incr unit/expire

The suite comes from the source package of the installed redis (`apt-get source
redis`, cached in ~/.cache/weir/redis-src; deb-src is enabled first when running as
root) or from `--src DIR`, an unpacked redis source tree. It needs tclsh 8.5+
(`apt-get install tcl`, done here when running as root).

Every unit runs in external mode (`./runtest --host --port --single UNIT --durable`)
against a fresh server on a free port, so one unit's leftovers cannot fail the next.
runtest's own `--timeout` aborts a unit when no test reports for that many seconds;
the test then in progress is recorded as a hang, and the unit runs again on a fresh
server with that test skipped (`--skiptest`), so one hang does not hide the rest of
the unit. A server that dies mid-unit is recorded the same way (as a crash). A unit
that takes longer than `--unit-timeout` in all is killed and recorded as such.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, wait_for_port  # noqa: E402

CACHE = Path.home() / ".cache" / "weir" / "redis-src"

# The units of the families weir implements. Left out: streams, geo, hyperloglog,
# scripting/functions, ACL, cluster, replication, DUMP/RESTORE (unit/dump).
DEFAULT_UNITS = [
    "unit/type/string", "unit/type/incr", "unit/type/hash", "unit/type/list",
    "unit/type/list-2", "unit/type/list-3", "unit/type/set", "unit/type/zset",
    "unit/keyspace", "unit/expire", "unit/multi", "unit/pubsub", "unit/pubsubshard",
    "unit/info", "unit/info-command", "unit/introspection", "unit/introspection-2",
    "unit/protocol", "unit/querybuf", "unit/scan", "unit/sort", "unit/bitops",
    "unit/bitfield", "unit/latency-monitor",
]

# needs:repl tests attach to the replication stream (SYNC), which weir does not serve.
DEFAULT_TAGS = ["-needs:repl"]

# Tests that cannot work in external mode although they are not tagged so. This one
# kills the server's fork by pid, which only a server runtest started has; failing
# half way, it leaves set-max-intset-entries at 0 and fails the SMOVE tests after it.
DEFAULT_SKIPS = ["SRANDMEMBER with a dict containing long chain"]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# "[ok]: name (3 ms)", "[err]: name in tests/unit/x.tcl", "[skip]: name", ...
STATUS = re.compile(r"^\[(ok|err|exception|skip|ignore)\]: (.*)$")
IN_PROGRESS = re.compile(r"^\S+ => \((IN PROGRESS|OK|ERR)\) (.*)$")


@dataclass
class Failure:
    name: str
    kind: str  # err | exception | hang | crash
    error: str


@dataclass
class UnitResult:
    unit: str
    target: str
    # complete | incomplete | hang | crash | exception | unit-timeout | no-server
    status: str = "complete"
    seconds: float = 0.0
    attempts: int = 0
    ok: int = 0
    err: int = 0
    skipped: int = 0  # --skiptest and tag-ignored tests
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


@dataclass
class Parsed:
    ok: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    timed_out: bool = False
    in_progress: str | None = None  # the test running when runtest timed out
    last_done: str | None = None  # the last test that reported
    exception: str | None = None
    finished: bool = False
    reported: int = 0  # test results seen, to find the one a server death interrupted


class Stop(Exception):
    """SIGTERM/SIGINT: unwind so every started process is stopped."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


# -- getting the suite ---------------------------------------------------------------


def tclsh_available() -> bool:
    return any(shutil.which(f"tclsh{v}") for v in ("8.5", "8.6", "8.7"))


def ensure_tcl() -> None:
    if tclsh_available():
        return
    if os.geteuid() != 0:
        sys.exit("tclsh 8.5+ is needed: run `apt-get install tcl` as root")
    subprocess.run(["apt-get", "install", "-y", "tcl"], check=True)


def _enable_deb_src() -> None:
    """Adds deb-src next to deb in the apt sources (deb822 `Types:` lines and
    one-line `deb ` entries), so `apt-get source` can find the package."""
    sources = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for path in sources:
        if path.suffix not in (".list", ".sources") or not path.is_file():
            continue
        text = path.read_text()
        if path.suffix == ".sources":
            new = re.sub(r"^Types: deb$", "Types: deb deb-src", text, flags=re.M)
        else:
            lines = text.splitlines()
            have = {line[len("deb-src "):] for line in lines if line.startswith("deb-src ")}
            extra = [f"deb-src {line[4:]}" for line in lines
                     if line.startswith("deb ") and line[4:] not in have]
            new = "\n".join([*lines, *extra]) + "\n" if extra else text
        if new != text:
            path.write_text(new)


def ensure_suite(src: Path | None) -> Path:
    """The directory holding `runtest` and tests/ of the installed redis version."""
    if src is not None:
        if not (src / "runtest").is_file():
            sys.exit(f"{src} has no runtest: pass an unpacked redis source tree")
        return src
    found = sorted(CACHE.glob("redis-*/runtest"))
    if found:
        return found[-1].parent
    CACHE.mkdir(parents=True, exist_ok=True)
    fetch = ["apt-get", "source", "redis"]
    if subprocess.run(fetch, cwd=CACHE).returncode != 0:
        if os.geteuid() != 0:
            sys.exit("`apt-get source redis` failed: as root, add deb-src to the apt "
                     "sources and run `apt-get update`, or pass --src DIR")
        _enable_deb_src()
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(fetch, cwd=CACHE, check=True)
    found = sorted(CACHE.glob("redis-*/runtest"))
    if not found:
        sys.exit(f"no redis source tree with runtest under {CACHE}")
    return found[-1].parent


# -- servers -------------------------------------------------------------------------


class Server:
    def __init__(self, target: str, workdir: Path) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{target}-tcl-", dir=workdir))
        self.log_path = self.dir.with_suffix(".log")
        if target == "weir":
            cmd = [sys.executable, "-m", "weir", "server", "--port", str(self.port),
                   "--dir", str(self.dir)]
        else:
            cmd = ["redis-server", "--port", str(self.port), "--dir", str(self.dir),
                   "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=ROOT, env=env)

    def start(self) -> None:
        wait_for_port(self.port, self.proc, timeout_s=60)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def answers_ping(self, timeout_s: float = 5.0) -> bool:
        """Tells a stalled server (a hang of weir) from a test that waits for
        something the server never sends (a hang of the test only)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def log_tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """runtest forks a Tcl test server and a test client; they share the session
    started for runtest, so the whole group goes."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


# -- parsing -------------------------------------------------------------------------


def _test_name(data: str) -> str:
    return re.sub(r" in tests/\S+\.tcl$", "", data)


def _first_line(lines: list[str]) -> str:
    for line in lines:
        if line.strip():
            return line.strip()[:400]
    return ""


def _error_line(detail: list[str]) -> str:
    """The error of a failed test. test.tcl drops the first 10 characters of an error
    that is not an assertion ("ERR unknow"...); the errorInfo line after it is whole."""
    lines = [line.strip() for line in detail if line.strip()]
    if len(lines) >= 2 and lines[1] != lines[0] and lines[1].endswith(lines[0]):
        return lines[1][:400]
    return _first_line(lines)


def parse(output: str) -> Parsed:
    parsed = Parsed()
    lines = ANSI.sub("", output).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if "The following tests failed" in line:
            break  # the summary repeats the [err] lines already seen
        if line.startswith("[TIMEOUT]"):
            parsed.timed_out = True
            for state in lines[i:]:
                match = IN_PROGRESS.match(state)
                if match and match.group(1) == "IN PROGRESS":
                    parsed.in_progress = match.group(2)
            break
        if re.match(r"^\[\d+/\d+ done\]", line):
            parsed.finished = True
            continue
        match = STATUS.match(line)
        if not match:
            continue
        status, data = match.groups()
        if status == "ok":
            parsed.ok += 1
            parsed.reported += 1
            parsed.last_done = re.sub(r" \(\d+ ms\)$", "", data)
        elif status in ("skip", "ignore"):
            parsed.skipped += 1
        else:
            detail: list[str] = []
            while i < len(lines) and not lines[i].startswith("[") and not lines[i].startswith("***"):
                detail.append(lines[i])
                i += 1
            name = _test_name(data)
            if status == "exception":
                parsed.exception = name
            else:
                parsed.reported += 1
                parsed.last_done = name
            parsed.failures.append(Failure(name, status, _error_line(detail)))
    return parsed


LOST_CONNECTION = re.compile(
    r"I/O error|connection refused|couldn't open socket|broken pipe|connection reset", re.I)


def crash_culprit(output: str) -> str:
    """The test a dying server interrupted: the first whose error is the lost
    connection (every later one fails on the refused connection)."""
    parsed = parse(output)
    for failure in parsed.failures:
        if failure.kind == "err" and LOST_CONNECTION.search(failure.error):
            return failure.name
    return f"(unknown: after {parsed.last_done!r})"


# -- running -------------------------------------------------------------------------


def _runtest_baseport() -> int:
    """runtest's own test server takes the first port P from --baseport - 32 for which
    P and P + 10000 are free: start it at a free pair, so two runs do not collide on
    the default 21079."""
    while True:
        port = random.randint(20000, 50000)
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port + 32


def run_attempt(suite: Path, server: Server, unit: str, skips: list[str], tags: list[str],
                test_timeout: int, deadline: float, log: Path) -> tuple[Parsed, str, str | None]:
    """One runtest of one unit. Returns what it reported, its output, and how it ended
    early if it did ("crash" or "unit-timeout")."""
    cmd = ["./runtest", "--host", "127.0.0.1", "--port", str(server.port), "--single", unit,
           "--durable", "--timeout", str(test_timeout),
           "--baseport", str(_runtest_baseport())]
    for tag in tags:
        cmd += ["--tags", tag]
    for name in skips:
        cmd += ["--skiptest", name]
    ended: str | None = None
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=suite, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            died_at: int | None = None
            grace = 0.0
            while proc.poll() is None:
                time.sleep(0.5)
                if time.monotonic() > deadline:
                    ended = "unit-timeout"
                    break
                if died_at is None and not server.alive():
                    died_at = parse(log.read_text(errors="replace")).reported
                    grace = time.monotonic() + 10
                if died_at is not None:
                    # Wait for the interrupted test to report, then stop: the rest
                    # would only fail on the refused connection.
                    seen = parse(log.read_text(errors="replace")).reported
                    if seen > died_at or time.monotonic() > grace:
                        ended = "crash"
                        break
            if ended is None and not server.alive():
                ended = "crash"
        finally:
            kill_group(proc)
    output = log.read_text(errors="replace")
    return parse(output), output, ended


def run_unit(suite: Path, target: str, unit: str, args: argparse.Namespace,
             workdir: Path) -> UnitResult:
    result = UnitResult(unit, target)
    skips = list(args.skiptest)
    stuck: list[Failure] = []  # hangs and crashes found so far, skipped on later attempts
    started = time.monotonic()
    deadline = started + args.unit_timeout
    log_dir = workdir / "logs"
    log_dir.mkdir(exist_ok=True)
    parsed = Parsed()
    while True:
        result.attempts += 1
        log = log_dir / f"{target}-{unit.replace('/', '_')}-{result.attempts}.log"
        server = Server(target, workdir)
        try:
            try:
                server.start()
            except RuntimeError as exc:
                result.status = "no-server"
                result.notes.append(f"{exc}: {server.log_tail()}")
                break
            parsed, output, ended = run_attempt(suite, server, unit, skips, args.tags,
                                                args.test_timeout, deadline, log)
            if ended == "crash":
                name = crash_culprit(output)
                stuck.append(Failure(name, "crash", f"server exited with code "
                                     f"{server.proc.returncode}"))
                result.notes.append(f"{target} log at the crash in {name}:\n{server.log_tail()}")
            elif parsed.timed_out:
                name = parsed.in_progress or f"(between tests, after {parsed.last_done!r})"
                answer = ("the server still answers PING" if server.answers_ping()
                          else "the server does not answer PING: it is stalled")
                stuck.append(Failure(name, "hang", f"no test reported for "
                                     f"{args.test_timeout}s; {answer}"))
            elif ended == "unit-timeout":
                result.status = "unit-timeout"
                result.notes.append(f"killed after {args.unit_timeout}s; last test reported: "
                                    f"{parsed.last_done!r}")
                break
            elif parsed.exception is not None:
                result.status = "exception"
                break
            else:
                result.status = "complete" if parsed.finished else "incomplete"
                if not parsed.finished:
                    tail = "\n".join(ANSI.sub("", output).splitlines()[-15:])
                    result.notes.append(f"runtest stopped early:\n{tail}")
                break
        finally:
            server.stop()
        # A hang or crash: run the unit again without the test that caused it, unless
        # the test is unknown or the retries are used up.
        result.status = stuck[-1].kind
        if stuck[-1].name.startswith("(") or result.attempts > args.retries:
            break
        skips.append(stuck[-1].name)
    result.seconds = round(time.monotonic() - started, 1)
    result.ok = parsed.ok
    result.err = len(parsed.failures)
    # Tests skipped because they hung or crashed earlier are counted as failures.
    result.skipped = parsed.skipped - (len(skips) - len(args.skiptest))
    result.failures = [*stuck, *parsed.failures]
    if stuck and result.status == "complete":
        kinds = [f.kind for f in stuck]
        result.status = "complete after " + ", ".join(
            f"{kinds.count(k)} {k}" for k in ("hang", "crash") if k in kinds)
    return result


# -- reports -------------------------------------------------------------------------


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def write_reports(results: dict[str, list[UnitResult]], out: Path, argv: list[str],
                  suite: Path) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    data = {
        "date": when, "command": " ".join(argv), "suite": str(suite),
        "results": {t: [{**asdict(r), "failed": r.failed} for r in rs]
                    for t, rs in results.items()},
    }
    out.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n")

    md = [f"# Redis 7.0 Tcl suite: {', '.join(results)}", "",
          f"- date: {when}", f"- command: `{' '.join(argv)}`", f"- suite: {suite}", ""]
    targets = list(results)
    by_unit = {t: {r.unit: r for r in rs} for t, rs in results.items()}
    units = list(dict.fromkeys(r.unit for rs in results.values() for r in rs))
    header = "| unit |" + "".join(f" {t} ok | {t} failed | {t} status |" for t in targets)
    md += [header, "|---|" + "---|---|---|" * len(targets)]
    totals = {t: [0, 0] for t in targets}
    for unit in units:
        row = f"| {unit} |"
        for t in targets:
            r = by_unit[t].get(unit)
            if r is None:
                row += " | | |"
                continue
            totals[t][0] += r.ok
            totals[t][1] += r.failed
            row += f" {r.ok} | {r.failed} | {r.status} ({r.seconds:.0f}s) |"
        md.append(row)
    md.append("| **total** |" + "".join(f" **{totals[t][0]}** | **{totals[t][1]}** | |"
                                       for t in targets))
    md.append("")

    stuck = [(r.unit, f) for r in results[targets[0]] for f in r.failures
             if f.kind in ("hang", "crash", "exception")]
    if stuck:
        md += [f"## Hangs, crashes and exceptions ({targets[0]})", ""]
        md += [f"- **{f.kind}** {unit}: {f.name} — {f.error}" for unit, f in stuck]
        md.append("")

    reference = by_unit.get("redis") if "redis" in targets and len(targets) > 1 else None
    for t in targets:
        if reference is not None and t == "redis":
            continue
        md += [f"## Failing tests ({t})", ""]
        if reference is not None:
            md += ["Tests that also fail on redis are marked *(fails on redis too)*.", ""]
        for r in results[t]:
            if not r.failures and not r.notes:
                continue
            md.append(f"### {r.unit} ({r.failed} failed, status {r.status})")
            md.append("")
            ref_failed = set()
            if reference is not None and r.unit in reference:
                ref_failed = {f.name for f in reference[r.unit].failures}
            for f in r.failures:
                mark = " *(fails on redis too)*" if f.name in ref_failed else ""
                md.append(f"- [{f.kind}] {f.name}{mark}")
                if f.error:
                    md.append(f"  - {_code(f.error)}")
            for note in r.notes:
                md += ["", "```", note, "```"]
            md.append("")
    if reference is not None:
        md += ["## Failing on redis (the reference)", ""]
        for r in results["redis"]:
            for f in r.failures:
                md.append(f"- {r.unit}: [{f.kind}] {f.name} — {_code(f.error)}")
        md.append("")
    out.write_text("\n".join(md))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--redis", action="store_true", help="run against redis-server only")
    which.add_argument("--both", action="store_true", help="run against weir and redis-server")
    parser.add_argument("--units", nargs="+", default=DEFAULT_UNITS, metavar="UNIT",
                        help="units to run (default: the families weir implements)")
    parser.add_argument("--test-timeout", type=int, default=60, metavar="S",
                        help="a test reporting nothing for S seconds is a hang (default 60)")
    parser.add_argument("--unit-timeout", type=int, default=1800, metavar="S",
                        help="kill a unit, retries included, after S seconds (default 1800)")
    parser.add_argument("--retries", type=int, default=20,
                        help="re-runs of a unit after a hang or crash (default 20)")
    parser.add_argument("--tags", nargs="*", default=DEFAULT_TAGS,
                        help=f"runtest --tags filters (default {' '.join(DEFAULT_TAGS)})")
    parser.add_argument("--skiptest", action="append", default=list(DEFAULT_SKIPS),
                        metavar="NAME", help="test name (or /regexp) to skip; repeatable "
                        f"(always skipped: {DEFAULT_SKIPS})")
    parser.add_argument("--src", type=Path, help="an unpacked redis source tree to use")
    parser.add_argument("-o", "--output", type=Path, default=Path("tcl-suite-report.md"),
                        help="Markdown report; the JSON goes next to it (.json)")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    ensure_tcl()
    suite = ensure_suite(args.src)
    targets = ["weir", "redis"] if args.both else ["redis"] if args.redis else ["weir"]
    if "redis" in targets and shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed")
    results: dict[str, list[UnitResult]] = {t: [] for t in targets}
    workdir = Path(tempfile.mkdtemp(prefix="weir-tcl-suite-"))
    print(f"suite {suite}; logs in {workdir / 'logs'}", flush=True)
    try:
        # The reference first: it is quick, and tells at once what the suite expects.
        for target in sorted(targets, key=lambda t: t != "redis"):
            for unit in args.units:
                result = run_unit(suite, target, unit, args, workdir)
                results[target].append(result)
                print(f"{target} {unit}: {result.ok} ok, {result.failed} failed, "
                      f"{result.status}, {result.seconds:.0f}s", flush=True)
                write_reports(results, args.output, sys.argv, suite)
    except Stop as exc:
        print(f"stopped by {exc}; the report has the units finished so far", flush=True)
    finally:
        if any(results.values()):
            write_reports(results, args.output, sys.argv, suite)
        for server_dir in workdir.glob("*-tcl-*"):
            shutil.rmtree(server_dir, ignore_errors=True)
    print(f"report: {args.output} and {args.output.with_suffix('.json')}")


if __name__ == "__main__":
    main()
