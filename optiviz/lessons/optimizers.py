"""The optimizer claims of the tutorial on 2D surfaces, each a registered experiment swept over what a skeptic would
change: a grid of learning rates (13 spanning three decades; 7 spanning two with ``quick``), the starts the claim
depends on, and each optimizer at its tuned lr (``ov.tune``) or its best lr on the grid.

Every experiment is one call of ``ov.run(..., lrs=grid, starts=...)``: one compiled program per experiment, the
grid and the starts traced. The claim sentences are written from the numbers measured, so they state the band
where a lesson holds and what happens outside it; see ``optiviz.lessons.core`` for the verdict rule.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

import optiviz as ov

from .core import Sweep, fmt, lesson, mark_band, pct


def _lr_grid(quick: bool, lo: float, hi: float, lrs: Any = None) -> np.ndarray:
    """The learning rates tried: ``lrs`` if given, else 13 (quick: 7) log-spaced from 10**lo to 10**hi."""
    if lrs is not None:
        grid = np.asarray(lrs, dtype=float).ravel()
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
            raise ov.InvalidValueError("lrs must be a non-empty list of finite numbers > 0")
        return np.sort(grid)
    return np.logspace(lo, hi, 7 if quick else 13)


def _span(b: tuple[float, float] | None) -> str:
    return "no lr band of a decade or more" if b is None else f"lr {fmt(b[0])} to {fmt(b[1])}"


def _steps(n: Any) -> str:
    n = int(n)
    return "never" if n < 0 else f"{n} steps"


# --------------------------------------------------------------------------------------- h: momentum escapes

def _left_starts(quick: bool) -> np.ndarray:
    """A grid of starts left of ``local_minima``'s ridge (x < -0.13), where the local minimum is in the way."""
    xs, ys = (np.linspace(-2.4, -0.3, 6), np.linspace(-1.4, 1.4, 5)) if quick else \
        (np.linspace(-2.4, -0.3, 12), np.linspace(-1.4, 1.4, 9))
    X, Y = np.meshgrid(xs, ys)
    return np.column_stack([X.ravel(), Y.ravel()])


@lesson("momentum_escapes", topic="optimizers",
        claim="Momentum rolls past a local minimum into the global one where GD at the same lr stops.")
def momentum_escapes(quick: bool = False, *, lrs: Any = None, steps: int = 500) -> Sweep:
    """On ``local_minima``, from a grid of starts left of the ridge: the fraction of starts whose run ends at the
    global minimum (within 0.05), per optimizer and lr. A setting (lr) holds when Momentum ends there from more
    starts than GD at the same lr."""
    s = ov.load_surface("local_minima")
    grid, starts = _lr_grid(quick, -3, 0, lrs), _left_starts(quick)
    opts = ["gd", "momentum", "rmsprop", "adam"]
    runs = ov.run(s, opts, lrs=grid, starts=starts, steps=steps, record="final")
    target = np.asarray(s.minima[0])
    frac = {k: (np.linalg.norm(r.final - target, axis=-1) < 0.05).mean(axis=1) for k, r in runs.items()}
    div = {k: (r.diverged_at >= 0).mean(axis=1) for k, r in runs.items()}
    rows = [{"lr": float(lr), **{k: float(frac[k][i]) for k in opts},
             **{f"{k}_diverged": float(div[k][i]) for k in ("gd", "momentum")},
             "holds": bool(frac["momentum"][i] > frac["gd"][i])} for i, lr in enumerate(grid)]
    b = mark_band(rows)[None]
    inside = [r for r in rows if r["in_band"]] or rows
    show = max(inside, key=lambda r: r["momentum"] - r["gd"])
    best = {k: int(np.argmax(frac[k])) for k in opts}
    measured = {"band": b, "n_starts": len(starts), "at_lr": show["lr"], "momentum": show["momentum"],
                "gd": show["gd"], **{f"best_{k}": float(frac[k][best[k]]) for k in opts},
                **{f"best_{k}_lr": float(grid[best[k]]) for k in opts}}
    above = [r for r in rows if b is not None and r["lr"] > b[1]]
    tail = ""
    if above:
        tail = (f"; above it GD escapes too, by overshooting (up to {pct(max(r['gd'] for r in above))}), and "
                f"Momentum diverges from up to {pct(max(r['momentum_diverged'] for r in above))} of starts")
    claim = (f"At the same lr, Momentum rolls past the local minimum into the global one from more starts than GD "
             f"for {_span(b)} (lr {fmt(show['lr'])}: Momentum {pct(show['momentum'])}, GD {pct(show['gd'])} of "
             f"{len(starts)} starts left of the ridge){tail}; each at its best lr, Momentum "
             f"{pct(measured['best_momentum'])}, GD {pct(measured['best_gd'])}, Adam {pct(measured['best_adam'])} "
             f"(lr {fmt(measured['best_adam_lr'])}: steps that long jump the ridge), RMSProp "
             f"{pct(measured['best_rmsprop'])}.")
    headline = (f"At the same lr {fmt(show['lr'])}, Momentum reaches the global minimum from "
                f"{pct(show['momentum'])} of starts, GD from {pct(show['gd'])} (the claim holds for {_span(b)})")
    return Sweep(rows=rows, measured=measured, claim=claim, headline=headline)


# ----------------------------------------------------------------------------------- g: Adagrad vs RMSProp

def _wall_starts(quick: bool) -> np.ndarray:
    """Starts on ``steep_then_flat``'s steep wall, at several heights."""
    pts = [(-1.0, 1.5), (-1.2, -1.0), (-0.8, 0.5), (-1.4, 1.2)]
    return np.asarray(pts[:2] if quick else pts)


@lesson("adagrad_vs_rmsprop", topic="optimizers",
        claim="Adagrad's effective step only shrinks; RMSProp's recovers once a steep direction turns flat.")
def adagrad_vs_rmsprop(quick: bool = False, *, lrs: Any = None, steps: int = 500, tol: float = 1e-2) -> Sweep:
    """On ``steep_then_flat``, from starts on the wall: each optimizer's effective step along x, |update| /
    |gradient|, step by step. A setting (lr, start) holds when Adagrad's never grows and RMSProp's ends at least
    ten times above its smallest value. Steps to reach loss ``tol`` are measured over the grid and at each one's
    tuned lr (the tuned pair is one more row of the same program's grid)."""
    s = ov.load_surface("steep_then_flat")
    grid, starts = _lr_grid(quick, -2, 1, lrs), _wall_starts(quick)
    opts = ["adagrad", "rmsprop"]
    tuned = ov.tune(s, opts, steps=steps)
    table = np.vstack([np.repeat(grid[:, None], 2, axis=1), [[tuned[k].lr for k in opts]]])
    runs = ov.run(s, opts, lrs=table, starts=starts, steps=steps, tol=tol, internals=True)
    eff = {}
    for k, r in runs.items():
        g, u = np.abs(r.grads[..., 0]), np.abs(r.updates[..., 0])  # (G, N, steps)
        eff[k] = np.where(g > 1e-12, u / np.maximum(g, 1e-30), np.nan)
    rows = []
    for i, lr in enumerate(grid):
        for j, st in enumerate(starts):
            a, m = eff["adagrad"][i, j], eff["rmsprop"][i, j]
            a = a[np.isfinite(a) & (a > 0)]  # a frozen (diverged) run records zero updates: not a step
            m = m[np.isfinite(m) & (m > 0)]
            shrinks = bool(np.all(np.diff(a) <= 1e-6 * a[:-1]))
            recovery = float(m[-1] / np.min(m)) if len(m) > 1 else 0.0
            rows.append({"lr": float(lr), "start": tuple(map(float, st)), "adagrad_shrinks": shrinks,
                         "rmsprop_recovery": recovery,
                         "adagrad_steps": int(runs["adagrad"].reached_at[i, j]),
                         "rmsprop_steps": int(runs["rmsprop"].reached_at[i, j]),
                         "holds": shrinks and recovery >= 10.0})
    b = mark_band(rows)[None]
    reach = {k: [float(lr) for i, lr in enumerate(grid) if np.all(runs[k].reached_at[i] >= 0)] for k in opts}
    at_tuned = {k: [int(v) for v in runs[k].reached_at[-1]] for k in opts}
    measured = {"band": b, "min_rmsprop_recovery": min((r["rmsprop_recovery"] for r in rows if r["in_band"]),
                                                       default=0.0),
                "adagrad_reaches_lr": (min(reach["adagrad"]), max(reach["adagrad"])) if reach["adagrad"] else None,
                "rmsprop_reaches_lr": (min(reach["rmsprop"]), max(reach["rmsprop"])) if reach["rmsprop"] else None,
                "tuned_lr": {k: tuned[k].lr for k in opts}, "tuned_steps": at_tuned, "tol": tol}

    def where(k: str) -> str:
        v = measured[f"{k}_reaches_lr"]
        if v is None:
            return "at no lr"
        return f"only at lr {fmt(v[0])}" if v[0] == v[1] else f"for lr {fmt(v[0])} to {fmt(v[1])}"

    claim = (f"Adagrad's effective step lr/sqrt(sum g^2) only shrinks while RMSProp's grows back (by at least "
             f"x{fmt(measured['min_rmsprop_recovery'])}) after the steep wall, for {_span(b)}; so from every start "
             f"RMSProp reaches loss {fmt(tol)} {where('rmsprop')}, Adagrad {where('adagrad')} (a step as long as "
             f"the floor); at their tuned lrs ({fmt(tuned['adagrad'].lr)}, {fmt(tuned['rmsprop'].lr)}) Adagrad "
             f"takes {'/'.join(_steps(v) for v in at_tuned['adagrad'])}, RMSProp "
             f"{'/'.join(_steps(v) for v in at_tuned['rmsprop'])}.")
    headline = (f"Adagrad's effective step only shrinks, RMSProp's grows back x{fmt(measured['min_rmsprop_recovery'])}"
                f" after the wall ({_span(b)}); at tuned lrs Adagrad takes {_steps(at_tuned['adagrad'][0])}, RMSProp "
                f"{_steps(at_tuned['rmsprop'][0])}")
    return Sweep(rows=rows, measured=measured, claim=claim, headline=headline)


# --------------------------------------------------------------------------- i: Adam = RMSProp + Momentum

_ABLATION = {
    "adam_b1_0": {"name": "adam", "b1": 0.0, "b2": 0.9},
    "rmsprop_momentum": {"name": "rmsprop", "decay": 0.9, "momentum": 0.9},
    "adam": {"name": "adam", "b1": 0.9, "b2": 0.9},
}


@lru_cache(maxsize=None)
def _replay_rmsprop() -> Any:
    """RMSProp (bias-corrected, eps outside the root, lr 1) fed a recorded gradient sequence, batched:
    ``(B, T, 2) gradients -> (B, T, 2) updates``; jitted once."""
    import jax

    opt = ov.optimizer("rmsprop", lr=1.0, decay=0.9, bias_correction=True, eps_in_sqrt=False)

    def replay(grads):
        def step(state, g):
            u, state = opt.update(g, state, None)
            return state, u

        return jax.lax.scan(step, opt.init(grads[0]), grads)[1]

    return jax.jit(jax.vmap(replay))


@lesson("adam_is_rmsprop_momentum", topic="optimizers",
        claim="Adam is RMSProp plus Momentum: with b1 = 0 Adam equals bias-corrected RMSProp.")
def adam_is_rmsprop_momentum(quick: bool = False, *, lrs: Any = None, steps: int = 300,
                             tol: float = 1e-3) -> Sweep:
    """On ``ravine`` and ``rosenbrock`` (quick: ravine only), over the lr grid and three starts: Adam with b1 = 0
    (b2 = 0.9) is run, and RMSProp with bias correction and eps outside the root (decay 0.9) is fed the same
    gradients. A setting holds when every update agrees to float32 tolerance (1e-5 relative to the step's scale;
    comparing whole paths instead would measure chaos: where a run bounces, rounding differences grow).
    Side by side: RMSProp with momentum 0.9 against Adam with b1 = 0.9 (b2 = 0.9), each at its best lr on the
    grid: steps until every start is within ``tol`` of the minimum's loss."""
    grid = _lr_grid(quick, -3, 0, lrs)
    rows: list[dict[str, Any]] = []
    side: dict[str, dict[str, Any]] = {}
    worst = 0.0
    replay = _replay_rmsprop()
    for name in (["ravine"] if quick else ["ravine", "rosenbrock"]):
        s = ov.load_surface(name)
        (x0, x1), (y0, y1) = s.domain
        starts = np.asarray([s.start, (x0 + 0.2 * (x1 - x0), y1 - 0.25 * (y1 - y0)),
                             (x1 - 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0))])
        fmin = float(s.value(np.asarray(s.minima[0], dtype=np.float32)))
        specs = {k: v for k, v in _ABLATION.items() if k != "rmsprop_bc"}
        runs = ov.run(s, specs, lrs=grid, starts=starts, steps=steps, tol=fmin + tol, internals=True)
        a = runs["adam_b1_0"]
        g = a.grads.reshape(-1, steps, 2)
        unit = np.asarray(replay(g)).reshape(a.grads.shape)  # RMSProp's update per unit lr
        mine = a.updates / grid[:, None, None, None]
        for i, lr in enumerate(grid):
            for j, st in enumerate(starts):
                live = np.any(a.grads[i, j] != 0, axis=-1)  # a diverged run records zero gradients from then on
                d = float(np.max(np.abs(mine[i, j][live] - unit[i, j][live]), initial=0.0))
                scale = float(np.max(np.abs(unit[i, j][live]), initial=1.0))
                rel = d / max(scale, 1e-30)
                worst = max(worst, rel)
                rows.append({"surface": name, "lr": float(lr), "start": tuple(map(float, st)),
                             "max_difference": rel, "holds": bool(rel <= 1e-5)})
        for k in ("rmsprop_momentum", "adam"):
            reached = runs[k].reached_at  # (G, N)
            score = np.where(reached >= 0, reached, steps + 1).max(axis=1)  # the slowest start, per lr
            i = int(np.argmin(score))
            side.setdefault(name, {})[k] = {"lr": float(grid[i]),
                                            "steps": int(score[i]) if score[i] <= steps else -1}
    measured = {"max_difference": worst, "side_by_side": side, "tol": tol}
    parts = "; ".join(f"on {n}: RMSProp+momentum {_steps(v['rmsprop_momentum']['steps'])} "
                      f"(lr {fmt(v['rmsprop_momentum']['lr'])}), Adam {_steps(v['adam']['steps'])} "
                      f"(lr {fmt(v['adam']['lr'])})" for n, v in side.items())
    n_ok = sum(r["holds"] for r in rows)
    claim = (f"Adam with b1 = 0 makes RMSProp's bias-corrected update from the same gradients (largest relative "
             f"difference {worst:.1e}, {n_ok}/{len(rows)} settings within 1e-5); RMSProp with momentum 0.9 against "
             f"Adam (b1 = 0.9), each at its best lr, steps until every start is within {fmt(tol)} of the minimum: "
             f"{parts}.")
    rv = side["ravine"]
    headline = (f"Adam with b1 = 0 is bias-corrected RMSProp (to {worst:.0e}); on the ravine RMSProp+momentum "
                f"takes {_steps(rv['rmsprop_momentum']['steps'])}, Adam {_steps(rv['adam']['steps'])}, each at its best lr")
    return Sweep(rows=rows, measured=measured, claim=claim, headline=headline)


# ----------------------------------------------------------------------------------- j: L1 vs L2 in 2D

#: the unpenalized loss's minimum; with weight 1 the L1 solution is (1, 0) (soft threshold), the L2 one (1, 0.25)
_CENTRE = (2.0, 0.5)


@lru_cache(maxsize=None)
def penalized_surface(kind: str) -> Any:
    """The surface of the ``l1_vs_l2_geometry`` lesson: ``0.5 ((x - 2)^2 + (y - 0.5)^2)`` plus ``|x| + |y|`` (``"l1"``)
    or ``0.5 (x^2 + y^2)`` (``"l2"``); built once, so a second call (and a second check) reuses the compiled program."""
    if kind not in ("l1", "l2"):
        raise ov.InvalidValueError(f"kind must be 'l1' or 'l2', got {kind!r}")
    import jax.numpy as jnp

    cx, cy = _CENTRE
    if kind == "l1":
        @ov.surface(domain=((-3.0, 3.0), (-2.0, 2.0)), start=(-2.5, 1.5), minima=[(cx - 1.0, 0.0)])
        def l1_penalized(x, y):
            """0.5 ((x - 2)^2 + (y - 0.5)^2) + |x| + |y|"""
            return 0.5 * ((x - cx) ** 2 + (y - cy) ** 2) + jnp.abs(x) + jnp.abs(y)

        return l1_penalized

    @ov.surface(domain=((-3.0, 3.0), (-2.0, 2.0)), start=(-2.5, 1.5), minima=[(cx / 2, cy / 2)])
    def l2_penalized(x, y):
        """0.5 ((x - 2)^2 + (y - 0.5)^2) + 0.5 (x^2 + y^2)"""
        return 0.5 * ((x - cx) ** 2 + (y - cy) ** 2) + 0.5 * (x ** 2 + y ** 2)

    return l2_penalized


@lesson("l1_vs_l2_geometry", topic="optimizers",
        claim="An L1-penalized path lands on an axis (a weight becomes zero); an L2-penalized one does not.")
def l1_vs_l2_geometry(quick: bool = False, *, lrs: Any = None, steps: int = 3000, axis_tol: float = 0.025) -> Sweep:
    """A 2D quadratic (minimum (2, 0.5)) plus an L1 penalty |x| + |y| or an L2 penalty (x^2 + y^2) / 2: the L1
    minimum (1, 0) lies on the x axis, the L2 one (1, 0.25) does not. GD and Adam over the lr grid and several
    starts; a setting (optimizer, lr) holds when every L1 run ends within ``axis_tol`` of the axis (a tenth of the
    L2 minimum's distance, 0.25) and every L2 run ends at least 0.1 away from it. (Subgradient steps hover around
    the kink at a distance of about lr: that is why the band has an upper end.)"""
    grid = _lr_grid(quick, -3, 0, lrs)
    starts = np.asarray([(-2.5, 1.5), (2.5, -1.5), (0.5, 1.8), (-1.0, -1.5), (2.8, 1.0), (-2.0, 0.2)])
    starts = starts[:3] if quick else starts
    opts = ["gd", "adam"]
    ends = {kind: ov.run(penalized_surface(kind), opts, lrs=grid, starts=starts, steps=steps, record="final")
            for kind in ("l1", "l2")}
    rows = []
    for k in opts:
        for i, lr in enumerate(grid):
            y1 = np.abs(ends["l1"][k].final[i, :, 1])
            y2 = np.abs(ends["l2"][k].final[i, :, 1])
            rows.append({"optimizer": k, "lr": float(lr), "l1_max_abs_y": float(y1.max()),
                         "l2_min_abs_y": float(y2.min()),
                         "holds": bool(np.all(y1 <= axis_tol) and np.all(y2 >= 0.1))})
    bands = mark_band(rows, group="optimizer")
    measured = {"band_gd": bands["gd"], "band_adam": bands["adam"], "axis_tol": axis_tol, "n_starts": len(starts),
                "l2_abs_y": float(np.median([r["l2_min_abs_y"] for r in rows])), "steps": steps}
    claim = (f"From {len(starts)} starts, an L1-penalized path ends within {fmt(axis_tol)} of the axis y = 0 (the "
             f"weight is zero, up to a tenth of the L2 distance) while an L2-penalized one stays about {fmt(measured['l2_abs_y'])} away, for GD at "
             f"{_span(bands['gd'])} and Adam at {_span(bands['adam'])} ({steps} steps; larger steps hover around "
             f"the kink at a distance of about lr).")
    headline = (f"The L1 path ends within {fmt(axis_tol)} of the axis, the L2 one {fmt(measured['l2_abs_y'])} away "
                f"(GD at {_span(bands['gd'])}, Adam at {_span(bands['adam'])})")
    return Sweep(rows=rows, measured=measured, claim=claim, headline=headline)


# ------------------------------------------------------------------------------------------------ saddle

def _ridge_starts(quick: bool) -> np.ndarray:
    """Starts (almost) on ``saddle``'s ridge y = 0, the set of points that flow into the saddle."""
    pts = [(-2.2, 1e-3), (2.2, -1e-3), (-1.5, 1e-2), (1.0, 1e-4), (-2.0, -1e-2), (1.8, 3e-3)]
    return np.asarray(pts[:3] if quick else pts)


@lesson("saddle_slows_gd", topic="optimizers",
        claim="Gradient descent slows down at a saddle point; adaptive methods (RMSProp, Adam) pass it by.")
def saddle_slows_gd(quick: bool = False, *, lrs: Any = None, steps: int = 300, tol: float = 1e-2) -> Sweep:
    """On ``saddle``, from starts on the ridge: steps spent within 0.1 of the saddle, per optimizer and lr. A setting
    (lr) holds when GD spends more steps there than RMSProp and Adam at the same lr. Steps to reach a valley (loss
    ``tol``) at each optimizer's tuned lr are measured in the same program (one more row of the grid)."""
    s = ov.load_surface("saddle")
    grid, starts = _lr_grid(quick, -3, 0, lrs), _ridge_starts(quick)
    opts = ["gd", "momentum", "rmsprop", "adam"]
    tuned = ov.tune(s, opts, steps=steps)
    table = np.vstack([np.repeat(grid[:, None], len(opts), axis=1), [[tuned[k].lr for k in opts]]])
    runs = ov.run(s, opts, lrs=table, starts=starts, steps=steps, tol=tol)
    near = {k: (np.linalg.norm(r.path, axis=-1) < 0.1).sum(axis=-1).mean(axis=-1) for k, r in runs.items()}
    rows = [{"lr": float(lr), **{f"{k}_near": float(near[k][i]) for k in opts},
             "holds": bool(near["gd"][i] > max(near["rmsprop"][i], near["adam"][i]))} for i, lr in enumerate(grid)]
    b = mark_band(rows)[None]
    at_tuned = {k: int(np.where(runs[k].reached_at[-1] >= 0, runs[k].reached_at[-1], steps + 1).max()) for k in opts}
    inside = [r for r in rows if r["in_band"]]
    measured = {"band": b, "gd_near": (min(r["gd_near"] for r in inside), max(r["gd_near"] for r in inside))
                if inside else None, "adaptive_near": max(max(r["rmsprop_near"], r["adam_near"]) for r in rows),
                "momentum_near": max(r["momentum_near"] for r in rows),
                "tuned_lr": {k: tuned[k].lr for k in opts},
                "tuned_steps": {k: (v if v <= steps else -1) for k, v in at_tuned.items()}}
    gd_near = measured["gd_near"]
    lingers = (f"{fmt(gd_near[0])} to {fmt(gd_near[1])} steps" if gd_near else "no steps")
    ts = measured["tuned_steps"]
    claim = (f"Started on the ridge, GD lingers near the saddle ({lingers} within 0.1 of it, mean over "
             f"{len(starts)} starts) while RMSProp and Adam spend at most {fmt(measured['adaptive_near'])} there, "
             f"for {_span(b)} (Momentum lingers too, up to {fmt(measured['momentum_near'])} steps at small lr); how much it costs is the lr's doing: at their tuned lrs GD reaches a valley in "
             f"{_steps(ts['gd'])} (lr {fmt(tuned['gd'].lr)}), Adam {_steps(ts['adam'])}, RMSProp "
             f"{_steps(ts['rmsprop'])}, Momentum {_steps(ts['momentum'])}.")
    headline = (f"GD lingers {lingers} near the saddle, RMSProp and Adam at most {fmt(measured['adaptive_near'])} "
                f"({_span(b)}); at its tuned lr GD reaches a valley in {_steps(ts['gd'])}, Adam in {_steps(ts['adam'])}")
    return Sweep(rows=rows, measured=measured, claim=claim, headline=headline)


# ------------------------------------------------------------------------------------------------ plateau

def _plateau_starts(quick: bool) -> tuple[np.ndarray, np.ndarray]:
    """Starts on ``flat``'s plateau: rings of 8 (quick: 4) angles at each radius; returns (starts, radius of each)."""
    radii = (3.5, 4.4) if quick else (3.0, 3.5, 4.0, 4.4)
    n = 4 if quick else 8
    ang = np.linspace(0.0, 2 * np.pi, n, endpoint=False) + 0.3
    pts = [(r * np.cos(a), r * np.sin(a), r) for r in radii for a in ang]
    arr = np.asarray(pts)
    return arr[:, :2], arr[:, 2]


@lesson("plateau_stalls_gd", topic="optimizers",
        claim="On a plateau gradient descent barely moves; RMSProp and Adam, which divide by the gradient's size, "
              "walk off it.")
def plateau_stalls_gd(quick: bool = False, *, lrs: Any = None, steps: int = 300, tol: float = 1e-2) -> Sweep:
    """On ``flat`` (a Gaussian well in a plateau), from rings of starts at several radii (the farther, the flatter):
    the fraction of starts reaching loss ``tol`` in ``steps`` steps, per optimizer, lr and radius. A setting (lr,
    radius) holds when Adam or RMSProp reaches the well from more starts than GD at the same lr. GD is stable in
    the well for lr < 2 (its curvature is 1)."""
    s = ov.load_surface("flat")
    grid = _lr_grid(quick, -2, 1, lrs)
    starts, radius = _plateau_starts(quick)
    opts = ["gd", "momentum", "adagrad", "rmsprop", "adam"]
    runs = ov.run(s, opts, lrs=grid, starts=starts, steps=steps, tol=tol, record="final")
    rows = []
    for rad in sorted(set(radius.tolist())):
        sel = radius == rad
        for i, lr in enumerate(grid):
            frac = {k: float((runs[k].reached_at[i, sel] >= 0).mean()) for k in opts}
            rows.append({"radius": rad, "lr": float(lr), **frac,
                         "holds": bool(max(frac["rmsprop"], frac["adam"]) > frac["gd"])})
    bands = mark_band(rows, group="radius")
    gd_stable = [r for r in rows if r["lr"] < 2.0]
    gd_best = {rad: max(r["gd"] for r in gd_stable if r["radius"] == rad) for rad in bands}
    far = max(bands)
    measured = {"far_radius": far, "gd_best_stable_far": gd_best[far], "bands": {str(k): v for k, v in bands.items()}, "gd_best_stable": {str(k): v for k, v in
                                                                                    gd_best.items()},
                "adam_lr_all": [r["lr"] for r in rows if r["adam"] == 1.0 and r["radius"] == max(bands)]}
    per = "; ".join(f"radius {fmt(rad)}: {_span(b)} (GD's best below lr 2: {pct(gd_best[rad])})"
                    for rad, b in bands.items())
    claim = (f"From the plateau, Adam or RMSProp reach the well from more starts than GD at the same lr, a band that "
             f"widens the flatter the start: {per}; {steps} steps.")
    headline = (f"From the plateau's far edge (radius {fmt(far)}) Adam or RMSProp reach the well from more starts than "
                f"GD at {_span(bands[far])}; GD's best below lr 2: {pct(gd_best[far])}")
    return Sweep(rows=rows, measured=measured, claim=claim, headline=headline)
