"""Parse layer: raw references of one file for the graph (uses, calls, types, bounds, macros).

Runs in the worker processes, on the tree the item walk already built, before item text is
dropped. One tree-sitter query (``queries/refs.scm``; its matching runs in C) finds the few
node kinds we need; each capture is attributed to the innermost item that contains it.
References are small tuples ``(kind, owner item index, a, b, line)``; names stay as written:
resolving them needs the whole crate, which only the writer process has (``rrag.graph``).

Kinds: use (a: path, b: alias, "pub" flag in the 6th slot), call (a: callee path), mcall
(a: receiver type or "Self" / "Self.field" / "", b: method name), type, bound, super, macro,
field (a: field name, b: type path).
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

from .model import Item

_QUERY_FILE = Path(__file__).with_name("queries") / "refs.scm"
_QUERY: Any = None
_SKIP_TYPES = frozenset(("Self",))
_NAMED_ITEMS = frozenset(("struct_item", "enum_item", "union_item", "trait_item", "type_item",
                          "associated_type"))


def _query() -> Any:
    global _QUERY
    if _QUERY is None:
        import tree_sitter
        import tree_sitter_rust

        _QUERY = tree_sitter.Query(tree_sitter.Language(tree_sitter_rust.language()),
                                   _QUERY_FILE.read_text(encoding="utf-8"))
    return _QUERY


def type_path(node: Any) -> str:
    """``&mut a::B<T>`` -> ``a::B``; "" for types that are not paths (tuples, slices...)."""
    while node is not None:
        kind = node.type
        if kind in ("reference_type", "pointer_type", "generic_type"):
            node = node.child_by_field_name("type")
        elif kind in ("type_identifier", "scoped_type_identifier", "identifier",
                      "scoped_identifier"):
            return node.text.decode("utf-8", "replace")
        else:
            return ""
    return ""


def _flatten_use(node: Any, prefix: str, out: list[tuple[str, str]]) -> None:
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
            _flatten_use(child, prefix, out)
    elif kind == "scoped_use_list":
        path = node.child_by_field_name("path")
        inner = f"{prefix}{_text(path)}::" if path is not None else prefix
        lst = node.child_by_field_name("list")
        if lst is not None:
            _flatten_use(lst, inner, out)


def _receiver(node: Any, env: dict[str, str]) -> str:
    kind = node.type
    if kind == "self":
        return "Self"
    if kind == "identifier":
        return env.get(node.text.decode("utf-8", "replace"), "")
    if kind == "field_expression":
        value = node.child_by_field_name("value")
        field = node.child_by_field_name("field")
        if value is not None and value.type == "self" and field is not None:
            return f"Self.{_text(field)}"
    return ""


def _value_type(value: Any) -> str:
    """The type a let initialiser obviously has: ``T::new(..)``, ``T { .. }``."""
    if value is None:
        return ""
    if value.type == "call_expression":
        fn = value.child_by_field_name("function")
        if fn is not None and fn.type == "scoped_identifier":
            path = fn.child_by_field_name("path")
            if path is not None and path.text[:1].isupper() or (
                    path is not None and b"::" in path.text
                    and path.text.rsplit(b"::", 1)[1][:1].isupper()):
                return path.text.decode("utf-8", "replace")
    elif value.type == "struct_expression":
        name = value.child_by_field_name("name")
        if name is not None:
            return type_path(name) or name.text.decode("utf-8", "replace")
    return ""


MAX_TYPE_NESTING = 64


def _text(node: Any) -> str:
    # Identifiers may hold any bytes in a damaged file: never let one stop the whole file.
    return node.text.decode("utf-8", "replace")


def extract_refs(root: Any, items: list[Item]) -> list[tuple]:
    """Every raw reference of the file, attributed to the innermost item holding it."""
    spans = sorted(((it.start_byte, -it.end_byte, i) for i, it in enumerate(items)))
    starts = [s[0] for s in spans]
    import tree_sitter

    captures = tree_sitter.QueryCursor(_query()).captures(root)
    flat = sorted(((n.start_byte, name, n) for name, nodes in captures.items() for n in nodes),
                  key=lambda t: t[0])
    refs: list[tuple] = []
    envs: dict[int, dict[str, str]] = {}
    source, base = root.text or b"", root.start_byte  # the root may start after leading blanks
    nesting, nest_end = 0, -100  # type names in a row separated only by opening brackets

    def owner(pos: int, end: int) -> int:
        k = bisect.bisect_right(starts, pos) - 1
        while k >= 0:
            start, neg_end, index = spans[k]
            if -neg_end >= end and start <= pos:
                return index
            k -= 1
        return 0

    for pos, name, node in flat:
        line = node.start_point[0] + 1
        idx = owner(pos, node.end_byte)
        if name == "use":
            arg = node.child_by_field_name("argument")
            vis = node.named_children[0] if node.named_child_count else None
            public = vis is not None and vis.type == "visibility_modifier"
            paths: list[tuple[str, str]] = []
            if arg is not None:
                _flatten_use(arg, "", paths)
            for path, alias in paths:
                refs.append(("use", idx, path, alias, line, "pub" if public else ""))
        elif name == "callee":
            kind = node.type
            if kind in ("identifier", "scoped_identifier"):
                refs.append(("call", idx, node.text.decode("utf-8", "replace"), "", line))
            elif kind == "generic_function":
                fn = node.child_by_field_name("function")
                if fn is not None and fn.type in ("identifier", "scoped_identifier"):
                    refs.append(("call", idx, fn.text.decode("utf-8", "replace"), "", line))
            elif kind == "field_expression":
                value = node.child_by_field_name("value")
                field = node.child_by_field_name("field")
                if value is not None and field is not None:
                    recv = _receiver(value, envs.get(idx, {}))
                    refs.append(("mcall", idx, recv, field.text.decode("utf-8", "replace"), line))
        elif name == "mac":
            refs.append(("macro", idx, node.text.decode("utf-8", "replace"), "", line))
        elif name == "type" or name == "stype":
            # Each parent lookup walks down from the root, so types nested thousands deep
            # (`Vec<Vec<...`, generated or hostile code) made this quadratic. Only brackets
            # between two type names means one level deeper; beyond any real nesting, skip.
            gap = source[nest_end - base:pos - base] if 0 <= pos - nest_end <= 16 else b","
            nesting = nesting + 1 if gap.strip(b" \t\r\n<([&'*") == b"" else 0
            nest_end = node.end_byte
            if nesting > MAX_TYPE_NESTING:
                continue
            parent = node.parent
            if parent is not None and parent.type == "scoped_type_identifier" and name == "type":
                continue
            if parent is not None and parent.type in _NAMED_ITEMS:
                name_node = parent.child_by_field_name("name")
                if name_node is not None and name_node.id == node.id:
                    continue
            text = node.text.decode("utf-8", "replace")
            if text in _SKIP_TYPES or items[idx].kind == "impl":
                continue
            in_bound = _in_bounds(node)
            if in_bound == "skip":
                continue
            if in_bound == "super":
                refs.append(("super", idx, text, "", line))
            elif in_bound:
                refs.append(("bound", idx, text, "", line))
            else:
                refs.append(("type", idx, text, "", line))
        elif name == "let" or name == "param":
            pattern = node.child_by_field_name("pattern")
            if pattern is None or pattern.type != "identifier":
                if name == "param" and pattern is not None and pattern.type == "mut_pattern":
                    pattern = pattern.named_children[0] if pattern.named_child_count else None
                if pattern is None or pattern.type != "identifier":
                    continue
            typ = type_path(node.child_by_field_name("type"))
            if not typ and name == "let":
                typ = _value_type(node.child_by_field_name("value"))
            if typ:
                envs.setdefault(idx, {})[pattern.text.decode("utf-8", "replace")] = typ
        elif name == "field":
            fname = node.child_by_field_name("name")
            typ = type_path(node.child_by_field_name("type"))
            if fname is not None and typ:
                refs.append(("field", idx, fname.text.decode("utf-8", "replace"), typ, line))
    return refs


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
