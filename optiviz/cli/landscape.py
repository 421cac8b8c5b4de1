"""``optiviz landscape``: train a network with several optimizers and animate their paths on its landscape."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .network import add_network_options, network_runs
from .options import ANIMATION_FORMATS, add_command, add_output_options, choice, int_between, pixels
from .output import check_output, default_output, offscreen, save_output, say


def landscape_command(sub: Any) -> None:
    p = add_command(sub, "landscape", help="train a network with several optimizers and animate their paths on "
                                           "its loss landscape", examples=[
        "optiviz landscape --dataset moons --optimizers sgd,momentum,adam:lr=0.02 --out landscape.gif",
        "optiviz landscape --plane random --steps 300 --out random-plane.png",
    ])
    add_network_options(p, activations="tanh", optimizers="sgd,momentum,adam", steps=500)
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
    p.set_defaults(handler=offscreen(_landscape), frames=100)


def _landscape(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = check_output(args.out, ANIMATION_FORMATS)
    import optiviz as ov
    from ..render import nets as netviz

    data, runs = network_runs(args, one_activation=True, every=max(1, args.steps // args.frames))
    if not args.quiet:
        say(runs.summary())
    land = ov.nets.landscape(runs, plane=args.plane, n=args.grid, seed=args.seed)
    if not args.quiet:
        say(land.describe())
    path = out or default_output(Path("."), "landscape", ANIMATION_FORMATS[0])
    size = pixels(args)
    anim = netviz.animate_landscape(land, layout=args.layout, view=args.view, frames=args.frames, fps=args.fps,
                                    dpi=args.dpi, size=size, style=args.style)
    save_output(anim, path, args, started, fps=args.fps)
    return 0
