"""One exception family, so callers (and the CLI) can tell a user's mistake from a bug."""
from __future__ import annotations


class OptivizError(Exception):
    """Base class: a problem the user can act on. The CLI prints it on one line and exits 2."""

    exit_code = 2


class UnknownNameError(OptivizError, LookupError):
    """A name that no registry holds; the message lists close matches."""


class InvalidValueError(OptivizError, ValueError):
    """A number or option outside its valid range (a negative learning rate, zero steps, ...)."""


class SurfaceError(OptivizError):
    """A surface that cannot be loaded or used (not scalar, NaN at the start, not differentiable, ...)."""


class RenderError(OptivizError):
    """A failure while writing output (a missing encoder, an unwritable path, ...)."""


class RunFailure(OptivizError):
    """Something failed while running a valid request; the CLI exits 1."""

    exit_code = 1
