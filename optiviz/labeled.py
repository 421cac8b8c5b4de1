"""A read-only mapping of labelled runs, shared by the 2D engine's ``Trajectories`` and the networks' ``Histories``,
and the one table both print: plain text (``summary()``, ``str``) and HTML (``_repr_html_``, what a notebook shows)."""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Iterator, NamedTuple, Sequence, TypeVar

from .registry import did_you_mean

V = TypeVar("V")

#: rows a table shows before it summarises the rest in one line: a race of 500 optimizers stays readable and fast
MAX_ROWS = 20
#: labels a one-line ``repr`` names before it counts the rest
MAX_NAMED = 8


class Report(NamedTuple):
    """A results table: a title line, the column names, one row of text cells per run, and notes under it."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    notes: Sequence[str] = ()


class LabeledRuns(Mapping[str, V]):
    """label -> run, in the order the runs were given; an unknown label's KeyError names the close ones.

    A subclass gives its table by ``report()``; ``summary()`` / ``str()`` print it and a notebook shows it as HTML.
    """

    def __init__(self, runs: dict[str, V]) -> None:
        self._runs = runs

    def __getitem__(self, label: str) -> V:
        try:
            return self._runs[label]
        except KeyError:
            raise KeyError(f"no run labelled {label!r}; {did_you_mean(label, list(self._runs))}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)

    def report(self) -> Report:
        raise NotImplementedError

    def summary(self) -> str:
        """The results as a plain-text table (one row per run, at most ``MAX_ROWS``)."""
        return as_text(self.report())

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return as_html(self.report())

    def _named(self) -> str:
        """The labels for a one-line repr: ``"gd, adam, momentum"``, or the first few and how many more."""
        labels = list(self._runs)
        shown = ", ".join(labels[:MAX_NAMED])
        return shown + (f", ... (+{len(labels) - MAX_NAMED} more)" if len(labels) > MAX_NAMED else "")


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Plain-text rows with every column but the last padded to its widest cell (the last runs free)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in rows]


def _cut(rows: Sequence[Sequence[str]]) -> tuple[Sequence[Sequence[str]], str | None]:
    """The rows a table shows and, past ``MAX_ROWS``, the line that counts the others."""
    if len(rows) <= MAX_ROWS:
        return rows, None
    return rows[:MAX_ROWS], f"... {len(rows) - MAX_ROWS} more runs (index the results by label to see one)"


def as_text(report: Report) -> str:
    rows, more = _cut(report.rows)
    return "\n".join([report.title, *table([report.header, *rows]), *([more] if more else []), *report.notes])


def as_html(report: Report) -> str:
    """The table as HTML, every cell escaped (a label may hold ``<``, ``&`` or quotes)."""
    rows, more = _cut(report.rows)
    esc = html.escape
    head = "".join(f"<th style=\"text-align:left\">{esc(h)}</th>" for h in report.header)
    body = "".join("<tr>" + "".join(f"<td style=\"text-align:left\">{esc(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    if more:
        body += f"<tr><td colspan=\"{len(report.header)}\"><i>{esc(more)}</i></td></tr>"
    notes = "".join(f"<p>{esc(n)}</p>" for n in report.notes)
    return (f"<div><p><b>{esc(report.title)}</b></p><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{notes}</div>")
