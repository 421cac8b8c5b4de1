"""Learning-rate schedules: big steps first, small steps last
==========================================================

With noisy gradients a constant learning rate never settles: each step adds noise of size about lr, so the run
hovers around the minimum at a distance that shrinks only with the learning rate. Starting large (to travel fast)
and decaying (to settle) gets both. A schedule maps the update count t to a step size; optiviz's are traced
numbers, so trying another one never recompiles.

Here SGD fits ``linreg`` with real minibatches of 4 points, at a constant rate and with three decaying
schedules that start at the same rate.

The claim: over the last 50 steps, every decaying schedule keeps the loss much closer to the least-squares
minimum than the constant rate.
"""

# %%
# Build the schedules and give each run its own label.
import numpy as np

import optiviz as ov

surface = ov.load_surface("linreg")
steps, lr = 400, 0.15
schedules = {
    "constant": lr,
    "exponential": ov.schedule("exponential", lr=lr, decay_rate=0.99),
    "inverse_sqrt": ov.schedule("inverse_sqrt", lr=lr),
    "cosine": ov.schedule("cosine", lr=lr, steps=steps),
}
runs = ov.run(surface, {name: {"name": "sgd", "lr": s} for name, s in schedules.items()},
              steps=steps, batch_size=4, seed=1)
print(runs.summary())

# %%
# How far above the minimum each run's loss stays at the end.
best = float(surface.value(np.array(surface.minima[0])))
excess = {name: float(np.mean(run.loss[-50:]) - best) for name, run in runs.items()}
print("Claim: mean loss above the minimum over the last 50 steps: "
      + ", ".join(f"{name} {value:.2g}" for name, value in excess.items())
      + f"; the best schedule is {excess['constant'] / min(excess.values()):.0f} times closer than the constant rate.")

# %%
# Animate the four runs; the loss panel shows the noise floor each one settles to.
anim = ov.animate(runs, layout="grid", frames=50, dpi=80)
ov.save(anim, "schedules.gif")  # the suffix picks the format: .gif, .mp4, .html, .png
ov.save(anim, "schedules.html")  # a page with play, pause and step controls
