"""The compute dtype, float32 or float64 after ``ov.enable_x64()`` (JAX's ``jax_enable_x64``), and the numbers it holds.

``compute()`` is the dtype every compiled program computes in, and ``floats(x)`` an array of it (the engine's,
the trainer's, surfaces', formulas' and activations' one way to write ``jnp.asarray(x, jnp.result_type(float))``).
``fits`` refuses a number the dtype cannot hold
(1e39 in float32) with ``_check.number``'s rule and one line, where a cast would silently make it inf (with NumPy's
"overflow encountered in cast" warning) and the run would diverge for a reason the user never sees.

NumPy and JAX load on the first call, not on import: the registries read by ``optiviz list`` import this module.
"""
from __future__ import annotations

from typing import Any

from . import _check as _checks
from .errors import InvalidValueError

__all__ = ["compute", "floats", "fits"]


def compute() -> Any:
    """The compute dtype (a NumPy dtype): float32, or float64 after ``ov.enable_x64()``."""
    import jax.numpy as jnp

    return jnp.result_type(float)


def floats(x: Any) -> Any:
    """``x`` as a JAX array of the compute dtype."""
    import jax.numpy as jnp

    return jnp.asarray(x, compute())


def fits(value: float, name: str, dtype: Any = None, *, where: str | None = None) -> float:
    """``value`` (a real number) if ``dtype`` (default: the compute dtype) holds it, else ``InvalidValueError``.

    The rule is ``_check.number``'s, with the dtype's largest magnitude as the bound on the value's side of 0:
    ``|value| <= finfo(dtype).max`` (3.40282e+38 for float32). The message names the dtype and the way to float64.
    """
    import numpy as np

    dtype = np.dtype(compute() if dtype is None else dtype)
    top = float(np.finfo(dtype).max)
    try:
        return _checks.number(value, name, lo=-top if value < 0 else None, hi=None if value < 0 else top,
                              where=where)
    except InvalidValueError as exc:
        hint = "; ov.enable_x64() or --x64 computes in float64" if dtype.itemsize < 8 else ""
        raise InvalidValueError(f"{exc} (beyond {dtype.name}'s range{hint})") from None
