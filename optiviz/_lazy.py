"""A module imported on first use, for modules whose import is heavy (JAX takes about a second).

    jnp = lazy_module("jax.numpy")      # nothing imported yet
    jnp.zeros(3)                        # jax.numpy is imported here, once

The registries (optimizers, schedules) define their entries with JAX in function bodies only, so reading their
names, documentation and defaults (``optiviz list``, ``optiviz describe``) must not pay for importing JAX.
"""
from __future__ import annotations

import types
from importlib import import_module
from typing import Any


class LazyModule(types.ModuleType):
    """Stands for the module ``name`` and imports it when an attribute is first read."""

    def __getattr__(self, attr: str) -> Any:
        value = getattr(import_module(self.__name__), attr)
        # remembered, so the next read is a plain attribute lookup (module attributes are not rebound)
        setattr(self, attr, value)
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__name__!r}>"


def lazy_module(name: str) -> LazyModule:
    """A stand-in for ``import name`` that imports ``name`` on first attribute access."""
    return LazyModule(name)
