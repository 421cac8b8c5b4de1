"""The engine: every optimizer's path on a surface, as one compiled program.

``run`` compiles one program per (surface, optimizer names and flags, step count, recording mode, batch shape):
one ``lax.scan`` over the steps per optimizer (``_walk_plain`` says why not one fused scan), ``vmap`` over starts
and seeds, starts sharded over the local devices when there are several. Learning rates, hyperparameters, schedules'
numbers, starts, seeds and noise levels are traced arguments, so changing them never recompiles.

A step whose new point leaves a box far outside the domain, or has a NaN/inf value or gradient, is refused: the
run is *diverged*, the step is recorded in ``diverged_at`` and the path stays frozen at its last good point, so
no recorded series holds a NaN and nothing downstream crashes. (With many starts and every step kept, the loop
only notes the step, and the series are frozen after the loop, only if some run diverged.)

Arrays handed out for many starts or seeds are views of the program's time-major output (not C-contiguous);
``np.ascontiguousarray`` them if a consumer needs that.
"""
from __future__ import annotations

import math
import warnings
import weakref
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import _check as _checks
from . import compilation_cache
from ._keys import key_data
from . import optimizers as _opt
from .errors import InvalidTypeError, InvalidValueError
from .labeled import LabeledRuns, table
from .optimizers import Optimizer, OptimizerSpec
from .surface import Surface, load_surface

#: a path is diverged once it leaves the domain's centre by more than this many domain widths
DIVERGENCE_BOUND = 100.0


# -------------------------------------------------------------------------------------------- results

@dataclass
class Trajectory:
    """One optimizer's recorded run, as numpy arrays.

    ``path`` has shape ``(T, 2)`` for one start, ``(N, T, 2)`` for N starts and ``(S, N, T, 2)`` with S seeds,
    where ``steps`` (length T) gives the step number of each recorded point (all steps by default, so T = steps+1).
    ``loss`` and ``grad_norm`` (of the full gradient) are taken at the recorded points. ``diverged_at`` /
    ``reached_at`` are the first step that diverged / had loss <= ``tol``: an int or None for a single run, an
    int array with -1 for "never" otherwise. With ``internals=True``, ``grads`` and ``updates`` (shape
    ``(..., steps, 2)``) hold the gradient each step used and the update it made. A run over a grid of learning
    rates (``run(lrs=...)``) puts the grid first, ``(G, ...)``, and keeps it in ``lrs``.
    """

    label: str
    caption: str
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    steps: np.ndarray
    diverged_at: Any
    reached_at: Any
    spec: OptimizerSpec | None = None
    grads: np.ndarray | None = None
    updates: np.ndarray | None = None
    lrs: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.spec.name if self.spec else self.label

    @property
    def final(self) -> np.ndarray:
        """The last recorded point(s), shape (..., 2)."""
        return self.path[..., -1, :]

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[..., -1]

    @property
    def diverged(self) -> Any:
        d = self.diverged_at
        return (d is not None) if not isinstance(d, np.ndarray) else d >= 0

    def __repr__(self) -> str:
        return (f"<Trajectory {self.label}: path {self.path.shape}, final loss "
                f"{np.asarray(self.final_loss).ravel()[:3]}{' ...' if np.size(self.final_loss) > 3 else ''}>")


class Trajectories(LabeledRuns[Trajectory]):
    """label -> ``Trajectory``, in the order the optimizers were given, with the run's configuration."""

    def __init__(self, runs: dict[str, Trajectory], surface: Surface, *, n_steps: int, seed: int,
                 start: np.ndarray, record: Any, tol: float | None) -> None:
        super().__init__(runs)
        self.surface = surface
        self.n_steps = n_steps
        self.seed = seed
        self.start = start
        self.record = record
        self.tol = tol

    def summary(self) -> str:
        """A plain-text table: final point, final loss, steps to ``tol``, divergence, per optimizer."""
        rows = [("optimizer", "final (x, y)", "final loss", "reached tol", "diverged at", "hyperparameters")]
        for t in self.values():
            if t.path.ndim == 2:
                x, y = t.final
                rows.append((t.label, f"({x:.4g}, {y:.4g})", f"{float(t.final_loss):.4g}",
                             "-" if t.reached_at is None else str(t.reached_at),
                             "-" if t.diverged_at is None else str(t.diverged_at),
                             t.caption.partition(" ")[2]))
            else:
                fl = np.asarray(t.final_loss)
                rows.append((t.label, f"{fl.size} runs", f"median {np.nanmedian(fl):.4g}",
                             f"{np.mean(np.asarray(t.reached_at) >= 0):.0%} reached",
                             f"{np.mean(np.asarray(t.diverged_at) >= 0):.0%} diverged", t.caption.partition(" ")[2]))
        lines = table(rows)
        # many starts: say how many (naming the first one alone would claim every run began there)
        where = f"{len(self.start)} starts" if self.start.ndim == 2 else \
            f"({self.start[0]:.4g}, {self.start[1]:.4g})"
        head = f"{self.surface.name}: {self.n_steps} steps from {where}" + \
            (f", tol {self.tol:g}" if self.tol is not None else "")
        return "\n".join([head, *lines])

    def __repr__(self) -> str:
        return f"<Trajectories on {self.surface.name}: {', '.join(self)} ({self.n_steps} steps)>"


# ------------------------------------------------------------------------------------ resolving inputs

def _as_specs(optimizers: Any) -> list[tuple[str | None, OptimizerSpec | Optimizer]]:
    """Normalize the accepted forms to [(label or None, spec or opaque optimizer)]."""
    if isinstance(optimizers, str):  # the command line's form: "gd,adam:lr=0.1,b1=0.8"
        optimizers = _opt.split_list(optimizers)
    elif isinstance(optimizers, (OptimizerSpec, Optimizer)) or _opt.is_optimizer_like(optimizers):
        optimizers = [optimizers]
    if optimizers is None or isinstance(optimizers, (bytes, int, float)) or not hasattr(optimizers, "__iter__"):
        raise InvalidTypeError(f"optimizers must be a name, a list or a dict of optimizers, got "
                               f"{_checks.show(optimizers)}")
    if hasattr(optimizers, "__len__"):  # before any is built: 10,000 optimizers are refused at once
        _checks.limit("optimizers", len(optimizers))
    items: list[tuple[str | None, Any]] = []
    if isinstance(optimizers, Mapping):
        for key, value in optimizers.items():
            if value is None or isinstance(value, Mapping):
                hp = dict(value or {})
                name = hp.pop("name", None)
                if name is not None:  # {"label": {"name": "adam", "lr": 0.1}}: the key is a label
                    items.append((key, _opt.spec(name, **hp)))
                elif ":" not in key and key in _opt._optimizers:  # {"adam": {"lr": 0.1}}: validate once
                    items.append((key, _opt.spec(key, **hp)))  # a dict's keys are its labels
                elif key.split(":")[0] in _opt._optimizers:  # {"adam:lr=0.1": None}
                    base = _opt.parse(key)
                    items.append((key, base.replace(**hp) if hp else base))
                else:
                    _opt.get(key.split(":")[0])  # raises with did-you-mean
            else:
                items.append((key, _opt.resolve(value)))
    else:
        for value in optimizers:
            items.append((None, _opt.resolve(value)))
    if not items:
        raise InvalidValueError("no optimizers given")
    _checks.limit("optimizers", len(items))
    return items


def _check_size(n_runs: int, n_records: int, *, internals: bool, what: str = "this run") -> None:
    """Refuse, before compiling, work over the limits or larger than the available memory.

    Estimate: every recorded step of every run keeps a point (2 numbers), a loss and a gradient norm (+ a
    gradient and an update with ``internals``), in the compute dtype; XLA's scan output and the host copy
    hold it twice, and the carry of each run is negligible beside it.
    """
    _checks.limit("runs", n_runs)
    per_record = 4 + (4 if internals else 0)
    _checks.memory(2.0 * n_runs * n_records * per_record * _dtype().itemsize, what)


def _labels(items: list[tuple[str | None, Any]]) -> list[str]:
    """Distinct labels: the name, plus the hyperparameters that differ where a name repeats."""
    labels: list[str] = []
    specs = [s for _, s in items]
    for i, (given, s) in enumerate(items):
        if given:
            labels.append(given)
        elif isinstance(s, OptimizerSpec):
            if s.label:
                labels.append(s.label)
                continue
            twins = [t for t in specs if isinstance(t, OptimizerSpec) and t.name == s.name]
            if len(twins) == 1:
                labels.append(s.name)
                continue
            keys = [k for k in s.hparams if len({str(t.hparams[k]) for t in twins}) > 1]
            if len({t.noise for t in twins}) > 1:
                keys.append("noise")
            vals = {**s.hparams, "noise": s.noise}
            labels.append(f"{s.name}(" + ", ".join(f"{k}={_opt._fmt(vals[k])}" for k in keys) + ")" if keys
                          else s.name)
        else:
            labels.append(f"optimizer{i + 1}")
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
        out.append(lab if seen[lab] == 1 else f"{lab}#{seen[lab]}")
    return out


def _dtype() -> np.dtype:
    """float32, or float64 after ``ov.enable_x64()``."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def _float(x: Any) -> Any:
    return jnp.asarray(x, dtype=jnp.result_type(float))


def _traced_hparams(spec: OptimizerSpec, dtype: np.dtype) -> dict[str, Any]:
    """The numeric hyperparameters as traced program arguments: numbers become 0-d host arrays, schedules stay
    pytrees whose numbers are traced. Flags (bools) are static instead: see ``_Program.flags``."""
    return {k: (np.asarray(v, dtype) if isinstance(v, (int, float)) else v)
            for k, v in spec.hparams.items() if not isinstance(v, bool)}


def _flags(spec: Any) -> tuple[tuple[str, bool], ...]:
    if not isinstance(spec, OptimizerSpec):
        return ()
    return tuple((k, v) for k, v in spec.hparams.items() if isinstance(v, bool))


# ------------------------------------------------------------------------------------------ the program

@dataclass(frozen=True)
class _Program:
    """Everything static about a run: changing any of it compiles a new program."""

    surface: Surface
    optimizers: tuple[Any, ...]  # registry names, or opaque Optimizer objects
    flags: tuple[tuple[tuple[str, bool], ...], ...]  # each optimizer's boolean hyperparameters (branches, not data)
    minibatch: tuple[bool, ...]  # draws real minibatches (stochastic optimizer on a data surface)
    noisy: tuple[bool, ...]  # adds Gaussian gradient noise
    steps: int
    every: int  # record every k-th step; 0 = only the final point
    internals: bool
    batch_size: int


_VALUE_AND_GRAD: "weakref.WeakKeyDictionary[Surface, Any]" = weakref.WeakKeyDictionary()


def _value_and_grad(surface: Surface) -> Any:
    """f and its gradient at a point, jitted once per surface: every loop of a program calls the same function,
    so JAX traces the surface once instead of twice per optimizer (XLA inlines the calls)."""
    vg = _VALUE_AND_GRAD.get(surface)
    if vg is None:
        f = surface.fn  # not the surface itself: the value must not keep its weak key alive
        vg = _VALUE_AND_GRAD[surface] = jax.jit(jax.value_and_grad(lambda p: f(p[0], p[1])))
    return vg


def _norm(g):
    # written out rather than jnp.linalg.norm: a reduction is its own kernel in XLA:CPU's scan body
    return jnp.sqrt(g[0] * g[0] + g[1] * g[1])


def _gradient_source(prog: _Program, i: int, noise, key, data):
    """``g(t, p, g_full) -> g_used``: the full gradient, or a minibatch one, plus any Gaussian noise."""
    steps = prog.steps
    if prog.minibatch[i]:
        n_data = jax.tree_util.tree_leaves(data)[0].shape[0]
        batch_grad = jax.grad(lambda p, b: prog.surface.batch_loss(p[0], p[1], b))
        # epochs, as in training: each a fresh shuffle of the dataset cut into consecutive batches (the remainder
        # dropped), so each point is used once per epoch and a batch of the whole dataset is the full gradient.
        # All drawn before the scan: a sort inside the loop body would split XLA:CPU's single-kernel loop.
        kb, bs = jax.random.fold_in(key, 0xFFFFFFFF), prog.batch_size  # apart from the per-step 2t, 2t + 1
        per_epoch = n_data // bs  # >= 1: run() refuses a batch larger than the dataset
        epochs = -(-(steps + 1) // per_epoch)
        order = jnp.argsort(jax.random.uniform(kb, (epochs, n_data)), axis=-1)[:, :per_epoch * bs]
        batches = order.reshape(epochs * per_epoch, bs)

    def gradient(t, p, g):
        if prog.minibatch[i]:
            g = batch_grad(p, jax.tree_util.tree_map(lambda a: a[batches[t]], data))
        if prog.noisy[i]:
            g = g + noise * jax.random.normal(jax.random.fold_in(key, 2 * t + 1), p.shape, p.dtype)
        return g

    return gradient


def _ok(p, loss, g, lo, hi):
    """Inside the bound (NaN fails every comparison), with a finite loss and gradient: x * 0 is 0 for a finite x
    and NaN for inf or NaN, so one sum checks all three (cheaper in a vmapped loop than three tests)."""
    return ((p[..., 0] >= lo[0]) & (p[..., 0] <= hi[0]) & (p[..., 1] >= lo[1]) & (p[..., 1] <= hi[1])
            & (loss * 0 + g == 0))


def _walk_plain(prog: _Program, opts, noises, keys, start, data, lo, hi, tols):
    """Every optimizer's path from one start, every step recorded, not yet frozen: ``[(path, loss, grad_norm,
    diverged_at, reached_at[, grads, updates]), ...]`` (``_finish`` freezes them).

    The loop does not freeze a diverged run: the point, loss, gradient and state just go on (NaN and inf
    propagate, harmlessly), and only two integers are tracked, ``diverged_at`` (the first step whose new point
    leaves the bound or has a non-finite loss or gradient) and ``reached_at`` (the first good point with loss
    <= tol). Selecting the point, loss and norm at every step (as ``_walk`` does) costs ~25% of a 10,000-start
    sweep; freezing afterwards costs nothing when no run diverged (see ``_finish``).

    One scan per optimizer (all in the same program), not one fused scan stepping them side by side: XLA:CPU
    compiles a small loop body into a single kernel, while a fused body for several optimizers exceeds its size
    limit and pays a kernel launch per operation per step (measured 30x slower for one start, with or without
    the per-step freeze). The scan runs steps + 1 iterations and records the point *before* each update, so the
    final point needs no concatenation (the last update is computed and discarded).
    """
    steps = prog.steps
    value_and_grad = _value_and_grad(prog.surface)
    sources = [_gradient_source(prog, i, noises[i], keys[i], data) for i in range(len(opts))]

    def one(i, carry, t):
        p, loss, g, state, div, hit = carry
        hit = jnp.where((hit < 0) & (div < 0) & (loss <= tols[i]), t, hit)
        rec = (p, loss, _norm(g))
        g_used = sources[i](t, p, g)
        updates, state = opts[i].update(g_used, state, p)
        new = p + updates
        new_loss, new_g = value_and_grad(new)
        ok = _ok(new, new_loss, new_g[0] * 0 + new_g[1] * 0, lo, hi)
        div = jnp.where((div < 0) & ~ok & (t < steps), t + 1, div)
        if prog.internals:
            rec = rec + (g_used, updates)
        return (new, new_loss, new_g, state, div, hit), rec

    def init(i):
        loss0, g0 = value_and_grad(start)
        minus1 = jnp.asarray(-1, jnp.int32)
        return (start, loss0, g0, opts[i].init(start), minus1, minus1)

    ts = jnp.arange(steps + 1, dtype=jnp.int32)
    carry, recs = zip(*[jax.lax.scan(partial(one, i), init(i), ts) for i in range(len(opts))])
    return [(*r[:3], c[4], c[5], *r[3:]) for c, r in zip(carry, recs)]


def _finish(prog: _Program, res):
    """Freeze one optimizer's recorded series from ``diverged_at`` on at the last good point, time axis first
    (``(T, *batch, ...)``, the layout the scan writes: done outside any vmap, it needs no transposition, and
    its ``cond`` stays a branch, so a sweep where nothing diverged never touches its output again)."""
    path, loss, gn, div, hit = res[:5]

    def freeze(series):
        T = series[1].shape[0]
        ts = jnp.arange(T, dtype=jnp.int32).reshape((T,) + (1,) * (div.ndim))
        after = (div >= 0) & (ts >= div)
        last = jnp.maximum(div - 1, 0)[None]
        out = []
        for a in series[:3]:
            extra = (None,) * (a.ndim - div.ndim - 1)
            out.append(jnp.where(after[(...,) + extra], jnp.take_along_axis(a, last[(...,) + extra], axis=0), a))
        if prog.internals:  # a frozen run records zeros: the gradient from the refused point on, the update from
            # the one that was refused
            out.append(jnp.where(after[..., None], 0, series[3]))
            out.append(jnp.where(((div >= 0) & (ts >= div - 1))[..., None], 0, series[4]))
        return tuple(out)

    series = (path, loss, gn, *res[5:])
    series = jax.lax.cond(jnp.any(div >= 0), freeze, lambda s: s, series)
    return (*series[:3], div, hit, *series[3:])


def _walk(prog: _Program, i: int, opt: Any, noise, key, start, data, lo, hi, tol):
    """One optimizer's path from one start: ``(path, loss, grad_norm, diverged_at, reached_at[, grads, updates])``;
    used for one start, and for every k-th step or only the final point with many (see ``_walk_plain``).

    Here the loop refuses a diverged step itself (with every k-th step it cannot look back at all steps): the carry
    holds the point with its loss, gradient and gradient norm, evaluated once when the point was accepted; a step
    is refused (the run has diverged; the path stays frozen) when the new point leaves the bound, or its loss or
    gradient is not finite, so no recorded series ever holds a NaN.
    """
    steps = prog.steps
    value_and_grad = _value_and_grad(prog.surface)
    gradient = _gradient_source(prog, i, noise, key, data)

    def step(carry, t):
        p, loss, gnorm, g, state, div, hit = carry
        hold = div >= 0  # from an earlier step: g is then the refused point's, and this step is discarded
        hit = jnp.where((hit < 0) & (loss <= tol), t, hit)
        g_used = gradient(t, p, g)
        updates, state = opt.update(g_used, state, p)
        new = p + updates
        new_loss, new_g = value_and_grad(new)
        ok = _ok(new, new_loss, new_g[0] * 0 + new_g[1] * 0, lo, hi)
        div = jnp.where((div < 0) & ~ok & (t < steps), t + 1, div)
        # frozen from the first refused step on: the point, its loss and gradient norm stay; the gradient and
        # optimizer state may go bad, but only ever feed discarded steps (so they need no select: cheaper)
        keep = div >= 0
        carry = (jnp.where(keep, p, new), jnp.where(keep, loss, new_loss), jnp.where(keep, gnorm, _norm(new_g)),
                 new_g, state, div, hit)
        rec = (p, loss, gnorm)
        if prog.internals:
            rec = rec + (jnp.where(hold, jnp.zeros_like(g_used), g_used),
                         jnp.where(keep, jnp.zeros_like(updates), updates))
        return carry, rec

    def silent(t, carry):
        return step(carry, t)[0]

    minus1 = jnp.asarray(-1, jnp.int32)
    loss0, g0 = value_and_grad(start)
    carry = (start, loss0, _norm(g0), g0, opt.init(start), minus1, minus1)
    if prog.every == 1:
        (_, _, _, _, _, div, hit), rec = jax.lax.scan(step, carry, jnp.arange(steps + 1, dtype=jnp.int32))
        return (*rec[:3], div, hit, *rec[3:])
    if prog.every:
        k = prog.every
        n_chunks = steps // k

        def chunk(c, j):
            c, out = step(c, j * k)
            return jax.lax.fori_loop(j * k + 1, (j + 1) * k, silent, c), out

        carry, rec = jax.lax.scan(chunk, carry, jnp.arange(n_chunks, dtype=jnp.int32))
        carry = jax.lax.fori_loop(n_chunks * k, steps, silent, carry)
    else:
        carry = jax.lax.fori_loop(0, steps, silent, carry)
        rec = None
    p, loss, gnorm, _, _, div, hit = carry
    hit = jnp.where((hit < 0) & (loss <= tol), steps, hit)
    last = (p[None], loss[None], gnorm[None])
    if rec is not None:
        last = tuple(jnp.concatenate([r, l]) for r, l in zip(rec, last))
    return (*last, div, hit)


def _simulate(prog: _Program, hparams, noises, salts, start, key, data, lo, hi, tol, *, batched=False):
    """Every optimizer's path from one start with one key, as a tuple."""
    opts, keys = [], []
    for i, (o, hp) in enumerate(zip(prog.optimizers, hparams)):
        opts.append(o if not isinstance(o, str) else _opt.get(o).factory(**hp, **dict(prog.flags[i])))
        # each optimizer draws its own noise stream (derived only where used: threefry is costly to trace)
        keys.append(jax.random.fold_in(key, salts[i]) if prog.noisy[i] or prog.minibatch[i] else None)
    if prog.every == 1 and batched:  # measured: one start is faster with the per-step freeze of ``_walk``
        recs = _walk_plain(prog, opts, noises, keys, start, data, lo, hi, tol)
        # unfrozen series when batched: ``_execute`` freezes them time-major, outside the vmap
        return tuple(recs)
    return tuple(_walk(prog, i, opts[i], noises[i], keys[i], start, data, lo, hi, tol[i]) for i in range(len(opts)))


def _execute_body(prog: _Program, hparams, noises, salts, starts, keys, data, lo, hi, tol):
    """(seeds S) x (starts N) x all optimizers, in one compiled program.

    Recorded series come back time-major, (T, S * N, ...): that is the layout the scan writes, so returning it
    costs no transposition (a copy of every path); ``run`` hands out (S, N, T, ...) views of it. Events
    (``diverged_at``, ``reached_at``) come as (S * N,). A single run (S = N = 1) skips the vmap, which costs
    tracing and compile time, and returns (T, ...) series and scalar events.
    """
    one = partial(_simulate, prog, hparams, noises, salts)
    n_seeds, n_starts = keys.shape[0], starts.shape[0]
    if n_seeds == 1 and n_starts == 1:
        return one(starts[0], keys[0], data, lo, hi, tol)
    # one vmap over every (seed, start) pair: nested vmaps made XLA transpose every recorded series (2.5x slower)
    if n_seeds == 1:
        pair_starts, pair_keys, in_axes = starts, keys[0], (0, None, None, None, None, None)
    else:
        pair_starts = jnp.broadcast_to(starts, (n_seeds, *starts.shape)).reshape(-1, starts.shape[-1])
        pair_keys = jnp.repeat(keys, n_starts, axis=0)
        in_axes = (0, 0, None, None, None, None)
    one = partial(_simulate, prog, hparams, noises, salts, batched=True)
    out = jax.vmap(one, in_axes=in_axes)(pair_starts, pair_keys, data, lo, hi, tol)

    # series time axis first: that undoes vmap's transpose of the scan's (T, S * N, ...) output, so costs no copy.
    # Splitting S * N into (S, N) is left to the host (a free numpy view): done here, a size-1 axis made XLA copy.
    out = tuple(tuple(a if a.ndim == 1 else jnp.moveaxis(a, 1, 0) for a in res) for res in out)
    if prog.every == 1:
        out = tuple(_finish(prog, res) for res in out)
    return out


_execute = partial(jax.jit, static_argnames=("prog",))(_execute_body)


@partial(jax.jit, static_argnames=("prog",))
def _execute_grid(prog: _Program, hparams, lr_grid, noises, salts, starts, keys, data, lo, hi, tol):
    """``_execute`` vmapped over rows of learning rates, ``lr_grid`` (G, n_optimizers): the grid x seeds x starts
    in one compiled program (every output gains a leading G axis). Used by ``run(lrs=...)`` and ``tune``."""

    def at(lrs):
        hp = tuple(dict(h, lr=lrs[i]) if isinstance(o, str) else h
                   for i, (h, o) in enumerate(zip(hparams, prog.optimizers)))
        return _execute_body(prog, hp, noises, salts, starts, keys, data, lo, hi, tol)

    return jax.vmap(at)(lr_grid)


# ------------------------------------------------------------------------------------------- public API

def _record_every(record: Any, steps: int) -> int:
    """1 for "all", k for every k-th step, 0 for "final"."""
    del steps
    if record is None or (isinstance(record, str) and record == "all"):
        return 1
    if isinstance(record, str) and record in ("final", "last"):
        return 0
    if isinstance(record, (int, np.integer)) and not isinstance(record, (bool, np.bool_)) and record >= 1:
        return int(record)
    raise InvalidValueError(f"record must be 'all', 'final' or a whole number of steps >= 1, got {record!r}")


def _check_tol(tol: Any) -> float | None:
    return None if tol is None else _checks.number(tol, "tol")


def _check_steps(steps: Any) -> int:
    return _checks.whole(steps, "steps", lo=1, limit_name="steps")


def _check_points(name: str, value: Any) -> np.ndarray:
    try:
        with warnings.catch_warnings():  # a complex start would be cast with a ComplexWarning: refuse it instead
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            arr = np.asarray(value, dtype=float)
    except np.exceptions.ComplexWarning:
        raise InvalidTypeError(f"{name} must be real numbers, got {_checks.show(value)}") from None
    except (TypeError, ValueError):
        raise InvalidTypeError(f"{name} must be numbers, got {_checks.show(value)}") from None
    if arr.shape[-1:] != (2,) or arr.ndim not in (1, 2):
        raise InvalidValueError(f"{name} must be (x, y) or an (N, 2) array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidValueError(f"{name} must be finite, got {_checks.show(value)}")
    if arr.ndim == 2 and len(arr) == 0:
        raise InvalidValueError(f"{name} is empty")
    return arr


def _prepare(surface, optimizers, *, noise, batch_size, seed, every, steps, internals):
    s = load_surface(surface)
    items = _as_specs(optimizers)
    specs: list[Any] = []
    for _, o in items:
        if isinstance(o, OptimizerSpec):
            if "lr" not in o.given and o.name in s.lr:
                o = o.replace(lr=s.lr[o.name])
            if noise is not None:
                o = o.replace(noise=noise)
        specs.append(o)
    labels = _labels([(given, o) for (given, _), o in zip(items, specs)])
    seed = _checks.whole(seed, "seed", lo=0, hi=2**63 - 1)
    has_data = s.data is not None and s.batch_loss is not None
    stochastic = [isinstance(o, OptimizerSpec) and o.info.stochastic and has_data for o in specs]
    if batch_size is not None:
        batch_size = _checks.whole(batch_size, "batch_size", lo=1)
    if batch_size is not None and not has_data:  # silently ignoring it would draw full-batch runs as minibatch
        raise InvalidValueError(f"batch_size applies to surfaces with a dataset (such as linreg); "
                                f"{_checks.clip(s.name, 40)} has none")
    if batch_size is None:
        batch_size = s.batch_size or 16
    batch_size = _checks.whole(batch_size, "batch_size", lo=1)
    if has_data:
        n_data = len(jax.tree_util.tree_leaves(s.data)[0])
        if batch_size > n_data:
            raise InvalidValueError(f"batch_size {batch_size} is larger than {s.name}'s dataset ({n_data} points)")
    # on a data surface a stochastic optimizer's noise is the minibatch's, unless the user asked for more
    # an opaque (init, update) pair gets the run's noise too: any optimizer may be run with noise
    noises = [(noise or 0.0) if not isinstance(o, OptimizerSpec) else
              (o.noise if (not st or "noise" in o.given or noise is not None) else 0.0)
              for o, st in zip(specs, stochastic)]
    prog = _Program(
        surface=s,
        optimizers=tuple(o.name if isinstance(o, OptimizerSpec) else o for o in specs),
        flags=tuple(_flags(o) for o in specs),
        minibatch=tuple(stochastic), noisy=tuple(n > 0 for n in noises), steps=steps, every=every,
        internals=internals, batch_size=int(batch_size),
    )
    # every number goes in as a host array: no device work before the one call of the compiled program
    dtype = _dtype()
    hparams = tuple(_traced_hparams(o, dtype) if isinstance(o, OptimizerSpec) else {} for o in specs)
    salts = np.asarray([zlib.crc32(lab.encode()) & 0x7FFFFFFF for lab in labels], np.uint32)
    (x0, x1), (y0, y1) = s.domain
    span = max(x1 - x0, y1 - y0) * DIVERGENCE_BOUND
    lo = np.asarray([min(x0, x1) - span, min(y0, y1) - span], dtype)
    hi = np.asarray([max(x0, x1) + span, max(y0, y1) + span], dtype)
    data = jax.tree_util.tree_map(_float, s.data) if any(stochastic) else None
    specs = [o.replace(noise=n) if isinstance(o, OptimizerSpec) and o.noise != n else o
             for o, n in zip(specs, noises)]
    return s, specs, labels, prog, hparams, np.asarray(noises, dtype), salts, data, lo, hi


def run(surface: Any, optimizers: Any = ("gd", "adagrad", "rmsprop", "momentum", "adam"), *, steps: int = 200,
        start: Any = None, starts: Any = None, seed: int = 0, seeds: Any = None, record: Any = "all",
        noise: float | None = None, batch_size: int | None = None, tol: float | None = None,
        internals: bool = False, lrs: Any = None) -> Trajectories:
    """Run ``optimizers`` on ``surface`` for ``steps`` steps and return their ``Trajectories``.

    ``surface``: a Surface or a spec (``"ravine"``, ``"bowl:condition=50"``, ``"file.py:f"``, ...).
    ``optimizers``: names (``"adam"``, ``"adam:lr=0.1,b1=0.8"``), a dict label/name -> hyperparameters,
    ``OptimizerSpec`` / ``ov.optimizer(...)`` objects, or any optax-shaped (init, update) pair (whose
    hyperparameters are baked into its functions: a new optax object compiles a new program, a new lr for a
    registered optimizer does not).
    ``start`` (x, y) or ``starts`` (N, 2): where to begin (default: the surface's start). ``seed`` / ``seeds``
    (a count or a list of seeds): the randomness of stochastic gradients. ``record``: ``"all"``, every k-th
    step (an int) or ``"final"``. ``noise``: Gaussian gradient noise for every optimizer. ``tol``: record
    the first step whose loss is <= tol (``reached_at``). ``internals``: also keep each step's gradient and update.
    ``lrs``: a grid of learning rates, (G,) shared by every optimizer or (G, n_optimizers) one column each; every
    array of the result gains a leading G axis and each ``Trajectory.lrs`` holds its column. The grid, the starts
    and the seeds run in one compiled program (learning rates are traced: a new grid of the same size does not
    recompile).
    """
    compilation_cache.enable()
    steps = _check_steps(steps)
    every = _record_every(record, steps)
    if internals and every != 1:
        raise InvalidValueError("internals=True needs record='all'")
    if noise is not None:
        noise = _opt._check("run", "noise", noise)
    s, specs, labels, prog, hparams, noises, salts, data, lo, hi = _prepare(
        surface, optimizers, noise=noise, batch_size=batch_size, seed=seed, every=every, steps=steps,
        internals=internals)
    if start is not None and starts is not None:
        raise InvalidValueError("give start or starts, not both")
    pts = _check_points("starts" if starts is not None else "start",
                        starts if starts is not None else (start if start is not None else s.start))
    batched_starts = pts.ndim == 2
    pts2 = pts.reshape(-1, 2)
    if seeds is None:
        seed_list, batched_seeds = [seed], False
    else:
        if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, (bool, np.bool_)):
            count = _checks.whole(seeds, "seeds", lo=1, limit_name="seeds")
            seed_list = list(range(seed, seed + count))
        elif isinstance(seeds, (list, tuple, np.ndarray, range)):
            _checks.limit("seeds", len(seeds))
            seed_list = [_checks.whole(v, "seeds", lo=0, hi=2**63 - 1) for v in seeds]
        else:
            raise InvalidTypeError(f"seeds must be a count >= 1 or a list of whole numbers, got {_checks.show(seeds)}")
        if not seed_list:
            raise InvalidValueError("seeds must be a count >= 1 or a non-empty list of seeds, got []")
        if seed_list[-1] > 2**63 - 1:
            raise InvalidValueError(f"seeds run past 2**63 - 1 from seed {seed}")
        batched_seeds = True
    _checks.limit("starts", len(pts2))
    grid = _check_lrs(lrs, specs)
    n_lrs = 1 if grid is None else _checks.limit("starts", len(grid), what="learning rates")
    _check_size(n_lrs * len(specs) * len(seed_list) * len(pts2), len(_recorded_steps(steps, every)),
                internals=internals)
    tol = _check_tol(tol)
    keys = np.stack([key_data(int(v)) for v in seed_list])
    dtype = _dtype()
    starts_arr, n = _shard(pts2.astype(dtype))
    tols = np.full(len(specs), -np.inf if tol is None else tol, dtype)
    if grid is None:
        out = _execute(prog, hparams, noises, salts, starts_arr, keys, data, lo, hi, tols)
    else:
        out = _execute_grid(prog, hparams, grid.astype(dtype), noises, salts, starts_arr, keys, data, lo, hi, tols)
    recorded = _recorded_steps(steps, every)
    runs: dict[str, Trajectory] = {}
    single = len(pts2) == 1 and len(seed_list) == 1

    def shape(a: np.ndarray) -> np.ndarray:
        if not batched_starts:
            a = a[:, 0]
        if not batched_seeds:
            a = a[0]
        return a

    def arrange(arrays: list[np.ndarray]) -> list[np.ndarray]:
        if single:  # (T, ...) series and scalar events; add the batch axes the caller asked for
            axes = (None,) * (int(batched_seeds) + int(batched_starts))
            return [a[axes] for a in arrays] if axes else arrays
        # series come time-major (T, S * N, ...): view them as (S, N, T, ...) without copying
        k = len(seed_list)
        arrays = [a.reshape(k, -1) if a.ndim == 1 else
                  a.reshape(a.shape[0], k, -1, *a.shape[2:]).transpose(1, 2, 0, *range(3, a.ndim + 1))
                  for a in arrays]
        return [shape(a[:, :n]) for a in arrays]

    for i, (label, o, res) in enumerate(zip(labels, specs, out)):
        arrays = [np.asarray(a) for a in res]
        if grid is None:
            arrays = arrange(arrays)
        else:  # the same per grid row, stacked along a leading axis
            rows = [arrange([a[g] for a in arrays]) for g in range(len(grid))]
            arrays = [np.stack(col) for col in zip(*rows)]
        path, loss, gn, div, hit = arrays[:5]
        extra = [a[..., :steps, :] for a in arrays[5:]]
        spec = o if isinstance(o, OptimizerSpec) else None
        runs[label] = Trajectory(
            label=label, caption=spec.caption() if spec else label, path=path, loss=loss, grad_norm=gn,
            steps=recorded, diverged_at=_event(div) if grid is None else div.astype(np.int64),
            reached_at=_event(hit) if grid is None else hit.astype(np.int64), spec=spec,
            grads=extra[0] if extra else None, updates=extra[1] if extra else None,
            lrs=None if grid is None else grid[:, i])
    return Trajectories(runs, s, n_steps=steps, seed=seed, start=pts, record=record, tol=tol)


def _check_lrs(lrs: Any, specs: list[Any]) -> np.ndarray | None:
    """``run``'s ``lrs``: None, or a (G, n_optimizers) host array of finite learning rates > 0."""
    if lrs is None:
        return None
    if any(not isinstance(o, OptimizerSpec) for o in specs):
        raise InvalidValueError("lrs needs registered optimizers (names or specs), not opaque (init, update) pairs")
    try:
        grid = np.asarray(lrs, dtype=float)
    except (TypeError, ValueError):
        raise InvalidValueError(f"lrs must be numbers, got {lrs!r}") from None
    if grid.ndim == 1:
        grid = np.repeat(grid[:, None], len(specs), axis=1)
    if grid.ndim != 2 or grid.shape[1] != len(specs) or grid.shape[0] == 0:
        raise InvalidValueError(f"lrs must be (G,) or (G, {len(specs)}) (one column per optimizer), "
                                f"got shape {np.shape(lrs)}")
    if not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise InvalidValueError("lrs must be finite numbers > 0")
    return grid


def _event(a: np.ndarray) -> Any:
    if a.ndim == 0:
        return None if int(a) < 0 else int(a)
    return a.astype(np.int64)


def _recorded_steps(steps: int, every: int) -> np.ndarray:
    if every == 0:
        return np.array([steps])
    return np.concatenate([np.arange(0, (steps // every) * every, every), [steps]])


def _shard(starts: np.ndarray) -> tuple[Any, int]:
    """Spread the starts over all local devices (padding to a multiple of their number) when there are several.

    The compiled program follows its input's sharding, so each device walks its share of the starts.
    """
    n = starts.shape[0]
    devices = jax.local_devices()
    if len(devices) < 2 or n < len(devices):
        return starts, n
    pad = (-n) % len(devices)
    if pad:
        starts = np.concatenate([starts, np.broadcast_to(starts[-1], (pad, 2))])
    return jax.device_put(starts, _start_sharding(tuple(devices))), n


@lru_cache(maxsize=8)
def _start_sharding(devices: tuple[Any, ...]) -> Any:
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    return NamedSharding(Mesh(np.asarray(devices), ("starts",)), PartitionSpec("starts"))


# -------------------------------------------------------------------------------------------------- tune

@dataclass
class TuneResult:
    """The learning rate a sweep chose for one optimizer, and the whole sweep behind the choice."""

    label: str
    lr: float
    objective: float
    reached_at: int | None
    lrs: np.ndarray
    objectives: np.ndarray
    reached: np.ndarray
    spec: OptimizerSpec | None = None
    budget: int = 0
    description: str = field(default="final loss after the step budget, ties broken by steps to reach tol")

    def note(self) -> str:
        """What a caption adds for a tuned run: the objective the choice was made on, and the budget."""
        return f"(tuned: final loss {self.objective:.3g} after {self.budget} steps)"

    def caption(self) -> str:
        return f"lr={self.lr:.3g} {self.note()}"


def tune(surface: Any, optimizers: Any = ("gd", "adagrad", "rmsprop", "momentum", "adam"), *, steps: int = 200,
         lrs: Sequence[float] | None = None, start: Any = None, seed: int = 0, tol: float | None = None,
         noise: float | None = None, batch_size: int | None = None) -> dict[str, TuneResult]:
    """Pick each optimizer's learning rate from a log-spaced grid, by one vmapped program.

    Objective: the final loss after ``steps`` steps (a diverged run scores +inf). Runs whose final loss is
    within ``tol`` of the best tie, and the tie goes to the one that first reached loss <= best + tol; ``tol``
    defaults to 1e-3 times the loss range between the start and the best final loss. ``lrs`` defaults to 25
    values from 1e-4 to 10.
    """
    compilation_cache.enable()
    steps = _check_steps(steps)
    grid = np.logspace(-4, 1, 25) if lrs is None else np.asarray(lrs, dtype=float).ravel()
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise InvalidValueError("lrs must be a non-empty list of finite numbers > 0")
    s, specs, labels, prog, hparams, noises, salts, data, lo, hi = _prepare(
        surface, optimizers, noise=noise, batch_size=batch_size, seed=seed, every=0, steps=steps, internals=False)
    if any(not isinstance(o, OptimizerSpec) for o in specs):
        raise InvalidValueError("tune needs registered optimizers (names or specs), not opaque (init, update) pairs")
    pt = _check_points("start", start if start is not None else s.start)
    if pt.ndim != 1:
        raise InvalidValueError("tune takes one start")
    _checks.limit("starts", grid.size, what="learning rates")
    _check_size(len(specs) * grid.size, 2, internals=False, what="this sweep")
    tol = _check_tol(tol)
    dtype = _dtype()

    lr_grid = np.repeat(grid.astype(dtype)[:, None], len(specs), axis=1)

    def sweep(targets):
        return _execute_grid(prog, hparams, lr_grid, noises, salts, pt.astype(dtype)[None],
                             key_data(int(seed))[None], data, lo, hi, np.asarray(targets, dtype))

    out = sweep(np.full(len(specs), -np.inf))
    start_loss = float(s.value(_float(pt)))
    finals, targets = [], []
    for res in out:
        final = np.asarray(res[1])[:, -1].astype(float)
        final = np.where((np.asarray(res[3]) >= 0) | ~np.isfinite(final), np.inf, final)
        best = float(np.min(final))
        finals.append(final)
        targets.append(best + (tol if tol is not None else 1e-3 * max(abs(start_loss - best), 1e-12))
                       if math.isfinite(best) else -np.inf)
    # a second pass of the same compiled program, for the tie-break: steps to reach best + tol
    reached_all = sweep(np.asarray(targets))
    results = {}
    for label, o, final, target, res in zip(labels, specs, finals, targets, reached_all):
        reached = np.asarray(res[4]).astype(np.int64)
        tied = np.where(final <= target)[0]
        if len(tied) == 0:
            pick = int(np.argmin(final))
        else:
            r = np.where(reached[tied] >= 0, reached[tied], np.iinfo(np.int64).max)
            pick = int(tied[np.argmin(r)])
        lr = float(grid[pick])
        results[label] = TuneResult(label, lr, float(final[pick]), None if reached[pick] < 0 else int(reached[pick]),
                                    grid, final, reached, o.replace(lr=lr, label=label), steps)
    return results

