"""Output files: checked before any work starts, written atomically, reported in one line.

``check_output`` validates ``--out`` (a known format, an existing writable folder, the writer's encoder) before
the verb computes anything; ``save_output`` writes with ``ov.save`` (atomic) and prints what was written.
"""
from __future__ import annotations

import argparse
import difflib
import functools
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from .._atomic import check_target
from .._check import clip, expand_user
from ..errors import InvalidValueError, RenderError, UnknownNameError


def offscreen(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A verb that draws and writes files: its figures stay outside pyplot (``render.unmanaged``): nothing is
    shown, no GUI toolkit is loaded, nothing is left in pyplot's list (in-process callers of ``main``)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from .. import render  # the verb loads it anyway (check_output asks it for the writer)

        with render.unmanaged():
            return handler(args)

    return run


def _check_folder(folder: Path) -> None:
    """The folder exists and a file can be created in it (``_atomic.check_target`` tries it for real)."""
    check_target(folder / ".optiviz-probe")


def _check_writer(suffix: str, *, animated: bool) -> None:
    """The renderer's writer for ``suffix`` exists, can write this kind of output and has its encoder (ffmpeg)."""
    from .. import render  # matplotlib loads here, still before any computation

    writer = render.writer_for(f"out{suffix}")
    if not animated and not writer.stills:
        raise RenderError(f"a still picture cannot be saved as {suffix}")
    if writer.check is not None:
        writer.check()


def check_output(out: str | None, formats: Sequence[str], *, animated: bool = True) -> Path | None:
    """Validate ``--out`` before any work: a known format, an existing writable folder, the encoder it needs.

    ``formats`` are the suffixes ``--help`` advertises; any other format a writer plugin provides is accepted
    too. Returns the path, or None when ``out`` is None (the caller names the file in the current folder, in the
    first of ``formats``; the current folder is checked here).
    """
    if out is None:
        _check_folder(Path("."))
        _check_writer(formats[0], animated=animated)
        return None
    path = expand_user(out)
    suffix = path.suffix.lower()
    if not suffix:
        raise InvalidValueError(f"--out {clip(out)}: add a suffix to choose the format ({', '.join(formats)})")
    if suffix not in formats and not _plugin_format(suffix, animated):
        close = difflib.get_close_matches(suffix[:20], formats, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? (formats: " if close else "choose from "
        raise UnknownNameError(f"unknown output format {clip(suffix, 30)!r} in --out {clip(out)}; "
                               f"{hint}{', '.join(formats)}"
                               + (")" if close else ""))
    try:
        folder = os.path.isdir(path)
    except (OSError, ValueError):  # a name too long to ask about: check_target says why
        folder = False
    if folder:
        raise InvalidValueError(f"--out {clip(out)} is a folder; give a file name such as "
                                f"{clip(str(path / ('out' + suffix)))}")
    check_target(path)  # name and path length, folder, permissions, links: nothing can fail late
    _check_writer(suffix, animated=animated)
    return path


def _plugin_format(suffix: str, animated: bool) -> bool:
    """Whether an installed writer plugin (entry points ``optiviz.writers``) handles ``suffix``."""
    from .. import render
    from ..render.writers import registry

    name = suffix.lstrip(".")
    if not any(ep.name == name for ep in registry.entry_points()):
        return False

    return animated or render.writer_for(f"out{suffix}").stills


def default_output(folder: Path, name: str, suffix: str) -> Path:
    """``<folder>/<name><suffix>``, with the name made safe for a file name."""
    if not re.fullmatch(r"[\w.+=-]+", name):  # a formula ("expr:x**2 + y**2"): name the file by its kind
        name = name.split(":")[0]
    safe = re.sub(r"[^\w.+=-]+", "_", name).strip("._") or "optiviz"
    path = folder / f"{safe}{suffix}"
    if path.is_dir():
        raise InvalidValueError(f"{path} is a folder; choose the output file with --out")
    return path


def save_output(drawn: Any, path: Path, args: argparse.Namespace, started: float, *, fps: float | None = None,
                detail: str = "") -> None:
    """Write what was drawn with ``ov.save``, free its figure, and report the file in one line.

    ``ov.save`` writes atomically (a temporary file in the same folder, then a rename), so a render that fails or
    is interrupted leaves no partial file and an earlier file of that name untouched.
    """
    import optiviz as ov

    from ..render import style

    kwargs = dict(dpi=args.dpi, quiet=args.quiet)
    if fps is not None:
        kwargs["fps"] = fps
    fig = getattr(drawn, "fig", None) or getattr(drawn, "figure", None) or drawn
    config = style.description(fig)
    try:
        ov.save(drawn, path, **kwargs)
    finally:
        from .. import render  # loaded already: check_output asked it for the writer

        render.close(drawn)  # free the figure (long in-process sessions, tests)
    if config and getattr(args, "verbose", False) and not args.quiet:  # titles are short; the full story here
        print("configuration (also in the file's metadata):\n  " + config.replace("\n", "\n  "), flush=True)
    report_written(path, started, args.quiet, detail)


def _human_size(n: int) -> str:
    for unit in ("B", "kB", "MB"):
        if n < 1000 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}" if n < 100 else f"{n:.0f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def report_written(path: Path, started: float, quiet: bool, detail: str = "") -> None:
    """One line: what was written, how big, how long the command took."""
    if quiet:
        return
    seconds = time.perf_counter() - started
    extra = f", {detail}" if detail else ""
    say(f"wrote {path} ({_human_size(path.stat().st_size)}{extra}, {seconds:.1f} s)")


def say(line: str, *, err: bool = False) -> None:
    """Print a line on stdout (``err``: stderr). A report comes after the file is written, an error line after
    the exit code is settled: a stream that cannot take the line (closed, ``/dev/full``, an ASCII-only locale
    and a non-ASCII name) loses the line, never the exit code."""
    stream = sys.stderr if err else sys.stdout
    try:
        print(line, file=stream, flush=True)
    except UnicodeEncodeError:
        try:
            print(line.encode("ascii", "backslashreplace").decode("ascii"), file=stream, flush=True)
        except (OSError, ValueError):
            _mute(err)
    except (OSError, ValueError):
        _mute(err)


def _mute(err: bool) -> None:
    # what could not be written stays in the buffer, and Python would fail flushing it at exit (exit code 120)
    try:
        if err:
            sys.stderr = open(os.devnull, "w")
        else:
            sys.stdout = open(os.devnull, "w")
    except OSError:  # pragma: no cover
        pass
