"""A basin map: where 5 optimizers end from a million starts, ``ov.run`` against optax on the same work.

    XLA_FLAGS=--xla_force_host_platform_device_count=2 .venv/bin/python bench/bench_basin.py
    .venv/bin/python bench/bench_basin.py --starts 20000      # quick

The starts (a square grid over Himmelblau's domain, 1000 x 1000) go through in chunks of equal size, so one
compiled program per side serves every chunk and memory stays bounded; only the end points are kept
(``record="final"``). Both sides use every local device: ``ov.run`` shards the starts itself, the optax side
through a ``jax.sharding.NamedSharding`` over the same axis.

What each side computes: ``ov.run``, each optimizer's end point with its loss and gradient norm, and
``diverged_at`` (the divergence rule tested at every step, a diverged run frozen at its last good point); optax,
a hand-written ``jit(vmap(scan))``, the same outputs (the peer of the goal) and, bare, the end points alone with
no divergence rule (for reference); no tol is given, so nothing tracks ``reached_at``.

Fairness on a shared machine: all sides run in one process, chunk by chunk in turn (the order alternates), and
each keeps its best total of ``--repeats`` passes, so a swing of the load hits all alike. Peak RSS is the
process's, every side included: an upper bound for each.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

DOMAIN = ((-5.0, 5.0), (-5.0, 5.0))  # Himmelblau's, for the divergence box
OPTIMIZERS = {  # the same hyperparameters on every side
    "gd": dict(lr=5e-3),
    "momentum": dict(lr=2e-3, momentum=0.9),
    "adagrad": dict(lr=0.5, initial_accumulator_value=0.1, eps=1e-7),
    "rmsprop": dict(lr=0.03, decay=0.9, eps=1e-8),
    "adam": dict(lr=0.1, b1=0.9, b2=0.999, eps=1e-8),
}


def starts_grid(n: int):
    import numpy as np

    side = int(round(n ** 0.5))
    g = np.linspace(-4.9, 4.9, side, dtype=np.float32)
    X, Y = np.meshgrid(g, g)
    return np.stack([X.ravel(), Y.ravel()], axis=1)


def optax_program(steps: int, rule: bool):
    """The hand-written optax side: one ``jit(vmap(scan))`` stepping the 5 optimizers, and the sharding of its
    starts. ``rule=False``: the bare end points. ``rule=True``: what ``ov.run(record="final")`` hands out, the end
    point with its loss and gradient norm and ``diverged_at`` under the divergence rule (each new point's loss and
    gradient finite and inside the box, else the run stays at its last good point; the test is the rule's own
    predicate, ``divergence.refused``)."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    from optiviz.engine import divergence

    h = OPTIMIZERS
    txs = [optax.sgd(h["gd"]["lr"]), optax.sgd(h["momentum"]["lr"], momentum=0.9),
           optax.adagrad(h["adagrad"]["lr"], initial_accumulator_value=0.1, eps=1e-7),
           optax.rmsprop(h["rmsprop"]["lr"], decay=0.9, eps=1e-8), optax.adam(h["adam"]["lr"])]
    lo, hi = (jnp.asarray(b) for b in divergence.box(DOMAIN, np.float32))

    def f(p):
        x, y = p[0], p[1]
        return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2

    grad, value_and_grad = jax.grad(f), jax.value_and_grad(f)

    def bare(p0):
        def body(carry, _):
            new = []
            for tx, (p, state) in zip(txs, carry):
                updates, state = tx.update(grad(p), state, p)
                new.append((optax.apply_updates(p, updates), state))
            return tuple(new), None

        final, _ = jax.lax.scan(body, tuple((p0, tx.init(p0)) for tx in txs), None, length=steps)
        return jnp.stack([p for p, _ in final])

    def with_rule(p0):
        loss0, g0 = value_and_grad(p0)

        def body(carry, t):
            new = []
            for tx, (p, loss, g, state, d) in zip(txs, carry):
                updates, state = tx.update(g, state, p)
                q = optax.apply_updates(p, updates)
                q_loss, q_g = value_and_grad(q)
                d = jnp.where((d < 0) & divergence.refused(q, q_loss, q_g, lo, hi), t + 1, d)
                new.append((jnp.where(d >= 0, p, q), q_loss, q_g, state, d))
            return tuple(new), None

        m1 = jnp.asarray(-1, jnp.int32)
        final, _ = jax.lax.scan(body, tuple((p0, loss0, g0, tx.init(p0), m1) for tx in txs),
                                jnp.arange(steps, dtype=jnp.int32))
        ends = jnp.stack([p for p, *_ in final])
        losses, grads = jax.vmap(value_and_grad)(ends)
        return ends, losses, jnp.sqrt(jnp.sum(grads * grads, axis=-1)), jnp.stack([c[4] for c in final])

    sharding = NamedSharding(Mesh(np.asarray(jax.devices()), ("starts",)), PartitionSpec("starts"))
    return jax.jit(jax.vmap(with_rule if rule else bare), out_shardings=sharding), sharding


def sides(steps: int, chunk: int) -> dict:
    """Each side as a function of one chunk of starts -> (5, chunk, 2) end points, compiled."""
    import jax
    import numpy as np

    import optiviz as ov

    surface = ov.load_surface("himmelblau")
    assert surface.domain == DOMAIN
    opts = {k: dict(v) for k, v in OPTIMIZERS.items()}

    def optiviz_chunk(starts):
        runs = ov.run(surface, opts, steps=steps, starts=starts, record="final")
        return np.stack([runs[name].path[:, -1] for name in OPTIMIZERS])

    def optax_side(rule):
        program, sharding = optax_program(steps, rule)

        def chunk(starts):  # every output to numpy, as ov.run hands them out
            out = jax.tree_util.tree_map(np.asarray, program(jax.device_put(starts, sharding)))
            return (out[0] if rule else out).transpose(1, 0, 2)

        return chunk

    return {"optax": optax_side(True), "optiviz": optiviz_chunk, "optax bare": optax_side(False)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--starts", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print one JSON line (for bench/table.py)")
    args = ap.parse_args(argv)
    import jax
    import numpy as np

    starts = starts_grid(args.starts)
    # equal chunks that split evenly over the devices: one compiled program per side serves them all
    chunk = min(args.chunk, len(starts)) // jax.device_count() * jax.device_count()
    starts = starts[:len(starts) // chunk * chunk]
    chunks = [starts[i:i + chunk] for i in range(0, len(starts), chunk)]
    fns = sides(args.steps, chunk)
    ends = {who: fn(chunks[0]) for who, fn in fns.items()}  # compile (one program per side serves every chunk)
    best = {who: float("inf") for who in fns}
    for r in range(args.repeats):
        total = dict.fromkeys(fns, 0.0)
        for i, c in enumerate(chunks):
            order = list(fns)
            for who in (order if (r + i) % 2 == 0 else order[::-1]):
                t0 = time.perf_counter()
                out = fns[who](c)
                total[who] += time.perf_counter() - t0
                if i == 0:
                    ends[who] = out
        best = {who: min(best[who], total[who]) for who in fns}
    # the same work: the end points of the first chunk, optimizer by optimizer (float32 rounding apart; RMSProp
    # ends inside its lr-sized oscillation around a minimum, where rounding moves it by up to about lr)
    a, b = ends["optiviz"], ends["optax"]
    both = np.isfinite(a).all(-1) & np.isfinite(b).all(-1)
    gaps = {name: float(np.abs(a[i] - b[i])[both[i]].max()) if both[i].any() else float("nan")
            for i, name in enumerate(OPTIMIZERS)}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = dict(starts=len(starts), optimizers=len(OPTIMIZERS), steps=args.steps, chunk=chunk,
                  devices=jax.device_count(), optiviz=best["optiviz"], optax=best["optax"],
                  optax_bare=best["optax bare"], rss_mb=rss_mb,
                  optax_rss_mb=rss_mb, gaps=gaps, repeats=args.repeats, load=os.getloadavg()[0])
    if args.json:
        print(json.dumps(result))
    else:
        print(f"basin map: {result['starts']:,} starts x {len(OPTIMIZERS)} optimizers x {args.steps} steps, end points "
              f"only, chunks of {chunk:,}, {result['devices']} device(s), best of {args.repeats} interleaved passes, "
              f"load {result['load']:.1f}")
        print(f"   optax    {result['optax_bare']:8.2f} s   (bare: end points only, no divergence rule)")
        print(f"   optax    {result['optax']:8.2f} s   (the same outputs: end points, their loss and gradient norm, "
              "diverged_at)")
        print(f"   optiviz  {result['optiviz']:8.2f} s   (the same outputs)   ratio to optax {result['optiviz'] / result['optax']:.2f} "
              f"(goal <= 1.0), to the bare optax {result['optiviz'] / result['optax_bare']:.2f}")
        print(f"   peak RSS {rss_mb:7.0f} MB (every side in one process; goal <= 2 GB)")
        print("   largest end-point gap, first chunk: " + ", ".join(f"{k} {v:.1e}" for k, v in gaps.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
