"""Activation functions and their derivatives
===========================================

A network learns through the derivatives of its activations: backpropagation multiplies the gradient by f'(z)
at every layer. So the shape of f' matters as much as the shape of f. The sigmoid's derivative is at most 1/4
and vanishes for large ``|z|`` (the unit *saturates*); tanh's is at most 1 but saturates too. ReLU's is exactly 1
for every positive input and 0 for negative ones (a "dead" unit passes no gradient), and its smooth kin (ELU,
GELU, Swish, softplus) keep a small slope below zero. Maxout takes the maximum of k learned linear pieces; drawn
here with k = 3 fixed pieces, it is a convex piecewise-linear curve whose slope is always one of the pieces'.

At a kink optiviz uses the left-hand derivative, so ReLU'(0) = 0 (as ``jax.nn.relu``).

The claim: the sigmoid's derivative never exceeds 0.25 and is below 0.01 for ``|z|`` > 5; tanh's peaks at 1;
ReLU's takes only the values 0 and 1.
"""

# %%
# The derivatives behind the claim, by JAX, on a grid from -8 to 8 (``ov.activation(name).derivative``).
import numpy as np

import optiviz as ov
from optiviz.render import nets as netviz

z = np.linspace(-8, 8, 1601)
d = {name: np.asarray(ov.activation(name).derivative(z)) for name in ["sigmoid", "tanh", "relu"]}
far = np.abs(z) > 5
print(f"Claim: max sigmoid'(z) = {d['sigmoid'].max():.4f} (at z = {z[np.argmax(d['sigmoid'])]:.2f}), and "
      f"{d['sigmoid'][far].max():.4f} at most for |z| > 5; max tanh'(z) = {d['tanh'].max():.4f}; relu'(z) takes "
      f"the values {np.unique(d['relu']).tolist()}.")

# %%
# One panel per activation: the function (solid) and its derivative (dashed), drawn by optiviz's network figures.
names = ["sigmoid", "tanh", "relu", "leaky_relu:alpha=0.1", "elu", "gelu", "swish", "maxout:pieces=3"]
fig = netviz.plot_activations(names, x=(-5.0, 5.0), dpi=80)
