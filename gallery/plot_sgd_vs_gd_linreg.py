"""SGD vs GD on a real regression loss
====================================

``linreg`` is the mean squared error of fitting y = w x + b to 64 noisy points, as a function of (w, b). Gradient
descent computes the exact gradient from all 64 points at every step. Stochastic gradient descent estimates it
from a minibatch of a few points drawn at random: each step costs a fraction of a full pass, but the estimate is
noisy, so SGD's path jitters and, at a constant learning rate, never settles exactly on the least-squares fit.
It hovers around it at a distance set by the learning rate and the batch size.

The claim: per point of data touched, SGD gets close to the minimum much sooner than GD; but over its last 100
steps its loss stays above the minimum, while GD's settles on it.
"""

# %%
# Same learning rate, same start; ``batch_size`` is the number of points in each SGD minibatch (real samples of
# the dataset, drawn by the engine with the run's seed). On a data surface all of SGD's noise is the minibatch's
# (on analytic surfaces it adds Gaussian gradient noise instead).
import numpy as np

import optiviz as ov

surface = ov.load_surface("linreg")
n_points, batch = 64, 8
runs = ov.run(surface, ["gd", "sgd"], steps=300, batch_size=batch, seed=0)
print(runs.summary())

# %%
# The least-squares minimum's loss, and how much data each optimizer touched to come within 0.05 of it.
best = float(surface.value(np.array(surface.minima[0])))
cost = {"gd": n_points, "sgd": batch}
touched = {}
for label, run in runs.items():
    close = np.nonzero(run.loss <= best + 0.05)[0]
    touched[label] = int(close[0]) * cost[label] if close.size else None
tail = {label: float(np.mean(run.loss[-100:]) - best) for label, run in runs.items()}
print(f"Claim: to come within 0.05 of the minimum loss {best:.3f}, gd touches {touched['gd']} data points and sgd "
      f"{touched['sgd']}; over the last 100 steps sgd's loss averages {tail['sgd']:.3g} above the minimum, "
      f"gd's {tail['gd']:.2g}.")

# %%
# Animate the two paths side by side; SGD's jitter is the minibatch noise. The loss panel is drawn against the data
# points each method has touched (GD 64 per step, SGD 8), the fair axis for comparing their cost.
anim = ov.animate(runs, layout="grid", frames=60, dpi=80, samples=cost)
