"""One exception family, so callers (and the CLI) can tell a user's mistake from a bug."""
from __future__ import annotations


#: the longest message an error keeps: whatever a caller interpolated (a 200 kB formula, a huge repr), the
#: message stays readable; each validator quotes at most ~80 characters of the input itself (``_check.show``)
MAX_MESSAGE = 600


class OptivizError(Exception):
    """Base class: a problem the user can act on. The CLI prints it on one line and exits 2."""

    exit_code = 2

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str) and len(args[0]) > MAX_MESSAGE:
            args = (args[0][: MAX_MESSAGE - 3] + "...",)
        super().__init__(*args)


class UnknownNameError(OptivizError, LookupError, ValueError):
    """A name that no registry holds; the message lists close matches (a ``ValueError`` too: bad input)."""


class InvalidValueError(OptivizError, ValueError):
    """A number or option outside its valid range (a negative learning rate, zero steps, ...)."""


class InvalidTypeError(InvalidValueError, TypeError):
    """A value of the wrong kind (``None`` for a number, a list for a name, ``True`` for a learning rate, ...).

    Both a ``TypeError`` (what Python raises for the wrong kind of argument) and an ``InvalidValueError`` (so
    code that catches bad input as ``ValueError`` keeps working).
    """


class LimitError(InvalidValueError):
    """A request larger than a documented limit (``optiviz._check.LIMITS``) or than the machine's free memory."""


class SurfaceError(OptivizError, ValueError):
    """A surface that cannot be loaded or used (not scalar, NaN at the start, not differentiable, ...)."""


class RenderError(OptivizError, ValueError):
    """A failure while writing output (a missing encoder, an unwritable path, ...)."""


class UserCodeError(SurfaceError):
    """A user's surface, module or plugin raised, or called ``sys.exit``; the message names the user's code."""


class RunFailure(OptivizError):
    """Something failed while running a valid request; the CLI exits 1."""

    exit_code = 1



class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived; the command ends with ``exit_code`` (128 + the signal number).

    A ``KeyboardInterrupt`` so that no ``except Exception`` on the way up can swallow it.
    """

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.exit_code = 128 + signum
