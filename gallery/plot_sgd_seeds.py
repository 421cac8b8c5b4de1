"""An SGD seed ensemble: the noise floor scales with the square root of the learning rate
=======================================================================================

One SGD run is one sample of a random process; an ensemble of seeds shows the process. With gradient noise of
standard deviation sigma on a quadratic whose curvatures are h_i, SGD at a constant learning rate does not
converge to the minimum but to a cloud around it, with variance lr sigma^2 / (h_i (2 - lr h_i)) along axis i:
about lr sigma^2 / (2 h_i) for small steps. So the cloud's radius scales like sqrt(lr): a quarter of the
learning rate roughly halves it.

The engine runs every seed as one vmapped program (``seeds=``).

The claim: 64 seeds at lr = 0.04 end in a cloud about twice as wide as 64 seeds at lr = 0.01, as the formula
predicts.
"""

# %%
# Two learning rates, 64 seeds each, on the bowl x^2 + 10 y^2 (curvatures 2 and 20) with gradient noise of
# standard deviation 1. ``record=5`` keeps every fifth point, plenty for a picture.
import numpy as np

import optiviz as ov

surface = ov.load_surface("bowl", condition=10.0)
rates = {"lr=0.04": 0.04, "lr=0.01": 0.01}
runs = ov.run(surface, {label: {"name": "sgd", "lr": lr} for label, lr in rates.items()},
              steps=400, seeds=64, noise=1.0, record=5)

# %%
# The cloud's spread: the root-mean-square distance of the final points from the minimum, measured and predicted.
def predicted(lr, sigma=1.0, curvatures=(2.0, 20.0)):
    return np.sqrt(sum(lr * sigma**2 / (h * (2 - lr * h)) for h in curvatures))


spread = {label: float(np.sqrt(np.mean(np.sum(run.final**2, axis=-1)))) for label, run in runs.items()}
ratio = spread["lr=0.04"] / spread["lr=0.01"]
print(f"Claim: the 64 final points lie at an RMS distance of {spread['lr=0.04']:.3f} from the minimum at lr=0.04 and "
      f"{spread['lr=0.01']:.3f} at lr=0.01: {ratio:.2f} times wider for 4 times the learning rate "
      f"(predicted {predicted(0.04):.3f} and {predicted(0.01):.3f}, ratio {predicted(0.04) / predicted(0.01):.2f}).")

# %%
# Animate the two ensembles: every seed's path, side by side.
anim = ov.animate(runs, layout="grid", frames=50, dpi=80)
