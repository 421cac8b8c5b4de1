r"""Small gradient transformations, each a factory that binds its hyperparameters (as optax's ``transform.py``).

A transformation is an ``Optimizer``: a pair of pure functions over pytrees with optax's call shapes,
``init(params) -> state`` and ``update(grads, state, params=None) -> (updates, state)``. Its state is a small
NamedTuple. The registered optimizers in ``optimizers.py`` are chains of these::

    adam = chain(scale_by_adam(b1, b2, eps), scale_by_lr(lr))

Each factory only uses ``jax.numpy`` on its hyperparameters, so the engine can pass traced values: a new learning
rate never recompiles. Equations use t for the update count from 1; a schedule lr(t) sees t - 1 (as optax).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

from ._lazy import lazy_module
from .errors import InvalidValueError

# JAX loads when a transform is first built or stepped, not when the optimizer registry is read (list, describe)
jax = lazy_module("jax")
jnp = lazy_module("jax.numpy")

__all__ = [
    "Optimizer", "chain", "scale", "scale_by_lr", "trace", "scale_by_rss", "scale_by_rms", "scale_by_adam",
    "scale_by_amsgrad", "scale_by_adamax", "scale_by_adadelta", "scale_by_lion", "add_decayed_weights",
    "EmptyState", "CountState", "TraceState", "RssState", "RmsState", "AdamState", "AmsgradState", "AdadeltaState",
    "LionState",
]


class Optimizer(NamedTuple):
    """``init(params) -> state`` and ``update(grads, state, params=None) -> (updates, state)``.

    The same shape as ``optax.GradientTransformation``: either can be used where the other is expected.
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


def _map(fn, *trees):
    return jax.tree_util.tree_map(fn, *trees)


def _zeros(params):
    return _map(jnp.zeros_like, params)


class EmptyState(NamedTuple):
    pass


class CountState(NamedTuple):
    count: jax.Array


class TraceState(NamedTuple):
    trace: Any


class RssState(NamedTuple):
    sum_of_squares: Any


class RmsState(NamedTuple):
    count: jax.Array
    nu: Any


class AdamState(NamedTuple):
    count: jax.Array
    mu: Any
    nu: Any


class AmsgradState(NamedTuple):
    count: jax.Array
    mu: Any
    nu: Any
    nu_max: Any


class AdadeltaState(NamedTuple):
    e_g: Any
    e_x: Any


class LionState(NamedTuple):
    mu: Any


def _count0():
    return jnp.zeros([], jnp.int32)


def chain(*transforms: Optimizer) -> Optimizer:
    """Apply ``transforms`` in order; the state is the tuple of their states."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None):
        new_state = []
        for t, s in zip(transforms, state):
            grads, s = t.update(grads, s, params)
            new_state.append(s)
        return grads, tuple(new_state)

    return Optimizer(init, update)


def scale(factor) -> Optimizer:
    """u = factor * g."""

    def update(grads, state, params=None):
        del params
        return _map(lambda g: factor * g, grads), state

    return Optimizer(lambda params: EmptyState(), update)


def scale_by_lr(lr) -> Optimizer:
    """u = -eta_t * g, with eta_t = lr, or lr(t) for a ``Schedule`` (t = 0 at the first update)."""
    if not callable(lr):
        return scale(-lr)

    def update(grads, state, params=None):
        del params
        step = lr(state.count)
        return _map(lambda g: -step * g, grads), CountState(state.count + 1)

    return Optimizer(lambda params: CountState(_count0()), update)


def trace(decay, nesterov: bool = False) -> Optimizer:
    """v_t = g_t + decay * v_{t-1};  u = v_t, or g_t + decay * v_t with ``nesterov``."""

    def update(grads, state, params=None):
        del params
        v = _map(lambda g, t: g + decay * t, grads, state.trace)
        out = _map(lambda g, t: g + decay * t, grads, v) if nesterov else v
        return out, TraceState(v)

    return Optimizer(lambda params: TraceState(_zeros(params)), update)


def scale_by_rss(initial_accumulator_value=0.1, eps=1e-7) -> Optimizer:
    """G_t = G_{t-1} + g_t**2 (G_0 = initial_accumulator_value);  u = g_t / sqrt(G_t + eps)  (0 where G_t = 0)."""

    def update(grads, state, params=None):
        del params
        acc = _map(lambda g, a: a + jnp.square(g), grads, state.sum_of_squares)
        out = _map(lambda g, a: jnp.where(a > 0, g * jax.lax.rsqrt(a + eps), 0.0), grads, acc)
        return out, RssState(acc)

    def init(params):
        return RssState(_map(lambda p: jnp.full_like(p, initial_accumulator_value), params))

    return Optimizer(init, update)


def scale_by_rms(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True, bias_correction=False) -> Optimizer:
    """nu_t = decay * nu_{t-1} + (1 - decay) * g**2 (nu_0 = initial_scale);  nu_hat = nu_t / (1 - decay**t) with
    ``bias_correction``;  u = g / sqrt(nu_hat + eps) (``eps_in_sqrt``) or g / (sqrt(nu_hat) + eps).

    The two flags may be Python bools (the branch is chosen while tracing, so the other costs nothing) or traced
    booleans (both branches are computed and one is selected).
    """

    def choose(flag, if_true, if_false):
        if isinstance(flag, bool):
            return if_true() if flag else if_false()
        return jnp.where(flag, if_true(), if_false())

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        nu = _map(lambda g, n: decay * n + (1 - decay) * jnp.square(g), grads, state.nu)
        correction = choose(bias_correction, lambda: 1 - decay ** count, lambda: 1.0)

        def step(g, n):
            n_hat = n / correction
            return choose(eps_in_sqrt, lambda: g * jax.lax.rsqrt(n_hat + eps), lambda: g / (jnp.sqrt(n_hat) + eps))

        return _map(step, grads, nu), RmsState(count, nu)

    def init(params):
        return RmsState(_count0(), _map(lambda p: jnp.full_like(p, initial_scale), params))

    return Optimizer(init, update)


def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, nesterov: bool = False) -> Optimizer:
    """m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) g**2;  m_hat = m_t / (1 - b1**t);  v_hat = v_t / (1 - b2**t);
    u = m_hat / (sqrt(v_hat) + eps).  With ``nesterov`` (NAdam, Dozat 2016), m_hat is replaced by
    b1 m_t / (1 - b1**(t+1)) + (1 - b1) g / (1 - b1**t)."""

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        mu = _map(lambda g, m: b1 * m + (1 - b1) * g, grads, state.mu)
        nu = _map(lambda g, v: b2 * v + (1 - b2) * jnp.square(g), grads, state.nu)
        c1, c2 = 1 - b1 ** count, 1 - b2 ** count
        if nesterov:
            c1_next = 1 - b1 ** (count + 1)
            mu_hat = _map(lambda m, g: b1 * m / c1_next + (1 - b1) * g / c1, mu, grads)
        else:
            mu_hat = _map(lambda m: m / c1, mu)
        out = _map(lambda m, v: m / (jnp.sqrt(v / c2) + eps), mu_hat, nu)
        return out, AdamState(count, mu, nu)

    return Optimizer(lambda params: AdamState(_count0(), _zeros(params), _zeros(params)), update)


def scale_by_amsgrad(b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    """As Adam, but divides by the running maximum of the bias-corrected v_hat (Reddi et al., 2018):
    v_max_t = max(v_max_{t-1}, v_hat_t);  u = m_hat / (sqrt(v_max_t) + eps)."""

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        mu = _map(lambda g, m: b1 * m + (1 - b1) * g, grads, state.mu)
        nu = _map(lambda g, v: b2 * v + (1 - b2) * jnp.square(g), grads, state.nu)
        nu_max = _map(lambda vm, v: jnp.maximum(vm, v / (1 - b2 ** count)), state.nu_max, nu)
        out = _map(lambda m, vm: m / (1 - b1 ** count) / (jnp.sqrt(vm) + eps), mu, nu_max)
        return out, AmsgradState(count, mu, nu, nu_max)

    def init(params):
        return AmsgradState(_count0(), _zeros(params), _zeros(params), _zeros(params))

    return Optimizer(init, update)


def scale_by_adamax(b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    """m_t = b1 m + (1 - b1) g;  u_t = max(b2 u_{t-1}, |g| + eps);  step = m_t / (1 - b1**t) / u_t  (Kingma & Ba, 2015, sec. 7)."""

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        mu = _map(lambda g, m: b1 * m + (1 - b1) * g, grads, state.mu)
        nu = _map(lambda g, u: jnp.maximum(jnp.abs(g) + eps, b2 * u), grads, state.nu)
        out = _map(lambda m, u: m / (1 - b1 ** count) / u, mu, nu)
        return out, AdamState(count, mu, nu)

    return Optimizer(lambda params: AdamState(_count0(), _zeros(params), _zeros(params)), update)


def scale_by_adadelta(rho=0.9, eps=1e-6) -> Optimizer:
    """E[g²]_t = rho E[g²] + (1 - rho) g²;  dx = sqrt(E[dx²]_{t-1} + eps) / sqrt(E[g²]_t + eps) * g;
    E[dx²]_t = rho E[dx²] + (1 - rho) dx²  (Zeiler, 2012)."""

    def update(grads, state, params=None):
        del params
        e_g = _map(lambda g, e: rho * e + (1 - rho) * jnp.square(g), grads, state.e_g)
        dx = _map(lambda g, eg, ex: jnp.sqrt(ex + eps) / jnp.sqrt(eg + eps) * g, grads, e_g, state.e_x)
        e_x = _map(lambda d, e: rho * e + (1 - rho) * jnp.square(d), dx, state.e_x)
        return dx, AdadeltaState(e_g, e_x)

    return Optimizer(lambda params: AdadeltaState(_zeros(params), _zeros(params)), update)


def scale_by_lion(b1=0.9, b2=0.99) -> Optimizer:
    """c_t = sign(b1 m_{t-1} + (1 - b1) g_t);  m_t = b2 m_{t-1} + (1 - b2) g_t;  u = c_t  (Chen et al., 2023)."""

    def update(grads, state, params=None):
        del params
        out = _map(lambda g, m: jnp.sign(b1 * m + (1 - b1) * g), grads, state.mu)
        mu = _map(lambda g, m: b2 * m + (1 - b2) * g, grads, state.mu)
        return out, LionState(mu)

    return Optimizer(lambda params: LionState(_zeros(params)), update)


def add_decayed_weights(weight_decay) -> Optimizer:
    """u = g + weight_decay * params (decoupled weight decay when chained after the scaling)."""

    def update(grads, state, params=None):
        if params is None:
            if isinstance(weight_decay, (int, float)) and weight_decay == 0:
                return grads, state  # nothing to decay: do not insist on params
            raise InvalidValueError("weight decay needs params: call update(grads, state, params)")
        return _map(lambda g, p: g + weight_decay * p, grads, params), state

    return Optimizer(lambda params: EmptyState(), update)
