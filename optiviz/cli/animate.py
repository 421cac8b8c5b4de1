"""``optiviz animate``: race optimizers on a loss surface and write an animation."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .options import ANIMATION_FORMATS, add_command, add_output_options, add_run_options, add_scene_options, \
    scene_options
from .output import check_output, default_output, offscreen, save_output, say
from .runs import check_scene, compute_runs


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
    p.set_defaults(handler=offscreen(_animate))


def _animate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = check_output(args.out, ANIMATION_FORMATS)
    check_scene(args)
    surface, runs = compute_runs(args, internals=args.internals)
    if not args.quiet:
        say(runs.summary())
    import optiviz as ov

    path = out or default_output(Path("."), surface.name, ANIMATION_FORMATS[0])
    anim = ov.animate(runs, surface, **scene_options(args))
    frames = getattr(anim, "n_frames", None) or min(args.frames, args.steps + 1)
    save_output(anim, path, args, started, fps=args.fps,
                detail=f"{frames} frames" if path.suffix.lower() != ".png" else "")
    return 0
