"""Rendering: matplotlib lives here and nowhere else in optiviz.

    anim = ov.animate(runs)              # a matplotlib Animation (in Jupyter: an HTML player and a PNG still)
    ov.save(anim, "race.gif")            # .gif .mp4 .html .png (.svg .pdf): the suffix picks the writer
    fig = ov.plot(runs)                  # the same scene as one still
    plt.savefig("race.png")              # figures are pyplot-managed: plt.show(), plt.savefig(), plt.close()

A scene is drawn once (contours, colorbar, labels, titles); each frame moves only the paths, markers and
counters over that cached background, and the writers encode those frames (see ``frames`` and ``writers``).

Figures of their own (``optiviz.render.nets``) are built from the same parts, all importable from here:
``figure`` (a new pyplot-managed figure; ``unmanaged()`` keeps new figures outside pyplot), ``parse_size``, ``frame_indices``, the moving
primitives (``Trace``, ``Label``, ...), ``Scene`` and ``Animation``; ``ov.save`` then writes them in every format.
"""
from __future__ import annotations

from . import style, writers
from .api import Animation, animate, check_output, close, check_text, plot, save, writer_for
from .primitives import Arrow, Bar, Field, Label, Mark, Overlay, Primitive, Trace
from .scene import Scene, check_target, drawn_into, figure, frame_indices, parse_size, unmanaged

__all__ = ["Animation", "animate", "plot", "save", "close", "check_output", "check_text", "writer_for", "writers", "style",
           "Scene", "figure", "unmanaged", "check_target", "drawn_into", "frame_indices", "parse_size",
           "Primitive", "Trace", "Label", "Arrow", "Bar", "Mark", "Field", "Overlay"]
