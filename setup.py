"""The package description for the package index: README.md without what works only inside the repository.

Everything else comes from pyproject.toml (``readme`` is declared dynamic there). The README's pictures live in
the repository (docs/images, made by the gallery scripts) and its links point at files of the source tree; a
package page has neither and the project has no public address to point them at. So each picture becomes its
caption in italics and each relative link its text (absolute links are kept).
"""
from __future__ import annotations

import re
from pathlib import Path

from setuptools import setup

#: a Markdown image or link whose target has no scheme (``docs/images/x.gif``, ``gallery/``, ``#section``)
RELATIVE = re.compile(r"(!?)\[([^\]]*)\]\((?![a-z][a-z0-9+.-]*:)([^)\s]*)\)", re.IGNORECASE)


def package_description(readme: str) -> str:
    """``readme`` with its relative pictures replaced by their captions and its relative links by their text."""
    return RELATIVE.sub(lambda m: f"*(picture: {m.group(2)})*" if m.group(1) else m.group(2), readme)


setup(long_description=package_description((Path(__file__).parent / "README.md").read_text(encoding="utf-8")),
      long_description_content_type="text/markdown")
