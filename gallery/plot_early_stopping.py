"""Early stopping
==============

A network that can memorize its training set keeps lowering its training loss long after it has learned what
generalizes; from then on it fits noise and its validation loss rises. Early stopping watches the validation
loss and keeps the weights from where it was lowest. To know whether that helps, judge it on data used for
nothing else: a held-out set.

The claim (the lesson ``early_stopping``, over 3 seeds of data, initialization and minibatches and 7 Adam
learning rates from 0.001 to 0.1): on 40 noisy moons points a 2-64-64-1 ReLU net's validation loss has its
minimum before the last step, and the weights there have a lower held-out loss than the last weights.
"""

# %%
# Check the claim over its sweep.
import matplotlib.pyplot as plt
import numpy as np

import optiviz as ov

result = ov.lessons.check("early_stopping")
print(f"Claim: {result.claim}")


# %%
# Left: one run of the lesson's setup (seed 0, lr 0.01), its train and validation loss and the stopping point.
# Right: held-out loss at the validation minimum against at the last step, one dot per lr x seed.
data = ov.nets.dataset("moons", n=200, test_fraction=0.8, noise=0.3, seed=0)
h = ov.nets.train(ov.nets.mlp(64, 2, "relu"), data, "adam:lr=0.01", 1500, every=25, keep_path=False)
best = int(np.argmin(h.test_loss))
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 4), dpi=80, layout="constrained")
ax.plot(h.steps, h.train_loss, color="#0072B2", label="train")
ax.plot(h.steps, h.test_loss, color="#D55E00", ls="--", label="validation")
ax.axvline(h.steps[best], color="#999999", lw=1)
ax.annotate(f"stop here: step {int(h.steps[best])}", (h.steps[best], h.test_loss[best]), xytext=(10, 30),
            textcoords="offset points", fontsize=8, arrowprops=dict(arrowstyle="->", lw=0.8))
ax.set(yscale="log", xlabel="step", ylabel="loss")
ax.legend()
rows = [r for r in result.rows if "held_last" in r]
ax2.scatter([r["held_last"] for r in rows], [r["held_at_best"] for r in rows], c=np.log10([r["lr"] for r in rows]),
            cmap="viridis", s=26)
lim = [min(r["held_at_best"] for r in rows) * 0.8, max(r["held_last"] for r in rows) * 1.2]
ax2.plot(lim, lim, color="#999999", lw=0.8, ls=":")
ax2.set(xscale="log", yscale="log", xlabel="held-out loss, last step", ylabel="held-out loss, early-stopped",
        title="one dot per lr x seed (colour: lr, dark = small)")
fig.suptitle(ov.lessons.report.caption(result, width=130), fontsize=7.5, x=0.01, ha="left")
