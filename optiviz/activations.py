r"""The activation registry: the nonlinearities a network layer applies, with their derivatives.

    act = ov.activation("leaky_relu", alpha=0.1)
    y = act(z)                       # elementwise; maxout reduces k pieces per unit
    act.derivative(z)                # elementwise derivative, by JAX (with the kink conventions below)
    ov.activations.names()           # ['elu', 'gelu', 'hard_tanh', ...]

Each built-in is a factory with keyword defaults (its parameters) returning ``f(z)`` written in ``jax.numpy``;
``activation(name, **params)`` validates the parameters and returns an ``Activation``, which compares and hashes
by name and parameters, so compiled programs are reused for equal activations.

**Derivative at a kink.** A piecewise function has no derivative at its kinks; JAX returns the derivative of
whichever branch the code takes there. optiviz picks one rule for every elementwise activation: **at a kink the
derivative is the left-hand derivative** (the slope of the piece to the left). So ReLU'(0) = 0, exactly as
``jax.nn.relu``; leaky_relu'(0) = alpha (``jax.nn.leaky_relu`` gives 1 there; with our rule ``alpha = 0`` is ReLU
exactly); ELU'(0) = alpha and SELU'(0) = lambda * alpha (as ``jax.nn``); hard_tanh'(-1) = 0, hard_tanh'(1) = 1.
Maxout, which is not elementwise, sends the gradient at a tie to the *last* maximal piece, so maxout with pieces
(w.x, 0) equals ReLU(w.x) in value and in gradient, at the kink too.
"""
from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from . import _check as _checks
from ._dtype import floats
from .errors import InvalidValueError
from .registry import Registry

__all__ = ["Activation", "ActivationInfo", "activation", "names", "get", "parse", "SELU_LAMBDA", "SELU_ALPHA"]

#: SELU's constants (Klambauer et al., 2017, eq. 14): the fixed point with zero mean and unit variance.
SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


@dataclass(frozen=True)
class ActivationInfo:
    """A registry entry: the factory (params -> f), its default parameters, and the initialization it suits."""

    name: str
    factory: Callable[..., Callable[[Any], Any]]
    defaults: dict[str, Any]
    init: str
    summary: str = ""

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.factory) or ""


@dataclass(frozen=True, eq=False)
class Activation:
    """A built activation: call it on pre-activations ``z``.

    ``pieces`` is 1 for elementwise activations. For maxout it is k: the layer feeding it must produce
    ``units * k`` pre-activations, ordered unit by unit (unit i's pieces are columns i*k ... i*k + k - 1), and
    the activation returns ``units`` values. ``init`` names the weight initialization this activation suits
    (``glorot``, ``he`` or ``lecun``). Two activations are equal when name, parameters and function are the same.
    """

    name: str
    fn: Callable[[Any], Any] = field(repr=False)
    params: tuple[tuple[str, Any], ...] = ()
    pieces: int = 1
    init: str = "glorot"

    def __call__(self, z):
        return self.fn(z)

    def __eq__(self, other: object) -> bool:
        # the function too: equal activations share compiled programs (the plotting helpers here, a network's
        # training), so a same-named one with another function (a bare constructor, a plugin re-registered after
        # ``Registry.refresh``) must not take the first one's program. The registry builds one function per
        # factory and parameters (``_function``), so equal requests still give equal activations.
        return isinstance(other, Activation) and (self.name, self.params) == (other.name, other.params) \
            and self.fn is other.fn

    def __hash__(self) -> int:
        return hash((Activation, self.name, self.params))

    @property
    def elementwise(self) -> bool:
        return self.pieces == 1 and self.name != "maxout"

    def derivative(self, z):
        """f'(z) elementwise, by JAX: the values the backward pass uses (kinks: see the module docstring)."""
        if not self.elementwise:
            raise InvalidValueError("maxout is not elementwise: differentiate the layer, or use curve_derivative")
        return _programs().derivative(self, floats(z))

    def curve(self, x):
        """The activation as a function of one variable, for plots.

        Elementwise activations: f(x). Maxout has no single curve (its pieces are learned); this draws the
        maxout of k illustrative pieces, the tangents of x**2 / 2 at k slopes a_j evenly spaced in [-1, 1]:
        max_j (a_j x - a_j**2 / 2), a convex piecewise-linear function, which is what maxout units can represent.
        """
        return _programs().curve(self, floats(x))

    def curve_derivative(self, x):
        """d curve / dx, elementwise, by JAX."""
        return _programs().curve_derivative(self, floats(x))

    def caption(self) -> str:
        """Name and parameters as used, e.g. ``leaky_relu alpha=0.01``."""
        return " ".join([self.name] + [f"{k}={_fmt(v)}" for k, v in self.params])

    def __repr__(self) -> str:
        return f"<Activation {self.caption()}>"


def _fmt(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else (f"{v:g}" if isinstance(v, float) else str(v))


def _curve(act: Activation, x: Any) -> Any:
    import jax.numpy as jnp

    if act.elementwise:
        return act.fn(x)
    a = _maxout_slopes(act.pieces)
    z = x[..., None] * a - a**2 / 2
    return act.fn(z.reshape(*x.shape[:-1], x.shape[-1] * act.pieces) if x.ndim else z)


def _derivative(act: Activation, z: Any) -> Any:
    import jax

    return jax.vmap(jax.grad(act.fn))(z.ravel()).reshape(z.shape)


def _curve_derivative(act: Activation, x: Any) -> Any:
    import jax

    one = (lambda t: _curve(act, t[None])[0]) if not act.elementwise else act.fn
    return jax.vmap(jax.grad(one))(x.ravel()).reshape(x.shape)


class _Programs(NamedTuple):
    derivative: Callable[[Activation, Any], Any]
    curve: Callable[[Activation, Any], Any]
    curve_derivative: Callable[[Activation, Any], Any]


@functools.cache
def _programs() -> _Programs:
    """The plotting helpers as compiled programs, the activation a static argument (equal: same name, parameters
    and function): one program per activation and input shape, where calling them eagerly compiled one small
    program per JAX operation (85 for the gallery's activation plot). Built on first use: importing this module
    must not import JAX."""
    import jax

    return _Programs(*(jax.jit(f, static_argnums=0) for f in (_derivative, _curve, _curve_derivative)))


def _maxout_slopes(k: int) -> Any:
    import jax.numpy as jnp

    return jnp.linspace(-1.0, 1.0, k) if k > 1 else jnp.zeros(1)


#: an activation factory: parameters in, the activation function out
Factory = Callable[..., Callable[[Any], Any]]

_activations: Registry[ActivationInfo] = Registry("activations", describe=lambda info: (info.doc, info.defaults))


def register(name: str, *, init: str = "glorot") -> Callable[[Factory], Factory]:
    """Register an activation factory under ``name``; its keyword defaults are the documented parameters."""

    def decorator(factory: Factory) -> Factory:
        sig = inspect.signature(factory)
        defaults = {p.name: p.default for p in sig.parameters.values()}
        doc = inspect.getdoc(factory) or ""
        _activations.register(name, ActivationInfo(name, factory, defaults, init, doc.split("\n")[0]))
        return factory

    return decorator


#: the registered activation names (``names()``) and the entry for one (``get(name)``: ``UnknownNameError`` with close
#: matches if there is none): the registry's own methods
names, get = _activations.names, _activations.get


# ------------------------------------------------------------------------------------------------ built-ins
# Kinks are written with jnp.where(z > kink, right, left) so that JAX differentiates the *left* branch at the
# kink itself: the left-hand-derivative convention stated in the module docstring.

@register("linear")
def linear():
    r"""Identity: f(z) = z;  f'(z) = 1.

    A network of linear layers is one linear map (the product of its matrices), however deep: depth buys
    nothing without a nonlinearity.
    """

    def f(z):
        return z

    return f


@register("sigmoid")
def sigmoid():
    r"""Logistic sigmoid: f(z) = 1 / (1 + exp(-z));  f'(z) = f(z) (1 - f(z)) <= 1/4.

    Smooth, no kinks. Its derivative is at most 1/4 (at z = 0) and vanishes for large |z|, so backpropagation
    through many sigmoid layers multiplies many factors < 1/4: the vanishing gradient (Hochreiter, 1991;
    Glorot & Bengio, 2010). Its outputs are not zero-centred.
    """
    import jax

    def f(z):
        return jax.nn.sigmoid(z)

    return f


@register("tanh")
def tanh():
    r"""Hyperbolic tangent: f(z) = tanh(z) = 2 sigmoid(2z) - 1;  f'(z) = 1 - tanh(z)**2 <= 1.

    Smooth, zero-centred, derivative 1 at z = 0 (LeCun et al., 1998, "Efficient BackProp"), still saturating
    for large |z|.
    """
    import jax.numpy as jnp

    def f(z):
        return jnp.tanh(z)

    return f


@register("relu", init="he")
def relu():
    r"""Rectified linear unit: f(z) = max(z, 0);  f'(z) = 1 for z > 0, 0 for z <= 0.

    Kink at 0: **ReLU'(0) = 0** (left-hand derivative; the same value as ``jax.nn.relu``). The derivative is
    exactly 1 on active units, so gradients pass through active paths undiminished (Nair & Hinton, 2010;
    Glorot, Bordes & Bengio, 2011). A unit whose input stays negative gets no gradient ("dead" ReLU).
    """
    import jax.numpy as jnp

    def f(z):
        return jnp.where(z > 0, z, jnp.zeros_like(z))

    return f


@register("leaky_relu", init="he")
def leaky_relu(alpha=0.01):
    r"""Leaky ReLU: f(z) = z for z > 0, alpha * z for z <= 0;  f'(z) = 1 or alpha.

    Kink at 0: **f'(0) = alpha** (left-hand derivative), so ``alpha = 0`` is ReLU exactly, derivative included.
    Note ``jax.nn.leaky_relu`` takes the right branch at 0 (derivative 1). Maas, Hannun & Ng, 2013.
    """
    import jax.numpy as jnp

    def f(z):
        return jnp.where(z > 0, z, alpha * z)

    return f


@register("elu", init="he")
def elu(alpha=1.0):
    r"""Exponential linear unit: f(z) = z for z > 0, alpha (exp(z) - 1) for z <= 0;
    f'(z) = 1 for z > 0, alpha exp(z) for z <= 0.

    Kink at 0 (unless alpha = 1, where f is C^1): **f'(0) = alpha** (left-hand derivative, as ``jax.nn.elu``).
    Negative outputs push mean activations toward zero. Clevert, Unterthiner & Hochreiter, 2016.
    """
    import jax.numpy as jnp

    def f(z):
        # exp of the clamped input: the unused branch must not overflow, or its NaN gradient leaks through where
        neg = alpha * jnp.expm1(jnp.where(z > 0, jnp.zeros_like(z), z))
        return jnp.where(z > 0, z, neg)

    return f


@register("selu", init="lecun")
def selu(scale=SELU_LAMBDA, alpha=SELU_ALPHA):
    r"""Scaled ELU: f(z) = lambda z for z > 0, lambda alpha (exp(z) - 1) for z <= 0;
    f'(z) = lambda or lambda alpha exp(z).

    Symbols: lambda = ``scale`` = 1.0507..., alpha = ``alpha`` = 1.6733... (Klambauer et al., 2017), chosen so
    that with LeCun-normal initialization activations keep zero mean and unit variance through depth
    ("self-normalizing"). Kink at 0: **f'(0) = lambda * alpha** = 1.7581 (left-hand derivative, as ``jax.nn.selu``).
    """
    import jax.numpy as jnp

    def f(z):
        neg = alpha * jnp.expm1(jnp.where(z > 0, jnp.zeros_like(z), z))
        return scale * jnp.where(z > 0, z, neg)

    return f


@register("softplus")
def softplus(beta=1.0):
    r"""Softplus: f(z) = log(1 + exp(beta z)) / beta;  f'(z) = sigmoid(beta z).

    A smooth ReLU (no kinks); beta -> infinity approaches ReLU. Dugas et al., 2001. Computed as
    logaddexp(beta z, 0) / beta, which never overflows.
    """
    import jax.numpy as jnp

    def f(z):
        return jnp.logaddexp(beta * z, 0.0) / beta

    return f


@register("gelu", init="he")
def gelu(approximate=False):
    r"""Gaussian error linear unit: f(z) = z Phi(z) = z (1 + erf(z / sqrt 2)) / 2;
    f'(z) = Phi(z) + z phi(z), with Phi, phi the standard normal CDF and density.

    Smooth. ``approximate=True`` uses Hendrycks & Gimpel's (2016) tanh form
    z (1 + tanh(sqrt(2/pi) (z + 0.044715 z**3))) / 2, as ``jax.nn.gelu(approximate=True)``.
    """
    import jax.numpy as jnp
    from jax.scipy.special import erf

    c = math.sqrt(2.0 / math.pi)

    def exact(z):
        return 0.5 * z * (1.0 + erf(z / math.sqrt(2.0)))

    def approx(z):
        return 0.5 * z * (1.0 + jnp.tanh(c * (z + 0.044715 * z**3)))

    return approx if approximate else exact


@register("swish", init="he")
def swish(beta=1.0):
    r"""Swish: f(z) = z sigmoid(beta z);  f'(z) = sigmoid(beta z) + beta z sigmoid(beta z) (1 - sigmoid(beta z)).

    Smooth and non-monotonic (a small dip below zero). beta = 1 is SiLU (Elfwing et al., 2018); Ramachandran,
    Zoph & Le, 2017.
    """
    import jax

    def f(z):
        return z * jax.nn.sigmoid(beta * z)

    return f


@register("hard_tanh")
def hard_tanh():
    r"""Hard tanh: f(z) = -1 for z <= -1, z for -1 < z <= 1, 1 for z > 1;  f'(z) = 1 inside, 0 outside.

    Kinks at -1 and 1, with left-hand derivatives: **f'(-1) = 0, f'(1) = 1**. (``jax.nn.hard_tanh`` gives 1 at
    both.) A piecewise-linear tanh: cheap, but saturating, so deep stacks of it lose gradient where units clip.
    """
    import jax.numpy as jnp

    def f(z):
        one = jnp.ones_like(z)
        return jnp.where(z > 1, one, jnp.where(z > -1, z, -one))

    return f


@register("maxout", init="glorot")
def maxout(pieces=2):
    r"""Maxout: unit i outputs max_j z_{i,j} over its k = ``pieces`` linear pieces z_{i,j} = w_{i,j}.x + b_{i,j}.

    Goodfellow et al., 2013. Not elementwise: the layer before it computes units * k pre-activations (unit i's
    pieces are columns i*k ... i*k + k - 1) and maxout returns one value per unit. The gradient flows only into
    the maximal piece, with slope 1, so like ReLU it does not shrink gradients; with pieces (w.x, 0) it *is*
    ReLU(w.x), and with more pieces it learns any convex piecewise-linear function of its input direction.
    At a tie the gradient goes to the **last** maximal piece, which makes maxout(w.x, 0) equal ReLU(w.x)
    derivative included (ReLU'(0) = 0).
    """
    import jax
    import jax.numpy as jnp

    k = int(pieces)

    def f(z):
        z = jnp.asarray(z)
        if z.shape[-1] % k:
            raise InvalidValueError(f"maxout with {k} pieces needs a multiple of {k} inputs, got {z.shape[-1]}")
        grouped = z.reshape(*z.shape[:-1], z.shape[-1] // k, k)
        # argmax over the reversed pieces finds the last maximal one; take_along_axis routes the gradient to it
        last = k - 1 - jnp.argmax(grouped[..., ::-1], axis=-1)
        chosen = jnp.take_along_axis(grouped, jax.lax.stop_gradient(last)[..., None], axis=-1)
        return chosen[..., 0]

    return f


# ---------------------------------------------------------------------------------------------- building

_POSITIVE = ("beta", "scale")
_NONNEG = ("alpha",)


def _check(name: str, key: str, value: Any) -> Any:
    if key == "approximate":
        return _checks.flag(value, key, where=name)
    if key == "pieces":
        return _checks.whole(value, key, lo=1, hi=_checks.maximum("width"), where=name)
    if key in _POSITIVE:
        return _checks.number(value, key, lo=0, lo_open=True, where=name)
    if key in _NONNEG:
        return _checks.number(value, key, lo=0, where=name)
    return _checks.number(value, key, where=name)


def activation(name: "str | Activation", **params: Any) -> Activation:
    """Build the registered activation ``name`` (or parse ``"leaky_relu:alpha=0.1"``) with validated parameters.

    An ``Activation`` passes through unchanged (with ``params`` applied on top of its own).
    """
    if isinstance(name, Activation):
        if not params:
            return name
        params = {**dict(name.params), **params}
        name = name.name
    if not isinstance(name, str):
        raise InvalidValueError(f"an activation is a name like 'relu', got {name!r}")
    if ":" in name:
        parsed = parse(name)
        return activation(parsed.name, **{**dict(parsed.params), **params}) if params else parsed
    info = get(name.strip())
    for key in params:
        if key not in info.defaults:
            takes = ", ".join(info.defaults) or "no parameters"
            raise InvalidValueError(f"activation {info.name} has no parameter {key!r}; it takes {takes}")
    values = {k: _check(info.name, k, params.get(k, d)) for k, d in info.defaults.items()}
    pieces = values.get("pieces", 1) if info.name == "maxout" else 1
    return Activation(info.name, _function(info.factory, tuple(values.items())), tuple(values.items()), pieces,
                      info.init)


@functools.cache
def _function(factory: Factory, params: tuple[tuple[str, Any], ...]) -> Callable[[Any], Any]:
    """``factory(**params)``, built once: equal requests get the same function object, hence equal activations
    that share their compiled programs (``Activation.__eq__``); another factory under the same name, another."""
    return factory(**dict(params))


def parse(text: str) -> Activation:
    """Parse ``"relu"``, ``"leaky_relu:alpha=0.1"`` or ``"maxout:pieces=3"`` into an ``Activation``."""
    name, _, rest = text.strip().partition(":")
    if not name.strip():
        raise InvalidValueError(f"activation spec {text!r} has no name")
    pairs: list[tuple[str, Any]] = []
    for item in filter(None, (t.strip() for t in rest.split(","))):
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise InvalidValueError(f"activation spec {_checks.show(text)}: write parameters as "
                                    f"{_checks.clip(name, 30)}:key=value,key=value")
        raw = raw.strip()
        if raw.lower() in ("true", "false"):
            pairs.append((key.strip(), raw.lower() == "true"))
            continue
        try:
            pairs.append((key.strip(), int(raw) if raw.lstrip("-").isdigit() else float(raw)))
        except ValueError:
            raise InvalidValueError(f"activation {_checks.clip(name.strip(), 30)}: {_checks.clip(key.strip(), 30)}="
                                    f"{_checks.show(raw)} is not a number") from None
    return activation(name.strip(), **_checks.unique(pairs, f"activation {_checks.clip(name.strip(), 30)}"))
