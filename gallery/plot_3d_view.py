"""A 3D view: rolling over the ridge
==================================

A contour map hides heights; the 3D view shows the loss as a landscape with each path riding on it. On the tilted
double well ``local_minima`` it shows what Momentum does that gradient descent cannot: starting high on the left
wall, the heavy ball comes down with speed, rolls *up* the ridge between the two wells (the loss rises for a
while) and over it into the deeper, global minimum. Gradient descent only ever goes downhill, so it stops in the
first well.

Both run at lr 0.006, inside the band where the lesson ``momentum_escapes`` holds (at its tuned lr GD overshoots
the ridge too).

The claim: Momentum crosses the ridge at x = -0.13 (0.55 above the local minimum) and its loss rises on the way;
gradient descent's loss never rises and it stays in the local well.
"""

# %%
# Two optimizers from the surface's start.
import numpy as np

import optiviz as ov

surface = ov.load_surface("local_minima")
lr, how = 0.006, "the same for both, inside momentum_escapes' band"  # not tuned: tuned, GD jumps the ridge too
runs = ov.run(surface, {"gd": {"lr": lr}, "momentum": {"lr": lr}}, steps=200, how={"gd": how, "momentum": how})

# %%
# When did Momentum cross the ridge, how high is the ridge above the local minimum, and how much did each loss rise?
ridge_x = -0.127
barrier = float(surface(ridge_x, 0.0) - surface(*surface.minima[1]))
crossed = int(np.argmax(runs["momentum"].path[:, 0] > ridge_x))
rise = {label: float(np.max(np.diff(run.loss))) for label, run in runs.items()}
print(f"Claim: momentum crosses the ridge (a barrier {barrier:.2f} above the local minimum) at step {crossed}, "
      f"its loss rising by up to {rise['momentum']:.3f} in one step; gd's loss never rises (its largest one-step "
      f"rise is {max(rise['gd'], 0.0):.2g}) and it ends in the local well at x = {runs['gd'].final[0]:.2f}.")

# %%
# The 3D view next to the contour map (``view="both"``).
anim = ov.animate(runs, layout="overlay", view="both", frames=50, dpi=80)
