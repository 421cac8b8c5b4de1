"""The house keeps the shape ARCHITECTURE.md draws: no import cycles, arrows only pointing down its layers.

Every module under ``optiviz/`` is parsed with ``ast`` (nothing is imported), and every import statement counts,
including those inside functions: a cycle through a function-level import is still a cycle. The layers are read
from the ``layers`` block of ARCHITECTURE.md, so the document and this test cannot drift apart.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "optiviz"

#: rooms that may import matplotlib besides render/, each with the reason
MATPLOTLIB_ALLOWED = {
    "render": "matplotlib lives here",
    "gallery": "runs user gallery scripts, which draw with matplotlib, in a child process",
}


def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, whether it is a package's ``__init__``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = modules()


def imports(name: str) -> set[str]:
    """The modules ``name`` imports, anywhere in its file (``from pkg import sub`` counts as ``pkg.sub``)."""
    path, is_package = MODULES[name]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found


GRAPH = {name: imports(name) for name in MODULES}


def room(module: str) -> str:
    """The room a module lives in: ``optiviz.engine.api`` -> ``engine``; the package itself -> ``optiviz``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "optiviz"


def layers() -> list[set[str]]:
    """ARCHITECTURE.md's layers, top first: each a set of rooms."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    block = re.search(r"<!-- layers -->(.*?)<!-- /layers -->", text, re.S)
    assert block, "ARCHITECTURE.md lost its <!-- layers --> block"
    rows = re.findall(r"^\s*\d+\.\s+(.+?)\s*(?:#.*)?$", block.group(1), re.M)
    return [set(row.split()) for row in rows]


LAYERS = layers()
LEVEL = {r: i for i, rooms in enumerate(LAYERS) for r in rooms}


def test_every_room_has_a_layer():
    missing = sorted({room(m) for m in MODULES} - set(LEVEL))
    assert not missing, f"rooms missing from ARCHITECTURE.md's layers: {missing} (place each one)"


def test_arrows_only_point_down_the_layers():
    upward = sorted(
        f"{a} -> {b} ({room(a)} is layer {LEVEL[room(a)] + 1}, {room(b)} is layer {LEVEL[room(b)] + 1})"
        for a, targets in GRAPH.items() for b in targets
        if b in MODULES and room(a) != room(b) and room(a) in LEVEL and room(b) in LEVEL
        and LEVEL[room(b)] < LEVEL[room(a)])
    assert not upward, "imports pointing up the layers:\n" + "\n".join(upward)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in MODULES:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in GRAPH[v]:
                found.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_not_even_inside_functions():
    assert _cycles() == []


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(monkeypatch):
    """The checks above can fail: a function-level import that closes a loop is reported."""
    monkeypatch.setitem(GRAPH, "optiviz.errors", GRAPH["optiviz.errors"] | {"optiviz.registry"})
    assert any({"optiviz.errors", "optiviz.registry"} <= set(c) for c in _cycles())


def test_the_parser_sees_imports_inside_functions(tmp_path, monkeypatch):
    source = "def f():\n    from .engine import api\n    import matplotlib.pyplot as plt\n"
    fake = tmp_path / "fake.py"
    fake.write_text(source)
    monkeypatch.setitem(MODULES, "optiviz.fake", (fake, False))
    assert {"optiviz.engine.api", "matplotlib.pyplot"} <= imports("optiviz.fake")


def test_matplotlib_is_imported_only_by_the_picture_rooms():
    outside = sorted(m for m, targets in GRAPH.items()
                     if room(m) not in MATPLOTLIB_ALLOWED and any(t.split(".")[0] == "matplotlib" for t in targets))
    assert not outside, f"matplotlib imported outside render/: {outside}"


@pytest.mark.parametrize("module", ["optiviz", "optiviz.engine", "optiviz.nets", "optiviz.optimizers"])
def test_the_numerical_core_never_reaches_matplotlib(module):
    """Following every import (function-level too) from the core never arrives at matplotlib or render/."""
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m in seen or m not in MODULES:
            continue
        seen.add(m)
        for t in GRAPH[m]:
            assert t.split(".")[0] != "matplotlib", f"{m} imports {t}"
            assert room(t) != "render" or room(m) == "render", f"{m} imports {t}"
            todo.append(t)


def test_surfaces_use_only_the_public_api():
    """The built-in library (surfaces/) is written as a user would write it: ``import optiviz`` only."""
    for path in sorted((ROOT / "surfaces").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                assert not name.startswith("optiviz."), \
                    f"{path.name} imports {name}: use the public API (import optiviz as ov)"
