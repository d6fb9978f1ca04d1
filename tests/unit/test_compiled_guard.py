"""The guard that keeps stale compiled modules from running (weir/_compiled.py)."""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

import pytest

from weir import _compiled

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def make_tree(root: Path, modules: tuple[str, ...], built: tuple[str, ...], stale: tuple[str, ...] = ()) -> None:
    lines = []
    for module in modules:
        source = _compiled.source_path(module, root)
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"# {module}\n")
        lines.append(f"{module} {_compiled.source_hash(source)}\n")
        if module in built:
            source.with_suffix(SUFFIX).write_bytes(b"")
        if module in stale:
            source.write_text(f"# {module}, edited after the build\n")
    (root / _compiled.HASHES_FILE).write_text("".join(lines))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(_compiled, "PACKAGE_DIR", tmp_path)
    monkeypatch.setattr(_compiled, "MODULES", ("weir.a", "weir.sub.b"))
    monkeypatch.setattr(_compiled, "NATIVE_MODULES", {"weir.sub._c": "sub/_c.c"})
    return tmp_path


ALL = ("weir.a", "weir.sub.b", "weir.sub._c")


def test_a_pure_install_is_not_stale(tree: Path) -> None:
    make_tree(tree, ALL, built=())
    assert _compiled._stale_modules() == []


def test_a_fresh_build_is_not_stale(tree: Path) -> None:
    make_tree(tree, ALL, built=ALL)
    assert _compiled._stale_modules() == []


def test_an_edited_source_makes_its_module_stale(tree: Path) -> None:
    make_tree(tree, ALL, built=ALL, stale=("weir.sub.b",))
    assert _compiled._stale_modules() == ["weir.sub.b"]
    make_tree(tree, ALL, built=ALL, stale=("weir.sub._c",))
    assert _compiled._stale_modules() == ["weir.sub._c"]


def test_a_partial_build_is_stale(tree: Path) -> None:
    make_tree(tree, ALL, built=("weir.a",))
    assert _compiled._stale_modules() == ["weir.sub.b", "weir.sub._c"]


def test_source_mode_finds_sources_and_hides_c_only_modules(tree: Path) -> None:
    make_tree(tree, ALL, built=ALL)
    finder = _compiled._SourceFinder(ALL)
    spec = finder.find_spec("weir.sub.b", None)
    assert spec is not None and spec.origin == str(tree / "sub" / "b.py")
    assert finder.find_spec("weir.other", None) is None
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("weir.sub._c", None)
