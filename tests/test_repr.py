"""What a user sees of results in a notebook and at a prompt: the HTML table (``_repr_html_``), the text table
(``str``/``summary``) and the one-line ``repr`` of ``Trajectories``, ``Trajectory`` and ``TuneResult``: plain
numbers, escaped labels, the divergence row, many runs summarised in one row. The runs share the programs of
tests/test_engine.py (bowl, gd + adam, 30 steps): only numbers and labels change."""
from __future__ import annotations

import re

import numpy as np
import pytest

import optiviz as ov
from optiviz.labeled import MAX_ROWS, Report, as_html, as_text

STEPS = 30
LABEL = "<b>gd & 'co'</b>"


@pytest.fixture(scope="module")
def runs():
    # gd at lr 0.2 on x^2 + 10 y^2 is past its stability limit (2 / 20): y grows 3x a step, so it diverges
    return ov.run("bowl", {LABEL: {"name": "gd", "lr": 0.2}, "adam": {"lr": 0.1, "b1": 0.8}}, steps=STEPS, tol=0.5)


def _rows(html: str) -> list[list[str]]:
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


def test_the_html_table_states_final_loss_tolerance_and_divergence(runs):
    gd, adam = runs[LABEL], runs["adam"]
    assert gd.diverged_at is not None and adam.diverged_at is None and adam.reached_at is not None
    header, first, second = _rows(runs._repr_html_())
    assert header[:2] == ["run", "optimizer"] and "reached tol" in header and "diverged" in header
    cell = dict(zip(header, second))
    assert cell["run"] == "adam" and cell["optimizer"] == "adam"
    assert cell["final loss"] == f"{adam.final_loss:.4g}"
    assert cell["reached tol"] == f"step {adam.reached_at}" and cell["diverged"] == "-"
    assert cell["hyperparameters"] == "lr=0.1 b1=0.8"  # the short form: the lr and what the user set
    cell = dict(zip(header, first))
    assert cell["diverged"] == f"at step {gd.diverged_at}" and cell["reached tol"] == "never"
    assert cell["final loss"] == f"{gd.final_loss:.4g}"


def test_labels_are_escaped_in_html(runs):
    page = runs._repr_html_() + runs[LABEL]._repr_html_()
    assert "<b>gd" not in page and "&lt;b&gt;gd &amp; &#x27;co&#x27;&lt;/b&gt;" in page


def test_text_reprs_are_short_and_print_plain_numbers(runs):
    adam = runs["adam"]
    assert type(adam.final_loss) is float  # not a 0-d array: it prints as a number
    one = repr(adam)
    assert one == f"<Trajectory adam: path ({STEPS + 1}, 2), final loss {adam.final_loss:.4g}>"
    assert repr(runs) == f"<Trajectories on bowl: {LABEL}, adam ({STEPS} steps)>"
    text = str(runs)
    assert text == runs.summary() and text.splitlines()[0] == f"bowl: {STEPS} steps from (-2.5, 1.5), tol 0.5"
    assert f"at step {runs[LABEL].diverged_at}" in text
    assert not re.search(r"array|dtype|np\.float", text + one + repr(runs))


def test_many_runs_are_summarised_in_one_row_each():
    starts = np.array([[-2.5, 1.5], [1.0, -1.0], [0.5, 0.5], [2.0, 1.0], [-1.0, -0.3]])
    runs = ov.run("bowl", ["gd:lr=0.2", "adam:lr=0.1"], steps=STEPS, starts=starts, tol=0.5)
    header, *rows = _rows(runs._repr_html_())
    assert len(rows) == 2
    cell = dict(zip(header, rows[0]))
    gd = runs["gd"]
    n_div = int(np.sum(gd.diverged_at >= 0))
    assert n_div > 0 and cell["diverged"] == f"{n_div} of 5, first at step {gd.diverged_at[gd.diverged_at >= 0].min()}"
    fl = runs["adam"].final_loss
    assert dict(zip(header, rows[1]))["final loss"] == \
        f"median {np.median(fl):.4g} (min {fl.min():.4g}, max {fl.max():.4g})"
    assert repr(runs["adam"]).endswith(f"final loss median {np.median(fl):.4g} (min {fl.min():.4g}, "
                                       f"max {fl.max():.4g})>")


def test_a_table_of_many_runs_shows_the_first_rows_and_counts_the_rest():
    report = Report("race", ["run", "final loss"], [(f"opt{i}", str(i)) for i in range(MAX_ROWS + 7)])
    text, page = as_text(report), as_html(report)
    assert len(text.splitlines()) == 1 + 1 + MAX_ROWS + 1 and "7 more runs" in text.splitlines()[-1]
    assert len(_rows(page)) == 1 + MAX_ROWS + 1 and "7 more runs" in page and f"opt{MAX_ROWS}<" not in page
