"""Dropout: a lower test loss, not only a smaller gap
===================================================

A network with far more weights than data points can memorize its training set, noise and all: its training
loss goes to zero while its test loss grows. Dropout (Srivastava et al., 2014) switches off each hidden unit
with probability p at every training step, so no unit can rely on particular others. A smaller train-test gap
alone proves little (a network that trains worse has a smaller gap too); what counts is a lower *test* loss.
At test time every unit is on: optiviz uses inverted dropout, so the kept units are scaled by 1 / (1 - p) while
training, and the deterministic network is the "weight-scaled" one. For a linear network that is exactly the
average over all 2^n dropout masks; with nonlinearities it is an approximation, and the lesson measures how good.

The claim (the lesson ``dropout_reduces_overfitting``, over 3 seeds of data, initialization and masks and 7
Adam learning rates from 0.001 to 0.1): on 40 noisy moons points a 2-64-64-1 ReLU net overfits, and dropout 0.5
lowers its held-out test loss in the band of learning rates the sentence states, not at every one.
"""

# %%
# Check the claim over its sweep.
import matplotlib.pyplot as plt
import numpy as np

import optiviz as ov

result = ov.lessons.check("dropout_reduces_overfitting")
print(f"Claim: {result.claim}")


# %%
# Left: held-out test loss with dropout against without, one dot per lr x seed (below the diagonal: dropout
# helped). Right: the learning curves of one run of the setup (seed 0, lr 0.003), with and without dropout.
rows = [r for r in result.rows if r["part"] == "test loss"]
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 4), dpi=80, layout="constrained")
sc = ax.scatter([r["test_loss_plain"] for r in rows], [r["test_loss_dropout"] for r in rows],
                c=np.log10([r["lr"] for r in rows]), cmap="viridis", s=26)
lim = [min(min(r["test_loss_plain"], r["test_loss_dropout"]) for r in rows) * 0.8,
       max(max(r["test_loss_plain"], r["test_loss_dropout"]) for r in rows) * 1.2]
ax.plot(lim, lim, color="#999999", lw=0.8, ls=":")
ax.set(xscale="log", yscale="log", xlabel="test loss, no dropout", ylabel="test loss, dropout 0.5",
       title="one dot per lr x seed (colour: lr, dark = small)")
data = ov.nets.dataset("moons", n=200, test_fraction=0.8, noise=0.3, seed=0)
runs = ov.nets.train(ov.nets.mlp(64, 2, "relu"), data, "adam:lr=0.003", 1500, dropout=[0.0, 0.5],
                     labels=["no dropout", "dropout 0.5"], every=25, keep_path=False)
for (label, h), color in zip(runs.items(), ("#D55E00", "#0072B2")):
    ax2.plot(h.steps, h.train_loss, color=color, label=f"{label} train")
    ax2.plot(h.steps, h.test_loss, color=color, ls="--", label=f"{label} test")
ax2.set(yscale="log", xlabel="step", ylabel="loss")
ax2.legend(fontsize=7.5)
fig.suptitle(ov.lessons.report.caption(result, width=130), fontsize=7.5, x=0.01, ha="left")
