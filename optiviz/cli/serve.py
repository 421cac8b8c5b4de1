"""``optiviz serve``: the live playground in the browser (``optiviz.serve``; needs the ``serve`` extra)."""
from __future__ import annotations

import argparse
from typing import Any

from .options import add_command, int_between


def serve_command(sub: Any) -> None:
    p = add_command(sub, "serve", help="open the live playground: race optimizers in the browser", examples=[
        "optiviz serve", "optiviz serve --port 9000 --no-browser",
        "optiviz serve --surface my_surfaces.py:bowl --surface my_surfaces.py:ridge"])
    p.add_argument("--port", type=int_between(0, 65535), default=8765,
                   help="the port to listen on (default: %(default)s; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: %(default)s, this machine only; another address "
                        "makes the playground reachable from other machines, with a warning)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--surface", action="append", default=[], metavar="SPEC",
                   help="also offer this surface (a file.py:name, module:name or plugin spec), loaded at start-up; "
                        "repeatable (default: none). The page itself can name only built-in surfaces and expr: formulas")
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from ..serve.server import serve

    return serve(args.port, args.host, open_browser=not args.no_browser, surfaces=args.surface)
