"""`weir sim`: run seeded cluster simulations, or check a history file.

Output contract (CI and external checks parse it; keep it stable): a run
ends with exactly one line

    sim: seeds=N ok=N failed=N ops=N linearizable=yes|no

and exits 0 only if every seed passed. A failing seed prints its violations
and the command that replays it. `--check-history FILE` ends with

    history: ops=N keys=N linearizable=yes|no
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TextIO

from weir.sim.bugs import BUGS
from weir.sim.history import HistoryError, operations, read_jsonl, write_jsonl
from weir.sim.linearizability import check
from weir.sim.simulation import FAULTS, SeedResult, SimOptions, run_seed

_DEFAULTS = SimOptions()


def parse_seeds(text: str) -> list[int]:
    """'17', '0-199' or '1,5,9-12' -> seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, dash, high = part.partition("-")
        try:
            if dash:
                first, last = int(low), int(high)
                if last < first:
                    raise argparse.ArgumentTypeError(f"empty seed range {part!r}")
                seeds.extend(range(first, last + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad seed {part!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("no seeds given")
    return seeds


def parse_faults(text: str) -> frozenset[str]:
    if text == "all":
        return frozenset(FAULTS)
    if text == "none":
        return frozenset()
    faults = frozenset(f.strip() for f in text.split(",") if f.strip())
    unknown = faults - set(FAULTS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault {sorted(unknown)[0]!r}; choose from all, none, {', '.join(FAULTS)}"
        )
    return faults


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="weir sim",
        description="Deterministic simulation of a weir Raft cluster with a linearizability check.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--seed", type=int, help="run one seed")
    which.add_argument("--seeds", type=parse_seeds, help="seeds to run: 0-199 or 1,5,9-12")
    which.add_argument(
        "--check-history",
        type=Path,
        metavar="FILE",
        help="check a JSON-lines history file for linearizability instead",
    )
    parser.add_argument("--nodes", type=int, default=5, help="initial voters (default 5)")
    parser.add_argument(
        "--faults",
        type=parse_faults,
        default=frozenset(FAULTS),
        help=f"all, none, or a comma list of: {', '.join(FAULTS)} (default all)",
    )
    parser.add_argument("--bug", choices=sorted(BUGS), help="run a deliberately broken core")
    parser.add_argument("--trace", action="store_true", help="print the event trace")
    parser.add_argument("--clients", type=int, default=_DEFAULTS.clients)
    parser.add_argument("--keys", type=int, default=_DEFAULTS.keys)
    parser.add_argument(
        "--fault-ms", type=int, default=_DEFAULTS.fault_ms, help="length of the fault phase"
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--write-history",
        type=Path,
        metavar="FILE",
        help="with --seed: write the client history as JSON lines (see --check-history)",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = sys.stdout
    if args.check_history is not None:
        return _check_history(args.check_history, out)
    if args.nodes < 1 or args.clients < 1 or args.keys < 1 or args.fault_ms < 0:
        parser.error("--nodes, --clients and --keys must be positive, --fault-ms not negative")
    seeds = [args.seed] if args.seed is not None else (args.seeds or [0])
    if args.write_history is not None and len(seeds) != 1:
        parser.error("--write-history needs a single --seed")
    options = SimOptions(
        nodes=args.nodes,
        faults=args.faults,
        clients=args.clients,
        keys=args.keys,
        fault_ms=args.fault_ms,
        bug=args.bug,
        trace=args.trace,
        keep_history=args.write_history is not None,
    )
    return _run_seeds(seeds, options, args.jobs, out, args.write_history)


def _results(seeds: list[int], options: SimOptions, jobs: int) -> Iterator[SeedResult]:
    if jobs <= 1 or len(seeds) == 1:
        for seed in seeds:
            yield run_seed(seed, options)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunk = max(1, min(16, len(seeds) // (jobs * 4)))
        yield from pool.map(run_seed, seeds, [options] * len(seeds), chunksize=chunk)


def _run_seeds(
    seeds: list[int], options: SimOptions, jobs: int, out: TextIO, history_path: Path | None
) -> int:
    ok = failed = ops = 0
    linearizable = True
    detailed = False
    for result in _results(seeds, options, jobs):
        if history_path is not None:
            with history_path.open("w", encoding="utf-8") as handle:
                write_jsonl(result.history, handle)
        ops += result.ops
        linearizable = linearizable and result.linearizable
        if options.trace:
            for line in result.trace:
                print(line, file=out)
        if result.ok:
            ok += 1
            continue
        failed += 1
        print(f"seed {result.seed}: FAILED: {result.violations[0].splitlines()[0]}", file=out)
        if not detailed or options.trace:
            # The whole story once; later failures get their first line.
            detailed = True
            for violation in result.violations:
                for line in violation.splitlines():
                    print(f"  {line}", file=out)
        print(f"  replay: {options.replay_command(result.seed)}", file=out)
    if options.bug:
        print(f"bug: {options.bug}: {BUGS[options.bug]}", file=out)
    print(
        f"sim: seeds={len(seeds)} ok={ok} failed={failed} ops={ops} "
        f"linearizable={'yes' if linearizable else 'no'}",
        file=out,
    )
    return 0 if failed == 0 else 1


def _check_history(path: Path, out: TextIO) -> int:
    try:
        events = read_jsonl(path)
        ops = operations(events)
    except (OSError, HistoryError) as exc:
        print(f"history: error: {exc}", file=sys.stderr)
        return 2
    result = check(ops)
    if not result.ok:
        print(result.report(), file=out)
    print(
        f"history: ops={result.ops} keys={result.keys} linearizable={'yes' if result.ok else 'no'}",
        file=out,
    )
    return 0 if result.ok else 1
