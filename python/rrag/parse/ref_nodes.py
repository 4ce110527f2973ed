"""Parse layer: classifying the nodes the reference query captured (rrag.parse.refs).

Use trees flattened into (path, alias) leaves; a type name told apart as a plain use, a
generic bound or a supertrait from its parents. Pure functions over tree-sitter nodes.
"""

from __future__ import annotations

import re
from typing import Any

_SKIP_TYPES = frozenset(("Self",))
_NAMED_ITEMS = frozenset(("struct_item", "enum_item", "union_item", "trait_item", "type_item",
                          "associated_type"))


def _text(node: Any) -> str:
    # Identifiers may hold any bytes in a damaged file: never let one stop the whole file.
    return node.text.decode("utf-8", "replace")


def flatten_use(node: Any, prefix: str, out: list[tuple[str, str]]) -> None:
    kind = node.type
    text = node.text.decode("utf-8", "replace") if kind != "use_list" else ""
    if kind in ("identifier", "scoped_identifier", "crate", "self", "super", "metavariable"):
        out.append((f"{prefix}{text}", ""))
    elif kind == "use_as_clause":
        path = node.child_by_field_name("path")
        alias = node.child_by_field_name("alias")
        out.append((f"{prefix}{_text(path)}", _text(alias) if alias else ""))
    elif kind == "use_wildcard":
        out.append((f"{prefix}{text}", ""))
    elif kind == "use_list":
        for child in node.named_children:
            flatten_use(child, prefix, out)
    elif kind == "scoped_use_list":
        path = node.child_by_field_name("path")
        inner = f"{prefix}{_text(path)}::" if path is not None else prefix
        lst = node.child_by_field_name("list")
        if lst is not None:
            flatten_use(lst, inner, out)


def type_ref(node: Any, name: str, owner_kind: str) -> tuple[str, str] | None:
    parent = node.parent
    if parent is not None and parent.type == "scoped_type_identifier" and name == "type":
        return None
    if parent is not None and parent.type in _NAMED_ITEMS:
        name_node = parent.child_by_field_name("name")
        if name_node is not None and name_node.id == node.id:
            return None
    text = _text(node)
    if text in _SKIP_TYPES or owner_kind == "impl":
        return None
    in_bound = _in_bounds(node)
    if in_bound == "skip":
        return None
    if in_bound == "super":
        return ("super", text)
    return ("bound" if in_bound else "type", text)


def _in_bounds(node: Any) -> str:
    """"super" for a trait's supertrait list, "bound" inside generic bounds, "" otherwise."""
    cur = node.parent
    if cur is not None and cur.type in ("constrained_type_parameter", "type_parameter",
                                        "where_predicate", "optional_type_parameter") \
            and cur.named_child_count and cur.named_children[0].id == node.id:
        return "skip"
    depth = 0
    while cur is not None and depth < 8:
        kind = cur.type
        if kind == "trait_bounds":
            holder = cur.parent
            return "super" if holder is not None and holder.type == "trait_item" else "bound"
        if kind in ("where_clause", "type_parameters"):
            return "bound"
        if kind in ("function_item", "struct_item", "impl_item", "block", "field_declaration",
                    "parameters", "let_declaration", "enum_item", "trait_item"):
            return ""
        cur = cur.parent
        depth += 1
    return ""


def const_path(node: Any) -> str:
    """``MAX`` or ``Self::MAX`` / ``consts::MAX`` as read; "" where the name is not a read."""
    parent = node.parent
    if parent is None:
        return ""
    kind = parent.type
    if kind == "scoped_identifier":
        if parent.child_by_field_name("name") != node:
            return ""
        outer = parent.parent
        if outer is not None and outer.type in ("scoped_identifier", "use_declaration",
                                                "scoped_use_list", "use_as_clause", "use_list"):
            return ""
        text = _text(parent)
        # `Date::<Utc>::MAX_UTC`: the type's arguments do not name anything.
        return _GENERIC_ARGS.sub("", text) if "<" in text else text
    if kind in _NOT_READS:
        return ""
    if kind == "tuple_struct_pattern" and parent.child_by_field_name("type") == node:
        return ""  # `FOO(x) =>`: a tuple struct or variant; `Some(FOO)` is a const read
    return _text(node)


_GENERIC_ARGS = re.compile(r"::<[^<>]*(?:<[^<>]*>[^<>]*)*>")
_NOT_READS = frozenset((
    "const_item", "static_item", "enum_variant", "function_item", "let_declaration",
    "parameter", "macro_invocation", "use_declaration", "scoped_use_list", "use_as_clause",
    "use_list", "attribute", "macro_definition", "call_expression",
    "closure_parameters", "mod_item", "const_parameter", "field_pattern", "token_tree",
))
