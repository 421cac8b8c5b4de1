"""``animate``, ``plot`` and ``save``: the public face of the renderer."""
from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, overload

import numpy as np
from matplotlib.animation import FuncAnimation

if TYPE_CHECKING:
    from typing import Unpack

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

    _FigT = TypeVar("_FigT", bound=FigureBase)  # a Figure or a SubFigure: plot(fig=) returns the one it was given

from .. import _check as _checks
from .._atomic import atomic_path, check_target
from ..errors import InvalidTypeError, InvalidValueError, RenderError, UnknownNameError
from . import scene as _scene
from . import writers as _writers
from .progress import Progress

_ids = itertools.count()


class Animation(FuncAnimation):
    """A matplotlib ``FuncAnimation`` over a prepared scene, on a pyplot-managed figure.

    ``anim.scene`` holds the figure and its moving parts; ``anim.fig`` is the figure (pyplot knows it:
    ``plt.show()`` plays the animation, ``plt.savefig()`` writes the last frame, which the figure shows at rest);
    ``anim.fps`` / ``anim.dpi`` are the defaults ``save`` uses. ``anim.save("race.gif")`` takes the fast path of
    ``ov.save`` (the static layer drawn once, only the moving artists per frame); a matplotlib writer *object* or
    writer options (``codec``, ``bitrate``, ``extra_args``, ...) use matplotlib's own, full-redraw saving.

    In Jupyter the animation displays as the interactive HTML player with a PNG still of the last frame beside
    it in the same display (``_repr_mimebundle_``), so a notebook viewed where scripts do not run (GitHub,
    nbviewer) still shows the picture. Displaying it hands the figure over to that display: the figure leaves
    pyplot's list (``plt.close(anim.fig)``), so the inline backend does not show the same figure again as a
    second still at the end of the cell (matplotlib's own ``FuncAnimation`` would be shown twice). An animation
    that is built but not displayed stays in pyplot, like any figure.
    """

    def __init__(self, scene: "_scene.Scene", *, fps: float = 20, dpi: float = 100) -> None:
        self.scene = scene
        self.fps = float(fps)
        self.dpi = float(dpi)
        super().__init__(scene.fig, scene.update, frames=scene.n_frames, interval=1000.0 / self.fps, blit=False,
                         repeat=True, cache_frame_data=False)
        # nothing is lost if this object is never drawn by a GUI loop (saving renders it): no deletion warning
        self._draw_was_started = True

    @property
    def fig(self):
        return self.scene.fig

    @property
    def n_frames(self) -> int:
        return self.scene.n_frames

    def save(self, filename, writer=None, fps=None, dpi=None, *args, **kwargs):  # noqa: D401
        """``ov.save(self, filename)``. A writer *name* (``"pillow"``, ``"ffmpeg"``, ``"imagemagick"``, as
        sphinx-gallery passes) also takes the fast path when optiviz writes that suffix; a matplotlib writer
        object or any of matplotlib's other options use matplotlib's save."""
        fast = writer is None or (isinstance(writer, str) and _suffix(Path(os.fspath(filename))) in
                                  _writers.registry.names())
        if fast and not args and not kwargs:
            return save(self, filename, fps=fps, dpi=dpi)
        return super().save(filename, writer, fps, dpi, *args, **kwargs)

    def to_html(self, *, fps: float | None = None, dpi: float | None = None, element_id: str | None = None) -> str:
        """The HTML player as a fragment (what Jupyter shows)."""
        return self._display(fps, dpi, element_id, png=False)["text/html"]

    def to_png(self, *, dpi: float | None = None) -> bytes:
        """The last frame as PNG bytes (the still a notebook keeps beside the player)."""
        return self._display(None, dpi, None, html=False)["image/png"]

    def _display(self, fps: float | None, dpi: float | None, element_id: str | None, *, html: bool = True,
                 png: bool = True) -> dict[str, Any]:
        import io

        from PIL import Image

        from . import html as _html
        from .frames import FrameRenderer

        out: dict[str, Any] = {}
        with FrameRenderer(self.scene, dpi or self.dpi) as fr:
            if html:
                data = _html.player_data(fr, fps or self.fps)
                data["autoplay"] = False
                out["text/html"] = _html.fragment(data, element_id or f"optiviz-player-{os.getpid()}-{next(_ids)}")
            if png:
                rgba = fr.render(self.scene.n_frames - 1)
                buf = io.BytesIO()
                Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB").save(buf, format="PNG", optimize=True)
                out["image/png"] = buf.getvalue()
        return out

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Jupyter's display: the HTML player (``text/html``) and a PNG still of the last frame (``image/png``);
        the figure then leaves pyplot (see the class docstring)."""
        want = [m for m in ("text/html", "image/png") if (include is None or m in include)
                and not (exclude and m in exclude)]
        out = self._display(None, None, None, html="text/html" in want, png="image/png" in want) if want else {}
        _hand_over(self.fig)
        return out

    def _repr_html_(self) -> str:
        """The player alone (for tools that ask for HTML only, as sphinx-gallery does); the figure then leaves
        pyplot, as with ``_repr_mimebundle_``."""
        out = self.to_html()
        _hand_over(self.fig)
        return out

    def __repr__(self) -> str:
        return (f"<optiviz Animation: {self.scene.layout} {self.scene.view}, {self.scene.n_frames} frames, "
                f"{len(self.scene.tracks)} runs>")


def _hand_over(fig: Any) -> None:
    """Take a displayed animation's figure out of pyplot's list (nothing else shows it a second time)."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        if fig.canvas.manager is not None and plt.fignum_exists(fig.canvas.manager.num):
            plt.close(fig)


def _overlay_axes(ax: Any) -> None:
    if getattr(ax, "name", "") == "3d":
        raise InvalidValueError("ax= draws a contour overlay; give a 2D axes (or fig= for a 3D view)")


def check_text(text: Any, what: str) -> str | None:
    """``text`` (a title or a label) as matplotlib will draw it, or a one-line ``InvalidValueError`` now.

    A string with an even number of unescaped ``$`` is mathtext, which matplotlib parses only when it draws,
    after the whole run: it is parsed here, with matplotlib's own parser, so ``'$x^$'`` fails before any work.
    """
    if text is None:
        return None
    text = _checks.text(text, what, max_length=1000)
    from matplotlib import cbook
    from matplotlib.mathtext import MathTextParser

    if cbook.is_math_text(text):
        try:
            MathTextParser("path").parse(text, dpi=72)
        except ValueError as exc:
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()][-1:] or ["cannot be parsed"]
            why = lines[0].split("Exception: ", 1)[-1].split(", found")[0]
            raise InvalidValueError(f"{what} {_checks.show(text)} is not valid mathtext ({_checks.clip(why, 60)}); "
                                    r"escape a literal dollar sign as \$") from None
    return text


def _check_labels(sc: "_scene.Scene") -> None:
    """The captions and labels a scene draws, checked before any frame is drawn (they may be the user's)."""
    for t in sc.tracks:
        check_text(t.label, "the label")
        check_text(t.caption, "the caption")


def _opts(layout, view, internals, frames, fps, dpi, size, loss_panel, title, style, pace=True, samples=None,
          cmap=None):
    check_text(title, "title")
    frames = _checks.whole(frames, "frames", lo=1, limit_name="frames")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (0 < fps <= 100):
        raise InvalidValueError(f"fps must be a number in (0, 100], got {fps!r}")
    from .style import check_style

    check_style(style)
    return dict(layout=layout, view=view, internals=bool(internals), frames=frames, dpi=dpi, size=size,
                loss_panel=bool(loss_panel), title=title, theme=style, pace=bool(pace), samples=samples, cmap=cmap)


def animate(runs: Any, surface: Any = None, *, layout: str = "grid", view: str = "contour", internals: bool = False,
            frames: int = 200, fps: float = 20, dpi: float | None = None, size: Any = None, loss_panel: bool = True,
            title: str | None = None, style: str | None = None, pace: bool = True, samples: Any = None,
            cmap: Any = None, ax: Any = None, fig: Any = None) -> Animation:
    """Animate recorded runs: every path and loss curve growing together, frame by frame.

    ``runs``: the result of ``ov.run`` (``surface`` defaults to ``runs.surface``). ``layout``: ``"grid"`` (a
    panel per run on the same contour map, all synchronized) or ``"overlay"`` (all paths on one map, with a
    legend of captions). ``view``: ``"contour"``, ``"3d"`` (the path riding on the surface) or ``"both"``.
    ``internals`` (runs recorded with ``internals=True``): the descent direction, the step taken (magnified) and
    each coordinate's effective learning rate ``|Δᵢ|/|gᵢ|`` as bars on one log scale. ``frames`` evenly sample the
    recorded steps; ``size`` is (w, h) inches or ``"WxH"`` pixels; ``loss_panel`` adds the loss gap to the
    surface's known minimum f* (else to the best loss seen) vs step, on a log axis.
    Diverged runs are drawn up to the divergence and marked "diverged at step k".
    ``frames`` is at most this many: with ``pace`` (default) frames are spent where the paths move and the
    animation jumps to the last step once every path has settled or diverged (the counter shows the real step);
    ``pace=False`` samples the steps evenly. ``style``: ``"light"``, ``"dark"`` or ``"paper"``; by default the
    light look, keeping any rcParams you set yourself (``plt.style.context``). ``samples``: the data points each
    step touches (a number, or label -> number, e.g. ``{"gd": 64, "sgd": 8}``): the loss panel is then drawn
    against data points seen, the fair axis for full-batch against minibatch methods.

    matplotlib's conventions: ``fig`` (a ``Figure`` or a ``SubFigure``, e.g. one of ``plt.figure().subfigures(1,
    2)``) draws the scene into it instead of a new pyplot figure; ``ax`` (an ``Axes``) animates the overlay of
    all paths in it (no loss panel, no counter). ``cmap``: the map's colormap (a name or a ``Colormap``; default:
    your ``image.cmap`` when you set one, else a neutral ramp the paths stand out on). Your rcParams are kept:
    ``axes.prop_cycle`` (the paths' colours, when you changed it from matplotlib's; else the colour-blind-safe
    house palette), ``lines.linewidth``, and the page colours of a ``plt.style.context`` (with no ``style``
    named). Every path is labelled with its run's label, so ``ax.legend()`` works. ``dpi`` defaults to the
    figure's own with ``fig``/``ax``, else 100. The figure is pyplot's (see :class:`Animation`).
    """
    opts = _opts(layout, view, internals, frames, fps, dpi, size, loss_panel, title, style, pace, samples, cmap)
    if ax is not None:
        _overlay_axes(ax)
        opts.update(layout="overlay", view="contour", loss_panel=False)
    sc = _scene.build(runs, surface, ax=ax, fig=fig, **opts)
    _check_labels(sc)
    sc.update(sc.n_frames - 1)  # at rest the figure shows the whole race (plt.savefig, a still in a notebook)
    return Animation(sc, fps=fps, dpi=sc.dpi)


class _PlotOptions(TypedDict, total=False):
    """``plot``'s options that do not change what it returns (its overloads share them)."""

    internals: bool
    dpi: float | None
    size: Any
    title: str | None
    style: str | None
    samples: Any
    cmap: Any


# What plot returns, for a type checker: the Axes given; the Figure or SubFigure given; the map's Axes for a lone
# overlay of one panel (no loss panel); else the new Figure.
@overload
def plot(runs: Any, surface: Any, ax: "Axes", *, layout: str = ..., view: str = ..., loss_panel: bool = ...,
         fig: None = ..., **options: "Unpack[_PlotOptions]") -> "Axes": ...
@overload
def plot(runs: Any, surface: Any = ..., *, ax: "Axes", layout: str = ..., view: str = ..., loss_panel: bool = ...,
         fig: None = ..., **options: "Unpack[_PlotOptions]") -> "Axes": ...
@overload
def plot(runs: Any, surface: Any = ..., ax: None = ..., *, layout: str = ..., view: str = ..., loss_panel: bool = ...,
         fig: "_FigT", **options: "Unpack[_PlotOptions]") -> "_FigT": ...
@overload
def plot(runs: Any, surface: Any = ..., ax: None = ..., *, layout: Literal["overlay"],
         view: Literal["contour", "3d"] = ..., loss_panel: Literal[False], fig: None = ...,
         **options: "Unpack[_PlotOptions]") -> "Axes": ...
@overload
def plot(runs: Any, surface: Any = ..., ax: None = ..., *, layout: str = ..., view: str = ...,
         loss_panel: Literal[True] = ..., fig: None = ..., **options: "Unpack[_PlotOptions]") -> "Figure": ...
@overload
def plot(runs: Any, surface: Any = ..., ax: None = ..., *, layout: Literal["grid"] = ..., view: str = ...,
         loss_panel: bool = ..., fig: None = ..., **options: "Unpack[_PlotOptions]") -> "Figure": ...
@overload
def plot(runs: Any, surface: Any = ..., ax: None = ..., *, layout: str = ..., view: Literal["both"],
         loss_panel: bool = ..., fig: None = ..., **options: "Unpack[_PlotOptions]") -> "Figure": ...
@overload
def plot(runs: Any, surface: Any = ..., ax: None = ..., *, layout: str = ..., view: str = ..., loss_panel: bool = ...,
         fig: None = ..., **options: "Unpack[_PlotOptions]") -> "Figure | Axes": ...
def plot(runs: Any, surface: Any = None, ax: "Axes | None" = None, *, layout: str = "grid", view: str = "contour",
         internals: bool = False, dpi: float | None = None, size: Any = None, loss_panel: bool = True,
         title: str | None = None, style: str | None = None, samples: Any = None, cmap: Any = None,
         fig: "FigureBase | None" = None) -> "Figure | FigureBase | Axes":
    """The same scene as one still image: the final frame of ``animate`` (the same options, including ``cmap``
    and the rcParams it keeps), on a new pyplot figure.

    Returns the ``Figure`` when drawn on a new figure (a grid, or an overlay with its loss panel), and the
    ``Axes`` for a lone overlay (``loss_panel=False``). With ``ax`` given, the overlay of all paths is drawn onto
    that ``Axes`` (its legend included) and it is returned; with ``fig`` (a ``Figure`` or a ``SubFigure``), the
    whole scene is drawn into it and it is returned. Every path carries its run's label (``ax.legend()``).
    """
    opts = _opts(layout, view, internals, 2, 20, dpi, size, loss_panel, title, style, pace=False, samples=samples,
                 cmap=cmap)
    if ax is not None:
        _overlay_axes(ax)
        opts.update(layout="overlay", view="contour", loss_panel=False)
    sc = _scene.build(runs, surface, ax=ax, fig=fig, **opts)
    _check_labels(sc)
    sc.update(sc.n_frames - 1)
    if ax is not None:
        return ax
    if fig is not None:
        return fig
    contour = [p.ax for p in sc.panels if p.kind != "loss"]
    if layout == "overlay" and len(contour) == 1 and not loss_panel:
        return contour[0]
    return sc.fig


# ------------------------------------------------------------------------------------------------- save

def _suffix(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def writer_for(path: "str | os.PathLike[str]") -> "_writers.Writer":
    """The writer a path's suffix selects (``UnknownNameError`` with did-you-mean otherwise)."""
    import difflib

    p = Path(path)
    suffix = _suffix(p)
    names = _writers.registry.names()
    if not suffix:
        raise UnknownNameError(f"{p.name!r} has no suffix; name the format: {', '.join('.' + n for n in names)}")
    try:
        return _writers.registry.get(suffix)
    except UnknownNameError:
        close = difflib.get_close_matches(suffix, names, n=3, cutoff=0.5)
        hint = ("did you mean " + " or ".join(f"'.{c}'" for c in close) + "?") if close else \
            "choose from " + ", ".join("." + n for n in names)
        raise UnknownNameError(f"unknown output format '.{suffix}' for {p.name}; {hint}") from None


def check_output(path: "str | os.PathLike[str]", *, animated: bool = True) -> Path:
    """Fail fast, before any work, on what would make ``save(..., path)`` fail: an unknown format, a missing or
    unwritable folder, a missing encoder. Returns the path. (The CLI calls this before running the engine.)"""
    try:
        p = _checks.expand_user(path)
    except TypeError:
        raise InvalidTypeError(f"an output path must be a string or a path, got {_checks.show(path)}") from None
    w = writer_for(p)
    if animated is False and not w.stills:
        raise RenderError(f"a still picture cannot be saved as .{w.name}")
    check_target(p)
    if w.check is not None:
        w.check()
    return p


def save(anim_or_figure: Any, path: "str | os.PathLike[str]", *, fps: float | None = None, dpi: float | None = None,
         progress: bool | None = None, quiet: bool = False) -> Path:
    """Write an animation (or a still figure/axes) to ``path``; the suffix picks the format.

    ``.gif`` (Pillow; one fixed palette that keeps every path colour), ``.mp4`` (ffmpeg from the ``mp4`` extra),
    ``.html`` (a self-contained player: one background image, the paths animated in the page), ``.png`` (the
    final frame), ``.svg``/``.pdf`` (the final frame, vector). The file appears all at once: it is written to a
    temporary file in the same folder and renamed, and nothing is left behind on an error or Ctrl-C.
    ``progress``: a bar on stderr (default: only on a terminal, for renders expected to take over ~2 s).
    Returns the path written.
    """
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

    src = anim_or_figure
    if isinstance(src, (Axes, FigureBase)):  # an axes or a subfigure: the figure it is drawn in
        src = src.get_figure(root=True)
    is_anim = isinstance(src, Animation)
    if not is_anim and not isinstance(src, Figure):
        raise InvalidValueError(f"save takes what ov.animate or ov.plot returned, got {type(src).__name__}")
    p = check_output(path, animated=is_anim)
    w = writer_for(p)
    if fps is None:
        fps = src.fps if is_anim else 20.0
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (0 < fps <= 100):
        raise InvalidValueError(f"fps must be a number in (0, 100], got {fps!r}")
    if dpi is None:
        dpi = src.dpi
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not (10 <= dpi <= 600):
        raise InvalidValueError(f"dpi must be a number from 10 to 600, got {dpi!r}")
    total = src.scene.n_frames if is_anim and w.animates else 1
    bar = Progress(total, label=f"writing {p.name}", mode=progress, quiet=quiet)
    with bar, atomic_path(p) as tmp:  # an OSError while writing (disk full) is RunFailure: exit 1, nothing left
        w.write(src, tmp, _writers.Options(float(fps), float(dpi), bar))
    return p


def close(obj: Any) -> None:
    """Free the figure behind an animation or a figure (long in-process sessions, servers, tests); anything else
    is left alone."""
    fig = getattr(obj, "fig", None) or getattr(obj, "figure", None) or obj
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        try:
            plt.close(fig)
        except Exception:  # not a figure: nothing to free
            pass
