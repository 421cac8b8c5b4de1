"""The engine against the same work written directly with optax, measured side by side.

    .venv/bin/python bench/bench_engine.py            # the sizes of issue 2 (about a minute)
    .venv/bin/python bench/bench_engine.py --quick    # small sizes, to check that the script runs

Prints ratios (not a pass/fail test): every contender is timed in the same process, interleaved, taking the
best of a few repeats after a warm-up call, each result blocked on (``block_until_ready``) or already numpy.

1. One start, 5 optimizers (gd, momentum, adagrad, rmsprop, adam) x 1,000 steps on Rosenbrock:
   ``ov.run`` (end to end: a repeat call reuses its checked plan, then the compiled program and numpy results)
   and its compiled program alone, against one ``jax.jit`` of one fused ``lax.scan`` stepping the 5 optax
   optimizers; compile times; and a Python loop calling a jitted step 1,000 times.
2. 10,000 starts x 1,000 steps x the same 5 optimizers, every point kept: ``ov.run(starts=...)`` against
   ``jax.jit(jax.vmap(<the fused optax scan>))`` (the NumPy comparison was retired with its goal).

What each side computes: optax records each step's point and loss; ``ov.run`` records the point, loss and
gradient norm, and applies the divergence rule at every step (``diverged_at``, a diverged run frozen at its last
good point; no tol is given, so ``reached_at`` is not tracked), and hands out numpy arrays.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import optiviz as ov  # noqa: E402
from optiviz.engine import program  # noqa: E402

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
    p0 = jnp.asarray(start)
    optax_first = timed(lambda: jax.block_until_ready(walk(p0)))
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
        "optax": lambda: jax.block_until_ready(walk(p0)),
        "ov.run": lambda: ov.run(surface, opts, steps=steps),
        "program": lambda: jax.block_until_ready(program._execute(*program_args)),
    }, repeats1, inner=5)
    t["python loop"] = best_interleaved({"python loop": python_loop}, 3)["python loop"]
    compile_ov = ov_first - t["ov.run"]
    compile_optax = optax_first - t["optax"]
    rows = [
        ("optax, one jit, one fused scan", t["optax"], ""),
        ("optiviz ov.run, end to end", t["ov.run"], f"ratio to optax {t['ov.run'] / t['optax']:.2f}  (goal <= 2.0)"),
        ("optiviz compiled program alone", t["program"], f"ratio to optax {t['program'] / t['optax']:.2f}"),
        ("Python loop over a jitted step", t["python loop"], f"{t['python loop'] / t['ov.run']:.1f}x slower than ov.run"),
    ]
    for label, secs, note in rows:
        print(f"   {label:34s} {secs * 1e3:9.3f} ms   {note}")
    print(f"   compile: optiviz {compile_ov:.3f} s, optax {compile_optax:.3f} s (goal: at most optax's) "
          "(first call minus a steady call, JAX already warm)")
    assert jax.tree_util.tree_leaves(program_args)  # keep the captured arguments alive until here

    # -- 2. many starts --------------------------------------------------------------------------------------
    print(f"\n2. {n_starts:,} starts x {steps} steps x {n_opt} optimizers, every point kept")
    rng = np.random.default_rng(0)
    starts = (start + rng.uniform(-0.25, 0.25, (n_starts, 2))).astype(np.float32)
    vwalk = jax.jit(jax.vmap(fused_optax_scan(steps)))
    starts_dev = jnp.asarray(starts)
    jax.block_until_ready(vwalk(starts_dev))
    runs = ov.run(surface, opts, steps=steps, starts=starts)
    assert runs["adam"].path.shape == (n_starts, steps + 1, 2)
    del runs
    work = n_opt * n_starts * steps
    t2 = best_interleaved({
        "optax": lambda: jax.block_until_ready(vwalk(starts_dev)),
        "ov.run": lambda: ov.run(surface, opts, steps=steps, starts=starts),
    }, repeats2)
    print(f"   {'optax, jit(vmap(fused scan))':34s} {t2['optax']:9.3f} s    {work / t2['optax'] / 1e6:7.1f} M optimizer-steps/s")
    print(f"   {'optiviz ov.run(starts=...)':34s} {t2['ov.run']:9.3f} s    {work / t2['ov.run'] / 1e6:7.1f} M optimizer-steps/s"
          f"   ratio to optax {t2['ov.run'] / t2['optax']:.2f}  (goal <= 1.0)")
    # both compute the same paths, float32 rounding apart (RMSProp's sign-like oscillation in the valley
    # amplifies rounding for a few starts, hence medians over starts of each path's largest gap)
    runs = ov.run(surface, opts, steps=steps, starts=starts[:100])
    ref = jax.tree_util.tree_map(np.asarray, jax.jit(jax.vmap(fused_optax_scan(steps)))(starts_dev[:100]))
    gaps = []
    for i, name in enumerate(OPTIMIZERS):
        to_optax = np.median(np.abs(runs[name].path[:, :-1] - ref[i][0]).max(axis=(1, 2)))
        gaps.append(f"{name} {to_optax:.0e}")
    print("   same paths (median over 100 starts of max |optiviz - optax|): " + ", ".join(gaps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
