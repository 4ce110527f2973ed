"""Service layer: progress reporting that front ends can render.

The index run reports ``(phase, done, total)``: ``resolve`` (which dependencies cargo builds),
``indexing`` (workspace files parsed), ``dependencies`` (crates parsed or taken from the shared
cache), ``graph``, ``finish`` (a first index's secondary indexes) and ``embed`` (vectors).
``Progress`` writes them to stderr: one live line
redrawn at most ten times a second on a terminal, otherwise a plain line when a phase starts,
every few seconds while it runs, and when it ends (a log file or CI output stays readable).
Vectors carry an estimate of the time left, from the rate so far in that phase.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

ProgressFn = Callable[[str, int, int], None]

LABELS = {"resolve": "resolving dependencies", "indexing": "files parsed",
          "dependencies": "dependency crates", "graph": "graph", "finish": "building indexes",
          "embed": "vectors"}


# Progress lines never begin with "rrag: ", which marks the one line of a failure.
PREFIX = "[rrag] "


def no_progress(phase: str, done: int, total: int) -> None:
    return None


def describe(phase: str, done: int, total: int, rate: float | None = None) -> str:
    """``vectors 120/480, about 1m30s left`` (the words every front end shows)."""
    label = LABELS.get(phase, phase)
    counted = total > 1 or phase not in ("resolve", "graph", "finish")
    text = f"{label} {done}/{total}" if counted else \
        f"{label}{' done' if done >= total else '...'}"
    if rate and total > done:
        text += f", about {_duration((total - done) / rate)} left"
    return text


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


class Progress:
    """``ProgressFn`` writing to a stream; ``live`` (default: the stream is a terminal)
    redraws one line, else plain lines every ``interval`` seconds."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None,
                 interval: float = 3.0) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.interval = interval
        self._phase = ""
        self._phase_start = 0.0
        self._first_done = 0
        self._last = 0.0
        self._open_line = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        new = phase != self._phase
        if new:
            if self._open_line:
                self.stream.write("\n")
                self._open_line = False
            self._phase, self._phase_start, self._first_done = phase, now, done
        finished = done >= total
        wait = 0.1 if self.live else self.interval
        if not (new or finished or now - self._last >= wait):
            return
        self._last = now
        elapsed = now - self._phase_start
        rate = (done - self._first_done) / elapsed \
            if phase == "embed" and elapsed > 0.5 and done > self._first_done else None
        text = f"{PREFIX}{describe(phase, done, total, rate)}"
        if self.live:
            self.stream.write(f"\r\x1b[K{text}")
            self._open_line = not finished
            if finished:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
