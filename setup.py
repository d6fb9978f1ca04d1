"""Builds the hot-path modules listed in weir/_compiled.py to C with mypyc.

Without mypyc or a C compiler, or with WEIR_PURE_PYTHON=1, weir installs as
pure Python and runs the same code, slower. See docs/architecture.md.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("_weir_compiled", ROOT / "weir" / "_compiled.py")
assert spec is not None and spec.loader is not None
compiled = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compiled)


class OptionalBuildExt(build_ext):
    """A failed C build leaves a working pure-Python install, not a failed one."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1  # one C file per module: compile them side by side

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            print(f"weir: C build failed ({exc}); installing pure Python", file=sys.stderr)
            remove_old_builds()


def remove_old_builds() -> None:
    """Extensions of modules no longer compiled (or a group of another name) must not linger."""
    for built in [*(ROOT / "weir").rglob("*.so"), *ROOT.glob("*__mypyc*.so")]:
        built.unlink()
    (ROOT / "weir" / compiled.HASHES_FILE).unlink(missing_ok=True)


def ext_modules() -> list[object]:
    if {"egg_info", "dist_info"} & set(sys.argv[1:2]):
        return []  # metadata only: no need to run mypyc
    remove_old_builds()
    if os.environ.get("WEIR_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("weir: mypyc not available; installing pure Python", file=sys.stderr)
        return []
    package = ROOT / "weir"
    (package / compiled.HASHES_FILE).write_text(
        "".join(
            f"{module} {compiled.source_hash(compiled.source_path(module, package))}\n"
            for module in compiled.all_modules()
        )
    )
    sources = [compiled.source_path(module, package) for module in compiled.MODULES]
    try:
        built = mypycify([str(p.relative_to(ROOT)) for p in sources], opt_level="3", multi_file=True, group_name="weir")
    except (SystemExit, Exception) as exc:  # mypyc exits on a type error it meets
        print(f"weir: mypyc could not compile the hot path ({exc!r}); installing pure Python", file=sys.stderr)
        remove_old_builds()
        return []
    return list(built) + [
        Extension(module, [str(compiled.source_path(module, package).relative_to(ROOT))])
        for module in compiled.NATIVE_MODULES
    ]


setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
