"""LLM layer: stop a generation that is stuck repeating itself, for every backend.

Small models at low temperature fall into exact loops: "is-is-is-…" or the same sentence again
and again until the token budget is spent. A loop is the text's tail being one unit repeated
back to back, verbatim. Code repeats too (identifiers, `0, 0, 0` tables, similar match arms),
but rarely the same unit many times in a row over a long stretch, so the thresholds grow as the
unit gets shorter: a one-word unit must repeat many more times than a sentence.

``generate_guarded`` wraps a backend's ``generate``: it watches the streamed text, cancels the
backend when a loop is seen and adds a note (streamed too, so every front end shows it without
knowing about loops). The answer keeps exactly what was streamed: a front end shows the stream
as it comes, and an answer that differed from what the user read (and what the check and the
history judge) would be two answers. ``RepetitionGuard.cut`` is the loop-free prefix, for
callers that do not stream; ``said_once`` is a stopped answer as the model should read it again
in a follow-up turn (a repair): the loop once and no note, which a small model would otherwise
copy back, loop and note included.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from typing import Any, Sequence

from .completion import Completion, Message, TokenCallback

LOOP_NOTE = "\n\n[rrag: the model was repeating itself; the answer was stopped here]"
WORD = re.compile(r"[^\W\d_]")  # a letter: "-I'm-I'm" is a word loop, "0, 0, " a table
MAX_UNIT = 240  # characters: a long sentence
WINDOW = 4096  # characters of the tail looked at
CHECK_EVERY = 8  # characters of new text between two looks
MIN_LOOP_CHARS = 300  # a repeated stretch shorter than this (~80 tokens) is never a loop


@dataclass(frozen=True)
class Loop:
    start: int  # offset in the text where the repeated stretch begins
    unit: str


def required_repeats(unit_length: int) -> int:
    """How many back-to-back copies of a unit of this length make a loop."""
    if unit_length < 4:
        return 40
    if unit_length < 12:
        return 16
    if unit_length < 40:
        return 8
    return 4


def find_loop(text: str, offset: int = 0) -> Loop | None:
    """The loop the text ends in, if any (the shortest unit wins); ``offset`` is where ``text``
    begins in the whole answer."""
    tail = text[-WINDOW:]
    offset += len(text) - len(tail)
    for length in range(1, min(MAX_UNIT, len(tail) // 2) + 1):
        unit = tail[-length:]
        repeats = max(required_repeats(length), -(-MIN_LOOP_CHARS // length))
        if length * repeats > len(tail) or not tail.endswith(unit * repeats):
            continue
        if not WORD.search(unit):
            continue  # number tables, rules and separators are data, not a model stuck on a word
        start = len(tail) - length * repeats
        while start >= length and tail[start - length:start] == unit:
            start -= length
        return Loop(start=offset + start, unit=unit)
    return None


class RepetitionGuard:
    """Fed the streamed pieces; ``loop`` is set once the text ends in a loop. Keeps the whole
    text once (for the cut) and looks only at a bounded tail, so a long answer costs the same
    per token as a short one."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._tail = ""
        self._length = 0
        self._checked_at = 0
        self.loop: Loop | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def feed(self, piece: str) -> bool:
        self.parts.append(piece)
        self._length += len(piece)
        self._tail = (self._tail + piece)[-WINDOW:]
        if self.loop is None and self._length - self._checked_at >= CHECK_EVERY:
            self._checked_at = self._length
            self.loop = find_loop(self._tail, self._length - len(self._tail))
        return self.loop is not None

    def cut(self) -> str:
        """The text up to and including the loop's first occurrence."""
        assert self.loop is not None
        return self.text[:self.loop.start + len(self.loop.unit)]


def generate_guarded(backend: Any, messages: Sequence[Message], *,
                     on_token: TokenCallback | None = None,
                     cancel_event: threading.Event | None = None) -> Completion:
    """``backend.generate`` that ends with finish_reason "repetition" when the model loops."""
    guard = RepetitionGuard()

    def watch(piece: str) -> None:
        if guard.loop is not None:
            return  # tokens that arrive between the cancel and the stop are not shown
        if on_token is not None:
            on_token(piece)
        if guard.feed(piece):
            backend.cancel()

    done = backend.generate(messages, on_token=watch, cancel_event=cancel_event)
    if guard.loop is None:
        return done
    if on_token is not None:
        on_token(LOOP_NOTE)
    return replace(done, text=guard.text + LOOP_NOTE, finish_reason="repetition")


def said_once(text: str) -> str:
    """A ``generate_guarded`` answer without rrag's note, its loop (if it was stopped for one)
    kept once, up to the last line end in it (a loop is seen at any rotation of its unit)."""
    if not text.endswith(LOOP_NOTE):
        return text
    text = text[:-len(LOOP_NOTE)]
    loop = find_loop(text)
    if loop is None:
        return text
    end = loop.start + len(loop.unit)
    return text[:text.rfind("\n", loop.start, end) + 1 or end]
