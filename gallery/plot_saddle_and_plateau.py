"""Saddles and plateaus slow gradient descent: how much is the learning rate's doing
===================================================================================

Gradient descent's step is the learning rate times the gradient, so wherever the gradient is small its steps are
small, whether or not the loss could still go down a lot. Two places where that shows:

* a **saddle** (``saddle``: f = x^2 + (y^2 - 1)^2 / 4). Started almost on the ridge (y = 0.001), gradient
  descent runs down to the saddle point at the origin and lingers: the slope towards either valley grows only by a
  factor (1 + lr) per step. RMSProp and Adam divide by the gradient's size and never come close to the saddle.
* a **plateau** (``flat``: a Gaussian well in a vast plateau). Far out the gradient is about 3e-4, so GD's steps
  are tiny at any learning rate that is stable in the well.

A skeptic raises GD's learning rate: at its tuned lr (0.56) GD leaves the saddle in about 17 steps, as fast as the
adaptive methods. So both are measured over 13 learning rates and several starts (the lessons ``saddle_slows_gd``
and ``plateau_stalls_gd``). The claim, for each: the sentence the lesson prints, with the band where it holds. The races below give each
optimizer its tuned lr (the surfaces' suggested lrs are the tuned ones, and the labels say so).
"""

# %%
# Check both claims over their sweeps.
import optiviz as ov

saddle_claim = ov.lessons.check("saddle_slows_gd")
plateau_claim = ov.lessons.check("plateau_stalls_gd")
print(f"Claim: {saddle_claim.claim} {plateau_claim.claim}")

# %%
# The saddle, each optimizer at its tuned lr.
saddle = ov.run("saddle", ["gd", "momentum", "rmsprop", "adam"], steps=200, tol=1e-2)
print(saddle.summary())

# %%
# The plateau, each optimizer at its tuned lr.
plateau = ov.run("flat", ["gd", "momentum", "rmsprop", "adam"], steps=200, tol=1e-2)
print(plateau.summary())

# %%
# Two animations, each titled with its claim and the numbers measured.
anim_saddle = ov.animate(saddle, layout="overlay", frames=60, dpi=80,
                         title=ov.lessons.report.caption(saddle_claim, width=80))
anim_plateau = ov.animate(plateau, layout="overlay", frames=60, dpi=80,
                          title=ov.lessons.report.caption(plateau_claim, width=80))
