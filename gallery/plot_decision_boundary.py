"""The decision boundary over training
====================================

A classifier's decision boundary is where its predicted probability crosses 1/2. Watching it move during
training shows how a ReLU network carves the plane: it starts as a nearly straight cut (a fresh network is
almost linear near the origin), bends as units switch on and off, and ends wrapped around the two interleaved
arms of the spiral. Every region between kinks is linear, because a ReLU network is a piecewise-linear function
of its input.

``keep_path=True`` keeps the weights at every recorded step; ``ov.nets.decision_frames`` evaluates the network on
a grid for all of them in one vmapped call.

The claim: test accuracy rises from chance (about 50%) at step 0 to above 80% at the end.
"""

# %%
# Train a 2-32-32-1 ReLU network on the spiral, recording the weights every 25 steps.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

import optiviz as ov

data = ov.nets.dataset("spiral", n=300, noise=0.05, seed=0)
model = ov.nets.mlp(width=32, depth=2, activation="relu")
history = ov.nets.train(model, data, "adam:lr=0.01", 2000, every=25, keep_path=True)
print(ov.nets.diagnose(history))
print(f"Claim: test accuracy {history.test_acc[0]:.0%} at step 0, {history.test_acc[len(history.steps) // 4]:.0%} "
      f"at step {history.steps[len(history.steps) // 4]}, {history.test_acc[-1]:.0%} at step {history.steps[-1]}.")

# %%
# The predicted probability of class 1 on a 80 x 80 grid, for every recorded step at once.
X, Y, P = ov.nets.decision_frames(model, history.path, data=data, n=80)

# %%
# Animate: the probability map (artists made once, only their data change per frame) with the test points.
fig, ax = plt.subplots(figsize=(4, 4), dpi=80)
extent = (X.min(), X.max(), Y.min(), Y.max())
image = ax.imshow(P[0], origin="lower", extent=extent, cmap="RdBu_r", vmin=0, vmax=1, alpha=0.7)
ax.scatter(*data.x_test.T, c=data.y_test, cmap="RdBu_r", vmin=0, vmax=1, s=8, edgecolors="k", linewidths=0.3)
title = ax.set_title("", fontsize=9)
ax.set_xticks([])
ax.set_yticks([])
fig.tight_layout()


def show(k):
    image.set_data(P[k])
    title.set_text(f"step {history.steps[k]}: test accuracy {history.test_acc[k]:.0%}")
    return image, title


show(len(P) - 1)
anim = FuncAnimation(fig, show, frames=len(P), interval=100)
plt.show()
