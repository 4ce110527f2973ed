"""Parse layer: small text helpers for Rust source (docs, attributes, string literals).

Everything here works on the text of one tree-sitter node; no tree access, so the item walker
(``rrag.parse.extract``) stays a tight loop over nodes and these stay easy to test alone.
"""

from __future__ import annotations

import re


class SourceText:
    """Slices of a file's bytes as ``str``. Byte offsets stay byte offsets: an ASCII file is
    decoded once and sliced; any other file decodes each slice (invalid UTF-8 replaced)."""

    __slots__ = ("data", "text", "ascii")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ascii = data.isascii()
        self.text = data.decode("ascii") if self.ascii else data.decode("utf-8", "replace")

    def slice(self, start: int, end: int) -> str:
        if self.ascii:
            return self.text[start:end]
        return self.data[start:end].decode("utf-8", "replace")


def collapse(text: str) -> str:
    """Whitespace runs (newlines included) folded to one space, ends stripped."""
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text.strip()


def line_count(data: bytes) -> int:
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


# --- doc comments -------------------------------------------------------------------------

def comment_role(text: str) -> str:
    """'outer' for ``///`` and ``/** */`` docs, 'inner' for ``//!`` and ``/*! */``, '' else."""
    if text.startswith("///"):
        return "" if text.startswith("////") else "outer"
    if text.startswith("//!"):
        return "inner"
    if text.startswith("/**"):
        return "" if text.startswith("/***") or text.startswith("/**/") else "outer"
    if text.startswith("/*!"):
        return "inner"
    return ""


def doc_text(comment: str) -> str:
    """The text of one doc comment without its markers."""
    if comment.startswith("//"):
        body = comment[3:].rstrip("\r\n")
        return body[1:] if body.startswith(" ") else body
    body = comment[3:-2] if comment.endswith("*/") else comment[3:]
    lines = body.split("\n")
    out = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i > 0 and stripped.startswith("*"):
            stripped = stripped[1:]
            stripped = stripped[1:] if stripped.startswith(" ") else stripped
        out.append(stripped.rstrip())
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# --- attributes ---------------------------------------------------------------------------

def attribute_inner(text: str) -> str:
    """``#[derive(Debug)]`` -> ``derive(Debug)``; ``#![allow(x)]`` -> ``allow(x)``."""
    open_at = text.find("[")
    inner = text[open_at + 1:] if open_at >= 0 else text
    if inner.endswith("]"):
        inner = inner[:-1]
    return inner.strip()


def split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and string literals."""
    parts: list[str] = []
    depth = 0
    start = 0
    in_str = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth <= 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return [p for p in parts if p]


_ATTR_NAME = re.compile(r"\s*([A-Za-z_][\w:]*)\s*")


def attribute_parts(inner: str) -> tuple[str, str, str | None]:
    """(path, arguments inside the outer parentheses, ``= value`` text or None)."""
    m = _ATTR_NAME.match(inner)
    if not m:
        return "", "", None
    name, rest = m.group(1), inner[m.end():]
    if rest.startswith("("):
        close = rest.rfind(")")
        return name, rest[1:close if close > 0 else len(rest)].strip(), None
    if rest.startswith("="):
        return name, "", rest[1:].strip()
    return name, "", None


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_RAW = re.compile(r'r(#*)"(.*)"\1$', re.S)


def string_value(literal: str) -> str | None:
    """The value of a Rust string literal (``"a\\nb"``, ``r#"raw"#``); None if it is not one."""
    literal = literal.strip()
    m = _RAW.match(literal)
    if m:
        return m.group(2)
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        return None
    body = literal[1:-1]
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "\n":  # line continuation: skip the newline and leading whitespace
                i += 2
                while i < len(body) and body[i] in " \t\r\n":
                    i += 1
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class AttrInfo:
    """What the item walker keeps from a run of attributes."""

    __slots__ = ("attrs", "derives", "cfg", "docs", "path", "macro_use")

    def __init__(self) -> None:
        self.attrs: list[str] = []
        self.derives: list[str] = []
        self.cfg: list[str] = []
        self.docs: list[str] = []
        self.path: str | None = None
        self.macro_use = False

    def add(self, inner: str, record: bool = True) -> None:
        if record:
            self.attrs.append(inner)
        name, args, value = attribute_parts(inner)
        if name == "derive":
            self.derives += split_top_level(args)
        elif name == "cfg":
            self.cfg.append(args)
        elif name == "cfg_attr":
            # Derives behind a cfg_attr are still derives (serde's usual pattern).
            for nested in split_top_level(args)[1:]:
                if nested.startswith("derive"):
                    self.add(nested, record=False)
        elif name == "doc" and value is not None:
            doc = string_value(value)
            if doc is not None:
                self.docs.append(doc[1:] if doc.startswith(" ") else doc)
        elif name == "path" and value is not None:
            self.path = string_value(value)
        elif name == "macro_use":
            self.macro_use = True
