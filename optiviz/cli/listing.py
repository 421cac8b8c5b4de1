"""``optiviz list``: the surfaces, optimizers, activations and schedules, one line each."""
from __future__ import annotations

import argparse
from typing import Any

from ..errors import OptivizError
from .options import add_command, choice

LIST_KINDS = ("surfaces", "optimizers", "activations", "schedules")


class Unavailable(OptivizError):
    """A kind whose registry is not part of this installation (yet)."""


def registry_module(kind: str) -> Any:
    """The module that holds ``kind``'s registry (``names()``)."""
    from importlib import import_module

    try:
        return import_module(f"optiviz.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name == f"optiviz.{kind}":  # the module itself is missing, not something it imports
            raise Unavailable(f"{kind} are not available in this version of optiviz") from None
        raise


def registry(kind: str) -> Any:
    """``kind``'s ``Registry`` (its ``catalog()`` is what listing and describing read)."""
    from ..registry import Registry

    if kind == "surfaces":  # the built-in library registers into the Surface type's registry
        from ..surface import registry as surfaces

        return surfaces
    mod = registry_module(kind)
    for value in vars(mod).values():
        if isinstance(value, Registry):
            return value
    raise Unavailable(f"{kind} are not available in this version of optiviz")


def _entries(kind: str) -> list[tuple[str, str]]:
    """(name, one-line summary) for every entry of ``kind``, from its registry's catalog: nothing is built,
    checked or compiled (so neither JAX nor matplotlib is imported).

    A plugin is listed by its name, distribution and entry point, and never imported: listing must not run code
    the user did not name (its summary is one ``optiviz describe NAME`` away). A built-in that a plugin shadows
    says so (the registry refuses it without importing the plugin).
    """
    rows = []
    for entry in registry(kind).catalog():
        if entry.problem:
            rows.append((entry.name, f"(cannot load: {entry.problem})"))
        elif entry.plugin:
            rows.append((entry.name, f"plugin {entry.plugin} (not loaded until used)"))
        else:
            rows.append((entry.name, _shorten(entry.summary)))
    return rows


def first_paragraph(obj: Any) -> str:
    import inspect

    return (inspect.getdoc(obj) or "").split("\n\n")[0]


def _shorten(text: str, width: int = 96) -> str:
    """One line of at most ``width`` characters (the full text is in ``optiviz describe``)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3].rstrip(" ,;:") + "..."


def list_command(sub: Any) -> None:
    p = add_command(sub, "list", help="list the surfaces, optimizers, activations or schedules", examples=[
        "optiviz list", "optiviz list surfaces", "optiviz list optimizers --names"])
    p.add_argument("kind", nargs="?", default="all", metavar="KIND",
                   type=choice("all", *LIST_KINDS, aliases={k[:-1]: k for k in LIST_KINDS}),
                   help=f"what to list: all, {', '.join(LIST_KINDS[:-1])} or {LIST_KINDS[-1]} (default: all)")
    p.add_argument("--names", action="store_true", help="only the names, one per line (for scripts)")
    p.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    kinds = LIST_KINDS if args.kind == "all" else (args.kind,)
    blocks = []
    for kind in kinds:
        try:
            rows = _entries(kind)
        except Unavailable:
            if args.kind != "all":
                raise
            if not args.names:
                blocks.append(f"{kind}:\n  (not available in this version)")
            continue
        if args.names:
            blocks.append("\n".join(name for name, _ in rows))
            continue
        width = max((len(n) for n, _ in rows), default=0)
        blocks.append(f"{kind}:\n" + "\n".join(f"  {n.ljust(width)}  {s}".rstrip() for n, s in rows))
    print(("\n" if args.names else "\n\n").join(blocks))
    return 0
