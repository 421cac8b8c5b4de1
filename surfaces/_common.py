"""Small helpers shared by the built-in surface modules (suggested learning rates, contour levels)."""
from __future__ import annotations

import math


#: the optimizers whose suggested lr on a built-in surface is their tuned one: ``ov.tune(surface, TUNED, steps=200)``
#: from the surface's start (25 lrs from 1e-4 to 10; final loss, ties by steps), rounded to two figures.
#: ``tests/test_surfaces.py`` re-tunes and checks them; a race drawn at these rates says "(tuned)" in its labels.
TUNED = ("gd", "adagrad", "rmsprop", "momentum", "adam")


def lrs(*, gd: float, adagrad: float, rmsprop: float, momentum: float, adam: float, lion: float | None = None,
        **extra: float) -> dict[str, float]:
    """Suggested learning rates for every optimizer from the five that were tuned on the surface.

    Kin share a rate: ``sgd`` = ``gd``; ``nesterov`` = ``momentum``; ``nadam``, ``adamax``, ``amsgrad``, ``adamw`` =
    ``adam``. Lion's sign update moves every coordinate by exactly ``lr`` per step (Adam's moves about ``lr`` at
    first and less later), so it gets a third of Adam's rate unless given. ``adadelta`` keeps its own default
    (it corrects its units itself).
    """
    out = {"gd": gd, "sgd": gd, "momentum": momentum, "nesterov": momentum, "adagrad": adagrad, "rmsprop": rmsprop,
           "adam": adam, "nadam": adam, "adamax": adam, "amsgrad": adam, "adamw": adam,
           "lion": lion if lion is not None else adam / 3}
    out.update(extra)
    return out


def log_levels(fmin: float, fmax: float, n: int = 20, lowest: float | None = None) -> tuple[float, ...]:
    """``n + 1`` contour levels: ``fmin`` and then geometric steps above it, from ``lowest`` (default: a millionth
    of the range) up to ``fmax``; the way to show a minimum's neighbourhood and a far wall on one map."""
    span = fmax - fmin
    lo = lowest if lowest is not None else span * 1e-6
    ratio = (span / lo) ** (1 / (n - 1))
    return (float(fmin),) + tuple(float(fmin + lo * ratio**i) for i in range(n))


def linear_levels(fmin: float, fmax: float, n: int = 20) -> tuple[float, ...]:
    """``n + 1`` evenly spaced levels from ``fmin`` to ``fmax``."""
    return tuple(float(fmin + (fmax - fmin) * i / n) for i in range(n + 1))


def require(condition: bool, message: str) -> None:
    """Raise the library's own error for a surface parameter that makes no sense."""
    if not condition:
        import optiviz as ov

        raise ov.SurfaceError(message)


def finite(value: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
