"""Surfaces of my own, for ``plot_custom_surface.py``: any module with a function f(x, y) written in jax.numpy.

Load one with ``ov.load_surface("my_surfaces:bump")`` (a module on the Python path) or
``ov.load_surface("path/to/my_surfaces.py:bump")`` (a file), or on the command line:
``optiviz animate --surface my_surfaces.py:bump``.
"""
import jax.numpy as jnp

import optiviz as ov


@ov.surface(domain=((-3.0, 2.0), (-2.0, 2.0)), start=(-2.6, 0.15), minima=[(0.0, 0.0)])
def bump(x, y):
    """A bowl with a bump in the way

    f(x, y) = x^2 + y^2 + 3 exp(-((x + 1.3)^2 + y^2) / 0.15): a round bowl with a steep Gaussian hill between
    the start and the minimum. Gradient descent cannot go through the hill, so its path curves around it.
    """
    return x**2 + y**2 + 3.0 * jnp.exp(-((x + 1.3) ** 2 + y**2) / 0.15)
