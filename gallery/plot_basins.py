"""Basins of attraction: which minimum each start reaches
=======================================================

Where an optimizer ends depends on where it starts. Run it from every point of a grid and colour each start by
the minimum it reaches: the picture is the optimizer's *basins of attraction*. On the tilted double well
``local_minima`` the ridge at x = -0.13 splits gradient descent's basins cleanly: every start left of it ends in
the shallow local minimum, every start right of it in the global one. Adam's basins split there too. Momentum's
do not: started high on the left wall, the heavy ball gathers enough speed to roll over the ridge into the global
minimum, and started high on the right wall it overshoots back over the ridge into the local one.

The engine runs all the starts as one vmapped program (``starts=``), and ``record="final"`` keeps only the end
points, so ten thousand runs per optimizer take about a second.

All three run at one learning rate, 0.01, inside the band where the lesson ``momentum_escapes`` holds; at their
tuned rates GD and Adam jump the ridge too (``optiviz lessons momentum_escapes`` measures how often).

The claim: of the starts left of the ridge, gradient descent and Adam bring none to the global minimum while
Momentum brings a sizeable share; of those right of it, Momentum sends some into the local minimum.
"""

# %%
# A 100 x 100 grid of starts over the surface's domain: 10,000 runs per optimizer.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

import optiviz as ov

surface = ov.load_surface("local_minima")
(x0, x1), (y0, y1) = surface.domain
n = 100
X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
grid = np.column_stack([X.ravel(), Y.ravel()])
# One learning rate for all three, inside the band where the lesson ``momentum_escapes`` holds (not tuned: at their
# tuned lrs GD and Adam jump the ridge too); the captions say so.
lr, how = 0.01, "the same for all, inside momentum_escapes' band"
runs = ov.run(surface, {name: {"lr": lr} for name in ("gd", "momentum", "adam")}, starts=grid, steps=300,
              record="final", how=dict.fromkeys(("gd", "momentum", "adam"), how))

# %%
# Label each end point with the nearest listed minimum (0 = global, 1 = local), and count per side of the ridge.
minima = np.array(surface.minima)
ridge = -0.127
basin = {label: np.argmin(np.linalg.norm(run.final[:, None, :] - minima[None], axis=-1), axis=1)
         for label, run in runs.items()}
left, right = grid[:, 0] < ridge, grid[:, 0] > ridge
over = {label: float(np.mean(b[left] == 0)) for label, b in basin.items()}
back = {label: float(np.mean(b[right] == 1)) for label, b in basin.items()}
print(f"Claim: of the {left.sum():,} starts left of the ridge, the global minimum is reached by gd from "
      f"{over['gd']:.0%}, adam from {over['adam']:.0%} and momentum from {over['momentum']:.0%}; of the "
      f"{right.sum():,} right of it, momentum sends {back['momentum']:.0%} into the local minimum "
      f"(gd {back['gd']:.0%}).")

# %%
# One map per optimizer, in optiviz's visual language (short labels, hollow minima over the map): sky-blue starts
# end in the global minimum, orange ones in the local minimum; the legend says which is which.
from matplotlib.patches import Patch

style = ov.render.style
with style.context() as theme:
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.4), dpi=80, sharey=True, layout="constrained")
    X_, Y_, Z = surface.grid(120)
    basin_colors = (style.SKY, style.ORANGE)
    colors = ListedColormap(list(basin_colors))
    for ax, (label, b) in zip(axes, basin.items()):
        ax.imshow(b.reshape(n, n), origin="lower", extent=(x0, x1, y0, y1), cmap=colors, vmin=0, vmax=1,
                  aspect="auto", interpolation="nearest", zorder=style.Z["contour"])
        ax.contour(X_, Y_, Z, levels=15, colors=theme.contour_line, linewidths=0.4, alpha=0.6,
                   zorder=style.Z["contour"])
        ax.axvline(ridge, color=theme.text, linestyle=":", linewidth=1, zorder=style.Z["path"])
        ax.plot(*minima.T, "*", mfc="none", mec=theme.minimum, mew=1.2, markersize=12, zorder=style.Z["marker"])
        # two short lines: the optimizer, then the number; one long line ran into its neighbours' titles
        ax.set_title(f"{style.label(runs[label].spec)}\n{np.mean(b == 0):.0%} of starts reach the global minimum",
                     fontsize=style.FONT["caption"] + 0.5)
        ax.set_xlabel("x")
    axes[0].set_ylabel("y")
    fig.legend([Patch(color=c) for c in basin_colors], ["ends in the global minimum", "ends in the local minimum"],
               loc="outside lower center", ncol=2, fontsize=style.FONT["legend"])
    fig.suptitle("basins of attraction on local_minima (dotted: the ridge; stars: the minima)", x=0.01, ha="left",
                 fontsize=style.FONT["title"], fontweight="bold")
