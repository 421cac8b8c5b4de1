"""The ``optiviz`` command: a thin layer over the public API, one module per verb.

Every verb parses strings, calls ``optiviz``'s functions and prints. Heavy modules (JAX, matplotlib) are imported
inside the handlers, so ``optiviz --help`` stays fast. Bad input prints one line ``optiviz: error: ...`` and exits
2; a failure while running exits 1; SIGINT, SIGTERM and SIGHUP exit 130, 143 and 129; ``-v`` shows the
traceback. Output files are checked before any work starts (format, folder, encoder) and written atomically.

The rooms: ``options`` (the parser, argument types, shared option groups), ``output`` (``--out`` checks, saving,
the one-line report), ``runs`` (the 2D runs of ``animate`` and ``plot``), and one module per verb. Adding a verb
is one module with one function, and one line in ``COMMANDS`` below::

    # optiviz/cli/grid.py
    def grid_command(sub) -> None:
        p = add_command(sub, "grid", help="draw a surface's grid", examples=["optiviz grid --n 64"])
        p.add_argument("--n", type=int_at_least(3), default=51, help="points per side (default: %(default)s)")
        add_output_options(p, formats=IMAGE_FORMATS)

        def run(args) -> int:
            started = time.perf_counter()
            out = check_output(args.out, IMAGE_FORMATS, animated=False)  # before any work
            ...                                       # import jax/matplotlib here, compute, draw a figure
            path = out or default_output(Path("."), "grid", IMAGE_FORMATS[0])
            save_output(fig, path, args, started)     # atomic (never a partial file), then one line
            return 0

        p.set_defaults(handler=run)
"""
from __future__ import annotations

import argparse
import difflib
import os
import sys
import traceback
from typing import Any, Callable, NoReturn, Sequence

from .. import __version__, _atomic
from .._check import clip
from ..errors import Interrupted, OptivizError, UnknownNameError
from ..registry import did_you_mean
from .animate import animate_command
from .describe import describe_command
from .gallery import gallery_command
from .landscape import landscape_command
from .lessons import lessons_command
from .listing import list_command
from .network import network_command
from .options import ANIMATION_FORMATS, IMAGE_FORMATS, _Parser, add_command, add_output_options, add_run_options, \
    add_scene_options, choice, domain, int_at_least, int_between, nonnegative_float, point, positive_float, \
    probability, size
from .output import check_output, default_output, report_written, save_output, say
from .plot import plot_command
from .plot_activations import plot_activations_command
from .runs import compute_runs, optimizer_specs
from .serve import serve_command

__all__ = [  # the entry point, and the helpers a new verb is built from
    "main", "build_parser", "COMMANDS", "add_command", "add_run_options", "add_scene_options", "add_output_options",
    "positive_float", "nonnegative_float", "probability", "int_at_least", "int_between", "point", "domain", "size",
    "choice", "check_output", "default_output", "save_output", "report_written", "compute_runs", "optimizer_specs",
    "ANIMATION_FORMATS", "IMAGE_FORMATS",
]


#: every subcommand, in the order ``optiviz --help`` lists them. Adding one is one function and one line here.
COMMANDS: list[Callable[[Any], None]] = [
    animate_command,
    plot_command,
    list_command,
    describe_command,
    gallery_command,
    network_command,
    landscape_command,
    plot_activations_command,
    lessons_command,
    serve_command,
]


def build_parser() -> _Parser:
    parser = _Parser(
        prog="optiviz",
        description="See why optimizers behave as they do: animated optimizer races on 2D loss surfaces.",
        epilog="examples:\n"
               "  optiviz animate --surface ravine              # five optimizers racing: writes ravine.gif\n"
               "  optiviz plot --surface rosenbrock --optimizers gd,adam\n"
               "  optiviz list surfaces\n"
               "  optiviz describe adam\n"
               "  optiviz lessons --quick                       # the tutorial's claims, measured\n"
               "\n'optiviz COMMAND --help' shows each command's options.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the full traceback on errors")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor store compiled programs on disk (also: OPTIVIZ_NO_CACHE=1)")
    parser.add_argument("--version", action="version", version=f"optiviz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in COMMANDS:
        add(sub)
    parser.commands = dict(sub.choices)
    return parser


def _check_command(parser: _Parser, argv: list[str]) -> None:
    """An unknown subcommand gets did-you-mean (argparse would list every choice)."""
    for word in argv:
        if word.startswith("-"):
            if word in ("-h", "--help", "--version"):
                return
            continue
        if word not in parser.commands:
            raise UnknownNameError(f"unknown command {word!r}; {did_you_mean(word, list(parser.commands))}")
        return


def _unrecognized(args: argparse.Namespace, extra: list[str]) -> None:
    p = getattr(args, "_parser", None)
    option = next((e.split("=")[0] for e in extra if e.startswith("-")), None)
    if p is not None and option is not None:
        known = [s for a in p._actions for s in a.option_strings if s.startswith("--")]
        close = difflib.get_close_matches(option, known, n=2, cutoff=0.75)
        hint = ("did you mean " + " or ".join(repr(c) for c in close) + "?") if close \
            else f"see 'optiviz {args.command} --help'"
        raise OptivizError(f"unknown option {option!r}; {hint}")
    word = extra[0]
    value_of = _option_taking(word, p) if p is not None else None
    if value_of is not None:  # "optiviz animate ravine": a value without its option
        raise OptivizError(f"unexpected argument {word!r}; did you mean '{value_of} {word}'?")
    where = f"; see 'optiviz {args.command} --help'" if p is not None else ""
    raise OptivizError(f"unexpected argument {word!r}{where}")


#: options whose values are registry names, and the module whose ``names()`` lists them
_NAMED_VALUES = {"--surface": "optiviz.surfaces", "--optimizers": "optiviz.optimizers",
                 "--activation": "optiviz.activations", "--activations": "optiviz.activations",
                 "--dataset": "optiviz.nets.datasets"}


def _option_taking(word: str, p: argparse.ArgumentParser) -> str | None:
    """The option of ``p`` of which ``word`` is a valid name (only looked up on this error path)."""
    from importlib import import_module

    options = {s for a in p._actions for s in a.option_strings}
    for option, module in _NAMED_VALUES.items():
        if option in options:
            try:
                names = import_module(module).names()
            except Exception:  # a module that cannot load has no say in a hint
                continue
            if word.split(":")[0] in names:
                return option
    return None


def _fail(message: str, code: int, verbose: bool) -> int:
    if verbose and sys.exc_info()[0] is not None:
        traceback.print_exc()
    say(f"optiviz: {clip(message, 400)}", err=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``optiviz`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 done, 2 bad input (before any work), 1 a failure while running, 130/143/129 for SIGINT/SIGTERM/
    SIGHUP. A signal ends the command wherever it lands, with its code, removing every temporary file; an
    interrupt that something below swallowed (a JAX callback turning it into another error, say) still ends the
    command with the signal's code, never with success.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv or "--verbose" in argv
    with _atomic.handle_signals():
        try:
            code = _main(argv, verbose)
        except Interrupted as exc:  # arrived while an error was being reported
            code = _fail(str(exc), exc.exit_code, False)
        if _atomic.received() is not None and code != _atomic.received():
            code = _interrupted(False)  # swallowed below and the command went on: still never a success
    return code


def run() -> NoReturn:
    """The ``optiviz`` program (the console script and ``python -m optiviz``): :func:`main` on ``sys.argv``, then
    the process ends at once with its exit code.

    The exit handlers run (``atexit``: JAX's, logging's, worker processes' and pools') and both output streams
    are flushed, Python's and the C library's, as at a normal exit; what is skipped is the interpreter taking itself apart afterwards, freeing
    every object of JAX, XLA and matplotlib one by one: ~0.3 s on an idle machine after the work was done, for a
    process about to end anyway. If a thread of the command is still running, the normal exit waits for it.
    ``main([...])``, as tests and other programs call it, returns and tears nothing down.
    """
    import threading

    code = main()
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    exitfuncs = getattr(__import__("atexit"), "_run_exitfuncs", None)
    if others or exitfuncs is None:
        sys.exit(code)
    exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # as Python's own exit: output that could not be written fails a success
            code = code or 120
    _flush_c_stdio()
    os._exit(code)


def _flush_c_stdio() -> None:
    """C's ``fflush(NULL)``: what C code (a compiled extension, a library it calls) left in the C library's own
    output buffers, which ``exit`` would write and ``os._exit`` drops. Where no C library can be found this way
    (``ctypes`` missing, no ``fflush`` symbol), there is nothing more to do."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)  # the symbols the process already has: the C library's on POSIX
    except Exception:  # OSError, AttributeError, TypeError (Windows' CDLL(None)): never fail a finished command
        pass


def _interrupted(verbose: bool) -> int:
    code = _atomic.received() or 130
    return _fail("interrupted" if code == 130 else f"terminated by {_atomic.signal_name(code)}", code, verbose)


def _main(argv: list[str], verbose: bool) -> int:
    try:
        parser = build_parser()
        _check_command(parser, argv)
        try:
            args, extra = parser.parse_known_args(argv)
        except SystemExit as exc:  # --help and --version print, then exit 0
            return exc.code if isinstance(exc.code, int) else 0
        if extra:
            _unrecognized(args, extra)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 0
        if getattr(args, "no_cache", False):
            from .. import compilation_cache

            compilation_cache.disable()
        return int(handler(args) or 0)
    except OptivizError as exc:
        if _atomic.received() is not None:  # an interrupt that something below turned into this error
            return _interrupted(verbose)
        return _fail(f"error: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
                     exc.exit_code, verbose)
    except Interrupted as exc:
        return _fail(str(exc), exc.exit_code, verbose)
    except KeyboardInterrupt:  # Ctrl-C is never swallowed nor turned into another error
        return _fail("interrupted", 130, verbose)
    except SystemExit as exc:  # optiviz never exits from inside a verb: this is a user's code calling sys.exit
        return _fail(f"error: user code called sys.exit({clip(repr(exc.code), 40)}) (a surface, module or plugin "
                     "must return a value or raise an exception, not exit)", 2, verbose)
    except BrokenPipeError:  # `optiviz list | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")
        return 0
    except Exception as exc:  # a bug, or a failure we did not foresee: one line, exit 1, -v for the traceback
        if _atomic.received() is not None:  # an interrupt that a callback turned into this error
            return _interrupted(verbose)
        first = (str(exc).strip().splitlines() or [""])[0]
        hint = "" if verbose else " (run with -v for the traceback)"
        return _fail(f"error: unexpected {type(exc).__name__}{': ' + first if first else ''}{hint}", 1, verbose)
