"""weir/raft stays sans-IO: stdlib only, no I/O or clock modules, no global RNG."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RAFT_DIR = Path(__file__).resolve().parents[3] / "weir" / "raft"
FORBIDDEN = {"asyncio", "socket", "time", "os", "selectors", "threading", "subprocess"}
MODULES = sorted(RAFT_DIR.glob("*.py"))


def imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.append("weir.raft")  # relative: stays in the package
            elif node.module:
                names.append(node.module)
    return names


def test_modules_found() -> None:
    assert {p.name for p in MODULES} >= {
        "raft.py",
        "log.py",
        "progress.py",
        "quorum.py",
        "confchange.py",
        "rawnode.py",
        "types.py",
        "storage.py",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_io_or_clock_imports(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for name in imports(tree):
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_weir_imports_outside_raft(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for name in imports(tree):
        if name == "weir" or name.startswith("weir."):
            assert name == "weir.raft" or name.startswith("weir.raft."), (
                f"{path.name} imports {name}"
            )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_random_only_as_injected_instance(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "random":
            assert [a.name for a in node.names] == ["Random"], f"{path.name}: from random import"
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "random"
        ):
            assert node.attr == "Random", f"{path.name} uses the global RNG: random.{node.attr}"


def test_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    tree = ast.parse("import time\nfrom weir.log import x\nfrom . import quorum\n")
    assert imports(tree) == ["time", "weir.log", "weir.raft"]
