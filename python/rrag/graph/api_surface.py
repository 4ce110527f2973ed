"""Graph layer: a crate version's public API surface, as the crate's users can name it.

From the items and ``use`` declarations of one cached crate version (``store.api_rows``): every
public item under each path a user can write (``semver::Version`` for a struct defined in
``semver::version`` and re-exported by ``pub use``), public modules walked, glob re-exports
followed. Members hang under their owner's path: inherent methods and associated items, trait
methods (marked required when they have no default body), public struct fields and enum
variants (read from the item's text with tree-sitter: they are not items of their own).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from ..parse.grammar import parse_tree
from ..store.api_rows import ApiRow, UseRow

MODULES = ("file", "module")
MEMBER_KINDS = ("method", "function", "const", "type")


@dataclass(frozen=True, slots=True)
class ApiEntry:
    """One thing a user of the crate can name: ``path`` is the public path (members:
    ``Owner::member``), ``qualname`` where it is defined, ``signature`` as written."""
    path: str
    kind: str  # struct, enum, fn, method, field, variant, trait_method, impl, ...
    qualname: str
    signature: str
    generics: str = ""
    docs: str = ""
    body: str = ""
    location: str = ""
    required: bool = False  # a trait method without a default body


def normalized(text: str) -> str:
    """A signature compared across versions: paths cut to their last segment (``fmt::Result``
    and ``std::fmt::Result`` are one type), ``pub`` dropped, whitespace collapsed."""
    text = re.sub(r"\bpub(\([^)]*\))?\s+", "", text)
    text = re.sub(r"\b(?:[A-Za-z_]\w*::)+(?=[A-Za-z_])", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s*([(),<>:;=&\[\]])\s*", r"\1", text)


class Surface:
    """path -> ApiEntry for one crate version; ``paths_of`` gives a qualname's public paths."""

    def __init__(self, crate: str, version: str, items: list[ApiRow], uses: list[UseRow]) -> None:
        self.crate, self.version = crate, version
        self.entries: dict[str, ApiEntry] = {}
        self.paths_of: dict[str, list[str]] = defaultdict(list)
        self.by_id = {it.id: it for it in items}
        self.children: dict[str, list[ApiRow]] = defaultdict(list)
        for it in items:
            if it.parent:
                self.children[it.parent].append(it)
        # A `mod x;` declaration and the file it names are two items of one module.
        self.module_ids: dict[str, list[str]] = defaultdict(list)
        for it in items:
            if it.kind in MODULES:
                self.module_ids[it.qualname].append(it.id)
        self.uses: dict[str, list[UseRow]] = defaultdict(list)
        for use in uses:
            self.uses[use.owner].append(use)
        self.impls_of = _impls_by_type(items)
        self._walked: set[tuple[str, str]] = set()
        self._walk(crate, crate)

    # -- the public module tree ---------------------------------------------------------
    def _walk(self, module: str, prefix: str) -> None:
        if (module, prefix) in self._walked or prefix.count("::") > 12:
            return
        self._walked.add((module, prefix))
        for mid in self.module_ids.get(module, ()):
            for child in self.children.get(mid, ()):
                if child.visibility != "pub" or child.kind == "impl":
                    continue
                if child.kind in MODULES:
                    self._walk(child.qualname, f"{prefix}::{child.name}")
                else:
                    self._add(f"{prefix}::{child.name}", child)
            for use in self.uses.get(mid, ()):
                if use.visibility != "pub":
                    continue
                if use.written.endswith("::*"):
                    target = self._module_named(use.written[:-3], module)
                    if target:
                        self._walk(target, prefix)
                    continue
                name = use.alias or use.written.rsplit("::", 1)[-1]
                row = self.by_id.get(use.target or "")
                if row is None:
                    found = self._module_named(use.written, module)
                    if found:
                        self._walk(found, f"{prefix}::{name}")
                elif row.kind in MODULES:
                    self._walk(row.qualname, f"{prefix}::{name}")
                else:
                    self._add(f"{prefix}::{name}", row)

    def _module_named(self, written: str, module: str) -> str | None:
        """The module a path in ``module`` names (``crate::x``, ``self::x``, ``super::x``, a
        relative ``x``), or None."""
        parts = written.split("::")
        if parts[0] == "crate":
            base = [self.crate]
            parts = parts[1:]
        elif parts[0] == self.crate:
            base = []
        else:
            base = module.split("::")
            while parts and parts[0] in ("self", "super"):
                if parts.pop(0) == "super":
                    base = base[:-1]
        candidate = "::".join(base + parts)
        return candidate if candidate in self.module_ids else None

    # -- entries ------------------------------------------------------------------------
    def _add(self, path: str, row: ApiRow) -> None:
        if path in self.entries or row.visibility != "pub":
            return  # (a `pub use` cannot make a `pub(crate)` item public)
        kind = "fn" if row.kind == "function" else row.kind
        self._put(path, kind, row, row.signature)
        if row.kind == "struct" or row.kind == "union":
            for name, text in struct_fields(row.text):
                self._put(f"{path}::{name}", "field", row, text)
        elif row.kind == "enum":
            for name, text in enum_variants(row.text):
                self._put(f"{path}::{name}", "variant", row, text)
        elif row.kind == "trait":
            for child in self.children.get(row.id, ()):
                if child.kind in MEMBER_KINDS:
                    self._put(f"{path}::{child.name}", "trait_" + child.kind, child,
                              child.signature, required=not child.text.rstrip().endswith("}"))
        for derive in row.derives:  # #[derive(PartialEq)] is an impl of the trait too
            self._put(f"{path}::<impl {normalized(derive)}>", "impl", row, f"#[derive({derive})]")
        for impl in self.impls_of.get(row.qualname, ()):
            if impl.trait_name:
                self._put(f"{path}::<impl {impl_trait(impl.signature, impl.trait_name)}>",
                          "impl", impl, impl.signature)
                continue
            for member in self.children.get(impl.id, ()):
                if member.visibility == "pub" and member.kind in MEMBER_KINDS:
                    self._put(f"{path}::{member.name}", member.kind, member, member.signature)

    def _put(self, path: str, kind: str, row: ApiRow, signature: str,
             required: bool = False) -> None:
        if path in self.entries:
            return
        self.entries[path] = ApiEntry(path, kind, row.qualname, signature, row.generics,
                                      row.docs, row.text, f"{row.path}:{row.start_line}",
                                      required)
        self.paths_of[row.qualname].append(path)


TYPE_KINDS = ("struct", "enum", "union", "trait", "type")


def _impls_by_type(items: list[ApiRow]) -> dict[str, list[ApiRow]]:
    """type qualname -> its impl blocks: the type of the impl's module by that name, else the
    crate's only type by that name (``impl Display for Version`` in a ``display`` module)."""
    types = {it.qualname for it in items if it.kind in TYPE_KINDS}
    by_name: dict[str, list[str]] = defaultdict(list)
    for qualname in types:
        by_name[qualname.rsplit("::", 1)[-1]].append(qualname)
    out: dict[str, list[ApiRow]] = defaultdict(list)
    for it in items:
        if it.kind != "impl" or not it.self_type:
            continue
        name = re.sub(r"<.*", "", it.self_type).rsplit("::", 1)[-1].strip()
        module = it.qualname.split("::<impl", 1)[0]
        owner = f"{module}::{name}"
        if owner not in types:
            found = by_name.get(name, [])
            if len(found) != 1:
                continue
            owner = found[0]
        out[owner].append(it)
    return out


def impl_trait(signature: str, trait_name: str) -> str:
    """``From<(u64,u64,u64)>`` for ``impl From<(u64, u64, u64)> for Version``: the trait with
    its arguments (a type may implement ``From`` several times), paths cut."""
    match = re.match(r"\s*(?:unsafe\s+)?impl\s*(?:<.*?>\s+)?(.+?)\s+for\s", signature)
    return normalized(match.group(1) if match else trait_name)


def _children_of(text: str, list_kind: str, item_kind: str) -> list:
    root = parse_tree(text.encode()).root_node
    stack, out = [root], []
    while stack:
        node = stack.pop()
        if node.type == list_kind:
            return [c for c in node.named_children if c.type == item_kind]
        stack.extend(reversed(node.named_children))
    return out


def struct_fields(text: str) -> list[tuple[str, str]]:
    """(name, ``name: Type``) of a struct's public named fields (tuple fields: ``0``, ``1``)."""
    out = []
    named = _children_of(text, "field_declaration_list", "field_declaration")
    for node in named:
        if node.children and node.children[0].type == "visibility_modifier" \
                and node.children[0].text == b"pub":
            name = node.child_by_field_name("name")
            kind = node.child_by_field_name("type")
            if name is not None and kind is not None:
                out.append((name.text.decode(), f"{name.text.decode()}: {kind.text.decode()}"))
    if not named:
        for n, node in enumerate(_children_of(text, "ordered_field_declaration_list",
                                              "visibility_modifier")):
            if node.text == b"pub":
                out.append((str(n), f"{n}"))
    return out


def enum_variants(text: str) -> list[tuple[str, str]]:
    """(name, the variant as written without attributes) of an enum's variants."""
    out = []
    for node in _children_of(text, "enum_variant_list", "enum_variant"):
        name = node.child_by_field_name("name")
        if name is not None:
            body = node.child_by_field_name("body")
            shown = name.text.decode() + (body.text.decode() if body is not None else "")
            out.append((name.text.decode(), shown))
    return out
