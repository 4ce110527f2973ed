"""Parse layer: doc-test code blocks as code (issue 18: doc tests are tests too).

``cargo test`` compiles every fenced Rust block of a doc comment as a test of the crate; the
calls in it exercise the crate's items. The blocks of all items of a file go into one wrapper
source (``fn _w(){ BLOCK ;}`` each, hidden ``# `` lines included, as rustdoc does) parsed with
the reference query once (rrag.parse.refs); their segments are ``fixed`` at the documented
item and marked ``doc``, so their calls become ``tcall`` / ``tmcall`` references of that item
(``tests`` edges in the graph), never ``calls``.
"""

from __future__ import annotations

from .macro_args import Segment
from .model import Item

# Fence words that still mean "compiled Rust" (rustdoc's attributes); any other word (text,
# ignore, compile_fail, toml, sh...) leaves the block out.
RUST_FENCE = frozenset(("", "rust", "no_run", "should_panic", "test_harness", "no_std",
                        "allow_fail"))
MAX_BLOCK_BYTES = 64 * 1024


def _unhide(line: str) -> str:
    body = line.lstrip()
    if body == "#":
        return ""
    if body.startswith("# "):
        return body[2:]
    if body.startswith("##"):
        return body[1:]
    return line


def doc_wrapper(items: list[Item]) -> tuple[bytes, list[Segment]]:
    """One wrapper source holding every doc-test block of ``items``."""
    parts: list[bytes] = []
    segs: list[Segment] = []
    size = 0
    for item in items:
        docs = item.docs
        if not docs or "```" not in docs and "~~~" not in docs:
            continue
        for block in rust_blocks(docs):
            body = block.encode("utf-8")
            if not body.strip() or len(body) > MAX_BLOCK_BYTES:
                continue
            head = b"fn _w(){\n"
            start = size + len(head)
            segs.append(Segment(start, start + len(body), item.start_byte, item.end_byte, 0,
                                item.start_line - 1, fixed=True, doc=True))
            piece = b"".join((head, body, b"\n;}\n"))
            parts.append(piece)
            size += len(piece)
    return b"".join(parts), segs


def rust_blocks(docs: str) -> list[str]:
    """The compiled code blocks of one doc text, hidden lines shown. Skipped blocks are still
    tracked so a ```text block's closing fence never opens a Rust block."""
    out: list[str] = []
    inside: str | None = None  # the fence of the current block; "skip" marks a skipped one
    lines: list[str] = []
    for raw in docs.split("\n"):
        stripped = raw.strip()
        if inside is None:
            if stripped.startswith("```") or stripped.startswith("~~~"):
                words = stripped[3:].replace(",", " ").split()
                rust = all(w in RUST_FENCE or w.startswith("edition") for w in words)
                inside = stripped[:3] if rust else "skip" + stripped[:3]
                lines = []
            continue
        if stripped.startswith(inside[-3:]) and stripped[3:].strip() == "":
            if not inside.startswith("skip"):
                out.append("\n".join(lines))
            inside = None
            continue
        if not inside.startswith("skip"):
            lines.append(_unhide(raw))
    return out
