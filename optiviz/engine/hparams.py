"""Hyperparameters as program arguments, the one rule for the 2D engine and the network trainer.

Numbers (learning rates, betas, eps, schedules' numbers) are *traced*: they enter the compiled program as
arguments, so a new value never recompiles. Flags (``bias_correction``, ``eps_in_sqrt``) and the convention
(``"optax"``/``"torch"``, a string) are *static*: they choose a branch of the program, so they are part of what is
compiled.

A number is cast to the compute dtype only after ``_dtype.fits`` has checked that the dtype holds it: 1e39 would
otherwise become inf in float32 (with NumPy's overflow warning) and run as a divergence.
"""
from __future__ import annotations

from typing import Any

import jax
import numpy as np

from .. import _check as _checks
from .._dtype import fits
from ..optimizers import OptimizerSpec

__all__ = ["traced", "flags"]


def traced(spec: OptimizerSpec, dtype: Any) -> dict[str, Any]:
    """The numeric hyperparameters of ``spec``: numbers as 0-d host arrays of ``dtype`` (no device work before
    the program runs), schedules as they are (pytrees whose numbers are traced). Flags are left out: ``flags``.
    Every number, a schedule's too, must fit ``dtype`` (``fits``)."""
    out = {}
    for k, v in spec.hparams.items():
        if isinstance(v, (bool, str)):
            continue
        if isinstance(v, (int, float)):
            out[k] = np.asarray(fits(v, k, dtype, where=spec.name), dtype)
            continue
        for leaf in jax.tree_util.tree_leaves(v):  # a schedule's numbers enter the program as dtype too
            if isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
                fits(leaf, f"{k}={_checks.clip(str(v), 40)}", dtype, where=spec.name)
        out[k] = v
    return out


def flags(spec: Any) -> tuple[tuple[str, Any], ...]:
    """The boolean (and string: the convention) hyperparameters of ``spec`` as a hashable, static part of a
    program (none for an opaque optimizer)."""
    if not isinstance(spec, OptimizerSpec):
        return ()
    return tuple((k, v) for k, v in spec.hparams.items() if isinstance(v, (bool, str)))
