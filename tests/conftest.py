"""Shared test set-up: a headless matplotlib backend, JAX on the CPU, hypothesis profiles.

Hypothesis loads its built-in ``ci`` profile by itself when the ``CI`` environment variable is set (as in
``.ci/run``); locally the ``dev`` profile keeps examples few so the suite stays quick.
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

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


@pytest.fixture(autouse=True)
def _close_figures():
    """optiviz's figures are pyplot-managed: close what a test left open, so figures do not pile up."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
