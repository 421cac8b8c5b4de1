"""A docs build whose gallery example ran but left nothing to capture fails (a warning, and the build runs ``-W``).

sphinx-gallery captures only figures open in pyplot (and animations bound to module-level names, with
``matplotlib_animations``); an example that saved its picture to a file instead, or drew outside pyplot, would
otherwise show as code without a picture.
"""
from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def check(app, exc) -> None:
    conf = app.config.sphinx_gallery_conf
    if exc is not None or not conf.get("plot_gallery"):
        return
    sources = conf["examples_dirs"] if isinstance(conf["examples_dirs"], list) else [conf["examples_dirs"]]
    targets = conf["gallery_dirs"] if isinstance(conf["gallery_dirs"], list) else [conf["gallery_dirs"]]
    for src, target in zip(sources, targets):
        images = Path(app.srcdir, target, "images")
        for script in sorted(Path(app.srcdir, src).glob("*.py")):
            ran = re.search(conf["filename_pattern"], str(script)) and not re.search(conf["ignore_pattern"],
                                                                                    str(script))
            if ran and not any(images.glob(f"sphx_glr_{script.stem}_001.*")):
                logger.warning("gallery: %s ran but left no figure open in pyplot, so no picture was captured",
                               script.name)


def setup(app):
    app.connect("build-finished", check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
