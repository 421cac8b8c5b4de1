"""Teaching scenes: each surface is built so that one lesson about optimizers shows from its default start.

Suggested learning rates (``lr=``) are each optimizer's tuned one (``ov.tune``, 200 steps from the start), so a
race drawn with them is fair; each description says what such a race shows, and where a lesson holds only for some
learning rates, the ``optiviz.lessons`` claim named in it measures the band.

JAX is imported inside the functions, so registering and listing these surfaces never loads it.
"""
from __future__ import annotations

import math

import optiviz as ov

from ._common import TUNED, log_levels, lrs


@ov.register_surface
@ov.surface(domain=((-4.0, 4.0), (-4.0, 4.0)), start=(-3.2, 3.0), minima=[(0.0, 0.0)],
            levels=(0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999, 1.0),
            lr_tuned=TUNED, lr=lrs(gd=6.19, adagrad=3.83, rmsprop=0.0511, momentum=2.37, adam=1.47))
def flat(x, y):
    """A plateau, then a drop

    f(x, y) = 1 - exp(-(x^2 + y^2) / 2): a Gaussian well in a vast plateau. From the start the gradient is about
    3e-4, so gradient descent's step, lr times the gradient, is tiny at any learning rate that is stable in the well
    (lr < 2, its curvature being 1); even at its tuned lr (6.2, unstable in the well) GD ends the 200 steps still on
    the rim. RMSProp and Adam divide the gradient by its own running size, so their steps are about lr long however
    small the gradient is: they walk off the plateau. Momentum at its tuned lr gathers speed and rolls off later.
    The lesson ``plateau_stalls_gd`` measures the band: how far out a start must be for this to hold, at which lrs.
    """
    import jax.numpy as jnp

    return 1.0 - jnp.exp(-(x**2 + y**2) / 2.0)


@ov.register_surface
@ov.surface(domain=((-1.5, 5.5), (-2.0, 2.0)), start=(-1.0, 1.5), minima=[(3.0, 0.0)],
            levels=log_levels(2 * math.exp(-9.0), 95.0, 22, lowest=1e-3),
            lr_tuned=TUNED, lr=lrs(gd=0.0825, adagrad=3.83, rmsprop=0.348, momentum=0.0196, adam=1.47))
def steep_then_flat(x, y):
    """Steep, then flat: where one learning rate cannot fit

    f(x, y) = exp(-3x) + exp(3(x - 6)) + 0.05 (x - 3)^2 + 0.25 y^2: a steep wall (curvature about 180 at the start)
    that flattens into a long floor (curvature 0.1) walled in again on the far side. Gradient descent's learning rate
    must stay small for the wall, so on the floor its steps crawl. Adagrad divides by the square root of the *sum*
    of every squared gradient, so the wall's huge gradients shrink its steps for good; RMSProp divides by a *moving
    average* that forgets the wall within about ten steps, so its step grows back on the floor: the reason RMSProp
    was proposed. At their tuned lrs both reach the minimum, though: Adagrad's tuned lr (3.8) is about the distance
    to the minimum, so its first, normalized step jumps the floor. The lesson ``adagrad_vs_rmsprop`` measures the
    effective steps and the lr bands where each one arrives. (Adam's b2 = 0.999 remembers for about a thousand
    steps; try adam:b2=0.9.)
    """
    import jax.numpy as jnp

    return jnp.exp(-3.0 * x) + jnp.exp(3.0 * (x - 6.0)) + 0.05 * (x - 3.0) ** 2 + 0.25 * y**2


#: the stationary points of (x^2 - 1)^2 - x / 2 along y = 0 (roots of 4x^3 - 4x - 1/2, Newton-polished)
_LM_GLOBAL, _LM_RIDGE, _LM_LOCAL = 1.0574537707383778, -0.1270508441825262, -0.9304029265558517


@ov.register_surface
@ov.surface(domain=((-2.5, 2.5), (-1.5, 1.5)), start=(-2.0, 1.0), minima=[(_LM_GLOBAL, 0.0), (_LM_LOCAL, 0.0)],
            levels=log_levels(-0.5147536412757056, 31.0, 22, lowest=0.05),
            lr_tuned=TUNED, lr=lrs(gd=0.133, adagrad=2.37, rmsprop=0.562, momentum=0.00464, adam=0.348))
def local_minima(x, y):
    """A shallow local minimum in front of the global one

    f(x, y) = (x^2 - 1)^2 - x/2 + y^2: a tilted double well, the local minimum at x = -0.93 in front of the global
    one at x = 1.06, a ridge at x = -0.13 between them. Gradient descent with a small lr slides into the first
    minimum and stops there: the gradient is zero. Momentum (heavy ball) keeps the speed it built on the wall and
    can roll over the ridge. But at their tuned lrs (the race drawn by default) GD and Adam reach the global
    minimum too, by steps long enough to jump the ridge: escaping is a matter of the learning rate as much as of
    the method. The lesson ``momentum_escapes`` measures, over many starts and lrs, the band where Momentum escapes
    and GD at the same lr does not.
    """
    return (x**2 - 1.0) ** 2 - 0.5 * x + y**2


@ov.register_surface
@ov.surface(domain=((-3.0, 3.0), (-1.5, 1.5)), start=(-2.6, 1.0), minima=[(0.0, 0.0)],
            levels=log_levels(0.0, 113.0, 22, lowest=1e-4),
            lr_tuned=TUNED, lr=lrs(gd=0.0196, adagrad=1.47, rmsprop=0.0511, momentum=0.0316, adam=2.37))
def ravine(x, y):
    """A long narrow ravine

    f(x, y) = 0.1 x^2 + 50 y^2: the walls are 500 times steeper than the floor. Gradient descent needs a learning
    rate below 2/100 to stay inside the walls, so even at its tuned lr (0.0196) it crawls along the floor; momentum
    averages the zig-zag away and accelerates along the floor, and Adagrad, RMSProp and Adam rescale each
    coordinate, so their paths head nearly straight for the minimum.
    """
    return 0.1 * x**2 + 50.0 * y**2


@ov.register_surface
@ov.surface(domain=((-2.5, 2.5), (-2.0, 2.0)), start=(-2.2, 1e-3), minima=[(0.0, 1.0), (0.0, -1.0)],
            levels=log_levels(0.0, 8.5, 22, lowest=1e-3),
            lr_tuned=TUNED, lr=lrs(gd=0.562, adagrad=3.83, rmsprop=0.0825, momentum=0.562, adam=0.348))
def saddle(x, y):
    """A saddle point where gradient descent stalls

    f(x, y) = x^2 + (y^2 - 1)^2 / 4: two valleys at y = +1 and y = -1 and a saddle (a pass) between them at the
    origin, curving up along x and down along y. Started almost exactly on the ridge (y = 0.001), gradient descent
    runs down to the saddle and slows there: the gradient is nearly zero, and the way off grows only by a factor
    (1 + lr) per step. RMSProp and Adam divide by the gradient's size, so the tiny slope towards a valley gets a
    full-size step and they never come close to the saddle. How long GD lingers is the learning rate's doing: at
    its tuned lr (0.56) it leaves in about 17 steps, while at lr 0.03 it sits there for over a hundred. The lesson
    ``saddle_slows_gd`` measures the band.
    """
    return x**2 + (y**2 - 1.0) ** 2 / 4.0


_CLIFF_SLOPE, _CLIFF_WIDTH, _CLIFF_SHARPNESS = 8.0, 1.5, 40.0


@ov.register_surface
@ov.surface(domain=((-4.0, 4.0), (-2.0, 2.0)), start=(3.0, 1.5), minima=[(-2.0, 0.0)],
            levels=log_levels(0.0, 14.0, 22, lowest=1e-3),
            lr_tuned=TUNED, lr=lrs(gd=6.19, adagrad=2.37, rmsprop=0.562, momentum=0.133, adam=0.909))
def plateau_cliff(x, y):
    """A plateau that ends in a cliff: exploding gradients

    f(x, y) = ramp(x) + 0.05 (x + 2)^2 + 0.1 y^2, where ramp falls by 12 with slope 8 across -0.75 < x < 0.75
    (sharp-edged: a difference of two softplus functions) and is flat elsewhere. On the plateau to the right the
    slope is about 0.2; at the cliff the gradient is 40 times larger, and gradient descent's step, lr times the
    gradient, throws it far past the basin (with lr 2, off the picture). Momentum adds the cliff's gradients into
    its velocity and is thrown too. Adam and RMSProp divide by the gradient's size, so their steps stay about lr
    long. At its tuned lr GD's throw happens to land near the minimum: a lucky jump, not a method. Gradient
    clipping (cap the step) is the classic remedy for such cliffs in recurrent networks (Pascanu et al., 2013).
    """
    import jax

    k, half = _CLIFF_SHARPNESS, _CLIFF_WIDTH / 2
    ramp = _CLIFF_SLOPE / k * (jax.nn.softplus(k * (x + half)) - jax.nn.softplus(k * (x - half)))
    return ramp + 0.05 * (x + 2.0) ** 2 + 0.1 * y**2
