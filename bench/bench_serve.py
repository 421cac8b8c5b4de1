"""The playground's round trips, measured the way a browser sees them, side by side with the engine's own time.

    .venv/bin/python bench/bench_serve.py            # 5 optimizers x 500 steps, 300 clicks; a 200 x 200 basin map
    .venv/bin/python bench/bench_serve.py --quick    # fewer clicks and a 50 x 50 basin map, to check that it runs

The server runs as a real ``optiviz serve`` subprocess (uvicorn, its own process as for a browser); this process
is the client, on one kept-alive HTTP connection. After a warm-up request (which compiles the program), each
"click" posts ``/api/run`` with a new start and new learning rates (as a drag or a slider does) and times the
whole round trip: request, validation, the engine, JSON, response, parsing (with orjson, native like a browser's
JSON.parse; Python's json.loads alone takes ~1.3 s on the 9 MB answer of a 200 x 200 basin map). Next to it, ``ov.run`` of the same
race in this process (the engine end to end, numpy out) and the server's share (round trip minus engine).
The goal (issue #17): p95 round trip <= 30 ms for 5 optimizers x 500 steps, a 200 x 200-start basin map for
5 optimizers in under 2 s. Prints numbers; it is not a pass/fail test.
"""
from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import optiviz as ov  # noqa: E402

SURFACE = "rosenbrock"
NAMES = ("gd", "momentum", "adagrad", "rmsprop", "adam")


def race(rng: np.random.Generator, s) -> dict:
    (x0, x1), (y0, y1) = s.domain
    return {"surface": SURFACE, "steps": 500, "seed": 0,
            "start": [float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))],
            "optimizers": [{"name": n, "lr": float(s.lr[n] * rng.uniform(0.5, 1.5))} for n in NAMES]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    clicks, basin_n = (40, 50) if args.quick else (300, 200)

    proc = subprocess.Popen([sys.executable, "-m", "optiviz", "serve", "--port", "0", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith("optiviz: serving on "):
            print(f"the server did not start: {line!r} {proc.stderr.read()[-2000:]}")
            return 1
        host, port = line.split("//", 1)[1].strip().rstrip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=300)

        server: list[float] = []  # the server's own time per request (its Server-Timing header)

        def post(body: dict) -> tuple[float, dict]:
            data = json.dumps(body)
            t = time.perf_counter()
            conn.request("POST", "/api/run", body=data, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            out = orjson.loads(resp.read())  # a native parser, as a browser's JSON.parse (json.loads: ~8x slower)
            dt = time.perf_counter() - t
            timing = dict(part.strip().split(";dur=") for part in resp.getheader("server-timing", "").split(",")
                          if ";dur=" in part)
            server.append(sum(float(v) for v in timing.values()) / 1e3)
            if resp.status != 200:
                raise SystemExit(f"/api/run answered {resp.status}: {out}")
            return dt, out

        s = ov.load_surface(SURFACE)
        rng = np.random.default_rng(0)
        t_first, first = post(race(rng, s))
        post(race(rng, s))
        trips, engine = [], []
        server.clear()
        for _ in range(clicks):
            body = race(rng, s)
            dt, out = post(body)
            trips.append(dt)
            assert out["compiled"] is False
            specs = {o["name"]: {"lr": o["lr"]} for o in body["optimizers"]}
            if not engine:  # warm the in-process program once
                ov.run(s, specs, steps=500, start=body["start"])
            t = time.perf_counter()
            ov.run(s, specs, steps=500, start=body["start"])
            engine.append(time.perf_counter() - t)
        trips_ms, engine_ms, server_ms = np.asarray(trips) * 1e3, np.asarray(engine) * 1e3, np.asarray(server) * 1e3
        p = lambda a, q: float(np.percentile(a, q))  # noqa: E731
        import os

        print(f"click -> paths, {len(NAMES)} optimizers x 500 steps on {SURFACE}, {clicks} clicks "
              f"(first request, compiling: {t_first:.2f} s); load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores (a p95 on a busy machine measures the machine)")
        print(f"  {'':28s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}")
        print(f"  {'round trip (HTTP + JSON)':28s} {p(trips_ms, 50):8.2f} {p(trips_ms, 95):8.2f} {trips_ms.max():8.2f}")
        print(f"  {'server (compute + JSON)':28s} {p(server_ms, 50):8.2f} {p(server_ms, 95):8.2f} {server_ms.max():8.2f}")
        print(f"  {'engine alone (ov.run)':28s} {p(engine_ms, 50):8.2f} {p(engine_ms, 95):8.2f} {engine_ms.max():8.2f}")
        print(f"  round trip / engine at p50: {p(trips_ms, 50) / p(engine_ms, 50):.1f}x; "
              f"goal p95 <= 30 ms: {'met' if p(trips_ms, 95) <= 30 else 'NOT met'}")

        body = {"surface": SURFACE, "steps": 500, "starts": {"grid": basin_n},
                "optimizers": [{"name": n, "lr": s.lr[n]} for n in NAMES]}
        t_cold, _ = post(body)
        server.clear()
        warm = [post(body)[0] for _ in range(3)]
        basin_server = server[int(np.argmin(warm))]
        from optiviz.serve import api

        pts = api.grid_starts(s, basin_n, api.LIMITS)
        specs = {n: {"lr": s.lr[n]} for n in NAMES}
        ov.run(s, specs, steps=500, starts=pts, record="final")
        t = time.perf_counter()
        ov.run(s, specs, steps=500, starts=pts, record="final")
        t_engine = time.perf_counter() - t
        server.clear()
        page = [post({**body, "fields": ["basin"]})[0] for _ in range(3)]  # what the page asks for
        page_server = server[int(np.argmin(page))]
        print(f"basin map, {basin_n} x {basin_n} = {basin_n * basin_n} starts x {len(NAMES)} optimizers x 500 steps: "
              f"round trip {min(warm):.2f} s (best of 3; first, compiling: {t_cold:.2f} s), server {basin_server:.2f} s, "
              f"engine alone {t_engine:.2f} s; goal < 2 s: {'met' if min(warm) < 2 else 'NOT met'}")
        print(f"  the page's request (basins only): round trip {min(page):.2f} s, server {page_server:.2f} s")
        conn.close()
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
