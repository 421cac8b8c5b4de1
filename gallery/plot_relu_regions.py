"""A ReLU network is a thinner linear network for each input
==========================================================

A ReLU unit is either off (output 0) or passes its input on unchanged. For a given input, the units that are on
form a sub-network with no nonlinearity left in it: a linear map, whose matrix is the product of the weights of
the active units. Nearby inputs that switch on the same units share that map, so the network is piecewise
linear: the input space is cut into activation regions, and inside each the Jacobian is constant.

The claim (the lesson ``relu_piecewise_linear``, over depths 1-4 and 5 initializations): the Jacobian JAX
computes equals the product of the active sub-network's weights, and is unchanged at a nearby input in the same
region, to float precision; and different inputs use different sub-networks.
"""

# %%
# Check the claim over its sweep.
import matplotlib.pyplot as plt
import numpy as np

import optiviz as ov

result = ov.lessons.check("relu_piecewise_linear")
print(f"Claim: {result.claim}")


# %%
# The activation regions of a 2-8-8-8-1 ReLU network trained on the moons: each colour is one pattern of active
# units, i.e. one linear sub-network. The output's contour lines bend only at region borders.
model = ov.nets.mlp(8, 3, "relu")
params = ov.nets.train(model, "moons", "adam:lr=0.02", 300).params
xs = np.linspace(-1, 1, 300)
X, Y = np.meshgrid(xs, xs)
pts = np.stack([X.ravel(), Y.ravel()], axis=1).astype(np.float32)
out, hidden = model.apply(params, pts, hidden=True)
bits = np.concatenate([np.asarray(h) > 0 for h in hidden], axis=1)
_, region = np.unique(bits, axis=0, return_inverse=True)
fig, ax = plt.subplots(figsize=(6.2, 6), dpi=80, layout="constrained")
ax.imshow((region.reshape(X.shape) * 0.6180339) % 1.0, extent=(-1, 1, -1, 1), origin="lower", cmap="tab20",
          interpolation="nearest")
ax.contour(X, Y, np.asarray(out).reshape(X.shape), levels=12, colors="k", linewidths=0.6)
ax.set(xlabel="x1", ylabel="x2")
ax.set_title(f"{region.max() + 1} linear regions in this square.\n" + ov.lessons.report.caption(result, width=80),
             fontsize=7.5, loc="left")
