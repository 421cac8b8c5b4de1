"""``run`` and ``tune``: strings and values from a user in, checked once, one compiled program called, results out.

``run`` resolves the surface and the optimizers, validates every number before any work, builds the static
``program._Program`` and calls it once; ``tune`` calls the same program over a grid of learning rates.
"""
from __future__ import annotations

import dataclasses
import math
import threading
import warnings
import zlib
from collections.abc import Mapping
from typing import Any, NamedTuple, Sequence

import jax
import numpy as np

from .. import _check as _checks
from .. import compilation_cache
from .. import optimizers as _opt
from .._dtype import compute, fits, floats
from .._keys import key_data
from ..errors import InvalidTypeError, InvalidValueError
from ..optimizers import Optimizer, OptimizerSpec
from ..loading import load_surface
from ..schedules import Scaled, peak
from ..surface import Surface
from . import divergence, program
from .hparams import flags as static_flags, traced as traced_hparams
from .labels import distinct, optimizer_label
from .results import Trajectories, Trajectory, TuneResult, event


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
                elif key.startswith(_opt.OPTAX_PREFIX) and not hp:  # {"optax:adam:learning_rate=0.1": None}
                    items.append((key, _opt.resolve(key)))
                elif key.split(":")[0] in _opt._optimizers:  # {"adam:lr=0.1": None}
                    base = _opt.parse(key)
                    twice = sorted(set(hp) & base.given)
                    if twice:  # {"adam:lr=0.1": {"lr": 0.2}}: which one was meant?
                        raise InvalidValueError(f"optimizer {_checks.clip(key, 40)}: {', '.join(twice)} given twice "
                                                "(in the name and in its dict); give it once")
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
    _checks.memory(2.0 * n_runs * n_records * per_record * compute().itemsize, what)


def _labels(items: list[tuple[str | None, Any]]) -> list[str]:
    """Distinct labels (the rule in ``labels``): the caller's, the spec's own, else the name plus what differs."""
    specs = [s for _, s in items]
    # an opaque pair has its own label (("mine", optax.adam(0.1)), "optax:adam:...") or is named by its position
    labels = [given or (s.label or optimizer_label(s, specs) if isinstance(s, OptimizerSpec)
                        else getattr(s, "label", None) or f"optimizer{i + 1}")
              for i, (given, s) in enumerate(items)]
    return distinct(labels)


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
    return None if tol is None else fits(_checks.number(tol, "tol"), "tol")


def _check_steps(steps: Any) -> int:
    return _checks.whole(steps, "steps", lo=1, limit_name="steps")


def _check_points(name: str, value: Any) -> np.ndarray:
    if hasattr(value, "dtype"):  # an array: its dtype says it (no per-element look at a million starts)
        is_complex = np.asarray(value).dtype.kind == "c"
    else:  # (1j, 0): numpy would raise a bare TypeError or cast with a ComplexWarning
        is_complex = any(isinstance(v, complex) for v in np.ravel(np.asarray(value, dtype=object)))
    if is_complex:
        raise InvalidTypeError(f"{name} must be real numbers, got {_checks.show(value)}")
    try:
        with warnings.catch_warnings():  # a complex start would be cast with a ComplexWarning: refuse it instead
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            arr = np.asarray(value, dtype=float)
    except np.exceptions.ComplexWarning:
        raise InvalidTypeError(f"{name} must be real numbers, got {_checks.show(value)}") from None
    except (TypeError, ValueError):
        raise InvalidTypeError(f"{name} must be numbers, got {_checks.show(value)}") from None
    except OverflowError:  # an int beyond a float's range
        raise InvalidValueError(f"{name} must be finite, got {_checks.show(value)}") from None
    if arr.shape[-1:] != (2,) or arr.ndim not in (1, 2):
        raise InvalidValueError(f"{name} must be (x, y) or an (N, 2) array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidValueError(f"{name} must be finite, got {_checks.show(value)}")
    if arr.ndim == 2 and len(arr) == 0:
        raise InvalidValueError(f"{name} is empty")
    fits(float(arr.flat[np.argmax(np.abs(arr))]), name)  # the largest coordinate
    return arr


def lr_choice(surface: Surface, name: str) -> str:
    """How ``surface``'s suggested lr for optimizer ``name`` was chosen, as a race's label states it: "tuned" (by
    ``tune``, the rule every built-in surface follows; see ``Surface.lr_tuned``) or "suggested" (by the surface's
    author). The labels state it through ``render.style.label(spec, how=...)``."""
    return "tuned" if name in surface.lr_tuned else "suggested"


def _prepare(surface, optimizers, *, noise, batch_size, seed, every, steps, internals):
    s = load_surface(surface)
    items = _as_specs(optimizers)
    specs: list[Any] = []
    notes: list[str | None] = []
    for _, o in items:
        note = None
        if isinstance(o, OptimizerSpec):
            if "lr" not in o.given and o.name in s.lr:
                o = o.replace(lr=s.lr[o.name])
                note = lr_choice(s, o.name)
            if noise is not None:
                o = o.replace(noise=noise)
        specs.append(o)
        notes.append(note)
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
    prog = program._Program(
        surface=s,
        optimizers=tuple(o.name if isinstance(o, OptimizerSpec) else o for o in specs),
        flags=tuple(static_flags(o) for o in specs),
        minibatch=tuple(stochastic), noisy=tuple(n > 0 for n in noises), steps=steps, every=every,
        internals=internals, batch_size=int(batch_size),
    )
    # every number goes in as a host array: no device work before the one call of the compiled program
    dtype = compute()
    hparams = tuple(traced_hparams(o, dtype) if isinstance(o, OptimizerSpec) else {} for o in specs)
    salts = np.asarray([zlib.crc32(lab.encode()) & 0x7FFFFFFF for lab in labels], np.uint32)
    lo, hi = divergence.box(s.domain, dtype)
    data = jax.tree_util.tree_map(floats, s.data) if any(stochastic) else None
    specs = [o.replace(noise=n) if isinstance(o, OptimizerSpec) and o.noise != n else o
             for o, n in zip(specs, noises)]
    noises = [fits(n, "noise", dtype, where=lab) for n, lab in zip(noises, labels)]
    return s, specs, labels, prog, hparams, np.asarray(noises, dtype), salts, data, lo, hi, notes


def run(surface: Any, optimizers: Any = ("gd", "adagrad", "rmsprop", "momentum", "adam"), *, steps: int = 200,
        start: Any = None, starts: Any = None, seed: int = 0, seeds: Any = None, record: Any = "all",
        noise: float | None = None, batch_size: int | None = None, tol: float | None = None,
        internals: bool = False, lrs: Any = None, tune: bool = False,
        how: Mapping[str, str] | None = None) -> Trajectories:
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
    ``tune``: first pick each optimizer's learning rate with ``ov.tune`` (the same surface, steps, start, seed,
    noise and batch size), then run with those: each caption says so and ``Trajectories.tuned`` holds the choices.
    ``how``: label -> how that optimizer's lr was chosen ("0.5 of its stability limit", "inside the band of the
    lesson ..."), kept in ``Trajectory.how`` (as "tuned" is where the surface's suggested, tuned lr was used, or
    ``tune=True`` chose it), so a race's labels state how every lr was chosen.
    """
    if tune:
        compilation_cache.enable()
        return _run_tuned(surface, optimizers, steps=steps, start=start, starts=starts, seed=seed, seeds=seeds,
                          record=record, noise=noise, batch_size=batch_size, tol=tol, internals=internals, lrs=lrs)
    if isinstance(surface, str):  # the loader decides what a spec's Surface is (and caches it)
        surface = load_surface(surface)
    key = _plan_key(surface, optimizers, steps, start, starts, seed, seeds, record, noise, batch_size, tol,
                    internals, lrs, how)
    plan = _PLANS.get(key) if key is not None else None
    if plan is None:  # a plan found was built by an earlier call, after the cache was enabled
        compilation_cache.enable()
        plan = _plan(surface, optimizers, steps=steps, start=start, starts=starts, seed=seed, seeds=seeds,
                     record=record, noise=noise, batch_size=batch_size, tol=tol, internals=internals, lrs=lrs, how=how)
        if key is not None:
            # a kept plan holds its arguments on the device, so a repeat call hands them over as they are (converting
            # ~30 small host arrays cost each call ~50 us, more than a one-start program's dispatch); a plan used
            # once passes host arrays, which is cheaper than putting them on the device first
            plan = plan._replace(args=jax.device_put(plan.args))
            with _PLANS_LOCK:  # the playground runs calls on several threads: evict under a lock
                _PLANS[key] = plan
                while len(_PLANS) > _PLANS_SIZE:
                    _PLANS.pop(next(iter(_PLANS)), None)  # the oldest
    return _call(plan)


class _Plan(NamedTuple):
    """Everything ``run`` derives from its arguments before calling the program: the checked inputs, the static
    program, its host arguments and how to shape its outputs into a ``Trajectories``."""

    surface: Surface
    specs: list[Any]
    labels: list[str]
    notes: list[str | None]
    captions: list[str]
    prog: program._Program
    args: tuple[Any, ...]  # the program's arguments after ``prog``
    grid: np.ndarray | None
    recorded: np.ndarray
    steps: int
    seed: int
    n_seeds: int
    n_starts: int
    batched_seeds: bool
    batched_starts: bool
    start: np.ndarray
    record: Any
    tol: float | None


#: the plans of recent calls by their arguments (``_plan_key``): a repeat call skips every check and build
_PLANS: dict[Any, _Plan] = {}
_PLANS_SIZE = 32
_PLANS_LOCK = threading.Lock()
_PLAIN = (str, int, float, bool, type(None))


def _frozen(x: Any) -> Any:
    """A hashable image of ``x`` when it is plain data (numbers, strings, lists, tuples, dicts of those, small
    arrays, a Surface by identity), else raise TypeError. Types are kept: 1 and 1.0 label a run differently."""
    t = type(x)
    if t in _PLAIN:
        return t, x
    if t is dict or isinstance(x, Mapping):
        # a str key stands for itself (never equal to the (type, value) pair of another key)
        return "d", tuple([(k if type(k) is str else _frozen(k), _frozen(v)) for k, v in x.items()])
    if isinstance(x, Surface):
        return x
    if isinstance(x, (list, tuple, range)):
        return t, tuple([_frozen(v) for v in x])
    if isinstance(x, (np.ndarray, np.generic)) and np.size(x) <= 64 and np.asarray(x).dtype.kind in "biuf":
        return "a", np.asarray(x).dtype.str, np.shape(x), np.asarray(x).tobytes()
    raise TypeError


def _plan_key(*args: Any) -> Any:
    """The cache key of ``run``'s arguments, or None (no caching) when one is not plain data: an optimizer
    object, a schedule, a large array of starts (hashing it would cost what it saves)."""
    try:
        return _frozen(args), compute(), jax.local_device_count()
    except TypeError:
        return None


def _plan(surface: Any, optimizers: Any, *, steps: Any, start: Any, starts: Any, seed: Any, seeds: Any, record: Any,
          noise: Any, batch_size: Any, tol: Any, internals: Any, lrs: Any, how: Any) -> _Plan:
    """``run``'s checks and builds, before any work."""
    steps = _check_steps(steps)
    every = _record_every(record, steps)
    if internals and every != 1:
        raise InvalidValueError("internals=True needs record='all'")
    if noise is not None:
        noise = _opt._check("run", "noise", noise)
    s, specs, labels, prog, hparams, noises, salts, data, lo, hi, notes = _prepare(
        surface, optimizers, noise=noise, batch_size=batch_size, seed=seed, every=every, steps=steps,
        internals=internals)
    if how:
        unknown = [k for k in how if k not in labels]
        if unknown:
            raise InvalidValueError(f"how names no run {unknown[0]!r}; the labels are {', '.join(labels)}")
        notes = [_checks.text(how.get(lab, note), "how", max_length=200) if lab in how else note
                 for lab, note in zip(labels, notes)]
    if start is not None and starts is not None:
        raise InvalidValueError("give start or starts, not both")
    pts = _check_points("starts" if starts is not None else "start",
                        starts if starts is not None else (start if start is not None else s.start))
    if start is not None and pts.ndim == 1:  # the rule the surface's own start follows (Surface.check)
        at = float(np.asarray(s.value(floats(pts))))
        if not math.isfinite(at):
            raise InvalidValueError(f"{_checks.clip(s.name, 40)} is {at} at the start ({pts[0]:g}, {pts[1]:g}); "
                                    "choose a start where it is finite")
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
    _check_size(n_lrs * len(specs) * len(seed_list) * len(pts2), len(program._recorded_steps(steps, every)),
                internals=internals)
    tol = _check_tol(tol)
    if tol is None:  # reached_at stays -1: the loops skip its test
        prog = dataclasses.replace(prog, reach=False)
    keys = np.stack([key_data(int(v)) for v in seed_list])
    dtype = compute()
    starts_arr, n = program._shard(pts2.astype(dtype))
    tols = np.full(len(specs), -np.inf if tol is None else tol, dtype)
    args: tuple[Any, ...]
    if grid is None:
        args = (hparams, noises, salts, starts_arr, keys, data, lo, hi, tols)
    else:
        args = (hparams, _grid_factors(grid, specs, steps).astype(dtype), noises, salts, starts_arr, keys, data, lo,
                hi, tols)
    recorded = program._recorded_steps(steps, every)
    recorded.setflags(write=False)  # shared by every run of the plan
    captions = [o.caption() if isinstance(o, OptimizerSpec) else label for o, label in zip(specs, labels)]
    return _Plan(s, specs, labels, notes, captions, prog, args, grid, recorded, steps, seed, len(seed_list), n,
                 batched_seeds, batched_starts, pts, record, tol)


def _call(plan: _Plan) -> Trajectories:
    """Call the plan's program once and hand its outputs out as a ``Trajectories`` of numpy arrays."""
    prog, grid = plan.prog, plan.grid
    if grid is None:
        out = program._execute(prog, *plan.args)
        if program._packed(prog, plan.n_starts * plan.n_seeds):
            out = program._unpack(prog, out)  # numpy views already
        out = [_arrange(plan, res) for res in out]
    else:  # the same per grid row, stacked along a leading axis
        out = [[np.asarray(a) for a in res] for res in program._execute_grid(prog, *plan.args)]
        out = [[np.stack(col) for col in zip(*[_arrange(plan, [a[g] for a in res]) for g in range(len(grid))])]
               for res in out]
    runs: dict[str, Trajectory] = {}
    for i, (label, o, arrays, note, caption) in enumerate(zip(plan.labels, plan.specs, out, plan.notes,
                                                               plan.captions)):
        path, loss, gn, div, hit = arrays[:5]
        extra = [a[..., :plan.steps, :] for a in arrays[5:]]
        runs[label] = Trajectory(
            label=label, caption=caption, path=path, loss=loss, grad_norm=gn,
            steps=plan.recorded, diverged_at=event(div) if grid is None else div.astype(np.int64),
            reached_at=event(hit) if grid is None else hit.astype(np.int64),
            spec=o if isinstance(o, OptimizerSpec) else None,
            grads=extra[0] if extra else None, updates=extra[1] if extra else None,
            lrs=None if grid is None else grid[:, i], how=note if grid is None else None, tol=plan.tol)
    return Trajectories(runs, plan.surface, n_steps=plan.steps, seed=plan.seed, start=plan.start.copy(),
                        record=plan.record, tol=plan.tol)


def _arrange(plan: _Plan, res: Any) -> list[np.ndarray]:
    """One optimizer's program outputs as numpy arrays shaped as ``Trajectory`` holds them."""
    if plan.n_starts == 1 and plan.n_seeds == 1:  # (T, ...) series and scalar events, already numpy
        axes = (None,) * (int(plan.batched_seeds) + int(plan.batched_starts))  # the batch axes asked for
        return [a[axes] for a in res] if axes else list(res)
    # series come time-major (T, S * N, ...): view them as (S, N, T, ...) without copying
    k, n = plan.n_seeds, plan.n_starts
    arrays = [np.asarray(a) for a in res]
    arrays = [a.reshape(k, -1) if a.ndim == 1 else
              a.reshape(a.shape[0], k, -1, *a.shape[2:]).transpose(1, 2, 0, *range(3, a.ndim + 1))
              for a in arrays]
    arrays = [a[:, :n] for a in arrays]
    if not plan.batched_starts:
        arrays = [a[:, 0] for a in arrays]
    if not plan.batched_seeds:
        arrays = [a[0] for a in arrays]
    return arrays


def _grid_factors(grid: np.ndarray, specs: list[Any], steps: int) -> np.ndarray:
    """A (G, n) grid of learning rates as the program takes it: an optimizer whose lr is a schedule gets its column
    divided by the schedule's peak over the run, so each grid value is the peak step size and the shape stays."""
    out = np.array(grid, dtype=float)
    for i, o in enumerate(specs):
        lr = o.hparams.get("lr") if isinstance(o, OptimizerSpec) else None
        if callable(lr):
            out[:, i] /= peak(lr, steps)
    return out


def _tuned_lr(spec: OptimizerSpec, lr: float, steps: int) -> Any:
    """The learning rate a tuned ``lr`` stands for: the number, or the spec's schedule scaled to peak at it."""
    base = spec.hparams.get("lr")
    return Scaled(base, lr / peak(base, steps)) if callable(base) else lr


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
    fits(float(grid.max()), "lrs")
    return grid


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
    s, specs, labels, prog, hparams, noises, salts, data, lo, hi, _ = _prepare(
        surface, optimizers, noise=noise, batch_size=batch_size, seed=seed, every=0, steps=steps, internals=False)
    if any(not isinstance(o, OptimizerSpec) for o in specs):
        raise InvalidValueError("tune needs registered optimizers (names or specs), not opaque (init, update) pairs")
    pt = _check_points("start", start if start is not None else s.start)
    if pt.ndim != 1:
        raise InvalidValueError("tune takes one start")
    _checks.limit("starts", grid.size, what="learning rates")
    _check_size(len(specs) * grid.size, 2, internals=False, what="this sweep")
    tol = _check_tol(tol)
    dtype = compute()

    lr_grid = _grid_factors(np.repeat(grid[:, None], len(specs), axis=1), specs, steps).astype(dtype)

    def sweep(targets):
        return program._execute_grid(prog, hparams, lr_grid, noises, salts, pt.astype(dtype)[None],
                             key_data(int(seed))[None], data, lo, hi, np.asarray(targets, dtype))

    out = sweep(np.full(len(specs), -np.inf))
    start_loss = float(s.value(floats(pt)))
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
                                    grid, final, reached, o.replace(lr=_tuned_lr(o, lr, steps), label=label), steps)
    return results


def _run_tuned(surface: Any, optimizers: Any, *, steps: Any, start: Any, noise: Any, batch_size: Any, seed: Any,
               lrs: Any, **rest: Any) -> Trajectories:
    """``run(..., tune=True)``: ``tune``, then ``run`` with the chosen learning rates, captions saying so."""
    if lrs is not None:
        raise InvalidValueError("tune=True picks one learning rate per optimizer: drop lrs (or tune=True)")
    tuned = tune(surface, optimizers, steps=steps, start=start, seed=seed, noise=noise, batch_size=batch_size)
    runs = run(surface, [r.spec for r in tuned.values()], steps=steps, start=start, seed=seed, noise=noise,
               batch_size=batch_size, **rest)
    for label, r in tuned.items():  # the captions say the lr was tuned, on what objective and budget
        runs[label].caption = f"{runs[label].caption} {r.note()}"
        runs[label].how = "tuned"
    runs.tuned = tuned
    return runs
