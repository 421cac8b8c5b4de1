r"""Training a grid of networks (seeds x learning rates x datasets x penalties) as one compiled program.

    g = ov.nets.grid.Group(model, "gd", params0=stacked_inits, data=stacked_splits, hp={"lr": lrs})
    (res,) = ov.nets.grid.run([g], task="binary", steps=500, every=50)
    res.train_acc      # (G, T): member g's training accuracy at each recorded step

``ov.nets.train`` runs a handful of *named* runs that share one initialization and one dataset, for pictures.
The lessons need the other shape: hundreds of runs that differ in every traced input (initial weights, data,
learning rate, penalties, dropout rate, random keys), stacked along a leading axis and ``vmap``-ped. This module
is that: it stacks the members of each ``Group`` and steps them with the very step function ``train`` uses
(``optiviz.nets.train._member``: the same loss, penalties, dropout, minibatches and divergence rule), so a
lesson measures exactly what ``ov.nets.train`` would do at each setting. Several groups (models of different
depths or activations, which are static) step side by side in one ``lax.scan``: one program per experiment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import compilation_cache
from .. import optimizers as _opt
from ..errors import InvalidValueError
from .models import MLP
from .train import _member, _Run, recorded_steps

__all__ = ["Group", "GridResult", "run", "stack"]


def stack(trees: Sequence[Any]) -> Any:
    """Stack equal pytrees along a new leading axis (the grid's member axis)."""
    return jax.tree_util.tree_map(lambda *a: jnp.stack([jnp.asarray(x) for x in a]), *trees)


@dataclass
class Group:
    """One static structure (model, optimizer name, batch size, dropout on/off) and its G members.

    ``params0``: initial weights stacked over members (leading axis G). ``data``: (x_train, y_train, x_test,
    y_test), each stacked over members. ``hp``: the optimizer's traced hyperparameters, each an array of shape
    (G,) (e.g. ``{"lr": lrs}``). ``l1``, ``l2``, ``dropout``: scalars or (G,) arrays. ``seeds``: (G,) ints for
    minibatches and dropout masks (default: the member index).
    """

    model: MLP
    optimizer: str
    params0: Any
    data: tuple[Any, Any, Any, Any]
    hp: Mapping[str, Any]
    l1: Any = 0.0
    l2: Any = 0.0
    dropout: Any = 0.0
    batch: int = 0
    seeds: Any = None
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = int(jax.tree_util.tree_leaves(self.params0)[0].shape[0])
        _opt.get(self.optimizer)  # unknown names fail here, before any work


@dataclass
class GridResult:
    """One group's record, numpy arrays over (member, recorded step): as ``History`` but with a member axis."""

    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    grad_norms: np.ndarray  # (G, T, layers)
    path: np.ndarray | None  # (G, T, P) flattened weights, when kept
    params: Any  # final weights, stacked over members
    diverged_at: np.ndarray  # (G,), -1 = never


@dataclass(frozen=True)
class _GridProgram:
    groups: tuple[tuple[_Run, int], ...]
    task: str
    steps: int
    every: int
    keep_path: bool


@partial(jax.jit, static_argnames=("prog",))
def _execute(prog: _GridProgram, consts, params0, data):
    members = [_member(run, prog.task, prog.steps, prog.every, False, prog.keep_path) for run, _ in prog.groups]

    def body(carry, t):
        new = tuple(jax.vmap(lambda cr, cc, d, step=step: step(cr, t, cc, d))(cg, c, dg)
                    for (_, step), cg, c, dg in zip(members, carry, consts, data))
        return new, None

    carry = tuple(jax.vmap(init)(p0, c) for (init, _), p0, c in zip(members, params0, consts))
    carry, _ = jax.lax.scan(body, carry, jnp.arange(prog.steps + 1, dtype=jnp.int32))
    return tuple((cg["rec"], cg["params"], cg["div"]) for cg in carry)


def run(groups: Sequence[Group], *, task: str, steps: int, every: int = 1, keep_path: bool = False
        ) -> list[GridResult]:
    """Train every member of every group for ``steps`` steps in one compiled program; one result per group.

    Steps, ``every``, the task and each group's static structure are compiled in; every stacked input is traced,
    so another grid of learning rates or seeds of the same shape reuses the program.
    """
    if not groups:
        raise InvalidValueError("a grid needs at least one group")
    compilation_cache.enable()
    if task not in ("binary", "multiclass", "regression"):
        raise InvalidValueError(f"unknown task {task!r}")
    dtype = jnp.result_type(float)
    statics, consts, params0, data = [], [], [], []
    for g in groups:
        G = g.size
        hp = {k: jnp.broadcast_to(jnp.asarray(v, dtype), (G,)) for k, v in g.hp.items()}
        seeds = jnp.arange(G) if g.seeds is None else jnp.asarray(g.seeds)
        dropout = jnp.broadcast_to(jnp.asarray(g.dropout, dtype), (G,))
        statics.append((_Run(g.model, g.optimizer, jax.tree_util.tree_structure(
            {k: 0.0 for k in g.hp}), int(g.batch), bool(np.any(np.asarray(g.dropout) > 0))), G))
        consts.append({"hp": hp, "l1": jnp.broadcast_to(jnp.asarray(g.l1, dtype), (G,)),
                       "l2": jnp.broadcast_to(jnp.asarray(g.l2, dtype), (G,)), "rate": dropout,
                       "key": jax.vmap(jax.random.PRNGKey)(seeds),
                       "patience": jnp.zeros((G,), jnp.int32)})
        params0.append(jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype), g.params0))
        data.append(tuple(jnp.asarray(a, dtype) for a in g.data))
    prog = _GridProgram(tuple(statics), task, int(steps), int(min(every, steps)), bool(keep_path))
    out = _execute(prog, tuple(consts), tuple(params0), tuple(data))
    rec_steps = recorded_steps(prog.steps, prog.every)
    results = []
    for rec, params, div in out:
        rec = {k: np.asarray(v) for k, v in rec.items()}
        results.append(GridResult(rec_steps, rec["train_loss"], rec["test_loss"], rec["train_acc"], rec["test_acc"],
                                  rec["grad_norms"], rec.get("path"), jax.tree_util.tree_map(np.asarray, params),
                                  np.asarray(div)))
    return results


#: the learning rates ``tune_lr`` tries: 15 values log-spaced from 0.001 to 3 (three and a half decades)
TUNE_LRS = tuple(float(v) for v in np.geomspace(1e-3, 3.0, 15))


def tune_lr(model: Any, data: Any, optimizers: Sequence[Any], steps: int, *, lrs: Sequence[float] | None = None,
            seed: int = 0, batch_size: int | None = None, l1: Any = 0.0, l2: Any = 0.0,
            dropout: Any = 0.0) -> list[float]:
    """Each run's best learning rate for its network and data: the lr (of ``lrs``, default ``TUNE_LRS``) whose
    run ends with the lowest training loss after ``steps`` steps (a diverged run counts as infinite).

    Run i is ``optimizers[i]`` (a name, spec string or ``OptimizerSpec``; its other hyperparameters are kept) on
    ``model`` (or ``model[i]`` when a list), with ``l1``, ``l2``, ``dropout`` likewise shared or one per run, from
    ``model.init(seed)``; every run x lr trains in one compiled program. This is what makes a race between
    optimizers fair: each runs at its own best lr, not at one lr that suits one of them.
    """
    from ..optimizers import OptimizerSpec
    from .datasets import dataset as _dataset
    from .train import SGD_BATCH

    data = _dataset(data) if isinstance(data, str) else data
    grid_lrs = np.asarray(TUNE_LRS if lrs is None else lrs, float)
    if grid_lrs.ndim != 1 or not len(grid_lrs) or not np.all(np.isfinite(grid_lrs) & (grid_lrs > 0)):
        raise InvalidValueError("lrs must be a list of positive numbers")
    n = len(optimizers)
    per = lambda v: list(v) if isinstance(v, (list, tuple)) else [v] * n  # noqa: E731
    models, l1s, l2s, rates = per(model), per(l1), per(l2), per(dropout)
    if any(len(v) != n for v in (models, l1s, l2s, rates)):
        raise InvalidValueError("give one model / l1 / l2 / dropout per optimizer, or one for all")
    G = len(grid_lrs)
    split = tuple(np.broadcast_to(a, (G, *np.shape(a))) for a in (data.x_train, data.y_train, data.x_test,
                                                                     data.y_test))
    inits: dict[MLP, Any] = {}
    groups = []
    for o, m, a, b, p in zip(optimizers, models, l1s, l2s, rates):
        s = _opt.resolve(o)
        if not isinstance(s, OptimizerSpec):
            raise InvalidValueError("tune_lr needs registered optimizers (a name or spec), not an opaque transform")
        if m not in inits:
            inits[m] = stack([m.init(seed)] * G)
        bs = batch_size if batch_size is not None else (min(SGD_BATCH, len(data.x_train)) if s.info.stochastic
                                                        else 0)
        hp = {k: np.broadcast_to(np.asarray(v, float), (G,)) for k, v in s.hparams.items()
              if isinstance(v, (int, float)) and not isinstance(v, bool)}
        hp["lr"] = grid_lrs
        groups.append(Group(m, s.name, inits[m], split, hp, l1=a, l2=b, dropout=p,
                            batch=0 if bs == len(data.x_train) else int(bs), seeds=np.full(G, seed)))
    best = []
    for r in run(groups, task=data.task, steps=steps, every=steps):
        final = np.where((r.diverged_at < 0) & np.isfinite(r.train_loss[:, -1]), r.train_loss[:, -1], np.inf)
        best.append(float(grid_lrs[int(np.argmin(final))]))
    return best
