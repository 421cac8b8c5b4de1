"""optiviz: see why optimizers and activations behave as they do.

    import optiviz as ov
    runs = ov.run("ravine", ["gd", "momentum", "adam"], steps=300)
    ov.save(ov.animate(runs), "ravine.gif")

Importing optiviz is cheap: JAX and matplotlib load on first use of a name that needs them.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import InvalidValueError, OptivizError, RenderError, SurfaceError, UnknownNameError

# surface.py is light (JAX loads inside its functions). Importing it here binds the name ``surface`` to the
# decorator rather than to the submodule, which Python would otherwise set as a package attribute.
from .surface import Surface, register_surface, surface
from .loading import load_surface  # noqa: E402  (after surface: the name ``surface`` stays the decorator)

__version__ = "0.1.0"

# public name -> (module, attribute or None for the module itself)
_LAZY = {
    "optimizers": ("optiviz.optimizers", None),
    "activations": ("optiviz.activations", None),
    "schedules": ("optiviz.schedules", None),
    "surfaces": ("optiviz.surfaces", None),
    "nets": ("optiviz.nets", None),
    "lessons": ("optiviz.lessons", None),
    "render": ("optiviz.render", None),
    "Optimizer": ("optiviz.optimizers", "Optimizer"),
    "OptimizerSpec": ("optiviz.optimizers", "OptimizerSpec"),
    "optimizer": ("optiviz.optimizers", "optimizer"),
    "schedule": ("optiviz.schedules", "schedule"),
    "Schedule": ("optiviz.schedules", "Schedule"),
    "activation": ("optiviz.activations", "activation"),
    "run": ("optiviz.engine", "run"),
    "tune": ("optiviz.engine", "tune"),
    "Trajectory": ("optiviz.engine", "Trajectory"),
    "Trajectories": ("optiviz.engine", "Trajectories"),
    "animate": ("optiviz.render", "animate"),
    "plot": ("optiviz.render", "plot"),
    "save": ("optiviz.render", "save"),
    "playground": ("optiviz.serve.server", "playground"),
}

__all__ = sorted([*_LAZY, "Surface", "surface", "load_surface", "register_surface", "OptivizError", "UnknownNameError", "InvalidValueError", "SurfaceError", "RenderError",
                  "enable_x64", "__version__"])


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'optiviz' has no attribute {name!r}") from None
    mod = import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value  # cache: the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return __all__


def enable_x64(enabled: bool = True) -> None:
    """Compute in float64 (JAX's ``jax_enable_x64``); float32 is the default."""
    import jax

    jax.config.update("jax_enable_x64", bool(enabled))
