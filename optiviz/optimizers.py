r"""The optimizer registry: small pure step functions over pytrees, built by factories.

An optimizer is a pair of pure functions with optax's call shapes (``transforms.Optimizer``)::

    opt = ov.optimizer("adam", lr=0.05)
    state = opt.init(params)
    updates, state = opt.update(grads, state, params)   # new params = params + updates

Each registered factory (an alias, as optax calls them) binds its hyperparameters when it is called and returns a
chain of the small transforms of ``transforms.py`` (``adam = chain(scale_by_adam, scale_by_lr)``), as in optax.
Beside the aliases live their hyperparameters' rules (``spec``) and the parsing of ``"adam:lr=0.1,b1=0.8"``.
The factories only use ``jax.numpy`` on their hyperparameters, so the engine can call them with traced values:
a new learning rate never recompiles.

Conventions (pinned to optax, and tested against it to 1e-5):

* ``eps`` sits *outside* the square root for Adam and its kin, *inside* for Adagrad and RMSProp (optax defaults);
* Adagrad's accumulator starts at ``initial_accumulator_value`` = 0.1;
* momentum is the "heavy ball" trace ``v = g + momentum * v`` with the step ``-lr * v`` (optax / PyTorch form,
  not the ``lr``-inside form of Sutskever et al.); Nesterov applies ``-lr * (g + momentum * v)``.
"""
from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from . import _check as _checks
from ._lazy import lazy_module
from .errors import InvalidValueError, OptivizError
from .registry import Registry, did_you_mean
from .schedules import Schedule
from .transforms import (  # re-exported: the public ``ov.optimizers.chain`` & co. keep working
    Optimizer, add_decayed_weights, chain, scale, scale_by_adadelta, scale_by_adam, scale_by_adamax,
    scale_by_amsgrad, scale_by_lion, scale_by_lr, scale_by_rms, scale_by_rss, trace,
)

# JAX loads when an optimizer is first built or stepped, not when the registry is read (list, describe)
jax = lazy_module("jax")

__all__ = [
    "Optimizer", "OptimizerInfo", "OptimizerSpec", "optimizer", "names", "get", "spec", "chain",
    "scale", "scale_by_lr", "trace", "scale_by_rss", "scale_by_rms", "scale_by_adam", "scale_by_amsgrad",
    "scale_by_adamax", "scale_by_adadelta", "scale_by_lion", "add_decayed_weights",
]




class _Named(Optimizer):
    """An ``Optimizer`` built from the registry, which remembers how (``.spec``) so that the engine can pass
    its hyperparameters as traced arguments instead of closing over them.

    The spec is given when the pair is built (``_Named(init, update, spec)``), never set on it afterwards.
    """

    def __new__(cls, init: Callable[[Any], Any], update: Callable[..., Any], spec: "OptimizerSpec") -> "_Named":
        self = super().__new__(cls, init, update)
        vars(self)["spec"] = spec  # a tuple subclass keeps extra fields in its instance dict
        return self

    def __setattr__(self, name: str, value: Any) -> None:  # read-only, like the pair itself
        raise AttributeError(f"optimizer fields are read-only: cannot set {name!r}")

    @property
    def spec(self) -> "OptimizerSpec":
        """How this optimizer was built: the name and validated hyperparameters."""
        return vars(self)["spec"]

    def _replace(self, **fields: Any) -> Optimizer:  # a changed pair is no longer what the spec builds
        return Optimizer(**{**self._asdict(), **fields})


# ---------------------------------------------------------------------------------------------- registry

@dataclass(frozen=True)
class OptimizerInfo:
    """A registry entry: the factory, its default hyperparameters, and whether it is stochastic."""

    name: str
    factory: Callable[..., Optimizer]
    defaults: dict[str, Any]
    stochastic: bool = False
    summary: str = ""

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.factory) or ""


def _info(name: str, factory: Callable[..., Optimizer], stochastic: bool = False) -> OptimizerInfo:
    params = inspect.signature(factory).parameters.values()
    missing = [p.name for p in params if p.default is p.empty]
    if missing:
        raise OptivizError(f"optimizer {name!r}: every hyperparameter needs a default ({', '.join(missing)} has none)")
    doc = inspect.getdoc(factory) or ""
    return OptimizerInfo(name, factory, {p.name: p.default for p in params}, stochastic, doc.split("\n")[0])


def _adapt_plugin(name: str, obj: Any) -> OptimizerInfo:
    """What an ``optiviz.optimizers`` entry point may load: an ``OptimizerInfo`` or a factory with defaults."""
    if isinstance(obj, OptimizerInfo):
        return obj
    if callable(obj):
        return _info(name, obj)
    raise OptivizError(f"optimizer plugin {name!r} loads a {type(obj).__name__}, not an optimizer factory")


_optimizers: Registry[OptimizerInfo] = Registry("optimizers", adapt=_adapt_plugin,
                                                describe=lambda info: (info.doc, info.defaults))

#: ``noise`` is accepted by every optimizer: it is the standard deviation of the Gaussian noise the engine adds
#: to each gradient coordinate (stochastic gradients on analytic surfaces).
ENGINE_HPARAMS = ("noise",)
_SGD_NOISE = 1.0


def register(name: str, *, stochastic: bool = False):
    """Register an optimizer factory under ``name``; its keyword defaults are the documented defaults."""

    def decorator(factory: Callable[..., Optimizer]) -> Callable[..., Optimizer]:
        _optimizers.register(name, _info(name, factory, stochastic))
        return factory

    return decorator


def names() -> list[str]:
    """The registered optimizer names."""
    return _optimizers.names()


def get(name: str) -> OptimizerInfo:
    """The registry entry for ``name`` (``UnknownNameError`` with close matches if there is none)."""
    return _optimizers.get(name)


# Every docstring below: a one-line summary (``optiviz list``), the update with each symbol mapped to its
# argument, the convention chosen where the literature differs, and the reference. t counts updates from 1 in
# the equations; a schedule lr(t) sees t - 1 (0 at the first update, as optax).

@register("gd")
def gd(lr=0.1) -> Optimizer:
    r"""Gradient descent: step against the gradient, the same step size everywhere.

        theta_t = theta_{t-1} - lr * g_t

    Symbols: lr = ``lr`` (a number or a schedule), g_t = the gradient at theta_{t-1}.
    On a quadratic whose largest curvature is L it decreases the loss monotonically when lr < 2 / L, and
    diverges along the steepest direction when lr > 2 / L.
    Reference: Cauchy, "Methode generale pour la resolution des systemes d'equations simultanees", 1847.
    """
    return scale_by_lr(lr)


@register("sgd", stochastic=True)
def sgd(lr=0.1) -> Optimizer:
    r"""Stochastic gradient descent: the GD rule on a noisy estimate of the gradient.

        theta_t = theta_{t-1} - lr * g_hat_t

    Symbols: lr = ``lr``; g_hat_t = a minibatch gradient on data surfaces (``linreg``), or g_t + noise * N(0, I)
    on analytic surfaces, with ``noise`` = 1.0 unless given (the engine draws it from the run's seed).
    Reference: Robbins & Monro, "A Stochastic Approximation Method", 1951.
    """
    return scale_by_lr(lr)


@register("momentum")
def momentum(lr=0.05, momentum=0.9) -> Optimizer:
    r"""Heavy-ball momentum: a velocity that accumulates past gradients.

        v_t = g_t + momentum * v_{t-1}        (v_0 = 0)
        theta_t = theta_{t-1} - lr * v_t

    Symbols: lr = ``lr``, the decay of the velocity (mu in the literature) = ``momentum``.
    Convention: lr outside the velocity (optax, PyTorch); Sutskever et al.'s v_t = mu v_{t-1} - lr g_t is the
    same path for a constant lr, and differs under a schedule.
    Reference: Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
    """
    return chain(trace(momentum), scale_by_lr(lr))


@register("nesterov")
def nesterov(lr=0.05, momentum=0.9) -> Optimizer:
    r"""Nesterov momentum: heavy ball with a look-ahead, so the velocity corrects itself sooner.

        v_t = g_t + momentum * v_{t-1}        (v_0 = 0)
        theta_t = theta_{t-1} - lr * (g_t + momentum * v_t)

    Symbols: lr = ``lr``, mu = ``momentum``.
    Convention: the reformulation of Sutskever et al. (2013) used by optax and PyTorch: the gradient is taken at
    the current point and the step adds the velocity's next value, instead of evaluating g at theta + mu v.
    Reference: Nesterov, "A method for solving a convex programming problem with convergence rate O(1/k^2)", 1983.
    """
    return chain(trace(momentum, nesterov=True), scale_by_lr(lr))


@register("adagrad")
def adagrad(lr=0.5, initial_accumulator_value=0.1, eps=1e-7) -> Optimizer:
    r"""Adagrad: per-coordinate steps that shrink with the sum of all past squared gradients.

        G_t = G_{t-1} + g_t**2                (G_0 = initial_accumulator_value)
        theta_t = theta_{t-1} - lr * g_t / sqrt(G_t + eps)

    Symbols: lr = ``lr``, G_0 = ``initial_accumulator_value``, eps = ``eps``.
    Conventions: G_0 = 0.1 (optax, TensorFlow; PyTorch uses 0); eps inside the square root (optax).
    G only grows, so each coordinate's effective step lr / sqrt(G_t) decays like 1 / sqrt(t): why Adagrad stalls.
    Reference: Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization", JMLR 2011.
    """
    return chain(scale_by_rss(initial_accumulator_value, eps), scale_by_lr(lr))


@register("rmsprop")
def rmsprop(lr=0.01, decay=0.9, eps=1e-8, bias_correction=False, eps_in_sqrt=True, momentum=0.0) -> Optimizer:
    r"""RMSProp: per-coordinate steps scaled by a running average of squared gradients.

        nu_t = decay * nu_{t-1} + (1 - decay) * g_t**2      (nu_0 = 0)
        nu_hat_t = nu_t / (1 - decay**t)  with bias correction, else nu_t
        theta_t = theta_{t-1} - lr * g_t / sqrt(nu_hat_t + eps)       (eps inside the square root)
        theta_t = theta_{t-1} - lr * g_t / (sqrt(nu_hat_t) + eps)     (eps outside)

    With ``momentum`` mu > 0 the scaled step goes through a heavy-ball velocity (optax's and PyTorch's order):
    v_t = mu * v_{t-1} + lr * g_t / sqrt(nu_hat_t + eps), theta_t = theta_{t-1} - v_t.

    Symbols: lr = ``lr``, the forgetting factor (rho in Hinton's lecture) = ``decay``, eps = ``eps``, mu =
    ``momentum``; the flags ``bias_correction`` (default false) and ``eps_in_sqrt`` (default true) pick the variant.
    Conventions: eps inside the square root and no bias correction by default (optax). With
    ``bias_correction=True, eps_in_sqrt=False`` RMSProp is exactly Adam with b1 = 0.
    Reference: Tieleman & Hinton, "Lecture 6.5 - RMSProp", COURSERA: Neural Networks for Machine Learning, 2012.
    """
    return chain(scale_by_rms(decay, eps, 0.0, eps_in_sqrt, bias_correction), scale_by_lr(lr), trace(momentum))


@register("adadelta")
def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0) -> Optimizer:
    r"""Adadelta: RMSProp whose step is rescaled by a running average of past steps, so its units match theta.

        g'_t = g_t + weight_decay * theta_{t-1}
        Eg_t = rho * Eg_{t-1} + (1 - rho) * g'_t**2                       (Eg_0 = 0)
        dx_t = sqrt(Ex_{t-1} + eps) / sqrt(Eg_t + eps) * g'_t
        Ex_t = rho * Ex_{t-1} + (1 - rho) * dx_t**2                       (Ex_0 = 0)
        theta_t = theta_{t-1} - lr * dx_t

    Symbols: lr = ``lr``, rho = ``rho``, eps = ``eps`` (inside both square roots), ``weight_decay``.
    Conventions: lr = 1 is the paper's method (it has no learning rate); weight decay is added to the gradient
    first (optax's order). optax's ``adadelta(learning_rate=None)`` does not negate the step: compare with
    ``learning_rate=1.0``.
    Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012.
    """
    return chain(add_decayed_weights(weight_decay), scale_by_adadelta(rho, eps), scale_by_lr(lr))


@register("adam")
def adam(lr=0.1, b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    r"""Adam: momentum on the gradient, divided by the root of a running average of its square.

        m_t = b1 * m_{t-1} + (1 - b1) * g_t          v_t = b2 * v_{t-1} + (1 - b2) * g_t**2    (m_0 = v_0 = 0)
        m_hat_t = m_t / (1 - b1**t)                  v_hat_t = v_t / (1 - b2**t)
        theta_t = theta_{t-1} - lr * m_hat_t / (sqrt(v_hat_t) + eps)

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``.
    Convention: eps outside the square root (the paper; optax with ``eps_root=0``).
    Step size: the first step is lr * |g| / (|g| + eps) per coordinate; a gradient that was zero until now moves
    a coordinate by at most about lr * (1 - b1) / sqrt(1 - b2) (Kingma & Ba, sec. 2.1). For an arbitrary gradient
    history the exact bound is lr * (1 - b1) / sqrt(1 - b2) * sqrt(1 - b2**t) / (1 - b1**t)
    * sqrt(sum_{k<t} (b1**2 / b2)**k) (Cauchy-Schwarz), which steadily growing gradients approach.
    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
    """
    return chain(scale_by_adam(b1, b2, eps), scale_by_lr(lr))


@register("nadam")
def nadam(lr=0.1, b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    r"""NAdam: Adam with a Nesterov look-ahead on the first moment.

        m_t, v_t, v_hat_t as in Adam
        m_bar_t = b1 * m_t / (1 - b1**(t+1)) + (1 - b1) * g_t / (1 - b1**t)
        theta_t = theta_{t-1} - lr * m_bar_t / (sqrt(v_hat_t) + eps)

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``.
    Convention: as optax, without the extra factor b2 on v_hat of Dozat's Algorithm 2 and with a constant b1
    (no momentum schedule).
    Reference: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR workshop 2016.
    """
    return chain(scale_by_adam(b1, b2, eps, nesterov=True), scale_by_lr(lr))


@register("adamax")
def adamax(lr=0.1, b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    r"""Adamax: Adam with the infinity norm in place of the root mean square.

        m_t = b1 * m_{t-1} + (1 - b1) * g_t                  (m_0 = 0)
        u_t = max(b2 * u_{t-1}, |g_t| + eps)                 (u_0 = 0)
        theta_t = theta_{t-1} - lr * m_t / (1 - b1**t) / u_t

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``.
    Convention: eps inside the max (optax), so u_t > 0 from the first step; u needs no bias correction.
    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, sec. 7.
    """
    return chain(scale_by_adamax(b1, b2, eps), scale_by_lr(lr))


@register("amsgrad")
def amsgrad(lr=0.1, b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    r"""AMSGrad: Adam dividing by the running maximum of v_hat, so a coordinate's effective step never grows.

        m_hat_t, v_hat_t as in Adam
        v_max_t = max(v_max_{t-1}, v_hat_t)                  (v_max_0 = 0)
        theta_t = theta_{t-1} - lr * m_hat_t / (sqrt(v_max_t) + eps)

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``.
    Convention: the maximum is over the bias-corrected v_hat (optax); the paper has no bias correction.
    Reference: Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.
    """
    return chain(scale_by_amsgrad(b1, b2, eps), scale_by_lr(lr))


@register("adamw")
def adamw(lr=0.1, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-4) -> Optimizer:
    r"""AdamW: Adam with decoupled weight decay, which pulls theta towards 0 whatever the gradient's scale.

        theta_t = theta_{t-1} - lr * (m_hat_t / (sqrt(v_hat_t) + eps) + weight_decay * theta_{t-1})

    Symbols: m_hat, v_hat as in Adam; lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``,
    ``weight_decay`` (lambda in the paper).
    Convention: the decay is multiplied by lr (optax, PyTorch); the paper scales it by a separate schedule.
    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """
    return chain(scale_by_adam(b1, b2, eps), add_decayed_weights(weight_decay), scale_by_lr(lr))


@register("lion")
def lion(lr=0.01, b1=0.9, b2=0.99, weight_decay=1e-3) -> Optimizer:
    r"""Lion: the sign of an interpolated momentum, so every coordinate moves by exactly lr.

        c_t = sign(b1 * m_{t-1} + (1 - b1) * g_t)
        m_t = b2 * m_{t-1} + (1 - b2) * g_t                  (m_0 = 0)
        theta_t = theta_{t-1} - lr * (c_t + weight_decay * theta_{t-1})

    Symbols: lr = ``lr``, b1 = ``b1`` (interpolation for the step), b2 = ``b2`` (decay of the momentum),
    ``weight_decay``. Defaults as optax (b2 = 0.99, weight_decay = 1e-3). sign(0) = 0.
    Reference: Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023.
    """
    return chain(scale_by_lion(b1, b2), add_decayed_weights(weight_decay), scale_by_lr(lr))


# --------------------------------------------------------------------------------------- specs and checks

_UNIT = ("b1", "b2", "momentum", "decay", "rho")
_NONNEG = ("eps", "initial_accumulator_value", "weight_decay", "noise")
_FLAGS = ("bias_correction", "eps_in_sqrt")


def _check(name: str, key: str, value: Any) -> Any:
    """``value`` for hyperparameter ``key`` of ``name`` as a validated float (or flag, or schedule).

    A traced value (``ov.optimizer`` called inside ``jax.jit`` / ``vmap`` with traced hyperparameters) cannot be
    checked and passes through unchanged, as in optax.
    """
    if isinstance(value, jax.core.Tracer):
        return value
    if key in _FLAGS:
        return _checks.flag(value, key, where=name)
    if key == "lr" and isinstance(value, Schedule):
        return value
    if key == "lr":
        return _checks.number(value, key, lo=0, lo_open=True, where=name)
    if key in _UNIT:
        return _checks.number(value, key, lo=0, hi=1, hi_open=True, where=name)
    if key in _NONNEG:
        return _checks.number(value, key, lo=0, where=name)
    return _checks.number(value, key, where=name)


def format_value(value: Any) -> str:
    """A hyperparameter as captions and labels show it: ``0.1``, ``true``, ``cosine(lr=0.1, steps=50)``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Schedule):
        return str(value)
    return f"{value:g}"


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by name with validated hyperparameters: what the engine runs and the captions show.

    ``hparams`` holds every hyperparameter of the factory (defaults filled in); ``given`` the names the user
    set, so a surface may suggest a learning rate where the user did not choose one.
    """

    name: str
    hparams: dict[str, Any]
    noise: float = 0.0
    given: frozenset[str] = field(default_factory=frozenset)
    label: str | None = None

    @property
    def info(self) -> OptimizerInfo:
        return get(self.name)

    def build(self, hparams: dict[str, Any] | None = None) -> Optimizer:
        """The optimizer, with these (possibly traced) hyperparameters instead of the stored ones."""
        opt = get(self.name).factory(**(self.hparams if hparams is None else hparams))
        return _Named(opt.init, opt.update, self)

    def replace(self, **changes: Any) -> "OptimizerSpec":
        """A copy with some hyperparameters (or ``noise``/``label``) changed and validated."""
        if "name" in changes:
            raise InvalidValueError(f"{self.name}: replace() changes hyperparameters, not the optimizer; "
                                    f"use spec({changes['name']!r}, ...)")
        label = changes.pop("label", self.label)
        hp = {k: v for k, v in self.hparams.items()}
        hp.update({k: v for k, v in changes.items() if k != "noise"})
        noise = changes.get("noise", self.noise)
        out = spec(self.name, **{k: hp[k] for k in hp}, noise=noise)
        return OptimizerSpec(out.name, out.hparams, out.noise, self.given | frozenset(changes), label)

    def caption(self, noise: bool = True) -> str:
        """Name and every hyperparameter exactly as used, e.g. ``adam lr=0.1 b1=0.9 b2=0.999 eps=1e-08``, with the
        gradient-noise level unless ``noise`` is false (networks: there the noise is the minibatch's)."""
        parts = [self.name] + [f"{k}={format_value(v)}" for k, v in self.hparams.items()]
        if noise and self.noise:
            parts.append(f"noise={format_value(self.noise)}")
        return " ".join(parts)


def spec(name: str, **hparams: Any) -> OptimizerSpec:
    """Validate ``hparams`` for optimizer ``name`` and fill in the defaults."""
    info = get(name)
    noise_given = hparams.get("noise") is not None  # sgd's default noise is not the user's choice
    noise = hparams.pop("noise", None)
    for key in hparams:
        if key not in info.defaults:
            allowed = [*info.defaults, *ENGINE_HPARAMS]
            close = did_you_mean(key, allowed)
            hint = f" ({close})" if close.startswith("did") else ""
            raise InvalidValueError(f"{name} has no hyperparameter {key!r}{hint}; it takes {', '.join(allowed)}")
    values = {k: _check(name, k, hparams.get(k, d)) for k, d in info.defaults.items()}
    if noise is None:
        noise = _SGD_NOISE if info.stochastic else 0.0
    noise = _check(name, "noise", noise)
    return OptimizerSpec(name, values, noise, frozenset(hparams) | ({"noise"} if noise_given else frozenset()))


def optimizer(name: str, **hparams: Any) -> Optimizer:
    """Build the registered optimizer ``name`` with validated hyperparameters.

    >>> opt = optimizer("adam", lr=0.05)
    >>> state = opt.init(params); updates, state = opt.update(grads, state, params)
    """
    return spec(name, **hparams).build()


# ------------------------------------------------------------------------------------------ spec strings

def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside parentheses: ``"adam:lr=cosine(0.1,steps=50),b1=0.8"`` keeps the call whole."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _parse_value(owner: str, key: str, raw: str) -> Any:
    from . import schedules

    raw = raw.strip()
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if raw.endswith(")") and "(" in raw:
        fname, _, inner = raw[:-1].partition("(")
        pairs = []
        for i, item in enumerate(_split_top(inner)):
            k, eq, v = item.partition("=")
            if not eq:
                k, v = ("lr", item) if i == 0 else (None, item)
            if k is None:
                raise InvalidValueError(f"{owner}: write schedule arguments as name=value, got {_checks.show(item)}")
            pairs.append((k.strip(), _number(owner, k.strip(), v)))
        return schedules.schedule(fname.strip(), **_checks.unique(pairs, f"schedule {_checks.clip(fname, 30)}"))
    return _number(owner, key, raw)


def _number(owner: str, key: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise InvalidValueError(f"{owner}: {_checks.clip(key, 30)}={_checks.show(raw.strip())} is not a number") from None


def parse(text: str) -> OptimizerSpec:
    """Parse ``"adam"``, ``"adam:lr=0.1,b1=0.8"`` or ``"adagrad:lr=inverse_sqrt(0.5)"`` into a validated spec."""
    name, sep, rest = text.strip().partition(":")
    name = name.strip()
    if not name:
        raise InvalidValueError(f"optimizer spec {text!r} has no name")
    pairs = []
    for item in _split_top(rest):
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InvalidValueError(f"optimizer spec {_checks.show(text)}: write hyperparameters as "
                                    f"{_checks.clip(name, 30)}:key=value,key=value")
        pairs.append((key, _parse_value(name, key, raw)))
    return spec(name, **_checks.unique(pairs, f"optimizer {_checks.clip(name, 30)}"))


def split_list(text: str) -> list[str]:
    """Split a command-line list of optimizer specs: ``"gd,adam:lr=0.1,b1=0.8,momentum"`` -> three specs.

    A comma starts a new optimizer unless the next item is ``key=value`` (it then belongs to the one before).
    """
    out: list[str] = []
    for item in _split_top(text):
        if "=" in item.split(":")[0] and out and ":" not in item.split("=")[0]:
            out[-1] += "," + item
        else:
            out.append(item)
    return out


# ------------------------------------------------------------------------------------- accepting optimizers

def is_optimizer_like(obj: Any) -> bool:
    """Anything with optax's shape: callable ``init`` and ``update`` (ours, optax's, a user's)."""
    return callable(getattr(obj, "init", None)) and callable(getattr(obj, "update", None))


def resolve(value: Any) -> "OptimizerSpec | Optimizer":
    """One optimizer as the engines take it: a spec (traced hyperparameters) or an opaque (init, update) pair.

    Accepts a name or spec string (``"adam:lr=0.01"``), an ``OptimizerSpec``, an ``ov.optimizer(...)`` object
    (its spec), a ``(name, {hyperparameters})`` pair, or any optax-shaped transformation.
    """
    if isinstance(value, str):
        return parse(value)
    if isinstance(value, OptimizerSpec):
        return value
    named = getattr(value, "spec", None)
    if isinstance(named, OptimizerSpec):
        return named
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], Mapping):
        return spec(value[0], **value[1])
    if is_optimizer_like(value):
        return Optimizer(value.init, value.update)
    raise InvalidValueError(f"cannot use {value!r} as an optimizer: give a name ('adam:lr=0.01'), a spec, "
                            "ov.optimizer(...) or an optax transformation")
