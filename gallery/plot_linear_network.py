"""A network without activations is one linear map
================================================

Stack as many layers as you like: if nothing nonlinear sits between them, x W1 W2 ... Wn + b is still one
matrix times the input plus a bias. So a deep linear network draws one straight decision boundary and cannot
separate XOR, whose classes sit in opposite quadrants, while a single hidden layer of ReLUs bends the boundary
and fits it.

The claim (the lesson ``linear_without_activations``, over depths 1-10, 3 seeds and 7 Adam learning rates from
0.003 to 0.3): the output equals one composed affine map to float tolerance at every depth, the deepest linear
net tops out near the best a straight line can do on XOR, and one hidden layer of 8 ReLUs fits it.
"""

# %%
# Check the claim over its sweep.
import matplotlib.pyplot as plt
import numpy as np

import optiviz as ov

result = ov.lessons.check("linear_without_activations")
print(f"Claim: {result.claim}")


# %%
# Training accuracy on XOR against the learning rate, one dot per seed.
fits = [r for r in result.rows if r["part"] == "XOR fit"]
fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=80, layout="constrained")
for key, label, color in (("linear_acc", "deep linear net (no activation)", "#0072B2"),
                          ("relu_acc", "one hidden layer of 8 ReLUs", "#D55E00")):
    ax.scatter([r["lr"] for r in fits], [r[key] for r in fits], color=color, label=label, s=28)
ax.axhline(0.5, color="#999999", lw=0.8, ls=":")
ax.set(xscale="log", xlabel="Adam learning rate", ylabel="training accuracy on XOR", ylim=(0.0, 1.05))
ax.legend(loc="lower right")
ax.set_title(ov.lessons.report.caption(result), fontsize=7.5, loc="left")
print("max relative error of the composed map:", f"{result.measured['max_relative_error']:.1e}")
