"""Learning-rate schedules: ``lr`` may be a number, a ``Schedule``, or any callable of the step count.

A schedule maps the update count ``t`` (0 for the first update, as in optax) to a step size. It is a
pytree whose numbers are leaves and whose name is static, so a schedule with new numbers does not
recompile a compiled trajectory. Any other callable of the step (an optax schedule such as
``optax.cosine_decay_schedule(0.1, 500)``, a lambda) is a learning rate too, wrapped in a ``StepFunction``.

    ov.schedule("cosine", lr=0.1, steps=500)       # or ov.schedules.names()

Conventions: a schedule follows optax's formula, or PyTorch's (``torch.optim.lr_scheduler``) with
``convention="torch"``; a schedule that does not say takes its optimizer's convention
(``ov.optimizer("adam", convention="torch", lr=ov.schedule("cosine", ...))`` is torch's Adam under torch's
``CosineAnnealingLR``). The update count is the same in both: PyTorch calls ``scheduler.step()`` after
``optimizer.step()``, so update t (from 0) uses the learning rate of t scheduler steps, eta_t. Only ``cosine``
computes something else under torch's convention (it does not stop at ``steps``: see its docstring).
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

from . import _check as _checks
from ._lazy import lazy_module
from .errors import InvalidValueError
from .registry import Registry, did_you_mean

# JAX loads when a schedule is first evaluated, not when the registry is read (list, describe)
jax = lazy_module("jax")
jnp = lazy_module("jax.numpy")

def _parameters(fn: Callable[..., Any]) -> tuple[str, dict[str, Any]]:
    """A schedule's docstring and its parameters after ``t`` with their defaults (None: required, as ``lr``)."""
    params = inspect.signature(fn).parameters.values()
    return inspect.getdoc(fn) or "", {p.name: None if p.default is p.empty else p.default for p in params
                                      if p.name != "t"}


_schedules: Registry[Callable[..., Any]] = Registry("schedules", describe=_parameters)

#: the frameworks whose formulas optiviz follows by name, for optimizers and schedules: optax's (the default) and
#: PyTorch's (``convention="torch"``)
CONVENTIONS = ("optax", "torch")


def check_convention(value: Any, where: str) -> str:
    """``value`` if it names a convention, else ``InvalidValueError``: ``<where>: unknown convention ...``."""
    if value not in CONVENTIONS:
        raise InvalidValueError(f"{where}: unknown convention {_checks.show(value)}; "
                                f"{did_you_mean(str(value), list(CONVENTIONS))}")
    return value
register = _schedules.register


def names() -> list[str]:
    """The registered schedule names."""
    return _schedules.names()


def get(name: str) -> Callable[..., Any]:
    return _schedules.get(name)


@register("constant")
def constant(t, lr):
    """eta_t = lr: a fixed step size (optax.constant_schedule; PyTorch: no scheduler)."""
    del t
    return lr


@register("exponential")
def exponential(t, lr, decay_rate=0.99, transition_steps=1.0):
    """eta_t = lr * decay_rate ** (t / transition_steps): smooth geometric decay.

    Symbols: lr = ``lr``, ``decay_rate`` in (0, 1], ``transition_steps`` > 0. Equals
    optax.exponential_decay(lr, transition_steps, decay_rate) (not staircased), and with transition_steps = 1
    PyTorch's ExponentialLR(gamma=decay_rate) (the same formula under both conventions).
    """
    return lr * decay_rate ** (t / transition_steps)


@register("inverse_sqrt")
def inverse_sqrt(t, lr):
    """eta_t = lr / sqrt(t + 1): the decaying step size of the Adagrad lesson.

    The step size whose O(sqrt(T)) regret bound Adagrad's per-coordinate 1 / sqrt(G_t) imitates (Zinkevich, 2003;
    Duchi, Hazan & Singer, 2011). t + 1 so that the first update uses lr. PyTorch has it as
    LambdaLR(lr_lambda=lambda t: 1 / sqrt(t + 1)) (the same formula under both conventions).
    """
    return lr / jnp.sqrt(t + 1.0)


@register("cosine")
def cosine(t, lr, steps=1000.0, alpha=0.0, convention="optax"):
    """eta_t = lr * ((1 - alpha) * (1 + cos(pi * min(t, steps) / steps)) / 2 + alpha): half a cosine wave.

    Falls from lr to alpha * lr over ``steps`` updates. Symbols: lr = ``lr``, ``steps`` > 0, ``alpha`` in [0, 1]
    (the floor as a fraction of lr), ``convention``.
    Conventions: optax (``optax.cosine_decay_schedule(lr, steps, alpha)``) then stays at alpha * lr. PyTorch
    (``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=steps, eta_min=alpha * lr)``, ``convention="torch"``)
    keeps following the cosine without the min: eta_t = lr * ((1 - alpha) * (1 + cos(pi * t / steps)) / 2 + alpha),
    back up to lr at t = 2 steps and down again (period 2 steps); torch computes it by a recursion whose values
    equal this closed form to rounding (float64, 500 updates: relative 4e-13 at most, near the troughs).
    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017 (one
    cycle, no restart); PyTorch's documentation of ``CosineAnnealingLR``.
    """
    frac = (t if convention == "torch" else jnp.minimum(t, steps)) / steps
    return lr * ((1.0 - alpha) * 0.5 * (1.0 + jnp.cos(math.pi * frac)) + alpha)


@register("step")
def step(t, lr, every=100.0, factor=0.5):
    """eta_t = lr * factor ** floor(t / every): piecewise-constant decay.

    Multiplies the step size by ``factor`` after every ``every`` updates. Equals
    optax.exponential_decay(lr, every, factor, staircase=True) and PyTorch's StepLR(step_size=every,
    gamma=factor) (the same formula under both conventions).
    """
    return lr * factor ** jnp.floor(t / every)


@dataclass(frozen=True)
class Schedule:
    """A named schedule with its parameters bound; call it with the update count.

    A JAX pytree (its numbers are leaves, its name and convention static); it registers itself as one when the
    first schedule is made, so that defining the class does not import JAX. ``convention`` None: its optimizer's
    (optax's when called on its own).
    """

    name: str
    params: tuple[tuple[str, Any], ...]
    convention: str | None = None

    def __post_init__(self) -> None:
        _register_pytree()

    def __call__(self, t):
        fn = get(self.name)
        if _takes_convention(fn):  # a schedule whose formula depends on it
            return fn(t, **dict(self.params), convention=self.convention or "optax")
        return fn(t, **dict(self.params))

    @property
    def lr(self):
        return dict(self.params)["lr"]

    def tree_flatten(self):
        return [v for _, v in self.params], (self.name, tuple(k for k, _ in self.params), self.convention)

    @classmethod
    def tree_unflatten(cls, aux, leaves):
        name, keys, convention = aux
        return cls(name, tuple(zip(keys, leaves)), convention)

    def __str__(self) -> str:
        inner = ", ".join([f"{k}={_fmt(v)}" for k, v in self.params]
                          + ([f"convention={self.convention}"] if self.convention else []))
        return f"{self.name}({inner})"



@functools.cache
def _takes_convention(fn: Callable[..., Any]) -> bool:
    try:
        return "convention" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a callable without a signature (a builtin): it cannot take one
        return False


@functools.cache
def _register_pytree() -> None:
    """Make ``Schedule``, ``StepFunction`` and ``Scaled`` JAX pytrees (once per process, when the first is made)."""
    for cls in (Schedule, StepFunction, Scaled):
        jax.tree_util.register_pytree_node_class(cls)


class StepFunction:
    """Any callable of the update count used as a learning rate (an optax schedule, a lambda, ...).

    It has no traced numbers: the function itself is static, so a compiled trajectory is reused for the same
    function object and recompiled for another. ``str()`` names the function (optax's factories such as
    ``cosine_decay_schedule`` are recognised from the closure they return).
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        _register_pytree()
        self.fn = fn

    def __call__(self, t):
        return self.fn(t)

    @property
    def lr(self) -> float:
        """The step size of the first update, eta_0."""
        return float(self.fn(0))

    def tree_flatten(self):
        return (), _Static(self.fn)

    @classmethod
    def tree_unflatten(cls, aux, leaves):
        del leaves
        return cls(aux.fn)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StepFunction) and other.fn is self.fn

    def __hash__(self) -> int:
        return id(self.fn)

    def __str__(self) -> str:
        name = getattr(self.fn, "__qualname__", None) or type(self.fn).__name__
        return name.split(".<locals>")[0]

    def __repr__(self) -> str:
        return f"StepFunction({self.fn!r})"


class _Static:
    """A function as static pytree data: equal only to itself (a function's own ``==`` might not be usable)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Static) and other.fn is self.fn

    def __hash__(self) -> int:
        return id(self.fn)


class Scaled:
    """eta_t = factor * schedule(t): a schedule's shape with another height (how ``tune`` and ``run(lrs=...)`` try
    learning rates for a schedule). ``factor`` is traced, so a new height does not recompile."""

    __slots__ = ("schedule", "factor")

    def __init__(self, schedule: Any, factor: Any) -> None:
        _register_pytree()
        self.schedule = schedule
        self.factor = factor

    def __call__(self, t):
        return self.factor * self.schedule(t)

    @property
    def lr(self) -> float:
        return float(self.factor) * float(self.schedule(0))

    def tree_flatten(self):
        return (self.schedule, self.factor), None

    @classmethod
    def tree_unflatten(cls, aux, leaves):
        del aux
        return cls(*leaves)

    def __str__(self) -> str:
        return f"{_fmt(self.factor)} * {self.schedule}"


def peak(schedule: Callable[[Any], Any], steps: int) -> float:
    """The largest step size ``schedule`` gives over updates 0 .. steps - 1 (at least one update)."""
    import numpy as np

    n = max(int(steps), 1)
    try:
        values = np.asarray(jax.vmap(schedule)(jnp.arange(n)), dtype=float)
    except Exception:  # a schedule that does not vectorise: one update at a time
        values = np.array([float(schedule(i)) for i in range(n)])
    top = float(np.max(values))
    if not math.isfinite(top) or top <= 0:
        raise InvalidValueError(f"the learning-rate schedule {schedule} is never > 0 over {steps} steps")
    return top


def following(lr: Any, convention: str, unless: str | None = None) -> Any:
    """``lr`` with its optiviz schedule (also inside a ``Scaled``) taking ``convention`` where it set none (or set
    ``unless``: the convention it had followed before); numbers and other callables unchanged. Going back to optax's
    leaves the convention unset again, so the schedule keeps following its optimizer."""
    if isinstance(lr, Scaled):
        inner = following(lr.schedule, convention, unless)
        return lr if inner is lr.schedule else Scaled(inner, lr.factor)
    new = None if convention == "optax" else convention
    if isinstance(lr, Schedule) and lr.convention in (None, unless) and lr.convention != new:
        return dataclasses.replace(lr, convention=new)
    return lr


def as_schedule(value: Any) -> Any:
    """A learning rate as the optimizers take it: a ``Schedule``, ``StepFunction`` or ``Scaled`` unchanged, any
    other callable of the step count wrapped in a ``StepFunction``, anything else (a number) unchanged."""
    if isinstance(value, (Schedule, StepFunction, Scaled)) or not callable(value):
        return value
    return StepFunction(value)


def _fmt(v: Any) -> str:
    try:
        return f"{float(v):g}"
    except TypeError:
        return str(v)


def schedule(name: str, *, convention: str | None = None, **params: float) -> Schedule:
    """Build the schedule ``name`` with its parameters validated; ``lr`` is the initial step size.

    ``convention``: ``"optax"`` or ``"torch"`` (``torch.optim.lr_scheduler``'s formula); None follows the
    optimizer it is given to (optax's on its own).
    """
    fn = get(name)
    if convention is not None:
        check_convention(convention, f"schedule {name!r}")
    sig = inspect.signature(fn)
    allowed = [p for p in sig.parameters if p not in ("t", "convention")]
    for key in params:
        if key not in allowed:
            raise InvalidValueError(f"schedule {name!r} has no parameter {key!r}; it takes "
                                    f"{', '.join(allowed)}, convention")
    bound = {p.name: p.default for p in sig.parameters.values() if p.name in allowed and p.default is not p.empty}
    bound.update(params)
    missing = [p for p in allowed if p not in bound]
    if missing:
        raise InvalidValueError(f"schedule {name!r} needs {', '.join(missing)}")
    where = f"schedule {name!r}"
    for key, value in bound.items():
        if key in ("lr", "steps", "every", "transition_steps"):
            bound[key] = _checks.number(value, key, lo=0, lo_open=True, where=where)
        elif key in ("decay_rate", "factor"):
            bound[key] = _checks.number(value, key, lo=0, hi=1, lo_open=True, where=where)
        elif key == "alpha":
            bound[key] = _checks.number(value, key, lo=0, hi=1, where=where)
        else:
            bound[key] = _checks.number(value, key, where=where)
    return Schedule(name, tuple((k, bound[k]) for k in allowed), convention)
