"""The public API is typed for a user's type checker (PEP 561: ``py.typed``, and ``__init__.pyi`` for the names
``optiviz/__init__.py`` loads lazily), and mypy passes over the public modules (``[tool.mypy]`` in pyproject.toml)
and over a user's script, which sees the real types of ``ov.run``, ``ov.surface``, ``ov.animate``, ... One mypy
run with its cache in a temporary folder (about 10-25 s, most of it reading numpy's, jax's and matplotlib's types).
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib import import_module
from pathlib import Path

import pytest

import optiviz as ov

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / "optiviz" / "__init__.pyi"

# A user's script: each reveal_type names the type the checker must see; the last line is a mistake it must catch.
USER = '''\
import matplotlib.pyplot as plt
import numpy as np
import pytest

import optiviz as ov

runs = ov.run("ravine", ["gd", "adam"], steps=10, tol=1e-3)
reveal_type(runs)  # Trajectories
reveal_type(runs["adam"])  # Trajectory
reveal_type(runs["adam"].path)  # ndarray
reveal_type(runs["adam"].final_loss)  # float | ndarray
reveal_type(ov.tune("ravine", ["adam"], steps=10))  # dict[str, TuneResult]
reveal_type(ov.optimizer("adam", lr=0.05))  # Optimizer
reveal_type(ov.load_surface("ravine"))  # Surface


@ov.surface(domain=((-3, 3), (-2, 2)), start=(-2.5, 1.5), minima=[(0.0, 0.0)])
def bowl(x, y):
    return x**2 + 10 * y**2


reveal_type(bowl)  # Surface
reveal_type(ov.animate(runs, bowl))  # Animation
reveal_type(ov.plot(runs, bowl))  # Figure: a new one, the grid and its loss panel
reveal_type(ov.plot(runs, bowl, layout="overlay", loss_panel=False))  # Axes: the lone map
page = plt.figure()
reveal_type(ov.plot(runs, bowl, page.add_subplot()))  # Axes: the one given
reveal_type(ov.plot(runs, bowl, fig=page.add_subfigure(page.add_gridspec(1, 2)[0])))  # SubFigure: the one given
reveal_type(ov.save)  # -> Path
reveal_type(ov.optimizers.names())  # list[str]
reveal_type(ov.activation("relu"))  # Activation
reveal_type(ov.nets.train)  # -> History | Histories
reveal_type(ov.lessons.check)  # -> LessonResult
ov.run(bowl, ["adam"], steps="ten")  # the mistake
'''

EXPECTED = [
    "optiviz.engine.results.Trajectories",
    "optiviz.engine.results.Trajectory",
    "numpy.ndarray[",
    "float | numpy.ndarray[",
    "dict[str, optiviz.engine.results.TuneResult]",
    "fallback=optiviz.transforms.Optimizer]",
    "optiviz.surface.Surface",
    "optiviz.surface.Surface",
    "optiviz.render.api.Animation",
    "matplotlib.figure.Figure",
    "matplotlib.axes._axes.Axes",
    "matplotlib.axes._axes.Axes",
    "matplotlib.figure.SubFigure",
    "-> pathlib.Path",
    "list[str]",
    "optiviz.activations.Activation",
    "-> optiviz.nets.history.History | optiviz.nets.history.Histories",
    "-> optiviz.lessons.core.LessonResult",
]


def _stub_names() -> dict[str, tuple[str, str]]:
    """name -> (module, attribute) for every name the stub imports, plus its own declarations (module '')."""
    names = {}
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            module = "optiviz" + (f".{node.module}" if node.module else "")
            for alias in node.names:
                names[alias.asname or alias.name] = (module, alias.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = ("", node.target.id)
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = ("", node.name)
    return names


def test_the_stub_types_every_public_name_as_the_object_optiviz_hands_out():
    stub = _stub_names()
    assert set(stub) == set(ov.__all__) | {"__all__"}
    for name, (module, attr) in stub.items():
        if not module:
            assert hasattr(ov, name), name
            continue
        mod = import_module(module)
        target = getattr(mod, attr) if hasattr(mod, attr) else import_module(f"{module}.{attr}")
        assert getattr(ov, name) is target, name


@pytest.mark.slow
def test_mypy_passes_on_the_public_modules_and_sees_real_types_in_a_user_script(tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text(USER)
    files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
                           *files, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = [ln for ln in done.stdout.splitlines() if "annotation-unchecked" not in ln]
    revealed = [ln.split("Revealed type is ", 1)[1] for ln in lines if "Revealed type is" in ln]
    errors = [ln for ln in lines if ": error:" in ln]
    mistake = len(USER.splitlines())
    # the package has no errors; the user's mistake (steps given as a string) is the one error
    assert errors == [f"{script}:{mistake}: error: Argument \"steps\" to \"run\" has incompatible type \"str\"; "
                      "expected \"int\"  [arg-type]"], done.stdout + done.stderr
    assert len(revealed) == len(EXPECTED), revealed
    for got, want in zip(revealed, EXPECTED):
        assert want in got, (got, want)
    assert not any(re.search(r'"Any"$', got) for got in revealed)
