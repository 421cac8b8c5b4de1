"""L1 lands on an axis, L2 does not: the geometry in 2D
=====================================================

Add a penalty to a loss and its minimum moves towards the origin. With L2, (x^2 + y^2) / 2, the pull is
proportional to each weight, so it shrinks both and zeroes neither: the minimum of 0.5 ((x - 2)^2 + (y - 0.5)^2)
moves from (2, 0.5) to (1, 0.25). With L1, ``|x| + |y|``, the pull has the same size however small the weight, so a
weight whose loss gradient is weaker than the pull is held at zero: the minimum is (1, 0), on the x axis. That
is why L1 makes weights sparse.

Gradient steps cannot sit exactly on the kink of ``|y|``: they hover around it at a distance of about the learning
rate. The claim (the lesson ``l1_vs_l2_geometry``: GD and Adam, 13 learning rates, 6 starts) states the band of
learning rates where the L1 path ends within a tenth of the L2 distance from the axis.
"""

# %%
# Check the claim over its sweep.
import optiviz as ov

result = ov.lessons.check("l1_vs_l2_geometry")
print(f"Claim: {result.claim}")

# %%
# GD on both penalized losses, at a learning rate inside the measured band for GD (the labels say so).
lo, hi = result.measured["band_gd"]
lr = (lo * hi) ** 0.5
how = {"gd": "inside the measured band"}
l1 = ov.run(ov.lessons.penalized_surface("l1"), {"gd": {"lr": lr}}, steps=3000, how=how)
l2 = ov.run(ov.lessons.penalized_surface("l2"), {"gd": {"lr": lr}}, steps=3000, how=how)
print(l1.summary())
print(l2.summary())

# %%
# Both paths, each on its own loss, titled with the claim and its numbers.
fig_l1 = ov.plot(l1, layout="overlay", dpi=80, title="L1: " + ov.lessons.report.caption(result, width=80))
fig_l2 = ov.plot(l2, layout="overlay", dpi=80, title="L2: the minimum (1, 0.25) is off the axis")
