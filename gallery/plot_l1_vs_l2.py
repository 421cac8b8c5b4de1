"""L1 vs L2: sparse weights vs small weights
==========================================

Both penalties pull the weights towards zero, in different ways. L2 (weight decay) adds l2 * sum w^2: its
gradient 2 l2 w shrinks every weight in proportion to its size, so weights get small but rarely exactly zero.
L1 adds l1 * sum ``|w|``: its gradient l1 * sign(w) pulls every weight with the same force however small it is, so
the weights that do not earn their keep are pushed all the way to zero: L1 makes the network *sparse*.

Two identical networks (2-32-32-1, ReLU) learn the ``moons`` dataset with Adam, one with each penalty.

The claim: L1 leaves most weights near zero (``|w|`` < 0.01), L2 far fewer, at a similar accuracy.
"""

# %%
# Train both runs side by side in one compiled program: a list gives one value per run.
import optiviz as ov
from optiviz.render import nets as netviz

data = ov.nets.dataset("moons", n=200, noise=0.15, seed=0)
model = ov.nets.mlp(width=32, depth=2, activation="relu")
runs = ov.nets.train(model, data, "adam:lr=0.01", 1500, l1=[3e-3, 0.0], l2=[0.0, 3e-3], labels=["L1", "L2"],
                     keep_path=False, every=50)

# %%
# How sparse did each penalty make the weights?
sparse = {label: ov.nets.near_zero_fraction(h.params, tol=1e-2) for label, h in runs.items()}
acc = {label: float(h.test_acc[-1]) for label, h in runs.items()}
print(f"Claim: weights with |w| < 0.01: L1 {sparse['L1']:.0%}, L2 {sparse['L2']:.0%}; "
      f"test accuracy L1 {acc['L1']:.0%}, L2 {acc['L2']:.0%}.")

# %%
# Histograms of the trained weights: L1's spike at zero, L2's narrow bell.
fig = netviz.plot_weight_histograms(runs, tol=1e-2, dpi=80)
