"""Momentum rolls out of a local minimum
======================================

``local_minima`` is a tilted double well, f(x, y) = (x^2 - 1)^2 - x/2 + y^2: a shallow minimum at x = -0.93 in
front of the deeper, global one at x = 1.06, with a ridge between them at x = -0.13. Started high on the left
wall, gradient descent slides into the first well and stops: at the bottom the gradient is zero, so nothing more
happens. The heavy ball keeps the speed it gathered on the wall (its velocity is a running sum of gradients),
rolls over the ridge and settles in the global minimum. Adam's normalized steps build no such speed and stay
local too.

The claim: gradient descent and Adam end at the local minimum (x = -0.93), Momentum at the global one (x = 1.06).
"""

# %%
# Run three optimizers from the surface's start, at its suggested learning rates.
import numpy as np

import optiviz as ov

surface = ov.load_surface("local_minima")
runs = ov.run(surface, ["gd", "momentum", "adam"], steps=300)
print(runs.summary())

# %%
# Which minimum did each optimizer end in? The nearest of the surface's listed minima (global first).
minima = np.array(surface.minima)


def where(run):
    i = int(np.argmin(np.linalg.norm(minima - run.final, axis=1)))
    return ("global" if i == 0 else "local"), np.round(run.final, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


ends = {label: where(run) for label, run in runs.items()}
print("Claim: " + "; ".join(f"{label} ends at ({xy[0]:.2f}, {xy[1]:.2f}), the {kind} minimum"
                            for label, (kind, xy) in ends.items()) + ".")

# %%
# Animate the three paths on one map, with their losses (the global minimum has the lower loss).
anim = ov.animate(runs, layout="overlay", frames=60, dpi=80)
ov.save(anim, "momentum_escape.gif")  # the suffix picks the format: .gif, .mp4, .html, .png
ov.save(anim, "momentum_escape.html")  # a page with play, pause and step controls
