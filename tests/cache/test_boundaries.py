"""The cache stays headless and independent of the simulator."""

from __future__ import annotations

import ast
from pathlib import Path

CACHE = Path(__file__).resolve().parents[2] / "spstui" / "cache"


def imported_modules() -> set[tuple[str, str]]:
    found = set()
    for path in CACHE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {(path.name, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add((path.name, node.module if not node.level else f".{node.module}"))
    return found


def test_cache_imports_neither_textual_nor_the_simulator() -> None:
    modules = imported_modules()
    assert modules, "no imports found: wrong folder?"
    bad = {(f, m) for f, m in modules
           if m.split(".")[0] == "textual" or m.startswith(("spstui.simulator", ".simulator"))
           or m.startswith("spstui.tui")}
    assert not bad, sorted(bad)


def test_cache_uses_no_relative_imports_that_could_hide_a_dependency() -> None:
    assert not {m for _, m in imported_modules() if m.startswith(".")}
