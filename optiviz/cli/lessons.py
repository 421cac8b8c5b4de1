"""``optiviz lessons``: check the tutorial's claims, each over its sweep, and print the verdicts."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .options import add_command


def lessons_command(sub: Any) -> None:
    p = add_command(sub, "lessons", help="check the tutorial's claims: each an experiment swept over learning rates, "
                                         "seeds and starts, with its verdict and robustness",
                    examples=["optiviz lessons --quick", "optiviz lessons momentum_escapes",
                              "optiviz lessons --json > lessons.json"])
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="the claims to check (default: all; 'optiviz lessons --list' names them); one NAME prints "
                        "its whole sweep")
    p.add_argument("--quick", action="store_true", help="smaller sweeps (7 lrs over 2 decades, fewer starts)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of objects (name, claim, holds, robustness, settings, failures, measured, "
                        "seconds; the sweep's rows too for named claims)")
    p.add_argument("--list", action="store_true", help="list the claims' names and sentences without running them")
    p.add_argument("--markdown", action="store_true",
                   help="print the README's generated section (the table in markdown) instead of the text table")

    def run(args: argparse.Namespace) -> int:
        from .. import lessons

        names = args.names or lessons.names()
        entries = [lessons.get(n) for n in names]  # unknown names fail here, before any work
        if args.list:
            for e in entries:
                print(f"{e.name:<28} {e.claim}")
            return 0
        results = []
        for e in entries:
            if len(entries) > 1:
                print(f"checking {e.name} ...", file=sys.stderr, flush=True)
            results.append(lessons.check(e.name, quick=args.quick))
        if args.json:
            print(json.dumps([r.to_dict(rows=bool(args.names)) for r in results], indent=1))
        elif args.markdown:
            print(lessons.report.readme_block(results))
        elif len(results) == 1 and args.names:
            print(lessons.report.sweep_text(results[0]))
        else:
            print(lessons.report.text_table(results))
        return 0 if all(r.holds for r in results) else 1

    p.set_defaults(handler=run)
