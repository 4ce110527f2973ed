"""Embed layer: model tokens — the WordPiece tokenizer of the default model and token windows.

``windows`` splits a long text into overlapping windows that each fit the model, so an item longer
than the model's window is embedded as several vectors rather than silently cut. It works with any
tokenizer through a ``count`` function (texts -> token counts, special tokens included), which
lets the llama.cpp worker's tokenizer use it too: lines are packed greedily by their token counts,
then every window is counted again as a whole and shrunk if packing under-estimated it (token
counts are not exactly additive across line breaks).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import ModelError

CountFn = Callable[[Sequence[str]], list[int]]
_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_SPACE = re.compile(r"\s+")


class WordPieceTokenizer:
    """``tokenizers`` with the model's tokenizer.json; truncation is always on (defence)."""

    def __init__(self, path: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        try:
            self._full = Tokenizer.from_file(str(path))
            self._cut = Tokenizer.from_file(str(path))
        except Exception as exc:  # noqa: BLE001 - tokenizers raises a bare Exception
            raise ModelError(f"cannot load the tokenizer {path}: {exc}",
                             "delete the model folder; rrag unpacks it again") from exc
        self._full.no_truncation()
        self._full.no_padding()
        self._cut.enable_truncation(max_length=max_tokens)
        self._cut.no_padding()
        self.max_tokens = max_tokens
        self.specials = len(self._full.encode("").ids)

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text with [CLS]/[SEP], before any truncation."""
        return [len(e.ids) for e in self._full.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids the model is fed: at most ``max_tokens`` each, specials included."""
        return [np.asarray(e.ids, dtype=np.int64) for e in self._cut.encode_batch(list(texts))]


def _pieces(text: str) -> list[str]:
    """Lines, with their newline, as the smallest units windows are cut at."""
    return _LINE.findall(text)


def _split_piece(piece: str, budget: int, count: CountFn, specials: int) -> list[str]:
    """Cut one over-long line at whitespace (or anywhere, for a run without any) until every
    part fits ``budget`` content tokens."""
    todo, done = [piece], []
    while todo:
        part = todo.pop()
        if len(part) <= 1 or count([part])[0] - specials <= budget:
            done.append(part)
            continue
        middle = len(part) // 2
        gap = _SPACE.search(part, middle)
        cut = gap.end() if gap and gap.end() < len(part) else middle
        todo += [part[cut:], part[:cut]]
    return done


def windows(text: str, max_tokens: int, overlap: int, count: CountFn) -> list[str]:
    """Consecutive, overlapping slices of ``text`` whose token count (specials included) never
    exceeds ``max_tokens``; their concatenation minus the overlaps is ``text``. ``overlap`` is in
    tokens and is rounded to whole lines; ``count`` is the embedding model's own counter."""
    specials = count([""])[0]
    budget = max_tokens - specials
    if budget < 1:
        raise ModelError(f"embed.max_tokens={max_tokens} leaves no room for text",
                         f"set embed.max_tokens above {specials}")
    overlap = max(0, min(overlap, budget // 2))
    if not text or count([text])[0] <= max_tokens:
        return [text]
    pieces: list[str] = []
    for piece in _pieces(text):
        pieces += _split_piece(piece, budget, count, specials)
    sizes = [max(0, n - specials) for n in count(pieces)]
    out: list[str] = []
    start = 0
    while start < len(pieces):
        end, used = start, 0
        while end < len(pieces) and (end == start or used + sizes[end] <= budget):
            used += sizes[end]
            end += 1
        while end - start > 1 and count(["".join(pieces[start:end])])[0] > max_tokens:
            end -= 1  # packing under-counted at a line boundary
        out.append("".join(pieces[start:end]))
        if end >= len(pieces):
            break
        back, carried = end, 0
        while back - 1 > start and carried + sizes[back - 1] <= overlap:
            back -= 1
            carried += sizes[back]
        start = back
    return out
