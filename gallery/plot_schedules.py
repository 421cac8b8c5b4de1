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
# The learning rate itself, step by step: what each schedule does to the step size (each run in the colour, dash
# pattern and marker it has in every optiviz picture).
style = ov.render.style
t = np.arange(steps + 1)
with style.context():
    fig = ov.render.figure((6.0, 3.0), 80)
    ax = fig.add_subplot()
    looks = style.assign(f"slot{i}" for i in range(len(runs)))  # one sgd four times: a look per schedule
    for (name, s), lk in zip(schedules.items(), looks):
        rate = np.full(t.shape, float(s)) if isinstance(s, float) else np.asarray(s(t), float)
        ax.plot(t, rate, color=lk.color, ls=lk.dashes, lw=1.6, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_ylim(0, lr * 1.1)
    ax.legend(loc="upper right", handlelength=2.6)
    ax.set_title("the four schedules, all starting at lr 0.15", fontsize=style.FONT["caption"] + 0.5)
    style.caption(fig, "big steps first to travel, small steps last to settle under the minibatch noise")

# %%
# Animate the four runs; the loss panel shows the noise floor each one settles to.
anim = ov.animate(runs, layout="grid", frames=50, dpi=80)
# sphinx_gallery_thumbnail_number = 2
