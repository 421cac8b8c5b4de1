r"""A network's loss landscape: the loss on a 2D plane through its weights, and training paths projected onto it.

    runs = ov.nets.train(model, data, ["sgd", "momentum", "adam"], 1000)
    land = ov.nets.landscape(runs, plane="pca")            # or plane="random" (filter-normalized)
    land.explained                                         # variance the PCA plane captures, per direction
    ov.animate(land.trajectories(), land.surface())        # drawn by the same renderer as the 2D surfaces

The plane is theta(a, b) = theta_c + a d1 + b d2 through a centre theta_c, and the picture is L(theta(a, b)), the
training loss (data loss, no penalty, no dropout). By default theta_c is the runs' shared initial weights, so no
optimizer's result sits at the origin of the picture (centring on one run's final weights, as is common, puts
that run's end at the bottom of the plane's bowl and favours it in a race); ``center=label`` centres on that
run's final weights instead, and ``describe()`` says which.

* ``plane="random"``: d1, d2 are Gaussian directions, **filter-normalized** (Li, Xu, Taylor, Studer & Goldstein,
  2018, "Visualizing the Loss Landscape of Neural Nets", sec. 4): for every unit ("filter": the column of a
  weight matrix feeding one output unit), the direction's column is rescaled to the norm of the weights' column,
  d_j <- d_j / ||d_j|| * ||theta_j||, so a step of 1 changes each unit by its own size and pictures of networks of
  different scales compare. Bias directions are zero (the paper's default). The grid spans [-1, 1]^2.
* ``plane="pca"``: d1, d2 are the top two principal components (of the mean-centred matrix whose rows are
  theta_t - theta_c over every recorded step of every run; Li et al., sec. 7), orthonormal. ``explained`` is
  each one's share of the variance of those rows. Optimization paths live in a tiny subspace, which is why a
  random plane shows them as a dot and a PCA plane shows them at all; but the picture is only as faithful as the
  share of variance it keeps, so report it, and ``off_plane`` per run: the share of the path's squared distance
  from theta_c that the plane does *not* show.

Paths are projected by least squares onto the plane (exact dot products for the orthonormal PCA directions);
the loss drawn along a path is the loss the run really had, not the (different) loss at its projection.
The n x n grid is evaluated in one compiled, vmapped call (in chunks that bound the memory).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Mapping

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from .. import compilation_cache
from .._dtype import compute, floats
from ..errors import InvalidValueError
from .datasets import Dataset, dataset as _dataset
from .models import MLP
from .history import History
from .losses import data_loss

__all__ = ["Landscape", "landscape", "filter_normalized_direction", "plane_loss"]

PLANES = ("pca", "random")
#: ``center=START`` (the default): the plane goes through the runs' shared initial weights
START = "start"


@dataclass
class Landscape:
    """The loss on a plane through the weights, with the runs' paths projected onto it.

    ``x``, ``y`` (n,): the plane coordinates a, b; ``loss`` (n, n): L at (x[i], y[j]) in ``loss[j, i]`` (the
    ``meshgrid`` layout of ``Surface.grid``); ``center`` (P,) and ``directions`` (2, P) define the plane;
    ``paths`` label -> (T, 2) projected coordinates; ``path_loss`` label -> (T,) the runs' real training loss;
    ``explained`` (2,) the PCA plane's variance shares (None for a random plane); ``off_plane`` label -> the
    share of the path's squared distance from the centre that lies off the plane.
    """

    kind: str
    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    center: np.ndarray
    directions: np.ndarray
    paths: dict[str, np.ndarray]
    path_loss: dict[str, np.ndarray]
    steps: np.ndarray
    explained: np.ndarray | None
    off_plane: dict[str, float]
    center_label: str
    model: MLP
    data: Dataset
    histories: dict[str, History] = field(default_factory=dict, repr=False)
    n_steps: int = 0
    seed: int = 0

    @property
    def domain(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (float(self.x[0]), float(self.x[-1])), (float(self.y[0]), float(self.y[-1]))

    @property
    def axis_labels(self) -> tuple[str, str]:
        """What the plane's coordinates are: "d1", "d2" (random directions) or "PC1 (96.2% var)", "PC2 (...)"."""
        if self.kind == "pca":
            return tuple(f"PC{i + 1} ({float(e):.1%} var)" for i, e in enumerate(self.explained[:2]))
        return ("d1", "d2")

    def describe(self) -> str:
        """One line saying what the picture shows and how much of the paths it keeps."""
        if self.kind == "pca":
            e1, e2 = (float(v) for v in self.explained)
            head = (f"PCA plane of the paths: the two directions capture {e1:.1%} + {e2:.1%} = {e1 + e2:.1%} of "
                    f"the variance")
        else:
            head = "filter-normalized random plane (Li et al., 2018)"
        off = ", ".join(f"{k} {v:.0%}" for k, v in self.off_plane.items())
        centre = ("the shared initial weights" if self.center_label == START
                  else f"final weights of {self.center_label}")
        return f"{head}; centre: {centre}; off the plane: {off}"

    def summary(self) -> str:
        return self.describe()

    def surface(self):
        """This landscape as an ``ov.Surface``: f(a, b) is the network's exact training loss on the plane, so the
        2D renderer draws (and differentiates) it like any other surface. It carries the n x n grid already
        evaluated here, so the renderer draws that grid instead of evaluating the network again."""
        from ..surface import Surface

        fn = _plane_fn(self.model, self.data, self.center, self.directions)
        title = ("loss on the PCA plane" if self.kind == "pca" else "loss on a filter-normalized random plane")
        if self.kind == "pca":
            title += f" ({float(np.sum(self.explained)):.0%} of the path variance)"
        (x0, x1), (y0, y1) = self.domain
        start = next(iter(self.paths.values()))[0]
        if self.center_label == START:  # the origin is the start: mark the lowest point of the plane instead
            j, i = np.unravel_index(np.nanargmin(self.loss), self.loss.shape)
            lowest = ((float(self.x[i]), float(self.y[j])),)
        else:
            lowest = ((0.0, 0.0),)
        return Surface(fn=fn, name=f"{self.data.name}-{self.kind}", domain=((x0, x1), (y0, y1)),
                       start=(float(start[0]), float(start[1])), minima=lowest, title=title,
                       description=self.describe(), levels="auto", axis_labels=self.axis_labels,
                       precomputed_grid=(*np.meshgrid(self.x, self.y), self.loss))

    def trajectories(self):
        """The projected paths as ``ov.Trajectories`` on ``surface()``, for ``ov.animate`` / ``ov.plot``."""
        from ..engine.results import Trajectories, Trajectory

        surf = self.surface()
        runs = {}
        for label, path in self.paths.items():
            h = self.histories.get(label)
            gn = np.sqrt(np.sum(np.square(h.grad_norms), axis=1)) if h is not None else np.full(len(path), np.nan)
            runs[label] = Trajectory(label=label, caption=h.caption if h is not None else label, path=path,
                                     loss=self.path_loss[label], grad_norm=gn, steps=self.steps,
                                     diverged_at=h.diverged_at if h is not None else None, reached_at=None,
                                     spec=h.spec if h is not None else None)
            # the picture's label says how the lr was chosen and, for a stochastic run, its minibatch size
            runs[label].how = h.note if h is not None else None
        start = next(iter(self.paths.values()))[0]
        return Trajectories(runs, surf, n_steps=self.n_steps, seed=self.seed, start=np.asarray(start),
                            record="all", tol=None)

    def __repr__(self) -> str:
        return f"<Landscape {self.kind} {len(self.x)}x{len(self.y)}: {', '.join(self.paths)}>"


# ------------------------------------------------------------------------------------------------ directions

def filter_normalized_direction(params: Any, key: Any) -> Any:
    """A Gaussian direction shaped like ``params``, each weight column scaled to the norm of the weights' column
    (Li et al., 2018); bias directions are zero."""
    keys = jax.random.split(key, len(params))
    out = []
    for k, layer in zip(keys, params):
        w = jnp.asarray(layer.w)
        d = jax.random.normal(k, w.shape, w.dtype)
        d = d * (jnp.linalg.norm(w, axis=0) / jnp.maximum(jnp.linalg.norm(d, axis=0), 1e-12))
        out.append(type(layer)(d, jnp.zeros_like(jnp.asarray(layer.b))))
    return tuple(out)


def _chunk(model: MLP, n_data: int) -> int:
    """Grid points per vmapped chunk: about 2e7 hidden activations alive at once."""
    widest = max(o for _, o in model.layer_shapes())
    return int(max(1, min(4096, 2e7 // max(1, n_data * widest))))


def plane_loss(model: MLP, data: Dataset, center: Any, directions: Any, a: Any, b: Any) -> np.ndarray:
    """L(center + a d1 + b d2) on the training set for arrays ``a``, ``b`` of one shape: one compiled call."""
    fn = _plane_fn(model, data, np.asarray(center), np.asarray(directions))
    return np.asarray(fn(jnp.asarray(a), jnp.asarray(b)))


@partial(jax.jit, static_argnames=("model", "task", "batch"))
def _grid_loss(model: MLP, task: str, batch: int, center, dirs, x, y, pts):
    """L(center + a d1 + b d2) for every (a, b) row of ``pts``: one compiled call, vmapped in chunks of ``batch``."""
    unravel = jax.flatten_util.ravel_pytree(model.init(0))[1]  # traced once: only the tree structure is used

    def point(ab):
        return data_loss(task, model.apply(unravel(center + ab[0] * dirs[0] + ab[1] * dirs[1]), x), y)[0]

    return jax.lax.map(point, pts, batch_size=min(batch, pts.shape[0]))


def _plane_fn(model: MLP, data: Dataset, center: np.ndarray, directions: np.ndarray):
    """f(a, b) -> loss, broadcasting over arrays (and differentiable), on the training set."""
    dtype = compute()
    c = jnp.asarray(center, dtype)
    d = jnp.asarray(directions, dtype)
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    batch = _chunk(model, len(data.x_train))

    def fn(a, b):
        a, b = jnp.broadcast_arrays(jnp.asarray(a, dtype), jnp.asarray(b, dtype))
        pts = jnp.stack([a.ravel(), b.ravel()], axis=1)
        return _grid_loss(model, data.task, batch, c, d, x, y, pts).reshape(a.shape)

    return fn


# ------------------------------------------------------------------------------------------------ landscape

def _as_histories(runs: Any) -> dict[str, History]:
    if isinstance(runs, History):
        return {runs.label: runs}
    if isinstance(runs, Mapping) and runs and all(isinstance(h, History) for h in runs.values()):
        return dict(runs)
    raise InvalidValueError("landscape takes the result of ov.nets.train (a History or Histories)")


def landscape(runs: Any, data: Any = None, *, plane: str = "pca", n: int = 51, center: str | None = None,
              span: float | None = None, margin: float = 0.25, seed: int = 0) -> Landscape:
    """The loss landscape on a plane through the weights, with every run's path projected onto it.

    ``runs``: what ``ov.nets.train`` returned; every run must share one model and have kept its weight path
    (``keep_path``). ``data``: defaults to the data the runs trained on. ``plane``: ``"pca"`` or ``"random"``
    (see the module docstring). ``n``: grid points per side (51 -> a 51 x 51 grid in one vmapped call).
    ``center``: ``"start"`` (default): the runs' shared initial weights are the plane's origin, so the picture
    favours no run; or the label of the run whose final weights are the origin.
    ``span``: the grid's half-width (default: 1 for a random plane, else the paths' extent plus ``margin``).
    ``seed``: the random directions.
    """
    compilation_cache.enable()
    hist = _as_histories(runs)
    if data is None:
        data = getattr(runs, "data", None)
        if data is None:
            raise InvalidValueError("give the data: a single History does not carry it")
    data = _dataset(data) if isinstance(data, str) else data
    if plane not in PLANES:
        from ..registry import did_you_mean

        raise InvalidValueError(f"unknown plane {plane!r}; {did_you_mean(str(plane), list(PLANES))}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 3 <= n <= 501:
        raise InvalidValueError(f"n must be a whole number from 3 to 501, got {n!r}")
    first = next(iter(hist.values()))
    model = first.model
    for h in hist.values():
        if h.model != model:
            raise InvalidValueError(f"runs {first.label!r} and {h.label!r} train different models; a landscape "
                                    "needs one parameter space")
        if h.path is None:
            raise InvalidValueError(f"run {h.label!r} kept no weight path: train with keep_path=True")
    steps = first.steps
    if any(not np.array_equal(h.steps, steps) for h in hist.values()):
        raise InvalidValueError("all runs must record the same steps")
    center_label = START if center is None else center
    if center_label == START:
        theta_c = np.asarray(first.path[0], np.float64)
        if any(not np.allclose(h.path[0], first.path[0]) for h in hist.values()):
            raise InvalidValueError("the runs start from different weights: give center=<a run's label>")
    elif center_label not in hist:
        from ..registry import did_you_mean

        raise InvalidValueError(f"no run labelled {center_label!r}; {did_you_mean(str(center_label), list(hist))}")
    else:
        # a diverged run's recorded weights after the divergence are frozen finite values; NaN never enters the PCA
        theta_c = np.asarray(hist[center_label].path[-1], np.float64)
    rows = {k: np.asarray(h.path, np.float64) - theta_c for k, h in hist.items()}

    explained = None
    if plane == "pca":
        M = np.concatenate(list(rows.values()))
        Mc = M - M.mean(axis=0)
        # the SVD of the smaller Gram matrix would be cheaper for huge P; P is small for these networks
        _, s, vt = np.linalg.svd(Mc, full_matrices=False)
        total = float(np.sum(s**2))
        if total <= 0 or len(s) < 2:
            raise InvalidValueError("the paths do not move: no plane to fit (train for more steps)")
        dirs = vt[:2]
        explained = (s[:2] ** 2) / total
    else:
        unravel = first.unravel
        key = jax.random.PRNGKey(seed)
        k1, k2 = jax.random.split(key)
        center_params = unravel(floats(theta_c))
        dirs = np.stack([np.asarray(jax.flatten_util.ravel_pytree(filter_normalized_direction(center_params, k))[0],
                                    np.float64) for k in (k1, k2)])

    # least-squares projection onto span(d1, d2): coords = R D^T (D D^T)^-1
    gram = dirs @ dirs.T
    paths, off = {}, {}
    for k, R in rows.items():
        coords = np.linalg.solve(gram, dirs @ R.T).T
        resid = R - coords @ dirs
        norm2 = float(np.sum(R**2))
        off[k] = float(np.sum(resid**2) / norm2) if norm2 > 0 else 0.0
        paths[k] = coords
    if plane == "pca":
        # orient the axes so the paths run left-to-right, bottom-up: the common start at negative coordinates
        # (or, centred on the start, the runs' mean end point at positive ones)
        start = next(iter(paths.values()))[0]
        ends = np.mean([p[-1] for p in paths.values()], axis=0)
        flip = np.where(start < 0, 1.0, -1.0) if center_label != START else np.where(ends >= 0, 1.0, -1.0)
        dirs = dirs * flip[:, None]
        paths = {k: v * flip for k, v in paths.items()}

    pts = np.concatenate(list(paths.values()))
    if span is not None:
        if not (isinstance(span, (int, float)) and not isinstance(span, bool) and 0 < span < np.inf):
            raise InvalidValueError(f"span must be a number > 0, got {span!r}")
        lo = np.array([-span, -span], float)
        hi = -lo
    elif plane == "random":
        lo = np.minimum(pts.min(axis=0), -1.0)
        hi = np.maximum(pts.max(axis=0), 1.0)
    else:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        width = np.maximum(hi - lo, 1e-3 * max(float(np.max(hi - lo)), 1e-6))
        lo, hi = lo - margin * width, hi + margin * width
    xs = np.linspace(lo[0], hi[0], n)
    ys = np.linspace(lo[1], hi[1], n)
    A, B = np.meshgrid(xs, ys)
    Z = plane_loss(model, data, theta_c, dirs, A, B)
    return Landscape(plane, xs, ys, Z.astype(float), theta_c, dirs, paths,
                     {k: np.asarray(h.train_loss, float) for k, h in hist.items()}, np.asarray(steps), explained,
                     off, center_label, model, data, hist, int(steps[-1]), seed)
