"""``optiviz plot-activations``: activations drawn with their derivatives."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .options import IMAGE_FORMATS, add_command, add_output_options, numbers, pixels, spec_list
from .output import check_output, default_output, offscreen, save_output


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
    p.set_defaults(handler=offscreen(_plot_activations))


def _range(text: str) -> tuple[float, float]:
    lo, hi = numbers(text, 2, "min,max")
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"needs min < max, got {text!r}")
    return (lo, hi)


def _plot_activations(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = check_output(args.out, IMAGE_FORMATS, animated=False)
    import optiviz as ov

    acts = None
    if args.activations is not None:  # every spec valid before matplotlib loads
        acts = [ov.activation(a) for a in spec_list(args.activations, "--activations")]
    from ..render import nets as netviz
    from ..render import style

    size = pixels(args)
    with style.context(args.style):
        fig = netviz.plot_activations(acts, x=args.range, dpi=args.dpi, size=size)
    path = out or default_output(Path("."), "activations", IMAGE_FORMATS[0])
    save_output(fig, path, args, started)
    return 0
