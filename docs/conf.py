"""Sphinx configuration for the optiviz site: getting started, API and CLI reference, and the gallery.

Build it with ``python3 dev.py docs`` (installs the ``[docs]`` extra, then runs ``sphinx-build -W``). The gallery
is made by sphinx-gallery from ``gallery/`` as it stands: each ``plot_*.py`` runs once, and the figures and
animations it leaves open in pyplot are captured.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")
# sphinx-gallery runs each example in gallery/, so the helper module one imports would leave a __pycache__ there
sys.dont_write_bytecode = True

project = "optiviz"
author = "The optiviz developers"
copyright = "2026, The optiviz developers"

try:
    from importlib.metadata import version as _version

    release = _version("optiviz")
except Exception:  # a docs build from a tree that was never installed
    release = "0.1.0"
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "cli_reference",
    "optimizer_reference",
    "gallery_images",
]

root_doc = "index"
exclude_patterns = ["_build", "images/README*", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
templates_path: list[str] = []
html_theme = "alabaster"
html_static_path: list[str] = []
html_title = "optiviz"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = True


sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "gallery"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # my_surfaces.py is a module the custom-surface example imports, not an example.
    "ignore_pattern": r"(__init__|my_surfaces)\.py",
    "within_subsection_order": "gallery_order.ExplicitOrder",
    "matplotlib_animations": True,
    "image_scrapers": ("matplotlib",),
    "download_all_examples": False,
    # the same seeds as `optiviz gallery` before each example, after sphinx-gallery's own matplotlib reset
    "reset_modules": ("matplotlib", "optiviz.gallery.reset_example"),
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}
