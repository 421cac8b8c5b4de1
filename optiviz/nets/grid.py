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
from .._dtype import compute
from .._keys import key_data
from ..errors import InvalidValueError
from .models import MLP
from .train import _member, _Run, recorded_steps

__all__ = ["Group", "GridResult", "run", "stack"]


def stack(trees: Sequence[Any]) -> Any:
    """Stack equal pytrees along a new leading axis (the grid's member axis), on the host (on the device each
    stack would compile a small program of its own)."""
    return jax.tree_util.tree_map(lambda *a: np.stack([np.asarray(x) for x in a]), *trees)


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
    # every input as a host array: converting, broadcasting or seeding on the device would compile a small
    # program for each
    dtype = compute()
    statics, consts, params0, data = [], [], [], []
    for g in groups:
        G = g.size
        per = lambda v, dt=dtype: np.broadcast_to(np.asarray(v, dt), (G,))  # noqa: E731
        seeds = range(G) if g.seeds is None else np.asarray(g.seeds).tolist()
        statics.append((_Run(g.model, g.optimizer, jax.tree_util.tree_structure(
            {k: 0.0 for k in g.hp}), int(g.batch), bool(np.any(np.asarray(g.dropout) > 0))), G))
        consts.append({"hp": {k: per(v) for k, v in g.hp.items()}, "l1": per(g.l1), "l2": per(g.l2),
                       "rate": per(g.dropout), "key": np.stack([key_data(int(s)) for s in seeds]),
                       "patience": np.zeros((G,), np.int32)})
        params0.append(jax.tree_util.tree_map(lambda a: np.asarray(a, dtype), g.params0))
        data.append(tuple(np.asarray(a, dtype) for a in g.data))
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
