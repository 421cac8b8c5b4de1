"""The 2D runs that ``animate`` and ``plot`` ask for: the surface, the optimizers, the trajectories."""
from __future__ import annotations

import argparse
from typing import Any, Sequence

from ..errors import InvalidValueError
from .output import say


def optimizer_specs(text: str, lr: float | None = None, *, tune: bool = False) -> list[Any]:
    """``--optimizers`` and ``--lr`` as validated ``OptimizerSpec`` objects, or labelled optax transformations for
    ``optax:ALIAS:key=value,...`` items. With ``tune``, a learning-rate schedule may stay: its peak is tuned."""
    from .. import optimizers as _opt

    items = _opt.split_list(text)
    if not items:
        raise InvalidValueError(f"--optimizers {text!r} names no optimizer; for example --optimizers gd,adam")
    specs = [_opt.resolve(item) for item in items]
    named = [s for s in specs if isinstance(s, _opt.OptimizerSpec)]
    if tune and (lr is not None or any("lr" in s.given and not callable(s.hparams["lr"]) for s in named)):
        raise InvalidValueError("--tune picks every learning rate: drop --lr and lr=... from --optimizers "
                                "(a schedule such as lr=cosine(0.1) may stay: --tune picks its peak)")
    if tune and len(named) < len(specs):
        raise InvalidValueError("--tune needs registered optimizers: optax:... items have no learning rate "
                                "optiviz can set; give their learning_rate yourself and drop --tune")
    if lr is not None:
        specs = [s if not isinstance(s, _opt.OptimizerSpec) or "lr" in s.given else s.replace(lr=lr) for s in specs]
    return specs


def fmt_domain(d: Any) -> str:
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
    specs = optimizer_specs(args.optimizers, args.lr, tune=args.tune)  # strings first: no surface is loaded yet
    surface = ov.load_surface(args.surface, domain=args.domain)
    if args.start is not None and not _inside(surface.domain, args.start):
        raise InvalidValueError(f"--start {args.start[0]:g},{args.start[1]:g} is outside {surface.name}'s domain "
                                f"({fmt_domain(surface.domain)}); move it or widen the map with --domain")
    runs = ov.run(surface, specs, steps=args.steps, start=args.start, seed=args.seed, noise=args.noise,
                  batch_size=args.batch_size, internals=internals, tune=args.tune)
    if runs.tuned and not args.quiet:
        say(runs.tuning_report())
    return surface, runs


def check_scene(args: argparse.Namespace) -> None:
    """The picture's options that only the renderer would refuse, refused before the run."""
    if getattr(args, "title", None) is not None:
        from ..render import check_text  # matplotlib's mathtext parser: a bad --title fails now, not after the run

        check_text(args.title, "--title")
    if args.internals and args.view == "3d":  # would only fail in the renderer, after the run: say it now
        raise InvalidValueError("--internals are drawn on contour panels: use --view contour or --view both")
