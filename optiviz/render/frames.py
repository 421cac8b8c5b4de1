"""Fast frames: draw the static layer once, then per frame only the moving artists, and read the Agg buffer.

matplotlib's ``Animation.save`` never blits: grabbing a frame draws the whole figure again (contours, colorbar,
tick labels, titles), which is nearly all of the cost. Here the figure is drawn once with the moving artists
hidden, that background is cached with ``copy_from_bbox``, and each frame is ``restore_region`` + ``draw_artist``
of the few moving artists + a look at ``buffer_rgba()``.

For GIF the frames are mapped to ONE fixed 256-colour palette: every colour a moving artist is drawn in is
reserved exactly, the rest is a median cut of the first and last frames, and index 255 is kept free to mean
"unchanged since the previous frame" (GIF transparency), which is what keeps the file small.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np
from matplotlib.colors import to_rgb

from .primitives import Overlay

TRANSPARENT = 255  # palette index never given to a colour: "keep the previous frame's pixel"


class FrameRenderer:
    """Iterate a scene's frames as RGBA arrays, drawing only what moves.

    Use as a context manager: on exit the figure is restored (moving artists visible at the last frame drawn,
    layout frozen), so a later ``savefig`` shows the same picture.
    """

    def __init__(self, scene, dpi: float | None = None) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.scene = scene
        self.fig = scene.fig
        self._shown_canvas = self.fig.canvas
        # frames are drawn on a plain Agg buffer: a figure of another backend (a GUI window, hi-dpi, a vector
        # backend) gets an Agg canvas for the time of the render and its own back on exit (as savefig does)
        own = type(self._shown_canvas) is FigureCanvasAgg
        self.canvas = self._shown_canvas if own else FigureCanvasAgg(self.fig)
        if not own:
            self.fig.set_canvas(self._shown_canvas)  # put back until __enter__ takes it
        if dpi is not None and dpi != self.fig.dpi:
            self.fig.set_dpi(dpi)
        self._bg = None
        self._bg_rgba: np.ndarray | None = None
        self._cache: dict = {}
        self._direct: set = set()
        self._static: list = []  # drawers of the Overlay artists: their ink boxes are measured before frame 1
        self._buf: np.ndarray | None = None  # the frame being drawn (the canvas's pixels)
        self._last: int | None = None

    # -- setup ----------------------------------------------------------------------------------------------
    def __enter__(self) -> "FrameRenderer":
        fig = self.fig
        artists = self.scene.artists
        # settle the layout with everything in place, then freeze it: every later draw uses the same positions
        self.scene.update(self.scene.n_frames - 1)
        visible = [a.get_visible() for a in artists]
        for a in artists:
            a.set_visible(False)
        if self.canvas is not self._shown_canvas:
            self.fig.set_canvas(self.canvas)
        try:
            self.canvas.draw()  # the layout engine runs inside this draw; then it is frozen
        finally:
            for a, v in zip(artists, visible):
                a.set_visible(v)
        if fig.get_layout_engine() is not None:
            fig.set_layout_engine("none")
        self._bg = self.canvas.copy_from_bbox(fig.bbox)
        self._bg_rgba = np.asarray(self.canvas.buffer_rgba()).copy()
        self._ops = self._draw_list(self.canvas.get_renderer())
        return self

    def _draw_list(self, renderer) -> list:
        """Every moving thing as (draw function of the frame index), in matplotlib's own order: axes by axes,
        by zorder within an axes (ties in the order added), figure texts last; so overlapping paths and markers
        stack exactly as in a full draw."""
        axes = list(self.fig.axes)
        ops = []
        for seq, prim in enumerate(self.scene.primitives):
            if getattr(prim, "cacheable", False):
                continue
            ax = getattr(prim, "ax", None)
            rank = axes.index(ax) if ax in axes else len(axes)
            if _TraceDrawer.handles(prim):
                d = _TraceDrawer(prim, renderer)
                self._direct.add(id(prim))
                ops.append(((rank, prim.line.get_zorder(), seq, 0), d.draw_line))
                if prim.head is not None:
                    ops.append(((rank, prim.head.get_zorder(), seq, 1), d.draw_head))
                continue
            for j, a in enumerate(prim.artists):
                if isinstance(prim, Overlay):
                    op = _StaticDrawer(self, a)
                    self._static.append(op)
                else:
                    op = _ArtistDrawer(a)
                ops.append(((rank, a.get_zorder(), seq, j), op))
        ops.sort(key=lambda op: op[0])
        return [f for _, f in ops]

    def __exit__(self, *exc) -> None:
        self._bg = None
        if self._last is not None:
            self.scene.update(self._last)  # leave every artist showing the last frame drawn
        if self.fig.canvas is not self._shown_canvas:
            self.fig.set_canvas(self._shown_canvas)

    @property
    def size(self) -> tuple[int, int]:
        h, w = self._bg_rgba.shape[:2]
        return w, h

    @property
    def background(self) -> np.ndarray:
        """The static layer as RGBA (H, W, 4)."""
        return self._bg_rgba

    def ink_box(self, artist) -> "tuple[int, int, int, int] | None":
        """``(r0, r1, c0, c1)``: the canvas pixels (rows, columns; origin top-left) that drawing ``artist`` with the
        frozen layout can touch, or None if it draws nothing. Measured by drawing it alone on a transparent canvas
        (every pixel it covers gets some alpha); the canvas holds the background again afterwards."""
        canvas = self.canvas
        renderer = canvas.get_renderer()
        renderer.clear()
        try:
            if artist.get_visible():
                artist.draw(renderer)
            alpha = np.asarray(canvas.buffer_rgba())[..., 3]
            rows = np.flatnonzero(alpha.any(axis=1))
            cols = np.flatnonzero(alpha.any(axis=0)) if rows.size else rows
        finally:
            canvas.restore_region(self._bg)
        if rows.size == 0:
            return None
        h, w = alpha.shape  # one pixel of margin: the box only has to hold every pixel the artist touches
        return max(0, int(rows[0]) - 1), min(h, int(rows[-1]) + 2), max(0, int(cols[0]) - 1), min(w, int(cols[-1]) + 2)

    def sprite(self, artists: list) -> "tuple[int, int, np.ndarray] | None":
        """``artists`` alone (in zorder), drawn with the frozen layout on a transparent canvas: ``(x, y, rgba)``
        of the smallest box holding their pixels (canvas pixels, origin top-left), or None if they draw nothing.
        The canvas holds the background again afterwards."""
        canvas = self.canvas
        renderer = canvas.get_renderer()
        renderer.clear()  # transparent: Agg keeps straight (not premultiplied) alpha, as PNG does
        try:
            for a in sorted(artists, key=lambda a: a.get_zorder()):
                if a.get_visible():
                    a.draw(renderer)
            rgba = np.asarray(canvas.buffer_rgba()).copy()
        finally:
            canvas.restore_region(self._bg)
        ink = rgba[..., 3] > 0
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        if rows.size == 0:
            return None
        return int(cols[0]), int(rows[0]), rgba[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]

    # -- frames ---------------------------------------------------------------------------------------------
    def render(self, k: int) -> np.ndarray:
        """Frame ``k`` as an RGBA view of the Agg buffer (valid until the next render)."""
        canvas = self.canvas
        for op in self._static:
            if op.box is False and op.artist.get_visible():  # measured before this frame's drawing starts
                op.box = self.ink_box(op.artist)
        canvas.restore_region(self._bg)
        renderer = canvas.get_renderer()
        buf = self._buf = np.asarray(canvas.buffer_rgba())
        prims = self.scene.primitives
        direct = self._direct
        for prim in prims:
            if id(prim) not in direct:  # paths drawn directly need no artist update (done once on exit)
                prim.update(k)
        self._last = k
        # cacheable texts first, while the pixels beneath them are still the background
        for prim in prims:
            if getattr(prim, "cacheable", False):
                self._draw_cached(prim, renderer, buf)
        for op in self._ops:
            op(renderer, k)
        return buf

    def _draw_cached(self, prim, renderer, buf: np.ndarray) -> None:
        """Draw a text once per distinct string; later frames paste the pixels it produced."""
        text = prim.text
        s = text.get_text()
        if not s or not text.get_visible():
            return
        key = (id(prim), s)
        hit = self._cache.get(key)
        if hit is None:
            h = buf.shape[0]
            x0, y0, x1, y1 = text.get_window_extent(renderer).extents
            r0, r1 = max(0, int(np.floor(h - y1)) - 2), min(h, int(np.ceil(h - y0)) + 2)
            c0, c1 = max(0, int(np.floor(x0)) - 2), min(buf.shape[1], int(np.ceil(x1)) + 2)
            before = buf[r0:r1, c0:c1].copy()
            text.draw(renderer)
            patch = buf[r0:r1, c0:c1]
            ink = np.any(patch != before, axis=-1)  # exactly the pixels this text drew
            hit = self._cache[key] = (r0, r1, c0, c1, patch[ink].copy(), ink)
        else:
            r0, r1, c0, c1, pixels, ink = hit
            buf[r0:r1, c0:c1][ink] = pixels

    def __iter__(self) -> Iterator[np.ndarray]:
        for k in range(self.scene.n_frames):
            yield self.render(k)


class _TraceDrawer:
    """Draw a growing path straight through the renderer, as ``Line2D.draw`` would, minus its per-call overhead.

    The layout is frozen, so every point's pixel position is computed once (for 3D axes, with the view's
    projection); a frame is then one ``draw_path`` of a prefix and one ``draw_markers`` for the head, with
    graphics contexts set up once from the artists' own properties. (tests: fast frames equal a full redraw.)
    """

    @staticmethod
    def handles(prim) -> bool:
        from matplotlib.lines import Line2D

        from .primitives import Trace

        ok = isinstance(prim, Trace) and type(prim.line).__name__ in ("Line2D", "Line3D")
        return ok and isinstance(prim.line, Line2D) and prim.line.get_linestyle() not in ("None", "none", " ", "") \
            and prim.line.get_drawstyle() == "default" and getattr(prim.line, "_gapcolor", None) is None

    def __init__(self, prim, renderer) -> None:
        from matplotlib.colors import to_rgba
        from matplotlib.markers import MarkerStyle
        from matplotlib.path import Path
        from matplotlib.transforms import IdentityTransform

        self.Path, self.identity = Path, IdentityTransform()
        self.counts = prim.counts
        line, head = prim.line, prim.head
        ax = line.axes
        xy = prim.xy
        if prim.is3d:
            from mpl_toolkits.mplot3d import proj3d

            project = getattr(proj3d, "_scale_proj_transform_clip", None)  # what Line3D.draw uses (mpl >= 3.10)
            if project is not None:
                xs, ys = project(xy[:, 0], xy[:, 1], xy[:, 2], ax)[:2]
            else:  # pragma: no cover - older matplotlib
                xs, ys, _ = proj3d.proj_transform(xy[:, 0], xy[:, 1], xy[:, 2], ax.M)
            self.px = ax.transData.transform(np.column_stack([xs, ys]))
        else:
            self.px = line.get_transform().transform(xy)
        gc = renderer.new_gc()
        line._set_gc_clip(gc)
        gc.set_foreground(to_rgba(line.get_color(), line.get_alpha()), isRGBA=True)
        gc.set_linewidth(line.get_linewidth())  # points: Agg converts
        dashed = line.is_dashed()  # the line's own dash pattern (in points, scaled by its width), as Line2D.draw
        gc.set_capstyle(line.get_dash_capstyle() if dashed else line.get_solid_capstyle())
        gc.set_joinstyle(line.get_dash_joinstyle() if dashed else line.get_solid_joinstyle())
        gc.set_dashes(*line._dash_pattern) if dashed else gc.set_dashes(0, None)
        gc.set_antialiased(line.get_antialiased())
        gc.set_snap(line.get_snap())
        self.gc = gc
        self.head = None
        if head is not None:
            marker = MarkerStyle(head.get_marker(), head.get_fillstyle())
            hgc = renderer.new_gc()
            head._set_gc_clip(hgc)
            hgc.set_foreground(to_rgba(head.get_markeredgecolor(), head.get_alpha()), isRGBA=True)
            hgc.set_linewidth(head.get_markeredgewidth())
            hgc.set_joinstyle(marker.get_joinstyle())
            hgc.set_capstyle(marker.get_capstyle())
            hgc.set_antialiased(head.get_antialiased())
            hgc.set_snap(head.get_snap())
            trans = marker.get_transform().frozen().scale(renderer.points_to_pixels(head.get_markersize()))
            self.head = (hgc, marker.get_path(), trans, to_rgba(head.get_markerfacecolor(), head.get_alpha()))

    def draw_line(self, renderer, k: int) -> None:
        n = int(self.counts[k])
        if n > 1:
            renderer.draw_path(self.gc, self.Path(self.px[:n]), self.identity)

    def draw_head(self, renderer, k: int) -> None:
        n = int(self.counts[k])
        if n > 0:
            gc, mpath, mtrans, fc = self.head
            renderer.draw_markers(gc, mpath, mtrans, self.Path(self.px[n - 1:n]), self.identity, fc)


class _ArtistDrawer:
    def __init__(self, artist) -> None:
        self.artist = artist

    def __call__(self, renderer, k: int) -> None:
        if self.artist.get_visible():
            self.artist.draw(renderer)


class _StaticDrawer:
    """Draw an artist that never changes (an ``Overlay``: the minima and start markers over the paths), reusing
    its pixels while what lies beneath it is unchanged.

    Agg blends each pixel from its own value and the artist's coverage alone, so when the pixels under the
    artist's ink box are the same as when it was last drawn, drawing it again would give exactly the pixels it
    gave then: they are pasted instead (most frames: the paths move elsewhere). Otherwise it is drawn for real.
    """

    def __init__(self, frames: FrameRenderer, artist) -> None:
        self.frames, self.artist = frames, artist
        self.box: "tuple[int, int, int, int] | None | bool" = False  # False: not measured yet (FrameRenderer)
        self.before: bytes | None = None
        self.after: np.ndarray | None = None

    def __call__(self, renderer, k: int) -> None:
        if not self.box or not self.artist.get_visible():  # draws nothing (None) / not measured: hidden so far
            return
        r0, r1, c0, c1 = self.box
        region = self.frames._buf[r0:r1, c0:c1]
        before = region.tobytes()
        if before == self.before:
            region[...] = self.after
            return
        self.before = before
        self.artist.draw(renderer)
        self.after = region.copy()


@contextmanager
def frames(scene, dpi: float | None = None):
    with FrameRenderer(scene, dpi) as r:
        yield r


# ------------------------------------------------------------------------------------------------ palette

def _pack(rgb: np.ndarray) -> np.ndarray:
    """(..., 3|4) uint8 -> (...) uint32 keys R | G << 8 | B << 16 (what an RGBA buffer reads as, alpha masked)."""
    rgb = np.asarray(rgb)
    if rgb.shape[-1] == 4 and rgb.dtype == np.uint8 and rgb.flags.c_contiguous and np.little_endian:
        return rgb.view(np.uint32)[..., 0] & np.uint32(0xFFFFFF)
    rgb = rgb[..., :3].astype(np.uint32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)


def reserved_colors(scene) -> list[tuple[int, int, int]]:
    """Every solid colour the moving artists are drawn in, as Agg writes it (0-255 per channel), and those of
    the static markers (minima, starts): a few pixels each, a median cut of the background misses them (the
    yellow minimum star came out orange)."""
    out = {(255, 255, 255), (0, 0, 0)}
    markers = [ln for ax in scene.fig.axes for ln in ax.get_lines() if ln.get_marker() not in (None, "None", "", " ")]
    for a in [*scene.artists, *markers]:
        for getter in ("get_color", "get_markerfacecolor", "get_markeredgecolor", "get_facecolor", "get_edgecolor"):
            f = getattr(a, getter, None)
            if f is None:
                continue
            try:
                c = f()
                if isinstance(c, np.ndarray) and c.ndim == 2:
                    cs = [tuple(x) for x in c]
                else:
                    cs = [c]
                for c in cs:
                    if isinstance(c, str) and c == "none":
                        continue
                    r, g, b = to_rgb(c)
                    out.add((int(round(r * 255)), int(round(g * 255)), int(round(b * 255))))
            except (ValueError, TypeError):
                continue
    return sorted(out)


class Palette:
    """One fixed palette and a fast RGB -> index map, exact for every colour already seen.

    ``colors`` is (255, 3) uint8 (index 255 is left for transparency). Mapping a frame: pixels equal to the
    background take the background's precomputed index; the changed pixels (a few thousand) are looked up in a
    cache keyed by their packed RGB, and colours not yet cached are mapped to the nearest palette entry once.
    """

    def __init__(self, colors: np.ndarray) -> None:
        self.colors = np.asarray(colors, np.uint8)[:TRANSPARENT]
        self._lut: np.ndarray | None = None
        self._bg_index: np.ndarray | None = None
        self._bg32: np.ndarray | None = None

    @classmethod
    def build(cls, samples: list[np.ndarray], reserved: list[tuple[int, int, int]]) -> "Palette":
        """Reserve ``reserved`` exactly, fill the rest with a median cut of the RGBA ``samples``."""
        from PIL import Image

        reserved = list(dict.fromkeys(reserved))[:128]
        free = TRANSPARENT - len(reserved)
        # the first sample (the static layer) at half resolution, plus every pixel where a later sample differs
        # from it (the paths): all the colours that matter, at a fraction of the median cut's cost
        base = samples[0][..., :3]
        parts = [base[::2, ::2].reshape(-1, 3)]
        for s in samples[1:]:
            diff = np.any(s[..., :3] != base, axis=-1)
            parts.append(s[..., :3][diff])
        flat = np.concatenate(parts)
        width = 256
        rows = -(-len(flat) // width)
        flat = np.concatenate([flat, np.repeat(flat[-1:], rows * width - len(flat), axis=0)])
        img = Image.fromarray(np.ascontiguousarray(flat.reshape(rows, width, 3)), "RGB")
        q = img.quantize(colors=free, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        pal = np.asarray(q.getpalette()[: 3 * free], np.uint8).reshape(-1, 3)
        colors = np.concatenate([np.asarray(reserved, np.uint8).reshape(-1, 3), pal])
        # drop duplicates (keep the first: the reserved ones), pad to 255 entries with black
        _, first = np.unique(_pack(colors), return_index=True)
        colors = colors[np.sort(first)]
        pad = np.zeros((TRANSPARENT - len(colors), 3), np.uint8)
        return cls(np.concatenate([colors, pad]) if len(pad) else colors[:TRANSPARENT])

    def flat(self) -> bytes:
        """768 bytes for a GIF colour table (index 255 set to magenta: never shown, it means transparent)."""
        return self.colors.tobytes() + bytes(3 * (256 - len(self.colors) - 1)) + b"\xff\x00\xff"

    def _nearest(self, keys: np.ndarray) -> np.ndarray:
        rgb = np.stack([keys & 255, (keys >> 8) & 255, (keys >> 16) & 255], axis=-1).astype(np.float32)
        out = np.empty(len(keys), np.uint8)
        pal = self.colors.astype(np.float32)
        # |p - c|^2 = |c|^2 - 2 p.c (+ |p|^2, the same for every c): one matrix product. Every term and partial
        # sum is a whole number below 2^19, exact in float32, so the nearest colour (first of equals) is exact
        cc = (pal ** 2).sum(-1)
        for s in range(0, len(keys), 4096):  # bounded memory: 4096 x 255 distances at a time
            out[s:s + 4096] = np.argmin(cc - 2 * (rgb[s:s + 4096] @ pal.T), axis=1)
        return out

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Palette indices for packed RGB ``keys`` (uint32), exact nearest colours, cached in a 2^24 table.

        The table (16 MB) starts as "unknown" (the transparent index, which no colour maps to); each colour is
        searched once, then every later frame is a plain table read."""
        if self._lut is None:
            self._lut = np.full(1 << 24, TRANSPARENT, np.uint8)
        vals = self._lut[keys]
        unknown = vals == TRANSPARENT
        if unknown.any():
            new = np.unique(keys[unknown])
            self._lut[new] = self._nearest(new)
            vals[unknown] = self._lut[keys[unknown]]
        return vals

    def set_background(self, bg_rgba: np.ndarray) -> None:
        self._bg32 = _pack(np.ascontiguousarray(bg_rgba))
        self._bg_index = self.lookup(self._bg32.ravel()).reshape(self._bg32.shape)

    def index(self, rgba: np.ndarray) -> np.ndarray:
        """(H, W) palette indices of an RGBA frame (needs ``set_background`` first)."""
        cur = _pack(rgba)
        changed = cur != self._bg32
        out = self._bg_index.copy()
        if changed.any():
            out[changed] = self.lookup(cur[changed])
        return out
