"""``.. optiviz-cli::`` renders the ``--help`` of ``optiviz`` and of every verb, taken from the parser itself.

The command line has one owner (``optiviz.cli.build_parser``); this directive only prints what it says, so the
reference cannot drift from the program.
"""
from __future__ import annotations

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


def _help_texts() -> list[tuple[str, str]]:
    import argparse

    from optiviz.cli import build_parser

    parser = build_parser()
    texts = [("optiviz", parser.format_help())]
    for action in parser._actions:  # argparse keeps its subcommands here; there is no public accessor
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                texts.append((f"optiviz {name}", sub.format_help()))
    return texts


class CliReference(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        for title, text in _help_texts():
            section = nodes.section(ids=[nodes.make_id(title)])
            section += nodes.title(text=title)
            section += nodes.literal_block(text, text, language="text")
            out.append(section)
        return out


def setup(app):  # noqa: ANN001 - Sphinx's extension hook
    app.add_directive("optiviz-cli", CliReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
