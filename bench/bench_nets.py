"""Training small networks side by side: one fused program against the alternatives, measured in one run.

    .venv/bin/python bench/bench_nets.py            # the sizes of issue 5 (a minute or two)
    .venv/bin/python bench/bench_nets.py --quick    # small sizes, to check that the script runs

Prints times and ratios (not a pass/fail test). Every contender runs in the same process, after a warm-up call
that compiles it; the contenders of a comparison are timed interleaved, repeat after repeat, and each keeps its
best; results are numpy (blocked) before the clock stops. Two clocks: wall time (what a user waits; XLA runs
independent parts of one program on several cores at once, which is where a fused program wins) and the
process's CPU time (the work done, summed over cores; steadier when other jobs share the machine).

1. 5 optimizers (gd, momentum, adagrad, rmsprop, adam) on a 2-16-16-1 ReLU MLP over 1,000 training points,
   2,000 full-batch steps:
   * ``ov.nets.train`` with the 5 in one compiled program (a fused scan), recording every step or only every
     100th, end to end;
   * the same as 5 separate ``ov.nets.train`` calls (5 compiled programs, one after the other);
   * a Python loop calling a jitted training step 2,000 times per optimizer;
   * reference: one fused ``lax.scan`` written directly with optax (no recording beyond the loss).
   Compile times of the fused and the separate programs.
2. One optimizer at 5 learning rates (the case where the shapes allow ``vmap``): the runs stacked and vmapped
   in one scan, against the same 5 runs fused side by side in one scan.
3. A 51 x 51 loss landscape of that network: the grid in one vmapped call (after compiling), and the PCA plane.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import optiviz as ov  # noqa: E402
from optiviz import nets  # noqa: E402

OPTIMIZERS = ["gd:lr=0.5", "momentum:lr=0.1", "adagrad:lr=0.1", "rmsprop:lr=0.005", "adam:lr=0.01"]
LRS = [0.003, 0.01, 0.02, 0.05, 0.1]


def race(contenders: dict, repeats: int) -> dict:
    """name -> (best wall time, best CPU time) over ``repeats`` interleaved rounds (each contender warmed up)."""
    best = {k: [float("inf"), float("inf")] for k in contenders}
    for _ in range(repeats):
        for k, fn in contenders.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            w, c = time.perf_counter() - w0, time.process_time() - c0
            best[k][0] = min(best[k][0], w)
            best[k][1] = min(best[k][1], c)
    return {k: tuple(v) for k, v in best.items()}


def timed_once(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def python_loop(model, data, specs, steps):
    """A jitted step per optimizer, called ``steps`` times from Python (full batch, loss kept every step)."""
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    loops = []
    for text in specs:
        opt = ov.optimizers.parse(text).build()

        @jax.jit
        def step(params, state, opt=opt):
            loss, g = jax.value_and_grad(lambda p: nets.data_loss("binary", model.apply(p, x), y)[0])(params)
            updates, state = opt.update(g, state, params)
            return jax.tree_util.tree_map(lambda p, u: p + u, params, updates), state, loss

        loops.append((opt, step))

    def run():
        out = []
        for opt, step in loops:
            params = model.init(0)
            state = opt.init(params)
            losses = []
            for _ in range(steps):
                params, state, loss = step(params, state)
                losses.append(loss)
            out.append(np.asarray(jnp.stack(losses)))
        return out

    return run


def optax_fused(model, data, steps):
    """The reference: one jitted lax.scan stepping the 5 optax optimizers, keeping each step's loss."""
    import optax

    txs = [optax.sgd(0.5), optax.sgd(0.1, momentum=0.9), optax.adagrad(0.1, initial_accumulator_value=0.1, eps=1e-7),
           optax.rmsprop(0.005, decay=0.9, eps=1e-8), optax.adam(0.01)]
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    loss_fn = lambda p: nets.data_loss("binary", model.apply(p, x), y)[0]  # noqa: E731

    @jax.jit
    def run(params0):
        def body(carry, _):
            new, losses = [], []
            for tx, (p, s) in zip(txs, carry):
                loss, g = jax.value_and_grad(loss_fn)(p)
                u, s = tx.update(g, s, p)
                new.append((optax.apply_updates(p, u), s))
                losses.append(loss)
            return tuple(new), jnp.stack(losses)

        return jax.lax.scan(body, tuple((params0, tx.init(params0)) for tx in txs), None, length=steps)

    params0 = model.init(0)
    return lambda: jax.block_until_ready(run(params0)), lambda: run.lower(params0).compile()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: check that the script runs")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    steps, n_points, grid = (200, 200, 21) if args.quick else (2000, 1000, 51)
    repeats = 1 if args.quick else args.repeats

    data = nets.dataset("spiral", n=2 * n_points, test_fraction=0.5, noise=0.1, seed=0)
    model = nets.mlp(16, 2, "relu")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; {model.describe()} ({model.n_params} parameters), "
          f"{len(data.x_train)} training points, {steps} full-batch steps, best of {repeats} interleaved rounds, "
          f"{jax.device_count()} device(s), {__import__('os').cpu_count()} cores\n")

    # -- 1. five optimizers -------------------------------------------------------------------------------
    def fused(every):
        return lambda: nets.train(model, data, OPTIMIZERS, steps, every=every)

    def separate(every):
        return lambda: [nets.train(model, data, o, steps, every=every) for o in OPTIMIZERS]

    compile_fused, _ = timed_once(fused(1))  # the first call compiles
    compile_sep, _ = timed_once(separate(1))
    timed_once(fused(100))
    timed_once(separate(100))
    loop = python_loop(model, data, OPTIMIZERS, steps)
    ref_run, ref_compile = optax_fused(model, data, steps)
    t_ref_compile, _ = timed_once(ref_compile)
    ref_run()

    loop()  # warm-up: compiles the 5 jitted steps
    t = race({"fused1": fused(1), "sep1": separate(1), "fused100": fused(100), "sep100": separate(100),
              "loop": loop, "ref": ref_run}, repeats)

    print("1. 5 optimizers x 2-16-16-1 ReLU MLP, full batch                    wall time    CPU time")
    rows = [
        ("ov.nets.train, 5 fused in one program, record every step", "fused1"),
        ("ov.nets.train, 5 separate programs, record every step", "sep1"),
        ("ov.nets.train, 5 fused in one program, record every 100th", "fused100"),
        ("ov.nets.train, 5 separate programs, record every 100th", "sep100"),
        ("Python loop over a jitted step (5 x steps calls)", "loop"),
        ("reference: optax, 5 fused in one jitted scan (loss only)", "ref"),
    ]
    for name, key in rows:
        print(f"   {name:<62} {t[key][0]:7.3f} s   {t[key][1]:7.3f} s")

    def ratio(a: str, b: str) -> str:
        return f"{t[a][0] / t[b][0]:.2f}x wall, {t[a][1] / t[b][1]:.2f}x CPU"

    print(f"   separate / fused:     {ratio('sep1', 'fused1')} (record every step); {ratio('sep100', 'fused100')} "
          "(every 100th)")
    print(f"   Python loop / fused:  {ratio('loop', 'fused1')} (every step); {ratio('loop', 'fused100')} (every 100th)")
    print(f"   fused / optax ref.:   {ratio('fused1', 'ref')} (every step); {ratio('fused100', 'ref')} (every 100th)")
    print(f"   first call (compile + run, wall): fused {compile_fused:.2f} s, 5 separate {compile_sep:.2f} s; "
          f"optax reference compile {t_ref_compile:.2f} s\n")

    # -- 2. vmap vs fused ----------------------------------------------------------------------------------
    specs = [f"adam:lr={lr}" for lr in LRS]

    def strat(s, every):
        return lambda: nets.train(model, data, specs, steps, every=every, strategy=s)

    print("2. adam at 5 learning rates (same shapes): vmapped group vs fused side by side")
    for every in (1, 100):
        c_v, _ = timed_once(strat("vmap", every))
        c_f, _ = timed_once(strat("fused", every))
        t = race({"vmap": strat("vmap", every), "fused": strat("fused", every)}, repeats)
        print(f"   record every {every:>3}: vmap {t['vmap'][0]:.3f} s wall / {t['vmap'][1]:.3f} s CPU, fused "
              f"{t['fused'][0]:.3f} s / {t['fused'][1]:.3f} s: vmap / fused = {t['vmap'][0] / t['fused'][0]:.2f}x "
              f"wall, {t['vmap'][1] / t['fused'][1]:.2f}x CPU (first calls: vmap {c_v:.2f} s, fused {c_f:.2f} s)")
    print()

    # -- 3. landscape --------------------------------------------------------------------------------------
    runs = nets.train(model, data, OPTIMIZERS, steps, every=max(1, steps // 200))
    t_first, land = timed_once(lambda: nets.landscape(runs, plane="pca", n=grid))
    A, B = np.meshgrid(land.x, land.y)
    t = race({"land": lambda: nets.landscape(runs, plane="pca", n=grid),
              "grid": lambda: nets.plane_loss(model, data, land.center, land.directions, A, B)}, repeats)
    t_land, t_grid = t["land"][0], t["grid"][0]
    print(f"3. {grid}x{grid} landscape, {len(data.x_train)} points per evaluation")
    print(f"   grid alone (one vmapped call, compiled): {t_grid:.3f} s wall = {1e6 * t_grid / grid**2:.0f} us per point")
    print(f"   ov.nets.landscape (PCA of {sum(len(h.path) for h in runs.values())} weight vectors + grid): "
          f"{t_land:.3f} s (first call {t_first:.2f} s)")
    print(f"   the PCA plane keeps {land.explained.sum():.1%} of the path variance; "
          + ", ".join(f"{k} {v:.0%} off-plane" for k, v in land.off_plane.items()))


if __name__ == "__main__":
    main()
