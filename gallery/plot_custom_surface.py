"""Your own surface, loaded by import
===================================

A surface is any function f(x, y) written with ``jax.numpy``; JAX differentiates it. Decorate it with
``@ov.surface`` to give it a domain, a start and its minima (the docstring's first line becomes its title),
put it in a module, and load it by name, exactly like a built-in: ``"module:function"`` for a module on the
Python path, ``"path/to/file.py:function"`` for a file (the command line takes the same spec:
``optiviz animate --surface my_surfaces.py:bump``).

``my_surfaces.py`` (next to this script) defines ``bump``: a bowl with a steep Gaussian hill between the start
and the minimum.

The claim: the hill forces gradient descent's path around it, so it is longer than the straight line from
start to minimum; it still reaches the minimum.
"""

# %%
# Load the surface from the module, then run as with any built-in.
import numpy as np

import optiviz as ov

surface = ov.load_surface("my_surfaces:bump")
print(surface.title, surface.domain, surface.start)
runs = ov.run(surface, {"gd": {"lr": 0.02}, "adam": {"lr": 0.05}}, steps=300,
              how={"gd": "chosen by hand", "adam": "chosen by hand"})
print(runs.summary())

# %%
# Path length against the straight line from the start to the minimum.
straight = float(np.linalg.norm(np.array(surface.minima[0]) - np.array(surface.start)))
length = {label: float(np.sum(np.linalg.norm(np.diff(run.path, axis=0), axis=1))) for label, run in runs.items()}
print(f"Claim: the straight line to the minimum is {straight:.2f} long; gd's path around the hill is "
      f"{length['gd']:.2f} ({length['gd'] / straight:.2f} times longer) and ends "
      f"{np.linalg.norm(runs['gd'].final - np.array(surface.minima[0])):.1e} from the minimum.")

# %%
# Animate both optimizers on the custom surface.
anim = ov.animate(runs, layout="overlay", frames=50, dpi=80)
