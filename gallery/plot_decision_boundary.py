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
# Train a 2-32-32-1 ReLU network on the spiral, recording the weights every 50 steps.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

import optiviz as ov

data = ov.nets.dataset("spiral", n=300, noise=0.05, seed=0)
model = ov.nets.mlp(width=32, depth=2, activation="relu")
history = ov.nets.train(model, data, "adam:lr=0.01", 2000, every=50, keep_path=True)
print(ov.nets.diagnose(history))
print(f"Claim: test accuracy {history.test_acc[0]:.0%} at step 0, {history.test_acc[len(history.steps) // 4]:.0%} "
      f"at step {history.steps[len(history.steps) // 4]}, {history.test_acc[-1]:.0%} at step {history.steps[-1]}.")

# %%
# The predicted probability of class 1 on a 80 x 80 grid, for every recorded step at once, in bands of 0.1 (flat
# colours keep the GIF small; the band edge at 0.5 is the decision boundary).
X, Y, P = ov.nets.decision_frames(model, history.path, data=data, n=80)
bands = (np.floor(np.asarray(P) * 10).clip(0, 9) + 0.5) / 10

# %%
# Animate: the probability map (artists made once, only their data change per frame) with the test points
# (black: class 1, white: class 0).
fig, ax = plt.subplots(figsize=(3.6, 3.6), dpi=80)
extent = (X.min(), X.max(), Y.min(), Y.max())
image = ax.imshow(bands[0], origin="lower", extent=extent, cmap="RdBu_r", vmin=-0.3, vmax=1.3,
                  interpolation="nearest")
ax.scatter(*data.x_test.T, c=np.where(data.y_test > 0.5, "k", "w"), s=9, edgecolors="k", linewidths=0.4)
title = ax.set_title("", fontsize=9)
ax.set_xticks([])
ax.set_yticks([])
fig.tight_layout()


def show(k):
    image.set_data(bands[k])
    title.set_text(f"step {history.steps[k]}: test accuracy {history.test_acc[k]:.0%}")
    return image, title


show(len(bands) - 1)
anim = FuncAnimation(fig, show, frames=len(bands), interval=150)
plt.show()
