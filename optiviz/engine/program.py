"""The compiled program: every optimizer's path on a surface, for many starts, seeds and learning rates at once.

One program per (surface, optimizer names and flags, step count, recording mode, batch shape): one ``lax.scan``
over the steps per optimizer, ``vmap`` over starts and seeds (and a grid of learning rates), starts sharded over
the local devices when there are several. Learning rates, hyperparameters, schedules' numbers, starts, seeds and
noise levels are traced arguments, so changing them never recompiles. Divergence is decided by the rule in
``divergence.py``. Why the loops are shaped as they are (measured): ``bench/ENGINE_NOTES.md``.

Recorded series come back time-major, ``(T, ...)``; ``api.run`` hands out views of them.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import optimizers as _opt
from ..schedules import Scaled
from ..surface import Surface
from . import divergence
from .batches import all_batches


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
    reach: bool = True  # tracks reached_at (a tol was given); without, it stays -1 and the loop skips the test


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
        # the batches of every step, drawn before the scan (see batches.all_batches); the key is kept apart
        # from the per-step noise keys 2t + 1
        batches = all_batches(jax.random.fold_in(key, 0xFFFFFFFF), steps, n_data, prog.batch_size)

    def gradient(t, p, g):
        if prog.minibatch[i]:
            g = batch_grad(p, jax.tree_util.tree_map(lambda a: a[batches[t]], data))
        if prog.noisy[i]:
            g = g + noise * jax.random.normal(jax.random.fold_in(key, 2 * t + 1), p.shape, p.dtype)
        return g

    return gradient


def _walk_plain(prog: _Program, opts, noises, keys, start, data, lo, hi, tols):
    """Every optimizer's path from one start, every step recorded, not yet frozen: ``[(path, loss, grad_norm,
    diverged_at, reached_at[, grads, updates]), ...]`` (``_finish`` freezes them after the loop).

    The loop only notes ``diverged_at`` (the divergence rule) and ``reached_at`` (the first good point with loss
    <= tol); a diverged run just goes on, NaN and inf propagating harmlessly. One scan per optimizer, each
    recording the point before its update (why: bench/ENGINE_NOTES.md).
    """
    steps = prog.steps
    value_and_grad = _value_and_grad(prog.surface)
    sources = [_gradient_source(prog, i, noises[i], keys[i], data) for i in range(len(opts))]

    def one(i, carry, t):
        p, loss, g, state, div, hit = carry
        if prog.reach:
            hit = jnp.where((hit < 0) & (div < 0) & (loss <= tols[i]), t, hit)
        rec = (p, loss, _norm(g))
        g_used = sources[i](t, p, g)
        updates, state = opts[i].update(g_used, state, p)
        new = p + updates
        new_loss, new_g = value_and_grad(new)
        div = divergence.note(div, divergence.refused(new, new_loss, new_g, lo, hi), t + 1)
        if prog.internals:
            rec = rec + (g_used, updates)
        return (new, new_loss, new_g, state, div, hit), rec

    def init(i):
        loss0, g0 = value_and_grad(start)
        minus1 = jnp.asarray(-1, jnp.int32)
        return (start, loss0, g0, opts[i].init(start), minus1, minus1)

    ts = jnp.arange(steps + 1, dtype=jnp.int32)
    carry, recs = zip(*[jax.lax.scan(partial(one, i), init(i), ts) for i in range(len(opts))])
    return [(*r[:3], _unseen(c[4], steps), c[5], *r[3:]) for c, r in zip(carry, recs)]


def _unseen(div, steps):
    """``diverged_at`` of a scan over steps + 1 iterations: the last one's update is computed and discarded (the
    loop records the point before each update), so a refusal there (step steps + 1) is none."""
    return jnp.where(div > steps, -1, div)


def _finish(prog: _Program, res):
    """Freeze one optimizer's recorded series (time axis first) from ``diverged_at`` on at the last good point;
    a sweep where nothing diverged skips it (``cond``)."""
    path, loss, gn, div, hit = res[:5]

    def freeze(series):
        out = [divergence.freeze_from(div, a) for a in series[:3]]
        if prog.internals:  # a frozen run records zeros: the gradient from the refused point on, the update from
            # the one that was refused
            T = series[1].shape[0]
            ts = jnp.arange(T, dtype=jnp.int32).reshape((T,) + (1,) * (div.ndim))
            out.append(jnp.where(((div >= 0) & (ts >= div))[..., None], 0, series[3]))
            out.append(jnp.where(((div >= 0) & (ts >= div - 1))[..., None], 0, series[4]))
        return tuple(out)

    series = (path, loss, gn, *res[5:])
    series = jax.lax.cond(jnp.any(div >= 0), freeze, lambda s: s, series)
    return (*series[:3], div, hit, *series[3:])


def _walk(prog: _Program, i: int, opt: Any, noise, key, start, data, lo, hi, tol):
    """One optimizer's path from one start: ``(path, loss, grad_norm, diverged_at, reached_at[, grads, updates])``;
    used for one start, and for every k-th step or only the final point with many.

    The loop itself freezes what it records of a diverged run (the divergence rule): the carry holds the last
    accepted point with its loss and gradient norm, and a refused step keeps them.
    """
    steps = prog.steps
    value_and_grad = _value_and_grad(prog.surface)
    gradient = _gradient_source(prog, i, noise, key, data)

    def step(carry, t):
        kept, p, g, state, div, hit = carry  # kept: the last accepted (point, loss, gradient norm)
        hold = div >= 0  # from an earlier step: this step is discarded
        if prog.reach:
            hit = jnp.where((hit < 0) & (kept[1] <= tol), t, hit)
        g_used = gradient(t, p, g)
        updates, state = opt.update(g_used, state, p)
        new = p + updates
        new_loss, new_g = value_and_grad(new)
        div = divergence.note(div, divergence.refused(new, new_loss, new_g, lo, hi), t + 1)
        # frozen from the first refused step on: what is recorded stays at the last accepted point. The run itself
        # goes on from the new point (a refused run's numbers only feed discarded steps), which keeps the test and
        # the selects off the serial chain gradient -> update -> point (one start: ~10-25% faster, measured)
        keep = div >= 0
        rec = kept
        kept = divergence.hold(keep, kept, (new, new_loss, _norm(new_g)))
        carry = (kept, new, new_g, state, div, hit)
        if prog.internals:
            rec = rec + (jnp.where(hold, jnp.zeros_like(g_used), g_used),
                         jnp.where(keep, jnp.zeros_like(updates), updates))
        return carry, rec

    def silent(t, carry):
        return step(carry, t)[0]

    minus1 = jnp.asarray(-1, jnp.int32)
    loss0, g0 = value_and_grad(start)
    if not prog.every and not prog.internals:
        return _walk_final(prog, opt, gradient, value_and_grad, start, loss0, g0, lo, hi, tol)
    carry = ((start, loss0, _norm(g0)), start, g0, opt.init(start), minus1, minus1)
    if prog.every == 1:
        (_, _, _, _, div, hit), rec = jax.lax.scan(step, carry, jnp.arange(steps + 1, dtype=jnp.int32))
        return (*rec[:3], _unseen(div, steps), hit, *rec[3:])
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
    (p, loss, gnorm), _, _, _, div, hit = carry
    if prog.reach:
        hit = jnp.where((hit < 0) & (loss <= tol), steps, hit)
    last = (p[None], loss[None], gnorm[None])
    if rec is not None:
        last = tuple(jnp.concatenate([r, l]) for r, l in zip(rec, last))
    return (*last, div, hit)


def _walk_final(prog: _Program, opt: Any, gradient, value_and_grad, start, loss0, g0, lo, hi, tol):
    """``_walk`` when only the end point is kept (a basin map: many starts): the loop freezes the point alone, and
    the end point's loss and gradient norm are evaluated once after the loop (``_walk`` carries and selects all
    three at every step). ``reached_at`` only looks at points not yet refused, which is what ``_walk``'s frozen
    loss gives too (the last accepted point was tested when it was accepted)."""
    steps = prog.steps

    def step(t, carry):
        p, loss, g, state, div, hit = carry
        if prog.reach:
            hit = jnp.where((hit < 0) & (div < 0) & (loss <= tol), t, hit)
        updates, state = opt.update(gradient(t, p, g), state, p)
        new = p + updates
        new_loss, new_g = value_and_grad(new)
        div = divergence.note(div, divergence.refused(new, new_loss, new_g, lo, hi), t + 1)
        return (jnp.where(div >= 0, p, new), new_loss, new_g, state, div, hit)

    minus1 = jnp.asarray(-1, jnp.int32)
    p, _, _, _, div, hit = jax.lax.fori_loop(0, steps, step, (start, loss0, g0, opt.init(start), minus1, minus1))
    loss, g = value_and_grad(p)
    if prog.reach:
        hit = jnp.where((hit < 0) & (loss <= tol), steps, hit)
    return (p[None], loss[None], _norm(g)[None], div, hit)


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

    Recorded series come back time-major, (T, S * N, ...), events as (S * N,); a single run (S = N = 1) skips
    the vmap and returns (T, ...) series and scalar events. (Layout choices: bench/ENGINE_NOTES.md.)
    """
    one = partial(_simulate, prog, hparams, noises, salts)
    n_seeds, n_starts = keys.shape[0], starts.shape[0]
    if n_seeds == 1 and n_starts == 1:
        return one(starts[0], keys[0], data, lo, hi, tol)
    # one vmap over every (seed, start) pair (nested vmaps transpose every series)
    if n_seeds == 1:
        pair_starts, pair_keys, in_axes = starts, keys[0], (0, None, None, None, None, None)
    else:
        pair_starts = jnp.broadcast_to(starts, (n_seeds, *starts.shape)).reshape(-1, starts.shape[-1])
        pair_keys = jnp.repeat(keys, n_starts, axis=0)
        in_axes = (0, 0, None, None, None, None)
    one = partial(_simulate, prog, hparams, noises, salts, batched=True)
    out = jax.vmap(one, in_axes=in_axes)(pair_starts, pair_keys, data, lo, hi, tol)

    # time axis first, the scan's own layout (no copy); S * N is split on the host
    out = tuple(tuple(a if a.ndim == 1 else jnp.moveaxis(a, 1, 0) for a in res) for res in out)
    if prog.every == 1:
        out = tuple(_finish(prog, res) for res in out)
    return out


def _execute_packed(prog: _Program, hparams, noises, salts, starts, keys, data, lo, hi, tol):
    """``_execute_body``, its outputs packed into a few arrays (``_unpack`` reads them) when they are small (a
    single run, or end points only): every output costs a call a few microseconds (and a gather from each device
    when sharded), which is most of a single run's call; many recorded series are left alone (a copy)."""
    out = _execute_body(prog, hparams, noises, salts, starts, keys, data, lo, hi, tol)
    if not _packed(prog, keys.shape[0] * starts.shape[0]):
        return out
    packed = (jnp.stack([r[0] for r in out]),  # paths (n, T, 2)
              jnp.stack([jnp.stack(r[1:3]) for r in out]),  # losses and gradient norms (n, 2, T)
              jnp.stack([jnp.stack(r[3:5]) for r in out]))  # diverged_at, reached_at (n, 2)
    if prog.internals:
        packed += (jnp.stack([jnp.stack(r[5:7]) for r in out]),)  # gradients and updates (n, 2, T, 2)
    return packed


def _packed(prog: _Program, n_runs: int) -> bool:
    """Whether ``_execute`` packs its outputs (a single run, or end points only)."""
    return n_runs == 1 or prog.every == 0


def _unpack(prog: _Program, packed) -> list[tuple[np.ndarray, ...]]:
    """Packed outputs as numpy views, per optimizer ``(path, loss, grad_norm, diverged_at, reached_at[, grads,
    updates])``, shaped as ``_execute_body`` returns them (a single run's events as 0-d arrays)."""
    arrays = [np.asarray(a) for a in packed]
    paths, series, events = arrays[:3]
    return [(paths[i], series[i, 0], series[i, 1], events[i, 0, ...], events[i, 1, ...],
             *((arrays[3][i, 0], arrays[3][i, 1]) if prog.internals else ()))
            for i in range(len(prog.optimizers))]


_execute = partial(jax.jit, static_argnames=("prog",))(_execute_packed)


@partial(jax.jit, static_argnames=("prog",))
def _execute_grid(prog: _Program, hparams, lr_grid, noises, salts, starts, keys, data, lo, hi, tol):
    """``_execute`` vmapped over rows of learning rates, ``lr_grid`` (G, n_optimizers): the grid x seeds x starts
    in one compiled program (every output gains a leading G axis). Used by ``run(lrs=...)`` and ``tune``."""

    def at(lrs):
        # a schedule keeps its shape: its column holds factors (``api._grid_factors``)
        hp = tuple(dict(h, lr=Scaled(h["lr"], lrs[i]) if callable(h["lr"]) else lrs[i]) if isinstance(o, str) else h
                   for i, (h, o) in enumerate(zip(hparams, prog.optimizers)))
        return _execute_body(prog, hp, noises, salts, starts, keys, data, lo, hi, tol)

    return jax.vmap(at)(lr_grid)


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
