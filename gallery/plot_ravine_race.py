"""Five optimizers racing down a ravine
=====================================

The ravine f(x, y) = 0.1 x^2 + 50 y^2 is 500 times steeper across than along. Gradient descent takes one
learning rate for both directions, and the steep walls cap it (it must stay below 2/100 or the path bounces
out), so along the gentle floor its steps are tiny: it zig-zags down the wall and then crawls. Momentum
averages the zig-zag away and keeps its speed along the floor. Adagrad, RMSProp and Adam divide each
coordinate's step by the size of that coordinate's gradients, so both directions get steps of about the same
length and the path runs almost straight to the minimum.

The claim: the three adaptive methods and momentum reach loss 1e-3 within 100 steps; gradient descent, at the
largest learning rate the walls allow, has not reached it after 300.
"""

# %%
# Run the five classic optimizers from the same start. Each uses the learning rate the surface suggests for it
# (``optiviz describe ravine`` lists them); ``tol`` records the first step whose loss is at most 1e-3.
import optiviz as ov

surface = ov.load_surface("ravine")
runs = ov.run(surface, ["gd", "momentum", "adagrad", "rmsprop", "adam"], steps=300, tol=1e-3)
print(runs.summary())

# %%
# The numbers behind the claim: the step at which each optimizer first reached loss 1e-3.
reached = {label: run.reached_at for label, run in runs.items()}
fast = ", ".join(f"{label} {step}" for label, step in reached.items() if step is not None)
print(f"Claim: steps to reach loss 1e-3: {fast}; gd never does in 300 steps "
      f"(its loss is still {runs['gd'].final_loss:.3g}).")

# %%
# Animate the race: one panel per optimizer on the same map, and their losses on one log scale.
anim = ov.animate(runs, layout="grid", frames=60, dpi=80)
# The gallery shows ``anim``, left open in pyplot. In a script of your own, ``ov.save(anim, "ravine_race.gif")``
# writes it to a file (the suffix picks the format: .gif, .mp4, .html, .png) and ``plt.show()`` plays it.
