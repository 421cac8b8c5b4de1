"""Every row of the speed table (issue 12) as a ratio to its floor or peer, measured side by side in one run.

    python3 dev.py bench                       # this table (a few minutes), then writes bench/results.json
    .venv/bin/python bench/table.py --quick    # small sizes and one repeat: checks that the script runs
    .venv/bin/python bench/table.py --skip gallery,network,suite

Each row is ``value / floor-or-peer`` with its goal; contenders of one row are timed interleaved, repeat after
repeat, keeping each one's best (the machine may be shared: ratios and best-of are what survive load). Command
lines run as real subprocesses, as a user runs them. The engine rows run in a subprocess of their own with the
persistent compilation cache off, so their compile times are real compiles.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
OPTIVIZ = [PY, "-m", "optiviz"]
FLOOR = [PY, "-c", "import jax, matplotlib.pyplot"]
SECTIONS = ("cli", "engine", "basin", "network", "gallery", "suite")


def _user_env(env: dict[str, str] | None) -> dict[str, str]:
    """The environment a command is timed in: a user's, where Python keeps the bytecode of what it imported (a
    PYTHONDONTWRITEBYTECODE=1 of the machine the bench runs on would charge every "second run" for recompiling
    optiviz's sources, ~0.1 s, while the floor's site-packages come precompiled)."""
    out = {**os.environ, **(env or {})}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def run_once(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=_user_env(env), cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    secs = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{done.stderr}")
    return secs


def best_interleaved(contenders: dict, repeats: int) -> dict[str, float]:
    """Best time of each contender (a callable returning seconds), run in turn ``repeats`` times."""
    best = {k: float("inf") for k in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            best[name] = min(best[name], fn())
    return best


def row(what: str, value: float, unit: str, peer: str, peer_value: float, goal: float, note: str = "") -> dict:
    ratio = value / peer_value if peer_value else float("inf")
    return dict(what=what, value=value, unit=unit, peer=peer, peer_value=peer_value, ratio=ratio, goal=goal,
                ok=bool(ratio <= goal), note=note, load=os.getloadavg()[0])  # the load when it was measured


# ----------------------------------------------------------------------------------------------- sections

COUNT_PROGRAMS = """
import collections, sys, jax
seen = collections.Counter()
jax.monitoring.register_event_duration_secs_listener(lambda name, secs, **kw: seen.update([name]))
from optiviz.cli import main
code = main(sys.argv[1:])
print(seen["/jax/core/compile/jaxpr_to_mlir_module_duration"], file=sys.stderr)
raise SystemExit(code)
"""


def cli_rows(args, tmp: Path) -> list[dict]:
    out = str(tmp / "ravine.gif")
    animate = OPTIVIZ + ["animate", "--surface", "ravine", "--out", out, "-q"]
    warm = {"OPTIVIZ_CACHE_DIR": str(tmp / "warm"), "OPTIVIZ_NO_CACHE": ""}
    run_once(animate, warm)  # fill the warm cache

    def first_run() -> float:
        cold = tmp / "cold"
        shutil.rmtree(cold, ignore_errors=True)
        return run_once(animate, {"OPTIVIZ_CACHE_DIR": str(cold), "OPTIVIZ_NO_CACHE": ""})

    t = best_interleaved({
        "floor": lambda: run_once(FLOOR),
        "second": lambda: run_once(animate, warm),
        "first": first_run,
        "list": lambda: run_once(OPTIVIZ + ["list"]),
        "describe": lambda: run_once(OPTIVIZ + ["describe", "adam"]),
        "list optimizers": lambda: run_once(OPTIVIZ + ["list", "optimizers"]),
    }, args.repeats)
    counted = subprocess.run([PY, "-c", COUNT_PROGRAMS, *animate[3:]], capture_output=True, text=True,
                             env={**os.environ, "OPTIVIZ_NO_CACHE": "1"})
    programs = int(counted.stderr.strip().splitlines()[-1])
    surfaces = subprocess.run([PY, "-c", "import sys, time; t = time.perf_counter(); import optiviz as ov; "
                               "ov.surfaces.builtin_names(); from optiviz.surface import registry; "
                               "registry.get('ravine'); print(time.perf_counter() - t, 'jax' in sys.modules)"],
                              capture_output=True, text=True).stdout.split()
    return [
        row("animate --surface ravine, second run", t["second"], "s", "import jax + matplotlib.pyplot", t["floor"], 2.0),
        row("animate --surface ravine, first run (empty cache)", t["first"], "s", "import jax + matplotlib.pyplot",
            t["floor"], 3.5),
        row("  of which: XLA programs compiled", programs, "programs", "3 (goal 1-3)", 3, 1.0),
        row("  of which: registering the built-in surfaces", float(surfaces[0]), "s", "0.5 s, without JAX", 0.5, 1.0,
            f"imports jax: {surfaces[1]}"),
        row("optiviz list", t["list"], "s", "0.5 s", 0.5, 1.0),
        row("optiviz describe adam", t["describe"], "s", "0.5 s", 0.5, 1.0),
        row("optiviz list optimizers", t["list optimizers"], "s", "0.5 s", 0.5, 1.0),
    ]


def engine_part(args) -> list[dict]:
    """Runs in its own process (cache off): ov.run against the same work written directly with optax."""
    sys.path.insert(0, str(HERE))
    import bench_engine as be
    import jax
    import jax.numpy as jnp
    import numpy as np

    import optiviz as ov

    steps, n_starts = (100, 500) if args.quick else (1000, 10_000)
    surface = ov.load_surface("rosenbrock")
    opts = {k: dict(v) for k, v in be.OPTIMIZERS.items()}
    start = np.asarray(surface.start, np.float32)
    p0, p1 = jnp.asarray(start), jnp.asarray(start[None])
    walk = jax.jit(be.fused_optax_scan(steps))  # the bare scan: points and losses only, no divergence rule
    same = be.same_outputs(steps, be.divergence.box(surface.domain, start.dtype))  # what ov.run hands out

    def to_numpy(out):
        return jax.tree_util.tree_map(np.asarray, out)  # numpy results, as ov.run hands out

    optax_first = be.timed(lambda: to_numpy(walk(p0)))
    same_first = be.timed(lambda: to_numpy(same(p1)))
    ov_first = be.timed(lambda: ov.run(surface, opts, steps=steps))
    program_args = be.capture_program_args(surface, opts, steps=steps)
    t = be.best_interleaved({"optax": lambda: to_numpy(walk(p0)), "same": lambda: to_numpy(same(p1)),
                             "ov": lambda: ov.run(surface, opts, steps=steps),
                             "program": lambda: jax.block_until_ready(be.program._execute(*program_args))},
                            args.repeats * 10, inner=5)
    # compile = a first call minus a steady one; again after jax.clear_caches() (every side traced, lowered and
    # compiled anew), in turn, keeping each side's best: one first call swung 0.55-1.03x between runs
    firsts = {"optax": [optax_first], "same": [same_first], "ov": [ov_first]}
    calls = {"optax": lambda: to_numpy(walk(p0)), "same": lambda: to_numpy(same(p1)),
             "ov": lambda: ov.run(surface, opts, steps=steps)}
    for _ in range(args.repeats):
        for k, fn in calls.items():
            jax.clear_caches()
            firsts[k].append(be.timed(fn))
    compiled = {k: min(v) - t[k] for k, v in firsts.items()}
    rng = np.random.default_rng(0)
    starts = (start + rng.uniform(-0.25, 0.25, (n_starts, 2))).astype(np.float32)
    vwalk = jax.jit(jax.vmap(be.fused_optax_scan(steps)))
    starts_dev = jnp.asarray(starts)
    jax.block_until_ready(vwalk(starts_dev))
    jax.block_until_ready(same(starts_dev))
    ov.run(surface, opts, steps=steps, starts=starts)
    t2 = be.best_interleaved({"optax": lambda: jax.block_until_ready(vwalk(starts_dev)),
                              "same": lambda: jax.block_until_ready(same(starts_dev)),
                              "ov": lambda: ov.run(surface, opts, steps=steps, starts=starts)}, args.repeats)
    n = len(opts)
    bare = "the bare optax scan (points and losses only, no divergence rule)"
    return [
        row(f"engine at scale, {n} opt x {n_starts:,} starts x {steps:,} steps", t2["ov"], "s",
            "optax, the same outputs, one jit", t2["same"], 1.0,
            f"both: grad norms, the divergence rule every step, steps + 1 points; ov.run also to numpy; "
            f"{t2['ov'] / t2['optax']:.2f}x {bare}"),
        row(f"one start, {n} x {steps:,} steps, ov.run end to end", t["ov"] * 1e3, "ms",
            "optax, the same outputs, to numpy", t["same"] * 1e3, 2.0,
            f"program alone {t['program'] * 1e3:.3g} ms = {t['program'] / t['same']:.2f}x; "
            f"ov.run {t['ov'] / t['optax']:.2f}x {bare}"),
        row("  compile of that program", compiled["ov"], "s", "optax's compile, the same outputs",
            compiled["same"], 1.0,
            f"first call minus a steady call; persistent cache off (with it on, a second process compiles nothing); "
            f"best of {args.repeats + 1}; {compiled['ov'] / compiled['optax']:.2f}x the bare scan's compile"),
    ]


FIRST_CALL = """
import sys, time
sys.path.insert(0, sys.argv[1])
import bench_engine as be
import optiviz as ov
surface = ov.load_surface("rosenbrock")
opts = {k: dict(v) for k, v in be.OPTIMIZERS.items()}
t0 = time.perf_counter(); ov.run(surface, opts, steps=int(sys.argv[2])); first = time.perf_counter() - t0
steady = min(be.timed(lambda: ov.run(surface, opts, steps=int(sys.argv[2]))) for _ in range(20))
print(first - steady)
"""


def cached_compile(args, tmp: Path) -> float:
    """``ov.run``'s first call minus a steady one in a fresh process whose persistent cache already holds the
    program (a second process, as a user's second command)."""
    env = {**os.environ, "OPTIVIZ_CACHE_DIR": str(tmp / "engine-cache"), "OPTIVIZ_NO_CACHE": ""}
    cmd = [PY, "-c", FIRST_CALL, str(HERE), "100" if args.quick else "1000"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # fills the cache
    return min(float(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
               for _ in range(args.repeats))


def basin_rows(args) -> list[dict]:
    env = {"XLA_FLAGS": os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2",
           "OPTIVIZ_NO_CACHE": "1"}
    n = "20000" if args.quick else "1000000"
    done = subprocess.run([PY, str(HERE / "bench_basin.py"), "--starts", n, "--json"], capture_output=True,
                          text=True, env={**os.environ, **env})
    if done.returncode != 0:
        raise SystemExit(f"bench: bench_basin.py failed:\n{done.stderr}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    return [
        row(f"basin map, {r['starts']:,} starts x {r['optimizers']} opt x {r['steps']} steps, end points",
            r["optiviz"], "s", "optax, the same outputs and devices", r["optax"], 1.0,
            f"{r['devices']} devices, chunks of {r['chunk']:,}, one process, interleaved, best of {r['repeats']}; "
            f"both: loss, grad norm, the divergence rule every step; {r['optiviz'] / r['optax_bare']:.2f}x the bare "
            "optax end points (no divergence rule)"),
        row("  basin map peak memory (RSS)", r["rss_mb"] / 1024, "GB", "2 GB", 2.0, 1.0,
            "the process running every side: an upper bound for each"),
    ]


def network_rows(args) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        secs = run_once(OPTIVIZ + ["network", "--dataset", "spiral", "--activation", "sigmoid,relu", "--depth", "6",
                                   "--optimizers", "sgd,adam", "--out", str(Path(tmp) / "net.gif"), "-q"],
                        {"OPTIVIZ_CACHE_DIR": str(Path(tmp) / "cache"), "OPTIVIZ_NO_CACHE": ""})
    return [row("optiviz network (spiral, sigmoid+relu, depth 6, sgd+adam), empty cache", secs, "s", "20 s", 20.0,
                1.0)]


def gallery_rows(args) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        secs = run_once(OPTIVIZ + ["gallery", "--out", str(Path(tmp) / "gallery")],
                        {"OPTIVIZ_CACHE_DIR": str(Path(tmp) / "cache"), "OPTIVIZ_NO_CACHE": ""}, cwd=str(ROOT))
    return [row("optiviz gallery (every lesson), empty cache", secs, "s", "60 s", 60.0, 1.0)]


def suite_rows(args) -> list[dict]:
    # the README's test command itself (one worker per core, the work units as dev.py hands them out)
    secs = run_once([PY, str(ROOT / "dev.py"), "test", "-x"], cwd=str(ROOT))
    return [row("test suite (python3 dev.py test)", secs, "s", "180 s", 180.0, 1.0)]


def show(rows: list[dict]) -> None:
    for r in rows:
        value = f"{r['value']:.3g} {r['unit']}"
        peer = f"{r['peer']} ({r['peer_value']:.3g})"
        mark = "ok " if r["ok"] else "NOT"
        print(f"{mark} {r['what']:<62} {value:>14}  {r['ratio']:6.2f}x of {peer}, goal <= {r['goal']:g}x"
              + (f"  [{r['note']}]" if r["note"] else "") + f"  (load {r['load']:.1f})", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip", default="", help=f"comma list of sections to skip: {', '.join(SECTIONS)}")
    ap.add_argument("--part", choices=["engine"], help=argparse.SUPPRESS)  # a section run in its own process
    ap.add_argument("--out", default=str(HERE / "results.json"))
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats = 1
    if args.part == "engine":
        print(json.dumps(engine_part(args)))
        return 0
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for section in SECTIONS:
            if section in skip or (args.quick and section in ("gallery", "suite")):
                continue
            if section == "engine":
                done = subprocess.run([PY, __file__, "--part", "engine", "--repeats", str(args.repeats)]
                                      + (["--quick"] if args.quick else []), capture_output=True, text=True,
                                      env={**os.environ, "OPTIVIZ_NO_CACHE": "1"})
                if done.returncode != 0:
                    raise SystemExit(f"bench: the engine rows failed:\n{done.stderr}")
                new = json.loads(done.stdout.strip().splitlines()[-1])
                compile_row = next(r for r in new if "compile" in r["what"])
                new.append(row("  compile of that program, second process (persistent cache)",
                               cached_compile(args, Path(tmp)), "s", compile_row["peer"], compile_row["peer_value"], 1.0))
            else:
                new = {"cli": cli_rows, "basin": basin_rows, "network": network_rows, "gallery": gallery_rows,
                       "suite": suite_rows}[section](args) if section != "cli" else cli_rows(args, Path(tmp))
            show(new)
            rows += new
    meta = dict(python=sys.version.split()[0], cpus=os.cpu_count(), quick=args.quick, repeats=args.repeats,
                load=os.getloadavg()[0], when=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    Path(args.out).write_text(json.dumps(dict(meta=meta, rows=rows), indent=1) + "\n")
    print(f"wrote {args.out} ({sum(r['ok'] for r in rows)} of {len(rows)} rows within their goal)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
