"""Figures of small networks: activations, vanishing gradients, learning curves, decision boundaries over
training, weight histograms, and optimizer paths on a network's loss landscape.

    from optiviz.render import nets as netviz
    fig = netviz.plot_activations()                        # every activation and its derivative
    anim = netviz.animate_decision_boundary(runs)          # TF-Playground style, one panel per run
    anim = netviz.animate_landscape(ov.nets.landscape(runs))  # the 2D surface renderer, on the network's plane
    ov.save(anim, "net.gif")

Nothing is computed here that the numerical core does not hand over: grids of probabilities, norms and projected
paths come from ``optiviz.nets``. Animations are ``Scene`` objects of the 2D renderer (a static layer drawn once,
moving primitives per frame), so ``ov.save`` writes them with the same writers (.gif .mp4 .html .png); the
decision boundary's page carries every frame's field as one small PNG of quantized levels (``Field``).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InvalidValueError
from . import (Animation, Field, Label, Overlay, Primitive, Scene, Trace, animate, check_target, drawn_into, figure,
               frame_indices, parse_size, plot, style)

__all__ = ["plot_activations", "plot_grad_norms", "plot_learning_curves", "plot_weight_histograms",
           "animate_decision_boundary", "animate_landscape", "plot_landscape"]

#: TF Playground's two classes: orange for 0, blue for 1 (Okabe-Ito hues)
CLASS_COLORS = (style.ORANGE, style.BLUE)


def _histories(runs: Any) -> dict:
    from ..nets.history import History

    if isinstance(runs, History):
        return {runs.label: runs}
    if isinstance(runs, Mapping) and runs and all(isinstance(h, History) for h in runs.values()):
        return dict(runs)
    raise InvalidValueError(f"expected the result of ov.nets.train (a History or Histories), got {type(runs).__name__}")


def _colors(hist: dict, theme: "style.Theme | None" = None) -> list[str]:
    return style.assign_colors((h.spec.name if h.spec is not None else h.label for h in hist.values()), theme)


def _new_figure(size: Any, default: tuple[float, float], dpi: float, fig: Any = None):
    """A new pyplot figure in the house style, or ``fig`` (the user's ``Figure`` or ``SubFigure``) as it is."""
    if check_target(fig=fig, size=size) is not None:
        return drawn_into(fig)
    with style.context():
        fig = figure(parse_size(size, dpi) or default, dpi)
        style.remember(fig, None)
        return fig


def _grid(n: int, per_row_max: int = 4) -> tuple[int, int]:
    per_row = n if n <= per_row_max else (3 if n <= 9 else per_row_max)
    return per_row, math.ceil(n / per_row)


def _clean(ax) -> None:
    import matplotlib as mpl

    ax.tick_params(length=2, pad=1.5)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    ax.grid(True, color=mpl.rcParams["grid.color"], lw=0.5)


# ---------------------------------------------------------------------------------------------- activations

def plot_activations(names: Sequence[str] | None = None, *, x: tuple[float, float] = (-4.0, 4.0), n: int = 801,
                     dpi: float = 100, size: Any = None, fig: Any = None):
    """One panel per activation: the function (solid) and its derivative (dashed), as JAX computes them.
    Returns the figure: a new pyplot one, or ``fig`` (a ``Figure`` or a ``SubFigure``) drawn into.

    ``names``: activation names or specs (``"leaky_relu:alpha=0.1"``, ``"maxout:pieces=3"``); default all.
    Kinks show the documented convention: the derivative is drawn with the value JAX uses at the kink.
    Maxout is drawn as the maxout of illustrative pieces (see ``Activation.curve``).
    """
    from .. import activations

    specs = list(activations.names()) if names is None else list(names)
    if not specs:
        raise InvalidValueError("no activations to plot")
    acts = [activations.activation(s) for s in specs]
    lo, hi = float(x[0]), float(x[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InvalidValueError(f"x must be an increasing (min, max) range, got {x!r}")
    z = np.linspace(lo, hi, n)
    per_row, rows = _grid(len(acts))
    curves = [(np.asarray(act.curve(z), float), np.asarray(act.curve_derivative(z), float)) for act in acts]
    both = np.concatenate([np.r_[y, dy] for y, dy in curves])
    both = both[np.isfinite(both)]
    # ONE y-range for every panel, so derivatives compare at a glance (sigmoid's 1/4 against ReLU's 1)
    ylim = (max(-2.0, float(both.min())) - 0.2, min(float(both.max()), 4.0) + 0.3)
    with style.context() as th:
        f_look, d_look = style.assign(["adam", "momentum"], th)  # two well-told-apart looks of the palette
        fig = _new_figure(size, (2.6 * per_row + 0.3, 2.1 * rows + 0.5), dpi, fig)
        gs = fig.add_gridspec(rows, per_row)
        first = None
        for i, (act, (y, dy)) in enumerate(zip(acts, curves)):
            r, c = divmod(i, per_row)
            ax = fig.add_subplot(gs[r, c], sharey=first)
            first = first or ax
            ax.axhline(0, color=th.grid, lw=0.6, zorder=1)
            ax.axvline(0, color=th.grid, lw=0.6, zorder=1)
            ax.plot(z, y, color=f_look.color, lw=th.lw(1.8), label="f(z)", zorder=3)
            ax.plot(z, dy, color=d_look.color, lw=th.lw(1.4), ls=d_look.dashes, label="f'(z)", zorder=3)
            ax.set_title(act.caption(), fontsize=style.FONT["caption"] + 0.5, pad=3)
            ax.set_xlim(lo, hi)
            ax.set_ylim(*ylim)
            if c:
                ax.tick_params(labelleft=False)
            _clean(ax)
            if i == 0:
                ax.legend(loc="upper left", fontsize=style.FONT["legend"], handlelength=2.4)
        fig.suptitle("activations f and their derivatives f' (as backpropagation uses them)", x=0.01, ha="left",
                     fontsize=style.FONT["counter"] + 1, fontweight="bold")
        style.caption(fig, "same y-scale in every panel: compare the dashed derivatives' heights", th)
    return fig


# ---------------------------------------------------------------------------------------- gradient norms

def plot_grad_norms(norms: Any = ("sigmoid", "tanh", "relu", "maxout"), *, depth: int = 8, width: int = 32,
                    seed: int = 0, dpi: float = 100, size: Any = None, ax: Any = None):
    """Per-layer gradient norms (log scale), input layer to output layer, one line per activation.
    Returns the new pyplot figure, or ``ax`` when given (one panel: drawn into that ``Axes``, titled there).

    ``norms``: a dict label -> norms (from ``ov.nets.layer_grad_norms``), or activation names whose
    depth x width networks are measured at initialization here. Each line is labelled with the factor by which
    the norm falls from the last layer to the first: the vanishing gradient in one number.
    """
    from ..nets import layer_grad_norms

    if isinstance(norms, Mapping):
        data = {str(k): np.asarray(v, float) for k, v in norms.items()}
    else:
        data = {str(a): layer_grad_norms(a, depth=depth, width=width, seed=seed) for a in norms}
    if not data or any(v.ndim != 1 or v.size < 2 for v in data.values()):
        raise InvalidValueError("give at least one array of two or more per-layer norms")
    given = check_target(ax=ax, size=size)
    with style.context() as th:
        looks = style.assign(data, th)
        if given is None:
            fig = _new_figure(size, (6.4, 3.6), dpi)
            ax = fig.add_subplot()
        for (label, v), lk in zip(data.items(), looks):
            layers = np.arange(1, len(v) + 1)
            ratio = v[-1] / v[0] if v[0] > 0 else np.inf
            ax.plot(layers, np.where(v > 0, v, np.nan), marker=lk.marker, ms=4, lw=th.lw(1.8), color=lk.color,
                    ls=lk.dashes, label=f"{label}: last / first = {ratio:.3g}x")
        ax.set_yscale("log")
        ax.set_xlabel("weight layer (1 = input layer)")
        ax.set_ylabel("gradient norm (log scale)")
        n_layers = max(len(v) for v in data.values())
        ax.set_xticks(np.arange(1, n_layers + 1))
        _clean(ax)
        ax.legend(loc="lower right", fontsize=style.FONT["legend"])
        head = (f"per-layer gradient norms at initialization ({depth} hidden layers of {width})"
                if not isinstance(norms, Mapping) else "per-layer gradient norms")
        if given is not None:
            ax.set_title(head, fontsize=style.FONT["caption"] + 0.5)
            return ax
        fig.suptitle(head, x=0.01, ha="left", fontsize=style.FONT["counter"] + 1, fontweight="bold")
    return fig


# ---------------------------------------------------------------------------------------- learning curves

def plot_learning_curves(runs: Any, *, dpi: float = 100, size: Any = None, fig: Any = None):
    """Train (solid) and test (dashed) loss and accuracy against the step, per run, with each run's diagnosis.
    Returns the figure: a new pyplot one, or ``fig`` (a ``Figure`` or a ``SubFigure``) drawn into."""

    hist = _histories(runs)
    regression = next(iter(hist.values())).task == "regression"
    own = fig is None
    with style.context() as th:
        colors = _colors(hist, th)
        fig = _new_figure(size, (9.0, 3.4 + 0.18 * len(hist)), dpi, fig)
        ax_loss, ax_acc = fig.subplots(1, 2)
        for (label, h), color in zip(hist.items(), colors):
            for ax, tr, te in ((ax_loss, h.train_loss, h.test_loss), (ax_acc, h.train_acc, h.test_acc)):
                ax.plot(h.steps, tr, color=color, lw=th.lw(1.7), label=f"{h.shown} train")
                ax.plot(h.steps, te, color=color, lw=th.lw(1.4), ls="--", label=f"{h.shown} test")
        positive = all(np.all(h.train_loss[np.isfinite(h.train_loss)] > 0) for h in hist.values())
        if positive:
            ax_loss.set_yscale("log")
        ax_loss.set_title("loss (solid: train, dashed: test)", fontsize=style.FONT["caption"] + 0.5)
        ax_acc.set_title("R^2" if regression else "accuracy", fontsize=style.FONT["caption"] + 0.5)
        for ax in (ax_loss, ax_acc):
            ax.set_xlabel("step")
            _clean(ax)
        ax_acc.legend(loc="lower right", fontsize=style.FONT["legend"] - 0.5, ncol=1 if len(hist) < 4 else 2)
        lines = [f"{label}: {h.diagnosis()}" for label, h in hist.items()]
        if own:  # room for the notes below
            fig.text(0.01, 0.005, "\n".join(lines), ha="left", va="bottom", fontsize=style.FONT["note"],
                     color=th.muted)
            fig.get_layout_engine().set(rect=(0, 0.03 + 0.045 * len(lines), 1, 1 - 0.03 - 0.045 * len(lines)))
        else:  # a figure of the user's keeps its layout: the notes are its bottom label, which the layout places
            fig.supxlabel("\n".join(lines), x=0.01, ha="left", fontsize=style.FONT["note"], color=th.muted)
        fig.suptitle("learning curves", x=0.01, ha="left", fontsize=style.FONT["counter"] + 1, fontweight="bold")
    return fig


# ---------------------------------------------------------------------------------------------- comparison

def plot_comparison(runs: Any, *, dpi: float = 100, size: Any = None, fig: Any = None):
    """The settings side by side (``--depth 2,4,6,8,10``, ``--dropout 0,0.5``, ...): each run's final train and
    test accuracy (left) and loss (right, log scale), one row per run, with its diagnosis as the row's note.

    Train and test next to each other show which side is bad: a deep sigmoid net is low on both (poor training),
    an overfitting net is high on train and low on test. Returns the figure (``fig``, a ``Figure`` or a
    ``SubFigure``, when given).
    """
    hist = _histories(runs)
    regression = next(iter(hist.values())).task == "regression"
    labels = [h.shown for h in hist.values()]
    y = np.arange(len(hist))[::-1].astype(float)
    with style.context():
        fig = _new_figure(size, (9.0, 1.6 + 0.42 * len(hist)), dpi, fig)
        ax_acc, ax_loss = fig.subplots(1, 2, sharey=True)
        for ax, key_tr, key_te in ((ax_acc, "train_acc", "test_acc"), (ax_loss, "train_loss", "test_loss")):
            tr = [float(getattr(h, key_tr)[-1]) for h in hist.values()]
            te = [float(getattr(h, key_te)[-1]) for h in hist.values()]
            ax.barh(y + 0.2, tr, height=0.38, color=style.BLUE, label="train")
            ax.barh(y - 0.2, te, height=0.38, color=style.VERMILLION, label="test")
            _clean(ax)
        ax_acc.set_yticks(y, labels, fontsize=style.FONT["legend"])
        ax_acc.set_xlabel("final R^2" if regression else "final accuracy")
        ax_acc.set_xlim(0, 1.0)
        ax_loss.set_xscale("log")
        ax_loss.set_xlabel("final loss (log scale)")
        ax_loss.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=style.FONT["legend"],
                       frameon=False)
        fig.suptitle("train vs test per setting: low on both = poor training; high train, low test = overfitting",
                     x=0.01, ha="left", fontsize=style.FONT["counter"] + 0.5, fontweight="bold")
    return fig


# ---------------------------------------------------------------------------------------- weight histograms

def plot_weight_histograms(runs: Any, *, tol: float = 1e-2, bins: int = 60, dpi: float = 100, size: Any = None,
                           fig: Any = None):
    """Histograms of the final weights (biases excluded) per run, with the fraction of |w| < ``tol``.
    Returns the figure (``fig``, a ``Figure`` or a ``SubFigure``, when given).

    ``runs``: the result of ``ov.nets.train``, or a dict label -> parameters. L1 piles weights at zero; L2
    shrinks them all toward zero without making them vanish.
    """
    from ..nets import near_zero_fraction, weights

    if isinstance(runs, Mapping) and runs and not _is_histories(runs):
        params = dict(runs)
        names = list(params)
    else:
        hist = _histories(runs)
        params = {k: h.params for k, h in hist.items()}
        names = [h.spec.name if h.spec is not None else k for k, h in hist.items()]
    vals = {k: weights(p) for k, p in params.items()}
    allw = np.concatenate(list(vals.values()))
    lim = float(np.percentile(np.abs(allw), 99.5)) or 1.0
    edges = np.linspace(-lim, lim, bins + 1)
    k = len(vals)
    with style.context() as th:
        colors = style.assign_colors(names if len(set(names)) == len(names) else list(params), th)
        # side by side on shared axes: overlaid, two histograms melt into one blob
        fig = _new_figure(size, (min(3.4 * k, 10.5) + 0.4, 3.2), dpi, fig)
        axes = fig.subplots(1, k, sharex=True, sharey=True, squeeze=False)[0]
        for ax, ((label, w), color) in zip(axes, zip(vals.items(), colors)):
            frac = near_zero_fraction(params[label], tol=tol)
            ax.hist(np.clip(w, -lim, lim), bins=edges, histtype="stepfilled", alpha=0.35, color=color, lw=0)
            ax.hist(np.clip(w, -lim, lim), bins=edges, histtype="step", lw=1.4, color=color)
            ax.axvspan(-tol, tol, color=th.muted, alpha=0.15, lw=0)
            ax.set_title(f"{label}: {frac:.0%} of weights |w| < {tol:g}", fontsize=style.FONT["caption"] + 0.5,
                         pad=3)
            ax.set_yscale("log")
            ax.set_xlabel("weight value")
            _clean(ax)
        axes[0].set_ylabel("count (log scale)")
        fig.suptitle("weight histograms", x=0.01, ha="left", fontsize=style.FONT["counter"] + 1, fontweight="bold")
        style.caption(fig, f"shaded band: |w| < {tol:g}; same axes in every panel", th)
    return fig


def _is_histories(runs: Mapping) -> bool:
    from ..nets.history import History

    return all(isinstance(h, History) for h in runs.values())


# ---------------------------------------------------------------------------------------- decision boundary

def animate_decision_boundary(runs: Any, data: Any = None, *, frames: int = 60, n: int = 80, fps: float = 12,
                              dpi: float = 100, size: Any = None, title: str | None = None,
                              fig: Any = None) -> Animation:
    """The decision boundary of every run over training (TF Playground style), with the learning curves.

    One panel per run: the network's probability of class 1 on a grid (orange = 0, blue = 1) changing frame by
    frame, the training points filled and the test points hollow; a last panel draws train (solid) and test
    (dashed) loss growing with the frames. ``frames`` evenly sample the recorded steps (the runs must keep their
    weight path). Save with ``ov.save(anim, "net.gif")`` (.gif, .mp4, .html, .png); the page draws each frame's
    field from one small indexed PNG of all frames (see ``Field``), with play/pause/step controls. ``fig`` (a
    ``Figure`` or a ``SubFigure``): draw into it instead of a new pyplot figure.
    """
    from ..nets import decision_frames

    hist = _histories(runs)
    if data is None:
        data = getattr(runs, "data", None)
        if data is None:
            raise InvalidValueError("give the data: a single History does not carry it")
    if data.in_dim != 2 or data.task != "binary":
        raise InvalidValueError(f"decision boundaries need a 2D two-class dataset; {data.name} is "
                                f"{data.in_dim}D {data.task}")
    first = next(iter(hist.values()))
    steps = first.steps
    for h in hist.values():
        if h.path is None:
            raise InvalidValueError(f"run {h.label!r} kept no weight path: train with keep_path=True")
        if not np.array_equal(h.steps, steps):
            raise InvalidValueError("all runs must record the same steps")
    if isinstance(n, bool) or not isinstance(n, int) or not 8 <= n <= 400:
        raise InvalidValueError(f"n must be a whole number from 8 to 400, got {n!r}")
    idx = frame_indices(len(steps), frames)
    (x0, x1), (y0, y1) = data.domain
    fields = {k: decision_frames(h.model, h.path[idx], data=data, n=n)[2] for k, h in hist.items()}
    check_target(fig=fig, size=size)
    n_steps = int(steps[-1])
    panels = len(hist) + 1
    per_row, rows = _grid(panels, 3)
    with style.context() as th:
        from matplotlib.colors import LinearSegmentedColormap

        colors = _colors(hist, th)
        cmap = LinearSegmentedColormap.from_list("optiviz_classes", [CLASS_COLORS[0], "#F7F7F7", CLASS_COLORS[1]])
        fig = _new_figure(size, (3.3 * per_row + 0.3, 3.2 * rows + 0.5), dpi, fig)
        gs = fig.add_gridspec(rows, per_row)
        prims: list[Primitive] = []
        field_images, field_axes = [], []

        def add(prim: Primitive, ax) -> None:
            for a in prim.artists:
                a.set_in_layout(False)
            prim.ax = ax
            prims.append(prim)

        for i, ((label, h), color) in enumerate(zip(hist.items(), colors)):
            ax = fig.add_subplot(gs[divmod(i, per_row)])
            im = ax.imshow(fields[label][-1], extent=(x0, x1, y0, y1), origin="lower", cmap=cmap, vmin=0, vmax=1,
                           interpolation="bilinear", aspect="auto", alpha=0.8, zorder=1)
            add(Field(im, fields[label]), ax)
            field_images.append(im)
            field_axes.append(ax)
            # the points are redrawn over the moving field every frame (the frame pipeline draws moving
            # artists over the cached background, so a static scatter would end up under the field)
            dots = []
            for xs, ys, filled in ((data.x_train, data.y_train, True), (data.x_test, data.y_test, False)):
                c = np.where(ys > 0.5, CLASS_COLORS[1], CLASS_COLORS[0])
                if filled:
                    dots.append(ax.scatter(xs[:, 0], xs[:, 1], s=9, c=c, edgecolors="white", linewidths=0.4,
                                           zorder=3))
                else:
                    dots.append(ax.scatter(xs[:, 0], xs[:, 1], s=9, facecolors="none", edgecolors=c,
                                           linewidths=0.8, zorder=3))
            add(Overlay(dots), ax)
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
            ax.set_aspect("equal", adjustable="box")
            ax.tick_params(length=2, pad=1.5)
            ax.set_title(h.shown, fontsize=style.FONT["caption"] + 1, color=color, fontweight="bold", pad=3)
            score = [f"train acc {h.train_acc[j]:.2f}   test acc {h.test_acc[j]:.2f}" for j in idx]
            txt = ax.text(0.5, 0.02, "", transform=ax.transAxes, ha="center", va="bottom",
                          fontsize=style.FONT["note"], color=th.text, zorder=5,
                          bbox=dict(boxstyle="round,pad=0.25", fc=th.box, ec="none", alpha=0.85))
            add(Label(txt, score), ax)
        ax = fig.add_subplot(gs[divmod(len(hist), per_row)])
        vals = np.concatenate([np.r_[h.train_loss, h.test_loss] for h in hist.values()])
        vals = vals[np.isfinite(vals) & (vals > 0)]
        if vals.size:
            ax.set_yscale("log")
            ax.set_ylim(vals.min() / 1.3, vals.max() * 1.3)
        ax.set_xlim(0, max(1, n_steps))
        ax.set_xlabel("step")
        ax.set_title("loss (solid: train, dashed: test)", fontsize=style.FONT["caption"] + 0.5, pad=3)
        _clean(ax)
        counts = idx + 1
        for (label, h), color in zip(hist.items(), colors):
            for series, ls, part in ((h.train_loss, "-", "train"), (h.test_loss, "--", "test")):
                line, = ax.plot([], [], color=color, lw=th.lw(1.6 if ls == "-" else 1.3), ls=ls,
                                label=f"{h.shown} {part}")
                head, = ax.plot([], [], marker="o", ms=4, mfc=color, mec="white", mew=0.8, ls="none")
                add(Trace(line, np.column_stack([steps.astype(float), series]), counts, head), ax)
        from matplotlib.lines import Line2D

        leg = ax.legend([Line2D([], [], color=c, lw=2) for c in colors], [h.shown for h in hist.values()],
                        fontsize=style.FONT["legend"])
        # the curves grow over a legend drawn once beneath them: it goes where the whole run's curves never pass
        leg.set_loc(_clear_spot(ax, leg, [(steps, series) for h in hist.values()
                                          for series in (h.train_loss, h.test_loss)]))
        width = len(str(n_steps))
        counter = fig.text(0.995, 0.995, "", ha="right", va="top", fontsize=style.FONT["counter"],
                           family="monospace", color=th.text)
        add(Label(counter, [f"step {int(s):>{width}d} / {n_steps}" for s in steps[idx]]), None)
        head = title if title is not None else f"decision boundary over training: {data.caption()}"
        fig.suptitle(head, x=0.01, ha="left", fontsize=style.FONT["counter"] + 1, fontweight="bold")
        # what the field's colours mean: the network's probability of class 1 (0.5 = the decision boundary)
        cb = fig.colorbar(field_images[0], ax=field_axes, shrink=0.8, aspect=25, pad=0.02, fraction=0.03,
                          ticks=[0, 0.5, 1])
        cb.set_label("P(class 1)", fontsize=style.FONT["note"])
        style.caption(fig, "field: the network's probability of class 1 (boundary at 0.5); training points filled, "
                      "test points hollow", th)
        cb.ax.tick_params(labelsize=style.FONT["tick"], length=2)
        cb.outline.set_linewidth(0.5)
    scene = Scene(fig=fig.get_figure(root=True), primitives=prims, frame_index=idx, frame_steps=steps[idx], n_steps=n_steps, panels=[],
                  tracks=[], title=head, layout="grid", view="decision", dpi=float(dpi))
    scene.update(scene.n_frames - 1)  # at rest: the end of training (plt.savefig, a still in a notebook)
    return Animation(scene, fps=fps, dpi=dpi)


# ---------------------------------------------------------------------------------------------- landscape

#: matplotlib's legend locations in its own order of preference ("right" is "center right" again)
_SPOTS = ("upper right", "upper left", "lower left", "lower right", "center left", "center right", "lower center",
          "upper center", "center")


def _clear_spot(ax, legend, curves: Sequence[tuple[Any, Any]]) -> str:
    """The legend location that covers the least of ``curves`` (whole series as (x, y) in data coordinates).

    matplotlib's ``loc="best"`` rule (the fewest curve points under the legend's box, ties to the earlier
    location), applied to the complete curves at once: drawn frame by frame, the curves are partial at every
    draw, and a static legend must stay clear of where they will go. Boxes are placed in axes fractions from the
    legend's size and the axes' size before the layout settles, each grown by a margin of a tenth; the curves are
    sampled every 1/200 of the axes so that a segment crossing a box counts too.
    """
    box = legend.get_window_extent()
    frame = ax.get_window_extent()
    pad = legend.borderaxespad * legend.prop.get_size_in_points() * ax.get_figure(root=True).dpi / 72.0
    fw, fh = 1.1 * box.width / frame.width, 1.1 * box.height / frame.height
    px, py = pad / frame.width, pad / frame.height
    to_axes = ax.transScale + ax.transLimits  # data -> axes fraction (log axes included)
    pts = []
    for x, y in curves:
        xy = to_axes.transform(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) > 1:  # points along every segment, at most 1/200 of the axes apart
            n = np.maximum(1, np.ceil(np.hypot(*np.diff(xy, axis=0).T) * 200)).astype(int)
            t = np.concatenate([np.arange(k) / k for k in n])
            seg = np.repeat(np.arange(len(n)), n)
            xy = np.concatenate([xy[seg] + t[:, None] * (xy[seg + 1] - xy[seg]), xy[-1:]])
        pts.append(xy)
    pts = np.concatenate(pts) if pts else np.zeros((0, 2))
    xs = {"left": px, "right": 1 - px - fw, "center": 0.5 - fw / 2}
    ys = {"upper": 1 - py - fh, "lower": py, "center": 0.5 - fh / 2}
    best, least = _SPOTS[0], None
    for spot in _SPOTS:
        v, _, h = spot.partition(" ")
        x0, y0 = xs[h or "center"], ys[v]
        inside = int(np.count_nonzero((pts[:, 0] >= x0) & (pts[:, 0] <= x0 + fw) & (pts[:, 1] >= y0)
                                      & (pts[:, 1] <= y0 + fh)))
        if least is None or inside < least:
            best, least = spot, inside
        if inside == 0:
            break
    return best


def _landscape_title(land) -> str:
    """The plane, the share of the path variance it keeps and where it is centred (a plane centred on one run's
    result favours that run, so the picture says which it is)."""
    from ..nets.landscape import START

    centre = ("centred on the shared initial weights" if land.center_label == START
              else f"centred on {land.center_label}'s final weights")
    if land.kind == "pca":
        e = land.explained
        return (f"{land.data.name}: paths on the PCA plane ({e[0]:.1%} + {e[1]:.1%} = {e.sum():.1%} of the path "
                f"variance), {centre}")
    return f"{land.data.name}: filter-normalized random plane (Li et al., 2018), {centre}"


def animate_landscape(land: Any, **kwargs: Any) -> Animation:
    """Animate the runs' projected paths on a network's loss landscape with the 2D surface renderer.

    ``land``: ``ov.nets.landscape(...)``. Keyword arguments go to ``ov.animate`` (layout, view, frames, fps,
    ...); the title states the plane and the share of the path variance it keeps.
    """
    from ..nets.landscape import Landscape

    if not isinstance(land, Landscape):
        raise InvalidValueError(f"animate_landscape takes ov.nets.landscape(...), got {type(land).__name__}")
    kwargs.setdefault("title", _landscape_title(land))
    return animate(land.trajectories(), land.surface(), **kwargs)


def plot_landscape(land: Any, **kwargs: Any):
    """The landscape with the full paths, as one still (``ov.plot`` on the landscape's surface)."""
    from ..nets.landscape import Landscape

    if not isinstance(land, Landscape):
        raise InvalidValueError(f"plot_landscape takes ov.nets.landscape(...), got {type(land).__name__}")
    kwargs.setdefault("title", _landscape_title(land))
    return plot(land.trajectories(), land.surface(), **kwargs)
