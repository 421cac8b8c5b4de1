"""Classic optimization test functions (formulas and minima as in Jamil & Yang, "A literature survey of benchmark
functions for global optimization problems", 2013, and Surjanovic & Bingham's Virtual Library of Simulation
Experiments). Minima not known in closed form were found by Newton's method in float64 and are given to 1e-12.

JAX is imported inside the functions, so registering and listing these surfaces never loads it.
"""
from __future__ import annotations

import math

import optiviz as ov

from ._common import TUNED, linear_levels, log_levels, lrs, require

TAU = 2.0 * math.pi


@ov.register_surface
@ov.surface(domain=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.2, 1.0), minima=lambda a, b: [(a, a * a)],
            levels=lambda a, b: log_levels(0.0, max((a - x) ** 2 + b * (y - x * x) ** 2 for x in (-2.0, 2.0)
                                                   for y in (-1.0, 3.0)), 22, lowest=1e-3),
            lr=lambda b: lrs(gd=0.3 / b, adagrad=1.0, rmsprop=0.05, momentum=0.15 / b, adam=0.3),
            validate=lambda a, b: require(b > 0, f"rosenbrock: b must be > 0, got {b}"))
def rosenbrock(x, y, a=1.0, b=100.0):
    """Rosenbrock's banana valley

    f(x, y) = (a - x)^2 + b (y - x^2)^2 (Rosenbrock, 1960). The minimum (a, a^2) lies at the end of a long,
    curved, flat-bottomed valley: every method finds the valley quickly, then crawls along it; momentum and
    adaptive methods crawl faster. The valley's walls are b times steeper than its floor.
    """
    return (a - x) ** 2 + b * (y - x**2) ** 2


@ov.register_surface
@ov.surface(domain=((-4.5, 4.5), (-4.5, 4.5)), start=(2.0, 2.0), minima=[(3.0, 0.5)],
            levels=log_levels(0.0, 1.8e5, 24, lowest=1e-2),
            lr_tuned=TUNED, lr=lrs(gd=0.0011, adagrad=3.83, rmsprop=0.562, momentum=0.0011, adam=1.47))
def beale(x, y):
    """Beale's function: flat plains and sharp ridges

    f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2, minimum 0 at (3, 0.5). Values range
    from 0 to 1.8e5 across the square, mostly because of the y^3 term near the corners: a learning rate that
    survives the steep outer region is useless on the flat plain around the minimum, which is why log-spaced
    contours are needed to see it at all.
    """
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


@ov.register_surface
@ov.surface(domain=((-5.0, 5.0), (-5.0, 5.0)), start=(-0.3, -0.9),
            minima=[(3.0, 2.0), (-2.805118086952745, 3.131312518250573), (-3.779310253377747, -3.2831859912861696),
                    (3.5844283403304917, -1.8481265269644036)],
            levels=log_levels(0.0, 890.0, 22, lowest=0.1),
            lr_tuned=TUNED, lr=lrs(gd=0.0121, adagrad=0.909, rmsprop=0.0825, momentum=0.00287, adam=3.83))
def himmelblau(x, y):
    """Himmelblau's function: four equal minima

    f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 (Himmelblau, 1972) has four minima, all with value 0, around a
    local maximum at (-0.27, -0.92). Started next to that maximum, the optimizers leave in different directions
    and land in different minima: which minimum you reach depends on the method and its learning rate, not only on
    where you start.
    """
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


@ov.register_surface
@ov.surface(domain=((-5.12, 5.12), (-5.12, 5.12)), start=(-4.3, 4.6), minima=[(0.0, 0.0)],
            levels=linear_levels(0.0, 81.0, 24),
            lr_tuned=TUNED, lr=lrs(gd=0.0511, adagrad=2.37, rmsprop=0.562, momentum=0.0121, adam=0.909))
def rastrigin(x, y):
    """Rastrigin's function: a bowl covered in ripples

    f(x, y) = 20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y) (Rastrigin, 1974): a gentle bowl with a local
    minimum near every integer point; the global one is at the origin. Every gradient method stops in the nearest
    dimple, since the ripples are steeper than the bowl; a large step or momentum can hop a few dimples before it
    is caught. Local search cannot solve this surface; it shows why.
    """
    import jax.numpy as jnp

    return 20.0 + x**2 - 10.0 * jnp.cos(TAU * x) + y**2 - 10.0 * jnp.cos(TAU * y)


@ov.register_surface
@ov.surface(domain=((-10.0, 10.0), (-10.0, 10.0)), start=(-8.0, -7.0), minima=[(1.0, 3.0)],
            levels=log_levels(0.0, 2500.0, 22, lowest=1e-2),
            lr_tuned=TUNED, lr=lrs(gd=0.0511, adagrad=10, rmsprop=0.562, momentum=0.0121, adam=1.47))
def booth(x, y):
    """Booth's function: a tilted, elongated bowl

    f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2, minimum 0 at (1, 3). A quadratic whose Hessian [[10, 8], [8, 10]]
    has eigenvalues 18 and 2: a bowl nine times longer than wide, tilted by 45 degrees. Gradient descent must keep
    lr below 2/18; the per-coordinate scaling of Adagrad, RMSProp and Adam cannot straighten a valley that does not
    run along an axis, so here they lose their edge over a well-tuned momentum.
    """
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


@ov.register_surface
@ov.surface(domain=((-10.0, 10.0), (-10.0, 10.0)), start=(-9.0, -5.0), minima=[(0.0, 0.0)],
            levels=log_levels(0.0, 100.0, 22, lowest=1e-3),
            lr_tuned=TUNED, lr=lrs(gd=1.47, adagrad=3.83, rmsprop=0.133, momentum=0.909, adam=1.47))
def matyas(x, y):
    """Matyas' function: a flat diagonal valley

    f(x, y) = 0.26 (x^2 + y^2) - 0.48 xy, minimum 0 at the origin. Its Hessian has eigenvalues 1.0 across the
    diagonal and 0.04 along it: once gradient descent reaches the valley floor, the remaining slope towards the
    minimum is 25 times gentler, so it creeps; momentum keeps moving along the floor.
    """
    return 0.26 * (x**2 + y**2) - 0.48 * x * y


@ov.register_surface
@ov.surface(domain=((-2.0, 2.0), (-2.0, 2.0)), start=(1.5, 1.7),
            minima=[(0.0, -1.0), (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)],
            levels=log_levels(3.0, 1.02e6, 24, lowest=1.0),
            lr_tuned=TUNED, lr=lrs(gd=0.0001, adagrad=2.37, rmsprop=1.47, momentum=0.0001, adam=1.47))
def goldstein_price(x, y):
    """Goldstein-Price: a minimum hidden among values up to a million

    f(x, y) = [1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)] [30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y
    - 36xy + 27y^2)] (Goldstein & Price, 1971): global minimum 3 at (0, -1), local minima 30, 84 and 840. The
    function spans six orders of magnitude, so any fixed learning rate is either explosive on the slopes or frozen
    near the floor; adaptive methods cope, and the local minima catch whoever arrives from the wrong side.
    """
    a = 1.0 + (x + y + 1.0) ** 2 * (19.0 - 14.0 * x + 3.0 * x**2 - 14.0 * y + 6.0 * x * y + 3.0 * y**2)
    b = 30.0 + (2.0 * x - 3.0 * y) ** 2 * (18.0 - 32.0 * x + 12.0 * x**2 + 48.0 * y - 36.0 * x * y + 27.0 * y**2)
    return a * b


@ov.register_surface
@ov.surface(domain=((-3.0, 3.0), (-2.0, 2.0)), start=(-2.2, -1.6),
            minima=[(0.08984201310031806, -0.7126564030207396), (-0.08984201310031806, 0.7126564030207396),
                    (-1.703606714969981, 0.7960835686726252), (1.703606714969981, -0.7960835686726252),
                    (-1.6071047529201976, -0.5686514548841314), (1.6071047529201976, 0.5686514548841314)],
            levels=log_levels(-1.0316284534898774, 163.0, 22, lowest=0.02),
            lr_tuned=TUNED, lr=lrs(gd=0.0511, adagrad=2.37, rmsprop=0.215, momentum=0.00287, adam=1.47))
def six_hump_camel(x, y):
    """The six-hump camel: two global minima among six

    f(x, y) = (4 - 2.1 x^2 + x^4 / 3) x^2 + xy + (4y^2 - 4) y^2: two global minima (-1.0316) mirror each other
    through the origin, with two pairs of local minima (-0.2155 and 2.1043) on the flanks. From a corner, the
    nearest flank minimum is the natural trap; which basin each method falls into shows how far its steps carry.
    """
    return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (4.0 * y**2 - 4.0) * y**2


_ST_LOW, _ST_HIGH = -2.903534027771177, 2.746802770990837


@ov.register_surface
@ov.surface(domain=((-5.0, 5.0), (-5.0, 5.0)), start=(4.6, 4.2),
            minima=[(_ST_LOW, _ST_LOW), (_ST_LOW, _ST_HIGH), (_ST_HIGH, _ST_LOW), (_ST_HIGH, _ST_HIGH)],
            levels=linear_levels(-78.33233140754284, 250.0, 24),
            lr_tuned=TUNED, lr=lrs(gd=0.0511, adagrad=6.19, rmsprop=1.47, momentum=0.0075, adam=2.37))
def styblinski_tang(x, y):
    """Styblinski-Tang: a double well in each coordinate

    f(x, y) = (x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y) / 2: each coordinate has its own double well, with the deeper
    well at -2.90 and a shallower one at 2.75, so there are four minima (-78.3, -64.2 twice, -50.1). From the corner
    (4.6, 4.2) the shallow wells are the nearest: gradient descent with a small step ends in the worst of the four
    minima, and only momentum or a step long enough carries a coordinate over its central hump; at their tuned lrs
    (the default race) GD, Momentum, Adagrad and Adam all reach the deepest minimum.
    """
    return 0.5 * (x**4 - 16.0 * x**2 + 5.0 * x + y**4 - 16.0 * y**2 + 5.0 * y)


def _radius(x, y):
    """sqrt(x^2 + y^2) with derivative 0 at the origin (its subgradient there contains 0, as ReLU's does at 0):
    the double ``where`` keeps the derivative of sqrt at 0, which is infinite, out of the gradient."""
    import jax.numpy as jnp

    r2 = x**2 + y**2
    safe = jnp.where(r2 > 0, r2, 1.0)
    return jnp.where(r2 > 0, jnp.sqrt(safe), 0.0)


@ov.register_surface
@ov.surface(domain=((-5.0, 5.0), (-5.0, 5.0)), start=(3.3, 3.7), minima=[(0.0, 0.0)],
            levels=linear_levels(0.0, 14.6, 24),
            lr_tuned=TUNED, lr=lrs(gd=0.348, adagrad=1.47, rmsprop=0.348, momentum=0.0825, adam=0.909))
def ackley(x, y):
    """Ackley's function: a funnel in an egg box

    f(x, y) = -20 exp(-0.2 sqrt((x^2 + y^2) / 2)) - exp((cos 2 pi x + cos 2 pi y) / 2) + 20 + e (Ackley, 1987):
    an almost flat, rippled outer region and a deep cone-shaped funnel at the origin (where f is 0 and not
    differentiable: a cusp; its gradient is taken as 0 there). Away from the centre the ripples hold every method
    in a local dimple; the funnel's pull is only felt close in.
    """
    import jax.numpy as jnp

    r = _radius(x, y) / math.sqrt(2.0)
    return -20.0 * jnp.exp(-0.2 * r) - jnp.exp(0.5 * (jnp.cos(TAU * x) + jnp.cos(TAU * y))) + 20.0 + math.e


@ov.register_surface
@ov.surface(domain=((-3.0, 3.0), (-2.0, 2.0)), start=(-2.5, 1.5), minima=[(0.0, 0.0)],
            levels=lambda condition: log_levels(0.0, 9.0 + 4.0 * condition, 22, lowest=1e-4),
            lr=lambda condition: lrs(gd=0.9 / condition, adagrad=0.5, rmsprop=0.05, momentum=0.3 / condition,
                                     adam=0.1),
            validate=lambda condition: require(condition > 0 and math.isfinite(condition),
                                               f"bowl: condition must be a finite number > 0, got {condition}"))
def bowl(x, y, condition=10.0):
    """Ill-conditioned quadratic bowl

    f(x, y) = x^2 + condition * y^2. Convex, with curvature 2 along x and 2 * condition along y: the learning rate
    must stay below 2 / L = 1 / condition for gradient descent to converge, so a large condition number forces
    tiny steps along the gentle x direction (bowl:condition=50 makes it worse, condition=1 makes it round).
    """
    return x**2 + condition * y**2
