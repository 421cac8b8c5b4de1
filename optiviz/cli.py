"""The ``optiviz`` command: a thin layer over the public API.

Every subcommand parses strings, calls ``optiviz``'s functions and prints. Heavy modules (JAX, matplotlib)
are imported inside the handlers, so ``optiviz --help`` stays fast. Bad input prints one line
``optiviz: error: ...`` and exits 2; a failure while running exits 1; ``-v`` shows the traceback.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .errors import OptivizError

DEFAULT_OPTIMIZERS = "gd,adagrad,rmsprop,momentum,adam"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every other bad input
        raise OptivizError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="optiviz",
        description="See why optimizers behave as they do: animated optimizer races on 2D loss surfaces.",
        epilog="examples:\n  optiviz animate --surface ravine\n  optiviz list surfaces",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("animate", help="run optimizers on a surface and report their paths",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="example:\n  optiviz animate --surface ravine --optimizers gd,adam:lr=0.1 --steps 300")
    p.add_argument("--surface", default="ravine", help="surface name or spec (default: ravine)")
    p.add_argument("--optimizers", default=DEFAULT_OPTIMIZERS, help=f"comma list (default: {DEFAULT_OPTIMIZERS})")
    p.add_argument("--steps", type=int, default=200, help="number of steps (default: 200)")
    p.add_argument("--seed", type=int, default=0, help="seed for stochastic gradients (default: 0)")
    p.set_defaults(handler=_cmd_animate)

    p = sub.add_parser("list", help="list surfaces, optimizers, activations or schedules")
    p.add_argument("kind", nargs="?", default="all", choices=["all", "surfaces", "optimizers", "activations",
                                                               "schedules"])
    p.set_defaults(handler=_cmd_list)
    return parser


def _cmd_animate(args: argparse.Namespace) -> int:
    from . import optimizers, trajectory

    runs = trajectory.run(args.surface, optimizers.split_list(args.optimizers), steps=args.steps, seed=args.seed)
    print(runs.summary())
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from importlib import import_module

    kinds = ["surfaces", "optimizers", "schedules"] if args.kind == "all" else [args.kind]
    for kind in kinds:
        mod = import_module(f"optiviz.{kind}")
        print(f"{kind}: {', '.join(mod.names())}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv or "--verbose" in argv
    try:
        args = build_parser().parse_args(argv)
        if not getattr(args, "handler", None):
            build_parser().print_help()
            return 0
        return args.handler(args)
    except OptivizError as exc:
        if verbose:
            raise
        print(f"optiviz: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("optiviz: interrupted", file=sys.stderr)
        return 130
