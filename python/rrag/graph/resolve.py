"""Graph layer: raw references -> typed edges (calls, uses_type, imports, bounds, macros...).

Works on the symbol tables of ``rrag.graph.symbols``. Associated items are indexed by the
*resolved* self type of each impl, so ``Type::assoc()``, ``Self::x()`` and method calls on a
receiver of known type (``self``, ``self.field``, typed parameters, annotated locals,
constructor results, all recorded by the extractor) find the right method even when two types
share a method name. An undecidable call is kept with its candidates (target NULL), never
guessed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from ..store.edges import EdgeRow, GraphItem
from .receiver import TypeFlow
from .symbols import MODULE_KINDS, TYPE_KINDS, Symbols

CALLABLE = frozenset(("function", "method"))
CONSTS = frozenset(("const", "static"))
_GENERIC_NAME = re.compile(r"(?:^|[<,])\s*(?:const\s+)?([A-Za-z_]\w*)")
# Constructors of the prelude's enums are calls to variants, not to functions.
_VARIANTS = frozenset(("Some", "Ok", "Err", "None"))


def generic_names(generics: str) -> set[str]:
    depth, top, buf = 0, [], ""
    for ch in generics:
        if ch == "<":
            depth += 1
            if depth == 1:
                continue
        elif ch == ">":
            depth -= 1
        if depth == 1 and ch == ",":
            top.append(buf)
            buf = ""
        elif depth >= 1:
            buf += ch
    top.append(buf)
    out = set()
    for part in top:
        part = part.strip().removeprefix("const ").strip()
        if part and not part.startswith("'"):
            out.add(re.split(r"[\s:=]", part, maxsplit=1)[0])
    return out


class Resolver:
    def __init__(self, symbols: Symbols, items: list[GraphItem],
                 fields: dict[str, dict[str, str]],
                 supers: dict[str, list[str]] | None = None) -> None:
        """``supers``: trait id -> its supertraits as written (``trait A: B + C``)."""
        self.s = symbols
        self.supers_written = supers or {}
        self._supers: dict[str, list[GraphItem]] = {}
        self.flow = TypeFlow(self)
        self.items = items
        # Method name -> crate -> qualified names: a call on a receiver of unknown type lists
        # the methods of that name its crate can see, and a registry-sized index has
        # thousands of `new` or `len`; walking crates, not items, keeps that cheap.
        self.methods_by_name: dict[str, dict[str, list[str]]] = defaultdict(dict)
        for it in items:
            if it.kind == "method":
                self.methods_by_name[it.name].setdefault(it.crate, []).append(it.qualname)
        self.traits_of: dict[str, list[GraphItem]] = defaultdict(list)
        self.impl_target: dict[str, GraphItem] = {}
        assoc: dict[str, dict[str, list[GraphItem]]] = defaultdict(dict)
        children: dict[str, list[GraphItem]] = defaultdict(list)
        for it in items:
            if it.parent:
                children[it.parent].append(it)
        for it in items:
            if it.kind == "trait":
                for child in children[it.id]:
                    assoc[it.id].setdefault(child.name, []).append(child)
        symbols.assoc = assoc
        for it in items:
            if it.kind != "impl":
                continue
            target, _ = symbols.resolve(symbols.home(it), it.self_type)
            if target is None or target.kind not in TYPE_KINDS:
                continue
            self.impl_target[it.id] = target
            for child in children[it.id]:
                assoc[target.id].setdefault(child.name, []).append(child)
            if it.trait_name:
                trait, _ = symbols.resolve(symbols.home(it), it.trait_name)
                if trait is not None and trait.kind == "trait":
                    self.traits_of[target.id].append(trait)
        # `#[derive(Parser)]` implements the trait as an impl block would: `Args::parse()`
        # and `settings.clone()` reach the trait's methods.
        for it in items:
            if it.derives and it.kind in TYPE_KINDS:
                for derive in it.derives:
                    trait, _ = symbols.resolve(symbols.home(it), derive)
                    if trait is not None and trait.kind == "trait" and \
                            trait not in self.traits_of[it.id]:
                        self.traits_of[it.id].append(trait)
        # Field types of each struct: name -> resolved type item.
        self.field_types: dict[str, dict[str, GraphItem]] = defaultdict(dict)
        for struct_id, names in fields.items():
            struct = symbols.by_id.get(struct_id)
            if struct is None:
                continue
            for name, written in names.items():
                target, _ = symbols.resolve(symbols.home(struct), written)
                if target is not None:
                    self.field_types[struct_id][name] = target
        symbols.freeze()
        self._generics: dict[str, frozenset[str]] = {}
        self._by_name_from: dict[tuple[str, str], str] = {}  # (method, crate) -> candidates JSON

    # -- helpers -----------------------------------------------------------------------
    def self_type(self, owner: GraphItem) -> GraphItem | None:
        cur: GraphItem | None = owner
        while cur is not None:
            if cur.kind == "impl":
                return self.impl_target.get(cur.id)
            if cur.kind == "trait":
                return cur
            cur = self.s.by_id.get(cur.parent) if cur.parent else None
        return None

    def generics_in_scope(self, owner: GraphItem) -> frozenset[str]:
        names = self._generics.get(owner.id)
        if names is None:
            found: set[str] = set()
            cur: GraphItem | None = owner
            while cur is not None and cur.kind not in MODULE_KINDS:
                if cur.generics:
                    found |= generic_names(cur.generics)
                cur = self.s.by_id.get(cur.parent) if cur.parent else None
            names = self._generics[owner.id] = frozenset(found)
        return names

    def method_of(self, type_item: GraphItem, name: str) -> list[GraphItem]:
        found = self.s.members(type_item).get(name, [])
        found = [f for f in found if f.kind in CALLABLE]
        if len(found) > 1 and all(f.qualname == found[0].qualname for f in found):
            return found[:1]  # cfg alternatives of one method (wasm / unix / ...): one item
        if found:
            return found
        traits = self.supertraits(type_item) if type_item.kind == "trait" else \
            [t for trait in self.traits_of.get(type_item.id, []) for t in
             (trait, *self.supertraits(trait))]
        out: list[GraphItem] = []
        seen: set[str] = set()
        for trait in traits:
            if trait.id not in seen:
                seen.add(trait.id)
                out += [m for m in self.s.members(trait).get(name, []) if m.kind in CALLABLE]
        return out

    def supertraits(self, trait: GraphItem) -> list[GraphItem]:
        """The traits ``trait`` inherits from, transitively (a default method may call any
        of their methods on ``self``)."""
        found = self._supers.get(trait.id)
        if found is None:
            self._supers[trait.id] = []  # a cycle (invalid Rust) stops here
            out: list[GraphItem] = []
            for written in self.supers_written.get(trait.id, ()):
                target, _ = self.s.resolve(self.s.home(trait), written)
                if target is not None and target.kind == "trait" and target not in out:
                    out += [target, *(t for t in self.supertraits(target) if t not in out)]
            found = self._supers[trait.id] = out
        return found

    def self_methods(self, owner: GraphItem, name: str) -> tuple[list[GraphItem], GraphItem | None]:
        """``Self::name`` in ``owner``: the enclosing impl's own item, else the type's, else
        the implemented trait's (a default method the impl does not override), with the
        type ``Self`` stands for."""
        cur: GraphItem | None = owner
        while cur is not None and cur.kind not in ("impl", "trait"):
            cur = self.s.by_id.get(cur.parent) if cur.parent else None
        if cur is None:
            return [], None
        self_type = self.impl_target.get(cur.id) if cur.kind == "impl" else cur
        found = self.method_of(self_type, name) if self_type is not None else []
        if len(found) != 1 and cur.kind == "impl" and cur.trait_name:
            trait, _ = self.s.resolve(self.s.home(cur), cur.trait_name)
            if trait is not None and trait.kind == "trait":
                own = [m for m in found if m.parent == cur.id]
                found = own or self.method_of(trait, name) or found
        return found, self_type

    def receiver_type(self, owner: GraphItem, receiver: str) -> GraphItem | None:
        """The type a receiver written as a string names: "Self", "Self.field", a path."""
        if receiver == "Self" or receiver.startswith("Self."):
            recv_type = self.self_type(owner)
            if recv_type is not None and receiver.startswith("Self."):
                recv_type = self.field_types.get(recv_type.id, {}).get(receiver[5:])
            return recv_type
        if receiver and receiver.split("::")[0] not in self.generics_in_scope(owner):
            target, _ = self.s.resolve(self.s.scope(owner), receiver)
            return target if target is not None and target.kind in TYPE_KINDS else None
        return None

    # -- one reference -> at most one edge ------------------------------------------------
    def edge(self, ref: list, owner: GraphItem, path: str) -> EdgeRow | None:
        kind, _, a, b, line = ref[:5]
        module = self.s.scope(owner)
        if kind == "call":
            return self._call(owner, a, path, line)
        if kind == "mcall":
            return self._method_call(owner, a, b, path, line)
        if kind == "const":
            return self._const(owner, a, path, line)
        if kind == "tcall" or kind == "tmcall":  # a doc test: only what it reaches in the index
            row = self._call(owner, a, path, line) if kind == "tcall" else \
                self._method_call(owner, a, b, path, line)
            return ("tests", *row[1:]) if row is not None and row[2] is not None else None
        if kind in ("type", "bound", "super"):
            if a.split("::")[0] in self.generics_in_scope(owner):
                return None
            if a.startswith("Self::"):
                return None
            target, written = self.s.resolve(module, a)
            edge_kind = {"type": "uses_type", "bound": "trait_bound", "super": "inherits"}[kind]
            if target is not None and target.kind in MODULE_KINDS:
                return None
            return self._row(edge_kind, owner, target, written, path, line)
        if kind == "use":
            target, written = self.s.resolve(module, a[:-3] if a.endswith("::*") else
                                             a[:-6] if a.endswith("::self") else a)
            return self._row("imports", owner, target, written, path, line)
        return None

    def _row(self, kind: str, owner: GraphItem, target: GraphItem | None, written: str,
             path: str, line: int, candidates: list[str] | None = None) -> EdgeRow:
        if target is not None:
            return (kind, owner.id, target.id, target.qualname, path, line, None)
        return (kind, owner.id, None, written, path, line,
                json.dumps(candidates) if candidates else None)

    def _call(self, owner: GraphItem, callee: str, path: str, line: int) -> EdgeRow | None:
        callee = re.sub(r"::<.*$", "", callee)
        if callee in _VARIANTS:
            return None
        if callee.startswith("Self::"):
            found, self_type = self.self_methods(owner, callee[6:])
            if len(found) == 1:
                return self._row("calls", owner, found[0], "", path, line)
            if self_type is None:
                return None
            return self._row("calls", owner, None, f"{self_type.qualname}::{callee[6:]}", path,
                             line, [f.qualname for f in found])
        head, _, last = callee.rpartition("::")
        if head:
            prefix, prefix_written = self.s.resolve(self.s.scope(owner), head)
            if prefix is not None and prefix.kind in TYPE_KINDS:
                found = self.method_of(prefix, last)
                if len(found) == 1:
                    return self._row("calls", owner, found[0], "", path, line)
                if prefix.kind == "enum" and not found:
                    return None  # a variant constructor
                return self._row("calls", owner, None, f"{prefix.qualname}::{last}", path, line,
                                 [f.qualname for f in found])
        target, written = self.s.resolve(self.s.scope(owner), callee)
        if target is not None:
            if target.kind not in CALLABLE:
                return None  # tuple-struct constructors and the like
            return self._row("calls", owner, target, "", path, line)
        if not head and last[:1].isupper():
            return None
        return self._row("calls", owner, None, written, path, line)

    def _const(self, owner: GraphItem, written: str, path: str, line: int) -> EdgeRow | None:
        """A SCREAMING_CASE read: an edge only when it names a const or static of the index
        (an unresolved one may as well be an enum variant or a std constant)."""
        if written.startswith("Self::"):
            self_type = self.self_type(owner)
            found = [m for m in self.s.members(self_type).get(written[6:], [])
                     if m.kind in CONSTS] if self_type is not None else []
            target = found[0] if len(found) == 1 else None
        elif written.split("::")[0] in self.generics_in_scope(owner):
            return None
        else:
            target, _ = self.s.resolve(self.s.scope(owner), written)
        if target is None or target.kind not in CONSTS or target.id == owner.id:
            return None
        return self._row("uses_const", owner, target, "", path, line)

    def _method_call(self, owner: GraphItem, receiver: Any, name: str, path: str,
                     line: int) -> EdgeRow | None:
        recv_type = self.receiver_type(owner, receiver) if isinstance(receiver, str) else \
            self.flow.type_item(owner, receiver)
        if recv_type is not None:
            found = self.method_of(recv_type, name)
            if len(found) == 1:
                return self._row("calls", owner, found[0], "", path, line)
            if found:
                return self._row("calls", owner, None, f"{recv_type.qualname}::{name}", path,
                                 line, [f.qualname for f in found])
            return None  # a method from outside the index (std trait, deref target)
        key = (name, owner.crate)
        candidates = self._by_name_from.get(key)
        if candidates is None:  # the same method names recur all over a crate
            allowed = self.s.externs.get(owner.crate)
            found = sorted(qualname for crate, names in self.methods_by_name.get(name, {}).items()
                           if crate == owner.crate or allowed is None or crate in allowed
                           for qualname in names)
            candidates = self._by_name_from[key] = json.dumps(found) if found else ""
        if not candidates:
            return None
        return ("calls", owner.id, None, name, path, line, candidates)
