r"""Multilayer perceptrons in plain JAX: a static description (``MLP``) and its parameters (a tuple of ``Dense``).

    model = ov.nets.mlp(width=16, depth=2, activation="relu")       # 2-16-16-1
    params = model.init(seed=0)                                       # He-normal for ReLU, Glorot for sigmoid
    logits = model.apply(params, x)                                   # (N, 1)

``depth`` counts *hidden* layers, so ``mlp(depth=8)`` has 8 hidden layers and 9 weight layers ("layers" in the
per-layer diagnostics are weight layers, from the input layer to the output layer). Layer l computes
h_l = f_l(h_{l-1} W_l + b_l); the output layer is affine (its loss supplies the sigmoid / softmax).

A hidden layer with ``maxout`` of k pieces and u units has a weight matrix of shape (fan_in, u * k): the affine
map computes k pre-activations per unit and maxout reduces them to u outputs, so the next layer's fan-in is u.

Initialization (weights ~ N(0, sigma^2), biases 0), chosen per layer from the activation it feeds unless given:

* ``glorot``: sigma^2 = 2 / (fan_in + fan_out)  (Glorot & Bengio, 2010; sigmoid, tanh, linear, softplus, maxout)
* ``he``:     sigma^2 = 2 / fan_in              (He et al., 2015; ReLU and its kin)
* ``lecun``:  sigma^2 = 1 / fan_in              (LeCun et al., 1998; SELU's self-normalizing fixed point)
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

from .._keys import key_data
from ..activations import Activation, activation as _activation
from .. import _check as _checks
from .._dtype import compute
from ..errors import InvalidValueError

__all__ = ["Dense", "MLP", "mlp", "INIT_SCHEMES"]

INIT_SCHEMES = ("glorot", "he", "lecun")


class Dense(NamedTuple):
    """One affine layer's parameters: ``w`` (fan_in, fan_out) and ``b`` (fan_out,)."""

    w: Any
    b: Any


@functools.cache
def _draw():
    """The initial weights of every layer as one compiled program (drawn op by op, each random draw and product
    would compile on its own): layer i gets key i of ``split(key, layers)``, weights std_i * N(0, 1), biases 0.
    One program per list of layer shapes; ``_normals`` below is the shape-free way, this the fallback."""
    import jax
    import jax.numpy as jnp

    def draw(key, shapes, stds, dtype):
        keys = jax.random.split(key, len(shapes))
        # the barrier keeps XLA from folding std into the draw's own constants: the weights stay bit for bit
        # those of drawing and scaling one operation at a time
        return tuple(Dense(stds[i].astype(dtype) * jax.lax.optimization_barrier(jax.random.normal(k, shape, dtype)),
                           jnp.zeros((shape[1],), dtype)) for i, (k, shape) in enumerate(zip(keys, shapes)))

    # the standard deviations are traced: nets of the same shapes with other activations share the program
    return jax.jit(draw, static_argnums=(1, 3))


@functools.cache
def _normals():
    """``(layers, size)`` standard normals: row i is ``normal(split(key, layers)[i], (size,))``, one program.

    With JAX's partitionable threefry (its default) element n of a draw depends only on the key and n, and key i of
    a split only on the key and i: so the first fan_in * fan_out numbers of row i, reshaped, *are* layer i's
    ``normal(key_i, (fan_in, fan_out))``, whatever ``layers`` and ``size`` are. Both are rounded up (``MLP.init``),
    so nets of other depths and widths share one program (the per-shape program took ~0.5-0.9 s to compile
    per net; a lesson's depth sweep compiled it once per depth)."""
    import jax

    def normals(key, layers, size, dtype):
        return jax.vmap(lambda k: jax.random.normal(k, (size,), dtype))(jax.random.split(key, layers))

    return jax.jit(normals, static_argnums=(1, 2, 3))


#: at most this many numbers drawn by ``_normals`` (padding included); a larger net uses the per-shape program
_SHARED_DRAW_LIMIT = 1 << 22


def _bucket(n: int, lo: int, base_bits: int) -> int:
    """The smallest power of 2 ** base_bits that is >= n and >= lo."""
    b = lo
    while b < n:
        b <<= base_bits
    return b


def _init_std(scheme: str, fan_in: int, fan_out: int) -> float:
    if scheme == "glorot":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if scheme == "he":
        return math.sqrt(2.0 / fan_in)
    if scheme == "lecun":
        return math.sqrt(1.0 / fan_in)
    raise InvalidValueError(f"unknown initialization {scheme!r}; choose from: {', '.join(INIT_SCHEMES)}")


@dataclass(frozen=True)
class MLP:
    """A fully connected network: ``sizes`` = (in, hidden units..., out), one activation per hidden layer.

    Hashable and compared by value, so compiled training programs are reused for equal models. ``init`` is one
    scheme per weight layer (``glorot``, ``he`` or ``lecun``).
    """

    sizes: tuple[int, ...]
    activations: tuple[Activation, ...]
    init_schemes: tuple[str, ...]

    # -- shape ---------------------------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """The number of hidden layers."""
        return len(self.sizes) - 2

    @property
    def n_layers(self) -> int:
        """The number of weight layers (depth + 1)."""
        return len(self.sizes) - 1

    @property
    def in_dim(self) -> int:
        return self.sizes[0]

    @property
    def out_dim(self) -> int:
        return self.sizes[-1]

    def layer_shapes(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of each weight matrix; fan_out is units * pieces before a maxout layer."""
        shapes = []
        for l in range(self.n_layers):
            pieces = self.activations[l].pieces if l < self.depth else 1
            shapes.append((self.sizes[l], self.sizes[l + 1] * pieces))
        return shapes

    @property
    def n_params(self) -> int:
        return sum(i * o + o for i, o in self.layer_shapes())

    def describe(self) -> str:
        """``2-16-16-1 relu`` (with every distinct activation, in order)."""
        acts = []
        for a in self.activations:
            if a.caption() not in acts:
                acts.append(a.caption())
        return "-".join(map(str, self.sizes)) + (" " + ",".join(acts) if acts else "")

    # -- parameters ----------------------------------------------------------------------------------------
    def init(self, seed: int = 0, key: Any = None) -> tuple[Dense, ...]:
        """Seeded initial parameters: weights ~ N(0, sigma^2) per the layer's scheme, biases 0."""
        import jax.numpy as jnp
        import numpy as np

        if key is None:
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise InvalidValueError(f"seed must be a whole number >= 0, got {seed!r}")
            key = key_data(seed)  # built on the host (as a device computation it would compile)
        shapes = tuple(self.layer_shapes())
        stds = tuple(_init_std(scheme, n_in, n_out) for (n_in, n_out), scheme in zip(shapes, self.init_schemes))
        dtype = compute()
        import jax

        # coarse buckets (16, 32 ... layers; 256, 1024, 4096 ... numbers): the nets of a lesson or a gallery
        # share one or two programs, and drawing a few thousand numbers more costs microseconds
        layers, size = _bucket(len(shapes), 16, 1), _bucket(max(i * o for i, o in shapes), 256, 2)
        if (jax.config.jax_threefry_partitionable and jax.config.jax_default_prng_impl == "threefry2x32"
                and layers * size <= _SHARED_DRAW_LIMIT):
            z = _normals()(key, layers, size, dtype.name)
            # std * N(0, 1) on the host: one correctly rounded product, as the device makes it (inside a caller's
            # trace, z is traced: then the same with jax.numpy)
            xp = jnp if isinstance(z, jax.core.Tracer) else np
            z = xp.asarray(z)
            return tuple(Dense((xp.asarray(std, dtype) * z[l, :i * o]).reshape(i, o), xp.zeros((o,), dtype))
                         for l, ((i, o), std) in enumerate(zip(shapes, stds)))
        return _draw()(key, shapes, np.asarray(stds, dtype), dtype.name)

    # -- forward -------------------------------------------------------------------------------------------
    def apply(self, params: Sequence[Dense], x: Any, *, dropout: Any = 0.0, key: Any = None,
              masks: Sequence[Any] | None = None, hidden: bool = False) -> Any:
        """The network's output (pre-sigmoid / pre-softmax logits, or regression values), shape (N, out).

        Dropout (Srivastava et al., 2014) is applied to each hidden layer's output, in its *inverted* form:
        at training time a unit is kept with probability 1 - p and scaled by 1 / (1 - p), so evaluation (no
        ``key`` and no ``masks``) is the deterministic network with unchanged weights. ``dropout`` = p may be
        traced. ``masks`` (one 0/1 array per hidden layer, broadcastable to (N, units)) replaces the random
        draw: the exact sub-network, before the 1 / (1 - p) scaling. ``hidden=True`` also returns the hidden
        layers' outputs.
        """
        import jax
        import jax.numpy as jnp

        h = jnp.asarray(x)
        hs = []
        for l in range(self.depth):
            w, b = params[l]
            h = self.activations[l](h @ w + b)
            if masks is not None:
                h = h * masks[l] / (1.0 - dropout)
            elif key is not None:
                keep = jax.random.bernoulli(jax.random.fold_in(key, l), 1.0 - dropout, h.shape)
                h = jnp.where(keep, h / (1.0 - dropout), jnp.zeros_like(h))
            hs.append(h)
        w, b = params[-1]
        out = h @ w + b
        return (out, hs) if hidden else out

    def __call__(self, params, x, **kwargs):
        return self.apply(params, x, **kwargs)


def mlp(width: int | Sequence[int] = 16, depth: int | None = None, activation: Any = "relu", *, in_dim: int = 2,
        out_dim: int = 1, init: str | Sequence[str] = "auto") -> MLP:
    """A fully connected network: ``in_dim`` -> ``depth`` hidden layers of ``width`` units -> ``out_dim``.

    ``width``: units per hidden layer, or a list of them (then ``depth`` is its length). ``depth`` (default 2)
    counts hidden layers. ``activation``: a name (``"relu"``, ``"maxout:pieces=3"``), an ``Activation``, or one
    per hidden layer. ``init``: ``"auto"`` (each layer gets the scheme its activation suits; the output layer
    Glorot), one of ``glorot`` / ``he`` / ``lecun`` for all layers, or one per weight layer.
    """
    if isinstance(width, (list, tuple)):
        _checks.limit("depth", len(width), what="hidden layers")
        widths = [_checks.whole(w, "layer sizes", lo=1, limit_name="width") for w in width]
        if depth is not None and depth != len(widths):
            raise InvalidValueError(f"depth={_checks.show(depth)} does not match the {len(widths)} widths given")
    else:
        d = _checks.whole(2 if depth is None else depth, "depth", lo=0, limit_name="depth")
        widths = [_checks.whole(width, "width", lo=1, limit_name="width")] * d
    in_dim = _checks.whole(in_dim, "in_dim", lo=1, limit_name="width")
    out_dim = _checks.whole(out_dim, "out_dim", lo=1, limit_name="width")
    if isinstance(activation, (list, tuple)):
        if len(activation) != len(widths):
            raise InvalidValueError(f"{len(activation)} activations given for {len(widths)} hidden layers")
        acts = tuple(_activation(a) for a in activation)
    else:
        acts = (_activation(activation),) * len(widths)
    n_layers = len(widths) + 1
    if isinstance(init, str):
        if init == "auto":
            schemes = tuple(a.init for a in acts) + ("glorot",)
        else:
            _init_std(init, 1, 1)  # validates the name
            schemes = (init,) * n_layers
    else:
        schemes = tuple(init)
        if len(schemes) != n_layers:
            raise InvalidValueError(f"{len(schemes)} init schemes given for {n_layers} weight layers")
        for s in schemes:
            _init_std(s, 1, 1)
    return MLP((int(in_dim), *widths, int(out_dim)), acts, schemes)
