"""One visual language for every picture optiviz draws: labels, colours, line styles, layers and themes.

Every figure (races, 3D views, network figures, gallery stills) takes its look from here, so a reader who has
learnt one picture can read the next in five seconds:

- **Labels** (:func:`label`) are short: the optimizer's name, its learning rate to two significant figures and
  only the hyperparameters that differ from its defaults, plus how the rate was chosen when the race says so
  (``"Adam lr 0.05 (tuned)"``). The full configuration goes into the file's metadata (:func:`config`).
- **Colours** come from the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), ordered so that
  every pair of the default race's colours stays far apart in CIELAB, also under simulated deuteranopia and
  protanopia (the tests measure it). Each optimizer also has its own **line style** and **head marker**, so a
  grey-scale print still separates them (:func:`look`, :func:`assign`).
- **Layers** (:data:`Z`): contours at the bottom, then paths, then the current positions, then start and minima
  (minima hollow, so a path arriving under them stays visible), then text.
- **Themes** (:func:`context`): ``light`` (default), ``dark`` and ``paper`` (white, print-safe, vector-friendly
  text). With no theme named, rcParams the user already set (a ``plt.style.context``) are left as they are, and
  the colours rcParams has no key for (contour ramp, rings, boxes) derive from the page colours in force.
- **The user's rcParams for lines and maps** win in every theme when they are set: ``axes.prop_cycle`` (path
  colours, in run order), ``lines.linewidth`` (path widths scale to it) and ``image.cmap`` (the map).
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

# --------------------------------------------------------------------------------------------- palette

# Okabe & Ito (2008). Yellow is left out of the path colours: it vanishes on a pale background.
BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY, BLACK, YELLOW = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")

#: path colours in the order they are handed out; the first five are the set of five Okabe-Ito colours
#: whose smallest pairwise CIELAB distance is largest in normal vision, deuteranopia and protanopia alike
#: (orange and vermillion, nearly one colour to a deuteranope, are never both in the default race)
CYCLE = (BLACK, VERMILLION, BLUE, GREEN, SKY, ORANGE, PURPLE)

#: dash patterns (in line widths, as matplotlib scales them), one per slot of the cycle: a grey-scale print or a
#: reader who cannot tell the colours apart still separates the lines
DASHES: tuple[Any, ...] = ("-", (0, (5.0, 1.6)), (0, (1.0, 1.4)), (0, (6.0, 1.5, 1.2, 1.5)), (0, (2.6, 1.4)),
                           (0, (8.0, 1.6, 1.2, 1.6, 1.2, 1.6)), (0, (3.5, 1.2, 3.5, 3.5)))
#: the marker of a path's current position, one shape per slot
MARKERS = ("o", "^", "s", "D", "v", "P", "X")

#: each well-known optimizer's slot, so "adam" looks the same in every picture a course shows
SLOT = {"gd": 0, "sgd": 0, "momentum": 1, "nesterov": 1, "adam": 2, "adamw": 2, "nadam": 2, "amsgrad": 2,
        "adamax": 2, "rmsprop": 3, "adagrad": 4, "adadelta": 5, "lion": 6}

#: display names (as the literature writes them); anything else keeps its registered name
DISPLAY = {"gd": "GD", "sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adam": "Adam",
           "adamw": "AdamW", "nadam": "NAdam", "amsgrad": "AMSGrad", "adamax": "Adamax", "rmsprop": "RMSProp",
           "adagrad": "Adagrad", "adadelta": "Adadelta", "lion": "Lion", "radam": "RAdam"}

#: hyperparameter names as a label shows them (the long ones shortened)
SHORT_HP = {"initial_accumulator_value": "acc0", "bias_correction": "bias corr", "eps_in_sqrt": "eps in sqrt",
            "weight_decay": "wd", "momentum": "mom", "decoupled_weight_decay": "decoupled wd"}

# Kept names (figures of their own use them): text and accents of the light theme.
TEXT = "#222222"
MUTED = "#555555"
DIVERGED = "#C00000"
GRAD_ARROW = "#111111"
MINIMUM = "#222222"
START = "#FFFFFF"
BY_NAME = {name: CYCLE[slot] for name, slot in SLOT.items()}

FONT = {"title": 9.0, "caption": 8.0, "label": 8.5, "tick": 7.5, "legend": 7.5, "counter": 10.0, "note": 7.5}

#: z-orders: what must never be hidden is drawn last. Contours < paths < current positions < start/minima < text.
Z = {"contour": 1, "path": 5, "head": 6, "marker": 8, "divergence": 9, "note": 10}

#: the width of a path alone in its panel (others are drawn relative to it); a ``lines.linewidth`` the user set
#: takes its place (:meth:`Theme.lw`)
PATH_LW = 1.9

#: the longest label :func:`label` makes for a built-in optimizer with two changed hyperparameters
LABEL_MAX = 40


@dataclass(frozen=True)
class Look:
    """How one run is drawn: colour, dash pattern (for lines sharing an axes) and current-position marker."""

    color: str
    dashes: Any
    marker: str


def look(slot: int, theme: "Theme | None" = None) -> Look:
    """The look of palette slot ``slot`` (cycling past the seventh)."""
    th = theme or THEMES["light"]
    i = slot % len(CYCLE)
    color = th.swap.get(CYCLE[i], CYCLE[i])
    return Look(color, DASHES[i % len(DASHES)], MARKERS[i % len(MARKERS)])


def assign(names: Iterable[str], theme: "Theme | None" = None) -> list[Look]:
    """One look per run: the optimizer's own slot the first time its name appears, then unused slots in order.

    The colours are the house palette (:data:`CYCLE`), unless the user set their own ``axes.prop_cycle`` (the
    theme carries it, see :func:`context`): then the runs take its colours in order, as matplotlib's lines do,
    and keep the house dash patterns and markers."""
    out: list[Look] = []
    used: set[int] = set()
    for name in names:
        slot = SLOT.get(name)
        if slot is None or slot in used:
            slot = next((i for i in range(len(CYCLE)) if i not in used), len(out))
        used.add(slot % len(CYCLE))
        lk = look(slot, theme)
        if theme is not None and theme.cycle:
            lk = Look(theme.cycle[len(out) % len(theme.cycle)], lk.dashes, lk.marker)
        out.append(lk)
    return out


def assign_colors(names: Iterable[str], theme: "Theme | None" = None) -> list[str]:
    """One colour per run (see :func:`assign`)."""
    return [lk.color for lk in assign(names, theme)]


# ----------------------------------------------------------------------------------------------- labels

def num(v: float) -> str:
    """A number to two significant figures, without exponent between 1e-3 and 1e4 (``0.018``, ``0.1``, ``3e-05``)."""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    a = abs(v)
    if 1e-3 <= a < 1e4:
        s = f"{v:.2g}"
        if "e" in s:  # 1.2e+02 -> 120
            s = f"{float(s):.0f}"
        return s
    m, e = f"{v:.1e}".split("e")
    m = m.rstrip("0").rstrip(".")
    return f"{m}e{int(e)}"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, (int, float)):
        return num(v)
    name = getattr(v, "name", None)  # a schedule: its kind and its first rate
    lr = getattr(v, "lr", None)
    if name is not None and lr is not None:
        return f"{num(lr)} {name}"
    return str(v)


def _spec_of(obj: Any) -> Any:
    return getattr(obj, "spec", None) if not hasattr(obj, "hparams") else obj


def display_name(name: str) -> str:
    return DISPLAY.get(name, name)


def label(spec: Any, how: str | None = None) -> str:
    """The short label of an optimizer: name, lr to 2 significant figures, only the non-default hyperparameters,
    and how the lr was chosen when the race says so.

    ``spec``: an ``OptimizerSpec``, or anything with a ``.spec`` (a ``Trajectory``, a ``TuneResult``), or a plain
    label. ``how``: ``"tuned"``, ``"0.5 of stability limit"``, ... appended in parentheses.

    >>> label(ov.optimizers.spec("rmsprop", lr=0.01, decay=0.99))
    'RMSProp lr 0.01 decay 0.99'
    >>> label(ov.optimizers.spec("adam", lr=0.05), how="tuned")
    'Adam lr 0.05 (tuned)'
    """
    s = _spec_of(spec)
    if s is None:
        base = str(getattr(spec, "label", spec))
    else:
        from .. import optimizers as _opt

        try:
            defaults = _opt.get(s.name).defaults
        except Exception:  # an optimizer unregistered since: every value counts as changed
            defaults = {}
        parts = [display_name(s.name)]
        hp = dict(s.hparams)
        if "lr" in hp:
            parts.append(f"lr {_value(hp.pop('lr'))}")
        for k, v in hp.items():
            d = defaults.get(k, object())
            if not _same(v, d):
                parts.append(f"{SHORT_HP.get(k, k)} {_value(v)}")
        default_noise = 0.0 if not getattr(_opt.get(s.name), "stochastic", False) else None
        if s.noise and default_noise is not None:
            parts.append(f"noise {num(s.noise)}")
        base = " ".join(parts)
    return f"{base} ({how})" if how else base


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    except (TypeError, ValueError):
        return a == b


def run_label(traj: Any) -> str:
    """The label of a recorded run: a label the user chose is kept and followed by the short optimizer label
    (``"constant: SGD lr 0.15"``); an automatic one becomes :func:`label` plus what the run's ``how`` says."""
    s = getattr(traj, "spec", None)
    given = str(getattr(traj, "label", "") or "")
    how = getattr(traj, "how", None)
    if how is None and "(tuned" in str(getattr(traj, "caption", "")):  # the command line's --tune says so there
        how = "tuned"
    if s is None:
        return f"{given} ({how})" if how else given
    if given == display_name(s.name) or given.startswith(display_name(s.name) + " "):
        return given  # already a label in this language (a gallery script called label() itself)
    short = label(s, how)
    auto = given == s.name or given.startswith(s.name + "(") or given.startswith(s.name + "#") or not given
    return short if auto else f"{given}: {short}"


def config(traj: Any) -> str:
    """The full configuration of a run, every hyperparameter as used (what file metadata and --verbose carry)."""
    cap = getattr(traj, "caption", None)
    lab = getattr(traj, "label", None)
    if cap and lab and not (cap == str(lab) or cap.startswith(f"{lab} ")):
        return f"{lab}: {cap}"
    return str(cap or lab or traj)


# ----------------------------------------------------------------------------------------------- themes

@dataclass(frozen=True)
class Theme:
    """A named look: rcParams plus the colours rcParams has no key for (contour ramps, markers)."""

    name: str
    rc: dict
    ramp: tuple[str, ...]  # filled contours, low loss first
    ramp3d: tuple[str, ...]
    contour_line: str
    mesh_edge: str
    minimum: str  # edge of the hollow minimum star
    start_face: str
    start_edge: str
    head_edge: str  # the ring around a current position
    diverged: str
    arrow: str
    box: str  # face of text boxes over the map
    swap: dict = field(default_factory=dict)  # palette colours replaced in this theme (black on a dark page)
    fill: bool = True  # filled contours (paper keeps them very light)
    #: what the user set in rcParams (see :func:`context`): path colours from their ``axes.prop_cycle``, the map's
    #: colormap from their ``image.cmap``, line widths scaled to their ``lines.linewidth``
    cycle: tuple[str, ...] | None = None
    cmap: Any = None
    lw_scale: float = 1.0

    def lw(self, width: float) -> float:
        """A house line width (paths are :data:`PATH_LW`) scaled so the main paths take the user's
        ``lines.linewidth`` when they set one."""
        return width * self.lw_scale

    @property
    def text(self) -> str:
        import matplotlib as mpl

        return mpl.rcParams["text.color"]

    @property
    def muted(self) -> str:
        import matplotlib as mpl

        return mpl.rcParams["xtick.color"]

    @property
    def grid(self) -> str:
        import matplotlib as mpl

        return mpl.rcParams["grid.color"]

    def background_cmap(self):
        """The filled contours' colormap: the user's (``cmap=`` or ``image.cmap``), else the theme's ramp."""
        from matplotlib.colors import LinearSegmentedColormap

        if self.cmap is not None:
            return _colormap(self.cmap)
        return LinearSegmentedColormap.from_list(f"optiviz_{self.name}", list(self.ramp), N=256)

    def surface_cmap(self):
        from matplotlib.colors import LinearSegmentedColormap

        if self.cmap is not None:
            return _colormap(self.cmap)
        return LinearSegmentedColormap.from_list(f"optiviz_{self.name}_3d", list(self.ramp3d), N=256)


def _colormap(cmap: Any):
    """A colormap from a name or a ``Colormap`` (one clear error for an unknown name)."""
    import matplotlib as mpl
    from matplotlib.colors import Colormap

    if isinstance(cmap, Colormap):
        return cmap
    try:
        return mpl.colormaps[cmap]
    except (KeyError, TypeError):
        from ..errors import InvalidValueError
        from ..registry import did_you_mean

        raise InvalidValueError(f"unknown colormap {cmap!r}; "
                                f"{did_you_mean(str(cmap), sorted(mpl.colormaps))}") from None


def check_cmap(cmap: Any) -> Any:
    """``cmap`` (None, a colormap name or a ``Colormap``) checked now, before any work."""
    if cmap is not None:
        _colormap(cmap)
    return cmap


_BASE_RC = {
    "font.size": 8.0,
    "axes.titlesize": FONT["title"],
    "axes.labelsize": FONT["label"],
    "axes.linewidth": 0.7,
    "xtick.labelsize": FONT["tick"],
    "ytick.labelsize": FONT["tick"],
    "legend.fontsize": FONT["legend"],
    "legend.frameon": False,
    "svg.hashsalt": "optiviz",  # deterministic SVG ids
}


def _rc(fg: str, muted: str, edge: str, bg: str, grid: str, **extra: Any) -> dict:
    return {**_BASE_RC, "axes.edgecolor": edge, "axes.labelcolor": fg, "axes.titlecolor": fg,
            "axes.facecolor": bg, "xtick.color": muted, "ytick.color": muted, "xtick.labelcolor": muted,
            "ytick.labelcolor": muted, "figure.facecolor": bg, "savefig.facecolor": bg, "text.color": fg,
            "grid.color": grid, "legend.labelcolor": fg, "legend.facecolor": bg, **extra}


THEMES: dict[str, Theme] = {
    "light": Theme("light", _rc(TEXT, MUTED, "#666666", "white", "#DDDDDD"),
                   ramp=("#7D8A96", "#AEB8C1", "#D3D9DE", "#EEF0F2", "#FBFBFC"),
                   ramp3d=("#6F8596", "#A9B7C2", "#D9DFE4", "#F4F5F6"), contour_line="#5F6A73",
                   mesh_edge="#A3B0BA", minimum="#111111", start_face="white", start_edge="#222222",
                   head_edge="white", diverged=DIVERGED, arrow=GRAD_ARROW, box="white"),
    "dark": Theme("dark", _rc("#E6E6E6", "#A8A8A8", "#8A8A8A", "#15181C", "#3A3F45"),
                  ramp=("#46525E", "#343D46", "#272D34", "#1E2328", "#181B1F"),
                  ramp3d=("#5A6875", "#3F4A54", "#2C333A", "#22272C"), contour_line="#8796A3",
                  mesh_edge="#55616C", minimum="#F2F2F2", start_face="#15181C", start_edge="#F2F2F2",
                  head_edge="#15181C", diverged="#FF6B5B", arrow="#EEEEEE", box="#15181C",
                  swap={BLACK: "#F2F2F2"}),
    "paper": Theme("paper", _rc("black", "#333333", "black", "white", "#E4E4E4",
                                **{"svg.fonttype": "none", "pdf.fonttype": 42, "ps.fonttype": 42}),
                   ramp=("#D9D9D9", "#E8E8E8", "#F2F2F2", "#F8F8F8", "white"),
                   ramp3d=("#BFBFBF", "#D9D9D9", "#EDEDED", "white"), contour_line="#8C8C8C",
                   mesh_edge="#9A9A9A", minimum="black", start_face="white", start_edge="black",
                   head_edge="white", diverged="#B00000", arrow="black", box="white"),
}
STYLES = tuple(THEMES)

#: the light theme's rcParams (figures of their own may use them directly)
RC = THEMES["light"].rc


def check_style(name: Any) -> str:
    """``name`` if it is a theme, else an ``InvalidValueError`` naming the choices."""
    if name is None:
        return "light"
    if name not in THEMES:
        from ..errors import InvalidValueError
        from ..registry import did_you_mean

        raise InvalidValueError(f"unknown style {name!r}; {did_you_mean(str(name), list(THEMES))}")
    return name


def rc(name: str | None = None) -> dict:
    """The rcParams a theme sets. With no theme named (``None``), keys the user has already changed from
    matplotlib's defaults (by ``plt.style.use``/``style.context``/``rcParams``) are left out: theirs win."""
    import matplotlib as mpl

    th = THEMES[check_style(name)]
    if name is not None:
        return dict(th.rc)
    defaults = mpl.rcParamsDefault
    keep = {k: v for k, v in th.rc.items() if k not in defaults or _rc_equal(mpl.rcParams[k], defaults[k])}
    # a key whose default follows another ("inherit", "None", "auto") follows the user's when they set that one:
    # dark_background sets text.color and xtick.color, not legend.labelcolor or xtick.labelcolor
    return {k: v for k, v in keep.items() if _FOLLOWS.get(k, k) in keep}


#: rcParams whose matplotlib default means "the colour of that other key"
_FOLLOWS = {"xtick.labelcolor": "xtick.color", "ytick.labelcolor": "ytick.color", "legend.labelcolor": "text.color",
            "axes.titlecolor": "text.color", "legend.facecolor": "axes.facecolor"}


def _rc_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and cyclers
        return a is b


#: the theme named by the innermost ``context(name)`` being drawn in (per thread / task), so a figure built
#: inside one without naming a theme of its own takes that theme whole, not only its rcParams
_ACTIVE: ContextVar[str | None] = ContextVar("optiviz_style", default=None)


@contextmanager
def context(name: str | None = None) -> Iterator[Theme]:
    """``with style.context("dark") as theme:`` everything drawn inside takes the theme's look.

    ``name=None`` inside another ``context(name)`` keeps that theme; elsewhere it is the light theme under any
    rcParams the user set (see :func:`rc`)."""
    import matplotlib as mpl

    if name is None and _ACTIVE.get() is not None:
        yield _users(THEMES[_ACTIVE.get()])
        return
    th = THEMES[check_style(name)]
    token = _ACTIVE.set(name) if name is not None else None
    try:
        with mpl.rc_context(rc(name)):
            yield _users(th) if name is not None else _users(_from_rc(th))
    finally:
        if token is not None:
            _ACTIVE.reset(token)


def _changed(key: str) -> bool:
    """The user changed rcParams[key] from matplotlib's default (``rcParams``, a style, a matplotlibrc)."""
    import matplotlib as mpl

    return not _rc_equal(mpl.rcParams[key], mpl.rcParamsDefault[key])


def _users(th: Theme) -> Theme:
    """``th`` with what the user set for lines and maps in rcParams: their ``axes.prop_cycle`` colours, their
    ``image.cmap``, their ``lines.linewidth`` (the house palette, ramps and widths otherwise)."""
    import dataclasses

    import matplotlib as mpl

    cycle = cmap = None
    if _changed("axes.prop_cycle"):
        colors = mpl.rcParams["axes.prop_cycle"].by_key().get("color")
        cycle = tuple(colors) if colors else None
    if _changed("image.cmap"):
        cmap = mpl.rcParams["image.cmap"]
    scale = float(mpl.rcParams["lines.linewidth"]) / PATH_LW if _changed("lines.linewidth") else 1.0
    return dataclasses.replace(th, cycle=cycle, cmap=cmap, lw_scale=scale) if (cycle or cmap or scale != 1.0) else th


def _from_rc(th: Theme) -> Theme:
    """The theme for a figure drawn with no style named: ``th`` (light) when the page colours in force are its
    own, else one derived from the rcParams in force (a ``plt.style.context("dark_background")``, say), so the
    contour ramp, the markers' rings, the text boxes and the landmarks follow the user's page instead of staying
    light on a dark page."""
    import matplotlib as mpl
    from matplotlib.colors import to_hex, to_rgb

    bg_key = "axes.facecolor" if mpl.colors.to_rgba(mpl.rcParams["axes.facecolor"])[3] > 0 else "figure.facecolor"
    bg, fg = to_rgb(mpl.rcParams[bg_key]), to_rgb(mpl.rcParams["text.color"])
    if (to_hex(bg), to_hex(fg)) == (to_hex(th.rc["axes.facecolor"]), to_hex(th.rc["text.color"])):
        return th

    def mix(w: float) -> str:  # w of the way from the page colour to the text colour
        return to_hex(tuple((1 - w) * b + w * f for b, f in zip(bg, fg)))

    dark = 0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2] < 0.4
    return Theme("custom", {}, ramp=tuple(mix(w) for w in (0.42, 0.28, 0.16, 0.07, 0.02)),
                 ramp3d=tuple(mix(w) for w in (0.45, 0.3, 0.12, 0.03)), contour_line=mix(0.55), mesh_edge=mix(0.35),
                 minimum=to_hex(fg), start_face=to_hex(bg), start_edge=to_hex(fg), head_edge=to_hex(bg),
                 diverged=THEMES["dark" if dark else "light"].diverged, arrow=to_hex(fg), box=to_hex(bg),
                 swap={BLACK: to_hex(fg)} if dark else {})


def background_cmap(theme: Theme | None = None):
    """Filled contours: a neutral ramp, darker at low loss, so coloured paths stay the loudest thing."""
    return (theme or THEMES["light"]).background_cmap()


def surface_cmap(theme: Theme | None = None):
    """The 3D surface ramp, so the path drawn on it keeps its colour."""
    return (theme or THEMES["light"]).surface_cmap()


# --------------------------------------------------------------------------------------------- captions

def caption(fig: Any, text: str, theme: Theme | None = None) -> Any:
    """One line under a figure saying what to look at (the figure's bottom label, so the layout makes room)."""
    import matplotlib as mpl

    del theme  # the colour comes from the rcParams in force, which a theme sets
    return fig.supxlabel(text, x=0.01, ha="left", fontsize=FONT["note"], color=mpl.rcParams["xtick.color"],
                         style="italic")


# --------------------------------------------------------------------------------------------- metadata

def describe(fig: Any, text: str) -> None:
    """Attach the full configuration to a figure: every file ``ov.save`` writes of it carries the text (a PNG
    text chunk, a GIF comment, the page's description, the SVG/PDF metadata), so titles can stay short."""
    fig._optiviz_config = str(text)


def description(fig: Any) -> str:
    """What :func:`describe` attached ("" if nothing)."""
    return str(getattr(fig, "_optiviz_config", "") or "")


def remember(fig: Any, name: str | None) -> None:
    """Note the theme a figure was drawn in: some of its settings act only when the file is written."""
    fig._optiviz_style = name if name is not None else _ACTIVE.get()


def saving(fig: Any):
    """The rcParams a file of ``fig`` is written under: a fixed SVG hash salt, and its theme's output settings
    (paper keeps text as text in SVG/PDF) when it was drawn in a named theme."""
    import matplotlib as mpl

    name = getattr(fig, "_optiviz_style", None)
    keep = {k: v for k, v in THEMES[name].rc.items() if k.split(".")[0] in ("svg", "pdf", "ps")} if name else {}
    # the SVG's clip-path and glyph ids are random unless salted: a fixed salt gives the same bytes every run
    keep["svg.hashsalt"] = "optiviz"
    return mpl.rc_context(keep)
