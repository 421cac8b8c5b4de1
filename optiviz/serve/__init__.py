"""``optiviz serve``: the playground, a local web page that races optimizers live on the compiled engine.

``create_app`` builds the ASGI app (the static page in ``static/`` and the JSON API), ``serve`` runs it with
uvicorn, ``playground`` shows it in a Jupyter notebook. Needs the ``serve`` extra (``pip install optiviz[serve]``).
The JSON API is documented in ``api.py`` and the README; ``GET /api/version`` reports its version.
"""
from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve", "playground", "start_background"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name in ("serve", "playground", "start_background"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module 'optiviz.serve' has no attribute {name!r}")
