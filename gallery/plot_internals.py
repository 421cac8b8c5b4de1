"""Inside the optimizers: gradient, step and per-coordinate learning rate
=======================================================================

The path shows where an optimizer went; its internals show why. With ``internals=True`` the engine keeps, at
every step, the gradient g the optimizer was given and the update u it made, and the animation draws both: the
descent direction -g, the step taken (magnified), and each coordinate's *effective learning rate* ``|u_i| / |g_i|``
as bars on one log scale.

On the ravine (walls 500 times steeper than the floor) the bars tell the story. Gradient descent's two bars are
equal (one learning rate for both axes, by definition). Momentum's grow along the floor, where successive
gradients agree and add up. Adam's differ by orders of magnitude: it divides each coordinate by the root of
its own mean squared gradient, so the gentle floor coordinate gets a far larger learning rate than the steep
wall coordinate, and the path heads straight for the minimum.

The learning rates are chosen to show the internals, not tuned, and the captions say so.

The claim: at step 20 Adam's effective learning rate along the floor (x) is hundreds of times its rate across the
walls (y); gradient descent's ratio is exactly 1.
"""

# %%
# Record the internals of three optimizers on the ravine.
import numpy as np

import optiviz as ov

# One learning rate below GD's stability limit on the walls (2 / 100) for GD and Momentum, and a moderate one for
# Adam (at its tuned lr, 2.4, Adam's steps are as long as the map); the captions say how each was chosen.
lrs = {"gd": 0.018, "momentum": 0.015, "adam": 0.1}
runs = ov.run("ravine", {name: {"lr": lr} for name, lr in lrs.items()}, steps=120, internals=True,
              how={"gd": "0.9 of its stability limit", "momentum": "chosen, not tuned",
                        "adam": "chosen, not tuned"})

# %%
# Effective learning rate per coordinate, ``|u_i| / |g_i|``, and the ratio floor / walls at step 20.
def effective(run, step):
    return np.abs(run.updates[step]) / np.abs(run.grads[step])


ratio = {label: float(effective(run, 20)[0] / effective(run, 20)[1]) for label, run in runs.items()}
print(f"Claim: at step 20 the effective learning rate along x divided by that along y is {ratio['adam']:.0f} for "
      f"adam, {ratio['momentum']:.2g} for momentum and {ratio['gd']:.0f} for gd.")

# %%
# The internals overlay: one panel per optimizer, each with its arrows and learning-rate bars.
anim = ov.animate(runs, layout="grid", internals=True, frames=60, dpi=80)
