"""The claims registry: each lesson of the tutorial as an executable experiment with its sweep and verdict.

A lesson is a function ``fn(quick: bool = False, **overrides) -> Sweep`` registered with ``@lesson(name,
claim=..., topic=...)``. It runs its experiment over every setting a skeptic would try (learning rates, seeds,
starts, depths) and returns one row per setting::

    @lesson("momentum_escapes", claim="Momentum rolls past a local minimum where GD at the same lr stops.",
            topic="optimizers")
    def momentum_escapes(quick=False, **overrides):
        ...
        return Sweep(rows=[{"lr": 0.1, "holds": True, "momentum": 0.71, "gd": 0.12}, ...],
                     measured={"momentum": 0.71, "gd": 0.12},
                     claim="Momentum reaches the global minimum from 71% of starts, GD from 12% (lr 0.03-0.3).")

``check(name)`` runs it and returns a frozen ``LessonResult``. The verdict rule:

- ``robustness`` is the fraction of *all* rows that hold (the whole sweep, whatever the sentence says);
- a row may carry ``"in_band": False`` when it lies outside the band the claim's sentence states ("for lr between
  a and b"); the claim ``holds`` when every row inside the band holds (and there is at least one);
- ``failures`` lists the rows that do not hold (in the band or not), so a reader sees where the lesson flips.

Nothing here imports JAX or matplotlib: the experiment modules do, when a lesson runs.
"""
from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ..errors import InvalidValueError, OptivizError
from ..registry import Registry

#: the built-in experiments; their modules register themselves when first imported
BUILTIN_MODULES = ("optiviz.lessons.optimizers", "optiviz.lessons.networks")

# keys of a row that are verdicts, not settings or numbers
_RESERVED = ("holds", "in_band")


@dataclass(frozen=True)
class Lesson:
    """A registered claim: its name, the tutorial's sentence, a topic and the experiment."""

    name: str
    claim: str
    topic: str
    fn: Callable[..., "Sweep"]

    @property
    def options(self) -> tuple[str, ...]:
        """The keyword overrides the experiment names (beyond ``quick``)."""
        params = inspect.signature(self.fn).parameters.values()
        return tuple(p.name for p in params if p.name != "quick" and p.kind in (p.KEYWORD_ONLY,
                                                                                p.POSITIONAL_OR_KEYWORD))


registry: Registry[Lesson] = Registry("lessons", builtins="optiviz.lessons._builtins")


def lesson(name: str, *, claim: str, topic: str = "") -> Callable[[Callable[..., "Sweep"]], Callable[..., "Sweep"]]:
    """Register ``fn(quick=False, **overrides) -> Sweep`` as the experiment behind ``claim`` (one sentence)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise OptivizError(f"a lesson's name must be an identifier, got {name!r}")
    if not isinstance(claim, str) or not claim.strip():
        raise OptivizError(f"lesson {name!r} needs its claim in one sentence")

    def decorator(fn: Callable[..., Sweep]) -> Callable[..., Sweep]:
        registry.register(name, Lesson(name, claim.strip(), topic, fn))
        return fn

    return decorator


@dataclass(frozen=True)
class Sweep:
    """What an experiment returns.

    ``rows``: one dict per setting tried: the setting (``lr``, ``seed``, ``start``, ``depth``, ...), ``"holds"``
    (bool: the claim is true at this setting), optionally ``"in_band": False`` for a setting outside the band the
    sentence states, and any numbers measured there. ``measured``: the key numbers (for the table and the
    figures). ``claim``: the sentence refined with what was measured ("... from 71% of starts ..."), or None to
    keep the registered one. ``headline``: the short form a figure carries ("Momentum reaches the global minimum
    from 42% of starts, GD from 0%, at lr 0.03"), or None to use the claim.
    """

    rows: Sequence[Mapping[str, Any]]
    measured: Mapping[str, Any] = field(default_factory=dict)
    claim: str | None = None
    headline: str | None = None


@dataclass(frozen=True)
class LessonResult:
    """A claim checked: the sentence, the verdict, how robust it is over the sweep and where it failed."""

    name: str
    claim: str
    holds: bool
    robustness: float
    settings: int
    failures: tuple[dict[str, Any], ...]
    measured: dict[str, Any]
    seconds: float
    topic: str = ""
    rows: tuple[dict[str, Any], ...] = ()
    quick: bool = False
    headline: str = ""

    def to_dict(self, *, rows: bool = False) -> dict[str, Any]:
        """Plain JSON-ready values: name, claim, holds, robustness, settings, failures, measured, seconds, topic,
        quick (and every row of the sweep with ``rows=True``)."""
        out = {"name": self.name, "claim": self.claim, "holds": self.holds, "robustness": self.robustness,
               "settings": self.settings, "failures": [_plain(r) for r in self.failures],
               "measured": _plain(self.measured), "seconds": round(self.seconds, 3), "topic": self.topic,
               "quick": self.quick, "headline": self.headline}
        if rows:
            out["rows"] = [_plain(r) for r in self.rows]
        return out

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "FAILS"

    def __repr__(self) -> str:
        return (f"<LessonResult {self.name}: {self.verdict}, robustness {self.robustness:.0%} of {self.settings} "
                f"settings>")


def _plain(value: Any) -> Any:
    """numpy scalars/arrays and tuples -> JSON's types; non-finite floats -> None (JSON has no NaN)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return _plain(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def names() -> list[str]:
    """The registered lessons' names, sorted."""
    return registry.names()


def get(name: str) -> Lesson:
    """The registered ``Lesson`` called ``name`` (unknown names raise with close matches)."""
    return registry.get(name)


def verdict(name: str, claim: str, sweep: Sweep, *, topic: str = "", seconds: float = 0.0,
            quick: bool = False) -> LessonResult:
    """The rule of this module's docstring, applied to one ``Sweep``."""
    if not isinstance(sweep, Sweep):
        raise OptivizError(f"lesson {name!r} returned {type(sweep).__name__}, not a Sweep")
    rows = tuple(dict(r) for r in sweep.rows)
    if not rows:
        raise OptivizError(f"lesson {name!r} tried no setting")
    for r in rows:
        if not (isinstance(r.get("holds"), bool) or getattr(r.get("holds"), "dtype", None) == bool):
            raise OptivizError(f"lesson {name!r}: every row needs 'holds' (a bool), got {r!r}")
    ok = [bool(r["holds"]) for r in rows]
    band = [bool(r.get("in_band", True)) for r in rows]
    holds = any(band) and all(o for o, b in zip(ok, band) if b)
    failures = tuple({k: v for k, v in r.items() if k not in _RESERVED} for r, o in zip(rows, ok) if not o)
    return LessonResult(name=name, claim=sweep.claim or claim, holds=holds, robustness=sum(ok) / len(ok),
                        settings=len(rows), failures=failures, measured=dict(sweep.measured), seconds=seconds,
                        topic=topic, rows=rows, quick=quick, headline=sweep.headline or sweep.claim or claim)


def check(name: str, quick: bool = False, **overrides: Any) -> LessonResult:
    """Run the lesson ``name`` (a smaller sweep with ``quick=True``) and return its ``LessonResult``.

    ``overrides`` go to the experiment (for example another learning-rate grid); a keyword it does not take is
    refused before any work.
    """
    entry = get(name)
    try:
        inspect.signature(entry.fn).bind(quick=quick, **overrides)
    except TypeError:
        allowed = ", ".join(entry.options) or "none"
        raise InvalidValueError(f"lesson {name!r} takes no option {', '.join(map(repr, overrides))} "
                                f"(its options: {allowed})") from None
    started = time.perf_counter()
    sweep = entry.fn(quick=quick, **overrides)
    return verdict(name, entry.claim, sweep, topic=entry.topic, seconds=time.perf_counter() - started,
                   quick=quick)


def check_all(names_: Sequence[str] | None = None, *, quick: bool = False) -> list[LessonResult]:
    """``check`` every lesson (or those named), in name order."""
    return [check(n, quick=quick) for n in (names_ if names_ is not None else names())]


# ------------------------------------------------------------------------------------ helpers for experiments

def band(values: Sequence[float], ok: Sequence[bool]) -> tuple[float, float] | None:
    """The widest run of consecutive settings (sorted by value) where ``ok`` holds: ``(lo, hi)``, or None.

    Used to state a claim's band honestly: "for lr between lo and hi" is the interval where it held.
    """
    pairs = sorted(zip(values, ok))
    best: tuple[int, int] | None = None
    i = 0
    while i < len(pairs):
        if pairs[i][1]:
            j = i
            while j + 1 < len(pairs) and pairs[j + 1][1]:
                j += 1
            if best is None or j - i > best[1] - best[0]:
                best = (i, j)
            i = j + 1
        else:
            i += 1
    return None if best is None else (pairs[best[0]][0], pairs[best[1]][0])


def mark_band(rows: Sequence[dict[str, Any]], key: str = "lr", *, group: str | None = None,
              min_ratio: float = 10.0) -> dict[Any, tuple[float, float] | None]:
    """Mark each row ``in_band`` (in place) and return the band of ``key`` per ``group`` value (or under None).

    A value of ``key`` is good when every row with it (in its group) holds; the band is the widest run of
    consecutive good values (``band``). A band narrower than ``min_ratio`` (hi / lo; default a decade) shows
    nothing and is dropped (None), so a claim cannot pass on one lucky setting: its rows are all out of band and
    the claim fails. Rows outside the band still count for robustness.
    """
    bands: dict[Any, tuple[float, float] | None] = {}
    groups = sorted({r.get(group) if group else None for r in rows}, key=str)
    for g in groups:
        members = [r for r in rows if (r.get(group) if group else None) == g]
        values = sorted({r[key] for r in members})
        good = [all(bool(r["holds"]) for r in members if r[key] == v) for v in values]
        b = band(values, good)
        if b is not None and b[1] < min_ratio * b[0]:
            b = None
        bands[g] = b
        for r in members:
            r["in_band"] = b is not None and b[0] <= r[key] <= b[1]
    return bands


def fmt(x: float, digits: int = 2) -> str:
    """A number for a sentence: ``digits`` significant figures, no trailing zeros (whole above 100)."""
    if abs(x) >= 10 ** digits:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def pct(x: float) -> str:
    """A fraction as a whole percentage."""
    return f"{100 * x:.0f}%"
