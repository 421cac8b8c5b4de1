r"""Small gradient transformations, each a factory that binds its hyperparameters (as optax's ``transform.py``).

A transformation is an ``Optimizer``: a pair of pure functions over pytrees with optax's call shapes,
``init(params) -> state`` and ``update(grads, state, params=None) -> (updates, state)``. Its state is a small
NamedTuple. The registered optimizers in ``optimizers.py`` are chains of these::

    adam = chain(scale_by_adam(b1, b2, eps), scale_by_lr(lr))

Each factory only uses ``jax.numpy`` on its hyperparameters, so the engine can pass traced values: a new learning
rate never recompiles. Equations use t for the update count from 1; a schedule lr(t) sees t - 1 (as optax).

Complex parameters follow optax: second moments use ``|g|^2 = g * conj(g)``, never ``g**2``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Self, Union

from ._lazy import lazy_module
from .errors import InvalidValueError

if TYPE_CHECKING:
    import jax
    import jax.numpy as jnp
else:  # JAX loads when a transform is first built or stepped, not when the optimizer registry is read (list, describe)
    jax = lazy_module("jax")
    jnp = lazy_module("jax.numpy")

#: A hyperparameter as a factory takes it: a number, or a traced JAX scalar (how the engine passes it, so that a new
#: value does not recompile).
Scalar = Union[float, "jax.Array"]
#: A learning rate: a ``Scalar``, or a schedule (any callable of the update count, optax's schedules included).
LearningRate = Union[float, "jax.Array", Callable[[Any], Any]]

__all__ = [
    "Optimizer", "chain", "scale", "scale_by_lr", "trace", "scale_by_rss", "scale_by_rms", "scale_by_adam",
    "scale_by_amsgrad", "scale_by_adamax", "scale_by_adadelta", "scale_by_lion", "add_decayed_weights",
    "scale_by_inverse_time", "scale_by_nadam", "scale_by_radam", "scale_by_rprop",
    "EmptyState", "CountState", "TraceState", "RssState", "RmsState", "AdamState", "AmsgradState", "AdadeltaState",
    "LionState", "NadamState", "RpropState",
]


class _Pair(NamedTuple):
    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class Optimizer(_Pair):
    """``init(params) -> state`` and ``update(grads, state, params=None) -> (updates, state)``.

    optax's ``GradientTransformation`` protocol; and, once optax is imported, an instance of that very class: the
    first optimizer built after ``import optax`` makes ``Optimizer`` a subclass of ``optax.GradientTransformation``
    (``_adopt_optax``), so optax's ``isinstance`` checks, chains and wrappers take it. Not importing optax here keeps
    ``import optiviz.optimizers`` free of JAX (listing and describing the registry). Its repr names the optimizer and
    its hyperparameters when it was built by name (``ov.optimizer("adam", lr=0.1)``), or its label.
    """

    __slots__ = ()

    def __new__(cls, init: Callable[[Any], Any], update: Callable[..., Any]) -> Self:
        if not _ADOPTED:
            _adopt_optax()
        return super().__new__(cls, init, update)

    def __repr__(self) -> str:
        spec = getattr(self, "spec", None)
        caption = getattr(spec, "caption", None)
        if callable(caption):
            return f"<optiviz optimizer {caption()}>"
        label = getattr(self, "label", None)
        return f"<optiviz optimizer {label}>" if label else "<optiviz optimizer (init, update)>"


_ADOPTED = False


def _adopt_optax() -> None:
    """Rebase ``Optimizer`` on ``optax.GradientTransformation`` if optax has been imported (by anyone).

    Both are NamedTuples of (init, update) with no other fields, so the swap changes no layout; optimizers made
    before it become instances too (``isinstance`` reads the class's bases when asked).
    """
    global _ADOPTED
    import sys

    base = getattr(sys.modules.get("optax"), "GradientTransformation", None)
    if base is None:
        return
    if base not in Optimizer.__mro__ and tuple(getattr(base, "_fields", ())) == _Pair._fields:
        Optimizer.__bases__ = (base,)
    _ADOPTED = True


def _map(fn, *trees):
    return jax.tree_util.tree_map(fn, *trees)


def _zeros(params):
    return _map(jnp.zeros_like, params)


def _abs_sq(g):
    """|g|^2: g * conj(g) for complex numbers (as optax), g**2 for real ones."""
    return (g * jnp.conj(g)).real if jnp.iscomplexobj(g) else jnp.square(g)


# A state's ``count`` field shadows the tuple method ``count`` (as in optax): harmless for a pytree of arrays, and
# the name optax's states use, so it stays; the type checker is told so on each such line.
class EmptyState(NamedTuple):
    pass


class CountState(NamedTuple):
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax's states do


class TraceState(NamedTuple):
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    trace: Any


class RssState(NamedTuple):
    sum_of_squares: Any


class RmsState(NamedTuple):
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    mu: Any  # the running mean of g (centered RMSProp only; zeros otherwise)
    nu: Any


class AdamState(NamedTuple):
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    mu: Any
    nu: Any


class AmsgradState(NamedTuple):
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    mu: Any
    nu: Any
    nu_max: Any


class NadamState(NamedTuple):
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax's states do
    mu: Any
    nu: Any
    mu_product: jax.Array


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


def scale(factor: Scalar) -> Optimizer:
    """u = factor * g."""

    def update(grads, state, params=None):
        del params
        return _map(lambda g: factor * g, grads), state

    return Optimizer(lambda params: EmptyState(), update)


def scale_by_lr(lr: LearningRate) -> Optimizer:
    """u = -eta_t * g, with eta_t = lr, or lr(t) for a schedule: any callable of the update count t (t = 0 at the
    first update), optiviz's ``Schedule`` and optax's schedules included."""
    if not callable(lr):
        return scale(-lr)

    def update(grads, state, params=None):
        del params
        step = lr(state.count)
        return _map(lambda g: -step * g, grads), CountState(state.count + 1)

    return Optimizer(lambda params: CountState(_count0()), update)


def trace(decay: Scalar, nesterov: bool = False, dampening: Scalar = 0.0) -> Optimizer:
    """v_1 = g_1;  v_t = decay * v_{t-1} + (1 - dampening) * g_t;  u = v_t, or g_t + decay * v_t with ``nesterov``.

    With ``dampening`` = 0 this is optax's ``trace`` (v_0 = 0); a nonzero ``dampening`` is PyTorch's SGD option,
    which leaves the first gradient undamped (its buffer starts as a copy of g_1).
    """

    def update(grads, state, params=None):
        del params
        keep = jnp.where(state.count == 0, 1.0, 1.0 - dampening)
        v = _map(lambda g, t: decay * t + keep * g, grads, state.trace)
        out = _map(lambda g, t: g + decay * t, grads, v) if nesterov else v
        return out, TraceState(state.count + 1, v)

    return Optimizer(lambda params: TraceState(_count0(), _zeros(params)), update)


def scale_by_inverse_time(rate: Scalar) -> Optimizer:
    """u = g / (1 + t * rate), t = 0 at the first update: PyTorch's Adagrad ``lr_decay``."""

    def update(grads, state, params=None):
        del params
        factor = 1.0 / (1.0 + state.count * rate)
        return _map(lambda g: factor * g, grads), CountState(state.count + 1)

    return Optimizer(lambda params: CountState(_count0()), update)


def scale_by_rss(initial_accumulator_value: Scalar = 0.1, eps: Scalar = 1e-7, eps_in_sqrt: bool = True) -> Optimizer:
    """``G_t = G_{t-1} + |g_t|**2`` (G_0 = initial_accumulator_value);  u = g_t / sqrt(G_t + eps) (``eps_in_sqrt``,
    optax) or g_t / (sqrt(G_t) + eps) (PyTorch);  u = 0 where G_t = 0."""

    def update(grads, state, params=None):
        del params
        acc = _map(lambda g, a: a + _abs_sq(g), grads, state.sum_of_squares)

        def step(g, a):
            if eps_in_sqrt:
                return jnp.where(a > 0, g * jax.lax.rsqrt(a + eps), 0.0)
            return jnp.where(a > 0, g / (jnp.sqrt(a) + eps), 0.0)

        return _map(step, grads, acc), RssState(acc)

    def init(params):
        return RssState(_map(lambda p: jnp.full_like(p, initial_accumulator_value), params))

    return Optimizer(init, update)


def scale_by_rms(decay: Scalar = 0.9, eps: Scalar = 1e-8, initial_scale: Scalar = 0.0, eps_in_sqrt: bool = True,
                 bias_correction: bool = False, centered: bool = False) -> Optimizer:
    """``nu_t = decay * nu_{t-1} + (1 - decay) * |g|**2`` (nu_0 = initial_scale);  nu_hat = nu_t / (1 - decay**t) with
    ``bias_correction``;  u = g / sqrt(nu_hat + eps) (``eps_in_sqrt``) or g / (sqrt(nu_hat) + eps).

    ``centered`` (Graves, 2013; optax's ``scale_by_stddev``, PyTorch's ``centered``) also keeps
    mu_t = decay * mu_{t-1} + (1 - decay) * g (mu_0 = 0) and uses ``nu_hat - |mu_hat|**2``, the variance, instead.
    The flags may be Python bools (the branch is chosen while tracing, so the other costs nothing) or traced
    booleans (both branches are computed and one is selected).
    """

    def choose(flag, if_true, if_false):
        if isinstance(flag, bool):
            return if_true() if flag else if_false()
        return jnp.where(flag, if_true(), if_false())

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        nu = _map(lambda g, n: decay * n + (1 - decay) * _abs_sq(g), grads, state.nu)
        mu = state.mu
        if not (isinstance(centered, bool) and not centered):
            mu = _map(lambda g, m: decay * m + (1 - decay) * g, grads, state.mu)
        correction = choose(bias_correction, lambda: 1 - decay ** count, lambda: 1.0)

        def step(g, m, n):
            var = choose(centered, lambda: n / correction - _abs_sq(m / correction), lambda: n / correction)
            return choose(eps_in_sqrt, lambda: g * jax.lax.rsqrt(var + eps), lambda: g / (jnp.sqrt(var) + eps))

        return _map(step, grads, mu, nu), RmsState(count, mu, nu)

    def init(params):
        return RmsState(_count0(), _zeros(params), _map(lambda p: jnp.full_like(p, initial_scale), params))

    return Optimizer(init, update)


def _adam_moments(grads, state, b1, b2):
    """Adam's moment step, shared by Adam, AMSGrad, PyTorch's NAdam and RAdam: t = count + 1;  m_t = b1 m + (1 - b1) g;
    v_t = b2 v + (1 - b2) |g|**2;  and the bias corrections c1 = 1 - b1**t, c2 = 1 - b2**t."""
    count = state.count + 1
    mu = _map(lambda g, m: b1 * m + (1 - b1) * g, grads, state.mu)
    nu = _map(lambda g, v: b2 * v + (1 - b2) * _abs_sq(g), grads, state.nu)
    return count, mu, nu, 1 - b1 ** count, 1 - b2 ** count


def scale_by_adam(b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8, nesterov: bool = False) -> Optimizer:
    """m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) g**2;  m_hat = m_t / (1 - b1**t);  v_hat = v_t / (1 - b2**t);
    u = m_hat / (sqrt(v_hat) + eps).  With ``nesterov`` (NAdam, Dozat 2016), m_hat is replaced by
    b1 m_t / (1 - b1**(t+1)) + (1 - b1) g / (1 - b1**t)."""

    def update(grads, state, params=None):
        del params
        count, mu, nu, c1, c2 = _adam_moments(grads, state, b1, b2)
        if nesterov:
            c1_next = 1 - b1 ** (count + 1)
            mu_hat = _map(lambda m, g: b1 * m / c1_next + (1 - b1) * g / c1, mu, grads)
        else:
            mu_hat = _map(lambda m: m / c1, mu)
        out = _map(lambda m, v: m / (jnp.sqrt(v / c2) + eps), mu_hat, nu)
        return out, AdamState(count, mu, nu)

    return Optimizer(lambda params: AdamState(_count0(), _zeros(params), _zeros(params)), update)


def scale_by_amsgrad(b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8, convention: str = "optax") -> Optimizer:
    """As Adam, but divides by a running maximum of the second moment (Reddi et al., 2018).

    ``"optax"``: v_max_t = max(v_max_{t-1}, v_hat_t) over the bias-corrected v_hat;  u = m_hat / (sqrt(v_max_t) + eps).
    ``"torch"``: v_max_t = max(v_max_{t-1}, v_t) over the raw v;  u = m_hat / (sqrt(v_max_t / (1 - b2**t)) + eps).
    """

    def update(grads, state, params=None):
        del params
        count, mu, nu, c1, c2 = _adam_moments(grads, state, b1, b2)
        if convention == "torch":
            nu_max = _map(jnp.maximum, state.nu_max, nu)
            out = _map(lambda m, vm: m / c1 / (jnp.sqrt(vm) / jnp.sqrt(c2) + eps), mu, nu_max)
        else:
            nu_max = _map(lambda vm, v: jnp.maximum(vm, v / c2), state.nu_max, nu)
            out = _map(lambda m, vm: m / c1 / (jnp.sqrt(vm) + eps), mu, nu_max)
        return out, AmsgradState(count, mu, nu, nu_max)

    def init(params):
        return AmsgradState(_count0(), _zeros(params), _zeros(params), _zeros(params))

    return Optimizer(init, update)


def scale_by_adamax(b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8) -> Optimizer:
    """m_t = b1 m + (1 - b1) g;  ``u_t = max(b2 u_{t-1}, |g| + eps)``;  step = m_t / (1 - b1**t) / u_t  (Kingma & Ba, 2015, sec. 7)."""

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        mu = _map(lambda g, m: b1 * m + (1 - b1) * g, grads, state.mu)
        nu = _map(lambda g, u: jnp.maximum(jnp.abs(g) + eps, b2 * u), grads, state.nu)
        out = _map(lambda m, u: m / (1 - b1 ** count) / u, mu, nu)
        return out, AdamState(count, mu, nu)

    return Optimizer(lambda params: AdamState(_count0(), _zeros(params), _zeros(params)), update)


def scale_by_nadam(b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8,
                   momentum_decay: Scalar = 4e-3) -> Optimizer:
    """PyTorch's NAdam, with Dozat's momentum schedule mu_t = b1 * (1 - 0.5 * 0.96**(t * momentum_decay)).

    The update::

        m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) |g|**2;  P_t = mu_1 ... mu_t;  d_t = sqrt(v_t / (1 - b2**t)) + eps
        u = (1 - mu_t) / (1 - P_t) * g / d_t + mu_{t+1} / (1 - P_t mu_{t+1}) * m_t / d_t
    """

    def update(grads, state, params=None):
        del params
        count, mu, nu, _, c2 = _adam_moments(grads, state, b1, b2)
        mu_t = b1 * (1 - 0.5 * 0.96 ** (count * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((count + 1) * momentum_decay))
        product = state.mu_product * mu_t

        def step(g, m, v):
            d = jnp.sqrt(v / c2) + eps
            return (1 - mu_t) / (1 - product) * g / d + mu_next / (1 - product * mu_next) * m / d

        return _map(step, grads, mu, nu), NadamState(count, mu, nu, product)

    def init(params):
        leaves = jax.tree_util.tree_leaves(params)
        one = jnp.ones([], jnp.result_type(*leaves) if leaves else jnp.float32)
        return NadamState(_count0(), _zeros(params), _zeros(params), one.real)

    return Optimizer(init, update)


def scale_by_radam(b1: Scalar = 0.9, b2: Scalar = 0.999, eps: Scalar = 1e-8, threshold: Scalar = 5.0,
                   convention: str = "optax") -> Optimizer:
    """Rectified Adam (Liu et al., 2020): Adam's step times a rectification r_t once the variance of the adaptive
    step is tractable, plain momentum m_hat before.

        rho_inf = 2 / (1 - b2) - 1;  rho_t = rho_inf - 2 t b2**t / (1 - b2**t)
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        ``"optax"``: u = r_t m_hat / (sqrt(v_hat) + eps) if rho_t >= threshold, else m_hat
        ``"torch"``: u = r_t m_hat sqrt(1 - b2**t) / (sqrt(v_t) + eps) if rho_t > threshold, else m_hat
    """
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def update(grads, state, params=None):
        del params
        count, mu, nu, c1, c2 = _adam_moments(grads, state, b1, b2)
        rho = rho_inf - 2 * count * b2 ** count / c2
        # the rectification is used only where rho > 4; clamp elsewhere so the unused branch is no NaN
        safe = jnp.maximum(rho, 5.0)
        r = jnp.sqrt((safe - 4) * (safe - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * safe))
        if convention == "torch":
            use = rho > threshold
            out = _map(lambda m, v: jnp.where(use, m / c1 * r * jnp.sqrt(c2) / (jnp.sqrt(v) + eps), m / c1), mu, nu)
        else:
            use = rho >= threshold
            out = _map(lambda m, v: jnp.where(use, r * (m / c1) / (jnp.sqrt(v / c2) + eps), m / c1), mu, nu)
        return out, AdamState(count, mu, nu)

    return Optimizer(lambda params: AdamState(_count0(), _zeros(params), _zeros(params)), update)


def scale_by_adadelta(rho: Scalar = 0.9, eps: Scalar = 1e-6) -> Optimizer:
    """E[g²]_t = rho E[g²] + (1 - rho) g²;  dx = sqrt(E[dx²]_{t-1} + eps) / sqrt(E[g²]_t + eps) * g;
    E[dx²]_t = rho E[dx²] + (1 - rho) dx²  (Zeiler, 2012)."""

    def update(grads, state, params=None):
        del params
        e_g = _map(lambda g, e: rho * e + (1 - rho) * _abs_sq(g), grads, state.e_g)
        dx = _map(lambda g, eg, ex: jnp.sqrt(ex + eps) / jnp.sqrt(eg + eps) * g, grads, e_g, state.e_x)
        e_x = _map(lambda d, e: rho * e + (1 - rho) * _abs_sq(d), dx, state.e_x)
        return dx, AdadeltaState(e_g, e_x)

    return Optimizer(lambda params: AdadeltaState(_zeros(params), _zeros(params)), update)


def scale_by_lion(b1: Scalar = 0.9, b2: Scalar = 0.99) -> Optimizer:
    """c_t = sign(b1 m_{t-1} + (1 - b1) g_t);  m_t = b2 m_{t-1} + (1 - b2) g_t;  u = c_t  (Chen et al., 2023)."""

    def update(grads, state, params=None):
        del params
        out = _map(lambda g, m: jnp.sign(b1 * m + (1 - b1) * g), grads, state.mu)
        mu = _map(lambda g, m: b2 * m + (1 - b2) * g, grads, state.mu)
        return out, LionState(mu)

    return Optimizer(lambda params: LionState(_zeros(params)), update)


def add_decayed_weights(weight_decay: Scalar) -> Optimizer:
    """u = g + weight_decay * params (decoupled weight decay when chained after the scaling)."""

    def update(grads, state, params=None):
        if params is None:
            if isinstance(weight_decay, (int, float)) and weight_decay == 0:
                return grads, state  # nothing to decay: do not insist on params
            raise InvalidValueError("weight decay needs params: call update(grads, state, params)")
        return _map(lambda g, p: g + weight_decay * p, grads, params), state

    return Optimizer(lambda params: EmptyState(), update)


class RpropState(NamedTuple):
    step_sizes: Any
    prev: Any  # torch: the last gradient used (0 where its sign flipped); optax: the last step it computed


def scale_by_rprop(lr: Scalar = 0.01, eta_minus: Scalar = 0.5, eta_plus: Scalar = 1.2, min_step_size: Scalar = 1e-6,
                   max_step_size: Scalar = 50.0, convention: str = "optax") -> Optimizer:
    """Rprop (Riedmiller & Braun, 1993): a step size per coordinate, grown by ``eta_plus`` while the gradient keeps
    its sign and cut by ``eta_minus`` when it flips (a flipped coordinate does not move, and forgets its gradient);
    the step is step_size * sign(g), whatever the gradient's size. Outputs the step to subtract.

    ``"torch"``: s = sign(g_t g_{t-1});  step_t = clip(step_{t-1} * (eta_plus if s > 0, eta_minus if s < 0, else 1));
                 u_t = step_t * sign(g_t) (0 where s < 0, and g_t is then remembered as 0).
    ``"optax"``: the same rule with the sign test against optax's previous *step*, the step size left unclipped
                 where s = 0, and the step returned one update late: u_t = step_{t-1} * sign(g_{t-1}) (u_1 = 0).
    """

    def update(grads, state, params=None):
        del params
        for g in jax.tree_util.tree_leaves(grads):
            if jnp.iscomplexobj(g):
                raise InvalidValueError("rprop compares the signs of successive gradients, which complex numbers do "
                                        "not have: give it real parameters")
        s = _map(lambda g, p: jnp.sign(g * p), grads, state.prev)
        if convention == "torch":
            factor = _map(lambda s: jnp.where(s > 0, eta_plus, jnp.where(s < 0, eta_minus, 1.0)), s)
            steps = _map(lambda st, f: jnp.clip(st * f, min_step_size, max_step_size), state.step_sizes, factor)
            kept = _map(lambda s, g: jnp.where(s < 0, 0.0, g), s, grads)
            out = _map(lambda g, st: jnp.sign(g) * st, kept, steps)
            return out, RpropState(steps, kept)
        steps = _map(lambda s, st: jnp.where(s == 0, st, jnp.clip(st * jnp.where(s > 0, eta_plus, eta_minus),
                                                                      min_step_size, max_step_size)),
                     s, state.step_sizes)
        new_prev = _map(lambda s, g, st: jnp.where(s < 0, 0.0, st * jnp.sign(g)), s, grads, steps)
        out = _map(lambda s, p: jnp.where(s < 0, 0.0, p), s, state.prev)
        return out, RpropState(steps, new_prev)

    def init(params):
        return RpropState(_map(lambda p: jnp.full_like(p, lr), params), _zeros(params))

    return Optimizer(init, update)
