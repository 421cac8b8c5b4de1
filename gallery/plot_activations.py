"""Activation functions and their derivatives
===========================================

A network learns through the derivatives of its activations: backpropagation multiplies the gradient by f'(z)
at every layer. So the shape of f' matters as much as the shape of f. The sigmoid's derivative is at most 1/4
and vanishes for large |z| (the unit *saturates*); tanh's is at most 1 but saturates too. ReLU's is exactly 1
for every positive input and 0 for negative ones (a "dead" unit passes no gradient), and its smooth kin (ELU,
GELU, Swish, softplus) keep a small slope below zero. Maxout takes the maximum of k learned linear pieces; drawn
here with k = 3 fixed pieces, it is a convex piecewise-linear curve whose slope is always one of the pieces'.

At a kink optiviz uses the left-hand derivative, so ReLU'(0) = 0 (as ``jax.nn.relu``).

The claim: the sigmoid's derivative never exceeds 0.25 and is below 0.01 for |z| > 5; tanh's peaks at 1;
ReLU's takes only the values 0 and 1.
"""

# %%
# Evaluate every activation and its derivative (by JAX) on one grid.
import numpy as np

import optiviz as ov
from optiviz.render import nets as netviz

z = np.linspace(-5, 5, 1001)
names = ["sigmoid", "tanh", "relu", "leaky_relu:alpha=0.1", "elu", "gelu", "swish", "maxout:pieces=3"]
acts = [ov.activations.parse(name) for name in names]
curves = {a.caption(): (np.asarray(a.curve(z)), np.asarray(a.curve_derivative(z))) for a in acts}

# %%
# The numbers behind the claim.
sig_d = curves["sigmoid"][1]
tanh_d = curves["tanh"][1]
relu_values = np.unique(curves["relu"][1])
z_wide = np.linspace(-8, 8, 1601)
sig_far = float(np.max(np.asarray(ov.activation("sigmoid").derivative(z_wide))[np.abs(z_wide) > 5]))
print(f"Claim: max sigmoid'(z) = {sig_d.max():.4f} (at z = {z[np.argmax(sig_d)]:.2f}), and {sig_far:.4f} at most "
      f"for |z| > 5; max tanh'(z) = {tanh_d.max():.4f}; relu'(z) takes the values {relu_values.tolist()}.")

# %%
# One panel per activation: the function (solid) and its derivative (dashed), drawn by optiviz's network figures.
fig = netviz.plot_activations(names, x=(-5.0, 5.0), dpi=80)
ov.save(fig, "activations.png")
