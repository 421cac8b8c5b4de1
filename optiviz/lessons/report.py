"""Lesson results as text: the terminal table, one claim with its sweep, and the README's markdown table.

Shared by ``optiviz lessons`` and the script that writes README's "What optiviz teaches", so the two print the same
numbers. Pure text: no JAX, no matplotlib.
"""
from __future__ import annotations

import math
import textwrap
from typing import Any, Sequence

from .core import LessonResult


def _num(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return f"{v:.0f}" if abs(v) >= 100 and v == round(v) else f"{v:.3g}"
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(_num(x) for x in v) + ")"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_num(x)}" for k, x in v.items()) + "}"
    return str(v)


def key_numbers(result: LessonResult, limit: int = 4) -> str:
    """The first ``limit`` scalar numbers of ``measured`` (nested ones are in the sentence and in --json)."""
    items = [(k, v) for k, v in result.measured.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool)][:limit]
    return ", ".join(f"{k} {_num(v)}" for k, v in items)


def verdict_text(result: LessonResult) -> str:
    return "holds" if result.holds else "FAILS"


def text_table(results: Sequence[LessonResult], width: int = 100) -> str:
    """One line per claim (name, verdict, robustness over how many settings, key numbers, seconds), then its
    sentence wrapped below it."""
    head = f"{'lesson':<26} {'verdict':<7} {'robustness':>16}  {'time':>6}  key numbers"
    lines = [head, "-" * len(head)]
    for r in results:
        robust = f"{r.robustness:.0%} of {r.settings}"
        lines.append(f"{r.name:<26} {verdict_text(r):<7} {robust:>16}  {r.seconds:>5.1f}s  {key_numbers(r)}")
        lines += textwrap.wrap(r.claim, width=width, initial_indent="    ", subsequent_indent="    ")
    held = sum(r.holds for r in results)
    lines.append(f"{held} of {len(results)} claims hold as stated"
                 f" ({sum(r.seconds for r in results):.1f} s{', quick sweeps' if any(r.quick for r in results) else ''})")
    return "\n".join(lines)


def sweep_text(result: LessonResult, width: int = 100) -> str:
    """One claim: its sentence, the verdict and every setting of the sweep (a mark where it failed, and where the
    setting lies outside the band the sentence states)."""
    lines = [f"{result.name} ({result.topic or 'lesson'}): {verdict_text(result)}, robustness "
             f"{result.robustness:.0%} of {result.settings} settings, {result.seconds:.1f} s"]
    lines += textwrap.wrap(result.claim, width=width, initial_indent="  ", subsequent_indent="  ")
    keys: list[str] = []
    for row in result.rows:
        keys += [k for k in row if k not in ("holds", "in_band") and k not in keys]
    table = [["", *keys]] + [["ok" if row["holds"] else "FAIL" if row.get("in_band", True) else "(out)",
                              *[_num(row.get(k, "")) for k in keys]] for row in result.rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines.append("")
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in table]
    lines.append("  (ok: the claim holds there; FAIL: it does not, inside the stated band; (out): it does not, outside "
                 "the band the sentence states)")
    return "\n".join(lines)


def markdown_table(results: Sequence[LessonResult]) -> str:
    """The README table: claim (the measured sentence), verdict, robustness, settings, name."""
    rows = ["| lesson | what was measured | verdict | robustness |", "|---|---|---|---|"]
    for r in results:
        claim = r.claim.replace("|", "\\|")
        rows.append(f"| `{r.name}` | {claim} | {verdict_text(r)} | {r.robustness:.0%} of {r.settings} settings |")
    return "\n".join(rows)


def caption(result: LessonResult, width: int = 100) -> str:
    """The lesson as a figure states it: the short measured sentence (``headline``), its verdict and robustness,
    wrapped to ``width`` characters. The gallery's lesson figures use it, so picture and numbers agree."""
    text = (f"{result.headline or result.claim} [{verdict_text(result)}: {result.robustness:.0%} of "
            f"{result.settings} settings; optiviz lessons {result.name}]")
    return "\n".join(textwrap.wrap(text, width=width))
