"""The playground's JSON API as plain functions: parse a request, run the engine, answer with JSON-ready data.

No HTTP here (``app.py`` is the thin ASGI layer): every function takes decoded JSON (dicts, lists, numbers) and
returns dicts of numbers, lists and numpy arrays (the app serializes arrays natively, NaN and inf as null), or raises an ``OptivizError`` whose one-line message is what the CLI would
print for the same mistake. Validation is the library's own: hyperparameters go through ``ov.optimizers.spec``,
steps, starts, seeds and tol through ``ov.run``, formulas through ``optiviz.expr``. This module adds only what a
server needs on top: what a page may name (built-in surfaces, ``expr:`` formulas and the surfaces the server
was started with, never a file, module or plugin), limits on every size a request controls, and step buckets.

Speed. The engine compiles one program per (surface, optimizer set, step count, recording mode) and traces
everything else (learning rates, hyperparameters, starts, seeds), so a slider or a click never recompiles. The
step count is rounded up to a *bucket* (``STEP_BUCKETS``) and the recorded series are cut back to the steps asked
for: the scan is causal, so the first ``steps + 1`` points of a longer run are exactly those of the shorter one,
and a step slider recompiles only when it crosses a bucket.
"""
from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

import optiviz as ov
from optiviz.errors import InvalidValueError, SurfaceError, UnknownNameError
from optiviz.registry import did_you_mean

#: JSON API version: bumped when a route's request or answer changes incompatibly (the package's own version
#: is reported next to it by ``/api/version``)
API_VERSION = 1

#: step counts are rounded up to one of these, so nearby step counts share a compiled program
STEP_BUCKETS = (100, 200, 500, 1000, 2000, 5000)

#: the optimizers a new page races (each at its surface's suggested learning rate)
DEFAULT_OPTIMIZERS = ("gd", "momentum", "adagrad", "rmsprop", "adam")


@dataclass(frozen=True)
class Limits:
    """Every size a request controls. Over a limit is a 400 whose message states it."""

    steps: int = STEP_BUCKETS[-1]
    optimizers: int = 16
    starts: int = 40_000  # a 200 x 200 basin map
    grid: int = 400  # /api/grid's n
    body: int = 2_000_000  # bytes of a request body (40,000 starts as JSON fit)
    formula: int = 500  # characters of an expr: formula
    frames: int = 300  # frames of an export
    export_steps: int = 2000  # steps of an export (rendering, not the engine, is the cost)
    workers: int = 2  # requests computed at once (each in a worker thread)
    queue: int = 16  # requests waiting for a worker; more are refused (503) instead of piling up in memory


LIMITS = Limits()


def over(what: str, value: Any, limit: int) -> InvalidValueError:
    return InvalidValueError(f"{what} is {value}; the server's limit is {limit}")


# ------------------------------------------------------------------------------------------ catalogues

#: slider ranges (min, max, log) per hyperparameter name; validity is still ``spec``'s to decide
_RANGES: dict[str, tuple[float, float, bool]] = {
    "lr": (1e-5, 10.0, True),
    "b1": (0.0, 0.999, False),
    "b2": (0.0, 0.9999, False),
    "momentum": (0.0, 0.999, False),
    "decay": (0.0, 0.999, False),
    "rho": (0.0, 0.999, False),
    "eps": (1e-10, 1.0, True),
    "initial_accumulator_value": (0.0, 1.0, False),
    "weight_decay": (0.0, 0.1, False),
    "noise": (0.0, 5.0, False),
}


def _slider(key: str, default: Any) -> dict[str, Any]:
    if isinstance(default, bool):
        return {"default": default, "type": "bool"}
    if key in _RANGES:
        lo, hi, log = _RANGES[key]
    else:  # a hyperparameter we have no range for: around its default
        d = abs(float(default))
        lo, hi, log = 0.0, max(1.0, 10 * d), False
    return {"default": float(default), "min": lo, "max": hi, "log": log, "type": "number"}


def optimizers_catalog() -> list[dict[str, Any]]:
    """``GET /api/optimizers``: every built-in optimizer with its hyperparameters' defaults and slider ranges
    (the default race first, in its order).

    ``noise`` (the standard deviation of Gaussian noise added to each gradient coordinate, which every optimizer
    takes) is listed for the stochastic ones, whose default is not 0."""
    out = []
    names = _builtin_optimizers()
    for name in [*DEFAULT_OPTIMIZERS, *(n for n in names if n not in DEFAULT_OPTIMIZERS)]:
        info = ov.optimizers.get(name)
        hp = {k: _slider(k, v) for k, v in info.defaults.items() if k != "convention"}
        if info.conventions:  # optax's formulas and defaults (the default) or PyTorch's: a choice, not a slider
            # picking a convention also moves the sliders it changes to its defaults (torch's RMSprop: decay 0.99,
            # eps outside the root); lr stays the race's (the surface's tuned lr), as the rest of the page keeps it
            changed = sorted({k for c in info.conventions.values() for k in c} - {"lr", "convention"})
            sets = {c: {k: v for k, v in info.defaults_for(c).items() if k in changed}
                    for c in ["optax", *info.conventions]}
            hp["convention"] = {"default": "optax", "type": "choice", "choices": ["optax", *info.conventions],
                                "sets": sets}
        if info.stochastic:
            hp["noise"] = _slider("noise", ov.optimizers.spec(name).noise)
        out.append({"name": name, "summary": info.summary, "stochastic": bool(info.stochastic),
                    "default": name in DEFAULT_OPTIMIZERS, "hyperparameters": hp})
    return out


def _builtin_optimizers() -> list[str]:
    """The registered optimizers less the installed plugins' (listed by entry point, never imported): a page
    must not make the server import a plugin."""
    from importlib import metadata

    plugins = {ep.name for ep in metadata.entry_points(group="optiviz.optimizers")}
    return [n for n in ov.optimizers.names() if n not in plugins]


def _point(p: Any) -> list[float]:
    return [float(p[0]), float(p[1])]


def describe_surface(s: Any, spec: str | None = None) -> dict[str, Any]:
    """What the page needs of one surface: name, caption, domain, start, minima (and suggested lrs)."""
    levels = s.levels if isinstance(s.levels, str) else [float(v) for v in s.levels]
    return {"name": spec or s.name, "caption": s.title, "description": s.description,
            "domain": [_point(s.domain[0]), _point(s.domain[1])], "start": _point(s.start),
            "minima": [_point(m) for m in s.minima], "levels": levels,
            "lr": {k: float(v) for k, v in s.lr.items()}, "axis_labels": list(s.axis_labels)}


class Catalog:
    """The surfaces a server offers: the built-ins, any ``--surface`` the server was started with, and formulas.

    A page can name only these: a built-in (with parameters: ``bowl:condition=50``), an ``expr:`` formula, or
    exactly a spec the server was started with. A file path, a module or a plugin's name is refused before
    anything is loaded, so no code runs that the user did not start the server with.
    """

    def __init__(self, extra: list[str] | tuple[str, ...] = (), limits: Limits = LIMITS) -> None:
        self.limits = limits
        self.builtins = list(ov.surfaces.builtin_names())
        # the user's own surfaces are loaded now, by the user's command: a mistake fails the start-up, not a page
        self.extra = {spec: ov.load_surface(spec) for spec in dict.fromkeys(extra) if spec not in self.builtins}
        self._described: list[dict[str, Any]] | None = None

    def surfaces(self) -> list[dict[str, Any]]:
        if self._described is None:
            from optiviz.surface import registry

            # the registry's own entries: describing needs no check (which evaluates and differentiates each
            # surface, seconds for all of them); a request that names one loads and checks it then
            self._described = ([describe_surface(registry.get(n)) for n in self.builtins]
                               + [describe_surface(s, spec) for spec, s in self.extra.items()])
        return self._described

    def load(self, spec: Any) -> Any:
        """The Surface a request names (``SurfaceError``/``InvalidValueError`` for anything not offered)."""
        if not isinstance(spec, str) or not spec.strip():
            raise SurfaceError("surface must be a name such as 'ravine' or a formula such as 'expr:x**2 + 10*y**2'")
        spec = spec.strip()
        if spec in self.extra:
            return self.extra[spec]
        if spec.startswith("expr:"):
            n = len(spec) - len("expr:")
            if n > self.limits.formula:
                raise over("the formula's length", f"{n} characters", f"{self.limits.formula} characters")
            return ov.load_surface(spec)
        head = spec.split(":", 1)[0].strip()
        if head in self.builtins:
            return ov.load_surface(spec)
        offered = self.builtins + list(self.extra)
        raise UnknownNameError(f"unknown surface {spec!r}; {did_you_mean(spec, offered)} (this server offers its "
                               "built-in surfaces, 'expr:' formulas, and the --surface specs it was started with)")


# --------------------------------------------------------------------------------------------- requests

def _field(body: Any, key: str, default: Any = None) -> Any:
    return body.get(key, default)


def _check_body(body: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidValueError(f"the request body must be a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - allowed)
    if unknown:
        hint = did_you_mean(unknown[0], sorted(allowed))
        raise InvalidValueError(f"unknown field {unknown[0]!r}; {hint}")
    return body


def _optimizers(items: Any, surface: Any, limits: Limits) -> list[Any]:
    """``[{"name": "adam", "lr": 0.05, ...}, ...]`` -> OptimizerSpecs (lr defaults to the surface's suggestion)."""
    if items is None:
        items = [{"name": n} for n in DEFAULT_OPTIMIZERS]
    if not isinstance(items, list) or not items:
        raise InvalidValueError('optimizers must be a non-empty list such as [{"name": "adam", "lr": 0.05}]')
    if len(items) > limits.optimizers:
        raise over("the number of optimizers", len(items), limits.optimizers)
    builtins = _builtin_optimizers()
    specs = []
    for item in items:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidValueError(f'each optimizer must be an object with a "name", got {item!r}')
        hp = dict(item)
        name = hp.pop("name")
        label = hp.pop("label", None)
        if name not in builtins:  # never load a plugin on a page's word: say what is offered instead
            raise UnknownNameError(f"unknown optimizer {name!r}; {did_you_mean(name, builtins)}")
        if "lr" not in hp and name in surface.lr:
            hp["lr"] = surface.lr[name]
        spec = ov.optimizers.spec(name, **hp)
        if label is not None:
            if not isinstance(label, str) or not label.strip() or len(label) > 80:
                raise InvalidValueError(f"{name}: label must be a short non-empty string, got {label!r}")
            spec = spec.replace(label=label.strip())
        specs.append(spec)
    return specs


def _bucket(steps: Any, limit: int) -> Any:
    """The bucketed step count; anything that is not a whole number >= 1 passes through for the engine to refuse
    with its own message."""
    if isinstance(steps, bool) or not isinstance(steps, (int, float)) or steps < 1:
        return steps
    if isinstance(steps, float):
        if not steps.is_integer():  # also inf and nan
            return steps
        steps = int(steps)
    if steps > limit:
        raise over("steps", steps, limit)
    return next((b for b in STEP_BUCKETS if b >= steps), steps)


def _arr(a: Any) -> np.ndarray:
    """An array as the app serializes it (orjson: numpy arrays natively, NaN and inf as null)."""
    return np.ascontiguousarray(a)


def _event(v: Any, steps: int) -> int | None:
    return None if v is None or v > steps else int(v)


_REFERENCE: "weakref.WeakKeyDictionary[Any, tuple[float | None, float | None]]" = weakref.WeakKeyDictionary()
_REFERENCE_LOCK = threading.Lock()


def reference(surface: Any) -> tuple[float | None, float | None]:
    """(f at the global minimum, tol): a run *converged* once its loss is <= tol, the global minimum's loss plus
    1e-4 of the drop from the surface's own start to it. (None, None) when the surface names no minimum."""
    with _REFERENCE_LOCK:
        if surface in _REFERENCE:
            return _REFERENCE[surface]
    out: tuple[float | None, float | None] = (None, None)
    if surface.minima:
        pts = np.asarray([surface.minima[0], surface.start], dtype=float)
        f_min, f_start = (float(v) for v in np.asarray(surface.value(pts)))
        if math.isfinite(f_min) and math.isfinite(f_start):
            out = (f_min, f_min + 1e-4 * max(abs(f_start - f_min), 1e-12))
    with _REFERENCE_LOCK:
        _REFERENCE[surface] = out
    return out


def lr_how(surface: Any, spec: Any) -> str | None:
    """How a page's lr was chosen, as the figures' labels state it: the surface's own lr for that optimizer is
    "tuned" (or "suggested", see ``engine.api.lr_choice``) while the slider sits on it (to the 4 significant
    figures the page keeps); a moved slider is the user's choice and says nothing."""
    from optiviz.engine.api import lr_choice

    lr = getattr(spec, "hparams", {}).get("lr")
    want = surface.lr.get(getattr(spec, "name", None))
    if lr is None or want is None or not math.isclose(float(lr), float(want), rel_tol=5e-4):
        return None
    return lr_choice(surface, spec.name)


def _looks(runs: Any, surface: Any) -> list[dict[str, Any]]:
    """Each run's look from the figures' visual language (``optiviz.render.style``: colour, dash pattern in line
    widths, head marker, short legend label, stating a tuned lr as the figures do), so the page and a saved GIF
    agree."""
    from optiviz.render import style

    out = []
    for t, lk in zip(runs.values(), style.assign([t.name for t in runs.values()])):
        dash = [] if isinstance(lk.dashes, str) else [float(v) for v in lk.dashes[1]]
        how = t.how or (lr_how(surface, t.spec) if t.spec is not None else None)
        out.append({"color": lk.color, "dash": dash, "marker": lk.marker,
                    "legend": style.label(t.spec or t.label, how=how)})
    return out


class ProgramLog:
    """Which compiled programs a server has asked the engine for, keyed as the engine keys them (surface,
    optimizer names and flags, noisy or not, step bucket, mode): a key seen before runs without compiling.
    Bounded: past ``size`` keys, JAX's compiled programs are dropped too (``jax.clear_caches``), so a long
    session of typed formulas cannot grow memory without end."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._keys: set[Any] = set()
        self._lock = threading.Lock()
        self.compiled = 0

    def note(self, surface: Any, specs: list[Any], bucket: Any, mode: str) -> bool:
        key = (id(surface), surface.name, bucket, mode,
               tuple((s.name, tuple((k, v) for k, v in s.hparams.items() if isinstance(v, (bool, str))), s.noise > 0)
                     for s in specs))
        with self._lock:
            if key in self._keys:
                return False
            if len(self._keys) >= self.size:
                import jax

                jax.clear_caches()
                self._keys.clear()
            self._keys.add(key)
            self.compiled += 1
            return True


RUN_FIELDS = {"surface", "optimizers", "start", "starts", "steps", "seed", "tol", "internals", "fields"}

#: what a basin map answers per start and optimizer; ``"fields"`` picks a subset (the page asks for the basins
#: alone: 0.5 MB instead of 8.6 MB for 200 x 200 starts x 5 optimizers)
BASIN_FIELDS = ("final", "final_loss", "basin", "diverged_at", "reached_at")


def run(body: Any, catalog: Catalog, log: ProgramLog | None = None) -> dict[str, Any]:
    """``POST /api/run``: the race from one start (paths, losses, events), or with ``starts`` the basin map."""
    body = _check_body(body, RUN_FIELDS)
    limits = catalog.limits
    s = catalog.load(_field(body, "surface", "ravine"))
    specs = _optimizers(_field(body, "optimizers"), s, limits)
    steps = _field(body, "steps", 300)
    bucket = _bucket(steps, limits.steps)
    seed = _field(body, "seed", 0)
    tol = _field(body, "tol")
    f_min, default = reference(s)
    tol = default if tol is None else tol
    internals = _field(body, "internals", False)
    if not isinstance(internals, bool):
        raise InvalidValueError(f"internals must be true or false, got {internals!r}")
    if "starts" in body:
        if "start" in body:
            raise InvalidValueError("give start or starts, not both")
        if internals:
            raise InvalidValueError("internals are shown for one start; a basin map records only end points")
        fields = _field(body, "fields", list(BASIN_FIELDS))
        if not isinstance(fields, list) or not fields or any(f not in BASIN_FIELDS for f in fields):
            raise InvalidValueError(f"fields must be a non-empty list drawn from {', '.join(BASIN_FIELDS)}, "
                                    f"got {fields!r}")
        return _basins(s, specs, body["starts"], steps, seed, tol, limits, log, set(fields))
    if "fields" in body:
        raise InvalidValueError("fields selects what a basin map answers: give it with starts")
    start = _field(body, "start")
    start = list(s.start) if start is None else start
    runs = ov.run(s, specs, steps=bucket, start=start, seed=seed, tol=tol, internals=internals)
    # noted after the engine accepted the request (so the key is made of valid values)
    compiled = log is not None and log.note(s, specs, bucket, "internals" if internals else "all")
    steps = int(steps)  # the engine accepted the bucket, so steps was a whole number
    out = []
    for t, look in zip(runs.values(), _looks(runs, s)):
        entry = {"label": t.label, "name": t.name, "caption": t.caption, **look,
                 "path": _arr(t.path[:steps + 1]), "loss": _arr(t.loss[:steps + 1]),
                 "diverged_at": _event(t.diverged_at, steps), "reached_at": _event(t.reached_at, steps)}
        if internals:
            g, u = t.grads[:steps], t.updates[:steps]
            with np.errstate(divide="ignore", invalid="ignore"):
                eff = np.where(np.abs(g) > 0, np.abs(u) / np.abs(g), np.nan)
            entry.update(grad=_arr(g), step=_arr(u), effective_lr=_arr(eff))
        out.append(entry)
    return {"surface": runs.surface.name, "steps": steps, "start": _point(np.asarray(runs.start, float)),
            "seed": seed, "tol": tol, "f_min": f_min, "compiled": bool(compiled), "runs": out}


def grid_starts(surface: Any, n: Any, limits: Limits) -> np.ndarray:
    """``{"grid": n}``: n x n starts at the centres of an n x n tiling of the domain, row by row from ymin."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidValueError(f"starts.grid must be a whole number >= 1, got {n!r}")
    if n * n > limits.starts:
        raise over("the number of starts", f"{n} x {n} = {n * n}", limits.starts)
    (x0, x1), (y0, y1) = surface.domain
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    X, Y = np.meshgrid(xs, ys)
    return np.stack([X.ravel(), Y.ravel()], axis=1)


def _basins(s, specs, starts, steps, seed, tol, limits: Limits, log, fields: set[str]) -> dict[str, Any]:
    grid = None
    if isinstance(starts, dict):
        if set(starts) != {"grid"}:
            raise InvalidValueError('starts must be a list of [x, y] points or {"grid": n}')
        grid = starts["grid"]
        pts = grid_starts(s, grid, limits)
    else:
        if not isinstance(starts, list) or not starts:
            raise InvalidValueError('starts must be a non-empty list of [x, y] points or {"grid": n}')
        if len(starts) > limits.starts:
            raise over("the number of starts", len(starts), limits.starts)
        pts = starts
    # end points only: the exact step count (a bucket's end point is another step's)
    runs = ov.run(s, specs, steps=steps, starts=pts, seed=seed, tol=tol, record="final")
    compiled = log is not None and log.note(s, specs, steps, "final")
    minima = np.asarray(s.minima, dtype=float).reshape(-1, 2)
    (x0, x1), (y0, y1) = s.domain
    radius = 0.05 * math.hypot(x1 - x0, y1 - y0)
    out = []
    for t, look in zip(runs.values(), _looks(runs, s)):
        final = np.asarray(t.path)[:, -1, :]
        div = np.asarray(t.diverged_at)
        basin = np.full(len(final), -1, np.int64)
        if len(minima):
            d = np.linalg.norm(final[:, None, :] - minima[None, :, :], axis=-1)
            near = np.argmin(d, axis=1)
            basin = np.where(d[np.arange(len(final)), near] <= radius, near, -1)
        basin = np.where(div >= 0, -2, basin)
        per_start = {"final": final, "final_loss": np.asarray(t.final_loss), "basin": basin,
                     "diverged_at": t.diverged_at, "reached_at": t.reached_at}
        out.append({"label": t.label, "name": t.name, "caption": t.caption, **look,
                    **{k: _arr(v) for k, v in per_start.items() if k in fields}})
    return {"surface": s.name, "steps": int(steps), "n_starts": len(runs.start), "grid": grid, "seed": seed,
            "tol": tol, "minima": [_point(m) for m in s.minima], "basin_radius": radius,
            "compiled": bool(compiled), "runs": out}


def grid(params: Any, catalog: Catalog) -> dict[str, Any]:
    """``GET /api/grid?surface=NAME&n=N``: f on an n x n grid over the domain (rows from ymin), for the contours."""
    s = catalog.load(params.get("surface", "ravine"))
    raw = params.get("n", "120")
    try:
        n = int(raw)
    except (TypeError, ValueError):
        raise InvalidValueError(f"n must be a whole number from 2 to {catalog.limits.grid}, got {raw!r}") from None
    if n > catalog.limits.grid:
        raise over("the grid size n", n, catalog.limits.grid)
    if n < 2:
        raise InvalidValueError(f"n must be a whole number from 2 to {catalog.limits.grid}, got {n}")
    X, Y, Z = s.grid(n)
    finite = Z[np.isfinite(Z)]
    return {**describe_surface(s, params.get("surface")), "n": n, "x": _arr(X[0]),
            "y": _arr(Y[:, 0]), "z": _arr(Z),
            "zmin": float(finite.min()) if finite.size else None, "zmax": float(finite.max()) if finite.size else None}


TUNE_FIELDS = {"surface", "optimizers", "start", "steps", "seed"}


def tune(body: Any, catalog: Catalog) -> dict[str, Any]:
    """``POST /api/tune``: each optimizer's tuned learning rate from this start (``ov.tune``: 25 log-spaced
    values from 1e-4 to 10, the best final loss after ``steps``, ties to the fastest)."""
    body = _check_body(body, TUNE_FIELDS)
    s = catalog.load(_field(body, "surface", "ravine"))
    specs = _optimizers(_field(body, "optimizers"), s, catalog.limits)
    steps = _field(body, "steps", 300)
    _bucket(steps, catalog.limits.steps)  # the limit only: tuning compiles its own sweep once per step count
    start = _field(body, "start")
    tuned = ov.tune(s, specs, steps=steps, start=start, seed=_field(body, "seed", 0))
    return {"surface": s.name, "steps": steps, "tuned": [
        {"label": label, "lr": r.lr, "final_loss": r.objective if math.isfinite(r.objective) else None,
         "reached_at": r.reached_at, "note": r.note()} for label, r in tuned.items()]}


EXPORT_FIELDS = RUN_FIELDS - {"starts", "tol"} | {"format", "layout", "frames", "fps"}
EXPORT_TYPES = {"gif": "image/gif", "mp4": "video/mp4"}


def export(body: Any, catalog: Catalog, folder: str) -> tuple[str, str, str]:
    """``POST /api/export``: the same race rendered by the real renderer (``ov.animate`` + ``ov.save``) into
    ``folder``; returns (path, media type, download name)."""
    import os

    body = _check_body(body, EXPORT_FIELDS)
    limits = catalog.limits
    fmt = _field(body, "format", "gif")
    if fmt not in EXPORT_TYPES:
        raise InvalidValueError(f"format must be one of {', '.join(EXPORT_TYPES)}, got {fmt!r}")
    s = catalog.load(_field(body, "surface", "ravine"))
    specs = _optimizers(_field(body, "optimizers"), s, limits)
    steps = _field(body, "steps", 300)
    if isinstance(steps, int) and not isinstance(steps, bool) and steps > limits.export_steps:
        raise over("steps of an export", steps, limits.export_steps)
    frames = _field(body, "frames", 120)
    if isinstance(frames, int) and not isinstance(frames, bool) and frames > limits.frames:
        raise over("frames", frames, limits.frames)
    internals = _field(body, "internals", False)
    if not isinstance(internals, bool):
        raise InvalidValueError(f"internals must be true or false, got {internals!r}")
    start = _field(body, "start")
    runs = ov.run(s, specs, steps=steps, start=start, seed=_field(body, "seed", 0), internals=internals)
    from .. import render

    # rendered in a worker thread of a long-running process: the figure stays outside pyplot (not thread-safe,
    # and its list of figures must not grow), and is freed with the animation
    with render.unmanaged():
        anim = ov.animate(runs, s, layout=_field(body, "layout", "overlay"), frames=frames,
                          fps=_field(body, "fps", 20), internals=internals)
    path = os.path.join(folder, f"race.{fmt}")
    ov.save(anim, path, progress=False, quiet=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in s.name)[:40] or "surface"
    return path, EXPORT_TYPES[fmt], f"optiviz-{safe}.{fmt}"
