"""The network claims of the tutorial (a-f, j networks, k, l, m), each a registered experiment.

Every experiment trains its whole grid (seeds x learning rates x depths or penalties) as one compiled program
(``optiviz.nets.grid``: the step ``ov.nets.train`` uses, vmapped over members; static structures such as depth
and activation step side by side in the same scan). Claims that read the same runs share one experiment: the
depth sweep (b, c, d) and the overfitting setup (k, l) run once per process and sweep size.

Randomness: seed s draws the dataset, the initial weights, the minibatches and the dropout masks, so "over seeds"
means over all of them at once. Learning rates: 7 values log-spaced over two decades (the full sweep) for
each optimizer involved; the sentence states the band where a claim holds when it does not hold at all of them.

See ``optiviz.lessons.core`` for the ``@lesson`` / ``Sweep`` contract.
"""
from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from .core import Sweep, band, fmt, lesson, pct

__all__: list[str] = []


def _load() -> None:
    """Import JAX and the networks code on first use: registering (and listing) the lessons must not import JAX,
    so this module binds these names only when an experiment runs."""
    global jax, jnp, compilation_cache, grid, Dataset, dataset, judge, Dense, mlp, data_loss
    import jax
    import jax.flatten_util  # noqa: F401  (not loaded by ``import jax``)
    import jax.numpy as jnp

    from .. import compilation_cache
    from ..nets import grid
    from ..nets.datasets import Dataset, dataset
    from ..nets.diagnostics import judge
    from ..nets.models import Dense, mlp
    from ..nets.train import data_loss


# ---------------------------------------------------------------------------------------------- helpers

def _lrs(lo: float, hi: float, n: int = 7) -> tuple[float, ...]:
    return tuple(float(v) for v in np.geomspace(lo, hi, n))


def _tuple(values: Any, name: str) -> tuple:
    """An override given as one value or a sequence, as a hashable tuple (the experiments are memoized)."""
    if values is None:
        return None  # type: ignore[return-value]
    out = tuple(values) if isinstance(values, (list, tuple, np.ndarray)) else (values,)
    if not out:
        from ..errors import InvalidValueError

        raise InvalidValueError(f"{name} needs at least one value")
    return out


def _splits(datas: Sequence[Dataset]) -> tuple[np.ndarray, ...]:
    return tuple(np.stack([getattr(d, k) for d in datas]) for k in ("x_train", "y_train", "x_test", "y_test"))


def _members(lrs: Sequence[float], seeds: Sequence[int], *more: Sequence[Any]) -> list[tuple]:
    """Every (lr, seed, ...) combination, seed-major: the member order of a group."""
    return [(lr, s, *rest) for s in seeds for lr in lrs for rest in itertools.product(*more)]


def _group(model, optimizer: str, members: list[tuple], datas: Any, **kw) -> grid.Group:
    """A grid group: member i = (lr, seed, ...) trains ``model`` from ``model.init(seed)`` at ``lr`` on
    ``datas[seed]`` (or ``datas(member)`` when ``datas`` is callable)."""
    inits = {s: model.init(s) for s in sorted({m[1] for m in members})}
    data_of = datas if callable(datas) else (lambda m: datas[m[1]])
    return grid.Group(model, optimizer, grid.stack([inits[m[1]] for m in members]),
                      _splits([data_of(m) for m in members]), {"lr": np.array([m[0] for m in members])},
                      seeds=np.array([m[1] for m in members]), **kw)


def _rel_change(p0: Sequence[Dense], p1: Sequence[Dense]) -> np.ndarray:
    """||W_l(end) - W_l(0)|| / ||W_l(0)|| per weight layer, stacked members on the leading axis: (G, layers)."""
    with np.errstate(all="ignore"):  # a diverged member's weights may be huge: its row is inf, not a warning
        return _rel_change_(p0, p1)


def _rel_change_(p0: Sequence[Dense], p1: Sequence[Dense]) -> np.ndarray:
    return np.stack([np.linalg.norm((np.asarray(b.w) - np.asarray(a.w)).reshape(len(a.w), -1), axis=1)
                     / np.linalg.norm(np.asarray(a.w).reshape(len(a.w), -1), axis=1) for a, b in zip(p0, p1)],
                    axis=1)


def _sig(x: float) -> str:
    return f"{x:.1g}" if x < 0.01 else fmt(x)


def _lr_band(rows: list[dict], key: str = "lr") -> tuple[float, float] | None:
    """The widest run of learning rates where every row at that lr holds."""
    lrs = sorted({r[key] for r in rows})
    ok = [all(r["holds"] for r in rows if r[key] == lr) for lr in lrs]
    return band(lrs, ok)


def _mark_band(rows: list[dict], bnd: tuple[float, float] | None, key: str = "lr") -> None:
    for r in rows:
        r["in_band"] = bnd is not None and bnd[0] <= r[key] <= bnd[1]


def _outside(rows: list[dict], key: str = "lr") -> list[float]:
    """The settings of ``key`` outside the stated band (sorted, distinct)."""
    return sorted({r[key] for r in rows if not r.get("in_band", True)})


def _lrs_text(values: Sequence[float]) -> str:
    return ", ".join(fmt(v) for v in values)


def _band_text(bnd: tuple[float, float] | None, all_lrs: Sequence[float], what: str = "lr") -> str:
    if bnd is None:
        return f"at none of the {what}s tried"
    if bnd[0] <= min(all_lrs) and bnd[1] >= max(all_lrs):
        return f"at every {what} tried ({fmt(min(all_lrs))} to {fmt(max(all_lrs))})"
    if bnd[0] == bnd[1]:
        return f"only at {what} {fmt(bnd[0])} (of {fmt(min(all_lrs))} to {fmt(max(all_lrs))})"
    return f"for {what} {fmt(bnd[0])} to {fmt(bnd[1])} (of {fmt(min(all_lrs))} to {fmt(max(all_lrs))})"


# ============================================================ a. no activation -> one linear map

@lru_cache(maxsize=4)
def _linear_experiment(quick: bool, lrs: tuple | None, seeds: tuple | None, depths: tuple | None):
    _load()
    seeds = seeds or ((0, 1) if quick else (0, 1, 2))
    lrs = lrs or (_lrs(0.003, 0.3, 3) if quick else _lrs(0.003, 0.3))
    depths = depths or ((1, 4) if quick else (1, 2, 4, 6, 8, 10))
    steps = 200 if quick else 400
    # 1. exactness: the composed affine map x W + b equals the network's output
    exact = []
    x = np.random.default_rng(0).uniform(-1, 1, (64, 2)).astype(np.float32)
    for d, s in itertools.product(depths, seeds):
        m = mlp(8, d, "linear")
        p = m.init(s)
        W, b = np.eye(2), np.zeros(2)
        for layer in p:
            W, b = W @ np.asarray(layer.w, np.float64), b @ np.asarray(layer.w, np.float64) + np.asarray(layer.b)
        out = np.asarray(m.apply(p, x), np.float64)
        err = float(np.max(np.abs(out - (x @ W + b))) / max(np.max(np.abs(out)), 1e-12))
        exact.append({"depth": d, "seed": s, "relative_error": err})
    # 2. fitting XOR: a deep linear net against one hidden ReLU layer, Adam over the lr grid
    datas = {s: dataset("xor", n=200, seed=s) for s in seeds}
    members = _members(lrs, seeds)
    fit_depth = max(depths)
    lin, relu = mlp(8, fit_depth, "linear"), mlp(8, 1, "relu")
    res = grid.run([_group(lin, "adam", members, datas), _group(relu, "adam", members, datas)], task="binary",
                   steps=steps, every=steps)
    fits = [{"lr": lr, "seed": s, "linear_acc": float(res[0].train_acc[i, -1]),
             "relu_acc": float(res[1].train_acc[i, -1])} for i, (lr, s) in enumerate(members)]
    return exact, fits, fit_depth


@lesson("linear_without_activations", topic="networks",
        claim="Without activation functions a network of any depth is one linear map (its output is one matrix "
              "times the input, plus a bias) and cannot fit XOR, while one hidden ReLU layer can.")
def linear_without_activations(quick: bool = False, lrs: Any = None, seeds: Any = None, depths: Any = None) -> Sweep:
    _load()
    exact, fits, fit_depth = _linear_experiment(quick, _tuple(lrs, "lrs"), _tuple(seeds, "seeds"),
                                                _tuple(depths, "depths"))
    rows = [dict(r, part="one matrix", holds=r["relative_error"] < 1e-5) for r in exact]
    fit_rows = [dict(r, part="XOR fit", holds=r["linear_acc"] <= 0.75 and r["relu_acc"] >= 0.95) for r in fits]
    bnd = _lr_band(fit_rows)
    _mark_band(fit_rows, bnd)
    rows += fit_rows
    all_lrs = sorted({r["lr"] for r in fits})
    err = max(r["relative_error"] for r in exact)
    lin_best = max(r["linear_acc"] for r in fits)
    relu_band = [r["relu_acc"] for r in fit_rows if r["in_band"]] or [r["relu_acc"] for r in fits]
    claim = (f"Without activations a network of depth {min(r['depth'] for r in exact)}-{max(r['depth'] for r in exact)}"
             f" is one affine map (output = x W + b to relative error {_sig(err)}) and fits XOR to at most "
             f"{pct(lin_best)} training accuracy (depth {fit_depth}, Adam, {len(all_lrs)} lrs), while one hidden "
             f"layer of 8 ReLUs reaches >= {pct(min(relu_band))} {_band_text(bnd, all_lrs)}.")
    return Sweep(rows, {"max_relative_error": err, "linear_best_acc": lin_best, "relu_min_acc": min(relu_band),
                        "lr_band": bnd}, claim)


# ================================================== b, c, d. the depth sweep: sigmoid vs ReLU, GD

@lru_cache(maxsize=4)
def _depth_experiment(quick: bool, lrs: tuple | None, seeds: tuple | None, depths: tuple | None):
    """Sigmoid and ReLU MLPs (width 16) of each depth, full-batch GD on moons, every lr x seed: one program."""
    _load()
    seeds = seeds or ((0, 1) if quick else (0, 1, 2))
    lrs = lrs or (_lrs(0.03, 3, 3) if quick else _lrs(0.03, 3))
    depths = depths or ((2, 8) if quick else (2, 4, 6, 8, 10))
    steps = 300 if quick else 400
    datas = {s: dataset("moons", n=200, seed=s) for s in seeds}
    members = _members(lrs, seeds)
    groups, keys = [], []
    for act in ("sigmoid", "relu"):
        for d in depths:
            groups.append(_group(mlp(16, d, act), "gd", members, datas))
            keys.append((act, d))
    res = grid.run(groups, task="binary", steps=steps, every=steps // 8)
    out = {}
    for (act, d), g, r in zip(keys, groups, res):
        gn = r.grad_norms  # (G, T, layers)
        ratio = gn[:, :, 0] / gn[:, :, -1]
        change = _rel_change(g.params0, r.params)
        for i, (lr, s) in enumerate(members):
            first, last = gn[i, :, 0], gn[i, :, -1]
            ok = np.isfinite(first) & np.isfinite(last)
            out[(act, d, lr, s)] = {
                # the largest gradient the first layer ever gets, against the largest the last layer gets
                "ratio_init": float(ratio[i, 0]),
                "ratio_peak": float(np.max(first[ok]) / np.max(last[ok])) if ok.any() else float("nan"),
                "change_first": float(change[i, 0]), "change_last": float(change[i, -1]),
                "train_acc": float(r.train_acc[i, -1]), "test_acc": float(r.test_acc[i, -1]),
                "diverged": bool(r.diverged_at[i] >= 0)}
    return out, lrs, seeds, depths, steps


def _depth(quick, lrs, seeds, depths):
    return _depth_experiment(quick, _tuple(lrs, "lrs"), _tuple(seeds, "seeds"), _tuple(depths, "depths"))


@lesson("sigmoid_gradients_vanish", topic="networks",
        claim="Sigmoid gradients vanish toward the input, at initialization and over training: the first layers "
              "of a deep sigmoid net barely change while the last ones learn.")
def sigmoid_gradients_vanish(quick: bool = False, lrs: Any = None, seeds: Any = None, depths: Any = None) -> Sweep:
    _load()
    out, lrs, seeds, depths, steps = _depth(quick, lrs, seeds, depths)
    rows = []
    for d, lr, s in itertools.product(depths, lrs, seeds):
        m = out[("sigmoid", d, lr, s)]
        rows.append({"depth": d, "lr": lr, "seed": s, **{k: m[k] for k in ("ratio_init", "ratio_peak",
                                                                            "change_first", "change_last")},
                     "holds": m["ratio_init"] < 1 and m["ratio_peak"] < 1 and m["change_first"] < m["change_last"]})
    # the claim is about depth: it holds from the shallowest depth at which every lr x seed holds, upward
    ok_depth = [all(r["holds"] for r in rows if r["depth"] == d) for d in depths]
    dband = band(depths, ok_depth)
    for r in rows:
        r["in_band"] = dband is not None and dband[0] <= r["depth"] <= dband[1]
    init = {d: float(np.median([r["ratio_init"] for r in rows if r["depth"] == d])) for d in depths}
    peak = {d: float(np.median([r["ratio_peak"] for r in rows if r["depth"] == d])) for d in depths}
    chg = {d: float(np.median([r["change_first"] / r["change_last"] for r in rows if r["depth"] == d]))
           for d in depths}
    dmin, dmax = min(depths), max(depths)
    where = (f"at every depth tried ({dmin}-{dmax})" if dband == (dmin, dmax) else
             "at no depth tried" if dband is None else f"from depth {dband[0]} to {dband[1]}")
    shallow = [r for r in rows if not r["in_band"]]
    claim = (f"Sigmoid gradients vanish toward the input, at initialization and over {steps} steps of GD "
             f"({len(lrs)} lrs {fmt(min(lrs))}-{fmt(max(lrs))} x {len(seeds)} seeds, medians): the first layer's "
             f"gradient is {_sig(init[dmin])} of the last layer's at initialization at depth {dmin} and "
             f"{_sig(init[dmax])} at depth {dmax}; the largest it ever gets in training is {_sig(peak[dmax])} of the "
             f"last layer's largest at depth {dmax}, and the first layer's weights change {_sig(chg[dmax])} as much "
             f"(relative) as the last layer's ({_sig(chg[dmin])} at depth {dmin}). All three hold at every lr and "
             f"seed {where}" + ("" if dband and dband[0] == dmin else
                                f"; below it at {pct(np.mean([r['holds'] for r in shallow]))} of settings (a "
                                "shallow sigmoid net at a large lr moves its first layer as much as its last)")
             + ".")
    return Sweep(rows, {"deepest_grad_ratio_init": init[dmax], "deepest_change_ratio": chg[dmax],
                        "grad_ratio_init": init, "grad_ratio_peak": peak, "change_ratio": chg,
                        "depth_band": dband}, claim)


@lesson("deep_sigmoid_trains_worse", topic="networks",
        claim="A deeper sigmoid network is worse on the training set (poor training, not overfitting), where a "
              "ReLU network of the same depth trains.")
def deep_sigmoid_trains_worse(quick: bool = False, lrs: Any = None, seeds: Any = None, depths: Any = None) -> Sweep:
    _load()
    out, lrs, seeds, depths, steps = _depth(quick, lrs, seeds, depths)
    dmin, dmax = min(depths), max(depths)
    rows = []
    for lr, s in itertools.product(lrs, seeds):
        shallow, deep = out[("sigmoid", dmin, lr, s)], out[("sigmoid", dmax, lr, s)]
        rows.append({"lr": lr, "seed": s, "sigmoid_shallow": shallow["train_acc"],
                     "sigmoid_deep": deep["train_acc"], "deep_gap": deep["train_acc"] - deep["test_acc"],
                     "relu_deep": out[("relu", dmax, lr, s)]["train_acc"],
                     "holds": deep["train_acc"] < shallow["train_acc"] - 0.05
                     and deep["train_acc"] - deep["test_acc"] < 0.05})
    bnd = _lr_band(rows)
    _mark_band(rows, bnd)
    best = {act: {d: float(np.mean([max(out[(act, d, lr, s)]["train_acc"] for lr in lrs) for s in seeds]))
                  for d in depths} for act in ("sigmoid", "relu")}
    claim = (f"Deeper sigmoid networks are worse on the training set: at the best of {len(lrs)} GD lrs "
             f"({fmt(min(lrs))}-{fmt(max(lrs))}, {steps} steps) training accuracy falls from "
             f"{pct(best['sigmoid'][dmin])} at depth {dmin} to {pct(best['sigmoid'][dmax])} at depth {dmax} (mean "
             f"of {len(seeds)} seed{'s' if len(seeds) > 1 else ''}; test accuracy alike, so it is poor training, not overfitting), while ReLU "
             f"nets reach {pct(best['relu'][dmin])} and {pct(best['relu'][dmax])}. Depth {dmax} trains worse than "
             f"depth {dmin} at every seed {_band_text(bnd, lrs)}"
             + (f"; at lr {_lrs_text(_outside(rows))} it fails at some seed"
                + (f" (there the depth-{dmin} net has not trained in {steps} steps either)"
                   if all(r["sigmoid_shallow"] < 0.6 for r in rows if not r["holds"]) else "")
                if _outside(rows) else "") + ".")
    return Sweep(rows, {"sigmoid_shallow_acc": best["sigmoid"][dmin], "sigmoid_deep_acc": best["sigmoid"][dmax],
                        "relu_deep_acc": best["relu"][dmax], "best_train_acc": best, "lr_band": bnd}, claim)


@lesson("relu_keeps_gradients", topic="networks",
        claim="ReLU keeps gradients alive: the first and last layers' gradients stay within an order of magnitude "
              "and the deep ReLU net trains.")
def relu_keeps_gradients(quick: bool = False, lrs: Any = None, seeds: Any = None, depths: Any = None) -> Sweep:
    _load()
    out, lrs, seeds, depths, steps = _depth(quick, lrs, seeds, depths)
    rows = []
    for d, lr, s in itertools.product(depths, lrs, seeds):
        m = out[("relu", d, lr, s)]
        alive = 0.1 <= m["ratio_init"] <= 10 and 0.1 <= m["ratio_peak"] <= 10
        rows.append({"depth": d, "lr": lr, "seed": s, "ratio_init": m["ratio_init"], "ratio_peak": m["ratio_peak"],
                     "train_acc": m["train_acc"], "diverged": m["diverged"],
                     "holds": bool(alive and m["train_acc"] >= 0.9)})
    bnd = _lr_band(rows)
    _mark_band(rows, bnd)
    inside = [r for r in rows if r["in_band"]] or rows
    init = [r["ratio_init"] for r in rows]
    peak = [r["ratio_peak"] for r in inside if np.isfinite(r["ratio_peak"])]
    dmax = max(depths)
    deep = [r["train_acc"] for r in inside if r["depth"] == dmax]
    claim = (f"ReLU keeps gradients alive: the first/last layer gradient ratio is {_sig(min(init))}-"
             f"{_sig(max(init))} at initialization (depths {min(depths)}-{dmax}, He init) and the ratio of their "
             f"largest values over training {_sig(min(peak))}-{_sig(max(peak))} where it trains (sigmoid: orders of "
             f"magnitude smaller); the "
             f"depth-{dmax} net reaches >= {pct(min(deep))} training accuracy with GD in {steps} steps "
             f"{_band_text(bnd, lrs)}, and every depth trains there"
             + (f"; at lr {_lrs_text(_outside(rows))} GD is too slow (low lr) or diverges or kills its units "
                "(high lr) at some depth and seed" if _outside(rows) else "") + ".")
    return Sweep(rows, {"deep_min_acc": min(deep), "min_ratio_init": min(init), "max_ratio_init": max(init),
                        "ratio_init": (min(init), max(init)), "ratio_peak": (min(peak), max(peak)),
                        "lr_band": bnd}, claim)


# ======================================================== e. a ReLU network is piecewise linear

@lru_cache(maxsize=4)
def _piecewise_experiment(quick: bool, seeds: tuple | None, depths: tuple | None):
    _load()
    compilation_cache.enable()
    seeds = seeds or ((0, 1) if quick else (0, 1, 2, 3, 4))
    depths = depths or ((1, 3) if quick else (1, 2, 3, 4))
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(-1, 1, (256, 2)), jnp.float32)
    delta = jnp.asarray(rng.standard_normal((256, 2)) * 1e-4, jnp.float32)
    rows = []
    for d in depths:
        model = mlp(8, d, "relu")

        @jax.jit
        def measure(params, model=model):
            jac = jax.vmap(jax.jacfwd(lambda v: model.apply(params, v[None])[0]))
            _, hs = model.apply(params, x, hidden=True)
            _, hs2 = model.apply(params, x + delta, hidden=True)
            masks = [(h > 0).astype(x.dtype) for h in hs]
            same = jnp.all(jnp.stack([jnp.all((h > 0) == (h2 > 0), axis=1) for h, h2 in zip(hs, hs2)]), axis=0)
            # the active sub-network's product W_1 D_1 W_2 D_2 ... W_out, per input (D_l = its on/off units)
            prod = jnp.broadcast_to(params[0].w, (x.shape[0], *params[0].w.shape)) * masks[0][:, None, :]
            for layer, m in zip(params[1:-1], masks[1:]):
                prod = (prod @ layer.w) * m[:, None, :]
            prod = prod @ params[-1].w  # (N, in, out)
            J = jac(x)  # (N, out, in)
            J2 = jac(x + delta)
            scale = jnp.max(jnp.abs(J)) + 1e-30
            err_product = jnp.max(jnp.abs(J - jnp.swapaxes(prod, 1, 2))) / scale
            err_region = jnp.max(jnp.where(same[:, None, None], jnp.abs(J2 - J), 0.0)) / scale
            bits = jnp.concatenate(masks, axis=1)
            return err_product, err_region, jnp.mean(same), bits

        for s in seeds:
            # initial weights with random biases (initialization sets them to 0, which makes every region a cone
            # through the origin): the property holds for any weights, so test it on generic ones
            b_rng = np.random.default_rng(1000 + s)
            params = tuple(Dense(layer.w, jnp.asarray(b_rng.normal(0, 0.3, layer.b.shape), layer.b.dtype))
                           for layer in model.init(s))
            ep, er, same, bits = measure(params)
            patterns = len({row.tobytes() for row in np.asarray(bits, bool)})
            rows.append({"depth": d, "seed": s, "product_error": float(ep), "region_error": float(er),
                         "perturbed_same_region": float(same), "sub_networks": patterns})
    return rows


@lesson("relu_piecewise_linear", topic="networks",
        claim="A ReLU network is piecewise linear: for an input, the active neurons form a thinner linear network "
              "(inside an activation region the Jacobian is constant and equals the product of the active "
              "sub-network's weights), and different inputs use different sub-networks.")
def relu_piecewise_linear(quick: bool = False, seeds: Any = None, depths: Any = None) -> Sweep:
    """No optimizer is involved (the property holds for any weights): swept over init seeds and depths."""
    _load()
    rows = [dict(r, holds=r["product_error"] < 1e-5 and r["region_error"] < 1e-5 and r["sub_networks"] >= 2)
            for r in _piecewise_experiment(quick, _tuple(seeds, "seeds"), _tuple(depths, "depths"))]
    depths_ = sorted({r["depth"] for r in rows})
    subs = {d: int(np.median([r["sub_networks"] for r in rows if r["depth"] == d])) for d in depths_}
    err = max(max(r["product_error"], r["region_error"]) for r in rows)
    claim = (f"A ReLU network (width 8, depths {depths_[0]}-{depths_[-1]}, {len({r['seed'] for r in rows})} seeds, "
             f"random biases) "
             f"is a thinner linear network for each input: its Jacobian equals the product of the active "
             f"sub-network's weights, and is the same at a nearby input in the same activation region, to relative "
             f"error {_sig(err)}; 256 inputs use a median of {subs[depths_[0]]} different sub-networks at depth "
             f"{depths_[0]} and {subs[depths_[-1]]} at depth {depths_[-1]}.")
    return Sweep(rows, {"max_error": err, "sub_networks": subs}, claim)


# ================================================================== f. Maxout generalizes ReLU

def _maxout_from_relu(relu_params: Sequence[Dense]) -> tuple[Dense, ...]:
    """Maxout (2 pieces) weights whose unit i has pieces (w_i, b_i) and (0, 0): max(z, 0) = ReLU(z)."""
    out = []
    for layer in relu_params[:-1]:
        w, b = np.asarray(layer.w), np.asarray(layer.b)
        w2 = np.zeros((w.shape[0], 2 * w.shape[1]), w.dtype)
        b2 = np.zeros(2 * b.shape[0], b.dtype)
        w2[:, 0::2], b2[0::2] = w, b
        out.append(Dense(jnp.asarray(w2), jnp.asarray(b2)))
    return (*out, relu_params[-1])


def _target(name: str, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (128, 1)).astype(np.float32)
    y = (np.abs(x[:, 0]) if name == "abs" else np.maximum(x[:, 0], 0)).astype(np.float32)
    return Dataset(name, x[:64], y[:64], x[64:], y[64:], task="regression", n_classes=0)


@lru_cache(maxsize=4)
def _maxout_experiment(quick: bool, lrs: tuple | None, seeds: tuple | None):
    _load()
    seeds = seeds or ((0, 1) if quick else (0, 1, 2))
    lrs = lrs or (_lrs(0.003, 0.3, 3) if quick else _lrs(0.003, 0.3))
    steps = 300 if quick else 600
    # 1. exactness: pieces (w, 0) give ReLU, bit for bit, at depths 1 and 2
    x = jnp.asarray(np.random.default_rng(1).uniform(-2, 2, (512, 2)), jnp.float32)
    exact = []
    for d, s in itertools.product((1, 2), seeds):
        relu, maxout = mlp(8, d, "relu"), mlp(8, d, "maxout:pieces=2")
        p = relu.init(s)
        diff = float(jnp.max(jnp.abs(relu.apply(p, x) - maxout.apply(_maxout_from_relu(p), x))))
        exact.append({"depth": d, "seed": s, "max_difference": diff})
    # 2. learning |x| and ReLU(x) with 4 maxout units of 2 pieces, Adam over the lr grid
    model = mlp(4, 1, "maxout:pieces=2", in_dim=1)
    members = _members(lrs, seeds, ("abs", "relu"))
    targets = {(t, s): _target(t, s) for s in seeds for t in ("abs", "relu")}
    (res,) = grid.run([_group(model, "adam", members, lambda m: targets[(m[2], m[1])])], task="regression",
                      steps=steps, every=steps)
    # which piece wins (the argmax) for each training input, per unit: a piece that never wins gets no gradient
    xs = np.stack([targets[(m[2], m[1])].x_train for m in members])

    @jax.jit  # one program (op by op under vmap, each operation would compile on its own)
    @jax.vmap
    def wins(params, xb):
        z = (xb @ params[0].w + params[0].b).reshape(xb.shape[0], -1, 2)
        won = jax.nn.one_hot(jnp.argmax(z, axis=-1), 2).max(axis=0)  # (units, pieces): won for some input
        g = jax.grad(lambda p: jnp.sum(model.apply(p, xb)))(params)[0].w  # d output / d first-layer weights
        return jnp.mean(won), jnp.mean(jnp.any(g != 0, axis=0))

    won, graded = wins(res.params, xs)
    fits = [{"lr": lr, "seed": s, "target": t, "test_r2": float(res.test_acc[i, -1]), "pieces_win": float(won[i]),
             "pieces_with_gradient": float(graded[i])} for i, (lr, s, t) in enumerate(members)]
    return exact, fits, steps


@lesson("maxout_generalizes_relu", topic="networks",
        claim="Maxout generalizes ReLU: a Maxout unit with pieces (w, 0) equals ReLU exactly; a Maxout net learns "
              "a ReLU or |x| target; over the data every piece wins for some input, so every weight receives "
              "gradient.")
def maxout_generalizes_relu(quick: bool = False, lrs: Any = None, seeds: Any = None) -> Sweep:
    _load()
    exact, fits, steps = _maxout_experiment(quick, _tuple(lrs, "lrs"), _tuple(seeds, "seeds"))
    rows = [dict(r, part="pieces (w, 0)", holds=r["max_difference"] == 0.0) for r in exact]
    fit_rows = [dict(r, part="fit", holds=r["test_r2"] >= 0.99) for r in fits]
    bnd = _lr_band(fit_rows)
    _mark_band(fit_rows, bnd)
    rows += fit_rows
    lrs_ = sorted({r["lr"] for r in fits})
    inside = [r for r in fit_rows if r["in_band"]] or fit_rows
    win = float(np.mean([r["pieces_win"] == 1.0 for r in fits]))
    claim = (f"Maxout generalizes ReLU: a Maxout unit with pieces (w, 0) equals ReLU exactly (difference "
             f"{_sig(max(r['max_difference'] for r in exact))}); 4 Maxout units of 2 pieces learn |x| and ReLU(x) to "
             f"test R^2 >= {fmt(min(r['test_r2'] for r in inside), 3)} with Adam ({steps} steps) "
             f"{_band_text(bnd, lrs_)}; every piece wins for some training input, and so gets gradient, in "
             f"{pct(win)} of the trained nets (mean share of pieces that win: "
             f"{pct(np.mean([r['pieces_win'] for r in fits]))}).")
    return Sweep(rows, {"lr_band": bnd, "all_pieces_win": win,
                        "pieces_win": float(np.mean([r["pieces_win"] for r in fits]))}, claim)


# ============================================================= j. L1 sparse, L2 small (networks)

@lru_cache(maxsize=4)
def _penalty_experiment(quick: bool, lrs: tuple | None, seeds: tuple | None, strength: float):
    _load()
    seeds = seeds or ((0, 1) if quick else (0, 1, 2))
    lrs = lrs or (_lrs(0.03, 3, 3) if quick else _lrs(0.03, 3))
    steps = 400 if quick else 1000
    datas = {s: dataset("moons", n=200, seed=s) for s in seeds}
    members = _members(lrs, seeds, ("none", "l1", "l2"))
    g = _group(mlp(16, 2, "relu"), "gd", members, datas,
               l1=np.array([strength if m[2] == "l1" else 0.0 for m in members]),
               l2=np.array([strength if m[2] == "l2" else 0.0 for m in members]))
    (res,) = grid.run([g], task="binary", steps=steps, every=steps)
    w = np.concatenate([np.asarray(layer.w).reshape(len(members), -1) for layer in res.params], axis=1)
    out = {}
    for i, (lr, s, pen) in enumerate(members):
        out[(lr, s, pen)] = {"near_zero": float(np.mean(np.abs(w[i]) < 1e-2)), "mean_abs": float(np.mean(np.abs(w[i]))),
                             "train_acc": float(res.train_acc[i, -1]), "diverged": bool(res.diverged_at[i] >= 0)}
    return out, lrs, seeds, steps


@lesson("l1_sparse_l2_small_networks", topic="networks",
        claim="In a network, L1 makes weights sparse and L2 makes them small: more weights near zero with L1, "
              "smaller weights with L2 than without a penalty.")
def l1_sparse_l2_small_networks(quick: bool = False, lrs: Any = None, seeds: Any = None,
                                strength: float = 3e-3) -> Sweep:
    _load()
    out, lrs, seeds, steps = _penalty_experiment(quick, _tuple(lrs, "lrs"), _tuple(seeds, "seeds"), float(strength))
    rows = []
    for lr, s in itertools.product(lrs, seeds):
        n, a, b = out[(lr, s, "none")], out[(lr, s, "l1")], out[(lr, s, "l2")]
        rows.append({"lr": lr, "seed": s, "near_zero_none": n["near_zero"], "near_zero_l1": a["near_zero"],
                     "near_zero_l2": b["near_zero"], "mean_abs_none": n["mean_abs"], "mean_abs_l2": b["mean_abs"],
                     "holds": (a["near_zero"] > max(n["near_zero"], b["near_zero"]) + 0.1
                               and b["mean_abs"] < n["mean_abs"] and not (n["diverged"] or a["diverged"]
                                                                            or b["diverged"]))})
    bnd = _lr_band(rows)
    _mark_band(rows, bnd)
    inside = [r for r in rows if r["in_band"]] or rows
    mean = lambda k: float(np.mean([r[k] for r in inside]))  # noqa: E731
    claim = (f"With a penalty of {fmt(strength)} on a 2-16-16-1 ReLU net (GD, {steps} steps, moons), L1 leaves "
             f"{pct(mean('near_zero_l1'))} of weights below 0.01 against {pct(mean('near_zero_l2'))} with L2 and "
             f"{pct(mean('near_zero_none'))} without, and L2 shrinks the mean |w| from {fmt(mean('mean_abs_none'))} to "
             f"{fmt(mean('mean_abs_l2'))}, at every seed {_band_text(bnd, lrs)}"
             + _l1_outside(rows, bnd) + ".")
    return Sweep(rows, {"near_zero_l1": mean("near_zero_l1"), "near_zero_l2": mean("near_zero_l2"),
                        "near_zero": {k: mean(f"near_zero_{k}") for k in ("none", "l1", "l2")},
                        "mean_abs": {k: mean(f"mean_abs_{k}") for k in ("none", "l2")}, "lr_band": bnd}, claim)


def _l1_outside(rows: list[dict], bnd: tuple[float, float] | None) -> str:
    """What happens at the lrs outside the band, in words (below it: too slow; above it: collapse)."""
    out = _outside(rows)
    if not out or bnd is None:
        return ""
    low, high = [v for v in out if v < bnd[0]], [v for v in out if v > bnd[1]]
    parts = []
    if low:
        parts.append(f"at lr {_lrs_text(low)} GD moves the weights too little in its steps for the penalties to show")
    if high:
        parts.append(f"at lr {_lrs_text(high)} both penalties drive nearly every weight to zero at some seed")
    return "; " + "; ".join(parts)


# ===================================== k, l. the overfitting setup: dropout, early stopping (one program)

@lru_cache(maxsize=4)
def _overfit_experiment(quick: bool, lrs: tuple | None, seeds: tuple | None, rate: float):
    """A wide ReLU net on 40 noisy moons points, Adam, with and without dropout; train / validation / held-out.

    The grid's test split is the validation set (what early stopping watches); a third split, never used for
    any choice, is the held-out set every verdict reads.
    """
    _load()
    seeds = seeds or ((0, 1) if quick else (0, 1, 2))
    lrs = lrs or (_lrs(0.001, 0.1, 3) if quick else _lrs(0.001, 0.1))
    steps, every = (600, 20) if quick else (1500, 25)
    full = {s: dataset("moons", n=200, test_fraction=0.8, noise=0.3, seed=s) for s in seeds}
    datas, held = {}, {}
    for s, d in full.items():
        half = len(d.x_test) // 2
        datas[s] = Dataset(d.name, d.x_train, d.y_train, d.x_test[:half], d.y_test[:half], d.task, d.n_classes,
                           d.params)
        held[s] = (d.x_test[half:], d.y_test[half:])
    members = _members(lrs, seeds, (0.0, rate))
    model = mlp(64, 2, "relu")
    g = _group(model, "adam", members, datas, dropout=np.array([m[2] for m in members]))
    (res,) = grid.run([g], task="binary", steps=steps, every=every, keep_path=True)
    unravel = jax.flatten_util.ravel_pytree(model.init(0))[1]
    xh = np.stack([held[m[1]][0] for m in members])  # on the host: a device stack compiles a program of its own
    yh = np.stack([held[m[1]][1] for m in members])

    @jax.jit
    def held_out(path, x, y):  # (T, P) -> (T,) held-out loss at every recorded step
        return jax.vmap(lambda v: data_loss("binary", model.apply(unravel(v), x), y)[0])(path)

    held_loss = np.asarray(jax.jit(jax.vmap(held_out))(res.path, xh, yh))
    return members, res, held_loss, lrs, seeds, steps


def _overfit(quick, lrs, seeds, rate):
    return _overfit_experiment(quick, _tuple(lrs, "lrs"), _tuple(seeds, "seeds"), float(rate))


@lesson("dropout_reduces_overfitting", topic="networks",
        claim="Dropout reduces overfitting on a setup that overfits: the test loss improves (not only the gap); "
              "weight scaling at test time equals the average over all 2^n masks exactly for a linear network and "
              "approximates it for a nonlinear one.")
def dropout_reduces_overfitting(quick: bool = False, lrs: Any = None, seeds: Any = None, rate: float = 0.5) -> Sweep:
    _load()
    members, res, held, lrs, seeds, steps = _overfit(quick, lrs, seeds, rate)
    idx = {m: i for i, m in enumerate(members)}
    rows = []
    for lr, s in itertools.product(lrs, seeds):
        a, b = idx[(lr, s, 0.0)], idx[(lr, s, float(rate))]
        rows.append({"part": "test loss", "lr": lr, "seed": s, "train_acc_plain": float(res.train_acc[a, -1]),
                     "test_loss_plain": float(held[a, -1]), "test_loss_dropout": float(held[b, -1]),
                     "gap_plain": float(held[a, -1] - res.train_loss[a, -1]),
                     "gap_dropout": float(held[b, -1] - res.train_loss[b, -1]),
                     "holds": bool(held[b, -1] < held[a, -1])})
    bnd = _lr_band(rows)
    _mark_band(rows, bnd)
    inside = [r for r in rows if r["in_band"]] or rows
    ens = _ensemble_rows(quick, seeds)
    rows += ens
    lin = max(r["relative_error"] for r in ens if r["activation"] == "linear")
    non = {a: float(np.median([r["relative_error"] for r in ens if r["activation"] == a]))
           for a in ("relu", "tanh")}
    improve = float(np.median([1 - r["test_loss_dropout"] / r["test_loss_plain"] for r in inside]))
    out_lrs = _outside([r for r in rows if r["part"] == "test loss"])
    claim = (f"On 40 noisy moons points a 2-64-64-1 ReLU net overfits; dropout {fmt(rate)} lowers the held-out test "
             f"loss (by {pct(improve)} median, not only the gap) at every seed {_band_text(bnd, lrs)} (Adam, "
             f"{steps} steps)" + (f"; at lr {_lrs_text(out_lrs)} both nets end up grossly overconfident and "
                                  "dropout does not reliably help" if out_lrs else "")
             + ". Weight scaling equals the average over all 2^10 masks to relative error "
             f"{_sig(lin)} for a linear network, and approximates it with median error {pct(non['relu'])} (ReLU) "
             f"and {pct(non['tanh'])} (tanh).")
    return Sweep(rows, {"test_loss_improvement": improve, "lr_band": bnd, "ensemble_error_linear": lin,
                        "ensemble_error": non}, claim)


def _ensemble_rows(quick: bool, seeds: Sequence[int]) -> list[dict]:
    """Weight scaling vs the exact average over all 2^10 dropout masks (2 hidden layers of 5 units, p = 0.5).

    With inverted dropout the scaling is built in: the deterministic network is the weight-scaled one, and the
    mask average is the mean output over the 1,024 equally likely masks. Linear: the output is multilinear in
    the masks, whose mean is 1, so the two agree exactly; nonlinear: they differ by the measured error.
    """
    _load()
    compilation_cache.enable()
    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.uniform(-1, 1, (64, 2)), jnp.float32)
    bits = np.array(list(itertools.product((0.0, 1.0), repeat=10)), np.float32)  # (1024, 10)
    rows = []
    for act in ("linear", "relu", "tanh"):
        model = mlp(5, 2, act)

        @jax.jit
        def compare(params, model=model):
            avg = jnp.mean(jax.vmap(lambda b: model.apply(params, x, dropout=0.5, masks=[b[:5], b[5:]]))(
                jnp.asarray(bits)), axis=0)
            det = model.apply(params, x)
            return jnp.max(jnp.abs(avg - det)) / jnp.max(jnp.abs(avg - jnp.mean(avg)))

        for s in seeds:
            rows.append({"part": "mask average", "activation": act, "seed": s,
                         "relative_error": float(compare(model.init(s)))})
    for r in rows:
        r["holds"] = r["relative_error"] < 1e-5 if r["activation"] == "linear" else r["relative_error"] > 0
    return rows


@lesson("early_stopping", topic="networks",
        claim="Early stopping: on a setup that overfits, the validation loss has a minimum before the last epoch, "
              "and stopping there beats the last epoch on held-out data.")
def early_stopping(quick: bool = False, lrs: Any = None, seeds: Any = None) -> Sweep:
    _load()
    members, res, held, lrs, seeds, steps = _overfit(quick, lrs, seeds, 0.5)
    rows = []
    for i, (lr, s, p) in enumerate(members):
        if p:
            continue
        val = res.test_loss[i]
        best = int(np.nanargmin(val))
        rows.append({"lr": lr, "seed": s, "best_step": int(res.steps[best]), "val_best": float(val[best]),
                     "val_last": float(val[-1]), "held_at_best": float(held[i, best]),
                     "held_last": float(held[i, -1]),
                     # the minimum must come after some training (a minimum at the initial weights shows no
                     # learning worth keeping) and before the end, and beat the end on held-out data
                     "holds": bool(0 < best < len(val) - 1 and held[i, best] < held[i, -1])})
    bnd = _lr_band(rows)
    _mark_band(rows, bnd)
    inside = [r for r in rows if r["in_band"]] or rows
    gain = float(np.median([1 - r["held_at_best"] / r["held_last"] for r in inside]))
    stop = float(np.median([r["best_step"] for r in inside]))
    claim = (f"Early stopping: training a 2-64-64-1 ReLU net on 40 noisy moons points (Adam, {steps} steps), the "
             f"validation loss bottoms out before the end (median step {stop:.0f}) and the weights there have "
             f"{pct(gain)} lower held-out loss than the last ones (median; records every {int(res.steps[1])} steps), "
             f"at every seed, {_band_text(bnd, lrs)}"
             + (f"; at lr {_lrs_text(_outside(rows))} it fails at some seed ({_stop_reasons(rows, steps)})"
                if _outside(rows) else "") + ".")
    return Sweep(rows, {"held_out_gain": gain, "median_best_step": stop, "lr_band": bnd}, claim)


def _stop_reasons(rows: list[dict], steps: int) -> str:
    """Why early stopping fails where it does, from the failing rows."""
    bad = [r for r in rows if not r["holds"]]
    why = []
    if any(r["best_step"] == 0 for r in bad):
        why.append("the validation loss is lowest at the initial weights: the net overfits from its first steps")
    if any(r["best_step"] == steps for r in bad):
        why.append("the run is still improving when training ends")
    if any(0 < r["best_step"] < steps for r in bad):
        why.append("the early-stopped weights do not beat the last ones on held-out data")
    return "; ".join(why)


# ===================================================== m. diagnose: poor training vs overfitting

@lru_cache(maxsize=4)
def _noisy_fit_experiment(quick: bool, lrs: tuple | None, seeds: tuple | None, label_noise: float):
    """A small ReLU net on Gaussian blobs with a fraction of flipped labels: a good fit sits at the noise ceiling."""
    _load()
    seeds = seeds or ((0, 1) if quick else (0, 1, 2))
    lrs = lrs or (_lrs(0.003, 0.3, 3) if quick else _lrs(0.003, 0.3))
    steps = 200 if quick else 300
    datas = {s: dataset("gaussians", n=400, label_noise=label_noise, noise=0.3, seed=s) for s in seeds}
    members = _members(lrs, seeds)
    (res,) = grid.run([_group(mlp(8, 1, "relu"), "adam", members, datas)], task="binary", steps=steps,
                      every=steps)
    return [{"lr": lr, "seed": s, "train": float(res.train_acc[i, -1]), "test": float(res.test_acc[i, -1])}
            for i, (lr, s) in enumerate(members)]


@lesson("diagnose_train_then_test", topic="networks",
        claim="Train first, then test: diagnose tells poor training from overfitting correctly on constructed "
              "cases, including noisy labels (it knows the noise ceiling).")
def diagnose_train_then_test(quick: bool = False, seeds: Any = None) -> Sweep:
    """Four constructed cases, each over its experiment's lr x seed grid (shared with the lessons above):

    * poor training: a depth-8 (quick: the deepest) sigmoid net on clean moons, GD (the depth sweep);
    * good, clean labels: a depth-2 ReLU net on the same data, GD, where it trains (the depth sweep);
    * overfitting, noisy inputs: the 2-64-64-1 net on 40 noisy moons points, Adam, no dropout (the dropout setup);
    * good at the noise ceiling: a 2-8-1 ReLU net on blobs with 20% flipped labels, Adam (train and test ~80%).
    The verdict of ``judge`` (what ``diagnose`` says) is compared with the case; the old rule (an absolute 90%
    bar, no ceiling, no sampling tolerance) is scored on the same runs.
    """
    _load()
    seeds_t = _tuple(seeds, "seeds")
    out, dlrs, dseeds, depths, _ = _depth_experiment(quick, None, seeds_t, None)
    members, res, held, olrs, oseeds, _ = _overfit_experiment(quick, None, seeds_t, 0.5)
    noisy = _noisy_fit_experiment(quick, None, seeds_t, 0.2)
    cases = []
    deep = 8 if 8 in depths else max(depths)
    for lr, s in itertools.product(dlrs, dseeds):
        m = out[("sigmoid", deep, lr, s)]
        cases.append(("deep sigmoid", "underfitting", lr, s, m["train_acc"], m["test_acc"], 0.0, 100, 100))
        m = out[("relu", min(depths), lr, s)]
        if not m["diverged"]:
            cases.append(("clean fit", "good", lr, s, m["train_acc"], m["test_acc"], 0.0, 100, 100))
    for i, (lr, s, p) in enumerate(members):
        if p == 0.0:
            cases.append(("memorizer", "overfitting", lr, s, float(res.train_acc[i, -1]), float(res.test_acc[i, -1]),
                          0.0, 40, 80))
    for r in noisy:
        cases.append(("noisy-label fit", "good", r["lr"], r["seed"], r["train"], r["test"], 0.2, 200, 200))
    rows = []
    for case, want, lr, s, tr, te, eta, n_tr, n_te in cases:
        kind, _ = judge(tr, te, label_noise=eta, n_train=n_tr, n_test=n_te)
        old = "underfitting" if tr < 0.9 else "overfitting" if tr - te > 0.05 else "good"
        rows.append({"case": case, "lr": lr, "seed": s, "train": tr, "test": te, "expected": want, "says": kind,
                     "old_rule_says": old, "holds": kind == want})
    per_case = {c: float(np.mean([r["holds"] for r in rows if r["case"] == c])) for c in dict.fromkeys(
        r["case"] for r in rows)}
    # a constructed case is only what it claims to be where its run became that case: the ReLU net at a tiny lr
    # has not finished training, the overfitting net at a tiny lr has not yet overfitted; state those bands
    bands = {}
    for c in per_case:
        sub = [r for r in rows if r["case"] == c]
        bands[c] = _lr_band(sub)
        for r in sub:
            r["in_band"] = bands[c] is not None and bands[c][0] <= r["lr"] <= bands[c][1]
    old_ok = float(np.mean([r["old_rule_says"] == r["expected"] for r in rows]))
    expected = {r["case"]: r["expected"] for r in rows}
    new_ok = float(np.mean([r["holds"] for r in rows]))
    parts = [f"{c} ({expected[c]}) {pct(v)}" + ("" if v == 1 else f" (right for lr {fmt(bands[c][0])}-{fmt(bands[c][1])})"
                                if bands[c] else " (right at no lr)") for c, v in per_case.items()]
    claim = (f"diagnose tells poor training from overfitting on {len(rows)} constructed runs (deep sigmoid nets, "
             "ReLU nets on clean moons, a wide net memorizing 40 noisy points, a small net on blobs with 20% flipped "
             "labels, each over its lr x seed sweep): right on "
             + ", ".join(parts) + f" of them ({pct(new_ok)} in all, against {pct(old_ok)} for the rule without "
             "the noise ceiling, which calls the noisy-label fit underfitting).")
    return Sweep(rows, {"correct": new_ok, "correct_old_rule": old_ok, "per_case": per_case}, claim)
