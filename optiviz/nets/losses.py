r"""The data loss of a network's outputs: the one definition training, diagnostics and landscapes share."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["data_loss"]


def data_loss(task: str, out: Any, y: Any) -> tuple[Any, Any]:
    """(loss, score) of network outputs ``out`` (N, out_dim) against targets ``y`` (N,).

    binary: mean log(1 + exp(z)) - y z on the logit z (the stable form of cross-entropy), score = accuracy of
    z > 0. multiclass: mean -log softmax(out)[y], score = accuracy of argmax. regression: mean (out - y)^2,
    score = R^2 = 1 - MSE / Var(y).
    """
    if task == "binary":
        z = out[:, 0]
        loss = jnp.mean(jnp.logaddexp(0.0, z) - y * z)
        return loss, jnp.mean(((z > 0) == (y > 0.5)).astype(out.dtype))
    if task == "multiclass":
        labels = y.astype(jnp.int32)
        logp = jax.nn.log_softmax(out, axis=-1)
        loss = -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=-1))
        return loss, jnp.mean((jnp.argmax(out, axis=-1) == labels).astype(out.dtype))
    r = out[:, 0] - y
    mse = jnp.mean(r * r)
    return mse, 1.0 - mse / jnp.maximum(jnp.var(y), 1e-12)
