"""A read-only mapping of labelled runs, shared by the 2D engine's ``Trajectories`` and the networks' ``Histories``."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Iterator, Sequence, TypeVar

from .registry import did_you_mean

V = TypeVar("V")


class LabeledRuns(Mapping[str, V]):
    """label -> run, in the order the runs were given; an unknown label's KeyError names the close ones."""

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


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Plain-text rows with every column but the last padded to its widest cell (the last runs free)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in rows]
