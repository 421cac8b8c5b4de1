"""Adagrad's step only shrinks, RMSProp's recovers
================================================

On ``steep_then_flat`` the path starts on a steep wall (gradients in the tens) and must then cross a long, almost
flat floor to the minimum at x = 3. Both Adagrad and RMSProp divide each coordinate's step by the root of its
squared gradients, but Adagrad divides by the root of their *sum* since the first step, while RMSProp divides by
the root of a *moving average* that forgets within about 1 / (1 - decay) = 10 steps. The wall's big gradients stay
in Adagrad's sum forever, so its effective learning rate lr / sqrt(G) only ever shrinks; RMSProp's grows back as
soon as the gradients get small. That is the reason RMSProp was proposed (Hinton, lecture 6e, 2012).

The tutorial's conclusion, "so Adagrad stalls where RMSProp keeps going", depends on the learning rate: Adagrad's
tuned lr (about 3.8) is as long as the floor, and its first normalized step jumps it. The claim (from the lesson
``adagrad_vs_rmsprop``, over 13 learning rates and 4 starts on the wall): the effective steps behave as stated at
every lr where the runs are stable, and the learning rates at which each reaches the minimum are stated with the
steps each takes at its tuned lr.
"""

# %%
# Check the claim over its sweep (the sentence is written from the numbers).
import numpy as np

import optiviz as ov

result = ov.lessons.check("adagrad_vs_rmsprop")
print(f"Claim: {result.claim}")

# %%
# The race at each optimizer's tuned lr (the surface's suggested lrs are the tuned ones: the labels say so).
# ``internals=True`` keeps each step's gradient g and update u, so the effective learning rate of each coordinate
# is ``|u| / |g|``: what the optimizer actually multiplied the gradient by.
runs = ov.run("steep_then_flat", ["adagrad", "rmsprop"], steps=300, tol=1e-2, internals=True)
print(runs.summary())
eff = {label: np.abs(r.updates[:, 0]) / np.maximum(np.abs(r.grads[:, 0]), 1e-30) for label, r in runs.items()}
print(f"effective lr along x, first step -> step 100: Adagrad {eff['adagrad'][0]:.3g} -> {eff['adagrad'][100]:.3g}, "
      f"RMSProp {eff['rmsprop'][0]:.3g} -> {eff['rmsprop'][100]:.3g}")

# %%
# Animate both paths over one map, with the internals: the gradient direction, the step taken and each
# coordinate's effective learning rate as bars on a log scale. The title is the claim, with its numbers.
anim = ov.animate(runs, layout="overlay", internals=True, frames=60, dpi=80,
                  title=ov.lessons.report.caption(result, width=80))
