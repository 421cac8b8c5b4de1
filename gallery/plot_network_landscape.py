"""Optimizer paths on a network's loss landscape
==============================================

A network has thousands of weights, so its loss cannot be drawn directly. But an optimizer's path through the
weights lives almost entirely in a tiny subspace: the top two principal components of all the recorded weights
typically capture most of the paths' variance (Li et al., 2018, "Visualizing the Loss Landscape of Neural Nets",
sec. 7). ``ov.nets.landscape`` fits that plane, evaluates the exact training loss on a grid over it, and projects
every path onto it. The result is a surface like the 2D ones, drawn by the same ``ov.animate``.

Three optimizers train the same small network from the same initial weights on the ``moons`` dataset.

The claim: the PCA plane keeps most of the variance of the three paths, and Adam ends with the lowest training
loss.
"""

# %%
# Three runs side by side, in one compiled program, keeping every recorded weight vector.
import optiviz as ov
from optiviz.render import nets as netviz

data = ov.nets.dataset("moons", n=200, noise=0.1, seed=0)
model = ov.nets.mlp(width=8, depth=2, activation="tanh")
runs = ov.nets.train(model, data, {"sgd": "sgd:lr=0.3", "momentum": "momentum:lr=0.05", "adam": "adam:lr=0.02"},
                     400, every=4, keep_path=True)

# %%
# The plane through the weights and the loss on a 41 x 41 grid over it.
land = ov.nets.landscape(runs, plane="pca", n=41)
print(land.describe())
final = {label: float(h.train_loss[-1]) for label, h in runs.items()}
print(f"Claim: the PCA plane keeps {float(land.explained.sum()):.0%} of the paths' variance; final training loss: "
      + ", ".join(f"{label} {loss:.3f}" for label, loss in final.items()) + ".")

# %%
# Animate the projected paths on the landscape with the 2D surface renderer (``ov.animate`` on
# ``land.trajectories()`` and ``land.surface()`` does the same).
anim = netviz.animate_landscape(land, layout="overlay", frames=50, dpi=80)
