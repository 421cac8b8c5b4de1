"""One optimizer, four learning rates: too small, right, too large, diverging
==========================================================================

On a quadratic bowl f(x, y) = x^2 + 10 y^2 the curvature is 2 along x and L = 20 along y. Gradient descent
multiplies the distance to the minimum along each axis by (1 - lr * curvature) per step, so:

* a tiny learning rate shrinks it by a factor near 1: safe, but slow;
* lr near 2 / (2 + L) balances both axes: fast;
* just below 2 / L = 0.1 the factor along y is near -1: the path zig-zags across the bowl, slowly;
* above 2 / L it exceeds 1 in size: every step overshoots further and the run diverges.

The claim: the stability limit is lr = 2 / L = 0.1; lr = 0.098 still converges (zig-zagging), lr = 0.11 diverges.
"""

# %%
# A dictionary gives each run its own label: the same optimizer at four learning rates.
import optiviz as ov

surface = ov.load_surface("bowl", condition=10.0)
rates = {"too small": 0.005, "right": 0.09, "too large": 0.098, "diverges": 0.11}
runs = ov.run(surface, {f"lr={lr} ({why})": {"name": "gd", "lr": lr} for why, lr in rates.items()},
              steps=150, tol=1e-3)
print(runs.summary())

# %%
# The numbers: the loss after 150 steps of each stable run, and the step at which the last one diverged.
final = {label: float(run.final_loss) for label, run in runs.items()}
small, right, large, bad = runs.values()
print(f"Claim: with L = 20 the limit is 2/L = 0.1: after 150 steps the loss is {final[small.label]:.3g} at lr=0.005, "
      f"{final[right.label]:.2g} at lr=0.09 and {final[large.label]:.2g} at lr=0.098 (zig-zagging); "
      f"lr=0.11 diverges at step {bad.diverged_at}.")

# %%
# Animate the four runs side by side; the diverging one is marked where it left the picture.
anim = ov.animate(runs, layout="grid", frames=50, dpi=80)
