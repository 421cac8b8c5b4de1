"""The one validator of numbers and hyperparameters, and the one table of limits.

Every number a user gives (a learning rate, a step count, a seed, a figure size) passes through here once, at the
edge, before any work: ``number`` (finite, in range, never ``None``, ``True`` or a string), ``whole`` (an integer,
never one that overflows a machine integer), ``flag`` (true or false), ``unique`` (a key given twice is an error,
not "the last one wins"). Error messages quote at most ``ECHO`` characters of what the user typed (``show``).

``LIMITS`` bounds the size of a request (steps, optimizers, starts, seeds, grid, network depth/width, dataset,
frames, figure size); ``limit`` refuses a larger one with a message stating the limit and how to raise it (the
environment variable ``OPTIVIZ_MAX_<NAME>``). ``memory`` refuses work whose estimated footprint exceeds the
machine's available memory. Wrong types raise ``InvalidTypeError`` (a ``TypeError``), wrong values
``InvalidValueError`` (a ``ValueError``), limits ``LimitError``: all ``OptivizError`` with exit code 2.

This module imports nothing heavy (no numpy, no JAX), so the command line can check its options before loading
either.
"""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import InvalidTypeError, InvalidValueError, LimitError

#: at most this many characters of a user's input are quoted back in an error message
ECHO = 80

#: the largest integer any count may take: what fits a signed 32-bit machine integer (XLA's loop counters)
INT_MAX = 2**31 - 1


def clip(text: str, width: int = ECHO) -> str:
    """``text`` cut to ``width`` characters (the cut marked with ``...``) and on one line."""
    text = " ".join(str(text).split("\n"))
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


def expand_user(path: "str | os.PathLike[str]") -> Path:
    """``Path(path)`` with a leading ``~`` or ``~user`` expanded, or ``InvalidValueError`` in one line where it cannot
    be (``~0``: no such user; ``~`` without a home directory), where ``Path.expanduser`` raises ``RuntimeError``."""
    given = Path(os.fspath(path))
    try:
        return given.expanduser()
    except RuntimeError:
        head = clip(given.parts[0] if given.parts else str(given))
        raise InvalidValueError(f"cannot expand {head!r} in {clip(str(given))!r}: no such user or home "
                                "directory") from None


def show(value: Any, width: int = ECHO) -> str:
    """``repr(value)`` bounded to ``width`` characters: what an error message quotes of the user's input."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of {len(str(abs(value))) if value.bit_length() < 10000 else 'many'} digits"
    try:
        text = repr(value)
    except Exception:  # a repr that fails is the value's problem; name its type instead
        text = f"<{type(value).__name__}>"
    return clip(text, width)


def _g(x: float) -> str:
    return f"{x:g}"


def rule(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False, hi_open: bool = False) -> str:
    """The range in words: ``> 0``, ``>= 1``, ``in [0, 1)``, ``<= 100``."""
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{_g(lo)}, {_g(hi)}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {_g(lo)}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {_g(hi)}"
    return "finite"


def _who(name: str, where: str | None) -> str:
    return f"{where}: {name}" if where else name


def _is_array_scalar(value: Any) -> bool:
    """A 0-d numpy or JAX array of real numbers (what ``np.float32(0.1)`` or ``jnp.asarray(0.1)`` is)."""
    dtype = getattr(value, "dtype", None)
    return getattr(value, "shape", None) == () and getattr(dtype, "kind", "") in "fiu" and dtype is not None


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number: int, float, numpy/JAX scalar; never bool, complex, str or None."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return False
    return isinstance(value, numbers.Real) or _is_array_scalar(value)


def number(value: Any, name: str, *, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
           hi_open: bool = False, where: str | None = None) -> float:
    """``value`` as a finite float in the range given (``lo``/``hi`` inclusive unless ``*_open``).

    ``None``, bools, strings and complex numbers raise ``InvalidTypeError``; NaN, infinities, numbers too large
    for a float and numbers out of range raise ``InvalidValueError``. ``where`` prefixes the message (the
    optimizer or schedule the number belongs to).
    """
    who = _who(name, where)
    if not is_real(value):
        kind = "a real number" if isinstance(value, complex) else "a number"
        raise InvalidTypeError(f"{who} must be {kind}, got {show(value)}")
    try:
        x = float(value)
    except OverflowError:  # an int beyond 1.8e308
        raise InvalidValueError(f"{who} must be finite, got {show(value)}") from None
    if not math.isfinite(x):
        raise InvalidValueError(f"{who} must be finite, got {x}")
    if (lo is not None and (x < lo or (lo_open and x == lo))) or (hi is not None and (x > hi or (hi_open and x == hi))):
        raise InvalidValueError(f"{who} must be {rule(lo, hi, lo_open=lo_open, hi_open=hi_open)}, got {_g(x)}")
    return x


def whole(value: Any, name: str, *, lo: int | None = None, hi: int | None = INT_MAX, where: str | None = None,
          limit_name: str | None = None) -> int:
    """``value`` as an int in ``[lo, hi]``; a float that is a whole number (``1e3``) is accepted.

    ``hi`` defaults to ``INT_MAX`` so that no count overflows a machine integer later; ``limit_name`` checks
    the value against ``LIMITS[limit_name]`` too (a ``LimitError`` that says how to raise it).
    """
    who = _who(name, where)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif _is_array_scalar(value) and getattr(value.dtype, "kind", "") == "f" and float(value).is_integer():
        value = int(value)
    if isinstance(value, bool) or type(value).__name__ == "bool_" or not (
            isinstance(value, numbers.Integral) or (_is_array_scalar(value) and value.dtype.kind in "iu")):
        wanted = "a whole number" + (f" >= {lo}" if lo is not None else "")
        # 1.5 is a number of the wrong value; None, "3" or a list are the wrong kind of thing
        error = InvalidValueError if is_real(value) else InvalidTypeError
        raise error(f"{who} must be {wanted}, got {show(value)}")
    n = int(value)
    if lo is not None and n < lo:
        raise InvalidValueError(f"{who} must be a whole number >= {lo}, got {show(n)}")
    if limit_name is not None:
        limit(limit_name, n, what=who)
    if hi is not None and n > hi:
        bound = f"from {lo} to {hi}" if lo is not None else f"<= {hi}"
        raise InvalidValueError(f"{who} must be a whole number {bound}, got {show(n)}")
    return n


def flag(value: Any, name: str, *, where: str | None = None) -> bool:
    """``value`` as a bool: ``True``/``False`` (or 1/0); anything else is refused."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise InvalidTypeError(f"{_who(name, where)} must be true or false, got {show(value)}")


def text(value: Any, name: str, *, where: str | None = None, max_length: int = 10_000) -> str:
    """``value`` as a str (not ``None``, not bytes) of at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"{_who(name, where)} must be a string, got {show(value)}")
    if len(value) > max_length:
        raise InvalidValueError(f"{_who(name, where)} is {len(value)} characters long; the limit is {max_length}")
    return value


def unique(pairs: Iterable[tuple[str, Any]], where: str) -> dict[str, Any]:
    """``pairs`` as a dict; a key given twice (``adam:lr=0.1,lr=0.2``) is refused rather than the last kept."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidValueError(f"{where}: {clip(key)} is given twice ({show(out[key], 30)} and "
                                    f"{show(value, 30)}); give it once")
        out[key] = value
    return out


# ------------------------------------------------------------------------------------------------ limits

#: name -> (default maximum, what it counts). Each may be raised with the environment variable
#: ``OPTIVIZ_MAX_<NAME>`` (e.g. ``OPTIVIZ_MAX_STEPS=5000000``) by a user who truly wants more; the memory
#: estimate (``memory``) still applies.
LIMITS: Mapping[str, tuple[int, str]] = {
    "steps": (1_000_000, "optimizer steps"),
    "optimizers": (100, "optimizers in one run"),
    "starts": (1_000_000, "starting points"),
    "seeds": (10_000, "seeds"),
    "runs": (10_000_000, "runs (optimizers x starts x seeds)"),
    "grid": (4_000, "grid points per side"),
    "depth": (100, "hidden layers"),
    "width": (10_000, "units per hidden layer"),
    "dataset": (1_000_000, "data points"),
    "frames": (10_000, "frames"),
    "pixels": (20_000, "pixels per side of a figure"),
    "inches": (200, "inches per side of a figure"),
}


def maximum(name: str) -> int:
    """The limit ``name`` in force: ``OPTIVIZ_MAX_<NAME>`` when set to a whole number >= 1, else the default."""
    default = LIMITS[name][0]
    raw = os.environ.get(f"OPTIVIZ_MAX_{name.upper()}")
    if raw is None:
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise InvalidValueError(f"OPTIVIZ_MAX_{name.upper()} must be a whole number, got {show(raw)}") from None
    if value < 1:
        raise InvalidValueError(f"OPTIVIZ_MAX_{name.upper()} must be >= 1, got {value}")
    return value


def limit(name: str, value: int, *, what: str | None = None) -> int:
    """Refuse ``value`` above ``LIMITS[name]`` with one line stating the limit and how to raise it."""
    top = maximum(name)
    if value > top:
        label = LIMITS[name][1] if what is None else what
        raise LimitError(f"{label + ' ' if label else ''}must be at most {top:,}, got {show(value)} "
                         f"(set OPTIVIZ_MAX_{name.upper()} to raise the limit)")
    return value


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def memory(nbytes: float, what: str, *, fraction: float = 0.8) -> None:
    """Refuse work estimated to need ``nbytes`` when that is over ``fraction`` of the available memory."""
    free = available_memory()
    if free is not None and nbytes > fraction * free:
        raise LimitError(f"{what} needs about {human_bytes(nbytes)} of memory; {human_bytes(free)} is available "
                         f"(ask for fewer steps, runs or points)")
