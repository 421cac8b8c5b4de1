"""The named optimizers' update equations as LaTeX (docs/_ext/optimizer_math.py): every line of every built-in
optimizer's equation block converts to math that matplotlib's mathtext parses (a subset of what MathJax renders),
and the text around it is valid reST. Pure text; no Sphinx build (tests/test_docs.py builds the page)."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

docutils_core = pytest.importorskip("docutils.core", reason="the docs extra (python3 dev.py test installs it)")
pytest.importorskip("sphinx", reason="the docs extra (python3 dev.py test installs it)")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
import optimizer_math  # noqa: E402
from optimizer_reference import builtin, optimizer_rst  # noqa: E402


def test_a_known_line_converts_exactly():
    assert optimizer_math.to_latex("m_t = b1 * m_{t-1} + (1 - b1) * g'_t") == [r"m_t=\beta_1\,m_{t-1}+(1-\beta_1)\,g'_t"]
    assert optimizer_math.to_latex("theta_t = theta_{t-1} - lr * m_hat_t / (sqrt(v_hat_t) + eps)") == [
        r"\theta_t=\theta_{t-1}-\mathrm{lr}\,\hat{m}_t/(\sqrt{\hat{v}_t}+\epsilon)"]


def test_side_by_side_equations_split_and_a_note_stays_text():
    line = "m_hat_t = m_t / (1 - b1**t)                  v_hat_t = v_t / (1 - b2**t)   (bias-corrected)"
    assert optimizer_math.to_latex(line) == [r"\hat{m}_t=m_t/(1-\beta_1^{t})",
                                             r"\hat{v}_t=v_t/(1-\beta_2^{t})\quad\text{(bias-corrected)}"]
    assert optimizer_math.to_latex("optax:  v_t = |g_t|**2;   theta_t = theta_{t-1} + v_t") == [
        r"\text{optax:}\quad v_t=|g_t|^{2}", r"\theta_t=\theta_{t-1}+v_t"]


def test_every_builtin_optimizers_equations_parse_as_mathtext():
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("agg")
    infos = builtin()
    assert len(infos) == 15
    total = 0
    for info in infos:
        eqs = optimizer_math.equations(info.doc)
        assert eqs, f"{info.name}: no equation block found"
        for eq in eqs:
            parser.parse(f"${eq}$")  # raises ValueError on TeX mathtext does not know
        total += len(eqs)
    assert total >= 60


def test_the_generated_rest_is_valid():
    for info in builtin():
        lines = optimizer_rst(info.name, info.factory, info.doc)
        body = "\n".join(ln[3:] for ln in lines[2:])  # the function's content, without Sphinx's py:function
        stream = io.StringIO()
        docutils_core.publish_doctree(body, settings_overrides={"warning_stream": stream, "report_level": 2,
                                                                "halt_level": 5})
        assert not stream.getvalue(), f"{info.name}: {stream.getvalue()}"
