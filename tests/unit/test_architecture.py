"""The direction of imports: the pure cores do no I/O and import no shell.

The rules are those of docs/ARCHITECTURE.md ("Import rules").
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = ("acd", "ivr_flows")
FORBIDDEN = {
    "asyncio",
    "socket",
    "selectors",
    "ssl",
    "subprocess",
    "threading",
    "multiprocessing",
    "http",
    "urllib",
    "sqlite3",
    "aiohttp",
    "sqlalchemy",
    "structlog",
    "requests",
    "shutil",
    "callcenter",
    "cti",
    "os",
    "io",
    "pathlib",
    "time",
    "tempfile",
    "logging",
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):  # walks function bodies too: lazy imports count
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", PURE)
def test_pure_cores_import_no_io_and_nothing_from_the_shell(package: str) -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    ]
    assert not offences, "\n".join(offences)


def test_the_scan_would_catch_an_offending_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    import asyncio\n    from callcenter.ami import AMIClient\n")
    assert [m for _, m in imported_modules(bad)] == ["asyncio", "callcenter.ami"]


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is part of the test extras"
    result = subprocess.run(
        [exe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken" in result.stdout
