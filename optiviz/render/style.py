"""Colours and type: one place decides how every scene looks, so panels, loss curves and files agree.

Path colours come from the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies) and
are tied to the optimizer's name where we know it, so "adam" is the same blue in every picture a course shows.
The contour background is a pale neutral ramp, dark at low loss, so coloured paths stay the loudest thing.
"""
from __future__ import annotations

from typing import Iterable

# Okabe & Ito (2008), "Color Universal Design"; yellow is left out: it vanishes on a pale background.
BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY, BLACK = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
CYCLE = (VERMILLION, ORANGE, GREEN, PURPLE, BLUE, SKY, BLACK, "#8C564B", "#7F7F7F", "#17BECF")

#: a fixed colour per well-known optimizer (the default race: gd, adagrad, rmsprop, momentum, adam)
BY_NAME = {"gd": VERMILLION, "sgd": VERMILLION, "adagrad": ORANGE, "rmsprop": GREEN, "momentum": PURPLE,
           "nesterov": PURPLE, "adam": BLUE, "adamw": SKY, "nadam": SKY}

TEXT = "#222222"
MUTED = "#555555"
DIVERGED = "#C00000"
GRAD_ARROW = "#111111"
MINIMUM = "#FFD400"
START = "#FFFFFF"

FONT = {"title": 9.0, "caption": 8.0, "label": 8.5, "tick": 7.5, "legend": 7.5, "counter": 10.0, "note": 7.5}


def assign_colors(names: Iterable[str]) -> list[str]:
    """One colour per run: the optimizer's own colour the first time its name appears, then unused cycle colours."""
    out: list[str] = []
    used: set[str] = set()
    names = list(names)
    for name in names:
        c = BY_NAME.get(name)
        if c is None or c in used:
            c = next((x for x in CYCLE if x not in used), CYCLE[len(out) % len(CYCLE)])
        used.add(c)
        out.append(c)
    return out


def background_cmap():
    """A pale grey ramp for filled contours: near-white at high loss, mid-grey at the minimum."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("optiviz_bg", ["#7D8A96", "#AEB8C1", "#D3D9DE", "#EEF0F2", "#FBFBFC"], N=256)


def surface_cmap():
    """The 3D surface: a light blue-grey ramp, so the path drawn on it keeps its colour."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("optiviz_3d", ["#6F8596", "#A9B7C2", "#D9DFE4", "#F4F5F6"], N=256)


RC = {
    "font.size": 8.0,
    "axes.titlesize": FONT["title"],
    "axes.labelsize": FONT["label"],
    "axes.edgecolor": "#666666",
    "axes.linewidth": 0.7,
    "axes.labelcolor": TEXT,
    "xtick.labelsize": FONT["tick"],
    "ytick.labelsize": FONT["tick"],
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "legend.fontsize": FONT["legend"],
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "text.color": TEXT,
    "svg.hashsalt": "optiviz",  # deterministic SVG ids
}
