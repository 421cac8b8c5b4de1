"""Teaching scenes: each surface is built so that one lesson about optimizers shows from its default start.

Learning rates (``lr=``) were tuned with ``ov.run(surface)`` (the five default optimizers, 200 steps) so that the
lesson in each description is what a user sees; ``tests/test_surfaces.py`` asserts each lesson.

JAX is imported inside the functions, so registering and listing these surfaces never loads it.
"""
from __future__ import annotations

import math

import optiviz as ov

from ._common import log_levels, lrs


@ov.register_surface
@ov.surface(domain=((-4.0, 4.0), (-4.0, 4.0)), start=(-3.2, 3.0), minima=[(0.0, 0.0)],
            levels=(0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999, 1.0),
            lr=lrs(gd=1.0, adagrad=1.0, rmsprop=0.02, momentum=1.0, adam=0.1))
def flat(x, y):
    """A plateau, then a drop

    f(x, y) = 1 - exp(-(x^2 + y^2) / 2): a Gaussian well in a vast plateau. From the start the gradient is about
    3e-4, so gradient descent barely moves even at the largest learning rate that is stable in the well (lr < 2),
    and Adagrad (whose step is lr * g / sqrt(0.1 + sum g^2)) stalls with it. RMSProp and Adam divide the gradient by
    its own running size, so their steps are about lr long however small the gradient is: they walk off the plateau
    and drop into the well. Momentum gathers speed slowly and rolls off later. Vanishing gradients on plateaus (and
    in saturated networks) are why scale-free updates matter.
    """
    import jax.numpy as jnp

    return 1.0 - jnp.exp(-(x**2 + y**2) / 2.0)


@ov.register_surface
@ov.surface(domain=((-1.5, 5.5), (-2.0, 2.0)), start=(-1.0, 1.5), minima=[(3.0, 0.0)],
            levels=log_levels(2 * math.exp(-9.0), 95.0, 22, lowest=1e-3),
            lr=lrs(gd=0.01, adagrad=1.0, rmsprop=0.05, momentum=0.003, adam=0.1))
def steep_then_flat(x, y):
    """Steep, then flat: where one learning rate cannot fit

    f(x, y) = exp(-3x) + exp(3(x - 6)) + 0.05 (x - 3)^2 + 0.25 y^2: a steep wall (curvature about 180 at the start)
    that flattens into a long floor (curvature 0.1) walled in again on the far side. Gradient descent's learning rate
    must stay below 2/180 for the wall, so on the floor its steps (lr times a small gradient) crawl; a rate that suits
    the floor throws it off the wall and against the far one. Adagrad divides by the square root of the *sum* of
    every squared gradient, so the huge gradients of the wall shrink its steps for good. RMSProp divides by a
    *moving average* that forgets the wall within about ten steps, so it crosses the floor at a steady pace: the
    reason RMSProp was proposed. (Adam's b2 = 0.999 remembers for about a thousand steps; try adam:b2=0.9.)
    """
    import jax.numpy as jnp

    return jnp.exp(-3.0 * x) + jnp.exp(3.0 * (x - 6.0)) + 0.05 * (x - 3.0) ** 2 + 0.25 * y**2


#: the stationary points of (x^2 - 1)^2 - x / 2 along y = 0 (roots of 4x^3 - 4x - 1/2, Newton-polished)
_LM_GLOBAL, _LM_RIDGE, _LM_LOCAL = 1.0574537707383778, -0.1270508441825262, -0.9304029265558517


@ov.register_surface
@ov.surface(domain=((-2.5, 2.5), (-1.5, 1.5)), start=(-2.0, 1.0), minima=[(_LM_GLOBAL, 0.0), (_LM_LOCAL, 0.0)],
            levels=log_levels(-0.5147536412757056, 31.0, 22, lowest=0.05),
            lr=lrs(gd=0.02, adagrad=0.3, rmsprop=0.03, momentum=0.006, adam=0.1))
def local_minima(x, y):
    """A shallow local minimum in front of the global one

    f(x, y) = (x^2 - 1)^2 - x/2 + y^2: a tilted double well. From the start on the steep left wall, gradient
    descent slides into the first (local) minimum at x = -0.93 and stops there: the gradient is zero, so nothing
    more happens. Momentum (heavy ball) keeps the speed it built on the wall, rolls over the ridge at x = -0.13 and
    settles in the deeper global minimum at x = 1.06. Adam's and RMSProp's normalized steps cannot build that
    kinetic energy and stay local too. (A much larger GD rate can also jump over, by overshooting: luck, not a
    method.)
    """
    return (x**2 - 1.0) ** 2 - 0.5 * x + y**2


@ov.register_surface
@ov.surface(domain=((-3.0, 3.0), (-1.5, 1.5)), start=(-2.6, 1.0), minima=[(0.0, 0.0)],
            levels=log_levels(0.0, 113.0, 22, lowest=1e-4),
            lr=lrs(gd=0.018, adagrad=0.4, rmsprop=0.03, momentum=0.015, adam=0.1))
def ravine(x, y):
    """A long narrow ravine

    f(x, y) = 0.1 x^2 + 50 y^2: the walls are 500 times steeper than the floor. Gradient descent needs a learning
    rate below 2/100 to stay inside the walls, so it zig-zags across the ravine and crawls along its floor; momentum
    averages the zig-zag away and accelerates along the floor, and RMSProp/Adam rescale each coordinate so the path
    runs nearly straight to the minimum.
    """
    return 0.1 * x**2 + 50.0 * y**2


@ov.register_surface
@ov.surface(domain=((-2.5, 2.5), (-2.0, 2.0)), start=(-2.2, 1e-3), minima=[(0.0, 1.0), (0.0, -1.0)],
            levels=log_levels(0.0, 8.5, 22, lowest=1e-3),
            lr=lrs(gd=0.03, adagrad=0.3, rmsprop=0.03, momentum=0.01, adam=0.05))
def saddle(x, y):
    """A saddle point where gradient descent stalls

    f(x, y) = x^2 + (y^2 - 1)^2 / 4: two valleys at y = +1 and y = -1 and a saddle (a pass) between them at the
    origin, curving up along x and down along y. Started almost exactly on the ridge (y = 0.001), gradient descent
    runs down to the saddle and sits there: the gradient is nearly zero, and it grows away from the ridge only by a
    factor (1 + lr) per step. Adaptive methods (RMSProp, Adam) divide by the gradient's size, so the tiny slope
    towards a valley gets a full-size step; momentum multiplies it by about ten. Saddles, not local minima, are what
    slow down training in high dimensions.
    """
    return x**2 + (y**2 - 1.0) ** 2 / 4.0


_CLIFF_SLOPE, _CLIFF_WIDTH, _CLIFF_SHARPNESS = 8.0, 1.5, 40.0


@ov.register_surface
@ov.surface(domain=((-4.0, 4.0), (-2.0, 2.0)), start=(3.0, 1.5), minima=[(-2.0, 0.0)],
            levels=log_levels(0.0, 14.0, 22, lowest=1e-3),
            lr=lrs(gd=2.0, adagrad=0.5, rmsprop=0.05, momentum=0.3, adam=0.1))
def plateau_cliff(x, y):
    """A plateau that ends in a cliff: exploding gradients

    f(x, y) = ramp(x) + 0.05 (x + 2)^2 + 0.1 y^2, where ramp falls by 12 with slope 8 across -0.75 < x < 0.75
    (sharp-edged: a difference of two softplus functions) and is flat elsewhere. On the plateau to the right the
    slope is about 0.2 and a learning rate of 2 suits it, and the basin beyond; at the cliff the gradient is 40
    times larger, and gradient descent's step, lr times the gradient, throws it far past the basin, off the picture.
    Momentum adds the cliff's gradients into its velocity and is thrown too. Adam and RMSProp divide by the
    gradient's size, so their steps stay about lr long and they walk down the cliff; Adagrad's sum remembers the
    cliff and crawls afterwards. Gradient clipping (cap the step) is the classic remedy for such cliffs in
    recurrent networks (Pascanu et al., 2013).
    """
    import jax

    k, half = _CLIFF_SHARPNESS, _CLIFF_WIDTH / 2
    ramp = _CLIFF_SLOPE / k * (jax.nn.softplus(k * (x + half)) - jax.nn.softplus(k * (x - half)))
    return ramp + 0.05 * (x + 2.0) ** 2 + 0.1 * y**2
