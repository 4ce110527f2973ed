"""Graph layer: a type's generic parameters in two versions, and what a written use of the
type (``Err<&[u8]>``, ``IResult<I, O>``) makes of them.

A type whose parameter list changed breaks a mention only when the arguments written there no
longer fit the new list (rustc's E0107: ``Arg<'help>`` once ``Arg`` lost its lifetime). A
mention that still fits can name another type: ``Err<&[u8]>`` filled ``I`` of
``Err<I, E = u32>`` and fills ``E`` of ``Err<E>``; ``IResult<I, O>`` took the default
``E = u32`` and now takes ``E = Error<I>``. Such a mention compiles, and the error appears where
a value of one meaning meets the other: for a function's parameter, at its calls (a return
value flows into inference, `?` or a `match`, which follow the new meaning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .api_surface import normalized


@dataclass(frozen=True, slots=True)
class Param:
    kind: str  # lifetime, type, const
    name: str  # lifetimes all "'_": their names are no part of the API
    bounds: str
    default: str


def split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at ``sep`` outside brackets (``A<B, C>, D`` -> ``A<B, C>``, ``D``)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch in "<([{"
        depth -= ch in ">)]}"
        cur += ch
    out.append(cur)
    return [p.strip() for p in out if p.strip()]


def generic_text(generics: str, kind: str, signature: str) -> str:
    """A type's ``<...>``; a type alias's is read from its signature when the row has none
    (``type Command<'help> = App<'help>``)."""
    if generics or kind != "type":
        return generics
    start, depth = signature.find("<"), 0
    if start < 0 or start > signature.find("="):
        return ""
    for n in range(start, len(signature)):
        depth += signature[n] == "<"
        depth -= signature[n] == ">"
        if depth == 0:  # the end of the alias's own <...>
            return signature[start:n + 1]
    return ""


def params(generics: str) -> list[Param]:
    text = normalized(generics)
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    out = []
    for part in split_top(text):
        if part.startswith("'"):
            out.append(Param("lifetime", "'_", _lifetimes(part.partition(":")[2]), ""))
            continue
        kind = "const" if part.startswith("const ") else "type"
        part = part.removeprefix("const ")
        head, default = (split_top(part, "=") + [""])[:2] if "=" in part else (part, "")
        name, _, bounds = head.partition(":")
        out.append(Param(kind, name.strip(), _lifetimes(bounds.strip()),
                         _lifetimes(default.strip())))
    return out


def _lifetimes(text: str) -> str:
    return re.sub(r"'\w+", "'_", text)  # `'help` and `'a` are one lifetime


def shape(ps: list[Param]) -> list[tuple[str, str, str]]:
    """What a use of the type fills or relies on: the parameters in order and their defaults."""
    return [(p.kind, p.name, p.default) for p in ps]


def written_args(line: str, name: str) -> list[list[str] | None]:
    """The generic arguments of each mention of ``name`` on ``line``: ``[]`` for a bare
    ``Name``, None for a path through it (``Err::Incomplete``, ``Name::<T>``), whose arguments
    are inferred."""
    out: list[list[str] | None] = []
    for match in re.finditer(rf"\b{re.escape(name)}\b\s*", line):
        rest = line[match.end():]
        if rest.startswith("::"):
            out.append(None)
            continue
        if not rest.startswith("<"):
            out.append([])
            continue
        depth = 0
        for n, ch in enumerate(rest):
            depth += ch == "<"
            depth -= ch == ">"
            if depth == 0:
                out.append(split_top(rest[1:n]))
                break
    return out


def _types(ps: list[Param]) -> list[Param]:
    return [p for p in ps if p.kind != "lifetime"]


def fits(old: list[Param], new: list[Param], args: list[str] | None) -> bool:
    """Does a mention written with ``args`` for the old list still name a type of the new?"""
    if args is None:
        return True
    lifetimes = [a for a in args if a.startswith("'")]
    if lifetimes and len(lifetimes) != sum(p.kind == "lifetime" for p in new):
        return False
    count = len(args) - len(lifetimes)
    required = sum(not p.default for p in _types(new))
    if count == 0 and required:
        # A bare name compiled only where its arguments are inferred (or all had defaults).
        return any(not p.default for p in _types(old))
    return required <= count <= len(_types(new))


def meaning_changed(old: list[Param], new: list[Param], args: list[str] | None) -> bool:
    """Does a fitting mention name another type now: its arguments fill other parameters, or
    a default it relies on changed."""
    if args is None:
        return False
    count = sum(not a.startswith("'") for a in args)
    old_t, new_t = _types(old), _types(new)
    if [p.name for p in old_t[:count]] != [p.name for p in new_t[:count]]:
        return True
    before = {p.name: p.default for p in old_t[count:]}
    return any(p.name in before and before[p.name] != p.default for p in new_t[count:])


def mention(old_generics: str, new_generics: str, line: str, name: str) -> str:
    """What the new version makes of the mentions of ``name`` on ``line``: "breaks" (some
    mention no longer fits), "retyped" (all fit, some names another type now) or "same"."""
    old, new = params(old_generics), params(new_generics)
    found = written_args(line, name)
    if any(not fits(old, new, args) for args in found):
        return "breaks"
    return "retyped" if any(meaning_changed(old, new, args) for args in found) else "same"


def in_parameters(signature: str, name: str) -> bool:
    """Is ``name`` mentioned in the parameter list of a fn ``signature``?"""
    start = signature.find("(")
    if start < 0:
        return False
    depth = 0
    for n in range(start, len(signature)):
        depth += signature[n] == "("
        depth -= signature[n] == ")"
        if depth == 0:
            return re.search(rf"\b{re.escape(name)}\b", signature[start:n]) is not None
    return False
