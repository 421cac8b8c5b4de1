"""The ``optiviz`` command: a thin layer over the public API.

Every subcommand parses strings, calls ``optiviz``'s functions and prints. Heavy modules (JAX, matplotlib)
are imported inside the handlers, so ``optiviz --help`` stays fast. Bad input prints one line
``optiviz: error: ...`` and exits 2; a failure while running exits 1; Ctrl-C exits 130; ``-v`` shows the
traceback. Output files are checked before any work starts (format, folder, encoder) and written atomically.

Adding a subcommand is one function and one line::

    def network_command(sub) -> None:
        p = add_command(sub, "network", help="train a small network", examples=["optiviz network --depth 8"])
        p.add_argument("--depth", type=int_at_least(1), default=4, help="hidden layers (default: %(default)s)")
        add_output_options(p, formats=IMAGE_FORMATS)

        def run(args) -> int:
            started = time.perf_counter()
            out = check_output(args.out, IMAGE_FORMATS, animated=False)  # before any work
            ...                                       # import jax/matplotlib here, compute, draw a figure
            path = out or default_output(Path("."), "network", IMAGE_FORMATS[0])
            save_output(fig, path, args, started)     # atomic (never a partial file), then one line
            return 0

        p.set_defaults(handler=run)

    COMMANDS = [..., network_command]                          # the registration line

The option helpers (``add_run_options``, ``add_scene_options``, ``add_output_options``), the argument types
(``positive_float``, ``int_at_least``, ``point``, ...) and the output helpers are shared by every subcommand.
"""
from __future__ import annotations

import argparse
import difflib
import math
import os
import re
import secrets
import shlex
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

from . import __version__
from .errors import InvalidValueError, OptivizError, RenderError, UnknownNameError
from .labeled import table
from .registry import did_you_mean

DEFAULT_SURFACE = "ravine"
DEFAULT_OPTIMIZERS = "gd,adagrad,rmsprop,momentum,adam"
ANIMATION_FORMATS = (".gif", ".mp4", ".html", ".png")
IMAGE_FORMATS = (".png", ".svg", ".pdf")
LIST_KINDS = ("surfaces", "optimizers", "activations", "schedules")


# ------------------------------------------------------------------------------------------------ parser

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
    return p


def add_command(sub: Any, name: str, *, help: str, examples: Sequence[str],
                description: str | None = None) -> argparse.ArgumentParser:
    """A subcommand parser whose ``--help`` ends with ``examples`` and which accepts ``-v``."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    p = sub.add_parser(name, help=help, description=description or help[:1].upper() + help[1:] + ".",
                       epilog=epilog, parents=[_verbose_parent()])
    p.set_defaults(_parser=p)
    return p


# ------------------------------------------------------------------------------------------ argument types

def _type(fn: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    fn.__name__ = name  # argparse names the type in some messages
    return fn


def _bounded(convert: Callable[[str], Any], rule: str, ok: Callable[[Any], bool], name: str) -> Callable[[str], Any]:
    """An argument type: ``convert(text)`` that passes ``ok``, else the one-line "must be <rule>, got '<text>'"."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}")
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


def int_at_least(low: int) -> Callable[[str], int]:
    """A whole number >= ``low``."""
    return _bounded(int, f"a whole number >= {low}", lambda v: v >= low, "int")


def int_between(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``."""
    return _bounded(int, f"a whole number from {low} to {high}", lambda v: low <= v <= high, "int")


def _numbers(text: str, n: int, form: str) -> list[float]:
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
    x, y = _numbers(text, 2, "x,y")
    return (x, y)


def domain(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """``xmin,xmax,ymin,ymax`` with xmin < xmax and ymin < ymax."""
    x0, x1, y0, y1 = _numbers(text, 4, "xmin,xmax,ymin,ymax")
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


# --------------------------------------------------------------------------------------- shared options

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
    g.add_argument("--steps", type=int_at_least(1), default=200, help="optimizer steps (default: %(default)s)")
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
        g.add_argument("--frames", type=int_at_least(1), default=200,
                       help="frames, sampled evenly from the steps; at most one per step (default: %(default)s)")
    g.add_argument("--dpi", type=int_between(10, 600), default=100, help="dots per inch (default: %(default)s)")
    g.add_argument("--size", type=size, default=None, metavar="WxH",
                   help="figure size in pixels, e.g. 1200x600 (default: fitted to the panels)")
    g.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors; no progress bar")


# ------------------------------------------------------------------------------------------ output files

def _folder_label(folder: Path) -> str:
    return "the current folder" if str(folder) in ("", ".") else f"output folder {str(folder)!r}"


def _check_folder(folder: Path) -> None:
    """The folder exists and a file can be created in it (tried for real: permissions, read-only mounts, ACLs)."""
    if not folder.exists():
        raise RenderError(f"{_folder_label(folder)} does not exist")
    if not folder.is_dir():
        raise RenderError(f"{_folder_label(folder)} is not a folder")
    probe = folder / f".optiviz-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(probe, "xb"):
            pass
    except OSError as exc:
        raise RenderError(f"{_folder_label(folder)} is not writable ({exc.strerror})") from None
    probe.unlink()


def _check_writer(suffix: str, *, animated: bool) -> None:
    """The renderer's writer for ``suffix`` exists, can write this kind of output and has its encoder (ffmpeg)."""
    from . import render  # matplotlib loads here, still before any computation

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
    path = Path(out).expanduser()
    suffix = path.suffix.lower()
    if not suffix:
        raise InvalidValueError(f"--out {out}: add a suffix to choose the format ({', '.join(formats)})")
    if suffix not in formats and not _plugin_format(suffix, animated):
        close = difflib.get_close_matches(suffix, formats, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? (formats: " if close else "choose from "
        raise UnknownNameError(f"unknown output format {suffix!r} in --out {out}; {hint}{', '.join(formats)}"
                               + (")" if close else ""))
    if path.is_dir():
        raise InvalidValueError(f"--out {out} is a folder; give a file name such as {path / ('out' + suffix)}")
    _check_folder(path.parent)
    _check_writer(suffix, animated=animated)
    return path


def _plugin_format(suffix: str, animated: bool) -> bool:
    """Whether an installed writer plugin (entry points ``optiviz.writers``) handles ``suffix``."""
    from importlib import metadata

    name = suffix.lstrip(".")
    if not any(ep.name == name for ep in metadata.entry_points(group="optiviz.writers")):
        return False
    from . import render

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

    kwargs = dict(dpi=args.dpi, quiet=args.quiet)
    if fps is not None:
        kwargs["fps"] = fps
    try:
        ov.save(drawn, path, **kwargs)
    finally:
        _close(drawn)
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
    print(f"wrote {path} ({_human_size(path.stat().st_size)}{extra}, {seconds:.1f} s)")


# --------------------------------------------------------------------------------------------- the runs

def optimizer_specs(text: str, lr: float | None = None, *, tune: bool = False) -> list[Any]:
    """``--optimizers`` and ``--lr`` as validated ``OptimizerSpec`` objects."""
    from . import optimizers as _opt

    items = _opt.split_list(text)
    if not items:
        raise InvalidValueError(f"--optimizers {text!r} names no optimizer; for example --optimizers gd,adam")
    specs = [_opt.parse(item) for item in items]
    if tune and (lr is not None or any("lr" in s.given for s in specs)):
        raise InvalidValueError("--tune picks every learning rate: drop --lr and lr=... from --optimizers")
    if lr is not None:
        specs = [s if "lr" in s.given else s.replace(lr=lr) for s in specs]
    return specs


def _fmt_domain(d: Any) -> str:
    (x0, x1), (y0, y1) = d
    return f"x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]"


def _inside(d: Any, p: Sequence[float]) -> bool:
    (x0, x1), (y0, y1) = d
    return x0 <= p[0] <= x1 and y0 <= p[1] <= y1


def compute_runs(args: argparse.Namespace, *, internals: bool = False) -> tuple[Any, Any]:
    """The surface and the ``Trajectories`` that ``add_run_options``' arguments ask for (tuned if ``--tune``)."""
    import optiviz as ov

    if args.x64:
        ov.enable_x64()
    # --domain replaces the surface's map (a start off the new map moves to its default spot); a plain function
    # given a domain is not evaluated on a grid to infer one
    surface = ov.load_surface(args.surface, domain=args.domain)
    if args.start is not None and not _inside(surface.domain, args.start):
        raise InvalidValueError(f"--start {args.start[0]:g},{args.start[1]:g} is outside {surface.name}'s domain "
                                f"({_fmt_domain(surface.domain)}); move it or widen the map with --domain")
    specs = optimizer_specs(args.optimizers, args.lr, tune=args.tune)
    tuned = None
    if args.tune:
        tuned = ov.tune(surface, specs, steps=args.steps, start=args.start, seed=args.seed, noise=args.noise,
                        batch_size=args.batch_size)
        specs = [r.spec for r in tuned.values()]
        if not args.quiet:
            print(_tune_report(tuned, args.steps))
    runs = ov.run(surface, specs, steps=args.steps, start=args.start, seed=args.seed, noise=args.noise,
                  batch_size=args.batch_size, internals=internals)
    if tuned:
        for label, r in tuned.items():  # the captions say the lr was tuned, on what objective and budget
            runs[label].caption = f"{runs[label].caption} {r.note()}"
    return surface, runs


def _tune_report(tuned: dict[str, Any], steps: int) -> str:
    first = next(iter(tuned.values()))
    lrs = first.lrs
    lines = [f"tuned learning rates: {len(lrs)} values from {lrs.min():.3g} to {lrs.max():.3g}, "
             f"budget {steps} steps, objective: {first.description}"]
    rows = [(label, f"lr={r.lr:.3g}", f"final loss {r.objective:.4g}",
             "reached tol at " + ("-" if r.reached_at is None else f"step {r.reached_at}"))
            for label, r in tuned.items()]
    lines += ["  " + line for line in table(rows)]
    return "\n".join(lines)


def pixels(args: argparse.Namespace) -> str | None:
    """``--size`` as the renderer's ``"WxH"`` (a string means pixels; a tuple would mean inches)."""
    return None if args.size is None else f"{args.size[0]}x{args.size[1]}"


def scene_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``ov.animate`` / ``ov.plot`` from ``add_scene_options``/``add_output_options``."""
    size = pixels(args)
    opts = dict(layout=args.layout, view=args.view, internals=args.internals, dpi=args.dpi, size=size,
                loss_panel=args.loss_panel, title=args.title)
    if hasattr(args, "frames"):
        opts.update(frames=args.frames, fps=args.fps)
    return opts


# ------------------------------------------------------------------------------------------- subcommands

def animate_command(sub: Any) -> None:
    p = add_command(sub, "animate", help="race optimizers on a loss surface and write an animation", examples=[
        "optiviz animate --surface ravine",
        "optiviz animate --surface rosenbrock --optimizers adam:lr=0.1,b1=0.8,adam:lr=0.01 --steps 500",
        "optiviz animate --surface bowl:condition=50 --tune --layout overlay --out bowl.mp4",
        "optiviz animate --surface my_surfaces.py:bowl --start -2,1.5 --internals --out bowl.html",
    ])
    add_run_options(p)
    add_scene_options(p)
    add_output_options(p, formats=ANIMATION_FORMATS, animated=True)
    p.set_defaults(handler=_animate)


def _animate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = check_output(args.out, ANIMATION_FORMATS)
    _check_scene(args)
    surface, runs = compute_runs(args, internals=args.internals)
    if not args.quiet:
        print(runs.summary(), flush=True)
    import optiviz as ov

    path = out or default_output(Path("."), surface.name, ANIMATION_FORMATS[0])
    anim = ov.animate(runs, surface, **scene_options(args))
    frames = getattr(anim, "n_frames", None) or min(args.frames, args.steps + 1)
    save_output(anim, path, args, started, fps=args.fps,
                detail=f"{frames} frames" if path.suffix.lower() != ".png" else "")
    return 0


def plot_command(sub: Any) -> None:
    p = add_command(sub, "plot", help="draw the optimizers' paths on a loss surface as one still image", examples=[
        "optiviz plot --surface ravine",
        "optiviz plot --surface rosenbrock --optimizers gd,momentum,adam --layout overlay --out banana.svg",
    ])
    add_run_options(p)
    add_scene_options(p)
    add_output_options(p, formats=IMAGE_FORMATS)
    p.set_defaults(handler=_plot)


def _plot(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = check_output(args.out, IMAGE_FORMATS, animated=False)
    _check_scene(args)
    surface, runs = compute_runs(args, internals=args.internals)
    import optiviz as ov

    path = out or default_output(Path("."), surface.name, IMAGE_FORMATS[0])
    drawn = ov.plot(runs, surface, **scene_options(args))  # a Figure, or the Axes of a lone overlay
    save_output(drawn, path, args, started)
    return 0


def _check_scene(args: argparse.Namespace) -> None:
    if args.internals and args.view == "3d":  # would only fail in the renderer, after the run: say it now
        raise InvalidValueError("--internals are drawn on contour panels: use --view contour or --view both")


def _close(obj: Any) -> None:
    """Free the figure behind an animation or figure (long in-process sessions, tests)."""
    fig = getattr(obj, "fig", None) or getattr(obj, "figure", None) or obj
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        try:
            plt.close(fig)
        except Exception:  # not a figure: nothing to free
            pass


class _Unavailable(OptivizError):
    """A kind whose registry is not part of this installation (yet)."""


def _registry_module(kind: str) -> Any:
    """The module that holds ``kind``'s registry (``names()``)."""
    from importlib import import_module

    try:
        return import_module(f"optiviz.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name == f"optiviz.{kind}":  # the module itself is missing, not something it imports
            raise _Unavailable(f"{kind} are not available in this version of optiviz") from None
        raise


def _entries(kind: str) -> list[tuple[str, str]]:
    """(name, one-line summary) for every entry of ``kind``.

    A plugin is listed by its name, distribution and entry point, and never imported: listing must not run code
    the user did not name (its summary is one ``optiviz describe NAME`` away). A built-in that a plugin shadows
    says so (the registry refuses it without importing the plugin).
    """
    mod = _registry_module(kind)
    plugins = _plugin_entry_points(kind)
    builtins = _builtin_names(mod)
    rows = []
    for name in mod.names():
        if name in plugins and name not in builtins:
            rows.append((name, _plugin_summary(plugins[name])))
            continue
        try:
            rows.append((name, _summary(kind, mod, name)))
        except OptivizError as exc:  # e.g. shadowed by a plugin: list it with the reason rather than fail
            rows.append((name, f"(cannot load: {exc})"))
    return rows


def _plugin_entry_points(kind: str) -> dict[str, list[Any]]:
    """name -> the installed entry points in the group ``optiviz.<kind>`` (read from metadata, nothing imported)."""
    from importlib import metadata

    found: dict[str, list[Any]] = {}
    for ep in metadata.entry_points(group=f"optiviz.{kind}"):
        found.setdefault(ep.name, []).append(ep)
    return found


def _builtin_names(mod: Any) -> set[str]:
    """The built-in names of a registry module (``builtin_names()``, else its ``Registry``'s)."""
    from .registry import Registry

    if callable(getattr(mod, "builtin_names", None)):
        return set(mod.builtin_names())
    for value in vars(mod).values():
        if isinstance(value, Registry):
            return set(value.builtin_names())
    return set()  # unknown: every entry point is then listed as a plugin, which is the safe side


def _plugin_summary(eps: list[Any]) -> str:
    from .registry import _describe

    return "plugin " + "; ".join(_describe(ep) for ep in eps) + " (not loaded until used)"


def _summary(kind: str, mod: Any, name: str) -> str:
    entry = mod.get(name)
    if kind == "surfaces":
        return entry.title
    text = getattr(entry, "doc", None) or _first_paragraph(entry)
    return _shorten(text.split("\n\n")[0])


def _first_paragraph(obj: Any) -> str:
    import inspect

    return (inspect.getdoc(obj) or "").split("\n\n")[0]


def _shorten(text: str, width: int = 96) -> str:
    """One line of at most ``width`` characters (the full text is in ``optiviz describe``)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3].rstrip(" ,;:") + "..."


def list_command(sub: Any) -> None:
    p = add_command(sub, "list", help="list the surfaces, optimizers, activations or schedules", examples=[
        "optiviz list", "optiviz list surfaces", "optiviz list optimizers --names"])
    p.add_argument("kind", nargs="?", default="all", metavar="KIND",
                   type=choice("all", *LIST_KINDS, aliases={k[:-1]: k for k in LIST_KINDS}),
                   help=f"what to list: all, {', '.join(LIST_KINDS[:-1])} or {LIST_KINDS[-1]} (default: all)")
    p.add_argument("--names", action="store_true", help="only the names, one per line (for scripts)")
    p.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    kinds = LIST_KINDS if args.kind == "all" else (args.kind,)
    blocks = []
    for kind in kinds:
        try:
            rows = _entries(kind)
        except _Unavailable:
            if args.kind != "all":
                raise
            if not args.names:
                blocks.append(f"{kind}:\n  (not available in this version)")
            continue
        if args.names:
            blocks.append("\n".join(name for name, _ in rows))
            continue
        width = max((len(n) for n, _ in rows), default=0)
        blocks.append(f"{kind}:\n" + "\n".join(f"  {n.ljust(width)}  {s}".rstrip() for n, s in rows))
    print(("\n" if args.names else "\n\n").join(blocks))
    return 0


def describe_command(sub: Any) -> None:
    p = add_command(sub, "describe", help="explain a surface, optimizer, schedule or activation", examples=[
        "optiviz describe ravine", "optiviz describe adam", "optiviz describe cosine",
        "optiviz describe bowl:condition=50", "optiviz describe my_surfaces.py:bowl"])
    p.add_argument("name", metavar="NAME", help="a name from optiviz list, or a surface spec")
    p.set_defaults(handler=_describe)


def _describe(args: argparse.Namespace) -> int:
    name = args.name.strip()
    if ":" in name or "/" in name or "\\" in name or name.endswith(".py"):  # a surface spec
        import optiviz as ov

        print(_describe_surface(ov.load_surface(name), spec=name))
        return 0
    found, every = [], set()
    for kind in ("surfaces", "optimizers", "schedules", "activations"):
        try:
            mod = _registry_module(kind)
        except _Unavailable:
            continue
        names = mod.names()
        every.update(names)
        if name in names:
            found.append(_DESCRIBE[kind](mod, name))
    if not found:
        hint = did_you_mean(name, sorted(every))
        if not hint.startswith("did you mean"):  # no close name: the whole list would not fit on one line
            hint = "not a surface, optimizer, schedule or activation"
        raise UnknownNameError(f"nothing called {name!r}; {hint} (optiviz list shows everything)")
    print("\n\n".join(found))
    return 0


def _wrap(text: str, width: int = 98) -> str:
    """Re-flow only the paragraphs with over-long lines (short lines may be formulas laid out by hand)."""
    import textwrap

    paragraphs = text.strip().split("\n\n")
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width) if max(map(len, p.splitlines())) > width else p
                       for p in paragraphs)


def _field(label: str, value: str, width: int = 100) -> str:
    """``  label       value``, the value wrapped under itself."""
    import textwrap

    head = f"  {label:<12}"
    return textwrap.fill(value, width, initial_indent=head, subsequent_indent=" " * len(head),
                         break_on_hyphens=False, break_long_words=False)


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join((by + line).rstrip() for line in text.splitlines())


def _g(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    try:
        return f"{float(v):g}"
    except (TypeError, ValueError):
        return str(v)


def _describe_surface(s: Any, spec: str | None = None) -> str:
    """What a surface teaches and where it lives; ``spec`` is what the user typed (the "try" line repeats it:
    a surface from a file or module is not reachable by its bare name)."""
    lines = [f"{s.name}: surface." + (f" {s.title}" if s.title and s.title != s.name else "")]
    if s.description:
        lines += ["", _indent(_wrap(s.description)), ""]
    lines.append(_field("domain", _fmt_domain(s.domain)))
    lines.append(_field("start", f"({s.start[0]:g}, {s.start[1]:g})"))
    lines.append(_field("minima", ", ".join(f"({x:g}, {y:g})" for x, y in s.minima) or "not given"))
    if s.params:
        lines.append(_field("parameters", ", ".join(f"{k}={_g(v)}" for k, v in s.params.items())))
    if s.lr:
        lines.append(_field("lr", ", ".join(f"{k}={_g(v)}" for k, v in s.lr.items())
                            + " (suggested; used where no lr is given)"))
    if s.data is not None and s.batch_loss is not None:
        lines.append(_field("data", f"minibatches of {s.batch_size or 16} for stochastic optimizers"))
    lines.append(_field("try", f"optiviz animate --surface {shlex.quote(spec or s.name)}"))
    return "\n".join(lines)


def _describe_optimizer(mod: Any, name: str) -> str:
    info = mod.get(name)
    defaults = dict(info.defaults)
    if info.stochastic:
        defaults["noise"] = 1.0
    example = ",".join(f"{k}={_g(v)}" for k, v in list(info.defaults.items())[:2])
    return "\n".join([
        f"{name}: optimizer", "", _indent(info.doc), "",
        _field("defaults", ", ".join(f"{k}={_g(v)}" for k, v in defaults.items())),
        _field("also", "noise=<std>: Gaussian noise added to every gradient (stochastic gradients)"),
        _field("try", f"optiviz animate --optimizers gd,{name}:{example}"),
    ])


def _describe_schedule(mod: Any, name: str) -> str:
    import inspect

    fn = mod.get(name)
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "t"]
    shown = ", ".join(p.name if p.default is p.empty else f"{p.name}={_g(p.default)}" for p in params)
    return "\n".join([
        f"{name}: learning-rate schedule", "", _indent(inspect.getdoc(fn) or ""), "",
        _field("parameters", f"{shown} (t counts updates from 0; lr is the initial step size)"),
        _field("try", f'optiviz animate --optimizers "gd:lr={name}(0.1)"'),
    ])


def _describe_activation(mod: Any, name: str) -> str:
    entry = mod.get(name)
    lines = [f"{name}: activation", "", _indent(getattr(entry, "doc", None) or _first_paragraph(entry)), ""]
    defaults = getattr(entry, "defaults", None)
    if defaults:
        lines.append(_field("parameters", ", ".join(f"{k}={_g(v)}" for k, v in defaults.items())))
    if getattr(entry, "init", None):
        lines.append(_field("init", f"{entry.init} (the weight initialization it suits)"))
    return "\n".join(lines).rstrip()


_DESCRIBE: dict[str, Callable[[Any, str], str]] = {
    "surfaces": lambda mod, name: _describe_surface(mod.get(name), spec=name),
    "optimizers": _describe_optimizer,
    "schedules": _describe_schedule,
    "activations": _describe_activation,
}

def gallery_command(sub: Any) -> None:
    p = add_command(sub, "gallery", help="build the gallery: run every gallery/plot_*.py, write index.html",
                    examples=["optiviz gallery --out gallery-out", "optiviz gallery --only ravine --jobs 1"])
    p.add_argument("--src", default=None, metavar="DIR",
                   help="folder of plot_*.py scripts (default: ./gallery, else the one next to the package)")
    p.add_argument("--out", default="gallery-out", metavar="DIR", help="output folder (default: %(default)s)")
    p.add_argument("--only", default=None, metavar="PATTERN",
                   help="build only the scripts whose name contains PATTERN or matches it as a glob (plot_sgd*); "
                        "the others' pages are kept (default: every script)")
    p.add_argument("--jobs", type=int_at_least(1), default=None, metavar="N",
                   help="scripts run at once (default: the number of CPUs, at most 4)")
    p.add_argument("--timeout", type=positive_float, default=180.0, metavar="SECONDS",
                   help="stop a script that runs longer than this (default: %(default)g)")

    def run(args: argparse.Namespace) -> int:
        from . import gallery  # runs each script in its own process: this process imports no JAX

        report = gallery.build(args.src, args.out, only=args.only, jobs=args.jobs, timeout=args.timeout)
        return 0 if report.ok else 1

    p.set_defaults(handler=run)


# ------------------------------------------------------------------------------------------ small networks

NETWORK_PLOTS = ("boundary", "curves", "gradients", "weights")
BOUNDARY_FORMATS = (".gif", ".mp4", ".html", ".png")


def _spec_list(text: str, option: str) -> list[str]:
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


def _add_network_options(p: argparse.ArgumentParser, *, activations: str, optimizers: str, steps: int) -> None:
    g = p.add_argument_group("the network and its training")
    g.add_argument("--dataset", default="spiral", metavar="SPEC",
                   help="spiral, xor, circles, moons, gaussians (2D, two classes) or sine (1D regression), with "
                        "options as name:key=value,... such as spiral:noise=0.2,label_noise=0.1,n=600 "
                        "(default: %(default)s)")
    g.add_argument("--activation", default=activations, metavar="LIST",
                   help="comma-separated activations (optiviz list activations), each a name or name:key=value "
                        "such as leaky_relu:alpha=0.1 or maxout:pieces=3 (default: %(default)s)")
    g.add_argument("--depth", type=int_at_least(0), default=2, help="hidden layers (default: %(default)s)")
    g.add_argument("--width", type=int_at_least(1), default=16, help="units per hidden layer (default: %(default)s)")
    g.add_argument("--optimizers", default=optimizers, metavar="LIST",
                   help="comma-separated optimizers, each a name or name:key=value,... such as adam:lr=0.01 "
                        "(default: %(default)s)")
    g.add_argument("--steps", type=int_at_least(1), default=steps, help="training steps (default: %(default)s)")
    g.add_argument("--l1", type=nonnegative_float, default=0.0, help="L1 penalty strength (default: %(default)s)")
    g.add_argument("--l2", type=nonnegative_float, default=0.0, help="L2 penalty strength (default: %(default)s)")
    g.add_argument("--dropout", type=probability, default=0.0,
                   help="probability of dropping a hidden unit while training (default: %(default)s)")
    g.add_argument("--batch-size", type=int_at_least(1), default=None,
                   help="minibatch size (default: the full batch; sgd draws minibatches of 32)")
    g.add_argument("--seed", type=int_at_least(0), default=0,
                   help="seed of the data, the initial weights, minibatches and dropout (default: %(default)s)")


def _network_runs(args: argparse.Namespace, *, one_activation: bool = False, boundary: bool = False,
                  every: int = 1) -> tuple[Any, Any]:
    """The dataset and the trained runs (every activation x every optimizer) the options ask for."""
    import optiviz as ov

    data = ov.nets.dataset(args.dataset, seed=args.seed)
    if boundary and (data.in_dim != 2 or data.task != "binary"):
        raise InvalidValueError(f"decision boundaries need a 2D two-class dataset; {data.name} is {data.in_dim}D "
                                f"{data.task}: use --plot curves")
    acts = [ov.activation(a) for a in _spec_list(args.activation, "--activation")]
    if one_activation and len(acts) > 1:
        raise InvalidValueError("a landscape needs one parameter space: give one --activation")
    specs = optimizer_specs(args.optimizers)
    models = [ov.nets.mlp(args.width, args.depth, a, in_dim=data.in_dim, out_dim=data.out_dim) for a in acts]
    pairs = [(m, s) for m in models for s in specs]
    runs = ov.nets.train([m for m, _ in pairs], data, [s for _, s in pairs], args.steps, l1=args.l1, l2=args.l2,
                         dropout=args.dropout, batch_size=args.batch_size, seed=args.seed, every=every,
                         keep_path=True)
    return data, runs


def network_command(sub: Any) -> None:
    p = add_command(sub, "network", help="train small networks side by side and draw how they learn", examples=[
        "optiviz network --dataset spiral --activation sigmoid,relu --depth 8 --optimizers sgd,adam --out net.gif",
        "optiviz network --dataset gaussians:label_noise=0.2 --width 64 --optimizers adam:lr=0.01 --dropout 0.5 "
        "--plot curves --out gap.png",
        "optiviz network --activation sigmoid,tanh,relu,maxout --depth 8 --width 32 --plot gradients",
    ])
    _add_network_options(p, activations="relu", optimizers="sgd,adam", steps=1000)
    g = p.add_argument_group("the picture")
    g.add_argument("--plot", type=choice(*NETWORK_PLOTS), default="boundary",
                   metavar="{" + ",".join(NETWORK_PLOTS) + "}",
                   help="boundary: the decision boundary over training, animated (2D datasets); curves: train and "
                        "test learning curves; gradients: per-layer gradient norms at initialization, per "
                        "activation; weights: histograms of the final weights (default: %(default)s)")
    add_output_options(p, formats=(*BOUNDARY_FORMATS, ".svg", ".pdf"), animated=True, default_name="network")
    p.set_defaults(handler=_network, frames=60)


def _network(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    animated = args.plot == "boundary"
    formats = BOUNDARY_FORMATS if animated else IMAGE_FORMATS
    out = check_output(args.out, formats, animated=animated)
    import optiviz as ov
    from .render import nets as netviz

    path = out or default_output(Path("."), "network", formats[0])
    size = pixels(args)
    if args.plot == "gradients":  # a property of the initialized networks: nothing to train
        data = ov.nets.dataset(args.dataset, seed=args.seed)
        acts = [ov.activation(a) for a in _spec_list(args.activation, "--activation")]  # all valid before any work
        norms = {}
        for act in acts:
            model = ov.nets.mlp(args.width, args.depth, act, in_dim=data.in_dim, out_dim=data.out_dim)
            norms[act.caption()] = ov.nets.grad_norms_at(model, model.init(args.seed), data)
        if not args.quiet:
            for label, v in norms.items():
                print(f"{label}: per-layer gradient norms from the input layer: "
                      + " ".join(f"{x:.3g}" for x in v) + f" (last / first = {v[-1] / v[0]:.3g}x)")
        drawn = netviz.plot_grad_norms(norms, dpi=args.dpi, size=size)
    else:
        data, runs = _network_runs(args, boundary=animated,
                                   every=max(1, args.steps // (args.frames if animated else 1000)))
        if not args.quiet:
            print(runs.summary(), flush=True)
        if args.plot == "boundary":
            drawn = netviz.animate_decision_boundary(runs, frames=args.frames, fps=args.fps, dpi=args.dpi, size=size)
        elif args.plot == "curves":
            drawn = netviz.plot_learning_curves(runs, dpi=args.dpi, size=size)
        else:
            drawn = netviz.plot_weight_histograms(runs, dpi=args.dpi, size=size)
    save_output(drawn, path, args, started, fps=args.fps if animated else None)
    return 0


def landscape_command(sub: Any) -> None:
    p = add_command(sub, "landscape", help="train a network with several optimizers and animate their paths on "
                                           "its loss landscape", examples=[
        "optiviz landscape --dataset moons --optimizers sgd,momentum,adam:lr=0.02 --out landscape.gif",
        "optiviz landscape --plane random --steps 300 --out random-plane.png",
    ])
    _add_network_options(p, activations="tanh", optimizers="sgd,momentum,adam", steps=500)
    g = p.add_argument_group("the picture")
    g.add_argument("--plane", type=choice("pca", "random"), default="pca", metavar="{pca,random}",
                   help="pca: the plane of the training paths' two principal directions; random: two "
                        "filter-normalized random directions (Li et al., 2018) (default: %(default)s)")
    g.add_argument("--grid", type=int_between(3, 201), default=51,
                   help="landscape grid points per side, evaluated in one call (default: %(default)s)")
    g.add_argument("--layout", type=choice("grid", "overlay"), default="grid", metavar="{grid,overlay}",
                   help="grid: one panel per optimizer; overlay: all paths on one map (default: %(default)s)")
    g.add_argument("--view", type=choice("contour", "3d", "both"), default="contour", metavar="{contour,3d,both}",
                   help="contour map, 3D surface, or both (default: %(default)s)")
    add_output_options(p, formats=ANIMATION_FORMATS, animated=True, default_name="landscape")
    p.set_defaults(handler=_landscape, frames=100)


def _landscape(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = check_output(args.out, ANIMATION_FORMATS)
    import optiviz as ov
    from .render import nets as netviz

    data, runs = _network_runs(args, one_activation=True, every=max(1, args.steps // args.frames))
    if not args.quiet:
        print(runs.summary(), flush=True)
    land = ov.nets.landscape(runs, plane=args.plane, n=args.grid, seed=args.seed)
    if not args.quiet:
        print(land.describe(), flush=True)
    path = out or default_output(Path("."), "landscape", ANIMATION_FORMATS[0])
    size = pixels(args)
    anim = netviz.animate_landscape(land, layout=args.layout, view=args.view, frames=args.frames, fps=args.fps,
                                    dpi=args.dpi, size=size)
    save_output(anim, path, args, started, fps=args.fps)
    return 0


def plot_activations_command(sub: Any) -> None:
    p = add_command(sub, "plot-activations", help="draw activations with their derivatives", examples=[
        "optiviz plot-activations",
        "optiviz plot-activations --activations relu,leaky_relu:alpha=0.1,maxout:pieces=3 --out acts.svg",
    ])
    p.add_argument("--activations", default=None, metavar="LIST",
                   help="comma-separated names or name:key=value specs (default: every activation)")
    p.add_argument("--range", type=_range, default=(-4.0, 4.0), metavar="MIN,MAX",
                   help="the z range drawn (default: -4,4)")
    add_output_options(p, formats=IMAGE_FORMATS, default_name="activations")
    p.set_defaults(handler=_plot_activations)


def _range(text: str) -> tuple[float, float]:
    lo, hi = _numbers(text, 2, "min,max")
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"needs min < max, got {text!r}")
    return (lo, hi)


def _plot_activations(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = check_output(args.out, IMAGE_FORMATS, animated=False)
    import optiviz as ov

    acts = None
    if args.activations is not None:  # every spec valid before matplotlib loads
        acts = [ov.activation(a) for a in _spec_list(args.activations, "--activations")]
    from .render import nets as netviz

    size = pixels(args)
    fig = netviz.plot_activations(acts, x=args.range, dpi=args.dpi, size=size)
    path = out or default_output(Path("."), "activations", IMAGE_FORMATS[0])
    save_output(fig, path, args, started)
    return 0


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
]


# ------------------------------------------------------------------------------------------------- main

def build_parser() -> _Parser:
    parser = _Parser(
        prog="optiviz",
        description="See why optimizers behave as they do: animated optimizer races on 2D loss surfaces.",
        epilog="examples:\n"
               "  optiviz animate --surface ravine              # five optimizers racing: writes ravine.gif\n"
               "  optiviz plot --surface rosenbrock --optimizers gd,adam\n"
               "  optiviz list surfaces\n"
               "  optiviz describe adam\n"
               "\n'optiviz COMMAND --help' shows each command's options.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the full traceback on errors")
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
    print(f"optiviz: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``optiviz`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv or "--verbose" in argv
    try:
        parser = build_parser()
        _check_command(parser, argv)
        args, extra = parser.parse_known_args(argv)
        if extra:
            _unrecognized(args, extra)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 0
        return int(handler(args) or 0)
    except SystemExit as exc:  # --help and --version print, then exit 0
        return exc.code if isinstance(exc.code, int) else 0
    except OptivizError as exc:
        return _fail(f"error: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
                     exc.exit_code, verbose)
    except KeyboardInterrupt:
        return _fail("interrupted", 130, verbose)
    except BrokenPipeError:  # `optiviz list | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")
        return 0
    except Exception as exc:  # a bug, or a failure we did not foresee: one line, exit 1, -v for the traceback
        first = (str(exc).strip().splitlines() or [""])[0]
        hint = "" if verbose else " (run with -v for the traceback)"
        return _fail(f"error: unexpected {type(exc).__name__}{': ' + first if first else ''}{hint}", 1, verbose)
