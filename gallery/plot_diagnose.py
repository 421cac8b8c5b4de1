"""Train first, then test: telling poor training from overfitting
===============================================================

Two different failures look alike in a single test score. A model that cannot fit even its training set trains
poorly (change the model or the optimizer); a model that fits its training set but not new data overfits
(regularize, drop out, stop early). So look at the training score first. With noisy labels the bar moves: when
20% of the labels are flipped, 80% is the best any rule can score, so a model at 80% on train and test is
*good*, and one at 100% on train has memorized the noise. ``ov.nets.diagnose`` knows that ceiling (from the
dataset's label noise) and how large a train-test gap sampling alone explains.

The claim (the lesson ``diagnose_train_then_test``): on constructed runs (deep sigmoid nets that cannot
train, nets that fit clean data, nets that memorize 40 noisy points, small nets at the noise ceiling of flipped
labels), each over its sweep of learning rates and seeds, the diagnosis names the case, far more often than a
rule with a fixed 90% bar.
"""

# %%
# Check the claim over its sweep.
import matplotlib.pyplot as plt

import optiviz as ov

result = ov.lessons.check("diagnose_train_then_test")
print(f"Claim: {result.claim}")


# %%
# Every constructed run: train against test accuracy, coloured by its case; a cross where the diagnosis missed.
fig, ax = plt.subplots(figsize=(7, 5.2), dpi=80, layout="constrained")
colors = ["#0072B2", "#009E73", "#D55E00", "#CC79A7"]
for case, color in zip(dict.fromkeys(r["case"] for r in result.rows), colors):
    rows = [r for r in result.rows if r["case"] == case]
    ok = [r for r in rows if r["holds"]]
    bad = [r for r in rows if not r["holds"]]
    ax.scatter([r["train"] for r in ok], [r["test"] for r in ok], color=color, s=26, alpha=0.75,
               label=f"{case} (expected: {rows[0]['expected']})")
    ax.scatter([r["train"] for r in bad], [r["test"] for r in bad], color=color, marker="x", s=60)
ax.plot([0.4, 1], [0.4, 1], color="#999999", lw=0.8, ls=":")
ax.axvline(0.8, color="#CC79A7", lw=0.8, ls="--")
ax.text(0.805, 0.42, "noise ceiling of 20% flipped labels", rotation=90, fontsize=7, color="#CC79A7")
ax.set(xlabel="training accuracy", ylabel="test accuracy", xlim=(0.4, 1.02), ylim=(0.4, 1.02))
ax.legend(loc="upper left", fontsize=7.5)
ax.set_title(ov.lessons.report.caption(result, width=100), fontsize=7.5, loc="left")
