"""Parse layer: macro arguments as code — one synthetic wrapper source per round, per file.

tree-sitter keeps a macro's arguments as an opaque token tree, so ``assert_eq!(f(x), y)`` and
``println!("{}", report::line(&c))`` hid a third to two fifths of the call sites of real crates
(issue 18). For each invocation in expression or statement position we copy its token tree,
verbatim, into a wrapper (``fn _w(){_m(ARGS);}`` for parentheses, ``[..]`` for brackets,
``{..}`` for braces: the shapes tree-sitter parses as a call's arguments, an array and a block),
and the reference extractor runs its usual query on the wrapper. Every copied span is a
``Segment``: a wrapper byte maps back to the file by a constant offset, so owners, lines and
positions are those of the file. All invocations of a file go into ONE wrapper parsed once
(one parse per invocation cost +25 % index time); invocations found inside the arguments
(``vec![format!(..)]``) form the next round's wrapper.

A workspace ``macro_rules!`` macro (same file or ``crate_macros``) gets, besides its arguments,
the references of the rule that matches (rrag.parse.macro_templates), at the invocation's
line. Doc-test blocks use ``fixed`` segments whose references all land on the documented item
(rrag.parse.doctests).

``RRAG_MACRO_ARGS=0`` (a diagnostic switch, doc/graph.md) turns these wrapper passes off: no
macro-argument wrapper, no doc-test wrapper, no template matching of workspace macros in
expression position; the parse workers inherit it, and it changes the parse version.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable


# Arguments that are not expressions evaluated at run time (or not Rust at all).
SKIP = frozenset((
    "quote", "quote_spanned", "parse_quote", "parse_quote_spanned", "stringify", "concat",
    "include", "include_str", "include_bytes", "env", "option_env", "cfg", "compile_error",
    "asm", "global_asm", "line", "column", "file", "module_path", "concat_idents", "html",
    "sql", "json", "macro_rules", "cfg_if",
))
ITEM_LEVEL = frozenset(("source_file", "declaration_list"))
MAX_ROUNDS = 4  # nested invocations: vec![format!("{}", f(x))] needs two
MAX_WRAPPER_BYTES = 8 * 1024 * 1024

_SCREAMING = re.compile(rb"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b")
RulesFor = Callable[[str, int], "list | None"]


@dataclass(slots=True)
class Segment:
    """One span of a wrapper copied from the file (or standing for one place in it)."""

    wrap_start: int  # first wrapper byte of the copy
    wrap_end: int
    file_start: int  # the file byte the copy starts at (fixed: the place everything maps to)
    file_end: int  # fixed segments: the end of that place (the owner lookup needs a span)
    wrap_row: int  # wrapper row of wrap_start
    file_row: int  # file row (0-based) of file_start
    fixed: bool = False  # every node maps to file_start..file_end, line file_row + 1
    doc: bool = False  # a doc-test block: its calls are tests of the documented item
    aliases: dict[str, str] = field(default_factory=dict)  # doc-test `use`s: name -> path

    def map(self, start: int, end: int, row: int) -> tuple[int, int, int]:
        """(file start, file end, 1-based line) of a wrapper node."""
        if self.fixed:
            return self.file_start, self.file_end, self.file_row + 1
        delta = self.file_start - self.wrap_start
        return start + delta, end + delta, self.file_row + row - self.wrap_row + 1


@dataclass(slots=True)
class Pending:
    """An invocation whose arguments wait for the next wrapper: its node (in the file's tree
    or an earlier wrapper's), that tree's segment (None: the file itself) and the macro's
    name (``println`` for ``std::println!``)."""

    node: Any
    seg: Segment | None
    name: str


def enabled() -> bool:
    """False under ``RRAG_MACRO_ARGS=0``: issue 18's wrapper passes are skipped (read per file,
    so the parse workers, which inherit the environment, follow the writer)."""
    return os.environ.get("RRAG_MACRO_ARGS", "1") != "0"


def wants_args(inv: Any) -> bool:
    """Expression or statement position (item-level invocations are expanded as items)."""
    parent = inv.parent
    if parent is None:
        return False
    if parent.type == "expression_statement":
        parent = parent.parent
    return parent is None or parent.type not in ITEM_LEVEL


class Wrapper:
    """Builds one round's wrapper source from the pending invocations' arguments."""

    def build(self, pending: list[Pending]) -> tuple[bytes, list[Segment]]:
        parts: list[bytes] = []
        segs: list[Segment] = []
        size = row = 0
        for item in pending:
            inv, seg = item.node, item.seg
            if item.name in SKIP:
                continue
            tree = token_tree(inv)
            if tree is None:
                continue
            body = tree.text
            if b"(" not in body and b"!" not in body and not _SCREAMING.search(body):
                continue  # no call, nested macro or constant: nothing to find inside
            head = b"fn _w(){_m" if body[:1] == b"(" else b"fn _w(){"
            wrap_start = size + len(head)
            start, end, line = place(tree, seg)
            fixed = seg is not None and seg.fixed
            segs.append(Segment(wrap_start, wrap_start + len(body), start,
                                end if fixed else start + len(body), row, line - 1, fixed,
                                seg is not None and seg.doc,
                                seg.aliases if seg is not None else {}))
            piece = b"".join((head, body, b";}\n"))
            parts.append(piece)
            size += len(piece)
            row += piece.count(b"\n")
            if size > MAX_WRAPPER_BYTES:
                break
        return b"".join(parts), segs


def token_tree(inv: Any) -> Any:
    for child in inv.children:
        if child.type == "token_tree":
            return child
    return None


def place(node: Any, seg: Segment | None) -> tuple[int, int, int]:
    """Where ``node`` is in the file: its own span, or mapped through its tree's segment."""
    if seg is None:
        return node.start_byte, node.end_byte, node.start_point[0] + 1
    return seg.map(node.start_byte, node.end_byte, node.start_point[0])
