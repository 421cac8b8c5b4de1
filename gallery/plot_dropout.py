"""Dropout and the train-test gap
===============================

A network with far more weights than data points can memorize its training set, label noise and all: its
training loss goes to zero while its test loss grows. That widening train-test gap is overfitting. Dropout
(Srivastava et al., 2014) switches off each hidden unit with probability p at every training step, so no unit
can rely on particular others, and the network learns what many thinned sub-networks agree on. At test time
every unit is on (optiviz uses *inverted* dropout: kept units are scaled by 1 / (1 - p) during training).

Two identical 2-64-64-1 ReLU networks learn 60 noisy ``moons`` points (10% of the labels flipped) with Adam;
one with dropout p = 0.5.

The claim: without dropout the final test loss is many times the training loss; dropout shrinks that gap
several-fold.
"""

# %%
# Both runs in one compiled program: ``dropout`` takes one value per run.
import optiviz as ov
from optiviz.render import nets as netviz

data = ov.nets.dataset("moons", n=120, noise=0.25, label_noise=0.1, seed=0)
model = ov.nets.mlp(width=64, depth=2, activation="relu")
runs = ov.nets.train(model, data, "adam:lr=0.01", 1000, dropout=[0.0, 0.5], labels=["no dropout", "dropout 0.5"],
                     keep_path=False, every=10)
for label, h in runs.items():
    print(f"{label}: {ov.nets.diagnose(h)}")

# %%
# The gap between test and training loss at the end of training.
gap = {label: float(h.test_loss[-1] - h.train_loss[-1]) for label, h in runs.items()}
print(f"Claim: final test - train loss: {gap['no dropout']:.2f} without dropout (train "
      f"{runs['no dropout'].train_loss[-1]:.3f}, test {runs['no dropout'].test_loss[-1]:.2f}), "
      f"{gap['dropout 0.5']:.2f} with dropout p=0.5: {gap['no dropout'] / gap['dropout 0.5']:.0f} times smaller.")

# %%
# Training (solid) and test (dashed) loss and accuracy over the steps, for both runs.
fig = netviz.plot_learning_curves(runs, dpi=80)
ov.save(fig, "dropout.png")
