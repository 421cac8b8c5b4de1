"""Vanishing gradients: sigmoid vs ReLU vs Maxout
==============================================

Backpropagation multiplies the gradient, layer by layer from the output back to the input, by each layer's
weights and by its activation's derivative. The sigmoid's derivative is at most 1/4, so in a deep sigmoid
network the gradient shrinks by a roughly constant factor per layer: the first layers hardly learn. ReLU's
derivative is 1 on every active unit and He initialization keeps the weights' scale right, so its gradient
reaches the first layer nearly intact; Maxout, whose derivative is 1 along the winning piece, behaves like ReLU.

Here a freshly initialized network with 8 hidden layers of 32 units classifies the spiral dataset, and
``ov.nets.layer_grad_norms`` measures the norm of the loss gradient for each of its 9 weight layers.

The claim: with sigmoid the first layer receives about a millionth of the output layer's gradient; with ReLU
and Maxout the two stay within a factor of 10.
"""

# %%
# One norm per weight layer, input layer first, for each activation.
import optiviz as ov
from optiviz.render import nets as netviz

depth, width = 8, 32
norms = {name: ov.nets.layer_grad_norms(name, depth=depth, width=width, seed=0)
         for name in ["sigmoid", "relu", "maxout"]}
for name, g in norms.items():
    print(f"{name:8s}", " ".join(f"{v:.2e}" for v in g))

# %%
# The ratio of the first layer's gradient norm to the output layer's.
ratio = {name: float(g[0] / g[-1]) for name, g in norms.items()}
print(f"Claim: first-layer / output-layer gradient norm in a {depth}-hidden-layer network: sigmoid "
      f"{ratio['sigmoid']:.1e}, relu {ratio['relu']:.2f}, maxout {ratio['maxout']:.2f}.")

# %%
# The gradient norm of each layer on a log scale, one line per activation.
fig = netviz.plot_grad_norms(norms, dpi=80)
