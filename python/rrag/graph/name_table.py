"""Graph layer: every name the index knows, arranged for grounding (rrag.graph.grounding).

Built once per index generation from ``store.names.name_rows`` and, when the toolchain's
rustdoc is installed, std's names (``parse.std_docs``). A type's members are the items whose
owner (``self_type``) it is: inherent methods, associated functions and consts, and the methods
of the trait impls written for it; a trait's are the methods it declares. What a type can call
also comes from the traits it implements or derives, from traits implemented for every ``T``
(blanket impls) and, for std, from the rustdoc page of the type (which lists all of them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..parse.std_docs import StdNames
from ..store.names import STD_CRATES, TYPE_KINDS, NameRow

# Traits every type has through std's blanket impls.
STD_BLANKET = ("From", "Into", "TryFrom", "TryInto", "Borrow", "BorrowMut", "Any")
# A type implementing one of these reaches members the table cannot list (the Deref target's).
OPAQUE_TRAITS = {"Deref", "DerefMut"}
COMMON_OWNERS = {"f64", "f32", "str", "String", "Vec", "Option", "Result", "slice", "HashMap",
                 "Iterator", "usize", "i32", "u8", "u32", "u64", "i64"}
MEMBER_KINDS = ("method", "function", "const", "type", "static")


@dataclass
class Lookup:
    """What a member lookup found: ``found`` True / False, or None when the answer cannot be
    known (a ``Deref`` target, a trait the index does not hold); ``sources`` are what was
    checked ("regex 1.7.1", "std 1.95.0"); ``candidates`` the names it could have meant."""
    found: bool | None
    sources: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    rows: list[NameRow] = field(default_factory=list)


class NameTable:
    def __init__(self, rows: list[NameRow], std: StdNames | None,
                 definition_text: Callable[[str], str], toolchain: str = "") -> None:
        """``std``: std's names from the toolchain's rustdoc; ``toolchain``: the compiler's
        release, which tells whether std's indexed sources (rows of std, core and alloc) are
        the compiler's own or another release's (then a name missing there is unverified)."""
        self.std = std
        std_rows = [r for r in rows if r.crate in STD_CRATES and r.version]
        self.std_index = std_rows[0].version if std_rows else ""
        if std is not None and self.std_index and self.std_index != std.version:
            # The rustdoc matches the compiler: another release's sources only add doubt.
            rows = [r for r in rows if not (r.crate in STD_CRATES and r.version)]
            self.std_index = ""
        # "std 1.63.0" when std's sources are not the compiler's release: what is missing
        # there is reported as not found in that release, never as wrong.
        self.unverified = f"std {self.std_index}" if self.std_index and \
            self.std_index != toolchain else ""
        self._definition_text = definition_text
        self.by_name: dict[str, list[NameRow]] = {}
        self.types: dict[str, list[NameRow]] = {}
        self.members: dict[str, dict[str, list[NameRow]]] = {}
        self.traits_of: dict[str, set[str]] = {}
        self.blanket: set[str] = set()
        self.crate_names: dict[str, set[str]] = {}
        self.crate_version: dict[str, str] = {}
        self.deref_target: dict[str, str] = {}
        self._fields: dict[str, set[str] | None] = {}
        self._method_names: set[str] | None = None
        self.trait_members: dict[str, dict[str, list[NameRow]]] = {}
        for row in rows:
            self._add(row)
        # A trait's own methods, told from a type's of the same name (`Hash` the derive vs
        # memchr's `Hash` struct) by their qualified name.
        traits = {r.qualname for rs in self.types.values() for r in rs if r.kind == "trait"}
        for owned in self.members.values():
            for name, found in owned.items():
                for row in found:
                    if row.qualname.rsplit("::", 1)[0] in traits:
                        self.trait_members.setdefault(row.self_type, {}).setdefault(
                            name, []).append(row)

    def _add(self, row: NameRow) -> None:
        self.by_name.setdefault(row.name, []).append(row)
        self.crate_names.setdefault(row.crate, set()).add(row.name)
        self.crate_version.setdefault(row.crate, row.version)
        if row.kind in TYPE_KINDS and not (row.kind == "type" and row.self_type):
            self.types.setdefault(row.name, []).append(row)
            for derived in row.derives:
                self.traits_of.setdefault(row.name, set()).add(derived.rsplit("::", 1)[-1])
        elif row.kind == "impl" and row.trait_name:
            trait = row.trait_name.rsplit("::", 1)[-1]
            if row.self_type in _params(row.generics):  # impl<T: Display> ToString for T
                if trait not in OPAQUE_TRAITS:  # std's `impl<T: ..> Deref for T` are bounded
                    self.blanket.add(trait)
            elif row.self_type:
                self.traits_of.setdefault(row.self_type, set()).add(trait)
        elif row.kind in MEMBER_KINDS and row.self_type:
            if row.kind == "type" and row.name == "Target" and row.trait_name.endswith("Deref"):
                self.deref_target[row.self_type] = deref_base(row.signature)
            self.members.setdefault(row.self_type, {}).setdefault(row.name, []).append(row)

    # -- facts ------------------------------------------------------------------------------
    @property
    def has_std(self) -> bool:
        """Whether std is described at all (its rustdoc, or its indexed sources)."""
        return self.std is not None or bool(self.std_index)

    def crate_names_of(self, crate: str) -> set[str]:
        """The names a crate path may reach (``std::`` reaches core's and alloc's re-exports)."""
        if crate in STD_CRATES and self.std_index:
            return set().union(*(self.crate_names.get(c, set()) for c in STD_CRATES))
        return self.crate_names.get(crate, set())

    def is_type(self, name: str) -> bool:
        return name in self.types or (self.std is not None and name in self.std.types)

    def type_sources(self, name: str, crate: str = "") -> list[str]:
        out = sorted({r.source for r in self.types.get(name, ()) if not crate or r.crate == crate})
        if not crate and self.std is not None and name in self.std.types:
            out.append(self.std.label)
        return out

    def method_names(self) -> set[str]:
        """Every member name of any type (index or std): built once per table."""
        if self._method_names is None:
            names = {m for owned in self.members.values() for m in owned}
            if self.std is not None:
                names.update(m for owned in self.std.types.values() for m in owned)
            self._method_names = names
        return self._method_names

    def macro_names(self) -> set[str]:
        names = {n for n, rows in self.by_name.items() if any(r.kind == "macro" for r in rows)}
        return names | (self.std.macros if self.std is not None else set())

    def owners_of(self, member: str) -> list[str]:
        """``Owner::member`` for every type (index or std) that has ``member``."""
        out = [f"{owner}::{member}" for owner, owned in self.members.items() if member in owned]
        if self.std is not None:
            out += [f"{owner}::{member}" for owner, owned in self.std.types.items()
                    if member in owned]
        # The types answers mean most often first (`f64::sqrt` before the unstable `f16::sqrt`).
        return sorted(set(out), key=lambda o: (o.split("::")[0] not in COMMON_OWNERS, o))

    def fields(self, type_name: str) -> set[str] | None:
        """Field and variant names of the index's ``type_name`` (None: not a struct/enum here)."""
        if type_name not in self._fields:
            from ..parse.answer_text import definition_members

            rows = [r for r in self.types.get(type_name, ()) if r.kind in ("struct", "enum",
                                                                         "union")]
            self._fields[type_name] = set().union(*(
                definition_members(self._definition_text(r.id)) for r in rows)) if rows else None
        return self._fields[type_name]

    # -- lookups -----------------------------------------------------------------------------
    def member(self, owner: str, name: str, crate: str = "", depth: int = 0) -> Lookup:
        """Whether ``owner::name`` (or ``value_of_owner.name()``) exists; a method call also
        reaches the members of the ``Deref`` target (``depth`` bounds that chain)."""
        defs = [r for r in self.types.get(owner, ()) if not crate or r.crate == crate]
        std_members = self.std.types.get(owner) if self.std is not None and not crate else None
        sources = sorted({r.source for r in defs}) + ([self.std.label] if std_members else [])
        own = self.members.get(owner, {})
        rows = [r for r in own.get(name, ()) if not crate or r.crate == crate or not r.version]
        if rows or (std_members and name in std_members):
            return Lookup(True, sources, rows=rows)
        if not defs and not std_members:
            return Lookup(None)  # not a type anything here describes
        traits = set(self.traits_of.get(owner, ())) | self.blanket | set(STD_BLANKET)
        for trait in traits:
            if name in self.trait_members.get(trait, {}):
                return Lookup(True, sources, rows=self.trait_members[trait][name])
            if self.std is not None and name in self.std.types.get(trait, ()):
                return Lookup(True, sources)
        unknown = [t for t in traits - set(STD_BLANKET) if t not in self.types
                   and (self.std is None or t not in self.std.types)]
        target = self.deref_target.get(owner)
        through = Lookup(None)
        if target and depth < 3:
            through = self.member(target, name, "", depth + 1)
            if through.found is not False:
                return Lookup(through.found, sources, rows=through.rows)
            sources = sources + [s for s in through.sources if s not in sources]
        elif traits & OPAQUE_TRAITS:
            return Lookup(None, sources)  # a Deref whose target the index does not show
        if unknown:
            return Lookup(None, sources)
        fields = self.fields(owner) if defs else None
        if fields and name in fields:
            return Lookup(True, sources)
        candidates = set(own) | (fields or set()) | (std_members or set())
        for trait in traits - set(STD_BLANKET):
            candidates |= set(self.trait_members.get(trait, ()))
        return Lookup(False, sources, sorted(f"{owner}::{c}" for c in candidates) +
                      through.candidates)


def deref_base(signature: str) -> str:
    """``type Target = [u8]`` -> ``slice``; ``type Target = Vec<u8>`` -> ``Vec``."""
    target = signature.split("=", 1)[-1].strip().rstrip(";").strip()
    if target.startswith("["):
        return "slice"
    return target.split("<", 1)[0].rsplit("::", 1)[-1].strip()


def _params(generics: str) -> set[str]:
    """The type parameters of ``<T: Clone, 'a, U>``."""
    inner = generics.strip()[1:-1] if generics.strip().startswith("<") else ""
    out, depth, part = set(), 0, ""
    for ch in inner + ",":
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            head = part.strip().split(":", 1)[0].strip()
            if head and not head.startswith("'") and not head.startswith("const "):
                out.add(head)
            part = ""
        else:
            part += ch
    return out
