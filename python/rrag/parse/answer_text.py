"""Parse layer: where the Rust code of a model's answer is (for rrag.parse.answer_names), and
the two small readings of real code grounding needs (a definition's fields, a signature's
parameters).

An answer is markdown. Its code is in fenced blocks (untagged or tagged Rust; a ```toml or
```sh block is not Rust) and in inline code spans; a span counts only when it looks like code
(a path, a call, a method or a macro), since a lone word in backticks is as often a variable of
the prose as an item. Text with neither fences nor spans is plain code, one block, unless it
reads as prose (small models often answer in sentences, naming Point::distanse without
backticks): then each code-like word of it (a path, a call, a method call, a macro) is a span,
as it is in the prose around fences and spans.
Each ``Segment`` keeps the answer line it starts on, so every name found maps back to its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .grammar import parse_tree

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
_OPEN = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n", re.M)
_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_CODE_LIKE = re.compile(r"::|\w\(|\w!|\w\.\w")
# Five plain words in a row: a sentence (code has them only in comments and strings).
_SENTENCE = re.compile(r"[A-Za-z]+(?: [A-Za-z]+,?){4}")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
# In prose: `a::b`, `a::b()`, `x.y()`, `f()`, `m!(..)`; not glued to a word, a `.` or a `:`.
_PROSE_CODE = re.compile(r"(?<![\w:.])(?:(?:[A-Za-z_]\w*::)+[A-Za-z_]\w*(?:\(\))?"
                         r"|[a-z_]\w*\.[a-z_]\w*\(\)|[a-z_]\w*\(\)|[a-z_]\w*!\([^()\n]*\))")
RUST_TAGS = {"", "rust", "rs", "no_run", "ignore", "should_panic", "compile_fail", "edition2021"}


@dataclass(frozen=True)
class Segment:
    text: str
    first_line: int  # the answer's line of the segment's first line (1-based)
    inline: bool = False


def fenced_blocks(answer: str) -> list[tuple[int, int, str, int]]:
    """(start, end, tag, body start) of each fenced block. A last block the model never closed
    (its answer cut at the token limit) runs to the end: its code is still code."""
    blocks = [(m.start(), m.end(), m.group(1).lower(), m.start(2))
              for m in _FENCE.finditer(answer)]
    tail = blocks[-1][1] if blocks else 0
    unclosed = _OPEN.search(answer, tail)
    if unclosed is not None:
        blocks.append((unclosed.start(), len(answer), unclosed.group(1).lower(),
                       unclosed.end()))
    return blocks


def segments(answer: str) -> list[Segment]:
    """The answer's Rust code: fenced blocks (untagged or Rust), then code-like inline spans
    outside them, then the code-like words of the prose left around them; plain code (no
    fences, no spans, not prose) is one block."""
    blocks = fenced_blocks(answer)
    out = [Segment(answer[body:end].rsplit("```", 1)[0] if end < len(answer)
                   else answer[body:end], answer.count("\n", 0, body) + 1)
           for start, end, tag, body in blocks if tag in RUST_TAGS]
    spans = [m for m in _SPAN.finditer(answer)
             if not any(start <= m.start() < end for start, end, _, _ in blocks)]
    if not blocks and not spans and not is_prose(answer):
        return [Segment(answer, 1)]
    for m in spans:
        text = m.group(1).strip()
        if _CODE_LIKE.search(text):
            out.append(Segment(text, answer.count("\n", 0, m.start()) + 1, inline=True))
    rest = _blank(answer, [(s, e) for s, e, _, _ in blocks] + [m.span() for m in spans])
    if is_prose(rest):
        out += [Segment(m.group(0), rest.count("\n", 0, m.start()) + 1, inline=True)
                for m in _PROSE_CODE.finditer(rest)]
    return out


def _blank(text: str, ranges: list[tuple[int, int]]) -> str:
    """``text`` with the characters of ``ranges`` but their newlines made spaces."""
    chars = list(text)
    for start, end in ranges:
        chars[start:end] = ["\n" if c == "\n" else " " for c in chars[start:end]]
    return "".join(chars)


def is_prose(text: str) -> bool:
    """At least half of the lines that are not blank or comments read as sentences."""
    lines = [_STRING.sub('""', line) for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith(("//", "/*", "*"))]
    return bool(lines) and 2 * sum(bool(_SENTENCE.search(line)) for line in lines) >= len(lines)


def _text(node) -> str:
    return node.text.decode("utf-8", "replace")


def definition_members(text: str) -> set[str]:
    """The field and variant names of a struct, enum or union definition's text."""
    out: set[str] = set()
    stack = [parse_tree(text.encode("utf-8")).root_node]
    while stack:
        node = stack.pop()
        if node.type in ("field_declaration", "enum_variant"):
            name = node.child_by_field_name("name")
            if name is not None:
                out.add(_text(name))
        elif node.type in ("source_file", "struct_item", "enum_item", "union_item",
                           "field_declaration_list", "enum_variant_list", "attribute_item"):
            stack.extend(node.named_children)
    return out


def params_of(signature: str) -> dict[str, str]:
    """``fn f(re: &Regex, n: usize)`` -> {"re": "&Regex", "n": "usize"} (a cursor's scope)."""
    tree = parse_tree((signature.split("{", 1)[0].rstrip().rstrip(";") + " {}").encode())
    out: dict[str, str] = {}
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "parameter":
            pattern, written = node.child_by_field_name("pattern"), node.child_by_field_name("type")
            if pattern is not None and pattern.type == "identifier" and written is not None:
                out[_text(pattern)] = _text(written)
        elif node.type in ("source_file", "function_item", "function_signature_item",
                           "parameters", "ERROR"):
            stack.extend(node.named_children)
    return out
