"""The API reference's docstrings are valid reStructuredText: every object docs/api.rst documents (autofunction,
autoclass, autoexception, automodule with its members) parses, after napoleon's rewriting as Sphinx does it,
without an error or a warning. A bare ``|x|`` is the usual culprit: reST reads it as an undefined substitution.
Milliseconds per docstring; the full site (``python3 dev.py docs``) is not built here."""
from __future__ import annotations

import inspect
import io
import re
from importlib import import_module
from pathlib import Path
from typing import Any, Iterator

import pytest

docutils_core = pytest.importorskip("docutils.core", reason="the docs extra (python3 dev.py test installs it)")
napoleon = pytest.importorskip("sphinx.ext.napoleon", reason="the docs extra (python3 dev.py test installs it)")

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
#: roles and directives that only Sphinx knows (plain docutils reports them; they are not mistakes)
SPHINX_ONLY = ("Unknown interpreted text role", "Unknown directive type", "No role entry", "No directive entry")


def _resolve(dotted: str, module: bool) -> Any:
    """``optiviz.optimizers`` (a module) or ``optiviz.run`` (an attribute, as autodoc reads it: ``optiviz.surface``
    is the decorator, not the module of that name): the object, trying the longest module prefix first."""
    parts = dotted.split(".")
    for i in range(len(parts) if module else len(parts) - 1, 0, -1):
        try:
            obj = import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def _documented() -> Iterator[tuple[str, Any]]:
    """Every (name, object) the API reference renders: its directives, and the public members of a module or class
    it lists with ``:members:``."""
    lines = API.read_text().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\.\. auto(function|class|exception|module):: (\S+)", line)
        if not m:
            continue
        kind, name = m.groups()
        options = []
        for nxt in lines[i + 1:]:
            if not nxt.startswith("   :"):
                break
            options.append(nxt.strip())
        obj = _resolve(name, kind == "module")
        yield name, obj
        members = next((o.split(":", 2)[2].strip() for o in options if o.startswith(":members:")), None)
        if members is None:
            continue
        if members:  # ":members: grad"
            names = [n.strip() for n in members.split(",")]
        elif kind == "module":
            names = list(getattr(obj, "__all__", [n for n in vars(obj) if not n.startswith("_")]))
        else:
            names = [n for n in vars(obj) if not n.startswith("_")]
        for n in names:
            member = getattr(obj, n, None)
            if member is not None and not inspect.ismodule(member):
                yield f"{name}.{n}", member
                if inspect.isclass(member):
                    for k, v in vars(member).items():
                        if not k.startswith("_"):
                            yield f"{name}.{n}.{k}", getattr(v, "fget", v)


def _problems(doc: str) -> list[str]:
    config = napoleon.Config(napoleon_google_docstring=True, napoleon_numpy_docstring=True)
    text = str(napoleon.NumpyDocstring(str(napoleon.GoogleDocstring(doc, config)), config))
    stream = io.StringIO()
    docutils_core.publish_doctree(text, settings_overrides={"warning_stream": stream, "report_level": 2,
                                                            "halt_level": 5})
    return [ln for ln in stream.getvalue().splitlines()
            if re.search(r"\((WARNING|ERROR|SEVERE)/\d\)", ln) and not any(s in ln for s in SPHINX_ONLY)]


def test_every_docstring_of_the_api_reference_is_valid_rest():
    seen: set[int] = set()
    bad = {}
    for name, obj in _documented():
        doc = inspect.getdoc(obj)
        if not doc or id(obj) in seen:
            continue
        seen.add(id(obj))
        found = _problems(doc)
        if found:
            bad[name] = found[:2]
    assert len(seen) > 50, f"only {len(seen)} docstrings found: the api.rst reader lost its way"
    assert not bad, "\n".join(f"{k}: {v}" for k, v in bad.items())


def test_a_bare_absolute_value_is_caught():
    assert any("substitution" in p for p in _problems("The step is |g| + eps."))
    assert not _problems("The step is ``|g| + eps``.")
