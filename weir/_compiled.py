"""The modules built to C with mypyc, and the guard against running stale builds.

`pip install` compiles the hot path (parse, dispatch, apply, encode, log) with
mypyc when a C compiler is at hand; the .py files stay beside the extensions
and are what runs when none was built. An extension built from an older
source must never run: after an edit or a `git pull` without a rebuild, the
guard sees the source's hash differ from the one recorded at build time and
makes every compiled module load from source (all of them: compiled modules
call each other's classes natively, so the two kinds cannot be mixed).
WEIR_PURE_PYTHON=1 does the same on purpose (profilers see Python frames).

This file is read by setup.py without importing weir: keep it standalone.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

MODULES: tuple[str, ...] = (
    "weir.resp.parser",
    "weir.resp.encoder",
    "weir.server.client",
    "weir.server.server",
    "weir.server.writelog",
    "weir.server.persistence",
    "weir.embedded",  # its client subclasses Client: an interpreted class could not
    "weir.state.machine",
    "weir.state.keyspace",
    "weir.state.entry",
    "weir.state.rng",
    "weir.state.sortedlist",
    # Not weir.state.lists: a deque subclass, which mypyc cannot compile.
    "weir.state.sets",
    "weir.state.zset",
    "weir.commands.args",
    "weir.commands.table",
    "weir.commands.strings",
    "weir.commands.hashes",
    "weir.commands.keys",
    "weir.commands.lists",
    "weir.commands.sets",
    "weir.commands.zsets",
    "weir.log.storage",
    "weir.log.records",
    "weir.log.segment",
)
# Written in C outright (no .py twin): in source mode they are not importable and their
# callers take their pure-Python path.
NATIVE_MODULES: dict[str, str] = {
    "weir.resp._creader": "resp/_creader.c",
    "weir.resp._cwriter": "resp/_cwriter.c",
    "weir.state._cscores": "state/_cscores.c",
    "weir.state._centry": "state/_centry.c",
    "weir.state._cprefetch": "state/_cprefetch.c",
}
# Written by setup.py next to this file: the source hash each extension was built from.
HASHES_FILE = "_compiled_hashes.txt"
PACKAGE_DIR = Path(__file__).resolve().parent

# Why compiled modules load from source in this process, or None if they do not.
source_reason: str | None = None


def source_path(module: str, root: Path | None = None) -> Path:
    root = root or PACKAGE_DIR
    if module in NATIVE_MODULES:
        return root / NATIVE_MODULES[module]
    return root.joinpath(*module.split(".")[1:]).with_suffix(".py")


def all_modules() -> tuple[str, ...]:
    return (*MODULES, *NATIVE_MODULES)


def source_hash(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def _has_extension(module: str) -> bool:
    source = source_path(module)
    return any(source.with_suffix(suffix).exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def _stale_modules() -> list[str]:
    recorded: dict[str, str] = {}
    hashes = PACKAGE_DIR / HASHES_FILE
    if hashes.exists():
        for line in hashes.read_text().splitlines():
            name, _, digest = line.partition(" ")
            recorded[name] = digest
    built = [module for module in all_modules() if _has_extension(module)]
    if not built:
        return []
    # A partial build counts as stale too: the modules without an extension would be mixed.
    return [
        module for module in all_modules()
        if module not in built or recorded.get(module) != source_hash(source_path(module))
    ]


class _SourceFinder:
    """Finds the listed modules' .py files ahead of their extensions."""

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = frozenset(modules)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.modules:
            return None
        if fullname in NATIVE_MODULES:
            raise ModuleNotFoundError(f"{fullname} is not used: {source_reason}", name=fullname)
        return importlib.util.spec_from_file_location(fullname, source_path(fullname))


def guard() -> None:
    """Run the .py sources instead of extensions that are stale or unwanted."""
    global source_reason
    if os.environ.get("WEIR_PURE_PYTHON") == "1":
        source_reason = "WEIR_PURE_PYTHON=1"
    else:
        stale = _stale_modules()
        if not stale:
            return
        source_reason = f"built from older sources ({', '.join(stale[:3])}{', ...' if len(stale) > 3 else ''})"
        warnings.warn(
            f"weir: the compiled modules were {source_reason}; running the Python sources. "
            "Rebuild with `pip install -e .` to run compiled.",
            RuntimeWarning,
            stacklevel=2,
        )
    sys.meta_path.insert(0, _SourceFinder(all_modules()))
