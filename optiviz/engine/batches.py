"""Minibatches by epochs, the one rule for the 2D engine's data surfaces and the network trainer.

Each epoch is a fresh shuffle of the ``n`` data points, cut into ``n // size`` consecutive batches of ``size``
(the remainder dropped), so every point is used once per epoch and a batch of the whole dataset is the full
gradient. Epoch e's shuffle is ``permutation(fold_in(key, e), n)``: drawn before a loop (``all_batches``) or
inside it (``batch_at``), the same key gives the same batches.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["epoch_order", "batch_at", "all_batches"]


def epoch_order(key: Any, epoch: Any, n: int) -> Any:
    """The shuffle of epoch ``epoch``: a permutation of ``range(n)``."""
    return jax.random.permutation(jax.random.fold_in(key, epoch), n)


def batch_at(key: Any, t: Any, n: int, size: int) -> Any:
    """The indices of step ``t``'s batch (``size`` of them), computed inside a loop."""
    per_epoch = n // size
    return jax.lax.dynamic_slice_in_dim(epoch_order(key, t // per_epoch, n), (t % per_epoch) * size, size)


def all_batches(key: Any, steps: int, n: int, size: int) -> Any:
    """The indices of every batch of steps 0 .. ``steps``, shape ``(>= steps + 1, size)``, drawn before a loop
    (a shuffle inside a small loop body would split the loop XLA:CPU otherwise compiles into one kernel)."""
    per_epoch = n // size
    epochs = -(-(steps + 1) // per_epoch)
    order = jax.vmap(lambda e: epoch_order(key, e, n))(jnp.arange(epochs))[:, :per_epoch * size]
    return order.reshape(epochs * per_epoch, size)
