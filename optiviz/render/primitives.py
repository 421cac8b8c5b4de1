"""The moving parts of a scene, each a few artists plus its data for every frame.

A scene is a static figure (contours, colorbar, labels, titles: drawn once) and a list of these primitives.
Each primitive knows three things: which artists it moves (``artists``), how to put them at frame ``k``
(``update``), and how to describe all its frames in canvas pixels for the HTML player (``to_json``), so the
Agg frames, the GIF/MP4 files and the HTML page are drawn from the same numbers.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
from matplotlib.colors import to_hex



class PageContext:
    """How a primitive's coordinates become canvas pixels (origin top-left, y down) for the HTML page.

    ``frames`` is the ``FrameRenderer`` whose frozen layout the page copies; primitives that send pictures
    rather than numbers (``Overlay``) have their artists drawn by it (``sprite``).
    """

    def __init__(self, px: Callable[[np.ndarray], np.ndarray], height: float, scale: float, clip: Any,
                 frames: Any = None) -> None:
        self.px = px  # data coordinates (N, 2|3) -> canvas pixels (N, 2)
        self.height = height
        self.scale = scale  # pixels per point
        self.clip = clip  # [x, y, w, h] canvas pixels of the axes, or None
        self.max_points: int | None = None  # most points one trace may put in the page
        self.frames = frames

    def disp(self, xy: np.ndarray) -> np.ndarray:
        """Display coordinates (pixels, y up) -> canvas pixels (y down)."""
        xy = np.array(xy, dtype=float, ndmin=2)
        xy[:, 1] = self.height - xy[:, 1]
        return xy

    def sprite(self, artists: list):
        """``(x, y, rgba)``: the artists alone on a transparent canvas, cropped to their pixels (None if none)."""
        if self.frames is None:
            from ..errors import RenderError

            raise RenderError("this page has no renderer to draw pictures with")
        return self.frames.sprite(artists)


def png_base64(pixels: np.ndarray) -> str:
    """A PNG as base64 text, from uint8 ``pixels``: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA (lossless:
    reducing a sprite's colours made its opaque points slightly transparent)."""
    import base64
    import io

    from PIL import Image

    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    mode = "L" if pixels.ndim == 2 else ("RGBA" if pixels.shape[-1] == 4 else "RGB")
    buf = io.BytesIO()
    Image.fromarray(pixels, mode).save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _r(a: np.ndarray, nd: int = 1) -> list:
    """Round for the page: a tenth of a pixel is below what a canvas shows; NaN becomes None (JSON null)."""
    a = np.round(np.asarray(a, dtype=float), nd)
    return [None if not np.isfinite(v) else (int(v) if v == int(v) else float(v)) for v in a.ravel()]


def _color(c: Any) -> str:
    return to_hex(c, keep_alpha=False)


def _rgba(c: Any) -> str:
    """A colour with its alpha, as CSS."""
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(c)
    return f"rgba({round(r * 255)},{round(g * 255)},{round(b * 255)},{round(a, 3):g})"


def _dashes(line) -> list[float]:
    """The on/off lengths (points) a line is drawn with; [] for a solid line."""
    pattern = getattr(line, "_dash_pattern", None)  # what Agg uses: the style's pattern scaled by the width
    if pattern is not None:
        return [float(v) for v in (pattern[1] or ())]
    import matplotlib as mpl

    key = {"--": "dashed", "-.": "dashdot", ":": "dotted"}.get(line.get_linestyle())
    if key is None:
        return []
    width = line.get_linewidth() if mpl.rcParams["lines.scale_dashes"] else 1.0
    return [float(v) * width for v in mpl.rcParams[f"lines.{key}_pattern"]]


class Primitive:
    artists: list

    def update(self, k: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def to_json(self, ctx: PageContext) -> dict:  # pragma: no cover
        raise NotImplementedError


class Trace(Primitive):
    """A polyline growing with the frames: at frame k it shows the first ``counts[k]`` points, with an optional
    head marker on the last one. ``xy`` holds every point once (2 or 3 columns, the latter for 3D axes)."""

    def __init__(self, line, xy: np.ndarray, counts: np.ndarray, head=None, clip_ax=None) -> None:
        self.line, self.head, self.xy, self.counts = line, head, np.asarray(xy, float), np.asarray(counts, int)
        self.clip_ax = clip_ax
        self.artists = [a for a in (line, head) if a is not None]
        self.is3d = self.xy.shape[1] == 3

    def _set(self, artist, pts: np.ndarray) -> None:
        if self.is3d:
            artist.set_data_3d(pts[:, 0], pts[:, 1], pts[:, 2])
        else:
            artist.set_data(pts[:, 0], pts[:, 1])

    def update(self, k: int) -> None:
        n = int(self.counts[k])
        self._set(self.line, self.xy[:n])
        if self.head is not None:
            self._set(self.head, self.xy[n - 1:n] if n > 0 else self.xy[:0])

    def to_json(self, ctx: PageContext) -> dict:
        scale = ctx.scale
        xy, counts = self.xy, self.counts
        limit = getattr(ctx, "max_points", None)
        if limit and len(xy) > limit:
            # a very long run: keep evenly spaced points plus every frame's last point, so each frame still ends
            # exactly at its head; the page stays small whatever the step count
            keep = np.union1d(np.round(np.linspace(0, len(xy) - 1, limit)).astype(int), counts[counts > 0] - 1)
            xy = xy[keep]
            counts = np.searchsorted(keep, counts - 1) + (counts > 0)
        out = {"type": "trace", "xy": _r(ctx.px(xy)), "counts": [int(c) for c in counts],
               "color": _color(self.line.get_color()), "lw": round(self.line.get_linewidth() * scale, 2),
               "alpha": 1.0 if self.line.get_alpha() is None else float(self.line.get_alpha()), "clip": ctx.clip}
        dashes = _dashes(self.line)
        if dashes:
            out["dash"] = [round(d * scale, 2) for d in dashes]
        if self.head is not None:
            out["head"] = {"r": round(self.head.get_markersize() * scale / 2, 2),
                           "fc": _color(self.head.get_markerfacecolor()), "ec": _color(self.head.get_markeredgecolor()),
                           "ew": round(self.head.get_markeredgewidth() * scale, 2)}
        return out


class Arrow(Primitive):
    """An arrow whose tail and tip move: ``seg`` is (frames, 4) = x0, y0, x1, y1 in data coordinates; a row with
    NaN hides the arrow on that frame."""

    def __init__(self, patch, seg: np.ndarray) -> None:
        self.patch, self.seg = patch, np.asarray(seg, float)
        self.artists = [patch]

    def update(self, k: int) -> None:
        x0, y0, x1, y1 = self.seg[k]
        ok = bool(np.all(np.isfinite(self.seg[k])))
        self.patch.set_visible(ok)
        if ok:
            self.patch.set_positions((x0, y0), (x1, y1))

    def to_json(self, ctx: PageContext) -> dict:
        a = ctx.px(self.seg[:, :2])
        b = ctx.px(self.seg[:, 2:])
        dashed = self.patch.get_linestyle() not in ("-", "solid")
        return {"type": "arrow", "seg": _r(np.concatenate([a, b], axis=1)), "color": _color(self.patch.get_edgecolor()),
                "lw": round(self.patch.get_linewidth() * ctx.scale, 2), "head": round(4.5 * ctx.scale, 2),
                "dash": dashed, "clip": ctx.clip}


class Bar(Primitive):
    """A horizontal bar whose length changes: a Rectangle anchored at its left edge, ``widths`` per frame in the
    rectangle's own coordinates (NaN hides it)."""

    def __init__(self, rect, widths: np.ndarray) -> None:
        self.rect, self.widths = rect, np.asarray(widths, float)
        self.artists = [rect]

    def update(self, k: int) -> None:
        w = self.widths[k]
        self.rect.set_visible(bool(np.isfinite(w)))
        if np.isfinite(w):
            self.rect.set_width(w)

    def to_json(self, ctx: PageContext) -> dict:
        x, y = self.rect.get_xy()
        h = self.rect.get_height()
        tr = self.rect.get_data_transform()  # (get_transform also applies the unit-square patch transform)
        top_left = ctx.disp(tr.transform([[x, y + h]]))[0]
        bottom = ctx.disp(tr.transform([[x, y]]))[0]
        ends = tr.transform(np.column_stack([x + np.nan_to_num(self.widths, nan=0.0), np.full(len(self.widths), y)]))
        return {"type": "bar", "x0": _r(top_left[0])[0], "y0": _r(top_left[1])[0], "h": _r(bottom[1] - top_left[1])[0],
                "x1": _r(np.where(np.isfinite(self.widths), ends[:, 0], np.nan)),
                "color": _color(self.rect.get_facecolor())}


class Label(Primitive):
    """A text whose string changes with the frames (the step counter, "diverged at step k", a value)."""

    def __init__(self, text, strings: Sequence[str]) -> None:
        self.text, self.strings = text, list(strings)
        self.artists = [text]

    def update(self, k: int) -> None:
        self.text.set_text(self.strings[k])

    def to_json(self, ctx: PageContext) -> dict:
        t = self.text
        scale = ctx.scale
        x, y = ctx.disp(t.get_transform().transform(t.get_position()))[0]
        # repeated strings are stored once: the page gets a table of distinct strings and an index per frame
        index: dict[str, int] = {}
        ids = [index.setdefault(s, len(index)) for s in self.strings]
        table = sorted(index, key=index.get)
        bbox = t.get_bbox_patch()
        out = {"type": "label", "x": _r(x)[0], "y": _r(y)[0], "table": table, "ids": ids,
               "size": round(t.get_fontsize() * scale, 2), "color": _color(t.get_color()),
               "weight": str(t.get_fontweight()), "ha": t.get_horizontalalignment(),
               "va": t.get_verticalalignment(), "mono": "monospace" in t.get_fontfamily(), "box": None,
               "boxedge": None}
        if bbox is not None:  # the box as drawn: fill and edge with their alpha, padding, rounded or not
            style = bbox.get_boxstyle()
            edge = bbox.get_edgecolor()
            out.update(box=_rgba(bbox.get_facecolor()),
                       boxedge=_rgba(edge) if edge[3] > 0 and bbox.get_linewidth() > 0 else None,
                       boxlw=round(bbox.get_linewidth() * scale, 2),
                       pad=round(getattr(style, "pad", 0.3) * t.get_fontsize() * scale, 2),
                       round="Round" in type(style).__name__)
        return out


class Mark(Primitive):
    """A fixed marker that appears on some frames (the cross where a path diverged)."""

    def __init__(self, line, xy: np.ndarray, shown: np.ndarray) -> None:
        self.line, self.xy, self.shown = line, np.asarray(xy, float).reshape(1, -1), np.asarray(shown, bool)
        self.artists = [line]

    def update(self, k: int) -> None:
        self.line.set_visible(bool(self.shown[k]))

    def to_json(self, ctx: PageContext) -> dict:
        return {"type": "mark", "xy": _r(ctx.px(self.xy)), "shown": [int(s) for s in self.shown],
                "r": round(self.line.get_markersize() * ctx.scale / 2, 2), "color": _color(self.line.get_color()),
                "lw": round(self.line.get_markeredgewidth() * ctx.scale, 2)}


class Field(Primitive):
    """An image whose pixels change with the frames: ``frames`` (F, h, w) values drawn by ``image`` (an
    ``AxesImage``: its colormap, norm, alpha, extent, origin and interpolation).

    For the page, each value is quantized to one of ``levels`` steps of the image's norm (at most half a step
    off), all frames are tiled into ONE grey PNG of those level numbers, and the page does what Agg does: it
    interpolates the values (bilinear, unless the image asks for "nearest") to every canvas pixel and only then
    maps them through the colormap (``levels`` samples of it, interpolated linearly). A decision field of 80 x 80
    over 60 frames is a few tens of kilobytes, not a picture per frame.
    """

    levels = 32

    def __init__(self, image, frames: np.ndarray) -> None:
        self.image, self.frames = image, np.asarray(frames, float)
        if self.frames.ndim != 3:
            from ..errors import InvalidValueError

            raise InvalidValueError(f"a field needs (frames, rows, columns) values, got shape {self.frames.shape}")
        self.artists = [image]

    def update(self, k: int) -> None:
        self.image.set_data(self.frames[k])

    def quantized(self) -> tuple[np.ndarray, np.ndarray]:
        """(F, h, w) level numbers 0 .. levels - 1 (``levels`` itself = no value: transparent), and the
        (levels + 1, 4) RGBA colours of those levels (the last: the colormap's "bad" colour)."""
        im, L = self.image, self.levels
        v = np.ma.filled(im.norm(np.ma.masked_invalid(self.frames)), np.nan)
        bad = ~np.isfinite(v)
        idx = np.rint(np.clip(np.where(bad, 0.0, v), 0.0, 1.0) * (L - 1)).astype(np.uint8)
        idx[bad] = L
        rgba = np.vstack([im.cmap(np.linspace(0.0, 1.0, L)), [im.cmap.get_bad()]])
        alpha = im.get_alpha()
        if alpha is not None and np.ndim(alpha) == 0:
            rgba[:, 3] *= float(alpha)
        return idx, np.rint(rgba * 255).astype(np.uint8)

    def to_json(self, ctx: PageContext) -> dict:
        idx, palette = self.quantized()
        F, h, w = idx.shape
        left, right, bottom, top = self.image.get_extent()
        row0, row_last = (bottom, top) if self.image.origin == "lower" else (top, bottom)
        (xa, ya), (xb, yb) = ctx.px(np.array([[left, row0], [right, row_last]], float))
        if xb < xa:  # the page fills columns left to right and rows top to bottom
            idx, xa, xb = idx[:, :, ::-1], xb, xa
        if ya > yb:
            idx, ya, yb = idx[:, ::-1, :], yb, ya
        cols = math.ceil(math.sqrt(F))  # tiles in a near-square sheet: no side beyond what browsers decode
        rows = math.ceil(F / cols)
        sheet = np.zeros((rows * h, cols * w), np.uint8)
        for k in range(F):
            r, c = divmod(k, cols)
            sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = idx[k]
        # grey = level x step: an opaque grey PNG decodes to the same bytes in every browser (no colour
        # management, no premultiplied alpha), and the page reads the level back as round(grey / step)
        step = 255 // self.levels
        return {"type": "field", "img": png_base64(sheet * np.uint8(step)), "step": step, "levels": self.levels,
                "pal": [int(v) for v in palette.ravel()], "w": int(w), "h": int(h), "cols": int(cols),
                "dst": _r([xa, ya, xb - xa, yb - ya], 2),
                "smooth": self.image.get_interpolation() not in ("nearest", "none"), "clip": ctx.clip}


class Overlay(Primitive):
    """Artists that do not change but must be drawn over a moving one on every frame (the data points over a
    ``Field``). The page gets them as one transparent picture, drawn by Agg with the frozen layout."""

    def __init__(self, artists: list) -> None:
        self.artists = list(artists)

    def update(self, k: int) -> None:
        del k

    def to_json(self, ctx: PageContext) -> dict:
        got = ctx.sprite(self.artists)
        if got is None:
            return {"type": "sprite", "img": None}
        x, y, rgba = got
        return {"type": "sprite", "img": png_base64(rgba), "x": int(x), "y": int(y)}
