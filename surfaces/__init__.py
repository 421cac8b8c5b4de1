"""The built-in surface library, written against optiviz's public API (as a user's plugin would be).

Importing this package registers every built-in (``ov.register_surface``); ``optiviz.surfaces.names()`` lists them
with any installed plugins, ``optiviz.surfaces.get(name)`` loads one.

* ``teaching``: scenes built for one lesson each (flat, steep_then_flat, local_minima, ravine, saddle,
  plateau_cliff);
* ``classic``: the standard test functions (rosenbrock, beale, himmelblau, rastrigin, booth, matyas,
  goldstein_price, six_hump_camel, styblinski_tang, ackley, bowl);
* ``data``: losses of two-parameter models over seeded datasets, with real minibatches for ``sgd`` (linreg,
  logreg).
"""
from __future__ import annotations

from importlib import metadata

import optiviz as ov

from . import classic, data, teaching  # noqa: F401  (importing them registers their surfaces)

__all__ = ["names", "builtin_names", "get", "TEACHING", "CLASSIC", "DATA"]

TEACHING = ("flat", "steep_then_flat", "local_minima", "ravine", "saddle", "plateau_cliff")
CLASSIC = ("rosenbrock", "beale", "himmelblau", "rastrigin", "booth", "matyas", "goldstein_price", "six_hump_camel",
           "styblinski_tang", "ackley", "bowl")
DATA = ("linreg", "logreg")


def builtin_names() -> list[str]:
    """The names of the built-in surfaces, sorted."""
    return sorted(TEACHING + CLASSIC + DATA)


def names() -> list[str]:
    """The names of every available surface: the built-ins and installed plugins (group ``optiviz.surfaces``)."""
    plugins = {ep.name for ep in metadata.entry_points(group="optiviz.surfaces")}
    return sorted(set(builtin_names()) | plugins)


def get(name: str, **params) -> "ov.Surface":
    """The surface called ``name`` (a built-in or a plugin), checked, with ``params`` bound."""
    return ov.load_surface(name, **params)
