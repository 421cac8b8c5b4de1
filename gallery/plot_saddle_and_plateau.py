"""Gradient descent stalls at a saddle and on a plateau
=====================================================

Gradient descent's step is the learning rate times the gradient, so wherever the gradient is small its steps are
small, whether or not the loss could still go down a lot. Two places where that hurts:

* a **saddle** (``saddle``: f = x^2 + (y^2 - 1)^2 / 4). Started almost on the ridge (y = 0.001), gradient
  descent runs down to the saddle point at the origin and waits there: the slope towards either valley grows only
  by a factor (1 + lr) per step. In high dimensions saddles, not local minima, are what slow training down.
* a **plateau** (``flat``: a Gaussian well in a vast plateau). From the start the gradient is about 3e-4, so
  even at lr = 1 gradient descent barely moves.

Adam divides the step by the gradient's own running size, so a tiny slope still gets a step of about lr: it
leaves the saddle and walks off the plateau.

The claim: gradient descent spends far more steps near the saddle than Adam, and on the plateau it moves a tiny
distance in 300 steps while Adam reaches the well.
"""

# %%
# The saddle: count the steps each optimizer spends within 0.1 of the saddle point (0, 0).
import numpy as np

import optiviz as ov

saddle = ov.run("saddle", ["gd", "momentum", "adam"], steps=300, tol=1e-2)
near = {label: int(np.sum(np.linalg.norm(run.path, axis=-1) < 0.1)) for label, run in saddle.items()}
print(saddle.summary())

# %%
# The plateau: how far each optimizer gets from its start in 300 steps, and when it reaches the well.
plateau = ov.run("flat", ["gd", "momentum", "adam"], steps=300, tol=1e-2)
moved = {label: float(np.linalg.norm(run.final - run.path[0])) for label, run in plateau.items()}
print(plateau.summary())
print(f"Claim: near the saddle (within 0.1) gd spends {near['gd']} steps, momentum {near['momentum']}, adam "
      f"{near['adam']}; on the plateau gd moves {moved['gd']:.3f} in 300 steps while adam reaches the well "
      f"(loss 1e-2) at step {plateau['adam'].reached_at}.")

# %%
# Two animations: the saddle, then the plateau.
anim_saddle = ov.animate(saddle, layout="overlay", frames=60, dpi=80)
anim_plateau = ov.animate(plateau, layout="overlay", frames=60, dpi=80)
ov.save(anim_saddle, "saddle.gif")
ov.save(anim_saddle, "saddle.html")  # a page with play, pause and step controls
ov.save(anim_plateau, "plateau.gif")
ov.save(anim_plateau, "plateau.html")
