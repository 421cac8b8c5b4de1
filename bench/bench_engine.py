"""The engine against the same work written directly with optax, measured side by side.

    .venv/bin/python bench/bench_engine.py            # the sizes of issue 2 (about a minute)
    .venv/bin/python bench/bench_engine.py --quick    # small sizes, to check that the script runs

Prints ratios (not a pass/fail test): every contender is timed in the same process, interleaved, taking the
best of a few repeats after a warm-up call, each result blocked on (``block_until_ready``) or already numpy.

1. One start, 5 optimizers (gd, momentum, adagrad, rmsprop, adam) x 1,000 steps on Rosenbrock:
   ``ov.run`` (end to end: a repeat call reuses its checked plan, then the compiled program and numpy results)
   and its compiled program alone, against optax producing the same outputs (``same_outputs``) and against the
   bare fused optax scan; compile times; and a Python loop calling a jitted step 1,000 times.
2. 10,000 starts x 1,000 steps x the same 5 optimizers, every point kept: ``ov.run(starts=...)`` against
   ``same_outputs`` and the bare ``jax.jit(jax.vmap(<the fused optax scan>))``.

What each side computes: the bare optax scan records each step's point and loss (``steps`` points, no divergence
rule); ``ov.run`` and ``same_outputs`` record the point, loss and gradient norm at steps + 1 points and apply
the divergence rule at every step (``diverged_at``, a diverged run frozen at its last good point; no tol is
given, so ``reached_at`` is not tracked); ``ov.run`` also hands out numpy arrays (its timing includes that, and
the one-start optax timings include converting their results to numpy).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import optiviz as ov  # noqa: E402
from optiviz.engine import divergence, program  # noqa: E402

#: the hyperparameters of both sides (the Rosenbrock surface's suggested learning rates)
OPTIMIZERS = {
    "gd": dict(lr=1e-3),
    "momentum": dict(lr=5e-4, momentum=0.9),
    "adagrad": dict(lr=0.3, initial_accumulator_value=0.1, eps=1e-7),
    "rmsprop": dict(lr=0.01, decay=0.9, eps=1e-8),
    "adam": dict(lr=0.05, b1=0.9, b2=0.999, eps=1e-8),
}


def optax_transforms() -> list[optax.GradientTransformation]:
    h = OPTIMIZERS
    return [
        optax.sgd(h["gd"]["lr"]),
        optax.sgd(h["momentum"]["lr"], momentum=h["momentum"]["momentum"]),
        optax.adagrad(h["adagrad"]["lr"], initial_accumulator_value=0.1, eps=1e-7),
        optax.rmsprop(h["rmsprop"]["lr"], decay=0.9, eps=1e-8),
        optax.adam(h["adam"]["lr"], b1=0.9, b2=0.999, eps=1e-8),
    ]


def rosenbrock(p):
    return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2


def fused_optax_scan(steps: int):
    """What a user would write with optax: one scan stepping every optimizer, recording (params, loss)."""
    txs = optax_transforms()
    value_and_grad = jax.value_and_grad(rosenbrock)

    def walk(p0):
        def body(carry, _):
            new, out = [], []
            for tx, (p, state) in zip(txs, carry):
                loss, g = value_and_grad(p)
                updates, state = tx.update(g, state, p)
                new.append((optax.apply_updates(p, updates), state))
                out.append((p, loss))
            return tuple(new), tuple(out)

        return jax.lax.scan(body, tuple((p0, tx.init(p0)) for tx in txs), None, length=steps)[1]

    return walk


def same_outputs(steps: int, box: tuple):
    """optax producing what ``ov.run`` hands out, written the fastest way we found: at each of the steps + 1
    points every optimizer's point, loss and gradient norm, and the divergence rule (``diverged_at``: the first
    point whose loss or gradient is not finite or that leaves ``box``, the series frozen from there at the last
    good point). ``run(starts (N, 2))`` -> per optimizer ``(path (N, T, 2), loss (N, T), grad_norm (N, T),
    diverged_at (N,))``.

    One scan per optimizer: in one fused scan the rule's bookkeeping pushes XLA:CPU's loop body over its small-loop
    limit (``bench/ENGINE_NOTES.md``), which made it ~20x slower for one start; with many starts both forms cost
    the same. The freeze runs after the loop, once for the batch and only when a run diverged (a ``cond``). The
    test is the rule's own predicate (``divergence.refused``), so both sides test the same thing the same way.
    """
    lo, hi = (jnp.asarray(b) for b in box)
    value_and_grad = jax.value_and_grad(rosenbrock)

    def walk(tx, p0):
        loss0, g0 = value_and_grad(p0)

        def body(carry, t):
            p, loss, g, state, d = carry
            updates, state = tx.update(g, state, p)
            q = optax.apply_updates(p, updates)
            q_loss, q_g = value_and_grad(q)
            d = jnp.where((d < 0) & divergence.refused(q, q_loss, q_g, lo, hi), t + 1, d)
            return (q, q_loss, q_g, state, d), (p, loss, jnp.sqrt(g[0] * g[0] + g[1] * g[1]))

        carry, rec = jax.lax.scan(body, (p0, loss0, g0, tx.init(p0), jnp.asarray(-1, jnp.int32)),
                                  jnp.arange(steps + 1, dtype=jnp.int32))
        return rec, jnp.where(carry[4] > steps, -1, carry[4])  # the last update is computed and discarded

    def freeze(args):
        rec, d = args
        ts = jnp.arange(steps + 1)
        after = (d[:, None] >= 0) & (ts[None] >= d[:, None])
        last = jnp.maximum(d - 1, 0)
        return tuple(jnp.where(after.reshape(after.shape + (1,) * (a.ndim - 2)),
                               jnp.take_along_axis(a, last.reshape((-1,) + (1,) * (a.ndim - 1)), axis=1), a)
                     for a in rec)

    txs = optax_transforms()

    def run(starts):
        out = jax.vmap(lambda p0: [walk(tx, p0) for tx in txs])(starts)
        return [(*jax.lax.cond(jnp.any(d >= 0), freeze, lambda a: a[0], (rec, d)), d) for rec, d in out]

    return jax.jit(run)


def optax_step():
    """One step of every optimizer, for the Python loop."""
    txs = optax_transforms()
    value_and_grad = jax.value_and_grad(rosenbrock)

    @jax.jit
    def step(carry):
        new, out = [], []
        for tx, (p, state) in zip(txs, carry):
            loss, g = value_and_grad(p)
            updates, state = tx.update(g, state, p)
            new.append((optax.apply_updates(p, updates), state))
            out.append((p, loss))
        return tuple(new), tuple(out)

    return step, txs


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def best_interleaved(contenders: dict, repeats: int, inner: int = 1) -> dict[str, float]:
    """Best time per call of each contender, running them in turn ``repeats`` times (so load hits all alike)."""
    best = {k: float("inf") for k in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / inner)
    return best


def capture_program_args(surface, optimizers, **kw):
    """The arguments ``ov.run`` passes to its compiled program (to time the program alone)."""
    seen = {}
    original = program._execute

    def spy(*args):
        seen["args"] = args
        return original(*args)

    program._execute = spy
    try:
        ov.run(surface, optimizers, **kw)
    finally:
        program._execute = original
    return seen["args"]


def import_check() -> str:
    code = "import sys, optiviz; print(sorted(m for m in ('jax', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: check that the script runs")
    args = parser.parse_args(argv)
    steps = 100 if args.quick else 1000
    n_starts = 500 if args.quick else 10_000
    repeats1, repeats2 = (5, 1) if args.quick else (30, 3)
    n_opt = len(OPTIMIZERS)

    print(f"jax {jax.__version__}, optax {optax.__version__}, {jax.device_count()} {jax.default_backend()} device(s)")
    print(f"`import optiviz` loads: {import_check()} (want [])")

    surface = ov.load_surface("rosenbrock")
    start = np.asarray(surface.start, np.float32)
    opts = {k: dict(v) for k, v in OPTIMIZERS.items()}

    # -- 1. one start -----------------------------------------------------------------------------------------
    print(f"\n1. one start, {n_opt} optimizers x {steps} steps on Rosenbrock")
    walk = jax.jit(fused_optax_scan(steps))
    same = same_outputs(steps, divergence.box(surface.domain, start.dtype))
    p0, p1 = jnp.asarray(start), jnp.asarray(start[None])
    to_numpy = partial(jax.tree_util.tree_map, np.asarray)  # results to numpy, as ov.run hands them out
    optax_first = timed(lambda: to_numpy(walk(p0)))
    same_first = timed(lambda: to_numpy(same(p1)))
    ov_first = timed(lambda: ov.run(surface, opts, steps=steps))
    program_args = capture_program_args(surface, opts, steps=steps)
    step, txs = optax_step()

    def python_loop():
        carry = tuple((p0, tx.init(p0)) for tx in txs)
        outs = []
        for _ in range(steps):
            carry, out = step(carry)
            outs.append(out)
        jax.block_until_ready(outs)

    python_loop()  # compile the step
    t = best_interleaved({
        "optax": lambda: to_numpy(walk(p0)),
        "same": lambda: to_numpy(same(p1)),
        "ov.run": lambda: ov.run(surface, opts, steps=steps),
        "program": lambda: jax.block_until_ready(program._execute(*program_args)),
    }, repeats1, inner=5)
    t["python loop"] = best_interleaved({"python loop": python_loop}, 3)["python loop"]
    compile_ov = ov_first - t["ov.run"]
    rows = [
        ("optax, bare fused scan", t["optax"], "points and losses only, no divergence rule"),
        ("optax, the same outputs", t["same"], "+ grad norms, the divergence rule, steps + 1 points"),
        ("optiviz ov.run, end to end", t["ov.run"], f"{t['ov.run'] / t['same']:.2f}x the same outputs (goal <= 2.0), "
                                                   f"{t['ov.run'] / t['optax']:.2f}x the bare scan"),
        ("optiviz compiled program alone", t["program"], f"{t['program'] / t['same']:.2f}x the same outputs"),
        ("Python loop over a jitted step", t["python loop"], f"{t['python loop'] / t['ov.run']:.1f}x slower than ov.run"),
    ]
    for label, secs, note in rows:
        print(f"   {label:34s} {secs * 1e3:9.3f} ms   {note}")
    print(f"   compile: optiviz {compile_ov:.3f} s, optax same outputs {same_first - t['same']:.3f} s, bare scan "
          f"{optax_first - t['optax']:.3f} s (first call minus a steady call, JAX already warm)")
    assert jax.tree_util.tree_leaves(program_args)  # keep the captured arguments alive until here

    # -- 2. many starts --------------------------------------------------------------------------------------
    print(f"\n2. {n_starts:,} starts x {steps} steps x {n_opt} optimizers, every point kept")
    rng = np.random.default_rng(0)
    starts = (start + rng.uniform(-0.25, 0.25, (n_starts, 2))).astype(np.float32)
    vwalk = jax.jit(jax.vmap(fused_optax_scan(steps)))
    starts_dev = jnp.asarray(starts)
    jax.block_until_ready(vwalk(starts_dev))
    jax.block_until_ready(same(starts_dev))
    runs = ov.run(surface, opts, steps=steps, starts=starts)
    assert runs["adam"].path.shape == (n_starts, steps + 1, 2)
    del runs
    work = n_opt * n_starts * steps
    t2 = best_interleaved({
        "optax": lambda: jax.block_until_ready(vwalk(starts_dev)),
        "same": lambda: jax.block_until_ready(same(starts_dev)),
        "ov.run": lambda: ov.run(surface, opts, steps=steps, starts=starts),
    }, repeats2)
    for label, key in (("optax, jit(vmap(bare fused scan))", "optax"), ("optax, the same outputs", "same"),
                       ("optiviz ov.run(starts=...)", "ov.run")):
        print(f"   {label:34s} {t2[key]:9.3f} s    {work / t2[key] / 1e6:7.1f} M optimizer-steps/s")
    print(f"   ov.run: {t2['ov.run'] / t2['same']:.2f}x the same outputs (goal <= 1.0), "
          f"{t2['ov.run'] / t2['optax']:.2f}x the bare scan")
    # both compute the same paths, float32 rounding apart (RMSProp's sign-like oscillation in the valley
    # amplifies rounding for a few starts, hence medians over starts of each path's largest gap)
    runs = ov.run(surface, opts, steps=steps, starts=starts[:100])
    ref = to_numpy(same(starts_dev[:100]))
    gaps = []
    for i, name in enumerate(OPTIMIZERS):
        to_optax = np.median(np.abs(runs[name].path - ref[i][0]).max(axis=(1, 2)))
        assert np.array_equal(np.maximum(runs[name].diverged_at, -1), ref[i][3])
        gaps.append(f"{name} {to_optax:.0e}")
    print("   same paths (median over 100 starts of max |optiviz - optax|): " + ", ".join(gaps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
