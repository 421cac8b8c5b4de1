"""PRNG keys built on the host: JAX would compile two small programs to build one."""
from __future__ import annotations

import numpy as np


def key_data(seed: int) -> np.ndarray:
    """The PRNG key of ``seed`` as a host array, equal to ``jax.random.key_data(jax.random.PRNGKey(seed))``.

    For JAX's default generator (threefry2x32) the key is the two 32-bit words (seed >> 32, seed & 0xFFFFFFFF), the
    high word 0 unless x64 is on (``jax.random.PRNGKey`` keeps only the low word then); other generators are asked.
    """
    import jax

    seed = int(seed)
    if jax.config.jax_default_prng_impl != "threefry2x32":
        return np.asarray(jax.random.key_data(jax.random.PRNGKey(seed)))
    high = (seed >> 32) & 0xFFFFFFFF if jax.config.jax_enable_x64 else 0
    return np.asarray([high, seed & 0xFFFFFFFF], np.uint32)
