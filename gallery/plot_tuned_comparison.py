"""A fair race: compare optimizers at their tuned learning rates
==============================================================

Which optimizer is "best" depends on the learning rates you happened to give them. A fair comparison gives each
optimizer its own best rate. ``ov.tune`` sweeps a log-spaced grid of learning rates for every optimizer in one
vmapped program (25 rates from 1e-4 to 10) and keeps, for each, the rate with the lowest loss after the step
budget (ties go to the one that got there first).

On ``steep_then_flat`` the ranking at one shared learning rate (0.05 for everyone, a common habit) and the ranking
at tuned rates disagree. (The built-in surfaces' suggested rates are the tuned ones, so a plain ``ov.run`` race is
fair, and its captions say "(tuned)".)

The claim: the ranking at one shared lr differs from the ranking at tuned lrs, and the tuned lrs are the surface's
suggested ones.
"""

# %%
# The race at one learning rate shared by all, 0.05 (the captions say how it was chosen).
import matplotlib.pyplot as plt
import numpy as np

import optiviz as ov

surface = ov.load_surface("steep_then_flat")
names = ["gd", "momentum", "adagrad", "rmsprop", "adam"]
steps = 200
suggested = ov.run(surface, {name: {"lr": 0.05} for name in names}, steps=steps,
                   how=dict.fromkeys(names, "one lr shared by all"))

# %%
# Tune each optimizer's learning rate, then race again at those rates (a ``TuneResult`` carries its spec).
tuned_lrs = ov.tune(surface, names, steps=steps)
for label, result in tuned_lrs.items():
    print(f"{label:9s} {result.caption()}")
tuned = ov.run(surface, [result.spec for result in tuned_lrs.values()], steps=steps,
               how=dict.fromkeys(tuned_lrs, "tuned"))
print(tuned.summary())


def ranking(runs):
    return sorted(runs, key=lambda label: float(runs[label].final_loss))


before, after = ranking(suggested), ranking(tuned)
same = all(abs(surface.lr[n] - float(f"{r.lr:.3g}")) == 0 for n, r in tuned_lrs.items())
print(f"Claim: ranked by loss after {steps} steps, at one shared lr 0.05: {', '.join(before)}; "
      f"at tuned rates: {', '.join(after)} (Adam: {before.index('adam') + 1} -> {after.index('adam') + 1}, "
      f"RMSProp: {before.index('rmsprop') + 1} -> {after.index('rmsprop') + 1}); the tuned lrs "
      f"{'are' if same else 'are not'} the surface's suggested ones.")

# %%
# A still: final loss per optimizer, suggested vs tuned (log scale), and the tuned race as an animation.
fig, ax = plt.subplots(figsize=(6, 3), dpi=80)
x = np.arange(len(names))
ax.bar(x - 0.2, [float(suggested[n].final_loss) for n in names], 0.4, label="lr 0.05 for all")
ax.bar(x + 0.2, [float(tuned[n].final_loss) for n in names], 0.4, label="tuned lr")
ax.set_xticks(x, names)
ax.set_yscale("log")
ax.set_ylabel(f"loss after {steps} steps")
ax.legend()
fig.tight_layout()

anim = ov.animate(tuned, layout="grid", frames=50, dpi=80)
# sphinx_gallery_thumbnail_number = 2
