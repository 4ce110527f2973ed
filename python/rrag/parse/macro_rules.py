"""Parse layer: ``macro_rules!`` definitions and invocations as token trees.

tree-sitter already lexes the inside of macros (it keeps them as ``token_tree`` nodes), so
strings, raw strings, lifetimes and multi-character operators arrive as single tokens; this
module only reshapes those nodes into plain tuples the matcher (``rrag.parse.macro_match``)
works on:

- a token is ``("t", text)`` and a delimited group ``("g", open, [tokens])``;
- a matcher element is a token, ``("g", open, [elements])``, ``("bind", name, fragment)`` or
  ``("rep", [elements], separator or None, "*" | "+" | "?")``;
- a transcriber element is a token, a group, ``("var", name)`` or a ``"rep"`` as above.

Nothing here raises on odd input: unknown node shapes are flattened into their leaves.

``scan_macro_definitions`` finds definitions in text without a parse: the indexer needs each
crate's macros before parsing, from files it re-reads and from stored items alike, and one scan
for both makes a definition compare equal across runs exactly when its text is unchanged.
Brackets are matched skipping strings, chars and comments.
"""

from __future__ import annotations

import re
from typing import Any

# Nodes kept whole: tree-sitter gives them children, the macro system sees one token.
ATOMIC = frozenset((
    "string_literal", "raw_string_literal", "char_literal", "integer_literal",
    "float_literal", "lifetime", "metavariable", "boolean_literal", "negative_literal",
))
SKIPPED = frozenset(("line_comment", "block_comment"))
OPEN = {"(": ")", "[": "]", "{": "}"}
MAX_TREE_NODES = 50_000  # a definition or invocation bigger than this is not expanded


class TooBig(Exception):
    """An input over the size limits: the invocation is left unexpanded."""


class Budget:
    """Counts nodes visited, so a huge or pathological macro costs a bounded amount."""

    __slots__ = ("left",)

    def __init__(self, limit: int = MAX_TREE_NODES) -> None:
        self.left = limit

    def spend(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise TooBig()


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def _inner(node: Any) -> tuple[str, list[Any]]:
    """The opening delimiter and the children between the delimiters of a group node."""
    children = list(node.children)
    if children and children[0].type in OPEN:
        opener = children[0].type
        end = len(children) - 1 if children[-1].type == OPEN[opener] else len(children)
        return opener, children[1:end]
    return "(", children


def tokens(node: Any, budget: Budget) -> list[tuple]:
    """The token trees inside a ``token_tree`` (an invocation's argument)."""
    return _elements(_inner(node)[1], budget, "plain")


def _elements(children: list[Any], budget: Budget, mode: str) -> list[tuple]:
    """``mode``: "plain" (invocation input), "pattern" (a rule's matcher) or "body"."""
    out: list[tuple] = []
    skip_next = False
    for i, child in enumerate(children):
        budget.spend()
        kind = child.type
        if kind in SKIPPED or skip_next:
            skip_next = False
            continue
        if kind == "'" and i + 1 < len(children) and children[i + 1].start_byte == child.end_byte:
            # Inside token trees tree-sitter splits a lifetime into ' and its name.
            out.append(("t", "'" + _text(children[i + 1])))
            skip_next = True
            continue
        if kind in ("token_tree", "token_tree_pattern"):
            opener, inner = _inner(child)
            out.append(("g", opener, _elements(inner, budget, mode)))
        elif kind == "token_binding_pattern" and mode == "pattern":
            var = child.child_by_field_name("name") or child.named_child(0)
            frag = child.child_by_field_name("type") or child.named_child(1)
            name = _text(var)[1:] if var is not None else "_"
            out.append(("bind", name, _text(frag) if frag is not None else "tt"))
        elif kind in ("token_repetition_pattern", "token_repetition") and mode != "plain":
            out.append(_repetition(child, budget, mode))
        elif kind == "metavariable" and mode == "body":
            out.append(("var", _text(child)[1:]))
        elif kind in ATOMIC or child.child_count == 0:
            out.append(("t", _text(child)))
        else:
            out.extend(_elements(list(child.children), budget, mode))
    return out


def _repetition(node: Any, budget: Budget, mode: str) -> tuple:
    """``$( ... ) sep op``: the children are ``$``, ``(``, the body, ``)`` and the operator;
    tree-sitter drops the separator token, so it is read from the text between them."""
    children = list(node.children)
    close = max((i for i, c in enumerate(children) if c.type == ")"), default=len(children))
    body = children[2:close] if len(children) > 2 and children[1].type == "(" else children[1:close]
    last = children[-1] if children else None
    op = last.type if last is not None and last.type in ("*", "+", "?") else "*"
    sep = None
    if close < len(children):
        base = node.start_byte
        stop = last.start_byte if last is not None and op == last.type else node.end_byte
        between = node.text[children[close].end_byte - base:stop - base]
        sep = between.decode("utf-8", "replace").strip() or None
    return ("rep", _elements(body, budget, mode), sep, op)


def rules(definition: Any, budget: Budget) -> list[tuple[list[tuple], list[tuple]]]:
    """The (matcher, transcriber) pairs of a ``macro_definition`` node, in order."""
    out = []
    for rule in definition.named_children:
        if rule.type != "macro_rule":
            continue
        left = rule.child_by_field_name("left")
        right = rule.child_by_field_name("right")
        if left is None or right is None:
            continue
        out.append((_elements(_inner(left)[1], budget, "pattern"),
                    _elements(_inner(right)[1], budget, "body")))
    return out


_NO_SPACE_AFTER = frozenset(("(", "[", "&", "::", ".", "#", "$", "'", "!"))
_NO_SPACE_BEFORE = frozenset((")", "]", ",", ";", ".", "::", "?", ":"))


def _wordlike(text: str) -> bool:
    return text[:1].isalnum() or text[:1] in "_\"'"


def render(toks: list[tuple], out: list[str]) -> None:
    """Token trees back to source text. Spaces go between tokens except where Rust never
    needs one (after ``(`` ``&`` ``::``, before ``,`` ``;`` ``)``, a call's ``(``); two
    punctuation tokens always keep theirs so they cannot fuse into another operator."""
    prev = ""
    for tok in toks:
        text = tok[1]
        if out and prev and not (prev in _NO_SPACE_AFTER or text in _NO_SPACE_BEFORE
                                 or (text in ("(", "!") and _wordlike(prev))):
            out.append(" ")
        if tok[0] == "g":
            out.append(text)
            inner: list[str] = []
            render(tok[2], inner)
            out.extend(inner)
            out.append(OPEN[text])
            prev = OPEN[text]
        else:
            out.append(text)
            prev = text


_DEF = re.compile(rb"macro_rules!\s*((?:r#)?[A-Za-z_][A-Za-z0-9_]*)\s*([{(\[])")
_SKIP = re.compile(rb'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|\'(?:\\.|[^\\\'\n])\'', re.S)
_CLOSE = {ord("{"): ord("}"), ord("("): ord(")"), ord("["): ord("]")}
MAX_DEFINITION_BYTES = 256 * 1024


def _end(data: bytes, start: int) -> int | None:
    """Index just past the bracket closing the one at ``start``."""
    stack = [_CLOSE[data[start]]]
    i = start + 1
    limit = min(len(data), start + MAX_DEFINITION_BYTES)
    while i < limit:
        c = data[i]
        if c in (0x22, 0x2F, 0x27):  # " / '
            m = _SKIP.match(data, i)
            if m is not None:
                i = m.end()
                continue
        if c in _CLOSE:
            stack.append(_CLOSE[c])
        elif stack and c == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    return None


def scan_macro_definitions(data: bytes) -> dict[str, str]:
    """name -> ``macro_rules! name { ... }`` text; the first definition of a name wins."""
    out: dict[str, str] = {}
    if b"macro_rules!" not in data:
        return out
    for m in _DEF.finditer(data):
        end = _end(data, m.start(2))
        if end is None:
            continue
        name = m.group(1).decode("ascii")
        if name not in out:
            out[name] = data[m.start():end].decode("utf-8", "replace")
    return out
