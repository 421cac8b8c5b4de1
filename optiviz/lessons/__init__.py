"""Lessons: each claim of the tutorial as a measured experiment, with its verdict and robustness over a sweep.

    import optiviz as ov
    ov.lessons.names()                        # ['adam_is_rmsprop_momentum', ...]
    r = ov.lessons.check("momentum_escapes")  # a LessonResult: claim, holds, robustness, failures, measured
    r.to_dict()

Writing one: ``@ov.lessons.lesson(name, claim=..., topic=...)`` on ``fn(quick=False, **overrides) -> Sweep``.
"""
from . import report
from .core import (Lesson, LessonResult, Sweep, band, check, check_all, fmt, get, lesson, mark_band, names, pct,
                   registry, verdict)

__all__ = ["report", "Lesson", "LessonResult", "Sweep", "band", "check", "check_all", "fmt", "get", "lesson", "mark_band", "names",
           "pct", "registry", "verdict"]
