"""Parse layer: the item walker — one tree-sitter tree -> ``Item`` and ``ModDecl`` lists.

Items only live at item level: the file's top level, inline module bodies, impl and trait
bodies and ``extern`` blocks. The walk visits exactly those containers (an explicit stack, in
document order) and never descends into function bodies or expressions, which is what keeps
extraction a small fraction of the parse itself (bench/parse_extract.py measures it). Items
nested in a function body belong to that function's chunk.
"""

from __future__ import annotations

from typing import Any

from .model import Item, ModDecl
from .text import AttrInfo, SourceText, attribute_inner, collapse, comment_role, doc_text

# Node type -> item kind at module level (file, inline module, extern block).
MODULE_LEVEL = {
    "function_item": "function", "function_signature_item": "function",
    "struct_item": "struct", "enum_item": "enum", "union_item": "union",
    "trait_item": "trait", "impl_item": "impl", "mod_item": "module",
    "const_item": "const", "static_item": "static", "type_item": "type",
    "associated_type": "type", "macro_definition": "macro",
}
# Inside impl and trait bodies functions are methods.
ASSOC_LEVEL = {**MODULE_LEVEL, "function_item": "method", "function_signature_item": "method"}
GENERIC_KINDS = frozenset(("function", "method", "struct", "enum", "union", "trait", "impl",
                           "type"))
# A const or static value longer than this is left out of the signature (lookup tables).
SHORT_VALUE = 60
LEADING = ("attribute_item", "line_comment", "block_comment")
# Containers deeper than this (inline modules in inline modules ...) are left inside their
# parent's chunk: pathological inputs must not build quadratic name paths.
MAX_NESTING = 48


NO_ATTRS = AttrInfo()  # shared by the many items without docs or attributes: never mutated


class Scope:
    """Where a container's children go: their parent item, name path prefix, module."""

    __slots__ = ("parent", "prefix", "module_rel", "assoc", "self_type", "trait_name", "depth")

    def __init__(self, parent: int, prefix: str, module_rel: str, assoc: bool = False,
                 self_type: str = "", trait_name: str = "", depth: int = 0) -> None:
        self.parent = parent
        self.prefix = prefix
        self.module_rel = module_rel
        self.assoc = assoc
        self.self_type = self_type
        self.trait_name = trait_name
        self.depth = depth


def _text(src: SourceText, node: Any) -> str:
    return src.slice(node.start_byte, node.end_byte)


def _type_base(node: Any, src: SourceText) -> str:
    """``&'a mut crate::geo::Circle<T>`` -> ``Circle``, ``dyn Error + Send`` -> ``Error``;
    other types (slices, tuples...) as written."""
    start = node
    while node is not None:
        kind = node.type
        if kind in ("reference_type", "pointer_type", "generic_type"):
            node = node.child_by_field_name("type")
        elif kind == "scoped_type_identifier":
            node = node.child_by_field_name("name")
        elif kind == "dynamic_type":
            node = node.child_by_field_name("trait")
        elif kind == "bounded_type":  # dyn Error + Send + 'static
            node = node.named_child(0)
        else:
            return collapse(_text(src, node))
    return collapse(_text(src, start))


def _impl_names(node: Any, src: SourceText) -> tuple[str, str, str]:
    """(item name, self type base, trait as written without generic arguments)."""
    type_node = node.child_by_field_name("type")
    trait_node = node.child_by_field_name("trait")
    type_text = collapse(_text(src, type_node)) if type_node is not None else "?"
    self_type = _type_base(type_node, src) if type_node is not None else "?"
    if trait_node is None:
        return f"<impl {type_text}>", self_type, ""
    trait_text = collapse(_text(src, trait_node))
    base = trait_node.child_by_field_name("type") if trait_node.type == "generic_type" else None
    trait_name = collapse(_text(src, base)) if base is not None else trait_text
    negative = src.slice(node.start_byte, trait_node.start_byte).rstrip().endswith("!")
    bang = "!" if negative else ""
    return f"<impl {bang}{trait_text} for {type_text}>", self_type, trait_name


def _visibility(node: Any, data: bytes, start: int, src: SourceText) -> str:
    """``pub``, ``pub(crate)``, ``pub(in a::b)``; a plain ``pub`` is told from the bytes."""
    after = data[start + 3:start + 4]
    if after in (b" ", b"\t", b"\n"):
        return "pub"
    first = node.child(0)
    if first is None or first.type != "visibility_modifier":
        return ""
    return collapse(_text(src, first)).replace("( ", "(").replace(" )", ")")


def _signature(node: Any, body: Any, kind: str, name: str, src: SourceText) -> str:
    """The header without the body: what a caller needs to know to use the item."""
    start = node.start_byte
    if kind == "macro":
        return f"macro_rules! {name}"
    if body is not None and (kind != "struct" or body.type != "ordered_field_declaration_list"):
        head = src.slice(start, body.start_byte)
    elif kind == "const" or kind == "static":
        value = node.child_by_field_name("value")
        if value is not None and value.end_byte - value.start_byte > SHORT_VALUE:
            head = src.slice(start, value.start_byte).rstrip().rstrip("=")
        else:
            head = src.slice(start, node.end_byte)
    else:
        head = src.slice(start, node.end_byte)
    return collapse(head).rstrip(";").rstrip()


class Walker:
    """Collects items and mod declarations from one tree."""

    def __init__(self, src: SourceText, items: list[Item], decls: list[ModDecl]) -> None:
        self.src = src
        self.items = items
        self.decls = decls
        self.seen: dict[tuple[str, str], int] = {}
        # Item-level macro invocations with their scope, and macro_rules! definition nodes:
        # the input of macro expansion (rrag.parse.macros).
        self.invocations: list[tuple[Any, Scope]] = []
        self.definitions: list[Any] = []

    def walk(self, root: Any, file_item: Item, scope: Scope | None = None) -> None:
        # Frame: [children iterator, scope, pending leading doc/attr nodes, inner docs and
        # attributes seen in this body, the item they belong to (None: the parent frame's)]
        stack: list[list[Any]] = [
            [iter(root.named_children), scope or Scope(0, "", ""), [], AttrInfo(), file_item]]
        while stack:
            frame = stack[-1]
            child = next(frame[0], None)
            if child is None:
                stack.pop()
                if frame[4] is not None:
                    self._apply_inner(frame[4], frame[3])
                continue
            kind = child.type
            leading: list[Any] = frame[2]
            if kind in LEADING:
                if kind == "attribute_item":
                    leading.append((child, None))
                    continue
                text = _text(self.src, child)
                role = comment_role(text)
                if role == "outer":
                    leading.append((child, text))
                    continue
                if role == "inner":
                    frame[3].docs.append(doc_text(text))
                frame[2] = []
                continue
            frame[2] = []
            scope: Scope = frame[1]
            if kind == "inner_attribute_item":
                frame[3].add(attribute_inner(_text(self.src, child)))
            elif kind == "macro_invocation" or (
                    kind == "expression_statement" and child.named_child_count == 1
                    and child.named_child(0).type == "macro_invocation"):
                self.invocations.append((child, scope))
            elif kind == "ERROR" or kind == "foreign_mod_item":
                # Recovered items inside an error region, and extern blocks, belong to the
                # enclosing scope.
                body = child if kind == "ERROR" else child.child_by_field_name("body")
                if body is not None and scope.depth < MAX_NESTING:
                    inner = Scope(scope.parent, scope.prefix, scope.module_rel, scope.assoc,
                                  scope.self_type, scope.trait_name, scope.depth + 1)
                    stack.append([iter(body.named_children), inner, [], frame[3], None])
            else:
                item_kind = (ASSOC_LEVEL if scope.assoc else MODULE_LEVEL).get(kind)
                if kind == "macro_definition":
                    self.definitions.append(child)
                if item_kind is not None:
                    pushed = self._item(child, item_kind, scope, leading)
                    if pushed is not None:
                        stack.append(pushed)

    def _item(self, node: Any, kind: str, scope: Scope, leading: list[Any]) -> list[Any] | None:
        src = self.src
        data = src.data
        # Slicing is the hot spot: ASCII files (nearly all) slice the decoded text directly.
        text = src.text if src.ascii else None
        cut = src.slice
        start = node.start_byte
        end = node.end_byte
        body = node.child_by_field_name("body")
        self_type, trait_name = scope.self_type, scope.trait_name
        visibility = generics = ""
        if kind == "impl":
            name, self_type, trait_name = _impl_names(node, src)
        else:
            name_node = node.child_by_field_name("name")
            if name_node is not None:
                a, b = name_node.start_byte, name_node.end_byte
                name = (text[a:b] if text is not None else cut(a, b)) or "_"
            else:
                name = "_"
            if data.startswith(b"pub", start):
                visibility = _visibility(node, data, start, src)
        if kind in GENERIC_KINDS:
            params = node.child_by_field_name("type_parameters")
            if params is not None:
                generics = cut(params.start_byte, params.end_byte)
        first_line = node.start_point[0] + 1
        info = NO_ATTRS
        if leading:
            info = AttrInfo()
            for lead, comment in leading:
                if comment is None:
                    info.add(attribute_inner(cut(lead.start_byte, lead.end_byte)))
                else:
                    info.docs.append(doc_text(comment))
            first = leading[0][0]
            start = first.start_byte
            first_line = first.start_point[0] + 1
        name_path = scope.prefix + name
        key = (kind, name_path)
        ordinal = self.seen.get(key, 0)
        self.seen[key] = ordinal + 1
        assoc = kind == "impl" or scope.assoc
        row, col = node.end_point  # a node ending right after a newline ends on the line before
        # Positional: keyword matching of 20 fields costs three times the construction.
        item = Item(kind, name, name_path, scope.module_rel, start, end, first_line,
                    row if col == 0 and row >= first_line else row + 1,
                    text[start:end] if text is not None else cut(start, end),
                    _signature(node, body, kind, name, src),
                    "\n".join(info.docs), visibility,
                    tuple(info.attrs), tuple(info.derives), tuple(info.cfg), generics,
                    self_type if assoc else "", trait_name if assoc else "",
                    scope.parent, ordinal)
        index = len(self.items)
        self.items.append(item)
        if kind == "module":
            self.decls.append(ModDecl(name, body is not None, scope.module_rel, info.path,
                                      tuple(info.cfg), node.start_point[0] + 1, info.macro_use))
            if body is None or scope.depth >= MAX_NESTING:
                return None
            rel = f"{scope.module_rel}::{name}" if scope.module_rel else name
            inner = Scope(index, self._child_prefix(name_path, ordinal), rel,
                          depth=scope.depth + 1)
            return [iter(body.named_children), inner, [], AttrInfo(), item]
        if (kind == "impl" or kind == "trait") and body is not None \
                and scope.depth < MAX_NESTING:
            owner = self_type if kind == "impl" else name
            inner = Scope(index, self._child_prefix(name_path, ordinal), scope.module_rel,
                          assoc=True, self_type=owner,
                          trait_name=trait_name if kind == "impl" else "",
                          depth=scope.depth + 1)
            return [iter(body.named_children), inner, [], AttrInfo(), item]
        return None

    @staticmethod
    def _child_prefix(name_path: str, ordinal: int) -> str:
        # Two `impl Foo` blocks both defining `new`: the container's ordinal keeps them apart.
        return f"{name_path}#{ordinal}::" if ordinal else f"{name_path}::"

    @staticmethod
    def _apply_inner(item: Item, info: AttrInfo) -> None:
        if info.docs:
            item.docs = "\n".join(filter(None, [item.docs, *info.docs]))
        if info.attrs:
            item.attrs = item.attrs + tuple(info.attrs)
            item.cfg = item.cfg + tuple(info.cfg)
