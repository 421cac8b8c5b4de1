"""``optiviz gallery``: run every gallery script and write the index (or list the scripts)."""
from __future__ import annotations

import argparse
from typing import Any

from .options import add_command, int_at_least, positive_float


def gallery_command(sub: Any) -> None:
    p = add_command(sub, "gallery", help="build the gallery: run every gallery/plot_*.py, write index.html",
                    examples=["optiviz gallery --out gallery-out", "optiviz gallery --only ravine --jobs 1",
                              "optiviz gallery --list"])
    p.add_argument("--src", default=None, metavar="DIR",
                   help="folder of plot_*.py scripts (default: ./gallery, else the gallery installed with optiviz)")
    p.add_argument("--out", default="gallery-out", metavar="DIR", help="output folder (default: %(default)s)")
    p.add_argument("--only", default=None, metavar="PATTERN",
                   help="build only the scripts whose name contains PATTERN or matches it as a glob (plot_sgd*); "
                        "the others' pages are kept (default: every script)")
    p.add_argument("--jobs", type=int_at_least(1), default=None, metavar="N",
                   help="worker processes running scripts at once (default: the number of CPUs, at most 4)")
    p.add_argument("--timeout", type=positive_float, default=180.0, metavar="SECONDS",
                   help="stop a script that runs longer than this (default: %(default)g)")
    p.add_argument("--list", action="store_true", help="list the scripts and their titles, run nothing")

    def run(args: argparse.Namespace) -> int:
        from .. import gallery  # the scripts run in worker processes: this process imports no JAX

        if args.list:
            for script in gallery.find_scripts(args.src or gallery.default_source(), args.only):
                print(f"{script.stem:<28} {gallery.read_script(script)[0]}")
            return 0
        report = gallery.build(args.src, args.out, only=args.only, jobs=args.jobs, timeout=args.timeout)
        return 0 if report.ok else 1

    p.set_defaults(handler=run)
