"""Graph layer: grounding — each name an answer uses, checked against the exact index.

``ground(names, table)`` resolves every use from ``parse.answer_names``: a path through its
crate or its type (``semver::Version::parse``, ``Regex::new``), a method or field through the
receiver's type where the code shows it (a written type, or the return type in the real
signature of the call that produced the value), a free function, macro or type by name. A name
is reported missing only when what it was looked up in is fully known (an indexed type without
a ``Deref`` target or unknown traits, a crate, the whole index plus std); anything else is left
unchecked rather than guessed. Each missing name carries its nearest real items and the
versions it was checked against ("`Regex::find_all` is not in regex 1.7.1").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ..parse.std_docs import STD_CRATES
from ..parse.answer_names import AnswerNames, NameUse, TypeHint, base_type
from .name_table import Lookup, NameTable

PRIMITIVES = {"bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16",
              "i32", "i64", "i128", "isize", "f32", "f64", "Self", "_"}
PATH_ROOTS = {"crate", "self", "super"}
NEAREST = 3


@dataclass
class Grounding:
    """One checked name. ``name`` is the qualified form checked (``Regex::find_all``), ``text``
    how the answer wrote it (``re.find_all``); ``lines`` are 1-based lines of the answer."""
    name: str
    kind: str
    found: bool
    checked_against: str
    nearest: list[str] = field(default_factory=list)
    text: str = ""
    lines: list[int] = field(default_factory=list)
    why: str = ""  # when the name exists but not as used
    # False when the name was looked up only in another std release than the compiler's
    # (Debian's 1.63 sources under rustup's 1.95): not found there, not known to be wrong.
    verified: bool = True

    @property
    def message(self) -> str:
        if self.found:
            return f"`{self.name}` found in {self.checked_against}"
        if self.why:
            return f"`{self.text}`: `{self.name}` in {self.checked_against} is {self.why}; " \
                f"call it as `{self.name}(..)`"
        near = f"; nearest: {', '.join(f'`{n}`' for n in self.nearest)}" if self.nearest else ""
        if not self.verified:
            return f"`{self.name}` not found in {_release(self.checked_against)} (unverified: " \
                f"not the compiler's std){near}"
        return f"`{self.name}` is not in {self.checked_against}{near}"

    def to_json(self) -> dict:
        return {"name": self.name, "found": self.found, "checked_against": self.checked_against,
                "nearest": self.nearest, "kind": self.kind, "text": self.text,
                "line": self.lines[0] if self.lines else 0, "lines": self.lines,
                "message": self.message, "verified": self.verified} | \
            ({"why": self.why} if self.why else {})


@dataclass
class Outcome:
    checked: list[Grounding]
    unchecked: list[str]

    @property
    def missing(self) -> list[Grounding]:
        return [g for g in self.checked if not g.found]


def _release(sources: str) -> str:
    """``std 1.63.0`` -> ``std 1.63`` (a std release, as people name it)."""
    return re.sub(r"\bstd (\d+\.\d+)\.\d+", r"std \1", sources)


def nearest(name: str, candidates: list[str] | set[str], n: int = NEAREST) -> list[str]:
    """The candidates (``Owner::member`` or plain names) closest to ``name``."""
    by_last: dict[str, list[str]] = {}
    for c in candidates:
        by_last.setdefault(c.rsplit("::", 1)[-1], []).append(c)
    close = difflib.get_close_matches(name, list(by_last), n=n, cutoff=0.55)
    return [full for last in close for full in sorted(by_last[last])][:n]


class _Resolver:
    def __init__(self, table: NameTable, self_type: str) -> None:
        self.table = table
        self.self_type = self_type
        std = table.std.label if table.std else f"std {table.std_index}" if table.std_index \
            else ""
        everywhere = ["workspace", "dependencies"] + ([std] if std else [])
        self.everywhere = ", ".join(everywhere)

    def type_of(self, hint: TypeHint | None, depth: int = 0) -> str:
        """The base type name a hint stands for, "" when the code does not show it."""
        if hint is None or depth > 8:
            return ""
        if hint.written:
            return self._known(self.self_type if base_type(hint.written) == "Self"
                               else base_type(hint.written), hint.unwrapped, hint.written)
        owner = base_type(hint.owner) if hint.owner else self.type_of(hint.receiver, depth + 1)
        if owner == "Self":
            owner = self.self_type
        if not owner or not hint.call:
            return ""
        rows = self.table.members.get(owner, {}).get(hint.call, [])
        signature = next((r.signature for r in rows if "->" in r.signature), "")
        if not signature:
            std = self.table.std
            constructor = hint.call in ("new", "with_capacity", "from", "default")
            return owner if constructor and std and owner in std.types and not hint.unwrapped \
                else ""
        returned = re.split(r"\bwhere\b|\{", signature.rsplit("->", 1)[1])[0].strip()
        return self._known(owner if base_type(returned) == "Self" else base_type(returned),
                           hint.unwrapped, returned, owner)

    def _known(self, name: str, unwrapped: bool, written: str, owner: str = "") -> str:
        if unwrapped and name.endswith(("Result", "Option")) and "<" in written:
            inner = written.split("<", 1)[1].rsplit(">", 1)[0]
            name = base_type(_first_argument(inner))
            name = owner if name == "Self" else name
        return name if self.table.is_type(name) else ""

    def check(self, use: NameUse) -> Grounding | None:
        if use.kind in ("method", "field"):
            return self._member_use(use)
        segments = [s for s in use.qualifier.split("::") if s] if use.qualifier else []
        if use.kind == "macro":
            return self._free(use, "macro", segments)
        if segments:
            return self._path(use, segments)
        if use.kind == "type" and use.name not in PRIMITIVES and len(use.name) > 1:
            return self._free(use, "type", [])
        if use.kind == "call" and use.name[:1].islower():
            return self._free(use, "function", [])
        return None

    def _member_use(self, use: NameUse) -> Grounding | None:
        owner = self.type_of(use.receiver)
        if use.kind == "field":
            if not owner or use.name.isdigit() or owner not in self.table.types:
                return None
            fields = self.table.fields(owner)
            if not fields:
                return None
            found = use.name in fields or bool(self.table.member(owner, use.name).found)
            return self._result(use, f"{owner}::{use.name}",
                                Lookup(found, self.table.type_sources(owner),
                                       sorted(f"{owner}::{f}" for f in fields)))
        if owner:
            looked = self.table.member(owner, use.name)
            if looked.found is None:
                return None
            if looked.rows and not any(_takes_self(r.signature) for r in looked.rows):
                # `v.parse()` where `Version::parse(text)` is an associated function.
                return Grounding(f"{owner}::{use.name}", use.kind, False,
                                 ", ".join(looked.sources), [f"{owner}::{use.name}"], use.text,
                                 [use.line], "an associated function, not a method")
            return self._result(use, f"{owner}::{use.name}", looked)
        found = use.name in self.table.method_names()
        if not found and not self.table.has_std:
            return None  # without std's names a missing method may well be std's
        return self._result(use, use.name, Lookup(found, [self.everywhere], [] if found else
                                                  list(self.table.method_names())))

    def _path(self, use: NameUse, segments: list[str]) -> Grounding | None:
        table, first, owner = self.table, segments[0], segments[-1]
        crate = first if first in table.crate_names and table.crate_version.get(first) else ""
        if first in STD_CRATES and table.std is not None:
            crate = ""  # the rustdoc (the compiler's release) answers for std's paths
        if owner == "Self":
            owner = self.self_type
        if owner and table.is_type(owner) and (not crate or owner in table.crate_names_of(crate)):
            looked = table.member(owner, use.name, "" if crate in STD_CRATES else crate)
            if looked.found is None:
                return None
            return self._result(use, f"{owner}::{use.name}", looked)
        if crate:
            names = table.crate_names_of(crate)
            label = f"std {table.std_index}" if crate in STD_CRATES else \
                f"{crate} {table.crate_version[crate]}"
            shown = use.qualifier if crate in STD_CRATES else crate  # `std::fs::read_all`
            return self._result(use, f"{shown}::{use.name}", Lookup(
                use.name in names, [label], sorted(names)))
        if first in STD_CRATES and table.std is not None:
            std = table.std
            names = set(std.types) | std.functions | std.macros | std.constants | std.modules
            return self._result(use, f"{use.qualifier}::{use.name}",
                                Lookup(use.name in names, [std.label], sorted(names)))
        return None

    def _free(self, use: NameUse, what: str, segments: list[str]) -> Grounding | None:
        table, std = self.table, self.table.std
        rows = table.by_name.get(use.name, [])
        if not table.has_std and not rows and not segments:
            return None  # std is not described here: a name found nowhere may be std's
        if what == "macro":
            crate = segments[0] if segments and segments[0] in table.crate_names else ""
            found = any(r.kind in ("macro", "function") and (not crate or r.crate == crate)
                        for r in rows) or (std is not None and use.name in std.macros)
            if segments and not crate:
                return None  # a macro path through a module the index does not name
            pool = [] if found else sorted(table.macro_names())
            return self._result(use, f"{use.name}!", Lookup(found, [self.everywhere], pool))
        if what == "type":
            found = bool(rows) or table.is_type(use.name)
            pool = [] if found else sorted(set(table.types) | (set(std.types) if std else set()))
            return self._result(use, use.name, Lookup(found, [self.everywhere], pool))
        found = any(r.kind in ("function", "macro") for r in rows) or \
            (std is not None and use.name in std.functions) or not table.has_std and bool(rows)
        if found:
            return self._result(use, use.name, Lookup(True, [self.everywhere]))
        # `sqrt(x)`: the method it most likely meant (`f64::sqrt`), else a close function.
        owners = table.owners_of(use.name)
        near = owners[:NEAREST] if owners else nearest(use.name, [
            n for n, rs in table.by_name.items() if any(r.kind == "function" for r in rs)])
        return self._result(use, use.name, Lookup(False, [self.everywhere]), near)

    def _result(self, use: NameUse, name: str, looked: Lookup,
                near: list[str] | None = None) -> Grounding:
        found = bool(looked.found)
        if found:
            near = []
        elif near is None:
            near = nearest(use.name, looked.candidates)
        against = ", ".join(looked.sources) or self.everywhere
        unverified = not found and bool(self.table.unverified) and \
            self.table.unverified in against.split(", ")
        return Grounding(name, use.kind, found, against, near, use.text, [use.line],
                         verified=not unverified)


def _takes_self(signature: str) -> bool:
    """Whether a function's first parameter is ``self`` (its generics may hold ``Fn(..)``)."""
    head, depth, cut = signature.split("fn ", 1)[-1], 0, 0
    for cut, ch in enumerate(head):
        depth += (ch == "<") - (ch == ">" and head[cut - 1:cut] != "-")  # `-> usize>`
        if ch == "(" and depth == 0:
            break
    params = head[cut + 1:]
    return bool(re.match(r"\s*(&\s*('\w+\s+)?)?(mut\s+)?self\b", params)) or \
        not signature.lstrip().startswith(("pub", "fn", "const", "unsafe", "async"))


def _first_argument(inner: str) -> str:
    depth = 0
    for i, ch in enumerate(inner):
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            return inner[:i]
    return inner


def ground(names: AnswerNames, table: NameTable, self_type: str = "") -> Outcome:
    """Checks every use; repeated uses of one name are one entry with all their lines."""
    resolver = _Resolver(table, self_type)
    merged: dict[tuple[str, str, bool], Grounding] = {}
    unchecked: list[str] = []
    for use in sorted(names.uses, key=lambda u: u.line):
        if use.name in names.defined:
            continue  # the answer's own function, method, type or variable
        result = resolver.check(use)
        if result is None:
            unchecked.append(use.text)
            continue
        key = (result.name, "", result.found)
        if key in merged:
            merged[key].lines.append(use.line)
        else:
            merged[key] = result
    ordered = sorted(merged.values(), key=lambda g: (g.lines[0], g.name))
    return Outcome(ordered, list(dict.fromkeys(unchecked)))
