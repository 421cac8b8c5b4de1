"""A fair race: compare optimizers at their tuned learning rates
==============================================================

Which optimizer is "best" depends on the learning rates you happened to give them. A fair comparison gives each
optimizer its own best rate. ``ov.tune`` sweeps a log-spaced grid of learning rates for every optimizer in one
vmapped program (25 rates from 1e-4 to 10) and keeps, for each, the rate with the lowest loss after the step
budget (ties go to the one that got there first).

On ``steep_then_flat`` the ranking at the suggested rates and the ranking at tuned rates disagree.

The claim: RMSProp wins at the suggested rates and Adam comes fourth; tuned, Adam wins and RMSProp comes last.
"""

# %%
# The race at the learning rates the surface suggests.
import matplotlib.pyplot as plt
import numpy as np

import optiviz as ov

surface = ov.load_surface("steep_then_flat")
names = ["gd", "momentum", "adagrad", "rmsprop", "adam"]
steps = 200
suggested = ov.run(surface, names, steps=steps)

# %%
# Tune each optimizer's learning rate, then race again at those rates (a ``TuneResult`` carries its spec).
tuned_lrs = ov.tune(surface, names, steps=steps)
for label, result in tuned_lrs.items():
    print(f"{label:9s} {result.caption()}")
tuned = ov.run(surface, [result.spec for result in tuned_lrs.values()], steps=steps)
print(tuned.summary())


def ranking(runs):
    return sorted(runs, key=lambda label: float(runs[label].final_loss))


before, after = ranking(suggested), ranking(tuned)
print(f"Claim: ranked by loss after {steps} steps, at the suggested rates: {', '.join(before)}; "
      f"at tuned rates: {', '.join(after)} (Adam: {before.index('adam') + 1} -> {after.index('adam') + 1}, "
      f"RMSProp: {before.index('rmsprop') + 1} -> {after.index('rmsprop') + 1}).")

# %%
# A still: final loss per optimizer, suggested vs tuned (log scale), and the tuned race as an animation.
fig, ax = plt.subplots(figsize=(6, 3), dpi=80)
x = np.arange(len(names))
ax.bar(x - 0.2, [float(suggested[n].final_loss) for n in names], 0.4, label="suggested lr")
ax.bar(x + 0.2, [float(tuned[n].final_loss) for n in names], 0.4, label="tuned lr")
ax.set_xticks(x, names)
ax.set_yscale("log")
ax.set_ylabel(f"loss after {steps} steps")
ax.legend()
fig.tight_layout()

anim = ov.animate(tuned, layout="grid", frames=50, dpi=80)
ov.save(anim, "tuned_comparison.gif")
ov.save(anim, "tuned_comparison.html")  # a page with play, pause and step controls
ov.save(fig, "tuned_comparison.png")
