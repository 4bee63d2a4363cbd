"""A plain-text progress bar on stderr: `\r[#####.....] 52% sessions`."""

from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


class Progress:
    """Weighted stages: each `advance(units, label)` moves the bar; redraws only when the text changes."""

    def __init__(self, total: float, stream: TextIO | None = None):
        self.total = max(float(total), 1.0)
        self.done = 0.0
        self.stream = stream or sys.stderr
        self._last = ""

    def advance(self, units: float, label: str) -> None:
        self.done = min(self.done + units, self.total)
        self.draw(label)

    def draw(self, label: str) -> None:
        fraction = self.done / self.total
        filled = int(round(WIDTH * fraction))
        text = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {int(fraction * 100):3d}% {label}"
        if text != self._last:
            self.stream.write("\r" + text.ljust(len(self._last)))
            self.stream.flush()
            self._last = text

    def finish(self, label: str = "done") -> None:
        self.done = self.total
        self.draw(label)
        self.stream.write("\n")
        self.stream.flush()
