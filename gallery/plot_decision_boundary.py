"""The decision boundary over training
====================================

A classifier's decision boundary is where its predicted probability crosses 1/2. Watching it move during
training shows how a network carves the plane: it starts as a nearly straight cut (a fresh network is almost
linear near the origin), bends as units switch on and off, and ends wrapped around the two interleaved arms of
the spiral. A ReLU network is a piecewise-linear function of its input, so its boundary is made of straight
pieces; a tanh network's is smooth.

``keep_path=True`` keeps the weights at every recorded step, so the boundary can be drawn at any of them
(``ov.nets.decision_frames`` evaluates all of them in one vmapped call).

The claim: test accuracy rises from chance (about 50%) at step 0 to above 80% at the end, for both networks.
"""

# %%
# Train a ReLU and a tanh network (2-32-32-1) on the spiral side by side, recording the weights every 50 steps.
import optiviz as ov
from optiviz.render import nets as netviz

data = ov.nets.dataset("spiral", n=300, noise=0.05, seed=0)
models = [ov.nets.mlp(width=32, depth=2, activation=a) for a in ("relu", "tanh")]
runs = ov.nets.train(models, data, "adam:lr=0.01", 2000, every=50, keep_path=True, labels=["relu", "tanh"])
for label, h in runs.items():
    print(f"{label}: {ov.nets.diagnose(h)}")

# %%
# Test accuracy at the start, a quarter of the way, and at the end.
quarter = len(runs["relu"].steps) // 4
print("Claim: test accuracy " + "; ".join(
    f"{label} {h.test_acc[0]:.0%} at step 0, {h.test_acc[quarter]:.0%} at step {h.steps[quarter]}, "
    f"{h.test_acc[-1]:.0%} at step {h.steps[-1]}" for label, h in runs.items()) + ".")

# %%
# Animate both boundaries over training (orange: class 0, blue: class 1; training points filled, test points
# hollow) with the learning curves.
anim = netviz.animate_decision_boundary(runs, data, frames=30, n=60, dpi=70)
