"""The gallery's example order for sphinx-gallery, from the list in ``gallery/README.txt``.

sphinx-gallery takes ``within_subsection_order`` as a dotted name, which keeps the configuration picklable.
The order has one owner, ``optiviz.gallery.read_header``, shared with ``optiviz gallery``.
"""
from __future__ import annotations

from pathlib import Path

GALLERY = Path(__file__).resolve().parents[2] / "gallery"


class ExplicitOrder:
    """A sort key over example file names: those the README lists, in its order, then the rest by name."""

    def __init__(self, src_dir: str) -> None:
        from optiviz.gallery import read_header

        self.order = {stem + ".py": i for i, stem in enumerate(read_header(GALLERY).order)}

    def __call__(self, filename: str) -> tuple[int, str]:
        return (self.order.get(filename, len(self.order)), filename)
