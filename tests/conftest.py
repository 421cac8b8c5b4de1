"""Shared test set-up: a headless matplotlib backend, JAX on the CPU, hypothesis profiles.

Hypothesis loads its built-in ``ci`` profile by itself when the ``CI`` environment variable is set (as in
``.ci/run``); locally the ``dev`` profile keeps examples few so the suite stays quick.

``python3 dev.py test`` runs the suite in worker processes (pytest-xdist, ``--dist loadgroup``). The persistent
compilation cache directory is made once, by the process pytest starts in, and handed to the workers (and to the
subprocesses tests start) through the environment; JAX locks it for concurrent readers and writers. Tests that
share a session or module result run in one worker (``_work_unit``), so each result is computed once.
"""
from __future__ import annotations

import ast
import atexit
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# the persistent compilation cache of this session (shared with the subprocesses tests start), not the user's
if not os.environ.get("OPTIVIZ_CACHE_DIR"):
    os.environ["OPTIVIZ_CACHE_DIR"] = tempfile.mkdtemp(prefix="optiviz-test-cache-")
    atexit.register(shutil.rmtree, os.environ["OPTIVIZ_CACHE_DIR"], ignore_errors=True)

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("dev", max_examples=25, deadline=None)
if not os.environ.get("CI"):
    settings.load_profile("dev")


@pytest.fixture(scope="session")
def quick_lesson():
    """``ov.lessons.check(name, quick=True)``, computed once per session: every test that reads a lesson's quick
    verdict (the lessons' own tests, the gallery's claims) shares one result instead of re-running its sweep."""
    import optiviz as ov

    results = {}

    def get(name: str):
        if name not in results:
            results[name] = ov.lessons.check(name, quick=True)
        return results[name]

    return get


_SCOPES: dict[str, str] = {}


def _work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to when the suite runs in workers (``--dist loadgroup``).

    The tests reading the lessons' session results (``quick_lesson``) are one unit, and so is each module that
    defines a module-scoped fixture, so that no worker repeats what another computed (a lesson's sweep, a docs
    build, a trained network); any other test is a unit of its own and goes to whichever worker is free. Told from
    the test file's source, because the process that hands out the work does not collect the tests itself."""
    if "@" in nodeid:  # an explicit xdist_group mark
        return nodeid.rsplit("@", 1)[1]
    path = nodeid.split("::", 1)[0]
    if path not in _SCOPES:
        try:
            source = (Path(__file__).parent.parent / path).read_text()
        except OSError:
            source = ""
        _SCOPES[path] = ("lessons" if "quick_lesson" in source else
                         path if re.search(r"@pytest\.fixture\(scope=[\"']module", source) else "")
    return _SCOPES[path] or nodeid


_SLOW: dict[str, tuple[bool, set[str]]] = {}


def _marked_slow(nodeid: str) -> bool:
    """Whether the test carries ``pytest.mark.slow`` (its function's decorators or the module's ``pytestmark``),
    read from the file's source like ``_work_unit``."""
    path, _, name = nodeid.partition("::")
    if path not in _SLOW:
        try:
            tree = ast.parse((Path(__file__).parent.parent / path).read_text())
        except (OSError, SyntaxError):
            tree = ast.Module(body=[], type_ignores=[])
        module = any(isinstance(node, ast.Assign) and "pytestmark" in ast.unparse(node.targets[0]) and
                     "mark.slow" in ast.unparse(node.value) for node in tree.body)
        tests = {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and
                 any("mark.slow" in ast.unparse(d) for d in node.decorator_list)}
        _SLOW[path] = (module, tests)
    module, tests = _SLOW[path]
    return module or name.split("[", 1)[0] in tests


_DURATIONS = "optiviz/test-durations"  # pytest's cache: each test's seconds in the last run that ran it
_CHECKED_IN = "durations.json"  # the same, checked in: what a clean clone orders its work by
_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Each test's time (setup + call + teardown), as the process that hands out the work receives it."""
    _seconds[report.nodeid] = _seconds.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    config = session.config
    if hasattr(config, "workerinput") or not _seconds or getattr(config, "cache", None) is None:
        return
    config.cache.set(_DURATIONS, {**config.cache.get(_DURATIONS, {}), **{k: round(v, 3) for k, v in _seconds.items()}})


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` with the units of ``_work_unit``, the longest first.

    A unit's length is the sum of its tests' times in the last run (pytest's cache), so the last units handed out
    are short and both workers finish together. A clean clone (CI) has no last run: it reads the times checked in
    beside this file (``durations.json``, written by ``python3 dev.py durations`` from a run's cache; stale times
    still order the units well). A test with no time anywhere counts 5 s when marked slow, else 0.25 s."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    try:
        seconds = json.loads((Path(__file__).parent / _CHECKED_IN).read_text())
    except (OSError, ValueError):
        seconds = {}
    if not isinstance(seconds, dict) or not all(isinstance(v, (int, float)) for v in seconds.values()):
        seconds = {}  # not a table of times: order as if there were none
    if getattr(config, "cache", None) is not None:
        seconds.update(config.cache.get(_DURATIONS, {}))

    class SharedWork(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the queue is complete before the first unit is handed out
                self.ordered = True
                units = sorted(self.workqueue.items(), key=lambda unit: -sum(
                    seconds.get(nodeid, 5.0 if _marked_slow(nodeid) else 0.25) for nodeid in unit[1]))
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return SharedWork(config, log)


@pytest.fixture(autouse=True)
def _close_figures():
    """optiviz's figures are pyplot-managed: close what a test left open, so figures do not pile up."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
