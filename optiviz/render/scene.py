"""Build a scene from recorded trajectories: the static figure drawn once, and the primitives that move.

Layouts: ``grid`` (one panel per run, all on the same contour map, plus the loss panel) and ``overlay`` (all
paths on one map, with a legend). Views: ``contour``, ``3d`` (the surface with the path riding on it, loss on
the vertical axis) and ``both``. Everything drawn comes from the ``Trajectories``; titles and legends are the
short labels of ``style.run_label`` (the full configuration goes into the file's metadata), colours, dashes,
markers and layers come from ``style``; nothing is recomputed.
"""
from __future__ import annotations

import itertools
import math
import textwrap
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import InvalidValueError
from . import style
from .primitives import Arrow, Bar, Label, Mark, Overlay, Primitive, Trace

LAYOUTS = ("grid", "overlay")
VIEWS = ("contour", "3d", "both")
GRID_N = 160  # contour grid resolution: smooth at slide size, one vectorized surface call
GRID_N_3D = 48  # the 3D mesh: more facets only slow the one static draw


# ------------------------------------------------------------------------------------------------ inputs

@dataclass
class Track:
    """One run made ready to draw: M members (1 for a single run; starts x seeds for a batch)."""

    label: str
    caption: str
    name: str
    color: str
    path: np.ndarray  # (M, T, 2)
    loss: np.ndarray  # (M, T)
    steps: np.ndarray  # (T,)
    diverged_at: np.ndarray  # (M,) int, -1 = never
    n_valid: np.ndarray  # (M,) points drawn at most: those recorded before the divergence
    grads: np.ndarray | None = None  # (n_steps, 2), single runs only
    updates: np.ndarray | None = None
    short: str = ""  # the short label every title and legend shows (style.run_label)
    dashes: Any = "-"  # line style where several runs share an axes
    marker: str = "o"  # the current position's marker

    @property
    def legend(self) -> str:
        return self.short + (f" (median of {self.members})" if self.batched else "")

    @property
    def members(self) -> int:
        return self.path.shape[0]

    @property
    def batched(self) -> bool:
        return self.path.shape[0] > 1


def make_tracks(runs: Any, theme: "style.Theme | None" = None) -> list[Track]:
    """Trajectories -> Tracks, with their looks (colour, dashes, marker) and short labels; a clear error for
    anything that is not recorded trajectories."""
    from ..engine.results import Trajectories, Trajectory

    if isinstance(runs, Trajectory):
        runs = {runs.label: runs}
    if not hasattr(runs, "values") or not all(isinstance(t, Trajectory) for t in runs.values()):
        raise InvalidValueError(f"animate/plot take the result of ov.run (Trajectories), got {type(runs).__name__}")
    trajs = list(runs.values())
    if not trajs:
        raise InvalidValueError("nothing to draw: no runs")
    looks = style.assign((t.name for t in trajs), theme)
    tracks = []
    for t, lk in zip(trajs, looks):
        steps = np.asarray(t.steps)
        T = steps.shape[0]
        path = np.asarray(t.path, float)
        if path.shape[-2:] != (T, 2):
            raise InvalidValueError(f"run {t.label!r}: path shape {path.shape} does not match {T} recorded steps")
        path = path.reshape(-1, T, 2)
        loss = np.asarray(t.loss, float).reshape(-1, T)
        if t.diverged_at is None:
            div = np.full(path.shape[0], -1)
        else:
            d = np.asarray(t.diverged_at, dtype=np.int64).reshape(-1)  # (seeds, starts) -> members, like path
            div = d.copy() if d.size == path.shape[0] else np.broadcast_to(d[:1], path.shape[:1]).copy()
        # points recorded strictly before the divergence step are real; the engine freezes the rest
        n_valid = np.where(div >= 0, np.searchsorted(steps, div, side="left"), T)
        n_valid = np.maximum(n_valid, 1)
        tracks.append(Track(t.label, t.caption, t.name, lk.color, path, loss, steps, div, n_valid,
                            None if t.grads is None else np.asarray(t.grads, float).reshape(-1, 2) if path.shape[0] == 1
                            else None,
                            None if t.updates is None else np.asarray(t.updates, float).reshape(-1, 2)
                            if path.shape[0] == 1 else None,
                            short=style.run_label(t), dashes=lk.dashes, marker=lk.marker))
    lengths = {len(tr.steps) for tr in tracks}
    if len(lengths) > 1:
        raise InvalidValueError("all runs must record the same steps to be drawn together")
    return tracks


def frame_indices(n_recorded: int, frames: Any) -> np.ndarray:
    """Which recorded points the frames show: ``frames`` evenly spaced ones, always the first and the last."""
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 1:
        raise InvalidValueError(f"frames must be a whole number >= 1, got {frames!r}")
    if frames == 1:
        return np.array([n_recorded - 1])
    return np.unique(np.round(np.linspace(0, n_recorded - 1, min(int(frames), n_recorded))).astype(int))


# ----------------------------------------------------------------------------------------------- levels

def contour_levels(Z: np.ndarray, spec: Any, n: int = 18) -> np.ndarray:
    return _levels(Z, spec, n)[0]


def _levels(Z: np.ndarray, spec: Any, n: int = 18) -> tuple[np.ndarray, str]:
    """Contour levels for a surface's ``levels`` setting: "log" (geometric above the minimum), "linear", "auto"
    (log when most of the map would otherwise be one colour), or explicit values."""
    z = Z[np.isfinite(Z)]
    if z.size == 0:
        raise InvalidValueError("the surface is not finite anywhere on its domain")
    zmin, zmax = float(z.min()), float(z.max())
    # a flat map, or one whose spread is below the resolution of its values (1e30 + x**2): three levels around it,
    # spaced so that they differ at that magnitude
    pad = max(1.0, abs(zmin) * 1e-9)
    flat = np.array([zmin - pad, zmin, zmin + pad]), "linear"
    if zmax <= zmin:
        return flat
    if not isinstance(spec, str):
        lv = np.unique(np.asarray(spec, dtype=float))
        lv = lv[np.isfinite(lv)]
        if lv.size >= 2:
            return lv, "explicit"
        spec = "auto"
    if spec == "auto":
        # log when the median sits in the bottom 5% of the range: a linear ramp would paint most of the map flat
        spec = "log" if (float(np.median(z)) - zmin) < 0.05 * (zmax - zmin) else "linear"
    if spec == "log":
        span = zmax - zmin
        lv, kind = zmin + np.concatenate([[0.0], np.geomspace(span * 1e-4, span, n)]), "log"
    else:
        lv, kind = np.linspace(zmin, zmax, n + 1), "linear"
    return (lv, kind) if np.all(np.diff(lv) > 0) else flat


def _fmt(v: float) -> str:
    a = abs(v)
    if a >= 1e4 or (0 < a < 1e-3):
        return f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e")
    return f"{v:.0f}" if a >= 100 else f"{v:.2g}"


# ----------------------------------------------------------------------------------------------- scene

@dataclass
class Panel:
    ax: Any
    kind: str  # "contour", "3d" or "loss"
    tracks: list[Track]


@dataclass
class Scene:
    """A built figure plus its moving primitives; ``update(k)`` puts every primitive at frame ``k``.

    ``ov.animate`` builds one from trajectories; other figures (``optiviz.render.nets``) build their own:
    a ``figure(...)``, primitives whose ``ax`` is the axes they move in (``None`` outside every axes), the
    recorded points the frames show (``frame_indices``) and their step numbers, then ``Animation(scene)``.
    ``panels`` and ``tracks`` describe trajectory scenes and may stay empty.
    """

    fig: Any
    primitives: list[Primitive]
    frame_index: np.ndarray  # (F,) recorded point shown by each frame
    frame_steps: np.ndarray  # (F,) step number of each frame
    n_steps: int
    panels: list[Panel]
    tracks: list[Track]
    title: str
    layout: str
    view: str
    dpi: float
    clips: dict = field(default_factory=dict)  # primitive id -> axes it is clipped to (for the page)

    @property
    def n_frames(self) -> int:
        return len(self.frame_index)

    @property
    def artists(self) -> list:
        return [a for p in self.primitives for a in p.artists]

    def update(self, k: int) -> list:
        k = int(k)
        for p in self.primitives:
            p.update(k)
        return self.artists


#: True inside ``unmanaged()``: new figures stay outside pyplot (per thread and task, like ``style.context``)
_UNMANAGED: ContextVar[bool] = ContextVar("optiviz_unmanaged", default=False)


@contextmanager
def unmanaged() -> Iterator[None]:
    """``with unmanaged():`` figures created inside stay outside pyplot: an Agg canvas of their own, never shown,
    never in ``plt.get_fignums()``, freed by the garbage collector, and no GUI toolkit is loaded.

    For code that only writes files and must leave pyplot alone: the command line (one process per command,
    nothing to show) and the playground server (it renders in worker threads, and pyplot's figure list is
    neither thread-safe nor to be filled up by a long-running process). Everywhere else figures are
    pyplot-managed, as matplotlib users expect (``plt.show()``, ``plt.savefig()``, ``%matplotlib inline``).
    """
    token = _UNMANAGED.set(True)
    try:
        yield
    finally:
        _UNMANAGED.reset(token)


def managed() -> bool:
    """Whether a figure created now goes through pyplot (False inside :func:`unmanaged`)."""
    return not _UNMANAGED.get()


def figure(size: tuple[float, float], dpi: float):
    """A new figure of ``size`` (w, h) inches with constrained layout, as every optiviz scene draws on.

    Created through pyplot (``plt.figure``), so ``plt.show()``, ``plt.savefig()``, ``fig.show()`` and Jupyter's
    inline backend know it; close it with ``plt.close(fig)`` (or ``ov.render.close``) when done. Inside
    :func:`unmanaged` it is a figure outside pyplot with an Agg canvas. Use it inside ``style.context()`` to get
    the house style."""
    if managed():
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size, dpi=dpi, layout="constrained")
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig = _StillFigure(figsize=size, dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.04, hspace=0.06, wspace=0.04)
    return fig


def _make_still_class():
    from matplotlib.figure import Figure

    class StillFigure(Figure):
        """A Figure outside pyplot that shows itself in Jupyter as a PNG (no backend knows it)."""

        def _repr_png_(self):
            import io

            buf = io.BytesIO()
            self.savefig(buf, format="png", metadata={"Software": None})
            return buf.getvalue()

    return StillFigure


class _Lazy:
    cls = None


def _StillFigure(**kw):
    if _Lazy.cls is None:
        _Lazy.cls = _make_still_class()
    return _Lazy.cls(**kw)


def parse_size(size: Any, dpi: float) -> tuple[float, float] | None:
    """``(w, h)`` in inches, or ``"WxH"`` in pixels."""
    if size is None:
        return None
    if isinstance(size, str):
        w, sep, h = size.lower().partition("x")
        try:
            if not sep:
                raise ValueError
            wi, hi = float(w), float(h)
        except ValueError:
            raise InvalidValueError(f"size must be WIDTHxHEIGHT in pixels (e.g. 1280x720), got {size!r}") from None
        size = (wi / dpi, hi / dpi)
    try:
        w, h = (float(v) for v in size)
    except (TypeError, ValueError):
        raise InvalidValueError(f"size must be (width, height) in inches or 'WxH' pixels, got {size!r}") from None
    if not (math.isfinite(w) and math.isfinite(h) and w > 0.5 and h > 0.5 and w * h * dpi * dpi < 64e6):
        raise InvalidValueError(f"size {size!r} is too small or too large for a picture")
    return (w, h)


def build(runs: Any, surface: Any = None, *, layout: str = "grid", view: str = "contour", internals: bool = False,
          frames: int = 200, dpi: float | None = None, size: Any = None, loss_panel: bool = True,
          title: str | None = None, ax: Any = None, fig: Any = None, pace: bool = True, theme: str | None = None,
          samples: Any = None, cmap: Any = None) -> Scene:
    """Build the figure and its primitives. With ``ax``, draw an overlay contour onto that axes only; with
    ``fig`` (a ``Figure`` or a ``SubFigure``), draw the whole scene into it instead of a new figure.

    ``pace``: frames spent where something moves and none after every path has settled (:func:`paced_indices`);
    ``False`` samples the recorded steps evenly. ``theme``: ``"light"``, ``"dark"`` or ``"paper"``; ``None`` is
    light with the user's own rcParams kept, its colours derived from a style context's page (``style.context``). ``samples``: data points each step of a run
    touches (one number, or label -> number): the loss panel is drawn against data points seen, the fair axis
    for full-batch against minibatch methods. ``cmap``: the map's colormap (default: ``image.cmap`` when the user
    set it, else the theme's neutral ramp)."""
    from ..loading import load_surface
    from ..surface import Surface

    if layout not in LAYOUTS:
        from ..registry import did_you_mean

        raise InvalidValueError(f"unknown layout {layout!r}; {did_you_mean(str(layout), list(LAYOUTS))}")
    if view not in VIEWS:
        from ..registry import did_you_mean

        raise InvalidValueError(f"unknown view {view!r}; {did_you_mean(str(view), list(VIEWS))}")
    target = check_target(ax=ax, fig=fig, size=size)
    if dpi is None:
        dpi = target.get_figure(root=True).dpi if target is not None else 100.0
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not (10 <= dpi <= 600):
        raise InvalidValueError(f"dpi must be a number from 10 to 600, got {dpi!r}")
    style.check_style(theme)
    style.check_cmap(cmap)
    tracks = make_tracks(runs)  # checked now; drawn below with the looks of the theme in force
    if surface is None:
        surface = getattr(runs, "surface", None)
        if surface is None:
            raise InvalidValueError("give the surface: these runs do not carry one")
    elif not isinstance(surface, Surface):
        surface = load_surface(surface)
    if internals:
        if any(t.grads is None for t in tracks):
            raise InvalidValueError("internals need runs recorded with ov.run(..., internals=True), one start and one "
                                    "seed each")
        if view == "3d":
            raise InvalidValueError("internals are drawn on contour panels: use view='contour' or view='both'")
    n_steps = int(getattr(runs, "n_steps", int(tracks[0].steps[-1])))
    cost = _samples(samples, tracks)
    idx = paced_indices(tracks, surface.domain, frames) if pace else frame_indices(len(tracks[0].steps), frames)
    with style.context(theme) as th:
        if cmap is not None:
            import dataclasses

            th = dataclasses.replace(th, cmap=cmap)
        tracks = make_tracks(runs, th)
        return _Builder(tracks, surface, layout, view, internals, idx, float(dpi), size, loss_panel, title,
                        n_steps, ax, fig, th, theme, cost).scene


def check_target(*, ax: Any = None, fig: Any = None, size: Any = None) -> Any:
    """Where to draw, checked before any work: ``ax`` (an ``Axes``) or ``fig`` (a ``Figure`` or a ``SubFigure``)
    or neither (None: a new figure). ``size`` is for a new figure only."""
    from matplotlib.axes import Axes
    from matplotlib.figure import FigureBase

    if ax is not None and fig is not None:
        raise InvalidValueError("give ax= (one panel) or fig= (a whole scene), not both")
    if ax is not None and not isinstance(ax, Axes):
        raise InvalidValueError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if fig is not None and not isinstance(fig, FigureBase):
        raise InvalidValueError(f"fig must be a matplotlib Figure or SubFigure, got {type(fig).__name__}")
    target = ax if ax is not None else fig
    if target is not None and size is not None:
        raise InvalidValueError("size is for a new figure; with ax= or fig= the picture takes their size")
    return target


def drawn_into(fig: Any) -> Any:
    """The user's ``Figure`` or ``SubFigure``, ready to be drawn into as it is: its root's layout engine places
    the panels; an empty root figure with no layout engine gets constrained layout, as a new one would have."""
    root = fig.get_figure(root=True)
    if root.get_layout_engine() is None and not root.axes:
        root.set_layout_engine("constrained")
    return fig


def _samples(samples: Any, tracks: Sequence[Track]) -> dict[str, float] | None:
    """``samples`` as label -> data points per step for every run (None: the loss panel stays against steps)."""
    if samples is None:
        return None
    from collections.abc import Mapping

    given = samples if isinstance(samples, Mapping) else {t.label: samples for t in tracks}
    out = {}
    for t in tracks:
        v = given.get(t.label)
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not (0 < v < 1e12):
            raise InvalidValueError(f"samples: give the data points each step of {t.label!r} touches (a number > 0), "
                                    f"got {v!r}")
        out[t.label] = float(v)
    return out


def paced_indices(tracks: Sequence[Track], domain: Any, frames: Any, *, quiet: int = 8, ref: float = 0.02,
                  settle: float = 0.004) -> np.ndarray:
    """Which recorded points the frames show, spending frames where something moves (a time warp).

    Motion per step is the largest move of any path over two steps (so a zigzag that retraces itself does not
    count), as a fraction of the map's extent on each axis. A step
    that moves a path ``ref`` (2% of the map) or more gets a frame of its own; a quiet step costs 1/``quiet``
    of a frame, so slow drifts still advance. A path has settled once it stays within ``settle`` of where it
    ends (or has diverged); after the last one settles the animation jumps to the final step (the step counter
    shows the real step) and the writer holds it. ``frames`` caps the count: when the motion asks for more,
    the frames are spread over the same warped time. Always includes the first and the last point.
    """
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 1:
        raise InvalidValueError(f"frames must be a whole number >= 1, got {frames!r}")
    T = len(tracks[0].steps)
    if frames == 1 or T == 1:
        return np.array([T - 1])
    (x0, x1), (y0, y1) = domain
    scale = np.array([max(x1 - x0, 1e-300), max(y1 - y0, 1e-300)])
    motion = np.zeros(T - 1)
    end = 0
    for t in tracks:
        p = t.path / scale  # (M, T, 2) in map fractions
        valid = np.arange(T)[None, :] < t.n_valid[:, None]  # (M, T): points drawn
        # speed over two steps: a path that flips back and forth every step (GD across a ravine, RMSProp's
        # jitter) retraces what is already drawn, so its zigzag earns no frames; the first step counts as is
        two = np.concatenate([np.diff(p[:, :2], axis=1), (p[:, 2:] - p[:, :-2]) / 2], axis=1)
        step = np.linalg.norm(two, axis=-1)  # (M, T-1): motion arriving at point s + 1
        step = np.where(valid[:, 1:] & np.isfinite(step), np.minimum(step, 1.0), 0.0)
        motion = np.maximum(motion, step.max(axis=0))
        last = p[np.arange(len(p)), t.n_valid - 1]  # where each member ends (or last drawn before diverging)
        away = np.linalg.norm(p - last[:, None, :], axis=-1)  # (M, T)
        away = np.where(valid & np.isfinite(away), away, 0.0)
        moving = away > settle
        # settled from the point after the last one still away from the end (a diverged path: its last point)
        settled = np.where(moving.any(axis=1), T - 1 - np.argmax(moving[:, ::-1], axis=1) + 1, 0)
        settled = np.minimum(settled, t.n_valid - 1)
        end = max(end, int(settled.max()))
    end = max(end, 1)
    w = np.clip(motion[:end] / ref, 1.0 / quiet, 1.0)  # frame cost of each step up to the end of motion
    c = np.concatenate([[0.0], np.cumsum(w)])  # warped time at each recorded point 0..end
    budget = int(frames) - (1 if end < T - 1 else 0)  # keep one frame for the jump to the final step
    n = int(min(max(budget, 2), math.ceil(c[-1]) + 1))
    targets = np.linspace(0.0, c[-1], n)
    idx = np.searchsorted(c, targets - 1e-9, side="left")
    idx = np.unique(np.concatenate([[0], np.clip(idx, 0, end), [end]]))
    if end < T - 1:
        idx = np.concatenate([idx, [T - 1]])
    if len(idx) > frames:  # rounding added a point or two: thin evenly, keeping the first and the last
        idx = idx[np.unique(np.round(np.linspace(0, len(idx) - 1, int(frames))).astype(int))]
    return idx


class _Builder:
    def __init__(self, tracks, surface, layout, view, internals, idx, dpi, size, loss_panel, title, n_steps, ax,
                 fig, theme, theme_name=None, samples=None):
        self.th = theme
        self.samples = samples
        self._named = theme_name is not None
        self.tracks, self.surface, self.layout, self.view = tracks, surface, layout, view
        self.internals, self.idx, self.dpi, self.n_steps = internals, idx, dpi, n_steps
        self.steps = tracks[0].steps
        self.frame_steps = self.steps[idx]
        self.prims: list[Primitive] = []
        self.panels: list[Panel] = []
        # a surface that carries its grid (a network's landscape, computed once) is drawn from it as it is
        X, Y, Z = surface.grid(GRID_N, exact=False)
        self.X, self.Y, self.Z = X, Y, np.where(np.isfinite(Z), Z, np.nan)
        self.levels, self.level_kind = _levels(self.Z, surface.levels)
        self.axis_labels = _axis_labels(surface)
        (x0, x1), (y0, y1) = surface.domain
        self.aspect = (y1 - y0) / (x1 - x0)
        self.title = title if title is not None else self._default_title()
        if ax is not None:
            self.fig = self.root = ax.get_figure(root=True)
            self._contour(ax, tracks, overlay=True, legend=True)
            self.scene = self._scene()
            return
        grid_cells = self._cells(loss_panel)
        self.own = fig is None
        if fig is None:
            w, h = parse_size(size, dpi) or self._default_size(grid_cells)
            self.fig = self.root = figure((w, h), dpi)
        else:  # the user's Figure or SubFigure: drawn into as it is (its root's layout engine places the panels)
            self.fig, self.root = drawn_into(fig), fig.get_figure(root=True)
        self._place(grid_cells)
        self._counter()
        self.scene = self._scene()

    def _scene(self) -> Scene:
        # the full configuration of every run rides along in the files written (the titles carry short labels)
        style.describe(self.root, "\n".join([self.title, *(style.config(t) for t in self.tracks)]))
        style.remember(self.root, self.th.name if self._named else None)
        return Scene(self.root, self.prims, self.idx, self.frame_steps, self.n_steps, self.panels, self.tracks,
                     self.title, self.layout, self.view, self.dpi)

    def _default_title(self) -> str:
        s = self.surface
        name = s.name if not s.params else s.name + ":" + ",".join(f"{k}={v:g}" if isinstance(v, float) else
                                                                   f"{k}={v}" for k, v in s.params.items())
        head = s.title if s.title and s.title != s.name else name
        return f"{head} ({name}), {self.n_steps} steps" if head != name else f"{name}, {self.n_steps} steps"

    # -- layout --------------------------------------------------------------------------------------------
    def _cells(self, loss_panel: bool) -> dict:
        """Which panel goes where: a list of (kind, tracks) units, each unit one cell (or two for view 'both')."""
        views = ["contour", "3d"] if self.view == "both" else [self.view]
        if self.layout == "overlay":
            units = [[(v, self.tracks) for v in views]]
        else:
            units = [[(v, [t]) for v in views] for t in self.tracks]
        width = len(views)
        n = len(units) + (1 if loss_panel else 0)
        if self.layout == "overlay":
            per_row = n
        elif n <= 3:
            per_row = n
        elif n == 4:
            per_row = 2
        else:
            per_row = (3 if n <= 9 else 4) if width == 1 else 2
        rows = math.ceil(n / per_row)
        return {"units": units, "width": width, "per_row": per_row, "rows": rows, "loss": loss_panel}

    def _default_size(self, cells: dict) -> tuple[float, float]:
        a = min(max(self.aspect, 0.45), 1.1)
        cw = 4.0 if cells["width"] == 1 else 3.4
        ch = (cw - 0.5) * a + 0.8  # the axes (equal aspect) plus two title lines and tick labels
        if self.view != "contour":
            ch = max(ch, cw * 0.78 + 0.6)
        w = cells["per_row"] * cells["width"] * cw + 0.7
        h = cells["rows"] * ch + 0.45
        return (round(w, 2), round(h, 2))

    def _place(self, cells: dict) -> None:
        fig = self.fig
        per_row, width, rows = cells["per_row"], cells["width"], cells["rows"]
        gs = fig.add_gridspec(rows, per_row * width)
        contour_axes: list = []
        others: list = []
        for u, unit in enumerate(cells["units"]):
            r, c = divmod(u, per_row)
            for j, (kind, tracks) in enumerate(unit):
                spec = gs[r, c * width + j]
                if kind == "3d":
                    ax = fig.add_subplot(spec, projection="3d")
                    self._surface3d(ax, tracks, first_col=(c == 0))
                    others.append(ax)
                else:
                    ax = fig.add_subplot(spec)
                    self._contour(ax, tracks, overlay=self.layout == "overlay", legend=False,
                                  xlabel=(r == rows - 1 or self._below_is_empty(u, cells)), ylabel=(c == 0))
                    contour_axes.append(ax)
        if cells["loss"]:
            u = len(cells["units"])
            r, c = divmod(u, per_row)
            ax = fig.add_subplot(gs[r, c * width:])  # the loss panel takes the rest of the last row
            self._loss(ax)
        ticks = self.levels[:: max(1, len(self.levels) // 6)]
        cax = None
        # the fixed layout places panels over the whole figure: only on a figure of our own
        if contour_axes and not others and self.layout == "grid" and not self.internals and self.own:
            cax = self._fixed_layout(gs, rows, per_row * width, [_fmt(v) for v in ticks])
        if contour_axes:
            cs = contour_axes[0]._optiviz_contourf
            if cax is not None:
                cb = fig.colorbar(cs, cax=cax)
            else:  # attached to every map panel (3D ones too): right of the whole grid, never between panels
                cb = fig.colorbar(cs, ax=contour_axes + others, shrink=0.85, aspect=30, pad=0.01, fraction=0.02)
            cb.set_ticks(ticks, labels=[_fmt(v) for v in ticks])
            cb.set_label("loss" + (" (log-spaced levels)" if self.level_kind == "log" else ""),
                         fontsize=style.FONT["label"])
            cb.ax.tick_params(labelsize=style.FONT["tick"], length=2)
            cb.outline.set_linewidth(0.5)
        if self.layout == "overlay":
            from matplotlib.lines import Line2D

            fig.legend(self._handles(self.tracks), [t.legend for t in self.tracks], loc="outside lower center",
                       ncol=min(len(self.tracks), 2 if max(len(t.legend) for t in self.tracks) > 40 else 3),
                       fontsize=style.FONT["legend"], handlelength=2.6, columnspacing=1.5)
        fig.suptitle(self.title, x=0.01, ha="left", fontsize=style.FONT["counter"] + 1, fontweight="bold",
                     color=self.th.text)
        # pyplot's current axes (plt.legend(), plt.title() after ov.plot): a panel that draws every run, the
        # overlay's map or else the loss panel, not the colorbar added last
        every = [p.ax for p in self.panels if len(p.tracks) == len(self.tracks)]
        if every:
            fig.sca(every[0])

    def _fixed_layout(self, gs, rows: int, cols: int, colorbar_labels: list[str]):
        """Place the grid of panels and the colorbar once, from the sizes of the texts around them, instead of
        running constrained layout (which measures every tick label several times: most of a first frame's cost).

        Every gap is the sum of what sits in it, in points: tick labels (the widest, measured), tick length and
        pad, an axis label, a title band of the most lines any title has, and a small margin. Returns the
        colorbar's axes, or None (the figure keeps constrained layout) when the panels would not fit.
        """
        from matplotlib.cbook import is_math_text
        from matplotlib.font_manager import FontProperties

        fig = self.fig
        renderer = _measuring_renderer(fig)
        pt = fig.dpi / 72.0  # pixels per point

        measured: dict = {}

        def size(text: str, fontsize: float, weight: str = "normal") -> tuple[float, float]:
            """(width, height) of ``text`` in points (each distinct text measured once: every panel has the same
            tick labels)."""
            key = (text, fontsize, weight)
            if key not in measured:
                w, h, _ = renderer.get_text_width_height_descent(
                    text, FontProperties(size=fontsize, weight=weight), ismath=is_math_text(text))
                measured[key] = (w / pt, h / pt)
            return measured[key]

        tick, label, cap = style.FONT["tick"], style.FONT["label"], style.FONT["caption"] + 0.5
        axes = [ax for ax in fig.axes]
        ytick_w = xtick_h = 0.0
        for ax in axes:
            for (axis, horizontal), which in itertools.product(((ax.xaxis, True), (ax.yaxis, False)),
                                                               ("major", "minor")):
                ticker = getattr(axis, which)
                lo, hi = sorted(axis.get_view_interval())
                locs = [v for v in ticker.locator() if lo <= v <= hi]
                for text in ticker.formatter.format_ticks(locs) if locs else ():
                    w, h = size(text, tick)
                    if horizontal:
                        xtick_h = max(xtick_h, h)
                    else:
                        ytick_w = max(ytick_w, w)
        label_h = size("Ag", label)[1] * 1.2
        lines = max((ax.get_title().count("\n") + 1 for ax in axes if ax.get_title()), default=0)
        title_band = lines * size("Ag", cap)[1] * 1.25 + 4.0 + 2.0
        sup_h = size("Ag", style.FONT["counter"] + 1, "bold")[1] * 1.3
        margin, ticks_out = 3.0, 2.0 + 1.5  # edge margin; tick length + label pad
        left = margin + label_h + 1.0 + ytick_w + ticks_out
        bottom = margin + label_h + 1.0 + xtick_h + ticks_out
        top = sup_h + title_band
        gap_w = ytick_w + ticks_out + label_h + 1.0 + 2 * margin
        gap_h = xtick_h + ticks_out + label_h + 1.0 + title_band + margin
        cb_w = 8.0
        cb_right = 8.0 + cb_w + ticks_out + max(size(t, tick)[0] for t in colorbar_labels) + 2.0 + label_h + margin
        W, H = fig.get_figwidth() * 72.0, fig.get_figheight() * 72.0
        cell_w = (W - left - cb_right - (cols - 1) * gap_w) / cols
        cell_h = (H - top - bottom - (rows - 1) * gap_h) / rows
        if cell_w < 36 or cell_h < 36:
            return None
        gs.update(left=left / W, right=1 - cb_right / W, bottom=bottom / H, top=1 - top / H,
                  wspace=gap_w / cell_w, hspace=gap_h / cell_h)
        for ax in axes:  # (GridSpec.update moves only the axes of pyplot-managed figures)
            ax.set_position(ax.get_subplotspec().get_position(fig))
        fig.set_layout_engine("none")
        grid_h = H - top - bottom
        return fig.add_axes(((W - cb_right + 8.0) / W, (bottom + 0.075 * grid_h) / H, cb_w / W, 0.85 * grid_h / H))

    @staticmethod
    def _below_is_empty(u: int, cells: dict) -> bool:
        below = u + cells["per_row"]
        n = len(cells["units"]) + (1 if cells["loss"] else 0)
        return below >= n

    # -- panels --------------------------------------------------------------------------------------------
    def _counts(self, tr: Track) -> np.ndarray:
        """(M, F): how many points of each member frame k shows (up to the divergence)."""
        return np.minimum(self.idx[None, :] + 1, tr.n_valid[:, None])

    def _contour(self, ax, tracks: list[Track], *, overlay: bool, legend: bool, xlabel: bool = True,
                 ylabel: bool = True) -> None:
        from matplotlib.colors import BoundaryNorm

        s = self.surface
        cmap = self.th.background_cmap()
        norm = BoundaryNorm(self.levels, cmap.N)
        cs = ax.contourf(self.X, self.Y, self.Z, levels=self.levels, cmap=cmap, norm=norm, extend="neither",
                         zorder=style.Z["contour"])
        ax._optiviz_contourf = cs
        ax.contour(self.X, self.Y, self.Z, levels=self.levels, colors=self.th.contour_line, linewidths=0.45,
                   alpha=0.55, zorder=style.Z["contour"])
        (x0, x1), (y0, y1) = s.domain
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box")
        ax.tick_params(length=2, pad=1.5)
        if xlabel:
            ax.set_xlabel(self.axis_labels[0], labelpad=1)
        if ylabel:
            ax.set_ylabel(self.axis_labels[1], labelpad=1)
        self._landmarks(ax, tracks)
        if not overlay:
            t = tracks[0]
            ax.set_title(self._wrap(t.short, ax), fontsize=style.FONT["caption"] + 0.5, color=self.th.text, pad=4,
                         loc="center")
        lw = self.th.lw(style.PATH_LW if not overlay or len(tracks) <= 3 else 1.6)
        for t in tracks:
            counts = self._counts(t)
            thin = t.batched
            # one path per panel needs no dashes; paths sharing a map are told apart by them too
            ls = t.dashes if overlay and not thin else "-"
            for m in range(t.members):
                line, = ax.plot([], [], color=t.color, lw=self.th.lw(0.9) if thin else lw,
                                alpha=0.75 if thin else None, ls=ls, solid_capstyle="round", solid_joinstyle="round",
                                dash_capstyle="butt", zorder=style.Z["path"], label=_line_label(t, m))
                head, = ax.plot([], [], marker=t.marker, ms=4 if thin else 7, mfc=t.color, mec=self.th.head_edge,
                                mew=0.6 if thin else 1.1, ls="none", zorder=style.Z["head"])
                self._add(Trace(line, t.path[m], counts[m], head), ax)
            self._divergence(ax, t, counts, overlay=overlay, tracks=tracks)
            if self.internals and not overlay:
                self._internals(ax, t)
            elif self.internals and overlay:
                self._arrows(ax, t)
        if legend:
            ax.legend(self._handles(tracks), [t.legend for t in tracks], fontsize=style.FONT["legend"],
                      loc="upper right", frameon=True, framealpha=0.85, handlelength=2.6)
        self.panels.append(Panel(ax, "contour", tracks))

    def _handles(self, tracks: list[Track]) -> list:
        """Legend keys: each run's colour, dash pattern and marker, so the legend reads in grey scale too."""
        from matplotlib.lines import Line2D

        return [Line2D([], [], color=t.color, lw=self.th.lw(1.8), ls=t.dashes, marker=t.marker, ms=5, mec=self.th.head_edge,
                       mew=0.6, dash_capstyle="butt") for t in tracks]

    def _landmarks(self, ax, tracks: list[Track], floor: float | None = None) -> None:
        """The minima (hollow stars, so a path arriving under them stays visible) and the starts (hollow rings),
        drawn above the paths and the current positions: never hidden."""
        from matplotlib import patheffects

        halo = [patheffects.withStroke(linewidth=2.6, foreground=self.th.box)]
        marks = []
        for m in self.surface.minima:
            z3 = () if floor is None else ([floor],)
            ln, = ax.plot([m[0]], [m[1]], *z3, marker="*", ms=12, mfc="none", mec=self.th.minimum, mew=1.2,
                          ls="none", zorder=style.Z["marker"])
            marks.append(ln)
        if floor is None:
            starts = np.unique(np.concatenate([t.path[:, 0] for t in tracks]), axis=0)[:50]
            ln, = ax.plot(starts[:, 0], starts[:, 1], marker="o", ms=7, mfc="none", mec=self.th.start_edge, mew=1.3,
                          ls="none", zorder=style.Z["marker"])
            marks.append(ln)
        for ln in marks:
            ln.set_path_effects(halo)
        if marks:  # drawn again over the moving paths on every frame, not baked into the background beneath them
            self._add(Overlay(marks), ax)

    def _wrap(self, caption: str, ax) -> str:
        """Break a caption at spaces to fit its panel (the words stay exactly the caption's)."""
        width_in = ax.get_position().width * self.root.get_figwidth()
        chars = max(24, int(width_in * 72 / (style.FONT["caption"] * 0.56)))
        return "\n".join(textwrap.wrap(caption, chars, break_long_words=False, break_on_hyphens=False)) or caption

    def _divergence(self, ax, t: Track, counts: np.ndarray, *, overlay: bool, tracks: list[Track]) -> None:
        if not np.any(t.diverged_at >= 0):
            return
        div = t.diverged_at
        shown = (div[:, None] >= 0) & (self.frame_steps[None, :] >= div[:, None])  # (M, F)
        if not t.batched:
            last = t.path[0, t.n_valid[0] - 1]
            mark, = ax.plot([last[0]], [last[1]], marker="X", ms=9, color=self.th.diverged, mec=self.th.head_edge,
                            mew=0.8, ls="none", zorder=style.Z["divergence"])
            self._add(Mark(mark, last, shown[0]), ax)
            text = f"diverged at step {int(div[0])}" if not overlay else f"{t.short} diverged at step {int(div[0])}"
            strings = [text if s else "" for s in shown[0]]
        else:
            n = shown.sum(axis=0)
            strings = [f"{c}/{t.members} diverged" if c else "" for c in n]
        slot = [u for u in tracks if np.any(u.diverged_at >= 0)].index(t) if overlay else 0
        txt = ax.text(0.5, 0.955 - 0.085 * slot, "", transform=ax.transAxes, ha="center", va="top",
                      fontsize=style.FONT["note"] + 0.5, color=self.th.diverged, fontweight="bold",
                      zorder=style.Z["note"],
                      bbox=dict(boxstyle="round,pad=0.25", fc=self.th.box, ec=self.th.diverged, lw=0.6, alpha=0.92))
        txt.set_in_layout(False)
        self._add(Label(txt, strings), ax)

    # -- internals -----------------------------------------------------------------------------------------
    def _internal_steps(self, t: Track) -> tuple[np.ndarray, np.ndarray]:
        """Per frame: the step whose gradient/update is shown (the one leaving the head), and whether to show."""
        n = len(t.grads)
        at = np.minimum(self.idx, n - 1)
        ok = self.idx < t.n_valid[0]  # no state to show once a path has diverged
        return at, ok

    def _arrows(self, ax, t: Track) -> float:
        from matplotlib.patches import FancyArrowPatch

        (x0, x1), (y0, y1) = self.surface.domain
        span = min(x1 - x0, y1 - y0)
        at, ok = self._internal_steps(t)
        head = t.path[0, np.minimum(self.idx, t.n_valid[0] - 1)]
        g = t.grads[at]
        u = t.updates[at]
        gn = np.linalg.norm(g, axis=1, keepdims=True)
        d = -g / np.where(gn > 0, gn, np.nan)  # steepest descent, unit length: direction only
        gseg = np.concatenate([head, head + 0.16 * span * d], axis=1)
        valid_u = np.linalg.norm(t.updates[: max(1, t.n_valid[0] - 1)], axis=1)
        umax = float(np.nanmax(valid_u)) if valid_u.size and np.nanmax(valid_u) > 0 else 1.0
        gain = 0.3 * span / umax  # the largest step of the run is drawn 30% of the map's short side long
        useg = np.concatenate([head, head + gain * u], axis=1)
        gseg[~ok] = np.nan
        useg[~ok] = np.nan
        for seg, color, lw, ls in ((gseg, self.th.arrow, 1.1, (0, (2.5, 1.5))), (useg, t.color, 1.7, "-")):
            patch = FancyArrowPatch((0, 0), (1, 1), arrowstyle="-|>", mutation_scale=9, lw=lw, color=color,
                                    linestyle=ls, zorder=7, shrinkA=0, shrinkB=0)
            ax.add_patch(patch)
            self._add(Arrow(patch, seg), ax)
        return gain

    def _internals(self, ax, t: Track) -> None:
        """The gradient direction, the update (magnified), and the per-coordinate effective step |Δ_i| / |g_i|."""
        from matplotlib.patches import FancyBboxPatch, Rectangle

        gain = self._arrows(ax, t)
        at, ok = self._internal_steps(t)
        g = np.abs(t.grads)
        u = np.abs(t.updates)
        with np.errstate(divide="ignore", invalid="ignore"):
            eff = np.where(g > 1e-30, u / g, np.nan)  # (n_steps, 2): the learning rate each coordinate really got
        lo, hi = self._eff_range
        box = (0.60, 0.035, 0.385, 0.25)  # axes fraction: x, y, w, h
        bx, by, bw, bh = box
        ax.add_patch(FancyBboxPatch((bx, by), bw, bh, boxstyle="round,pad=0.005", transform=ax.transAxes,
                                    fc=self.th.box, ec="#999999", lw=0.5, alpha=0.9, zorder=8))
        ax.text(bx + 0.02, by + bh - 0.02, "effective lr |Δᵢ|/|gᵢ|", transform=ax.transAxes, ha="left", va="top",
                fontsize=style.FONT["note"] - 1, color=self.th.muted, zorder=9).set_in_layout(False)
        bar_x0, bar_w = bx + 0.055, bw - 0.16
        ax.text(bar_x0, by + 0.012, _fmt(lo), transform=ax.transAxes, ha="left", va="bottom",
                fontsize=style.FONT["note"] - 2, color=self.th.muted, zorder=9).set_in_layout(False)
        ax.text(bar_x0 + bar_w, by + 0.012, _fmt(hi), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=style.FONT["note"] - 2, color=self.th.muted, zorder=9).set_in_layout(False)
        # the coordinates' own names where they fit the inset (long ones, like "PC1 (96% var)", do not)
        names = [a if len(a) <= 4 else d for a, d in zip(self.axis_labels, ("x", "y"))]
        for i, (name, yy) in enumerate(((names[0], by + bh * 0.52), (names[1], by + bh * 0.3))):
            ax.text(bx + 0.012, yy + 0.025, name, transform=ax.transAxes, ha="left", va="center",
                    fontsize=style.FONT["note"] - 0.5, color=self.th.text, zorder=9, style="italic").set_in_layout(False)
            ax.add_patch(Rectangle((bar_x0, yy), bar_w, 0.05, transform=ax.transAxes, fc=self.th.grid, ec="none",
                                   zorder=9))
            vals = eff[at, i]
            # hold the last defined value where the gradient component vanished
            vals = _ffill(vals)
            frac = np.clip((np.log10(vals) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)), 0.02, 1.0)
            widths = np.where(ok & np.isfinite(frac), frac * bar_w, np.nan)
            rect = Rectangle((bar_x0, yy), 0.0, 0.05, transform=ax.transAxes, fc=t.color, ec="none", zorder=10)
            ax.add_patch(rect)
            self._add(Bar(rect, widths), ax)
            value = ax.text(bx + bw - 0.012, yy + 0.025, "", transform=ax.transAxes, ha="right", va="center",
                            fontsize=style.FONT["note"] - 1.5, color=self.th.text, zorder=10)
            lab = Label(value, [_fmt(v) if ok_ and np.isfinite(v) else "" for v, ok_ in zip(vals, ok)])
            lab.cacheable = True  # few distinct values, drawn on the static inset before anything moves over it
            self._add(lab, ax)
        note = ax.text(0.015, 0.02, f"- - −∇f direction   ─▶ step ×{gain:.3g}", transform=ax.transAxes, ha="left",
                       va="bottom", fontsize=style.FONT["note"] - 1.5, color=self.th.muted, zorder=9)
        note.set_in_layout(False)

    @property
    def _eff_range(self) -> tuple[float, float]:
        """One log range shared by every panel, so bar lengths compare across optimizers."""
        if not hasattr(self, "_eff"):
            vals = []
            for t in self.tracks:
                if t.grads is None:
                    continue
                g, u = np.abs(t.grads), np.abs(t.updates)
                with np.errstate(divide="ignore", invalid="ignore"):
                    e = np.where(g > 1e-30, u / g, np.nan)[: max(1, t.n_valid[0] - 1)]
                vals.append(e[np.isfinite(e) & (e > 0)])
            v = np.concatenate(vals) if vals else np.array([1e-3, 1.0])
            if v.size == 0:
                v = np.array([1e-3, 1.0])
            # 2nd-98th percentile: a near-zero gradient component makes |Δ|/|g| explode for a step or two
            lo = 10 ** math.floor(math.log10(np.percentile(v, 2)))
            hi = 10 ** math.ceil(math.log10(np.percentile(v, 98)))
            self._eff = (lo, hi if hi > lo else lo * 10)
        return self._eff

    # -- 3D --------------------------------------------------------------------------------------------------
    def _zmap(self):
        """Height of a loss in the 3D view: the loss itself, or its log for surfaces drawn with log levels."""
        if not hasattr(self, "_zfn"):
            z = self.Z[np.isfinite(self.Z)]
            zmin, zmax = float(z.min()), float(z.max())
            if self.level_kind == "log":
                eps = (zmax - zmin) * 1e-4

                def f(v):
                    return np.log10(np.maximum(np.asarray(v, float) - zmin, 0.0) + eps)

                self._zfn, self._zlabel = f, "log₁₀(loss − min)"
            else:
                self._zfn, self._zlabel = (lambda v: np.asarray(v, float)), "loss"
        return self._zfn, self._zlabel

    def _path_z(self) -> tuple[float, float] | None:
        """The range of heights (in the 3D view's z) the drawn paths visit, or None if none is finite."""
        zf, _ = self._zmap()
        vals = [zf(t.loss[m, : int(t.n_valid[m])]) for t in self.tracks for m in range(t.members)]
        v = np.concatenate([np.ravel(x) for x in vals]) if vals else np.array([])
        v = v[np.isfinite(v)]
        return (float(v.min()), float(v.max())) if v.size else None

    def _surface3d(self, ax, tracks: list[Track], first_col: bool) -> None:
        s = self.surface
        zf, zlabel = self._zmap()
        X, Y, Z = s.grid(GRID_N_3D, exact=False)
        facets = min(X.shape[0], 64), min(X.shape[1], 64)  # a carried grid as it is, unless it is very fine
        Zt = zf(np.where(np.isfinite(Z), Z, np.nanmax(Z[np.isfinite(Z)])))
        floor, top = float(np.nanmin(Zt)), float(np.nanmax(Zt))
        # the walls far above every path squash the descent into a flat line at the bottom: cut them at a
        # little above the highest point a path visits, and say so on the axis
        seen = self._path_z()
        cut = None
        if seen is not None and seen[1] < floor + 0.6 * (top - floor):
            cut = seen[1] + 0.12 * max(seen[1] - floor, 1e-12)
            Zt = np.minimum(Zt, cut)  # the walls end in a flat top just above the highest point a path visits
        ax.plot_surface(X, Y, Zt, cmap=self.th.surface_cmap(), linewidth=0.12, edgecolor=self.th.mesh_edge,
                        antialiased=True, rcount=facets[0], ccount=facets[1], alpha=1.0, shade=False,
                        vmin=floor, vmax=cut if cut is not None else top)
        if cut is not None:
            ax.set_zlim(floor, cut)
            note = ax.text2D(0.0, 1.0, "walls cut above the paths' height", transform=ax.transAxes, ha="left",
                             va="top", fontsize=style.FONT["note"] - 1, color=self.th.muted, style="italic")
            note.set_in_layout(False)
        ax.computed_zorder = False  # the paths always ride on top, in full draws as in the fast frames
        ax.view_init(elev=38, azim=-62)
        ax.set_xlabel(self.axis_labels[0], labelpad=-6)
        ax.set_ylabel(self.axis_labels[1], labelpad=-6)
        ax.set_zlabel(zlabel, labelpad=-4, fontsize=style.FONT["tick"])
        ax.tick_params(labelsize=style.FONT["tick"] - 1.5, pad=-2)
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_pane_color((1, 1, 1, 0))
        ax.set_box_aspect((1, max(0.35, min(self.aspect, 1.2)), 0.55), zoom=0.95)
        if self.layout != "overlay":
            ax.set_title(self._wrap(tracks[0].short, ax) if self.view == "3d" else tracks[0].short + " (3D)",
                         fontsize=style.FONT["caption"] + 0.5, pad=0, color=self.th.text)
        for t in tracks:
            counts = self._counts(t)
            for m in range(t.members):
                # a path below the mesh's lowest facet would vanish under it: it rides on the drawn floor
                xyz = np.column_stack([t.path[m], np.maximum(zf(t.loss[m]), floor)])
                line, = ax.plot([], [], [], color=t.color, lw=self.th.lw(1.8 if not t.batched else 0.9), zorder=10,
                                label=_line_label(t, m))
                head, = ax.plot([], [], [], marker=t.marker, ms=6 if not t.batched else 3.5, mfc=t.color,
                                mec=self.th.head_edge, mew=1.0, ls="none", zorder=11)
                self._add(Trace(line, xyz, counts[m], head), ax)
        self._landmarks(ax, tracks, floor=floor)
        self.panels.append(Panel(ax, "3d", tracks))

    # -- loss panel, counter -------------------------------------------------------------------------------
    def _fstar(self) -> tuple[float, str]:
        """The reference the loss panel measures from: the surface's known minimum value f* (the least loss at
        its listed minima) when the runs never go below it, else the best loss any run reached."""
        vals = np.concatenate([t.loss[:, : int(t.n_valid.max())].ravel() for t in self.tracks])
        vals = vals[np.isfinite(vals)]
        best = float(vals.min()) if vals.size else 0.0
        known = None
        # a surface carrying its grid (a network's landscape) is never evaluated again here: best seen it is
        if self.surface.minima and getattr(self.surface, "precomputed_grid", None) is None:
            try:
                known = float(np.min([float(self.surface.value(np.asarray(m, float))) for m in self.surface.minima]))
            except Exception:  # a surface that cannot be evaluated here: fall back to the best seen
                known = None
        if known is not None and math.isfinite(known):
            # float32 rounding lets a run sit a hair below f*; a clearly lower loss means f* is not the minimum
            slack = 1e-5 * max(1.0, abs(known))
            if best >= known - slack:
                return known, "loss − f* (log scale)"
        return best, "loss − best seen (log scale)"

    def _loss(self, ax) -> None:
        ref, ylabel = self._fstar()
        vals = np.concatenate([t.loss[:, : int(t.n_valid.max())].ravel() for t in self.tracks]) - ref
        vals = vals[np.isfinite(vals)]
        pos = vals[vals > 0]
        hi = float(pos.max()) if pos.size else 1.0
        # the gap cannot be resolved below float rounding of the loss itself: that is the axis floor
        eps = np.finfo(np.float32 if self.tracks[0].loss.dtype == np.float32 else np.float64).eps
        resolution = 4 * eps * max(abs(ref), float(np.nanmax(np.abs(vals + ref))) if vals.size else 1.0, 1e-30)
        floor = max(float(pos.min()) if pos.size else hi * 1e-6, resolution, hi * 1e-14)
        ax.set_yscale("log")
        decades = max(1.0, np.log10(hi / floor))
        # the overlay names its runs once, in the figure's legend under every panel; a grid's loss panel carries
        # the legend, with headroom at the top for it (losses fall, so the upper right is where the curves are
        # not): the curves keep the lower (1 - share) of the height, share growing with the legend's rows
        legend = self.layout != "overlay"
        rows = math.ceil(len(self.tracks) / (2 if len(self.tracks) > 3 else 1))
        share = min(0.5, 0.08 + 0.085 * rows) if legend else 0.0
        span = decades * 1.04
        ax.set_ylim(floor / 10 ** (0.04 * decades), floor * 10 ** (span / (1 - share)))
        ax.set_ylabel(ylabel, labelpad=1)
        if self.samples:
            ax.set_xlim(0, max(1, self.n_steps * max(self.samples.values())))
            ax.set_xlabel("data points seen (" + ", ".join(f"{t.short.split(' lr ')[0]} {self.samples[t.label]:g}/step"
                                                           for t in self.tracks) + ")", labelpad=1)
        else:
            ax.set_xlim(0, max(1, self.n_steps))
            ax.set_xlabel("step", labelpad=1)
        ax.set_title("distance to the minimum" if ylabel.startswith("loss − f*") else "loss above the best seen",
                     fontsize=style.FONT["caption"] + 0.5, pad=4, color=self.th.text)
        ax.grid(True, which="major", color=self.th.grid, lw=0.5)
        ax.tick_params(length=2, pad=1.5)
        for sp in ("top", "right"):
            ax.spines[sp].set_visible(False)
        steps = self.steps.astype(float)
        for t in self.tracks:
            y = np.nanmedian(t.loss, axis=0) if t.batched else t.loss[0]
            y = np.maximum(y - ref, floor)  # at the floor: converged as far as the numbers can tell
            counts = np.minimum(self.idx + 1, int(t.n_valid.max()) if t.batched else int(t.n_valid[0]))
            line, = ax.plot([], [], color=t.color, lw=self.th.lw(1.5), ls=t.dashes, dash_capstyle="butt",
                            solid_capstyle="round", zorder=style.Z["path"], label=t.legend)
            head, = ax.plot([], [], marker=t.marker, ms=5, mfc=t.color, mec=self.th.head_edge, mew=0.9, ls="none",
                            zorder=style.Z["head"])
            x = steps * self.samples[t.label] if self.samples else steps
            self._add(Trace(line, np.column_stack([x, y]), counts, head), ax)
        if legend:
            ax.legend(self._handles(self.tracks), [t.legend for t in self.tracks], loc="upper right",
                      ncol=2 if len(self.tracks) > 3 else 1, columnspacing=1.0,
                      fontsize=style.FONT["legend"], handlelength=2.6, borderaxespad=0.3, labelspacing=0.3,
                      frameon=True, framealpha=0.9, edgecolor="none", facecolor=self.th.box)
        self.panels.append(Panel(ax, "loss", self.tracks))

    def _counter(self) -> None:
        """"step  40 / 200" at the top right, one monospace character per text: the digits change, the rest is
        static, and each digit has only ten looks, so the fast renderer pastes them from a cache."""
        from matplotlib.font_manager import FontProperties

        fig = self.fig
        size = style.FONT["counter"]
        prop = FontProperties(family="monospace", size=size)
        renderer = _measuring_renderer(fig)
        adv_px = renderer.get_text_width_height_descent("0" * 10, prop, ismath=False)[0] / 10
        adv = adv_px / fig.bbox.width  # one character, as a fraction of the (sub)figure
        width = len(str(self.n_steps))
        right, y = 0.995, 0.995
        tail = f" / {self.n_steps}"
        kw = dict(va="top", fontproperties=prop, color=self.th.text)
        fig.text(right, y, tail, ha="right", **kw).set_in_layout(False)
        x_digits = right - len(tail) * adv
        fig.text(x_digits - width * adv, y, "step ", ha="right", **kw).set_in_layout(False)
        numbers = [f"{int(s_):>{width}d}" for s_ in self.frame_steps]
        for i in range(width):
            txt = fig.text(x_digits - (width - i - 0.5) * adv, y, "", ha="center", **kw)
            txt.set_in_layout(False)
            lab = Label(txt, [n[i] if n[i] != " " else "" for n in numbers])
            lab.cacheable = True  # outside every axes: nothing moves beneath it
            self._add(lab, None)

    def _add(self, prim: Primitive, ax) -> None:
        for a in prim.artists:
            if hasattr(a, "set_in_layout"):
                a.set_in_layout(False)
        prim.ax = ax
        self.prims.append(prim)


def _measuring_renderer(fig: Any):
    """A renderer to measure text with: the figure's canvas's own (Agg, as pyplot's default backends are), else an
    Agg renderer of the figure's size (a figure of a vector backend)."""
    root = fig.get_figure(root=True)
    get = getattr(root.canvas, "get_renderer", None)
    if get is not None:
        return get()
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(int(root.bbox.width), int(root.bbox.height), root.dpi)


def _line_label(t: Track, member: int) -> str:
    """A path's legend label: the run's, on its first member only (``ax.legend()`` lists each run once)."""
    return t.legend if member == 0 else "_nolegend_"


def _axis_labels(surface: Any) -> tuple[str, str]:
    """The names a surface gives its two coordinates (``Surface.axis_labels``), ("x", "y") by default."""
    labels = getattr(surface, "axis_labels", None) or ("x", "y")
    try:
        a, b = labels
    except (TypeError, ValueError):
        raise InvalidValueError(f"surface {surface.name!r}: axis_labels must be two strings, got {labels!r}") from None
    return str(a), str(b)


def _ffill(v: np.ndarray) -> np.ndarray:
    """Forward-fill NaN (then back-fill the head) so a momentary zero gradient does not blank a bar."""
    v = np.asarray(v, float).copy()
    ok = np.isfinite(v) & (v > 0)
    if not ok.any():
        return v
    idx = np.where(ok, np.arange(len(v)), 0)
    np.maximum.accumulate(idx, out=idx)
    out = v[idx]
    first = int(np.argmax(ok))
    out[:first] = v[first]
    return out
