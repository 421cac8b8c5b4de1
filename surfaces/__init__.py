"""The built-in surface library, written against optiviz's public API (as a user's plugin would be).

Importing this package registers every built-in; ``optiviz.surfaces.names()`` lists them.
"""
from __future__ import annotations

import jax.numpy as jnp

import optiviz as ov
from optiviz.surface import register, registry

__all__ = ["names", "get"]


def names() -> list[str]:
    """The names of every available surface (built-ins and installed plugins)."""
    return registry.names()


def get(name: str) -> "ov.Surface":
    return registry.get(name)


@register
@ov.surface(domain=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.5, 2.5), minima=[(1.0, 1.0)], levels="log",
            lr={"gd": 0.001, "sgd": 0.001, "momentum": 0.0005, "nesterov": 0.0005, "adagrad": 0.3,
                "rmsprop": 0.01, "adam": 0.05, "nadam": 0.05, "adamax": 0.05, "amsgrad": 0.05, "adamw": 0.05,
                "lion": 0.01, "adadelta": 1.0})
def rosenbrock(x, y, a=1.0, b=100.0):
    """Rosenbrock's banana valley

    f(x, y) = (a - x)^2 + b (y - x^2)^2 (Rosenbrock, 1960). The minimum (a, a^2) lies at the end of a long,
    curved, flat-bottomed valley: every method finds the valley quickly, then crawls along it; momentum and
    adaptive methods crawl faster.
    """
    return (a - x) ** 2 + b * (y - x**2) ** 2


@register
@ov.surface(domain=((-3.0, 3.0), (-2.0, 2.0)), start=(-2.5, 1.5), minima=[(0.0, 0.0)], levels="log",
            lr=lambda condition=10.0: {"gd": 0.9 / condition, "sgd": 0.9 / condition,
                                       "momentum": 0.2 / condition, "nesterov": 0.2 / condition})
def bowl(x, y, condition=10.0):
    """Ill-conditioned quadratic bowl

    f(x, y) = x^2 + condition * y^2. Convex, with curvature 2 along x and 2 * condition along y: the learning rate
    must stay below 2 / L = 1 / condition for gradient descent to converge, so a large condition number forces
    tiny steps along the gentle x direction.
    """
    return x**2 + condition * y**2


@register
@ov.surface(domain=((-3.0, 3.0), (-1.5, 1.5)), start=(-2.6, 1.0), minima=[(0.0, 0.0)], levels="log",
            lr={"gd": 0.018, "sgd": 0.018, "momentum": 0.004, "nesterov": 0.004, "adagrad": 0.4,
                "rmsprop": 0.03, "adam": 0.1, "nadam": 0.1, "adamax": 0.1, "amsgrad": 0.1, "adamw": 0.1,
                "lion": 0.02, "adadelta": 1.0})
def ravine(x, y):
    """A long narrow ravine

    f(x, y) = 0.1 x^2 + 50 y^2: the walls are 500 times steeper than the floor. Gradient descent needs a small
    learning rate to stay inside the walls, so it zig-zags across the ravine and crawls along its floor; momentum
    averages the zig-zag away and accelerates along the floor, and RMSProp/Adam rescale each coordinate so the
    path runs nearly straight to the minimum.
    """
    return 0.1 * x**2 + 50.0 * y**2
