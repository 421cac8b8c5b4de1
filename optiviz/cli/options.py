"""What every verb shares on its way in: the parser with our conventions, argument types, option groups.

A verb module builds its parser with ``add_command`` and the ``add_*_options`` groups, and reads the parsed values
back with ``pixels`` / ``scene_options``. Argument types turn a bad word into the one-line
``optiviz: error: argument --lr: must be a finite number > 0, got 'x'`` (exit 2) before any work.
"""
from __future__ import annotations

import argparse
import math
import re
from typing import Any, Callable, Sequence

from .. import _check as _checks
from .._check import show
from ..errors import InvalidValueError, OptivizError
from ..registry import did_you_mean

DEFAULT_SURFACE = "ravine"
DEFAULT_OPTIMIZERS = "gd,adagrad,rmsprop,momentum,adam"
ANIMATION_FORMATS = (".gif", ".mp4", ".html", ".png")
IMAGE_FORMATS = (".png", ".svg", ".pdf")


class _Parser(argparse.ArgumentParser):
    """argparse with our conventions: one-line errors (exit 2), no abbreviations, examples kept as written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        # abbreviations would break users' scripts as soon as a subcommand gains a similar option
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        # argparse takes "-1.5,2" for an option (it only knows plain negative numbers); no option of ours starts
        # with "-<digit>", so such words are values: "--start -1.5,2" and "--domain -3,3,-2,2" work unquoted.
        self._negative_number_matcher = re.compile(r"^-\.?\d[\d.,eE+-]*$")

    def error(self, message: str) -> None:  # one line, exit 2, as for every other bad input
        raise OptivizError(message)


def _verbose_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's default must not reset a -v given before the subcommand
    p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback on errors")
    p.add_argument("--no-cache", action="store_true", default=argparse.SUPPRESS,
                   help="neither read nor store compiled programs on disk (also: OPTIVIZ_NO_CACHE=1)")
    return p


def add_command(sub: Any, name: str, *, help: str, examples: Sequence[str],
                description: str | None = None) -> argparse.ArgumentParser:
    """A subcommand parser whose ``--help`` ends with ``examples`` and which accepts ``-v``."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    p = sub.add_parser(name, help=help, description=description or help[:1].upper() + help[1:] + ".",
                       epilog=epilog, parents=[_verbose_parent()])
    p.set_defaults(_parser=p)
    return p


def _type(fn: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    fn.__name__ = name  # argparse names the type in some messages
    return fn


def _bounded(convert: Callable[[str], Any], rule: str, ok: Callable[[Any], bool], name: str) -> Callable[[str], Any]:
    """An argument type: ``convert(text)`` that passes ``ok``, else the one-line "must be <rule>, got '<text>'"."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {show(text)}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {show(text)}")
        return value

    return _type(parse, name)


def _finite_float(rule: str, ok: Callable[[float], bool]) -> Callable[[str], float]:
    return _bounded(float, rule, lambda v: math.isfinite(v) and ok(v), "float")


#: a finite number > 0 (a learning rate, a timeout)
positive_float = _finite_float("a finite number > 0", lambda v: v > 0)


#: a finite number >= 0 (a noise level, a penalty strength)
nonnegative_float = _finite_float("a finite number >= 0", lambda v: v >= 0)


#: a probability short of certainty (a dropout rate: 1 would drop every unit)
probability = _finite_float("a number from 0 up to (not including) 1", lambda v: 0 <= v < 1)


def number_list(item: Callable[[str], Any], option: str) -> Callable[[str], list[Any]]:
    """A comma-separated list of ``item`` values (``--depth 2,4,6``): each checked by ``item``; at least one, no
    repeats (a setting to compare is given once)."""

    def parse(text: str) -> list[Any]:
        parts = [t.strip() for t in text.split(",")]
        if not text.strip() or any(not t for t in parts):
            raise argparse.ArgumentTypeError(f"must be a value or a comma-separated list, got {text!r}")
        values = [item(t) for t in parts]
        if len(set(values)) != len(values):
            raise argparse.ArgumentTypeError(f"lists each value once, got {text!r}")
        return values

    return _type(parse, "list")


def int_at_least(low: int, limit: str | None = None) -> Callable[[str], int]:
    """A whole number >= ``low`` (and within ``optiviz._check.LIMITS[limit]``, checked while parsing: before any
    work, in milliseconds)."""
    counted = _bounded(int, f"a whole number >= {low}", lambda v: v >= low, "int")
    if limit is None:
        return counted

    def parse(text: str) -> int:
        value = counted(text)
        try:
            return _checks.limit(limit, value, what="")
        except OptivizError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return _type(parse, "int")


def int_between(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``."""
    return _bounded(int, f"a whole number from {low} to {high}", lambda v: low <= v <= high, "int")


def numbers(text: str, n: int, form: str) -> list[float]:
    parts = [t.strip() for t in text.split(",")]
    try:
        values = [float(t) for t in parts]
    except ValueError:
        values = []
    if len(values) != n or not all(map(math.isfinite, values)):
        raise argparse.ArgumentTypeError(f"expected {form} ({n} finite numbers), got {text!r}")
    return values


def point(text: str) -> tuple[float, float]:
    """``x,y``: two finite numbers."""
    x, y = numbers(text, 2, "x,y")
    return (x, y)


def domain(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """``xmin,xmax,ymin,ymax`` with xmin < xmax and ymin < ymax."""
    x0, x1, y0, y1 = numbers(text, 4, "xmin,xmax,ymin,ymax")
    if not (x0 < x1 and y0 < y1):
        raise argparse.ArgumentTypeError(f"needs xmin < xmax and ymin < ymax, got {text!r}")
    return ((x0, x1), (y0, y1))


def size(text: str) -> tuple[int, int]:
    """``WxH`` in pixels, e.g. ``1200x600``."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not m or not (16 <= int(m[1]) <= 20000 and 16 <= int(m[2]) <= 20000):
        raise argparse.ArgumentTypeError(f"expected WxH in pixels between 16 and 20000, such as 1200x600, got {text!r}")
    return (int(m[1]), int(m[2]))


def choice(*options: str, aliases: dict[str, str] | None = None) -> Callable[[str], str]:
    """One of ``options`` (or an alias of one), with did-you-mean on a miss."""
    aliases = aliases or {}

    def parse(text: str) -> str:
        key = text.strip().lower()
        if key in options:
            return key
        if key in aliases:
            return aliases[key]
        raise argparse.ArgumentTypeError(f"unknown choice {text!r}; {did_you_mean(key, list(options))}")

    return _type(parse, "choice")


def spec_list(text: str, option: str) -> list[str]:
    """``sigmoid,leaky_relu:alpha=0.1,relu`` -> three specs: an item ``key=value`` belongs to the spec before it."""
    items: list[str] = []
    for part in (t.strip() for t in text.split(",")):
        if not part:
            continue
        if "=" in part and ":" not in part and items:
            items[-1] += "," + part
        else:
            items.append(part)
    if not items:
        raise InvalidValueError(f"{option} {text!r} names nothing; for example {option} relu")
    return items


def add_run_options(p: argparse.ArgumentParser) -> None:
    """What to run: the surface, the optimizers and their settings (used by ``compute_runs``)."""
    g = p.add_argument_group("the run")
    g.add_argument("--surface", default=DEFAULT_SURFACE, metavar="SPEC",
                   help="a surface name (optiviz list surfaces), name:key=value, file.py:function or "
                        "package.module:function (default: %(default)s)")
    g.add_argument("--optimizers", default=DEFAULT_OPTIMIZERS, metavar="LIST",
                   help="comma-separated optimizers, each a name or name:key=value,... such as adam:lr=0.1,b1=0.8; "
                        "the same name twice gets two labels (default: %(default)s)")
    g.add_argument("--lr", type=positive_float, default=None,
                   help="learning rate for every optimizer that sets none itself (default: the surface's "
                        "suggestion for each optimizer, else the optimizer's own default)")
    g.add_argument("--steps", type=int_at_least(1, "steps"), default=200, help="optimizer steps (default: %(default)s)")
    g.add_argument("--start", type=point, default=None, metavar="X,Y",
                   help="where every optimizer starts (default: the surface's own start)")
    g.add_argument("--seed", type=int_at_least(0), default=0,
                   help="seed of the gradient noise and minibatches (default: %(default)s)")
    g.add_argument("--noise", type=nonnegative_float, default=None,
                   help="std of Gaussian noise added to every gradient: stochastic gradients "
                        "(default: none, except sgd's own)")
    g.add_argument("--batch-size", type=int_at_least(1), default=None, metavar="N",
                   help="minibatch size of stochastic optimizers (sgd) on data surfaces such as linreg "
                        "(default: the surface's own)")
    g.add_argument("--tune", action="store_true",
                   help="pick each optimizer's learning rate by a log-spaced sweep (final loss after --steps; "
                        "ties go to the fastest to converge) and print the choice")
    g.add_argument("--domain", type=domain, default=None, metavar="XMIN,XMAX,YMIN,YMAX",
                   help="the region to draw, e.g. for a plain function from a file (default: the surface's own)")
    g.add_argument("--x64", action="store_true", help="compute in float64 (default: float32)")


def add_scene_options(p: argparse.ArgumentParser) -> None:
    """How to draw the runs (passed to ``ov.animate`` / ``ov.plot`` by ``scene_options``)."""
    g = p.add_argument_group("the picture")
    g.add_argument("--layout", type=choice("grid", "overlay"), default="grid", metavar="{grid,overlay}",
                   help="grid: one panel per optimizer; overlay: all paths on one map with a legend "
                        "(default: %(default)s)")
    g.add_argument("--view", type=choice("contour", "3d", "both"), default="contour", metavar="{contour,3d,both}",
                   help="contour map, 3D surface with the path riding on it, or both (default: %(default)s)")
    g.add_argument("--internals", action="store_true",
                   help="draw each optimizer's state: gradient and velocity arrows, per-coordinate step size")
    g.add_argument("--no-loss-panel", dest="loss_panel", action="store_false",
                   help="leave out the loss-vs-step panel")
    g.add_argument("--title", default=None, help="figure title (default: the surface's title)")


def add_output_options(p: argparse.ArgumentParser, *, formats: Sequence[str], animated: bool = False,
                       default_name: str = "<surface name>") -> None:
    """``--out`` (format from the suffix), ``--dpi``, ``--size``, ``--quiet``; ``--fps``, ``--frames`` if animated."""
    g = p.add_argument_group("the output")
    g.add_argument("--out", default=None, metavar="FILE",
                   help=f"output file, format from the suffix: {', '.join(formats)} "
                        f"(default: {default_name}{formats[0]} in the current folder)")
    if animated:
        g.add_argument("--fps", type=int_between(1, 100), default=20, help="frames per second (default: %(default)s)")
        g.add_argument("--frames", type=int_at_least(1, "frames"), default=200,
                       help="frames, sampled evenly from the steps; at most one per step (default: %(default)s)")
    g.add_argument("--dpi", type=int_between(10, 600), default=100, help="dots per inch (default: %(default)s)")
    g.add_argument("--size", type=size, default=None, metavar="WxH",
                   help="figure size in pixels, e.g. 1200x600 (default: fitted to the panels)")
    g.add_argument("--style", type=choice("light", "dark", "paper"), default=None, metavar="{light,dark,paper}",
                   help="the look of every element: light, dark, or paper (white, print-safe, text kept as text in "
                        ".svg/.pdf) (default: light, keeping your matplotlib style's own settings)")
    g.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors; no progress bar")


def pixels(args: argparse.Namespace) -> str | None:
    """``--size`` as the renderer's ``"WxH"`` (a string means pixels; a tuple would mean inches)."""
    return None if args.size is None else f"{args.size[0]}x{args.size[1]}"


def scene_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``ov.animate`` / ``ov.plot`` from ``add_scene_options``/``add_output_options``."""
    size = pixels(args)
    opts = dict(layout=args.layout, view=args.view, internals=args.internals, dpi=args.dpi, size=size,
                loss_panel=args.loss_panel, title=args.title, style=args.style)
    if hasattr(args, "frames"):
        opts.update(frames=args.frames, fps=args.fps)
    return opts
