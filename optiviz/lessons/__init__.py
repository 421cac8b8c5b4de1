"""Lessons: each claim of the tutorial as a measured experiment, with its verdict and robustness over a sweep.

    import optiviz as ov
    ov.lessons.names()                        # ['adam_is_rmsprop_momentum', ...]
    r = ov.lessons.check("momentum_escapes")  # a LessonResult: claim, holds, robustness, failures, measured
    r.to_dict()

Writing one: ``@ov.lessons.lesson(name, claim=..., topic=...)`` on ``fn(quick=False, **overrides) -> Sweep``.
"""
from typing import Any

from . import report
from .core import (Lesson, LessonResult, Sweep, band, check, check_all, fmt, get, lesson, mark_band, names, pct,
                   registry, verdict)

__all__ = ["penalized_surface", "report", "Lesson", "LessonResult", "Sweep", "band", "check", "check_all", "fmt", "get", "lesson", "mark_band", "names",
           "pct", "registry", "verdict"]


def __getattr__(name: str) -> Any:
    if name == "penalized_surface":  # the experiments' module loads numpy: only when asked
        from .optimizers import penalized_surface

        return penalized_surface
    raise AttributeError(f"module 'optiviz.lessons' has no attribute {name!r}")
