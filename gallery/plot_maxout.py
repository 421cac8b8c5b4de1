"""Maxout generalizes ReLU
=======================

A Maxout unit outputs the largest of k affine pieces of its input. Give it two pieces, one of them the zero
function, and it is exactly a ReLU: max(w x + b, 0). With learned pieces it can also be ``|x| = max(x, -x)``, or any
convex piecewise-linear function. The gradient flows through whichever piece wins for an input, so a unit never
dies the way a ReLU stuck at zero does; but a piece that wins for no input at all gets no gradient.

The claim (the lesson ``maxout_generalizes_relu``, over 3 seeds, two targets and 7 Adam learning rates from
0.003 to 0.3): pieces (w, 0) give ReLU bit for bit; a small Maxout net learns ``|x|`` and ReLU(x); and the lesson
measures how often every piece wins for some input, rather than assuming it always does.
"""

# %%
# Check the claim over its sweep.
import matplotlib.pyplot as plt
import numpy as np

import optiviz as ov

result = ov.lessons.check("maxout_generalizes_relu")
print(f"Claim: {result.claim}")


# %%
# Left: test R^2 against the learning rate per target. Right: the share of pieces that win for some input.
fits = [r for r in result.rows if r["part"] == "fit"]
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 4), dpi=80, layout="constrained")
for target, color in (("abs", "#0072B2"), ("relu", "#D55E00")):
    sub = [r for r in fits if r["target"] == target]
    ax.scatter([r["lr"] for r in sub], [r["test_r2"] for r in sub], color=color, s=24, label=f"target {target}(x)")
    ax2.scatter([r["lr"] for r in sub], [r["pieces_win"] for r in sub], color=color, s=24, label=f"target {target}(x)")
ax.set(xscale="log", xlabel="Adam learning rate", ylabel="test R^2", ylim=(0.9, 1.005))
ax2.set(xscale="log", xlabel="Adam learning rate", ylabel="share of pieces that win for some input",
        ylim=(0, 1.05))
ax.legend(loc="lower right")
fig.suptitle(ov.lessons.report.caption(result, width=130), fontsize=7.5, x=0.01, ha="left")
