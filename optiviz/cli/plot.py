"""``optiviz plot``: the optimizers' paths on a loss surface as one still image."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .options import IMAGE_FORMATS, add_command, add_output_options, add_run_options, add_scene_options, \
    scene_options
from .output import check_output, default_output, offscreen, save_output
from .runs import check_scene, compute_runs


def plot_command(sub: Any) -> None:
    p = add_command(sub, "plot", help="draw the optimizers' paths on a loss surface as one still image", examples=[
        "optiviz plot --surface ravine",
        "optiviz plot --surface rosenbrock --optimizers gd,momentum,adam --layout overlay --out banana.svg",
    ])
    add_run_options(p)
    add_scene_options(p)
    add_output_options(p, formats=IMAGE_FORMATS)
    p.set_defaults(handler=offscreen(_plot))


def _plot(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = check_output(args.out, IMAGE_FORMATS, animated=False)
    check_scene(args)
    surface, runs = compute_runs(args, internals=args.internals)
    import optiviz as ov

    path = out or default_output(Path("."), surface.name, IMAGE_FORMATS[0])
    drawn = ov.plot(runs, surface, **scene_options(args))  # a Figure, or the Axes of a lone overlay
    save_output(drawn, path, args, started)
    return 0
