"""Deeper sigmoid networks train worse: poor training is not overfitting
======================================================================

A deeper network can represent more, so it should fit its training set at least as well. With sigmoid units it
does not: the gradient reaching the first layers shrinks by a factor per layer (the sigmoid's slope is at most
1/4), gradient descent stalls on the plateau where the network predicts the class average, and the training
accuracy itself drops. That is poor training, not overfitting: the test accuracy is just as low, and no
regularizer helps; a ReLU network of the same depth trains.

The claim (the lessons ``deep_sigmoid_trains_worse`` and ``sigmoid_gradients_vanish``, over depths 2-10,
3 seeds and 7 GD learning rates from 0.03 to 3): at the best learning rate for each depth, sigmoid training
accuracy falls with depth while ReLU's stays at the top, and the first layer's gradient shrinks by orders of
magnitude at initialization and over training.
"""

# %%
# Check both claims over their shared sweep (one compiled program).
import matplotlib.pyplot as plt

import optiviz as ov

result = ov.lessons.check("deep_sigmoid_trains_worse")
grads = ov.lessons.check("sigmoid_gradients_vanish")
print(f"Claim: {result.claim}")
print(f"Claim: {grads.claim}")


# %%
# Left: training accuracy against depth at each depth's best lr. Right: first / last layer gradient.
best = result.measured["best_train_acc"]
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 4.2), dpi=80, layout="constrained")
for act, color in (("sigmoid", "#0072B2"), ("relu", "#D55E00")):
    depths = sorted(best[act], key=int)
    ax.plot([int(d) for d in depths], [best[act][d] for d in depths], "o-", color=color, label=act)
ax.set(xlabel="hidden layers", ylabel="training accuracy (best of 7 GD lrs)", ylim=(0.4, 1.03))
ax.legend()
for key, label, ls in (("grad_ratio_init", "at initialization", "-"), ("grad_ratio_peak", "largest over training", "--")):
    r = grads.measured[key]
    depths = sorted(r, key=int)
    ax2.plot([int(d) for d in depths], [r[d] for d in depths], "o", ls=ls, color="#0072B2", label=label)
ax2.set(yscale="log", xlabel="hidden layers", ylabel="sigmoid: first / last layer gradient norm")
ax2.legend()
fig.suptitle(ov.lessons.report.caption(result, width=130), fontsize=7.5, x=0.01, ha="left")
