"""``.. optiviz-optimizers::`` documents every built-in named optimizer from the registry: its name, signature with
defaults, summary, the update equations of its docstring rendered as math, and the rest of the docstring as text.

The docstrings stay the one owner of each rule; this directive only reads them (``optimizer_math`` converts the
equation block), so the reference cannot drift from ``optiviz describe``.
"""
from __future__ import annotations

import inspect
import re

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from optimizer_math import split_doc, to_latex

#: a bare ``|x|`` (reST would read a substitution) outside an inline literal
_BARS = re.compile(r"(``.*?``)|(\|[^|\s][^|]*?\|)")
#: "Symbols:", "Conventions:", "Step size:" ... start a paragraph of their own
_LABEL = re.compile(r"^[A-Z][a-z]+(?: [a-z]+)?: ")


def _literal_bars(text: str) -> str:
    return _BARS.sub(lambda m: m.group(1) or f"``{m.group(2)}``", text)


def _signature(factory) -> str:  # noqa: ANN001
    sig = inspect.signature(factory)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def optimizer_rst(name: str, factory, doc: str) -> list[str]:  # noqa: ANN001
    """The reST for one named optimizer."""
    summary, block, rest = split_doc(doc)
    out = [f".. py:function:: {name}{_signature(factory)}", "   :module: optiviz.optimizers", "",
           f"   {_literal_bars(summary)}", "", "   .. math::", ""]
    for line in block:
        for eq in to_latex(line):
            out += [f"      {eq}", ""]
    for line in rest.splitlines():
        if _LABEL.match(line):
            out.append("")
        out.append(f"   {_literal_bars(line)}" if line.strip() else "")
    return out + [""]


def builtin() -> list:
    """The registry's entries for optiviz's own optimizers (a plugin's are not part of this reference)."""
    from optiviz import optimizers

    return [info for info in map(optimizers.get, optimizers.names())
            if info.factory.__module__ == optimizers.__name__]


class OptimizerReference(SphinxDirective):
    has_content = False

    def run(self):  # noqa: ANN201
        lines = [ln for info in builtin() for ln in optimizer_rst(info.name, info.factory, info.doc)]
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines, source="optiviz.optimizers"), self.content_offset, node)
        return node.children


def setup(app):  # noqa: ANN001 - Sphinx's extension hook
    app.add_directive("optiviz-optimizers", OptimizerReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
