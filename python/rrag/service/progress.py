"""Service layer: progress reporting that front ends can render.

The indexer reports ``(phase, done, total)``; the CLI draws a bar on stderr (only when stderr is
a terminal, or when forced for tests), the editor hosts forward the numbers to the statusline.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

ProgressFn = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    return None


class StderrBar:
    """A one-line progress bar redrawn at most ten times a second."""

    def __init__(self, stream: TextIO | None = None, force: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.enabled = force or self.stream.isatty()
        self._last = 0.0
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        finished = total > 0 and done >= total
        if not finished and phase == self._phase and now - self._last < 0.1:
            return
        self._last, self._phase = now, phase
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\rrrag: {phase:<10} [{bar}] {done}/{total}")
        if finished:
            self.stream.write("\n")
        self.stream.flush()
