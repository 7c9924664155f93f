"""Rules the architecture relies on, checked on the source tree."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "spstui"


def _imports(folder: Path) -> set[tuple[str, str]]:
    """(file, imported module) for every import under a folder."""
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {(path.name, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against the file's package
                    parts = path.relative_to(ROOT).with_suffix("").parts[: -node.level]
                    base = ".".join((*parts, base)) if base else ".".join(parts)
                found.add((path.name, base))
    return found


def test_simulator_never_imports_the_client_or_the_ui() -> None:
    bad = {(f, m) for f, m in _imports(PACKAGE / "simulator")
           if m.startswith(("spstui.api", "spstui.tui", "spstui.cache", "textual"))}
    assert not bad, f"the simulator must stay independent of the client: {sorted(bad)}"


def test_api_layer_never_imports_textual() -> None:
    api = PACKAGE / "api"
    if not api.exists():
        pytest.skip("no API layer yet")
    bad = {(f, m) for f, m in _imports(api) if m.split(".")[0] == "textual"}
    assert not bad, f"spstui/api must stay headless: {sorted(bad)}"


def test_source_is_ruff_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "spstui", "tests", "benchmarks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_is_mypy_clean() -> None:
    # Strict, on all of spstui (pyproject's [tool.mypy]), not only the API layer.
    result = subprocess.run([sys.executable, "-m", "mypy", "-p", "spstui"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
