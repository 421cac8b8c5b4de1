"""A basin map: where 5 optimizers end from a million starts, ``ov.run`` against optax on the same work.

    XLA_FLAGS=--xla_force_host_platform_device_count=2 .venv/bin/python bench/bench_basin.py
    .venv/bin/python bench/bench_basin.py --starts 20000      # quick

The starts (a square grid over Himmelblau's domain, 1000 x 1000) go through in chunks of equal size, so one
compiled program serves every chunk and memory stays bounded; only the end points are kept (``record="final"``).
Both sides use every local device: ``ov.run`` shards the starts itself, the optax side through a
``jax.sharding.NamedSharding`` over the same axis. Each side runs in a fresh process of its own (peak RSS is a
per-process number), alternating, best of ``--repeats``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

OPTIMIZERS = {  # the same hyperparameters on both sides
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


def run_optiviz(starts, steps: int, chunk: int):
    import numpy as np

    import optiviz as ov

    surface = ov.load_surface("himmelblau")
    ends = np.empty((len(OPTIMIZERS), len(starts), 2), np.float32)
    for i in range(0, len(starts), chunk):
        runs = ov.run(surface, {k: dict(v) for k, v in OPTIMIZERS.items()}, steps=steps,
                      starts=starts[i:i + chunk], record="final")
        for j, name in enumerate(OPTIMIZERS):
            ends[j, i:i + chunk] = runs[name].path[:, -1]
    return ends


def run_optax(starts, steps: int, chunk: int):
    import jax
    import numpy as np
    import optax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    h = OPTIMIZERS
    txs = [optax.sgd(h["gd"]["lr"]), optax.sgd(h["momentum"]["lr"], momentum=0.9),
           optax.adagrad(h["adagrad"]["lr"], initial_accumulator_value=0.1, eps=1e-7),
           optax.rmsprop(h["rmsprop"]["lr"], decay=0.9, eps=1e-8), optax.adam(h["adam"]["lr"])]

    def f(p):
        x, y = p[0], p[1]
        return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2

    grad = jax.grad(f)

    def walk(p0):
        def body(carry, _):
            new = []
            for tx, (p, state) in zip(txs, carry):
                updates, state = tx.update(grad(p), state, p)
                new.append((optax.apply_updates(p, updates), state))
            return tuple(new), None

        final, _ = jax.lax.scan(body, tuple((p0, tx.init(p0)) for tx in txs), None, length=steps)
        return jax.numpy.stack([p for p, _ in final])

    mesh = Mesh(np.asarray(jax.devices()), ("starts",))
    sharding = NamedSharding(mesh, PartitionSpec("starts"))
    program = jax.jit(jax.vmap(walk), out_shardings=NamedSharding(mesh, PartitionSpec("starts")))
    ends = np.empty((len(OPTIMIZERS), len(starts), 2), np.float32)
    for i in range(0, len(starts), chunk):
        out = np.asarray(program(jax.device_put(starts[i:i + chunk], sharding)))  # (chunk, 5, 2)
        ends[:, i:i + chunk] = out.transpose(1, 0, 2)
    return ends


def one(who: str, n: int, steps: int, chunk: int) -> dict:
    import jax
    import numpy as np

    starts = starts_grid(n)
    fn = run_optiviz if who == "optiviz" else run_optax
    fn(starts[:chunk], steps, chunk)  # compile (the same program serves every chunk)
    t0 = time.perf_counter()
    ends = fn(starts, steps, chunk)
    secs = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    np.save(os.environ["BASIN_OUT"], ends[:, :: max(1, len(starts) // 1000)]) if os.environ.get("BASIN_OUT") else None
    return dict(secs=secs, rss_mb=rss_mb, devices=jax.device_count(), starts=len(starts))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--starts", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print one JSON line (for bench/table.py)")
    ap.add_argument("--who", choices=["optiviz", "optax"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    chunk = min(args.chunk, args.starts)
    if args.who:
        print(json.dumps(one(args.who, args.starts, args.steps, chunk)))
        return 0
    best: dict[str, dict] = {}
    for _ in range(args.repeats):
        for who in ("optax", "optiviz"):
            done = subprocess.run([sys.executable, __file__, "--who", who, "--starts", str(args.starts), "--steps",
                                   str(args.steps), "--chunk", str(chunk)], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"bench_basin: {who} failed:\n{done.stderr}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            if who not in best or r["secs"] < best[who]["secs"]:
                best[who] = r
    result = dict(starts=best["optiviz"]["starts"], optimizers=len(OPTIMIZERS), steps=args.steps, chunk=chunk,
                  devices=best["optiviz"]["devices"], optiviz=best["optiviz"]["secs"], optax=best["optax"]["secs"],
                  rss_mb=best["optiviz"]["rss_mb"], optax_rss_mb=best["optax"]["rss_mb"])
    if args.json:
        print(json.dumps(result))
    else:
        print(f"basin map: {result['starts']:,} starts x {len(OPTIMIZERS)} optimizers x {args.steps} steps, end points "
              f"only, chunks of {chunk:,}, {result['devices']} device(s)")
        print(f"   optax    {result['optax']:8.2f} s   peak RSS {result['optax_rss_mb']:7.0f} MB")
        print(f"   optiviz  {result['optiviz']:8.2f} s   peak RSS {result['rss_mb']:7.0f} MB   "
              f"ratio to optax {result['optiviz'] / result['optax']:.2f} (goal <= 1.0, RSS <= 2 GB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
