r"""What a trained (or untrained) network shows: per-layer gradient norms, the diagnosis of a run, weight
statistics, input Jacobians and decision boundaries over training. Pure JAX and numpy.

    ov.nets.layer_grad_norms("sigmoid", depth=8, width=32)   # one norm per weight layer, input layer first
    ov.nets.diagnose(history)                                 # which side is bad: training set or test set
    ov.nets.near_zero_fraction(history.params)                # L1 vs L2: how many weights are ~0
"""
from __future__ import annotations

from collections.abc import Mapping

from functools import lru_cache
from typing import Any

import jax
import jax.flatten_util  # the submodule is not loaded by ``import jax``
import jax.numpy as jnp
import numpy as np

from .. import _check as _checks
from .._dtype import floats
from ..errors import InvalidValueError
from .datasets import Dataset, dataset as _dataset
from .models import MLP, mlp
from .losses import data_loss

__all__ = ["layer_grad_norms", "grad_norms_at", "diagnose", "judge", "weights", "near_zero_fraction", "jacobian",
           "decision_frames", "decision_grid"]


@lru_cache(maxsize=64)
def _grad_norms_fn(model: MLP, task: str):
    """A compiled per-layer gradient-norm function for one model (models hash by value)."""

    @jax.jit
    def fn(params, x, y):
        g = jax.grad(lambda p: data_loss(task, model.apply(p, x), y)[0])(params)
        return jnp.stack([jnp.sqrt(jnp.sum(layer.w ** 2) + jnp.sum(layer.b ** 2)) for layer in g])

    return fn


def grad_norms_at(model: MLP, params: Any, data: Dataset) -> np.ndarray:
    """The norm of each weight layer's gradient (weights and bias together) of the full-batch training loss at
    ``params``, from the input layer to the output layer: shape (model.n_layers,)."""
    fn = _grad_norms_fn(model, data.task)
    return np.asarray(fn(tuple(params), jnp.asarray(data.x_train), jnp.asarray(data.y_train)), dtype=float)


def layer_grad_norms(activation: Any = "sigmoid", depth: int = 8, width: int = 32, seed: int = 0, *,
                     data: Any = None, init: Any = "auto") -> np.ndarray:
    """Per-layer gradient norms of a freshly initialized deep MLP: the vanishing-gradient picture.

    The network has ``depth`` hidden layers of ``width`` units with ``activation`` (initialized with the
    scheme that activation suits unless ``init`` says otherwise, from ``seed``); the loss is the full-batch
    training loss on ``data`` (default: the ``spiral`` set drawn from ``seed``). Returns depth + 1 norms, from
    the input layer to the output layer. With sigmoid, each layer back multiplies the gradient by weights times
    sigmoid' <= 1/4, so the first layers get orders of magnitude less gradient than the last; with ReLU
    (derivative 1 on active units) and He initialization they stay within a small factor.
    """
    data = _dataset("spiral", seed=seed) if data is None else (_dataset(data) if isinstance(data, str) else data)
    model = mlp(width, depth, activation, in_dim=data.in_dim, out_dim=data.out_dim, init=init)
    return grad_norms_at(model, model.init(seed), data)


# ---------------------------------------------------------------------------------------------- diagnosis

#: a score this far below the ceiling means the training set itself is not learned (``good`` = 1 - this)
UNDERFIT_MARGIN = 0.1


def judge(train: float, test: float, *, task: str = "binary", label_noise: float = 0.0, n_train: int | None = None,
          n_test: int | None = None, good: float | None = None, max_gap: float | None = None) -> tuple[str, dict]:
    r"""Which side is bad, from the final train and test scores: ``(kind, numbers)``.

    ``kind`` is ``"underfitting"``, ``"overfitting"`` or ``"good"``. The rule (classification; ``train``/``test``
    are accuracies):

    * the **noise ceiling** c = 1 - eta, where eta (``label_noise``) is the fraction of labels flipped at random
      in train and test alike: even the rule that generated the data scores c in expectation, so c, not 1, is
      what "the training set is learned" means;
    * **underfitting** when train < c - (1 - good) (``good`` 0.9 by default: 0.1 below the ceiling);
    * **overfitting** when train - test exceeds the tolerance max(max_gap, 2 sigma), with max_gap 0.05 and
      sigma = sqrt(c (1 - c) (1/n_train + 1/n_test)) the standard deviation of the difference of two accuracies
      measured on finite samples (labels flipped independently; binomial errors), so a gap that sampling alone
      explains is not called overfitting; or when train > c + max(max_gap, 2 sqrt(c (1 - c) / n_train)) with
      eta > 0: the network fits flipped labels, which no rule that generalizes can;
    * otherwise **good**.

    Regression scores are R^2, with ceiling 1, ``good`` 0.9 and ``max_gap`` 0.1 (the noise level of a
    regression target is not known here). ``numbers`` carries ceiling, threshold and tolerance.
    """
    reg = task == "regression"
    eta = 0.0 if reg else float(label_noise)
    if not 0.0 <= eta <= 0.5:
        raise InvalidValueError(f"label_noise must be in [0, 0.5], got {label_noise!r}")
    c = 1.0 - eta
    good = 0.9 if good is None else float(good)
    max_gap = (0.1 if reg else 0.05) if max_gap is None else float(max_gap)
    sampled = (not reg) and n_train and n_test
    sigma = float(np.sqrt(c * (1 - c) * (1 / n_train + 1 / n_test))) if sampled else 0.0
    gap_tol = max(max_gap, 2 * sigma)
    above = max(max_gap, 2 * float(np.sqrt(c * (1 - c) / n_train))) if sampled else max_gap
    threshold = c - (1.0 - good)
    numbers = {"ceiling": c, "threshold": threshold, "gap_tolerance": gap_tol, "train": float(train),
               "test": float(test)}
    if not train >= threshold:
        return "underfitting", numbers
    if train - test > gap_tol or (eta > 0 and train > c + above):
        return "overfitting", numbers
    return "good", numbers


def diagnose(history: Any, *, good: float | None = None, max_gap: float | None = None,
             label_noise: float | None = None) -> str:
    """One line saying which side is bad, from the final records of ``history`` (the rule: ``judge``).

    The training set is *bad* when the final train score is more than 1 - ``good`` below the noise ceiling
    (1 - the dataset's label noise; 1 for clean labels): the model cannot even fit what it sees, so change the
    model (wider, deeper, another activation) or the optimizer (learning rate, more steps). Otherwise the *test
    set only* is bad when the test score trails the train score by more than sampling explains, or the train
    score beats the ceiling (it fits flipped labels): the model fits noise, so regularize (L1/L2), add dropout,
    or stop early. ``label_noise`` defaults to the one the history's dataset was drawn with. A diverged run is
    reported first. Given several runs (``Histories``), one line per run, prefixed with its label.
    """
    if isinstance(history, Mapping):
        return "\n".join(f"{label}: {diagnose(h, good=good, max_gap=max_gap, label_noise=label_noise)}"
                         for label, h in history.items())
    if history.diverged_at is not None:
        return f"diverged at step {history.diverged_at}: lower the learning rate"
    cfg = history.config or {}
    eta = cfg.get("label_noise", 0.0) if label_noise is None else label_noise
    kind, num = judge(float(history.train_acc[-1]), float(history.test_acc[-1]), task=history.task,
                      label_noise=eta or 0.0, n_train=cfg.get("n_train"), n_test=cfg.get("n_test"), good=good,
                      max_gap=max_gap)
    name = "R^2" if history.task == "regression" else "accuracy"
    scores = f"train {name} {num['train']:.2f}, test {num['test']:.2f}"
    if eta:
        scores += f", noise ceiling {num['ceiling']:.2f}"
    if kind == "underfitting":
        return (f"training set is bad ({scores}): underfitting - change the model (wider, deeper, another "
                "activation) or the optimizer (learning rate, more steps)")
    if kind == "overfitting":
        why = " (fits flipped labels)" if eta and num["train"] > num["ceiling"] and \
            num["train"] - num["test"] <= num["gap_tolerance"] else ""
        return f"test set only is bad ({scores}){why}: overfitting - regularize (L1/L2), drop out, or stop early"
    return f"both good ({scores}): no sign of under- or overfitting"


# ------------------------------------------------------------------------------------------------ weights

def weights(params: Any) -> np.ndarray:
    """Every weight (not bias) of ``params`` (a tuple of ``Dense``, or a ``History``) as one flat array."""
    params = getattr(params, "params", params)  # a History: its final weights
    return np.concatenate([np.asarray(layer[0]).ravel() for layer in params])


def near_zero_fraction(params: Any, tol: float = 1e-2) -> float:
    """The fraction of weights (biases excluded) with ``|w|`` < ``tol``: how sparse a penalty made the network."""
    w = weights(params)
    return float(np.mean(np.abs(w) < tol))


# -------------------------------------------------------------------------------------- inputs and outputs

@lru_cache(maxsize=64)
def _jacobian_fn(model: MLP):
    return jax.jit(jax.jacfwd(lambda params, v: model.apply(params, v[None])[0], argnums=1))


def jacobian(model: MLP, params: Any, x: Any) -> np.ndarray:
    """d output / d input at one input ``x`` (shape (in_dim,)): an (out_dim, in_dim) matrix, by JAX.

    For a ReLU network this is constant inside each activation region (the set of inputs that switch the same
    units on): the network is piecewise linear.
    """
    return np.asarray(_jacobian_fn(model)(tuple(params), floats(x)))


def _domain(data: Any, domain: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    if domain is not None:
        (x0, x1), (y0, y1) = domain
        return (float(x0), float(x1)), (float(y0), float(y1))
    if isinstance(data, Dataset):
        if data.in_dim != 2:
            raise InvalidValueError(f"decision boundaries need 2D inputs; dataset {data.name} has {data.in_dim}")
        return data.domain  # type: ignore[return-value]
    return (-1.2, 1.2), (-1.2, 1.2)


def decision_grid(model: MLP, params: Any, *, data: Any = None, domain: Any = None, n: int = 100):
    """(X, Y, P): the model's output on an n x n grid over ``domain`` (default: the data's). P is the
    probability of class 1 for a binary task (sigmoid of the logit), the raw output otherwise."""
    X, Y, P = decision_frames(model, [params], data=data, domain=domain, n=n)
    return X, Y, P[0]


def decision_frames(model: MLP, params_seq: Any, *, data: Any = None, domain: Any = None, n: int = 100,
                    task: str | None = None):
    """(X, Y, P) with P of shape (F, n, n): the model's output on a grid for each of F sets of weights.

    ``params_seq`` is a sequence of parameter tuples or a (F, P) array of flattened weights (``History.path``
    rows; then ``model`` must match). Evaluated in one vmapped call. For a binary task P is the probability of
    class 1.
    """
    if model.in_dim != 2:
        raise InvalidValueError(f"decision boundaries need a model with 2 inputs, this one has {model.in_dim}")
    n = _checks.whole(n, "n", lo=2, limit_name="grid")
    (x0, x1), (y0, y1) = _domain(data, domain)
    task = task or (data.task if isinstance(data, Dataset) else "binary")
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    pts = floats(np.stack([X.ravel(), Y.ravel()], axis=1))
    template = model.init(0)
    unravel = jax.flatten_util.ravel_pytree(template)[1]
    if isinstance(params_seq, np.ndarray) or (hasattr(params_seq, "ndim") and getattr(params_seq, "ndim") == 2):
        flat = floats(params_seq)
    else:
        flat = jnp.stack([jax.flatten_util.ravel_pytree(tuple(params))[0] for params in params_seq])
    if flat.shape[-1] != model.n_params:
        raise InvalidValueError(f"weights of size {flat.shape[-1]} do not fit model {model.describe()} "
                                f"({model.n_params} parameters)")

    def one(v):
        out = model.apply(unravel(v), pts)
        return jax.nn.sigmoid(out[:, 0]) if task == "binary" else out[:, 0]

    P = np.asarray(jax.jit(jax.vmap(one))(flat)).reshape(len(flat), n, n)
    return X, Y, P

