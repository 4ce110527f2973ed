"""Graph layer: receiver types that follow declared return types (issue 18).

The extractor describes a receiver it cannot name directly (rrag.parse.receivers):
``["c", path]`` the return of a call, ``["m", desc, name]`` of a method, ``["f", desc, name]``
a field, ``["u", desc]`` the payload of an Option/Result (``?``, ``.unwrap()``, ``Some(x)``),
``["i", desc]`` the item of an iterator. Here, with the crate's items known, a description is
evaluated to a written type and the item it is written in (``TypeRef``), step by step, from
the signatures stored with the items, until a type item of the index is named. Anything that
leaves the index (std types other than the wrappers below) ends the walk: the call is then kept
unresolved with its candidates, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from ..store.edges import GraphItem
from .symbols import TYPE_KINDS, Symbols

# Types whose first type argument is what `?`, `.unwrap()` and `Some(x)` / `Ok(x)` give.
PAYLOAD = frozenset(("Option", "Result", "Box", "Rc", "Arc", "Poll", "LockResult"))
# Types iterated by `for x in` whose first type argument is the item.
SEQUENCES = frozenset(("Option", "Vec", "VecDeque", "HashSet", "BTreeSet", "BinaryHeap",
                       "LinkedList", "Box", "IntoIter", "Iter"))
MAX_STEPS = 16
_TURBOFISH = re.compile(r"::<.*$")


@dataclass(slots=True)
class TypeRef:
    """A type as written (``Option<Captures<'t>>``), in the item whose scope names it, and
    what ``Self`` stands for there when the walk knows it (a method's receiver type)."""

    text: str
    scope: GraphItem
    self_item: GraphItem | None = None


def return_type(signature: str) -> str:
    """``fn f(&self) -> Option<X> where ..`` -> ``Option<X>``; "" without one."""
    depth, i, n = 0, 0, len(signature)
    while i < n:
        ch = signature[i]
        if ch in "(<[":
            depth += 1
        elif ch in ")>]":
            depth -= 1
        elif ch == "-" and depth == 0 and signature.startswith("->", i):
            out = signature[i + 2:]
            cut = out.find(" where ")
            return (out[:cut] if cut >= 0 else out).strip()
        i += 1
    return ""


def _aliased(signature: str) -> str:
    """``type A<T = u8> = B<T>;`` -> ``B<T>``: the text after the ``=`` outside brackets."""
    depth = 0
    for n, ch in enumerate(signature):
        depth += ch in "<(["
        depth -= ch in ">)]"
        if ch == "=" and depth == 0:
            return signature[n + 1:].strip().rstrip(";").strip()
    return ""


def split_type(text: str) -> tuple[str, list[str]]:
    """``&'a mut a::B<'t, C<D>, E>`` -> (``a::B``, [``C<D>``, ``E``]): lifetimes dropped."""
    text = text.strip()
    while True:
        if text.startswith("&"):
            text = text[1:].lstrip()
            if text.startswith("'"):
                text = text.split(None, 1)[1] if " " in text else ""
            if text.startswith("mut "):
                text = text[4:]
            continue
        for prefix in ("dyn ", "impl ", "mut "):
            if text.startswith(prefix):
                text = text[len(prefix):].lstrip()
                break
        else:
            break
    lt = text.find("<")
    if lt < 0:
        return text.split("+")[0].strip(), []
    head, inner = text[:lt].strip(), text[lt + 1:text.rfind(">")]
    args, depth, buf = [], 0, ""
    for ch in inner:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            args.append(buf.strip())
            buf = ""
        else:
            buf += ch
    args.append(buf.strip())
    return head, [a for a in args if a and not a.startswith("'")]


class ResolverView(Protocol):
    """What a type walk asks of the crate's resolver (``graph.resolve.Resolver``): written
    here, not imported, because the resolver owns a ``TypeFlow``."""

    s: Symbols
    field_types: dict[str, dict[str, GraphItem]]

    def self_type(self, owner: GraphItem) -> GraphItem | None: ...

    def generics_in_scope(self, owner: GraphItem) -> frozenset[str]: ...

    def method_of(self, type_item: GraphItem, name: str) -> list[GraphItem]: ...

    def self_methods(self, owner: GraphItem,
                     name: str) -> tuple[list[GraphItem], GraphItem | None]: ...

    def receiver_type(self, owner: GraphItem, receiver: str) -> GraphItem | None: ...


class TypeFlow:
    def __init__(self, resolver: ResolverView) -> None:
        self.r = resolver
        self._returns: dict[str, str] = {}

    def returns(self, fn: GraphItem) -> str:
        found = self._returns.get(fn.id)
        if found is None:
            found = self._returns[fn.id] = return_type(fn.signature)
        return found

    def type_item(self, owner: GraphItem, desc: Any) -> GraphItem | None:
        """The type item of the index a receiver description names, or None."""
        found = self._eval(owner, desc, [MAX_STEPS])
        if isinstance(found, TypeRef):
            return self._resolve(found)
        return found

    # -- evaluation ---------------------------------------------------------------------
    def _eval(self, owner: GraphItem, desc: Any, steps: list[int]) -> TypeRef | GraphItem | None:
        steps[0] -= 1
        if steps[0] < 0 or not desc:
            return None
        if isinstance(desc, str):
            return self.r.receiver_type(owner, desc)
        op = desc[0]
        if op == "c" and len(desc) == 2:
            return self._call(owner, desc[1])
        inner = self._eval(owner, desc[1], steps) if len(desc) > 1 else None
        if inner is None:
            return None
        if op == "u":
            return self._arg(inner, PAYLOAD) if isinstance(inner, TypeRef) else None
        if op == "i":
            return self._item_of(inner, steps)
        base = self._resolve(inner) if isinstance(inner, TypeRef) else inner
        if base is None or len(desc) < 3:
            return None
        if op == "m":
            found = self.r.method_of(base, desc[2])
            if len(found) == 1 and found[0].signature:
                ret = self.returns(found[0])
                return TypeRef(ret, found[0], base) if ret else None
            return None
        if op == "f":
            return self.r.field_types.get(base.id, {}).get(desc[2])
        return None

    def call_target(self, owner: GraphItem, callee: str) -> tuple[GraphItem | None,
                                                                   GraphItem | None]:
        """The one function a call path names (and the type ``Self`` is there), or None."""
        callee = _TURBOFISH.sub("", callee)
        if callee.startswith("Self::"):
            found, self_type = self.r.self_methods(owner, callee[6:])
            return (found[0], self_type) if len(found) == 1 else (None, None)
        head, _, last = callee.rpartition("::")
        if head:
            prefix, _ = self.r.s.resolve(self.r.s.scope(owner), head)
            if prefix is not None and prefix.kind in TYPE_KINDS:
                found = self.r.method_of(prefix, last)
                return (found[0], prefix) if len(found) == 1 else (None, None)
        target, _ = self.r.s.resolve(self.r.s.scope(owner), callee)
        return ((target, None) if target is not None and target.kind in ("function", "method")
                else (None, None))

    def _call(self, owner: GraphItem, path: str) -> TypeRef | GraphItem | None:
        target, self_item = self.call_target(owner, path)
        if target is not None:
            ret = self.returns(target)
            return TypeRef(ret, target, self_item) if ret else None
        head = path.rpartition("::")[0]
        if head and head.rsplit("::", 1)[-1][:1].isupper():
            return TypeRef(head, owner)  # `T::new(..)` of a type outside the index: a T
        return None

    def _arg(self, ref: TypeRef, heads: frozenset[str]) -> TypeRef | None:
        head, args = split_type(ref.text)
        if head.rsplit("::", 1)[-1] in heads and args:
            return TypeRef(args[0], ref.scope, ref.self_item)
        return None

    def _item_of(self, inner: TypeRef | GraphItem, steps: list[int]) -> TypeRef | None:
        if isinstance(inner, TypeRef):
            text = inner.text.strip().lstrip("&").strip()
            if text.startswith("[") and text.endswith("]"):
                return TypeRef(text[1:-1].split(";")[0], inner.scope, inner.self_item)
            head, args = split_type(text)
            if head.rsplit("::", 1)[-1] in ("Iterator", "IntoIterator", "DoubleEndedIterator"):
                for arg in args:
                    if arg.startswith("Item") and "=" in arg:
                        return TypeRef(arg.split("=", 1)[1].strip(), inner.scope,
                                       inner.self_item)
            found = self._arg(inner, SEQUENCES)
            if found is not None:
                return found
            item = self._resolve(inner)
        else:
            item = inner
        if item is None:
            return None
        # An `impl Iterator for T { type Item = X; }` of the index.
        for assoc in self.r.s.members(item).get("Item", []):
            if assoc.kind == "type" and "=" in assoc.signature:
                return TypeRef(assoc.signature.split("=", 1)[1].strip().rstrip(";"), assoc,
                               item)
        return None

    def _resolve(self, ref: TypeRef, aliases: int = 4) -> GraphItem | None:
        head, _ = split_type(ref.text)
        if not head:
            return None
        if head == "Self":
            return ref.self_item or self.r.self_type(ref.scope)
        if head.split("::")[0] in self.r.generics_in_scope(ref.scope):
            return None
        target, _ = self.r.s.resolve(self.r.s.scope(ref.scope), head)
        if target is None or target.kind not in TYPE_KINDS:
            return None
        aliased = _aliased(target.signature)
        if target.kind == "type" and aliased and aliases > 0:
            # `type Command<'help> = App<'help>`: the methods are the aliased type's.
            return self._resolve(TypeRef(aliased, target), aliases - 1) or target
        return target
