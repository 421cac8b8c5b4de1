r"""Training small networks: any number of runs side by side, as one compiled program.

    model = ov.nets.mlp(width=16, depth=2, activation="relu")
    data = ov.nets.dataset("spiral", noise=0.1)
    h = ov.nets.train(model, data, "adam:lr=0.01", 2000, l2=1e-4)          # -> History
    hs = ov.nets.train(model, data, ["sgd", "momentum", "adam"], 2000)     # -> Histories, one compiled program

The program is ``lax.scan`` over the steps. Every run (one model, optimizer, regularization and dropout
setting) steps inside the same scan body, side by side ("fused"); runs that share their static structure
(same model, optimizer name, batch mode) can instead be stacked and ``vmap``-ped as one group. ``strategy="auto"``
fuses up to ``FUSE_LIMIT`` runs of one structure and vmaps larger groups (why, measured: bench/ENGINE_NOTES.md).
The divergence rule, run labels, traced hyperparameters and minibatches are the 2D engine's (``engine/``). Steps, the models, the optimizer names and the batch sizes are static; learning rates and
every other hyperparameter, l1, l2, the dropout rate, the early-stopping patience, the seed, the data and the
initial weights are traced, so changing them never recompiles.

The objective of run r is  L(theta) = data loss + l1 * sum|W| + l2 * sum W^2  over the weight matrices W
(biases are not penalized). The data loss is the mean binary cross-entropy on the logit (``binary``), softmax
cross-entropy (``multiclass``) or mean squared error (``regression``). The L1 term's gradient is
l1 * sign(W), with sign(0) = 0 (the minimum-norm subgradient; ``jnp.abs`` would give 1 at 0).
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Sequence

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from .. import _check as _checks
from .. import compilation_cache
from .._dtype import compute, fits, floats
from .._keys import key_data
from .. import optimizers as _opt
from ..errors import InvalidValueError
from ..engine import divergence
from ..engine.batches import batch_at
from ..engine.hparams import flags as static_flags, traced as traced_hparams
from ..engine.labels import distinct, optimizer_label
from ..optimizers import Optimizer, OptimizerSpec
from .datasets import Dataset, dataset as _dataset
from .history import Histories, History
from .losses import data_loss
from .models import MLP, mlp

__all__ = ["History", "Histories", "train", "data_loss", "SGD_BATCH", "FUSE_LIMIT", "TUNE_LRS"]

#: the minibatch a stochastic optimizer (``sgd``) draws when no batch size is given
SGD_BATCH = 32
#: "auto" fuses up to this many runs of one static structure side by side; a larger group is vmapped
FUSE_LIMIT = 8
#: keep the flattened weights at every recorded step when (parameters x recorded steps) is at most this
PATH_BUDGET = 4_000_000
#: the learning rates ``train(tune=True)`` tries: 15 values log-spaced from 0.001 to 3 (three and a half decades)
TUNE_LRS = tuple(float(v) for v in np.geomspace(1e-3, 3.0, 15))


# ------------------------------------------------------------------------------------------ the program

@dataclass(frozen=True)
class _Run:
    """The static part of one run: runs with equal ``_Run`` can be stacked and vmapped."""

    model: MLP
    optimizer: Any  # a registry name, or an opaque (init, update) object
    hp_tree: Any  # the pytree structure of the traced hyperparameters
    batch: int  # 0 = full batch
    dropout: bool
    flags: tuple[tuple[str, bool], ...] = ()  # the boolean hyperparameters (branches of the program, not data)


@dataclass(frozen=True)
class _Program:
    groups: tuple[tuple[_Run, int], ...]  # (static run, number of stacked members)
    task: str
    steps: int
    every: int
    early_stopping: bool
    keep_path: bool


#: number of times a training program was traced (compiled); tests read it to prove a new lr does not recompile
trace_count = 0


def _norms(grads) -> Any:
    return jnp.stack([jnp.sqrt(sum(jnp.sum(jnp.square(a)) for a in layer)) for layer in grads])


def n_records(steps: int, every: int) -> int:
    """How many points a run records: every multiple of ``every`` below ``steps``, and ``steps``."""
    return -(-steps // every) + 1


def recorded_steps(steps: int, every: int) -> np.ndarray:
    return np.concatenate([np.arange(0, steps, every), [steps]])


def _member(run: _Run, task: str, steps: int, every: int, early: bool, keep_path: bool):
    """(init, step) for one member of a group, unbatched.

    The scan visits t = 0 .. steps. At each t it takes the gradient at the current weights; at a recorded t it
    writes the metrics into the record buffers (under ``lax.cond``, so the evaluations cost nothing on the
    other steps); for t < steps it then applies the update. One copy of the network in the compiled program.
    """
    model = run.model
    n_rec = n_records(steps, every)

    def ravel(p):
        return jax.flatten_util.ravel_pytree(p)[0]

    def build(hp):
        if not isinstance(run.optimizer, str):
            return run.optimizer
        return _opt.get(run.optimizer).factory(**hp, **dict(run.flags))

    def evaluate(params, x, y):
        return data_loss(task, model.apply(params, x), y)

    def batch_loss(params, xb, yb, rate, key):
        return data_loss(task, model.apply(params, xb, dropout=rate, key=key if run.dropout else None), yb)

    grad_fn = jax.value_and_grad(batch_loss, has_aux=True)

    def init(params0, c):
        dtype = params0[0].w.dtype
        nan = jnp.asarray(jnp.nan, dtype)
        rec = {"train_loss": jnp.full((n_rec,), nan), "test_loss": jnp.full((n_rec,), nan),
               "train_acc": jnp.full((n_rec,), nan), "test_acc": jnp.full((n_rec,), nan),
               "grad_norms": jnp.full((n_rec, model.n_layers), nan)}
        if keep_path:
            rec["path"] = jnp.zeros((n_rec, model.n_params), dtype)
        carry = {"params": params0, "opt": build(c["hp"]).init(params0), "div": jnp.asarray(-1, jnp.int32),
                 "rec": rec}
        if early:
            carry.update(best=params0, best_loss=jnp.asarray(jnp.inf, dtype), best_step=jnp.asarray(0, jnp.int32),
                         since=jnp.asarray(0, jnp.int32), stopped=jnp.asarray(-1, jnp.int32))
        return carry

    def step(carry, t, c, data):
        params = carry["params"]
        x_tr, y_tr, x_te, y_te = data
        kt = jax.random.fold_in(c["key"], t)
        if run.batch:
            # epochs, as the engine's minibatches: each a fresh shuffle cut into n // B consecutive batches (the
            # remainder dropped), so every point is used once per epoch
            idx = batch_at(jax.random.fold_in(c["key"], 0x5EED), t, x_tr.shape[0], run.batch)
            xb, yb = x_tr[idx], y_tr[idx]
        else:
            xb, yb = x_tr, y_tr
        (loss_b, score_b), g = grad_fn(params, xb, yb, c["rate"], jax.random.fold_in(kt, 1))
        test = evaluate(params, x_te, y_te) if early else None

        # -- record (only at recorded steps: the evaluations sit inside the cond)
        is_rec = (t % every == 0) | (t == steps)
        slot = jnp.where(t == steps, n_rec - 1, t // every)

        def write(rec):
            if run.batch or run.dropout:
                train = evaluate(params, x_tr, y_tr)
            else:  # the step's loss *is* the full train loss of the deterministic network
                train = (loss_b, score_b)
            te = test if early else evaluate(params, x_te, y_te)
            vals = {"train_loss": train[0], "test_loss": te[0], "train_acc": train[1], "test_acc": te[1],
                    "grad_norms": _norms(g)}
            if keep_path:
                vals["path"] = ravel(params)
            return {k: jax.lax.dynamic_update_index_in_dim(rec[k], vals[k].astype(rec[k].dtype), slot, 0)
                    for k in rec}

        rec = write(carry["rec"]) if every == 1 else jax.lax.cond(is_rec, write, lambda r: r, carry["rec"])

        # -- update: data gradient + the penalty's, l1 sign(W) + 2 l2 W on the weights only
        total = tuple(type(layer)(layer.w + c["l1"] * jnp.sign(p.w) + 2.0 * c["l2"] * p.w, layer.b)
                      for layer, p in zip(g, params))
        updates, opt_state = build(c["hp"]).update(total, carry["opt"], params)
        new = jax.tree_util.tree_map(lambda p, u: p + u, params, updates)
        live = t < steps
        # the divergence rule (engine.divergence): the loss at these weights is NaN/inf (step t), or the update
        # made them non-finite (step t + 1); a diverged run is frozen at its last good weights
        div = divergence.note(carry["div"], ~jnp.isfinite(loss_b), t)
        div = divergence.note(div, divergence.non_finite(new) & live, t + 1)
        hold = (div >= 0) | ~live
        out = dict(carry, div=div, rec=rec)
        if early:
            improved = test[0] < carry["best_loss"]
            best = jax.tree_util.tree_map(lambda a, b: jnp.where(improved, a, b), params, carry["best"])
            since = jnp.where(improved, 0, carry["since"] + 1)
            stop_now = (carry["stopped"] < 0) & (since >= c["patience"]) & ~hold
            out.update(best=best, best_loss=jnp.where(improved, test[0], carry["best_loss"]),
                       best_step=jnp.where(improved, t, carry["best_step"]), since=since,
                       stopped=jnp.where(stop_now, t, carry["stopped"]))
            hold = hold | (carry["stopped"] >= 0)
            # on stopping, restore the best weights seen
            new = jax.tree_util.tree_map(lambda b, n: jnp.where(stop_now, b, n), best, new)
        out["params"] = divergence.hold(hold, params, new)
        # a held run keeps its weights; its optimizer state is never used again, so it is not frozen (freezing it
        # would cost a select per state array per step)
        out["opt"] = opt_state
        return out

    return init, step


def _simulate(prog: _Program, consts, params0, data):
    """One scan over t = 0 .. steps; the body steps every group (vmapped over its members) side by side."""
    members = [_member(run, prog.task, prog.steps, prog.every, prog.early_stopping, prog.keep_path)
               for run, _ in prog.groups]

    def lift(fn, m):
        """Run ``fn`` on a stacked group: vmap over the members, or call it directly for a group of one."""
        if m == 1:
            def one(*args):
                out = fn(*jax.tree_util.tree_map(lambda a: a[0], args))
                return jax.tree_util.tree_map(lambda a: a[None], out)

            return one
        return jax.vmap(fn)

    def body(carry, t):
        new = tuple(lift(lambda cr, cc, step=step: step(cr, t, cc, data), m)(cg, c)
                    for (_, step), (_, m), cg, c in zip(members, prog.groups, carry, consts))
        return new, None

    carry = tuple(lift(init, m)(p0, c) for (init, _), (_, m), p0, c in zip(members, prog.groups, params0, consts))
    carry, _ = jax.lax.scan(body, carry, jnp.arange(prog.steps + 1, dtype=jnp.int32))
    results = []
    for cg in carry:
        rec = cg["rec"]
        series = (rec["train_loss"], rec["test_loss"], rec["train_acc"], rec["test_acc"], rec["grad_norms"]) + \
            ((rec["path"],) if prog.keep_path else ())
        minus = jnp.full_like(cg["div"], -1)
        results.append((series, cg["params"], cg["div"], cg.get("stopped", minus), cg.get("best_step", minus)))
    return tuple(results)


@partial(jax.jit, static_argnames=("prog",))
def _execute(prog: _Program, consts, params0, data):
    global trace_count
    trace_count += 1
    return _simulate(prog, consts, params0, data)


# ------------------------------------------------------------------------------------- resolving inputs


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and not _opt.is_optimizer_like(value)


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _check_number(name: str, value: Any, lo: float, hi: float = math.inf, *, hi_open: bool = False) -> float:
    return _checks.number(value, name, lo=lo, hi=None if hi == math.inf else hi, hi_open=hi_open)


def _whole(name: str, value: Any, lo: int, limit: str | None = None) -> int:
    return _checks.whole(value, name, lo=lo, limit_name=limit)


def _check_memory(configs: list["_Config"], n_train: int, records: int, keep_path: bool) -> None:
    """Refuse, before compiling, training whose estimate exceeds the available memory (``_check.memory``).

    Per run: the activations of a full batch kept for the backward pass (units x points, twice), the weights with
    their gradient and up to four optimizer slots, and the recorded series (five numbers per record, plus the
    flattened weights when the path is kept); 4-byte floats (8 with x64).
    """
    size = compute().itemsize
    total = 0.0
    for c in configs:
        units, params = sum(c.model.sizes), c.model.n_params
        total += size * (2.0 * units * n_train + 6.0 * params + records * (5 + (params if keep_path else 0)))
    _checks.memory(total, "this training")


@dataclass
class _Config:
    label: str
    model: MLP
    optimizer: OptimizerSpec | Optimizer
    l1: float
    l2: float
    dropout: float
    batch: int


def _labels(configs: list[_Config], given: list[str | None], batch_given: bool = False) -> list[str]:
    """Distinct labels naming what differs between the runs (the batch size only where the user chose it)."""
    def varies(get) -> bool:
        return len({repr(get(c)) for c in configs}) > 1

    acts_only = varies(lambda c: c.model) and not varies(lambda c: c.model.sizes)
    opt_names = [c.optimizer.name if isinstance(c.optimizer, OptimizerSpec) else None for c in configs]
    labels = []
    for i, (c, g) in enumerate(zip(configs, given)):
        if g:
            labels.append(g)
            continue
        parts = []
        if varies(lambda c: c.model):
            parts.append(",".join(dict.fromkeys(a.caption() for a in c.model.activations)) if acts_only
                         else c.model.describe())
        if varies(lambda c: c.optimizer) or len(configs) == 1:
            if isinstance(c.optimizer, OptimizerSpec):  # the engine's rule (engine.labels)
                parts.append(optimizer_label(c.optimizer, [d.optimizer for d in configs], noise=False))
            else:  # an opaque pair: its own label (("mine", optax.adam(0.1)), "optax:adam:...") or its position
                parts.append(getattr(c.optimizer, "label", None) or f"optimizer{i + 1}")
        for key in ("l1", "l2", "dropout"):
            if varies(lambda c, key=key: getattr(c, key)):
                parts.append(f"{key}={_fmt(getattr(c, key))}")
        if batch_given and varies(lambda c: c.batch):
            parts.append(f"batch={c.batch or 'full'}")
        labels.append("/".join(parts) or (opt_names[i] or f"run{i + 1}"))
    return distinct(labels)


# ------------------------------------------------------------------------------------------- public API

@partial(jax.jit, static_argnums=1)
def _fold_in(base, salts):
    """Each run's PRNG key, ``fold_in(base, salt)``, all in one program."""
    return [jax.random.fold_in(base, s) for s in salts]


def train(model: Any, data: Any, optimizer: Any = "adam", steps: int = 1000, *, l1: Any = 0.0, l2: Any = 0.0,
          dropout: Any = 0.0, batch_size: Any = None, early_stopping: int | None = None, seed: int = 0,
          every: int = 1, keep_path: Any = "auto", labels: Sequence[str] | None = None,
          init_params: Any = None, strategy: str = "auto", tune: Any = False) -> "History | Histories":
    """Train ``model`` on ``data`` with ``optimizer`` for ``steps`` steps; one compiled program.

    ``model``: an ``MLP`` (``ov.nets.mlp(...)``), or None for a 2-16-16-out ReLU net sized to the data.
    ``data``: a ``Dataset`` or a dataset name/spec (``"spiral:noise=0.2"``). ``optimizer``: a registry name or
    spec string, an ``OptimizerSpec``, ``ov.optimizer(...)``, or any optax transformation (anything with
    ``init``/``update``). ``l1``, ``l2``: penalty strengths (see the module docstring). ``dropout``: the
    probability p of dropping a hidden unit at training time (inverted dropout; evaluation is deterministic).
    ``batch_size``: None = full batch (stochastic optimizers such as ``sgd`` then draw minibatches of
    ``SGD_BATCH``); an int = minibatches of that size, by epochs (each epoch a fresh shuffle cut into
    n // batch_size batches, so each point is used once per epoch). ``early_stopping``: a patience in
    steps: stop once the test loss has not improved for that many steps, and restore the best weights (the test
    split plays the validation set here). ``seed``: initial weights, minibatches and dropout masks.
    ``every``: record every k-th step (and the last). ``keep_path``: keep the flattened weights at each recorded
    step (``"auto"``: when parameters x records <= ``PATH_BUDGET``). ``init_params``: start from these weights
    instead of ``model.init(seed)``. ``strategy``: ``"fused"`` (every run side by side in the scan body),
    ``"vmap"`` (runs of one static structure stacked and vmapped) or ``"auto"`` (fused, except groups of more
    than ``FUSE_LIMIT`` runs, which are vmapped); the results agree to float rounding. ``tune``: True (or a list
    of learning rates) for a fair race: each run whose optimizer is registered and was given no lr trains at every
    lr of ``TUNE_LRS`` (or of the list) side by side, as one more vmapped axis of the same compiled program, and
    keeps the one whose final training loss is lowest (a diverged run counts as infinite). Its History is that
    very run: its caption names the lr chosen (so does its label where runs of one optimizer differ in lr) and its
    ``how`` is ``"tuned"``; the lrs share the run's seed (initial weights, minibatches and dropout masks).

    Side by side: ``model``, ``optimizer``, ``l1``, ``l2``, ``dropout`` and ``batch_size`` may each be a list
    (or ``optimizer`` a dict label -> optimizer); lists have one entry per run (a single value is shared by every
    run), all the runs train in one compiled program, and a ``Histories`` (label -> History) is returned.
    Otherwise a single ``History`` is returned.
    """
    compilation_cache.enable()
    data = _dataset(data) if isinstance(data, str) else data
    if not isinstance(data, Dataset):
        raise InvalidValueError(f"data must be a Dataset or a dataset name, got {type(data).__name__}")
    steps = _whole("steps", steps, 1)
    every = _whole("every", every, 1)
    every = min(every, steps)
    seed = _whole("seed", seed, 0)
    if strategy not in ("auto", "fused", "vmap"):
        raise InvalidValueError(f"strategy must be 'auto', 'fused' or 'vmap', got {strategy!r}")
    grid_lrs = _tune_grid(tune)
    given_labels: list[str | None] = []
    if isinstance(optimizer, Mapping):
        given_labels = list(optimizer)
        optimizer = list(optimizer.values())
    fields = {"model": model, "optimizer": optimizer, "l1": l1, "l2": l2, "dropout": dropout,
              "batch_size": batch_size}
    many = {k for k, v in fields.items() if _is_list(v)}
    n = max((len(fields[k]) for k in many), default=1)
    for k in many:
        if len(fields[k]) not in (1, n):
            raise InvalidValueError(f"{k} has {len(fields[k])} entries but other lists have {n}: give one per run "
                                    "or a single value")
        if len(fields[k]) == 0:
            raise InvalidValueError(f"{k} is an empty list")
    per_run = {k: (list(v) * (n if len(v) == 1 else 1)) if k in many else [v] * n for k, v in fields.items()}
    if labels is not None:
        if len(labels) != n:
            raise InvalidValueError(f"{len(labels)} labels for {n} runs")
        given_labels = list(labels)
    if not given_labels:
        given_labels = [None] * n
    n_train = len(data.x_train)
    configs = []
    for i in range(n):
        m = per_run["model"][i]
        if m is None:
            m = mlp(16, 2, "relu", in_dim=data.in_dim, out_dim=data.out_dim)
        if not isinstance(m, MLP):
            raise InvalidValueError(f"model must be an MLP (ov.nets.mlp(...)), got {type(m).__name__}")
        if m.in_dim != data.in_dim or m.out_dim != data.out_dim:
            raise InvalidValueError(f"model {m.describe()} does not fit dataset {data.name} ({data.in_dim} inputs, "
                                    f"{data.out_dim} outputs): build it with mlp(..., in_dim={data.in_dim}, "
                                    f"out_dim={data.out_dim})")
        opt = _opt.resolve(per_run["optimizer"][i])
        l1_i = _check_number("l1", per_run["l1"][i], 0.0)
        l2_i = _check_number("l2", per_run["l2"][i], 0.0)
        p_i = _check_number("dropout", per_run["dropout"][i], 0.0, 1.0, hi_open=True)
        if p_i > 0 and m.depth == 0:
            raise InvalidValueError("dropout needs a hidden layer: this model has none")
        b = per_run["batch_size"][i]
        if b is None:
            stochastic = isinstance(opt, OptimizerSpec) and opt.info.stochastic
            b = min(SGD_BATCH, n_train) if stochastic else 0
        else:
            b = _whole("batch_size", b, 1)
            if b > n_train:
                raise InvalidValueError(f"batch_size {b} is larger than the {n_train} training points")
            b = 0 if b == n_train else b
        configs.append(_Config("", m, opt, l1_i, l2_i, p_i, b))
    if early_stopping is not None:
        early_stopping = _whole("early_stopping", early_stopping, 1)
    for c, lab in zip(configs, _labels(configs, given_labels, "batch_size" in many)):
        c.label = lab
    # the members of the program: one per run, or one per (run, lr) for a run whose lr is tuned
    tuned = [bool(grid_lrs) and isinstance(c.optimizer, OptimizerSpec) and "lr" not in c.optimizer.given
             for c in configs]
    members = [(i, lr) for i, c in enumerate(configs) for lr in (grid_lrs if tuned[i] else (None,))]

    if keep_path == "auto":
        keep_path = max(c.model.n_params for c in configs) * n_records(steps, every) <= PATH_BUDGET
    keep_path = bool(keep_path)
    _check_memory([configs[i] for i, _ in members], len(data.x_train), n_records(steps, every),
                  keep_path)  # before any weight exists
    # group runs with equal static structure (stacked and vmapped); "fused" keeps every run in its own group
    dtype = compute()
    statics, traced = [], []
    for i, lr in members:
        c = configs[i]
        spec = c.optimizer if lr is None else c.optimizer.replace(lr=lr)
        hp = traced_hparams(spec, dtype) if isinstance(spec, OptimizerSpec) else {}
        run = _Run(c.model, spec.name if isinstance(spec, OptimizerSpec) else spec,
                   jax.tree_util.tree_structure(hp), c.batch, c.dropout > 0, flags=static_flags(spec))
        # numbers as host arrays: converting each on the device would compile a small program for each
        consts = {"hp": hp, "l1": np.asarray(fits(c.l1, "l1", dtype), dtype),
                  "l2": np.asarray(fits(c.l2, "l2", dtype), dtype),
                  "rate": np.asarray(c.dropout, dtype),
                  "patience": np.asarray(early_stopping or 0, np.int32)}
        statics.append(run)
        traced.append(consts)
    # the keys and the initial weights once every number is checked (each is a compiled program's work)
    keys = _fold_in(key_data(seed), tuple(zlib.crc32(c.label.encode()) & 0x7FFFFFFF for c in configs))
    for (i, _), consts in zip(members, traced):
        consts["key"] = keys[i]
    # one draw per distinct model, so runs of the same model start from the same point
    inits: dict[MLP, Any] = {}
    for c in configs:
        if c.model not in inits:
            inits[c.model] = c.model.init(seed) if init_params is None else _check_init(c.model, init_params)
    order: list[list[int]] = []
    index: dict[_Run, int] = {}
    for m, run in enumerate(statics):
        if run in index:
            order[index[run]].append(m)
        else:
            index[run] = len(order)
            order.append([m])
    if strategy == "fused" or strategy == "auto":
        order = [[m] for g in order for m in g] if strategy == "fused" else \
            [part for g in order for part in ([[m] for m in g] if len(g) <= FUSE_LIMIT else [g])]
        order.sort(key=lambda g: g[0])
    stack = lambda trees: jax.tree_util.tree_map(lambda *a: np.stack(a), *trees)  # noqa: E731  (on the host)
    groups = tuple((statics[g[0]], len(g)) for g in order)
    consts = tuple(stack([traced[m] for m in g]) for g in order)
    params0 = tuple(stack([inits[configs[members[m][0]].model] for m in g]) for g in order)
    prog = _Program(groups, data.task, steps, every, early_stopping is not None, keep_path)
    arrays = (data.x_train, data.y_train, data.x_test, data.y_test)
    out = _execute(prog, consts, params0, arrays)

    # each member's record: (series, final weights, diverged_at, stopped_at, best step)
    records: dict[int, tuple] = {}
    for g, (series, final_params, div, stopped, best) in zip(order, out):
        series = [np.asarray(s) for s in series]
        final_params = jax.tree_util.tree_map(np.asarray, final_params)
        div, stopped, best = np.asarray(div), np.asarray(stopped), np.asarray(best)
        for j, m in enumerate(g):
            records[m] = ([s[j] for s in series], jax.tree_util.tree_map(lambda a, j=j: a[j], final_params),
                          int(div[j]), int(stopped[j]), int(best[j]))
    # a tuned run keeps its best lr's member: the lowest final training loss, a diverged run counting as infinite
    chosen = {}
    for i in range(n):
        mine = [m for m, (k, _) in enumerate(members) if k == i]
        final = [records[m][0][0][-1] if records[m][2] < 0 and np.isfinite(records[m][0][0][-1]) else np.inf
                 for m in mine]
        chosen[i] = mine[int(np.argmin(final))]
        if tuned[i]:
            configs[i].optimizer = configs[i].optimizer.replace(lr=members[chosen[i]][1])
    if any(tuned):  # the labels name the lrs chosen
        for c, lab in zip(configs, _labels(configs, given_labels, "batch_size" in many)):
            c.label = lab

    recorded = recorded_steps(steps, every)
    histories: dict[int, History] = {}
    for i, c in enumerate(configs):
        series, params, div, stopped, best = records[chosen[i]]
        spec = c.optimizer if isinstance(c.optimizer, OptimizerSpec) else None
        reg = [f"{k}={_fmt(getattr(c, k))}" for k in ("l1", "l2", "dropout") if getattr(c, k)]
        if c.batch:
            reg.append(f"batch={c.batch}")
        # the spec's caption without its gradient-noise level: on networks the noise is the minibatch's
        head = spec.caption(noise=False) if spec else c.label
        caption = " ".join([head, *reg])
        histories[i] = History(
            label=c.label, caption=caption, model=c.model, task=data.task, steps=recorded,
            train_loss=series[0], test_loss=series[1], train_acc=series[2], test_acc=series[3],
            grad_norms=series[4], path=series[5] if keep_path else None, params=params,
            diverged_at=None if div < 0 else div, stopped_at=None if stopped < 0 else stopped,
            best_step=None if early_stopping is None else best, spec=spec,
            config={"l1": c.l1, "l2": c.l2, "dropout": c.dropout, "batch_size": c.batch or None,
                    "early_stopping": early_stopping, "seed": seed, "data": data.caption(),
                    "label_noise": float(data.params.get("label_noise", 0.0)), "n_train": len(data.x_train),
                    "n_test": len(data.x_test)},
            unravel=jax.flatten_util.ravel_pytree(inits[c.model])[1], how="tuned" if tuned[i] else None)
    result = {histories[i].label: histories[i] for i in range(n)}
    if not many and not isinstance(fields["optimizer"], Mapping) and labels is None and n == 1:
        return result[configs[0].label]
    return Histories(result, data, steps, seed)


def _tune_grid(tune: Any) -> tuple[float, ...]:
    """The learning rates ``train(tune=...)`` tries: none (False), ``TUNE_LRS`` (True) or the list given."""
    if tune is False or tune is None:
        return ()
    if tune is True:
        return TUNE_LRS
    try:
        lrs = tuple(float(v) for v in tune)
    except (TypeError, ValueError):
        raise InvalidValueError(f"tune must be True, False or a list of learning rates, got {tune!r}") from None
    if not lrs or not all(math.isfinite(v) and v > 0 for v in lrs):
        raise InvalidValueError("tune's learning rates must be a non-empty list of positive numbers")
    return lrs


def _check_init(model: MLP, params: Any) -> Any:
    from .models import Dense

    try:
        layers = tuple(Dense(floats(w), floats(b))
                       for w, b in params)
    except (TypeError, ValueError):
        raise InvalidValueError("init_params must be a sequence of (w, b) pairs, as model.init() returns") from None
    shapes = [(tuple(layer.w.shape), tuple(layer.b.shape)) for layer in layers]
    want = [((i, o), (o,)) for i, o in model.layer_shapes()]
    if shapes != want:
        raise InvalidValueError(f"init_params have shapes {shapes}, but model {model.describe()} needs {want}")
    return layers
