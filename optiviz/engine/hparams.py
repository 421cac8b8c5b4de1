"""Hyperparameters as program arguments, the one rule for the 2D engine and the network trainer.

Numbers (learning rates, betas, eps, schedules' numbers) are *traced*: they enter the compiled program as
arguments, so a new value never recompiles. Flags (``bias_correction``, ``eps_in_sqrt``) and the convention
(``"optax"``/``"torch"``, a string) are *static*: they choose a branch of the program, so they are part of what is
compiled.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..optimizers import OptimizerSpec

__all__ = ["traced", "flags"]


def traced(spec: OptimizerSpec, dtype: Any) -> dict[str, Any]:
    """The numeric hyperparameters of ``spec``: numbers as 0-d host arrays of ``dtype`` (no device work before
    the program runs), schedules as they are (pytrees whose numbers are traced). Flags are left out: ``flags``."""
    return {k: (np.asarray(v, dtype) if isinstance(v, (int, float)) else v)
            for k, v in spec.hparams.items() if not isinstance(v, (bool, str))}


def flags(spec: Any) -> tuple[tuple[str, Any], ...]:
    """The boolean (and string: the convention) hyperparameters of ``spec`` as a hashable, static part of a
    program (none for an opaque optimizer)."""
    if not isinstance(spec, OptimizerSpec):
        return ()
    return tuple((k, v) for k, v in spec.hparams.items() if isinstance(v, (bool, str)))
