"""Embed layer: what text stands for an item in vector space (the seed's ``EmbeddingContext``).

Every text starts with a header naming the item (kind and qualified name, plus the crate for a
dependency), because a bare body (`self.len() == 0`) says little without it. Then:

- leaf items (functions, methods, structs, enums, traits, consts, macros...): their source text,
  which already holds their doc comments, attributes and signature;
- containers (file, module, impl): their docs and signature followed by the signatures of their
  direct children, an outline, so a question about "the renderer" can find the module or the
  impl as a whole (the multi-level embeddings of the seed) without repeating every body.

Long texts are cut into overlapping windows that each fit the model's trained length, and every
window repeats the header. The number of windows per item is capped: a generated 5,000-line
function adds noise, not recall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import blake3

from .tokens import CountFn, windows

CONTAINER_KINDS = frozenset({"file", "module", "impl"})
MAX_WINDOWS = 12

@dataclass(slots=True)
class EmbeddingContext:
    kind: str
    qualname: str
    signature: str = ""
    docs: str = ""
    content: str = ""
    crate: str = ""
    version: str = ""  # dependency items: the locked version
    children: Sequence[str] = field(default_factory=tuple)  # child signatures, containers only


def header(ctx: EmbeddingContext) -> str:
    origin = f" ({ctx.crate} {ctx.version})" if ctx.version else ""
    return f"{ctx.kind} {ctx.qualname}{origin}\n"


def body(ctx: EmbeddingContext) -> str:
    if ctx.kind not in CONTAINER_KINDS:
        return ctx.content.strip()
    parts = [ctx.docs.strip(), ctx.signature.strip(), *(s.strip() for s in ctx.children)]
    return "\n".join(p for p in parts if p)


def item_texts(ctx: EmbeddingContext, max_tokens: int, overlap: int,
               count: CountFn) -> list[str]:
    """The texts to embed for one item, each within ``max_tokens`` (specials included)."""
    head = header(ctx)
    text = body(ctx)
    if not text:
        return [head.strip()]
    whole = head + text
    if count([whole])[0] <= max_tokens:
        return [whole]
    head_tokens = count([head])[0] - count([""])[0]
    budget = max(max_tokens - head_tokens, max_tokens // 2)
    pieces = windows(text, budget, overlap, count)[:MAX_WINDOWS]
    out = []
    for piece in pieces:
        framed = head + piece
        # A window is cut without the header; if the header tips it over, the model would
        # truncate the tail: keep the piece whole instead (it fits alone).
        out.append(framed if count([framed])[0] <= max_tokens else piece)
    return out


def text_hash(model_key: str, text: str) -> str:
    """The cache key of an embedded text: the same text under the same model, same vector."""
    return blake3.blake3(f"{model_key}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
