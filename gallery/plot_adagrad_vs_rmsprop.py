"""Adagrad stalls where RMSProp keeps going
=========================================

On ``steep_then_flat`` the path starts on a steep wall (gradients in the tens) and must then cross a long,
almost flat floor to the minimum at x = 3. Both Adagrad and RMSProp divide each coordinate's step by the root of
its squared gradients, but Adagrad divides by the root of their *sum* since the first step, while RMSProp divides
by the root of a *moving average* that forgets within about 1 / (1 - decay) = 10 steps. The wall's big gradients
stay in Adagrad's sum forever, so on the floor its effective learning rate lr / sqrt(G) is frozen at a small
value; RMSProp's grows back as soon as the gradients get small. That is the reason RMSProp was proposed
(Hinton, lecture 6e, 2012).

The claim: on the floor (at step 100) RMSProp's effective learning rate along x is many times Adagrad's, so
RMSProp reaches the minimum while Adagrad is still far short of x = 3 after 300 steps.
"""

# %%
# ``internals=True`` keeps each step's gradient g and update u, so the effective learning rate of each coordinate
# is ``|u| / |g|``: what the optimizer actually multiplied the gradient by.
import numpy as np

import optiviz as ov

runs = ov.run("steep_then_flat", ["adagrad", "rmsprop"], steps=300, tol=1e-2, internals=True)
print(runs.summary())

# %%
# The effective learning rate along x at step 100, when both paths are on the floor.
def effective_lr(run, step):
    return abs(run.updates[step, 0]) / abs(run.grads[step, 0])


ada, rms = effective_lr(runs["adagrad"], 100), effective_lr(runs["rmsprop"], 100)
x_ada = runs["adagrad"].final[0]
print(f"Claim: at step 100 RMSProp's effective learning rate along x is {rms:.3g}, {rms / ada:.0f} times Adagrad's "
      f"{ada:.3g}; RMSProp reaches loss 1e-2 at step {runs['rmsprop'].reached_at}, while Adagrad ends at "
      f"x = {x_ada:.2f}, {3 - x_ada:.2f} short of the minimum at x = 3.")

# %%
# Animate both paths over one map, with the internals: the gradient direction, the step taken and each
# coordinate's effective learning rate as bars on a log scale.
anim = ov.animate(runs, layout="overlay", internals=True, frames=60, dpi=80)
ov.save(anim, "adagrad_vs_rmsprop.gif")  # the suffix picks the format: .gif, .mp4, .html, .png
ov.save(anim, "adagrad_vs_rmsprop.html")  # a page with play, pause and step controls
