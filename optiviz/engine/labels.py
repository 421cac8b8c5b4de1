"""Run labels, the one rule for the 2D engine and the network trainer.

A run the caller named keeps its name. Otherwise an optimizer is labelled by its name, plus, where the same name
appears several times, the hyperparameters whose values differ between those runs (``adam(lr=0.1)``,
``adam(lr=0.01)``). Labels that still collide get ``#2``, ``#3``, ... in order.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..optimizers import OptimizerSpec, format_value

__all__ = ["optimizer_label", "distinct"]


def optimizer_label(spec: OptimizerSpec, others: Sequence[Any], *, noise: bool = True) -> str:
    """``spec``'s name, with the hyperparameters (and ``noise``, if asked) that differ from the other runs of the
    same name among ``others`` (which may hold anything; only specs of that name count)."""
    twins = [t for t in others if isinstance(t, OptimizerSpec) and t.name == spec.name]
    if len(twins) <= 1:
        return spec.name
    keys = [k for k in spec.hparams if len({str(t.hparams[k]) for t in twins}) > 1]
    if noise and len({t.noise for t in twins}) > 1:
        keys.append("noise")
    if len({t.convention for t in twins}) > 1 and "convention" not in keys:
        keys.append("convention")
    values = {**spec.hparams, "noise": spec.noise, "convention": spec.convention}
    return f"{spec.name}(" + ", ".join(f"{k}={format_value(values[k])}" for k in keys) + ")" if keys else spec.name


def distinct(labels: Sequence[str]) -> list[str]:
    """``labels`` with repeats told apart: the second ``adam`` becomes ``adam#2``."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out
