"""Rendering: matplotlib lives here and nowhere else in optiviz.

    anim = ov.animate(runs)              # a matplotlib Animation (shows as an HTML player in Jupyter)
    ov.save(anim, "race.gif")            # .gif .mp4 .html .png (.svg .pdf): the suffix picks the writer
    fig = ov.plot(runs)                  # the same scene as one still

A scene is drawn once (contours, colorbar, labels, titles); each frame moves only the paths, markers and
counters over that cached background, and the writers encode those frames (see ``frames`` and ``writers``).
"""
from __future__ import annotations

from . import writers
from .api import Animation, animate, check_output, plot, save, writer_for

__all__ = ["Animation", "animate", "plot", "save", "check_output", "writer_for", "writers"]
