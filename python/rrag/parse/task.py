"""Parse layer: the unit of work a parse process runs for one file.

Reads the file, hashes it (blake3), and parses it unless the hash equals the one we already
hold. Returns plain picklable results; every failure becomes a ``Problem`` naming the file, so one
bad file never stops a run. Runs in worker processes, so it imports only the parse layer.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

import blake3

from .macro_args import enabled as macro_args_enabled
from .model import ParsedFile, Problem
from .tokens import lexical_row

BINARY_SNIFF_BYTES = 8192
# deleted by translate: what is left is control bytes
_TEXT_BYTES = bytes([9, 10, 12, 13, *range(32, 256)])
# Bump when what a parse produces changes (new item fields, references, tokens): an index built
# by another version re-parses every file once instead of mixing old and new rows.
PARSE_VERSION = "9"  # 9: items written inside another crate's macro (pin_project!), derived traits


def parse_version() -> str:
    """``PARSE_VERSION``, marked under the diagnostic ``RRAG_MACRO_ARGS=0`` (fewer references):
    an index or dependency cache built with it off is never reused with it on, or back."""
    return PARSE_VERSION if macro_args_enabled() else PARSE_VERSION + "-no-macro-args"


@dataclass(slots=True)
class FileResult:
    path: str
    hash: str = ""
    mtime_ns: int = 0
    size: int = 0
    unchanged: bool = False  # the hash matched the stored one: nothing parsed
    parsed: ParsedFile | None = None
    item_hashes: list[str] | None = None
    lexical_rows: list[tuple[str, str, str, str]] | None = None
    source: bytes = b""  # the bytes parsed; items' text is a byte range of it
    problem: Problem | None = None


def content_hash(text: str) -> str:
    return blake3.blake3(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def looks_binary(data: bytes) -> bool:
    """A .rs file that is not text: NULs or mostly non-text bytes in its first block."""
    head = data[:BINARY_SNIFF_BYTES]
    if not head:
        return False
    if b"\x00" in head and head.count(b"\x00") > len(head) // 100:
        return True
    # in C: a Python loop cost 0.5 s per 300k lines
    control = len(head.translate(None, _TEXT_BYTES))
    return control > len(head) * 0.1


def parse_one(root: str, rel: str, known_hash: str, max_bytes: int,
              crate_macros: dict[str, str] | None = None, doc_tests: bool = True) -> FileResult:
    full = os.path.join(root, rel)
    result = FileResult(rel)
    try:
        st = os.stat(full)
        result.mtime_ns, result.size = st.st_mtime_ns, st.st_size
        if not stat.S_ISREG(st.st_mode):
            # A FIFO or device named .rs would block or never end; never open it.
            result.problem = Problem(rel, "skipped: not a regular file")
            return result
        if st.st_size > max_bytes:
            result.problem = Problem(rel, f"skipped: {st.st_size // 1024} KiB is over the "
                                          f"{max_bytes // 1024} KiB limit (index.max_file_kb)")
            return result
        with open(full, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        result.problem = Problem(rel, "vanished while indexing")
        return result
    except OSError as exc:
        result.problem = Problem(rel, f"cannot read: {exc.strerror or exc}")
        return result
    result.hash = blake3.blake3(data).hexdigest()[:32]
    if result.hash == known_hash:
        result.unchanged = True
        return result
    if looks_binary(data):
        result.problem = Problem(rel, "skipped: not a text file")
        return result
    return parse_bytes(result, data, crate_macros, doc_tests)


def parse_bytes(result: FileResult, data: bytes,
                crate_macros: dict[str, str] | None = None, doc_tests: bool = True) -> FileResult:
    """Parse ``data`` as ``result.path``'s text into ``result``: a file just read, or an editor
    buffer's unsaved text (service.overlay)."""
    from .rust import parse_source

    rel = result.path
    try:
        parsed = parse_source(data, rel, crate_macros, doc_tests)
    except RecursionError:
        result.problem = Problem(rel, "skipped: nesting too deep to parse")
        return result
    if parsed.error_count and len(parsed.items) <= 1:
        # Only the file item and nothing but syntax errors: most likely not Rust at all.
        result.problem = Problem(rel, f"not Rust source? {parsed.error_count} syntax errors "
                                      "and no items")
    if _invalid_utf8(data):
        result.problem = Problem(rel, "invalid UTF-8: indexed with replacement characters")
    result.parsed = parsed
    result.item_hashes = [content_hash(item.content) for item in parsed.items]
    result.lexical_rows = [lexical_row(item) for item in parsed.items]
    result.source = data
    for item in parsed.items:
        # Sent back to the writer as one copy of the file, not once per nesting level.
        item.content = ""
    return result


def _invalid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
