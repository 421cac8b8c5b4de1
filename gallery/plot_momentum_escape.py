"""Momentum rolls past a local minimum: in a band of learning rates
==================================================================

``local_minima`` is a tilted double well, f(x, y) = (x^2 - 1)^2 - x/2 + y^2: a shallow minimum at x = -0.93 in
front of the deeper, global one at x = 1.06, with a ridge between them at x = -0.13. Gradient descent with a small
step slides into the first well and stops: at the bottom the gradient is zero. The heavy ball keeps the speed it
gathered on the wall (its velocity is a running sum of gradients) and can roll over the ridge.

A skeptic changes the learning rate, and the lesson flips: at lr 0.1 and above GD overshoots into the global basin
too, and Momentum diverges. So the claim is measured, not staged: the lesson ``momentum_escapes`` runs GD, Momentum,
RMSProp and Adam from 108 starts left of the ridge at 13 learning rates (one compiled program) and counts the
starts that end in the global minimum.

The claim (the sentence ``optiviz lessons momentum_escapes`` prints, with the numbers measured): at the same lr,
Momentum reaches the global minimum from more starts than GD in a band of learning rates, stated with its ends.
"""

# %%
# Check the claim over its whole sweep: the sentence is written from the numbers.
import matplotlib.pyplot as plt
import numpy as np

import optiviz as ov

result = ov.lessons.check("momentum_escapes")
print(f"Claim: {result.claim}")

# %%
# The sweep itself: the fraction of starts that end in the global minimum, per optimizer and learning rate. The
# shaded band is where the claim holds; outside it the lesson is different, and the picture says so.
rows = result.rows
lrs = [r["lr"] for r in rows]
fig, ax = plt.subplots(figsize=(7.0, 3.6), layout="constrained")
for name in ("gd", "momentum", "adam", "rmsprop"):
    ax.plot(lrs, [r[name] for r in rows], marker="o", label=name)
lo, hi = result.measured["band"]
ax.axvspan(lo, hi, color="0.9", zorder=0, label="claim holds")
ax.set(xscale="log", xlabel="learning rate (the same for every optimizer)", ylabel="starts reaching the global min",
       ylim=(-0.03, 1.03))
ax.legend(loc="upper left", fontsize=7)
fig.suptitle(ov.lessons.report.caption(result, width=110), fontsize=7, ha="left", x=0.01)

# %%
# One start (the surface's), at a learning rate inside the band: the in-band learning rates are tried from this
# start in one run, and the picture shows the largest one at which Momentum escapes and GD stops. The labels say
# how the lr was chosen.
surface = ov.load_surface("local_minima")
band = np.array([r["lr"] for r in rows if r["in_band"]])
ends = ov.run(surface, ["gd", "momentum"], lrs=band, steps=300, record="final")
glob = np.array(surface.minima[0])
escapes = [i for i in range(len(band)) if np.linalg.norm(ends["momentum"].final[i] - glob) < 0.05
           and np.linalg.norm(ends["gd"].final[i] - glob) > 0.05]
lr = float(band[escapes[-1]])
how = "the same for both, inside the measured band"
runs = ov.run(surface, {"gd": {"lr": lr}, "momentum": {"lr": lr}}, steps=300, how={"gd": how, "momentum": how})
print(runs.summary())
anim = ov.animate(runs, layout="overlay", frames=60, dpi=80, title=ov.lessons.report.caption(result, width=80))
# sphinx_gallery_thumbnail_number = 2
