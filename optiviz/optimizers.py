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

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from . import _check as _checks
from ._lazy import lazy_module
from .errors import InvalidValueError, OptivizError
from .registry import Registry, did_you_mean
from .schedules import CONVENTIONS, as_schedule, check_convention, following
from .transforms import (  # re-exported: the public ``ov.optimizers.chain`` & co. keep working
    LearningRate, Optimizer, Scalar, add_decayed_weights, chain, scale, scale_by_adadelta, scale_by_adam, scale_by_adamax,
    scale_by_amsgrad, scale_by_inverse_time, scale_by_lion, scale_by_lr, scale_by_nadam, scale_by_radam,
    scale_by_rms, scale_by_rprop, scale_by_rss, trace,
)

# JAX loads when an optimizer is first built or stepped, not when the registry is read (list, describe)
jax = lazy_module("jax")

__all__ = [
    "Optimizer", "OptimizerInfo", "OptimizerSpec", "optimizer", "names", "get", "spec", "chain",
    "scale", "scale_by_lr", "trace", "scale_by_rss", "scale_by_rms", "scale_by_adam", "scale_by_amsgrad",
    "scale_by_adamax", "scale_by_adadelta", "scale_by_lion", "add_decayed_weights", "scale_by_inverse_time",
    "scale_by_nadam", "scale_by_radam", "scale_by_rprop", "CONVENTIONS", "parse_optax",
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

    # a changed pair is no longer what the spec builds: a plain Optimizer, not a _Named (hence not NamedTuple's Self)
    def _replace(self, **fields: Any) -> Optimizer:  # type: ignore[override]
        return Optimizer(**{**self._asdict(), **fields})


class _Labeled(Optimizer):
    """An opaque (init, update) pair with the label it is drawn under (``("mine", optax.adam(0.1))``,
    ``optax:adam:learning_rate=0.1`` from the command line)."""

    def __new__(cls, init: Callable[[Any], Any], update: Callable[..., Any], label: str) -> "_Labeled":
        self = super().__new__(cls, init, update)
        vars(self)["label"] = label
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"optimizer fields are read-only: cannot set {name!r}")

    @property
    def label(self) -> str:
        return vars(self)["label"]

    def _replace(self, **fields: Any) -> Optimizer:  # type: ignore[override]  # as _Named's
        return Optimizer(**{**self._asdict(), **fields})


# ---------------------------------------------------------------------------------------------- registry

@dataclass(frozen=True)
class OptimizerInfo:
    """A registry entry: the factory, its default hyperparameters, and whether it is stochastic.

    ``conventions`` maps a framework other than optax (``"torch"``) to the defaults it changes, flags that pick its
    formulas included; ``formulas`` says in one line per convention what each computes where they differ (shown
    side by side by ``optiviz describe``). Both are plain data, readable without building anything.
    """

    name: str
    factory: Callable[..., Optimizer]
    defaults: dict[str, Any]
    stochastic: bool = False
    summary: str = ""
    conventions: dict[str, dict[str, Any]] = field(default_factory=dict)
    formulas: dict[str, str] = field(default_factory=dict)

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.factory) or ""

    def defaults_for(self, convention: str = "optax") -> dict[str, Any]:
        """Every hyperparameter's default under ``convention`` (``"optax"``, optiviz's own, or ``"torch"``)."""
        if convention == "optax":
            return dict(self.defaults)
        if convention not in self.conventions:
            raise InvalidValueError(_no_convention(self.name, convention))
        out = {**self.defaults, **self.conventions[convention]}
        if "convention" in out:
            out["convention"] = convention
        return out


def _no_convention(name: str, convention: str) -> str:
    check_convention(convention, name)  # an unknown one is refused as such
    return f"{name}: torch.optim has no {name}, so there is no torch convention for it (use convention='optax')"


def _info(name: str, factory: Callable[..., Optimizer], stochastic: bool = False,
          conventions: dict[str, dict[str, Any]] | None = None, formulas: dict[str, str] | None = None) -> OptimizerInfo:
    params = inspect.signature(factory).parameters.values()
    missing = [p.name for p in params if p.default is p.empty]
    if missing:
        raise OptivizError(f"optimizer {name!r}: every hyperparameter needs a default ({', '.join(missing)} has none)")
    doc = inspect.getdoc(factory) or ""
    defaults = {p.name: p.default for p in params}
    for conv, changes in (conventions or {}).items():
        unknown = [k for k in changes if k not in defaults]
        if conv not in CONVENTIONS or unknown:
            raise OptivizError(f"optimizer {name!r}: convention {conv!r} sets unknown hyperparameters {unknown}")
    return OptimizerInfo(name, factory, defaults, stochastic, doc.split("\n")[0], dict(conventions or {}),
                         dict(formulas or {}))


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


def register(name: str, *, stochastic: bool = False, torch: dict[str, Any] | None = None,
             formulas: dict[str, str] | None = None) -> Callable[[Callable[..., Optimizer]], Callable[..., Optimizer]]:
    """Register an optimizer factory under ``name``; its keyword defaults are the documented defaults.

    ``torch``: the defaults that ``convention="torch"`` changes (PyTorch's, and the flags selecting its formulas);
    None when ``torch.optim`` has no such optimizer. ``formulas``: one line per convention where they differ.
    """

    def decorator(factory: Callable[..., Optimizer]) -> Callable[..., Optimizer]:
        conventions = {"torch": torch} if torch is not None else {}
        _optimizers.register(name, _info(name, factory, stochastic, conventions, formulas))
        return factory

    return decorator


#: the registered optimizer names (``names()``) and the entry for one (``get(name)``: ``UnknownNameError`` with close
#: matches if there is none): the registry's own methods
names, get = _optimizers.names, _optimizers.get


# Every docstring below: a one-line summary (``optiviz list``), the update with each symbol mapped to its
# argument, the convention chosen where the literature differs, and the reference. t counts updates from 1 in
# the equations; a schedule lr(t) sees t - 1 (0 at the first update, as optax).
#
# Conventions: the defaults and formulas are optax's unless ``convention="torch"`` is given, which takes
# PyTorch's defaults and, where the two frameworks compute different things, PyTorch's formula. Options that
# only one framework has (PyTorch's ``dampening``, ``lr_decay``, coupled ``weight_decay``; optax's ``nesterov``
# for RMSProp) are available under both conventions, default off. Every convention is tested against golden
# trajectories of the framework itself (float64, 500 steps, to 1e-10).

_SGD_TORCH = dict(lr=1e-3)


def _decayed(weight_decay: Scalar, *rest: Optimizer) -> Optimizer:
    """L2 regularisation added to the gradient before the rest (PyTorch's coupled ``weight_decay``)."""
    return chain(add_decayed_weights(weight_decay), *rest)


def _decoupled(weight_decay: Scalar, scaling: Optimizer, lr: LearningRate) -> Optimizer:
    """Decoupled weight decay (Loshchilov & Hutter): theta -= lr * (step + weight_decay * theta), the decay added
    after ``scaling`` so that only the learning rate multiplies it (AdamW, Lion, optax's ``add_decayed_weights``
    after the scaling; PyTorch's ``param.mul_(1 - lr * weight_decay)`` before its step: the same update)."""
    return chain(scaling, add_decayed_weights(weight_decay), scale_by_lr(lr))


def _weight_decayed(weight_decay: Scalar, decoupled: bool, scaling: Optimizer, lr: LearningRate) -> Optimizer:
    """``scaling`` then the learning rate, with PyTorch's ``weight_decay`` coupled (L2 on the gradient, the default)
    or decoupled (``decoupled_weight_decay=True``)."""
    return _decoupled(weight_decay, scaling, lr) if decoupled else _decayed(weight_decay, scaling, scale_by_lr(lr))


@register("gd", torch=_SGD_TORCH)
def gd(lr: LearningRate = 0.1, weight_decay: Scalar = 0.0) -> Optimizer:
    r"""Gradient descent: step against the gradient, the same step size everywhere.

        g'_t = g_t + weight_decay * theta_{t-1}
        theta_t = theta_{t-1} - lr * g'_t

    Symbols: lr = ``lr`` (a number or a schedule), g_t = the gradient at theta_{t-1}, ``weight_decay`` (L2,
    PyTorch's SGD option; 0 by default).
    On a quadratic whose largest curvature is L it decreases the loss monotonically when lr < 2 / L, and
    diverges along the steepest direction when lr > 2 / L.
    Conventions: the same formula in optax (``optax.sgd``) and PyTorch (``torch.optim.SGD``); torch's default
    lr is 1e-3.
    Reference: Cauchy, "Methode generale pour la resolution des systemes d'equations simultanees", 1847.
    """
    return _decayed(weight_decay, scale_by_lr(lr))


@register("sgd", stochastic=True, torch=_SGD_TORCH)
def sgd(lr: LearningRate = 0.1, weight_decay: Scalar = 0.0) -> Optimizer:
    r"""Stochastic gradient descent: the GD rule on a noisy estimate of the gradient.

        theta_t = theta_{t-1} - lr * (g_hat_t + weight_decay * theta_{t-1})

    Symbols: lr = ``lr``; g_hat_t = a minibatch gradient on data surfaces (``linreg``), or g_t + noise * N(0, I)
    on analytic surfaces, with ``noise`` = 1.0 unless given (the engine draws it from the run's seed);
    ``weight_decay`` (L2, PyTorch's SGD option; 0 by default).
    Reference: Robbins & Monro, "A Stochastic Approximation Method", 1951.
    """
    return _decayed(weight_decay, scale_by_lr(lr))


@register("momentum", torch=_SGD_TORCH)
def momentum(lr: LearningRate = 0.05, momentum: Scalar = 0.9, dampening: Scalar = 0.0,
             weight_decay: Scalar = 0.0) -> Optimizer:
    r"""Heavy-ball momentum: a velocity that accumulates past gradients.

        g'_t = g_t + weight_decay * theta_{t-1}
        v_1 = g'_1,  v_t = momentum * v_{t-1} + (1 - dampening) * g'_t
        theta_t = theta_{t-1} - lr * v_t

    Symbols: lr = ``lr``, the decay of the velocity (mu in the literature) = ``momentum``, ``dampening`` and
    ``weight_decay`` (PyTorch's SGD options, 0 by default; torch leaves the first gradient undamped).
    Convention: lr outside the velocity (optax, PyTorch); Sutskever et al.'s v_t = mu v_{t-1} - lr g_t is the
    same path for a constant lr, and differs under a schedule. ``torch.optim.SGD(momentum=...)`` and
    ``optax.sgd(momentum=...)`` compute the same thing; torch's default lr is 1e-3.
    Reference: Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
    """
    return _decayed(weight_decay, trace(momentum, dampening=dampening), scale_by_lr(lr))


@register("nesterov", torch=_SGD_TORCH)
def nesterov(lr: LearningRate = 0.05, momentum: Scalar = 0.9, dampening: Scalar = 0.0,
             weight_decay: Scalar = 0.0) -> Optimizer:
    r"""Nesterov momentum: heavy ball with a look-ahead, so the velocity corrects itself sooner.

        g'_t = g_t + weight_decay * theta_{t-1}
        v_1 = g'_1,  v_t = momentum * v_{t-1} + (1 - dampening) * g'_t
        theta_t = theta_{t-1} - lr * (g'_t + momentum * v_t)

    Symbols: lr = ``lr``, mu = ``momentum``, ``dampening`` and ``weight_decay`` (PyTorch's SGD options, 0 by
    default; torch itself refuses a nonzero dampening with Nesterov).
    Convention: the reformulation of Sutskever et al. (2013) used by optax and PyTorch
    (``torch.optim.SGD(nesterov=True)``): the gradient is taken at the current point and the step adds the
    velocity's next value, instead of evaluating g at theta + mu v.
    Reference: Nesterov, "A method for solving a convex programming problem with convergence rate O(1/k^2)", 1983.
    """
    return _decayed(weight_decay, trace(momentum, nesterov=True, dampening=dampening), scale_by_lr(lr))


@register("adagrad", torch=dict(lr=0.01, initial_accumulator_value=0.0, eps=1e-10, eps_in_sqrt=False),
          formulas={"optax": "theta -= lr * g / sqrt(G + eps)  (eps inside the square root)",
                    "torch": "theta -= lr * g / (sqrt(G) + eps)  (eps outside the square root)"})
def adagrad(lr: LearningRate = 0.5, initial_accumulator_value: Scalar = 0.1, eps: Scalar = 1e-7,
            eps_in_sqrt: bool = True, lr_decay: Scalar = 0.0, weight_decay: Scalar = 0.0) -> Optimizer:
    r"""Adagrad: per-coordinate steps that shrink with the sum of all past squared gradients.

        g'_t = g_t + weight_decay * theta_{t-1}
        G_t = G_{t-1} + |g'_t|**2                           (G_0 = initial_accumulator_value)
        eta_t = lr / (1 + (t - 1) * lr_decay)
        theta_t = theta_{t-1} - eta_t * g'_t / sqrt(G_t + eps)       (``eps_in_sqrt``: optax, TensorFlow)
        theta_t = theta_{t-1} - eta_t * g'_t / (sqrt(G_t) + eps)     (eps outside: PyTorch)

    Symbols: lr = ``lr``, G_0 = ``initial_accumulator_value``, eps = ``eps``, ``eps_in_sqrt`` (true by default),
    ``lr_decay`` and ``weight_decay`` (PyTorch's options, 0 by default).
    Conventions: optax puts eps inside the square root and starts G at 0.1 (``optax.adagrad``); PyTorch
    (``torch.optim.Adagrad``, ``convention="torch"``) puts it outside, starts G at 0, with eps = 1e-10 and
    lr = 0.01. At torch's eps the two placements differ by ~1e-11 over hundreds of steps; with eps = 1e-2 they
    visibly part. G only grows, so each coordinate's effective step lr / sqrt(G_t) decays like 1 / sqrt(t):
    why Adagrad stalls.
    Reference: Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization", JMLR 2011; PyTorch's documentation of ``torch.optim.Adagrad`` for its variant.
    """
    return _decayed(weight_decay, scale_by_rss(initial_accumulator_value, eps, eps_in_sqrt),
                    scale_by_inverse_time(lr_decay), scale_by_lr(lr))


@register("rmsprop", torch=dict(lr=0.01, decay=0.99, eps_in_sqrt=False, convention="torch"),
          formulas={"optax": "v = -lr * g / sqrt(nu_hat + eps);  momentum traces the lr-scaled step",
                    "torch": "v = -lr * g / (sqrt(nu_hat) + eps);  momentum traces g / (sqrt(nu_hat) + eps), "
                             "then lr scales it"})
def rmsprop(lr: LearningRate = 0.01, decay: Scalar = 0.9, eps: Scalar = 1e-8, bias_correction: bool = False,
            eps_in_sqrt: bool = True, centered: bool = False, momentum: Scalar = 0.0, nesterov: bool = False,
            weight_decay: Scalar = 0.0, convention: str = "optax") -> Optimizer:
    r"""RMSProp: per-coordinate steps scaled by a running average of squared gradients.

        g'_t = g_t + weight_decay * theta_{t-1}
        nu_t = decay * nu_{t-1} + (1 - decay) * |g'_t|**2      (nu_0 = 0)
        mu_t = decay * mu_{t-1} + (1 - decay) * g'_t           (mu_0 = 0; ``centered`` only)
        s_t = nu_t (or nu_t - |mu_t|**2 when ``centered``), divided by 1 - decay**t with ``bias_correction``
        d_t = g'_t / sqrt(s_t + eps)   (eps inside the square root)   or   g'_t / (sqrt(s_t) + eps)   (outside)
        optax:  v_t = momentum * v_{t-1} - eta_t * d_t;   theta_t = theta_{t-1} + v_t
        torch:  v_t = momentum * v_{t-1} + d_t;           theta_t = theta_{t-1} - eta_t * v_t

    Symbols: lr = ``lr`` (eta_t), the forgetting factor (rho in Hinton's lecture, alpha in PyTorch) = ``decay``,
    eps = ``eps``; the flags ``bias_correction`` (false), ``eps_in_sqrt`` (true), ``centered`` (false) and
    ``nesterov`` (false; optax's: the step is momentum * v_t + the new term) pick the variant; ``momentum`` (0: no
    velocity), ``weight_decay`` (PyTorch's L2, 0) and ``convention`` (where the learning rate applies).
    Conventions: optax (``optax.rmsprop``) puts eps inside the square root, has no bias correction, and applies the
    learning rate before the momentum trace; PyTorch (``torch.optim.RMSprop``, ``convention="torch"``) puts eps
    outside, decays with 0.99, and applies the learning rate after the trace. The two orders are the same path
    for a constant lr and part under a schedule. Centered, both subtract the squared mean inside the root. With
    ``bias_correction=True, eps_in_sqrt=False`` RMSProp is exactly Adam with b1 = 0.
    Reference: Tieleman & Hinton, "Lecture 6.5 - RMSProp", COURSERA: Neural Networks for Machine Learning, 2012;
    Graves, "Generating Sequences With Recurrent Neural Networks", 2013 (centered).
    """
    scaled = scale_by_rms(decay, eps, 0.0, eps_in_sqrt, bias_correction, centered)
    velocity = trace(momentum, nesterov=nesterov)
    if convention == "torch":
        return _decayed(weight_decay, scaled, velocity, scale_by_lr(lr))
    return _decayed(weight_decay, scaled, scale_by_lr(lr), velocity)


@register("adadelta", torch=dict(lr=1.0))
def adadelta(lr: LearningRate = 1.0, rho: Scalar = 0.9, eps: Scalar = 1e-6, weight_decay: Scalar = 0.0) -> Optimizer:
    r"""Adadelta: RMSProp whose step is rescaled by a running average of past steps, so its units match theta.

        g'_t = g_t + weight_decay * theta_{t-1}
        Eg_t = rho * Eg_{t-1} + (1 - rho) * |g'_t|**2                     (Eg_0 = 0)
        dx_t = sqrt(Ex_{t-1} + eps) / sqrt(Eg_t + eps) * g'_t
        Ex_t = rho * Ex_{t-1} + (1 - rho) * |dx_t|**2                     (Ex_0 = 0)
        theta_t = theta_{t-1} - lr * dx_t

    Symbols: lr = ``lr``, rho = ``rho``, eps = ``eps`` (inside both square roots), ``weight_decay``.
    Conventions: lr = 1 is the paper's method (it has no learning rate); weight decay is added to the gradient
    first (optax's and PyTorch's order: ``torch.optim.Adadelta`` computes the same thing). optax's
    ``adadelta(learning_rate=None)`` does not negate the step: compare with ``learning_rate=1.0``.
    Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012.
    """
    return _decayed(weight_decay, scale_by_adadelta(rho, eps), scale_by_lr(lr))


_ADAM_TORCH = dict(lr=1e-3)


@register("adam", torch=_ADAM_TORCH)
def adam(lr: LearningRate = 0.1, b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8,
         weight_decay: Scalar = 0.0, decoupled_weight_decay: bool = False) -> Optimizer:
    r"""Adam: momentum on the gradient, divided by the root of a running average of its square.

        g'_t = g_t + weight_decay * theta_{t-1}      (coupled; g'_t = g_t when decoupled)
        m_t = b1 * m_{t-1} + (1 - b1) * g'_t        v_t = b2 * v_{t-1} + (1 - b2) * |g'_t|**2   (m_0 = v_0 = 0)
        m_hat_t = m_t / (1 - b1**t)                  v_hat_t = v_t / (1 - b2**t)
        theta_t = theta_{t-1} - lr * m_hat_t / (sqrt(v_hat_t) + eps)
        theta_t = theta_{t-1} - lr * (m_hat_t / (sqrt(v_hat_t) + eps) + weight_decay * theta_{t-1})  (decoupled)

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``, ``weight_decay`` (PyTorch's coupled L2 option,
    0 by default), ``decoupled_weight_decay`` (false; true is AdamW, as ``torch.optim.Adam(decoupled_weight_decay=
    True)``, with Adam's defaults: ``adamw`` has AdamW's).
    Convention: eps outside the square root (the paper; optax with ``eps_root=0``; ``torch.optim.Adam``, whose
    default lr is 1e-3).
    Step size: the first step is lr * |g| / (|g| + eps) per coordinate; a gradient that was zero until now moves
    a coordinate by at most about lr * (1 - b1) / sqrt(1 - b2) (Kingma & Ba, sec. 2.1). For an arbitrary gradient
    history the exact bound is lr * (1 - b1) / sqrt(1 - b2) * sqrt(1 - b2**t) / (1 - b1**t)
    * sqrt(sum_{k<t} (b1**2 / b2)**k) (Cauchy-Schwarz), which steadily growing gradients approach.
    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
    """
    return _weight_decayed(weight_decay, decoupled_weight_decay, scale_by_adam(b1, b2, eps), lr)


@register("nadam", torch=dict(lr=2e-3, convention="torch"),
          formulas={"optax": "constant momentum b1: m_bar = b1 m / (1 - b1**(t+1)) + (1 - b1) g / (1 - b1**t)",
                    "torch": "momentum schedule mu_t = b1 (1 - 0.5 * 0.96**(t * momentum_decay)) with products of "
                             "mu in the bias corrections"})
def nadam(lr: LearningRate = 0.1, b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8,
          momentum_decay: Scalar = 4e-3, weight_decay: Scalar = 0.0, decoupled_weight_decay: bool = False,
          convention: str = "optax") -> Optimizer:
    r"""NAdam: Adam with a Nesterov look-ahead on the first moment.

        g'_t = g_t + weight_decay * theta_{t-1}  (coupled; g'_t = g_t when decoupled)
        m_t, v_t, v_hat_t as in Adam, from g'_t;  d_t = sqrt(v_hat_t) + eps
        optax:  s_t = (b1 * m_t / (1 - b1**(t+1)) + (1 - b1) * g'_t / (1 - b1**t)) / d_t
        torch:  mu_t = b1 * (1 - 0.5 * 0.96**(t * momentum_decay)),  P_t = mu_1 * ... * mu_t
                s_t = ((1 - mu_t) / (1 - P_t) * g'_t + mu_{t+1} / (1 - P_t mu_{t+1}) * m_t) / d_t
        theta_t = theta_{t-1} - lr * s_t                                      (coupled)
        theta_t = theta_{t-1} - lr * (s_t + weight_decay * theta_{t-1})      (``decoupled_weight_decay``)

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``, ``momentum_decay`` (psi, torch's schedule only),
    ``weight_decay`` (0 by default), ``decoupled_weight_decay`` (false: PyTorch's coupled L2; true: decoupled as
    in AdamW), ``convention``.
    Conventions: optax (``optax.nadam``) keeps b1 constant and drops the extra factor b2 on v_hat of Dozat's
    Algorithm 2; PyTorch (``torch.optim.NAdam``, ``convention="torch"``, default lr 2e-3) follows Dozat's
    momentum schedule with psi = ``momentum_decay`` = 4e-3, so mu_t climbs from about b1 / 2 towards b1. With a
    very large momentum_decay, mu_t = b1 and torch's formula becomes optax's. ``decoupled_weight_decay=True`` is
    ``torch.optim.NAdam(decoupled_weight_decay=True)`` (torch >= 2.1) under the torch convention and
    ``optax.nadamw`` (whose own default weight_decay is 1e-4) under optax's.
    Reference: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR workshop 2016; Loshchilov & Hutter,
    "Decoupled Weight Decay Regularization", ICLR 2019 (the decoupled decay); PyTorch's documentation of
    ``torch.optim.NAdam``.
    """
    if convention == "torch":
        scaling = scale_by_nadam(b1, b2, eps, momentum_decay)
    else:
        scaling = scale_by_adam(b1, b2, eps, nesterov=True)
    return _weight_decayed(weight_decay, decoupled_weight_decay, scaling, lr)


@register("adamax", torch=dict(lr=2e-3))
def adamax(lr: LearningRate = 0.1, b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8,
           weight_decay: Scalar = 0.0) -> Optimizer:
    r"""Adamax: Adam with the infinity norm in place of the root mean square.

        g'_t = g_t + weight_decay * theta_{t-1}
        m_t = b1 * m_{t-1} + (1 - b1) * g'_t                 (m_0 = 0)
        u_t = max(b2 * u_{t-1}, |g'_t| + eps)                (u_0 = 0)
        theta_t = theta_{t-1} - lr * m_t / (1 - b1**t) / u_t

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``, ``weight_decay`` (PyTorch's coupled L2, 0).
    Convention: eps inside the max (optax, and ``torch.optim.Adamax``, whose default lr is 2e-3), so u_t > 0 from
    the first step; u needs no bias correction.
    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, sec. 7.
    """
    return _decayed(weight_decay, scale_by_adamax(b1, b2, eps), scale_by_lr(lr))


@register("amsgrad", torch=dict(_ADAM_TORCH, convention="torch"),
          formulas={"optax": "v_max = max(v_max, v_hat) over the bias-corrected v_hat; step m_hat / (sqrt(v_max) + eps)",
                    "torch": "v_max = max(v_max, v) over the raw v; step m_hat / (sqrt(v_max / (1 - b2**t)) + eps)"})
def amsgrad(lr: LearningRate = 0.1, b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8,
            weight_decay: Scalar = 0.0, convention: str = "optax") -> Optimizer:
    r"""AMSGrad: Adam dividing by a running maximum of its second moment, so a coordinate's step never grows.

        g'_t = g_t + weight_decay * theta_{t-1};  m_hat_t, v_t, v_hat_t as in Adam
        optax:  v_max_t = max(v_max_{t-1}, v_hat_t);  theta_t = theta_{t-1} - lr * m_hat_t / (sqrt(v_max_t) + eps)
        torch:  v_max_t = max(v_max_{t-1}, v_t);      theta_t = theta_{t-1} - lr * m_hat_t / (sqrt(v_max_t / (1 - b2**t)) + eps)
                                                                                    (v_max_0 = 0)

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``, ``weight_decay`` (PyTorch's coupled L2, 0),
    ``convention``.
    Conventions: optax (``optax.amsgrad``) takes the maximum over the bias-corrected v_hat; PyTorch
    (``torch.optim.Adam(amsgrad=True)``, ``convention="torch"``) over the raw v, bias-correcting the maximum
    with the current step's factor, so early large gradients weigh less than in optax. The paper has no bias
    correction at all.
    Reference: Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.
    """
    return _decayed(weight_decay, scale_by_amsgrad(b1, b2, eps, convention), scale_by_lr(lr))


@register("adamw", torch=dict(lr=1e-3, weight_decay=1e-2, convention="torch"),
          formulas={"optax": "with amsgrad: v_max = max(v_max, v_hat) over the bias-corrected v_hat (optax's "
                             "scale_by_amsgrad, then add_decayed_weights)",
                    "torch": "with amsgrad: v_max = max(v_max, v) over the raw v, divided by 1 - b2**t "
                             "(torch.optim.AdamW(amsgrad=True))"})
def adamw(lr: LearningRate = 0.1, b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8,
          weight_decay: Scalar = 1e-4, amsgrad: bool = False, convention: str = "optax") -> Optimizer:
    r"""AdamW: Adam with decoupled weight decay, which pulls theta towards 0 whatever the gradient's scale.

        theta_t = theta_{t-1} - lr * (m_hat_t / (sqrt(v_hat_t) + eps) + weight_decay * theta_{t-1})
        with ``amsgrad``, sqrt(v_hat_t) is replaced by AMSGrad's running maximum:
        optax:  v_max_t = max(v_max_{t-1}, v_hat_t),  sqrt(v_max_t)
        torch:  v_max_t = max(v_max_{t-1}, v_t),      sqrt(v_max_t / (1 - b2**t))             (v_max_0 = 0)

    Symbols: m_hat, v_hat as in Adam; lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``,
    ``weight_decay`` (lambda in the paper), ``amsgrad`` (false), ``convention`` (which maximum ``amsgrad`` takes).
    Convention: the decay is multiplied by lr (optax, PyTorch: ``torch.optim.AdamW`` shrinks theta by
    1 - lr * weight_decay first, the same step); the paper scales it by a separate schedule. Defaults: optax
    weight_decay = 1e-4, torch 1e-2 (and lr 1e-3). optax has no AdamW with AMSGrad: ``amsgrad=True`` follows
    ``optax.chain(optax.scale_by_amsgrad(...), optax.add_decayed_weights(...), optax.scale_by_learning_rate(...))``;
    under ``convention="torch"`` it is ``torch.optim.AdamW(amsgrad=True)``, whose maximum runs over the raw v as
    the ``amsgrad`` optimizer's torch convention does.
    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019; Reddi, Kale & Kumar,
    "On the Convergence of Adam and Beyond", ICLR 2018 (``amsgrad``).
    """
    scaling = scale_by_amsgrad(b1, b2, eps, convention) if amsgrad else scale_by_adam(b1, b2, eps)
    return _decoupled(weight_decay, scaling, lr)


@register("radam", torch=dict(_ADAM_TORCH, convention="torch"),
          formulas={"optax": "r m_hat / (sqrt(v_hat) + eps) once rho_t >= threshold (eps after the bias correction)",
                    "torch": "r m_hat sqrt(1 - b2**t) / (sqrt(v) + eps) once rho_t > threshold (eps before it)"})
def radam(lr: LearningRate = 0.1, b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8, threshold: Scalar = 5.0,
          weight_decay: Scalar = 0.0, decoupled_weight_decay: bool = False, convention: str = "optax") -> Optimizer:
    r"""RAdam: Adam that steps with plain momentum until the variance of its adaptive step is tractable.

        g'_t = g_t + weight_decay * theta_{t-1}  (coupled; g'_t = g_t when decoupled)
        m_hat_t, v_t, v_hat_t as in Adam, from g'_t
        rho_inf = 2 / (1 - b2) - 1,   rho_t = rho_inf - 2 t b2**t / (1 - b2**t)
        r_t = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
        optax:  s_t = r_t * m_hat_t / (sqrt(v_hat_t) + eps)               if rho_t >= threshold
        torch:  s_t = r_t * m_hat_t * sqrt(1 - b2**t) / (sqrt(v_t) + eps)  if rho_t > threshold
        otherwise s_t = m_hat_t
        theta_t = theta_{t-1} - lr * s_t                                      (coupled)
        theta_t = theta_{t-1} - lr * (s_t + weight_decay * theta_{t-1})      (``decoupled_weight_decay``)

    Symbols: lr = ``lr``, b1 = ``b1``, b2 = ``b2``, eps = ``eps``, ``threshold`` (5: torch's fixed value),
    ``weight_decay`` (0), ``decoupled_weight_decay`` (false: PyTorch's coupled L2; true: decoupled as in AdamW),
    ``convention``.
    Conventions: optax (``optax.radam``) adds eps to the bias-corrected root; PyTorch (``torch.optim.RAdam``,
    ``convention="torch"``, default lr 1e-3) adds it to the raw root and then corrects, which is the same as
    optax with eps / sqrt(1 - b2**t): a larger eps early on. With b2 = 0.999 the rectified step starts at t = 6.
    ``decoupled_weight_decay=True`` is ``torch.optim.RAdam(decoupled_weight_decay=True)`` (torch >= 2.1); optax's
    radam has no weight decay (the same as chaining ``optax.add_decayed_weights`` before or after it).
    Reference: Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020; PyTorch's
    documentation of ``torch.optim.RAdam``.
    """
    return _weight_decayed(weight_decay, decoupled_weight_decay, scale_by_radam(b1, b2, eps, threshold, convention),
                           lr)


@register("rprop", torch=dict(lr=0.01, convention="torch"),
          formulas={"optax": "step_size * sign(g) applied one update late (the first update is 0); sign test "
                             "against the last step",
                    "torch": "step_size * sign(g) applied at once; sign test against the last gradient"})
def rprop(lr: LearningRate = 0.01, eta_minus: Scalar = 0.5, eta_plus: Scalar = 1.2, min_step_size: Scalar = 1e-6,
          max_step_size: Scalar = 50.0, convention: str = "optax") -> Optimizer:
    r"""Rprop: a step size per coordinate that grows while the gradient keeps its sign and shrinks when it flips.

        s_t = sign(g_t * g_{t-1})
        eta_t = clip(eta_{t-1} * (eta_plus if s_t > 0, eta_minus if s_t < 0, 1 otherwise), min_step_size, max_step_size)
        theta_t = theta_{t-1} - eta_t * sign(g_t)        (no move where s_t < 0; g_t is then remembered as 0)

    Symbols: the first step size eta_0 = ``lr`` (a number: Rprop has no learning-rate schedule), ``eta_minus``,
    ``eta_plus``, ``min_step_size``, ``max_step_size``, ``convention``.
    Conventions: PyTorch (``torch.optim.Rprop``, ``convention="torch"``) applies the rule above, the "Rprop
    without weight-backtracking" variant. optax (``optax.rprop``) tests the sign against its previous step instead
    of the previous gradient, leaves the step size unclipped where that sign is 0, and applies each step one update
    late, so its first update is 0: followed here exactly, as its default. Only the gradient's sign matters, so a
    rescaled surface gives the same path.
    Reference: Riedmiller & Braun, "A direct adaptive method for faster backpropagation learning: the RPROP
    algorithm", IEEE ICNN 1993; Igel & Husken, "Improving the Rprop learning algorithm", 2000.
    """
    if callable(lr):
        raise InvalidValueError("rprop: lr is the first step size of every coordinate, a number, not a schedule")
    return chain(scale_by_rprop(lr, eta_minus, eta_plus, min_step_size, max_step_size, convention), scale(-1.0))


@register("lion")
def lion(lr: LearningRate = 0.01, b1: Scalar = 0.9, b2: Scalar = 0.99, weight_decay: Scalar = 1e-3) -> Optimizer:
    r"""Lion: the sign of an interpolated momentum, so every coordinate moves by exactly lr.

        c_t = sign(b1 * m_{t-1} + (1 - b1) * g_t)
        m_t = b2 * m_{t-1} + (1 - b2) * g_t                  (m_0 = 0)
        theta_t = theta_{t-1} - lr * (c_t + weight_decay * theta_{t-1})

    Symbols: lr = ``lr``, b1 = ``b1`` (interpolation for the step), b2 = ``b2`` (decay of the momentum),
    ``weight_decay``. Defaults as optax (b2 = 0.99, weight_decay = 1e-3). sign(0) = 0. torch.optim has no Lion,
    so there is no torch convention.
    Reference: Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023.
    """
    return _decoupled(weight_decay, scale_by_lion(b1, b2), lr)


# --------------------------------------------------------------------------------------- specs and checks

_UNIT = ("b1", "b2", "momentum", "decay", "rho", "eta_minus")
_NONNEG = ("eps", "initial_accumulator_value", "weight_decay", "noise", "lr_decay", "momentum_decay", "threshold",
           "eta_plus", "min_step_size", "max_step_size")
_CLOSED_UNIT = ("dampening",)
_FLAGS = ("bias_correction", "eps_in_sqrt", "centered", "nesterov", "amsgrad", "decoupled_weight_decay")


def _check(name: str, key: str, value: Any) -> Any:
    """``value`` for hyperparameter ``key`` of ``name`` as a validated float (or flag, or schedule).

    A traced value (``ov.optimizer`` called inside ``jax.jit`` / ``vmap`` with traced hyperparameters) cannot be
    checked and passes through unchanged, as in optax.
    """
    if isinstance(value, jax.core.Tracer):
        return value
    if key == "convention":
        return check_convention(value, name)
    if key in _FLAGS:
        return _checks.flag(value, key, where=name)
    if key == "lr" and callable(value):  # a schedule: optiviz's, optax's, any callable of the step count
        return as_schedule(value)
    if key == "lr":
        return _checks.number(value, key, lo=0, lo_open=True, where=name)
    if key in _UNIT:
        return _checks.number(value, key, lo=0, hi=1, hi_open=True, where=name)
    if key in _NONNEG:
        return _checks.number(value, key, lo=0, where=name)
    if key in _CLOSED_UNIT:
        return _checks.number(value, key, lo=0, hi=1, where=name)
    return _checks.number(value, key, where=name)


def format_value(value: Any) -> str:
    """A hyperparameter as captions and labels show it: ``0.1``, ``true``, ``cosine(lr=0.1, steps=50)``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value
    if callable(value):
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
    convention: str = "optax"

    @property
    def info(self) -> OptimizerInfo:
        return get(self.name)

    def build(self, hparams: dict[str, Any] | None = None) -> Optimizer:
        """The optimizer, with these (possibly traced) hyperparameters instead of the stored ones."""
        opt = get(self.name).factory(**(self.hparams if hparams is None else hparams))
        if self.convention == "torch":
            opt = _real_only(opt, self.name)
        return _Named(opt.init, opt.update, self)

    def replace(self, **changes: Any) -> "OptimizerSpec":
        """A copy with some hyperparameters (or ``noise``/``label``) changed and validated."""
        if "name" in changes:
            raise InvalidValueError(f"{self.name}: replace() changes hyperparameters, not the optimizer; "
                                    f"use spec({changes['name']!r}, ...)")
        label = changes.pop("label", self.label)
        changes = _lr_alias(self.name, changes)
        convention = changes.pop("convention", self.convention)
        # the hyperparameters the user gave, then the changes: the rest follow the convention's defaults
        hp = {k: v for k, v in self.hparams.items() if k in self.given and k != "convention"}
        if "lr" in hp:  # a schedule that followed this spec's convention follows the new one
            hp["lr"] = following(hp["lr"], convention, unless=self.convention)
        hp.update({k: v for k, v in changes.items() if k != "noise"})
        noise = changes.get("noise", self.noise)
        out = spec(self.name, **hp, noise=noise, convention=convention)
        given = (self.given | frozenset(changes)) - {"convention"}
        return OptimizerSpec(out.name, out.hparams, out.noise, given, label, out.convention)

    def caption(self, noise: bool = True) -> str:
        """Name and every hyperparameter exactly as used, e.g. ``adam lr=0.1 b1=0.9 b2=0.999 eps=1e-08``, with the
        gradient-noise level unless ``noise`` is false (networks: there the noise is the minibatch's), and
        ``convention=torch`` when PyTorch's convention is used. Options left off are not shown (``_shown``)."""
        defaults = self.info.defaults_for(self.convention)
        parts = [self.name] + [f"{k}={format_value(v)}" for k, v in self.hparams.items()
                               if self._shown(k, v, defaults)]
        if noise and self.noise:
            parts.append(f"noise={format_value(self.noise)}")
        if self.convention != "optax":
            parts.append(f"convention={self.convention}")
        return " ".join(parts)


    def _shown(self, key: str, value: Any, defaults: dict[str, Any]) -> bool:
        """Whether the caption shows ``key``: not an option left off (a default of 0 or false, such as PyTorch's
        ``weight_decay`` or ``dampening``), nor ``momentum_decay`` where optax's NAdam does not use it."""
        if key == "convention" or (key == "momentum_decay" and self.convention != "torch"):
            return False
        default = defaults.get(key)
        off = isinstance(default, (bool, int, float)) and not default
        return not (off and isinstance(value, (bool, int, float)) and value == default)


def _real_only(opt: Optimizer, name: str) -> Optimizer:
    """``opt`` refusing complex parameters: PyTorch treats a complex number as two real ones (``view_as_real``),
    which is not |g|^2; rather than silently compute something else, say so."""

    def update(grads, state, params=None):
        if any(jax.numpy.iscomplexobj(g) for g in jax.tree_util.tree_leaves(grads)):
            raise InvalidValueError(f"{name}: convention='torch' takes real parameters only (PyTorch updates the real "
                                    "and imaginary parts as separate numbers); use convention='optax', which follows "
                                    "optax's |g|^2 for complex parameters")
        return opt.update(grads, state, params)

    return Optimizer(opt.init, update)


def _lr_alias(name: str, hparams: dict[str, Any]) -> dict[str, Any]:
    """``learning_rate`` (optax's name) as ``lr``."""
    if "learning_rate" not in hparams:
        return hparams
    if "lr" in hparams:
        raise InvalidValueError(f"{name}: give lr or learning_rate (the same thing), not both")
    out = dict(hparams)
    out["lr"] = out.pop("learning_rate")
    return out


def spec(name: str, **hparams: Any) -> OptimizerSpec:
    """Validate ``hparams`` for optimizer ``name`` and fill in the defaults.

    ``learning_rate`` is accepted as ``lr`` (optax's name); ``convention="torch"`` takes PyTorch's defaults and
    formulas (see each optimizer's docstring), ``"optax"`` (the default) optax's; an optiviz schedule given as ``lr``
    without a convention of its own follows the optimizer's (``ov.schedules``).
    """
    info = get(name)
    hparams = _lr_alias(name, hparams)
    noise_given = hparams.get("noise") is not None  # sgd's default noise is not the user's choice
    noise = hparams.pop("noise", None)
    convention = _check(name, "convention", hparams.pop("convention", "optax"))
    for key in hparams:
        if key not in info.defaults or key == "convention":
            allowed = [k for k in info.defaults if k != "convention"] + [*ENGINE_HPARAMS, "convention"]
            close = did_you_mean(key, allowed)
            hint = f" ({close})" if close.startswith("did") else ""
            raise InvalidValueError(f"{name} has no hyperparameter {key!r}{hint}; it takes {', '.join(allowed)}")
    psi = hparams.get("momentum_decay")
    if convention != "torch" and psi is not None and not isinstance(psi, jax.core.Tracer) \
            and psi != info.defaults["momentum_decay"]:  # a number optax's formula would silently ignore
        raise InvalidValueError(f"{name}: momentum_decay is PyTorch's momentum schedule: add convention='torch'")
    defaults = info.defaults_for(convention)
    values = {k: _check(name, k, hparams.get(k, d)) for k, d in defaults.items()}
    if "lr" in values:  # an optiviz schedule that names no convention takes the optimizer's
        values["lr"] = following(values["lr"], convention)
    if noise is None:
        noise = _SGD_NOISE if info.stochastic else 0.0
    noise = _check(name, "noise", noise)
    given = frozenset(hparams) | ({"noise"} if noise_given else frozenset())
    return OptimizerSpec(name, values, noise, given, convention=convention)


def optimizer(name: str, **hparams: Any) -> Optimizer:
    """Build the registered optimizer ``name`` with validated hyperparameters.

    >>> opt = optimizer("adam", lr=0.05)
    >>> state = opt.init(params); updates, state = opt.update(grads, state, params)
    """
    return spec(name, **hparams).build()


# ------------------------------------------------------------------------------------------ spec strings

def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside parentheses: ``"adam:lr=cosine(0.1,steps=50),b1=0.8"`` keeps the call whole."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
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
    if key == "convention":
        return raw
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if raw.endswith(")") and "(" in raw:
        fname, _, inner = raw[:-1].partition("(")
        pairs = []
        for i, item in enumerate(_split_top(inner)):
            k: str | None
            k, eq, v = item.partition("=")
            if not eq:
                k, v = ("lr", item) if i == 0 else (None, item)
            if k is None:
                raise InvalidValueError(f"{owner}: write schedule arguments as name=value, got {_checks.show(item)}")
            k = k.strip()
            pairs.append((k, v.strip() if k == "convention" else _number(owner, k, v)))
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


OPTAX_PREFIX = "optax:"


def _optax_value(owner: str, key: str, raw: str) -> Any:
    raw = raw.strip()
    if raw.lower() == "none":
        return None
    try:
        return int(raw)  # some optax arguments are counts
    except ValueError:
        return _parse_value(owner, key, raw)


def parse_optax(text: str) -> Optimizer:
    """``"optax:ALIAS"`` or ``"optax:ALIAS:key=value,key=value"`` -> ``optax.ALIAS(key=value, ...)``, labelled.

    Values are numbers, ``true``/``false``, ``none`` or an optiviz schedule call (``cosine(0.1,steps=500)``);
    ``lr`` is accepted for ``learning_rate``. Needs optax installed (``pip install optax``).
    """
    body = text.strip()[len(OPTAX_PREFIX):]
    alias, _, rest = body.partition(":")
    alias = alias.strip()
    owner = f"optax:{alias}"
    try:
        import optax
    except ImportError:
        raise InvalidValueError(f"{text.strip()!r} needs optax, which is not installed (pip install optax)") from None
    public = sorted(n for n in dir(optax) if not n.startswith("_") and callable(getattr(optax, n)))
    if not alias or alias not in public:
        raise InvalidValueError(f"optax has no optimizer {alias!r}; {did_you_mean(alias, public)}")
    kwargs: dict[str, Any] = {}
    for item in _split_top(rest):
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InvalidValueError(f"optimizer spec {text!r}: write arguments as optax:{alias}:key=value,key=value")
        kwargs["learning_rate" if key == "lr" else key] = _optax_value(owner, key, raw)
    try:
        tx = getattr(optax, alias)(**kwargs)
    except TypeError as exc:  # a missing or unknown argument: optax's own message says which
        raise InvalidValueError(f"optax.{alias}: {exc}") from None
    if not is_optimizer_like(tx):
        raise InvalidValueError(f"optax.{alias} does not build an optimizer (a GradientTransformation)")
    args = ", ".join(f"{k}={format_value(v) if isinstance(v, (int, float)) else v}" for k, v in kwargs.items())
    return _Labeled(tx.init, tx.update, f"optax.{alias}({args})")


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

    Accepts a name or spec string (``"adam:lr=0.01"``, ``"optax:adam:learning_rate=0.1"``), an
    ``OptimizerSpec``, an ``ov.optimizer(...)`` object (its spec), a ``(name, {hyperparameters})`` pair, a
    ``(label, optimizer)`` pair, or any optax-shaped transformation.
    """
    if isinstance(value, str):
        return parse_optax(value) if value.strip().startswith(OPTAX_PREFIX) else parse(value)
    if isinstance(value, OptimizerSpec):
        return value
    named = getattr(value, "spec", None)
    if isinstance(named, OptimizerSpec):
        return named
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], Mapping):
        return spec(value[0], **value[1])
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and not callable(value[0]):
        label, inner = value
        out = resolve(inner)
        if isinstance(out, OptimizerSpec):
            return dataclasses.replace(out, label=label)
        return _Labeled(out.init, out.update, label)
    if isinstance(value, _Labeled):
        return value
    if is_optimizer_like(value):
        return Optimizer(value.init, value.update)
    raise InvalidValueError(f"cannot use {value!r} as an optimizer: give a name ('adam:lr=0.01'), a spec, "
                            "ov.optimizer(...) or an optax transformation")
