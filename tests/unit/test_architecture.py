"""The direction of imports: the pure cores do no I/O and import no shell; no module cycles.

The rules are those of docs/ARCHITECTURE.md ("Import rules").
"""

from __future__ import annotations

import ast
import itertools
import shutil
import subprocess
import sys
import tomllib
from collections import deque
from collections.abc import Iterator
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
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    # Every declared contract was checked, none skipped.
    assert f"Contracts: {len(declared['contracts'])} kept, 0 broken" in result.stdout


PRODUCT = ("acd", "ivr_flows", "cti", "callcenter")


def module_names(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of `packages` under `root` by dotted name; a package is its __init__.

    Folders without an __init__ (the migrations, which Alembic loads by path) are no packages.
    """
    names = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if all(
                (root.joinpath(*parts[:i]) / "__init__.py").exists() for i in range(1, len(parts))
            ):
                names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_statements(
    node: ast.AST, type_only: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import under `node`, in functions too, and whether only `if TYPE_CHECKING:` runs it."""
    for name, value in ast.iter_fields(node):
        guarded = type_only or (
            isinstance(node, ast.If) and name == "body" and _is_type_checking(node.test)
        )
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, guarded
            elif isinstance(child, ast.AST):
                yield from _import_statements(child, guarded)


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, dict[str, bool]]:
    """importer -> {imported module: True if some import of it runs, False if all are type-only}.

    Only modules of `packages` count. `import a.b` imports `a.b`; `from a import b` imports
    the module `a.b` when there is one, else `a` (a name its __init__ defines).
    """
    modules = module_names(root, packages)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, bool]] = {name: {} for name in modules}
    for importer, path in modules.items():
        is_package = path.name == "__init__.py"
        for stmt, type_only in _import_statements(ast.parse(path.read_text(), str(path))):
            if isinstance(stmt, ast.Import):
                targets = [known(alias.name) for alias in stmt.names]
            else:
                base = stmt.module or ""
                if stmt.level:
                    up = importer.split(".")[: len(importer.split(".")) - stmt.level + is_package]
                    base = ".".join([*up, *([base] if base else [])])
                targets = [known(f"{base}.{alias.name}") or known(base) for alias in stmt.names]
            for target in targets:
                if target is not None and target != importer:
                    edges = graph[importer]
                    edges[target] = edges.get(target, False) or not type_only
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles that together take in every import lying on a cycle, each as [a, b, ..., a].

    For each such import a -> b, the shortest way from b back to a; a cycle is listed once,
    starting at its first module in alphabetical order.
    """

    def reachable(start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reach = {name: reachable(name) for name in graph}
    found: set[tuple[str, ...]] = set()
    for a, targets in graph.items():
        for b in targets:
            if a not in reach.get(b, ()):
                continue
            back, todo = {b: b}, deque([b])  # breadth first: the shortest way from b to a
            while a not in back:
                here = todo.popleft()
                for nxt in sorted(graph.get(here, ())):
                    if nxt not in back:
                        back[nxt] = here
                        todo.append(nxt)
            path = [a]
            while path[-1] != b:
                path.append(back[path[-1]])
            loop = [a, *reversed(path[1:])]  # a, b, ..., the module before a
            first = loop.index(min(loop))
            found.add(tuple(loop[first:] + loop[:first]))
    return [[*cycle, cycle[0]] for cycle in sorted(found)]


def test_no_import_cycles_between_modules() -> None:
    """No import cycle between two modules of the product (acd, ivr_flows, cti, callcenter).

    Rule: a module is a file (a package is its __init__), and every import counts: at module
    level, inside a function (a lazy import), and under `if TYPE_CHECKING:` (records that hold
    one another share a module, or type the way back with a Protocol of their own).
    """
    graph = import_graph(ROOT, PRODUCT)
    cycles = {tuple(c) for c in import_cycles({a: set(edges) for a, edges in graph.items()})}

    def described(cycle: tuple[str, ...]) -> str:
        hops = itertools.pairwise(cycle)
        typed = [f"{a} -> {b}" for a, b in hops if not graph[a][b]]
        return " -> ".join(cycle) + (f"   (under TYPE_CHECKING: {', '.join(typed)})" * bool(typed))

    assert not cycles, (
        "import cycles (a small types module or moving one function breaks most):\n"
        + ("\n".join(described(c) for c in sorted(cycles)))
    )


def test_the_cycle_scan_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    files = {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "def f():\n    from pkg.a import x\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.d import D\n",
        "d.py": "import pkg.c\nfrom pkg import e\n",
        "e.py": "from . import d\n",
    }
    (tmp_path / "pkg").mkdir()
    for name, text in files.items():
        (tmp_path / "pkg" / name).write_text(text)
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.c"] == {"pkg.d": False}
    every = {a: set(edges) for a, edges in graph.items()}
    runtime = {a: {b for b, runs in edges.items() if runs} for a, edges in graph.items()}
    assert [" -> ".join(c) for c in import_cycles(every)] == [
        "pkg.a -> pkg.b -> pkg.a",
        "pkg.c -> pkg.d -> pkg.c",
        "pkg.d -> pkg.e -> pkg.d",
    ]
    assert [" -> ".join(c) for c in import_cycles(runtime)] == [
        "pkg.a -> pkg.b -> pkg.a",
        "pkg.d -> pkg.e -> pkg.d",
    ]


def test_no_two_test_modules_share_a_name() -> None:
    # pytest imports test modules by their basename (the test folders are no packages):
    # a second tests/**/test_x.py stops the whole run at collection.
    by_name: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        by_name.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert not {name: paths for name, paths in by_name.items() if len(paths) > 1}
