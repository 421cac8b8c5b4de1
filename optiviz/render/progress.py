"""A progress bar on stderr for renders that take a while (no dependency).

``mode=None`` shows it only when stderr is a terminal and the render is expected to take over ``threshold``
seconds: the first frames are timed and the bar appears once the projected total passes the threshold.
``True``/``False`` force it on or off; ``quiet`` silences it whatever the mode.
"""
from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    def __init__(self, total: int, *, label: str = "rendering", mode: bool | None = None, quiet: bool = False,
                 threshold: float = 2.0, stream: IO[str] | None = None, width: int = 28) -> None:
        self.total = max(1, int(total))
        self.label, self.width, self.threshold = label, width, threshold
        self.stream = stream if stream is not None else sys.stderr
        if quiet or mode is False:
            self.enabled, self.auto = False, False
        elif mode is True:
            self.enabled, self.auto = True, False
        else:
            tty = getattr(self.stream, "isatty", lambda: False)()
            self.enabled, self.auto = False, bool(tty)
        self.t0 = time.perf_counter()
        self.done = 0
        self._last = -1.0
        self.shown = False

    def __enter__(self) -> "Progress":
        self.t0 = time.perf_counter()
        return self

    def update(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        now = time.perf_counter()
        elapsed = now - self.t0
        if self.auto and not self.enabled and self.done >= 3:
            projected = elapsed / self.done * self.total
            self.enabled = projected > self.threshold
        if self.enabled and (now - self._last >= 0.1 or self.done == self.total):
            self._last = now
            self._draw(elapsed)

    def _draw(self, elapsed: float) -> None:
        frac = self.done / self.total
        fill = int(round(frac * self.width))
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (self.width - fill)}] {self.done}/{self.total} "
                          f"{elapsed:4.1f}s (eta {eta:3.0f}s) ")
        self.stream.flush()
        self.shown = True

    def __exit__(self, *exc) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
