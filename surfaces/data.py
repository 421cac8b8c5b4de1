"""Data-driven surfaces: the loss of a two-parameter model over a seeded synthetic dataset, as a function of its
parameters. The dataset travels with the surface (``data=(xs, ys)``), and ``batch_loss`` is the same loss on a
minibatch, so ``sgd`` draws real minibatches (``batch_size``) instead of adding artificial noise.

JAX and NumPy are imported inside the functions, and the surfaces are lazy (``@ov.surface(lazy=True)``): each
dataset, least-squares minimum and contour levels are computed when the surface is first used, so registering and
listing these surfaces loads neither.
"""
from __future__ import annotations

import functools
import math

import optiviz as ov

from ._common import TUNED, log_levels, lrs, require

# ------------------------------------------------------------------------------------- linear regression

TRUE_W, TRUE_B = 2.0, -1.0


@functools.lru_cache(maxsize=32)
def linreg_data(n: int = 64, noise: float = 0.5, seed: int = 0, x_mean: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points with x ~ N(x_mean, 1) and y = 2 x - 1 + N(0, noise^2), from ``numpy.random.default_rng(seed)``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    xs = rng.normal(x_mean, 1.0, n)
    ys = TRUE_W * xs + TRUE_B + rng.normal(0.0, noise, n)
    for a in (xs, ys):
        a.setflags(write=False)  # cached: nobody may change them
    return xs, ys


def _floats(*arrays):
    """Everything in the current float type (float32, or float64 under x64): the dataset is float64 numpy, and
    the dtype of a constant is fixed when a program is traced, so it is stated rather than inferred."""
    import jax.numpy as jnp

    dtype = jnp.result_type(float)
    return tuple(jnp.asarray(a, dtype) for a in arrays)


def _mse(w, b, xs, ys):
    """mean_i (w x_i + b - y_i)^2, for scalar (w, b) or whole grids of them (the data axis is added last)."""
    import jax.numpy as jnp

    w, b, xs, ys = _floats(w, b, xs, ys)
    residual = w[..., None] * xs + b[..., None] - ys
    return jnp.mean(residual**2, axis=-1)


def _ols(n, noise, seed, x_mean):
    """The least-squares (w, b): the minimum of the full-data loss, in closed form (float64)."""
    import numpy as np

    xs, ys = linreg_data(n, noise, seed, x_mean)
    A = np.stack([xs, np.ones_like(xs)], axis=1)
    (w, b), *_ = np.linalg.lstsq(A, ys, rcond=None)
    return float(w), float(b)


_LINREG_DOMAIN = ((TRUE_W - 3.5, TRUE_W + 3.5), (TRUE_B - 3.5, TRUE_B + 3.5))


def _linreg_levels(n, noise, seed, x_mean):
    import numpy as np

    xs, ys = linreg_data(n, noise, seed, x_mean)
    fmin = float(np.mean((np.polyval(_ols(n, noise, seed, x_mean), xs) - ys) ** 2))
    # a quadratic is largest at a corner of the box
    (w0, w1), (b0, b1) = _LINREG_DOMAIN
    fmax = max(float(np.mean((w * xs + b - ys) ** 2)) for w in (w0, w1) for b in (b0, b1))
    return log_levels(fmin, fmax, 22, lowest=1e-3 * (fmax - fmin))


def _check_dataset(n, noise, seed, **_):
    require(isinstance(n, int) and 2 <= n <= 1_000_000, f"n must be a whole number from 2 to 1000000, got {n!r}")
    require(math.isfinite(noise) and noise >= 0, f"noise must be a finite number >= 0, got {noise!r}")
    require(isinstance(seed, int) and seed >= 0, f"seed must be a whole number >= 0, got {seed!r}")


def _check_linreg(n, noise, seed, x_mean):
    _check_dataset(n, noise, seed)
    require(math.isfinite(x_mean), f"x_mean must be finite, got {x_mean!r}")


@ov.register_surface
@ov.surface(domain=_LINREG_DOMAIN, start=(-1.0, 2.0), minima=lambda n, noise, seed, x_mean: [_ols(n, noise, seed, x_mean)],
            levels=_linreg_levels, data=linreg_data,
            batch_loss=lambda w, b, batch: _mse(w, b, batch[0], batch[1]), batch_size=8,
            lr_tuned=TUNED, lr=lrs(gd=0.348, adagrad=2.37, rmsprop=0.0511, momentum=0.348, adam=0.562), validate=_check_linreg, lazy=True)
def linreg(w, b, n=64, noise=0.5, seed=0, x_mean=1.0):
    """Linear regression: the mean squared error of y = w x + b

    The loss of fitting y = w x + b to n = 64 noisy points (y = 2x - 1 + noise, seeded), as a function of the
    slope w (horizontal) and the intercept b (vertical): a quadratic bowl whose minimum is the least-squares fit.
    Its tilt comes from the data: x is not centred (mean 1), so w and b are correlated and the bowl is a tilted
    ellipse (linreg:x_mean=0 makes it round-ish: why inputs are centred). sgd computes each step's gradient on a
    minibatch of batch_size points drawn from the dataset, so its path jitters around the fit instead of settling;
    a larger batch or a smaller learning rate calms it.
    """
    xs, ys = linreg_data(n, noise, seed, x_mean)
    return _mse(w, b, xs, ys)


# ----------------------------------------------------------------------------------- logistic regression

@functools.lru_cache(maxsize=32)
def logreg_data(n: int = 64, spread: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of two classes: label t ~ Bernoulli(1/2), x ~ N(-0.5 + 2t, spread^2) (seeded)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ts = rng.integers(0, 2, n).astype(float)
    xs = -0.5 + 2.0 * ts + spread * rng.normal(0.0, 1.0, n)
    for a in (xs, ts):
        a.setflags(write=False)
    return xs, ts


def _xent(w, b, xs, ts):
    """mean_i [softplus(z_i) - t_i z_i] with z_i = w x_i + b: the logistic (cross-entropy) loss, computed stably."""
    import jax.numpy as jnp

    w, b, xs, ts = _floats(w, b, xs, ts)
    z = w[..., None] * xs + b[..., None]
    return jnp.mean(jnp.logaddexp(0.0, z) - ts * z, axis=-1)


def _mle(n, spread, seed):
    """The maximum-likelihood (w, b) by Newton's method (float64); none when the classes are separable (then the
    loss keeps falling as |w| grows, and its infimum 0 is not attained)."""
    import numpy as np

    xs, ts = logreg_data(n, spread, seed)
    if ts.min() == ts.max():
        return []
    lo, hi = xs[ts == 0], xs[ts == 1]
    if lo.max() < hi.min() or hi.max() < lo.min():
        return []
    A = np.stack([xs, np.ones_like(xs)], axis=1)
    p = np.zeros(2)
    for _ in range(100):
        q = 1.0 / (1.0 + np.exp(-(A @ p)))
        g = A.T @ (q - ts) / n
        H = (A * (q * (1 - q))[:, None]).T @ A / n
        p = p - np.linalg.solve(H, g)
        if np.max(np.abs(g)) < 1e-15:
            break
    return [(float(p[0]), float(p[1]))]


def _check_logreg(n, spread, seed):
    _check_dataset(n, 0.0, seed)
    require(math.isfinite(spread) and spread > 0, f"spread must be a finite number > 0, got {spread!r}")


@ov.register_surface
@ov.surface(domain=((-3.0, 7.0), (-5.0, 3.0)), start=(-2.0, 2.0), minima=_mle, levels="log", data=logreg_data,
            batch_loss=lambda w, b, batch: _xent(w, b, batch[0], batch[1]), batch_size=8,
            lr_tuned=TUNED, lr=lrs(gd=6.19, adagrad=6.19, rmsprop=3.83, momentum=1.47, adam=0.562), validate=_check_logreg, lazy=True)
def logreg(w, b, n=64, spread=1.0, seed=0):
    """Logistic regression: the cross-entropy of p = sigmoid(w x + b)

    The loss of a one-input logistic classifier over n = 64 seeded points of two overlapping classes, as a function
    of the weight w and the bias b. It is convex but not quadratic: far from the minimum it grows only linearly
    (each misclassified point costs about |w x + b|), so the gradient stays bounded and GD keeps a steady pace, and
    the curvature near the minimum is set by how much the classes overlap. With separable classes
    (logreg:spread=0.3) there is no minimum at all: the loss keeps falling as w grows, and every optimizer walks off
    towards infinity (one reason to add weight decay).
    """
    xs, ts = logreg_data(n, spread, seed)
    return _xent(w, b, xs, ts)
