"""Adam is RMSProp plus Momentum: the ablation
============================================

Adam keeps two running averages: of the gradient (momentum, weight b1) and of its square (RMSProp's
denominator, weight b2), each divided by its start-up bias. Take the first away (b1 = 0) and what is left is
RMSProp with bias correction; put momentum back on RMSProp and the behaviour is Adam's.

The claim (the lesson ``adam_is_rmsprop_momentum``, over 13 learning rates, two surfaces and three starts each):
Adam with b1 = 0 makes exactly RMSProp's bias-corrected update from the same gradients, to float32 tolerance; and
RMSProp with momentum 0.9 against Adam with b1 = 0.9, each at its best learning rate on the lesson's grid, take
about the same number of steps to the minimum.
"""

# %%
# Check the claim over its sweep.
import optiviz as ov

result = ov.lessons.check("adam_is_rmsprop_momentum")
print(f"Claim: {result.claim}")

# %%
# The side-by-side race on the ravine, each at its best lr on the lesson's grid (the labels say so).
best = result.measured["side_by_side"]["ravine"]
race = {"rmsprop": {"decay": 0.9, "momentum": 0.9, "lr": best["rmsprop_momentum"]["lr"]},
        "adam": {"b1": 0.9, "b2": 0.9, "lr": best["adam"]["lr"]}}
runs = ov.run("ravine", race, steps=150, tol=1e-3, how=dict.fromkeys(race, "best on the lesson's grid"))
print(runs.summary())

# %%
# The race, titled with the claim and its numbers.
fig = ov.plot(runs, layout="overlay", dpi=80, title=ov.lessons.report.caption(result, width=80))
