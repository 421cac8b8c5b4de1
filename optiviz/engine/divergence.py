"""Where divergence is decided: the one rule, used by the 2D engine and the network trainer alike.

A run **diverges** at the first step whose new point is refused, because

* its loss, or its gradient (2D) or weights (networks), is NaN or inf; or
* (2D only) it leaves the box that reaches ``BOUND`` domain widths beyond the surface's domain on every side
  (a path that far out has escaped the picture for good; networks have no domain, so no box).

``diverged_at`` is that step number: an int, or None for a single run that never diverged (an int array with -1
for "never" when many runs are batched). From that step on the run is **frozen** at its last good point: the
recorded point, loss and gradient norm repeat the last accepted values, so no recorded series ever holds a NaN
and nothing downstream (pictures, lessons, tables) has to handle one. The optimizer state of a frozen run may go
bad; it only ever feeds discarded steps.

Callers: ``engine.program`` (2D paths: ``refused`` + ``note`` inside the loop, ``hold`` / ``freeze_from``
to freeze) and ``nets.train`` (``non_finite`` + ``note`` + ``hold``).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["BOUND", "box", "refused", "non_finite", "note", "hold", "freeze_from"]

#: a 2D path is diverged once it leaves the domain by more than this many domain widths
BOUND = 100.0


def box(domain: Any, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) corners of the box a 2D path must stay in: the domain grown by ``BOUND`` widths on every side."""
    (x0, x1), (y0, y1) = domain
    span = max(x1 - x0, y1 - y0) * BOUND
    top = float(np.finfo(dtype).max)  # a corner beyond what dtype holds is no bound: its largest number is one
    lo = np.asarray(np.clip([min(x0, x1) - span, min(y0, y1) - span], -top, top), dtype)
    hi = np.asarray(np.clip([max(x0, x1) + span, max(y0, y1) + span], -top, top), dtype)
    return lo, hi


def refused(p: Any, loss: Any, g: Any, lo: Any, hi: Any) -> Any:
    """Whether the 2D point ``p`` (with its loss and gradient) is refused: outside the box, or not finite.

    NaN fails every comparison, so it is outside the box; x * 0 is 0 for a finite x and NaN for inf or NaN, so
    one sum checks loss and both gradient coordinates (cheaper in a vmapped loop than separate tests).
    """
    inside = (p[..., 0] >= lo[0]) & (p[..., 0] <= hi[0]) & (p[..., 1] >= lo[1]) & (p[..., 1] <= hi[1])
    return ~(inside & (loss * 0 + g[0] * 0 + g[1] * 0 == 0))


def non_finite(tree: Any) -> Any:
    """Whether any number in ``tree`` is NaN or inf, as one scalar.

    A sum is non-finite iff a term is (or the sum overflows, which at ~1e38 is a divergence too): one reduction
    per step instead of a test per element.
    """
    return ~jnp.isfinite(sum(jnp.sum(a) for a in jax.tree_util.tree_leaves(tree)))


def note(diverged_at: Any, bad: Any, step: Any) -> Any:
    """``diverged_at`` after this step: ``step`` if the run had not diverged and ``bad`` holds, else unchanged
    (-1 means "not yet")."""
    return jnp.where((diverged_at < 0) & bad, step, diverged_at)


def hold(frozen: Any, old: Any, new: Any) -> Any:
    """``old`` where the run is frozen, else ``new`` (any pytree): the freeze inside a loop."""
    return jax.tree_util.tree_map(lambda a, b: jnp.where(frozen, a, b), old, new)


def freeze_from(diverged_at: Any, series: Any) -> Any:
    """Recorded series, time axis first ``(T, *batch, ...)``, frozen from ``diverged_at`` on at the entry of the
    step before (the last good point): the freeze applied after a loop that did not freeze as it went."""
    T = series.shape[0]
    ts = jnp.arange(T, dtype=jnp.int32).reshape((T,) + (1,) * diverged_at.ndim)
    after = (diverged_at >= 0) & (ts >= diverged_at)
    last = jnp.maximum(diverged_at - 1, 0)[None]
    extra = (None,) * (series.ndim - diverged_at.ndim - 1)
    return jnp.where(after[(...,) + extra], jnp.take_along_axis(series, last[(...,) + extra], axis=0), series)

