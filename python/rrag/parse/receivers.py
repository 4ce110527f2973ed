"""Parse layer: what a method call's receiver is, as far as one file can tell.

The extractor records, per item, the local names whose type it can describe, and describes a
call's receiver with them. A description is either a string (a type path as written, "Self",
"Self.field", or "" for unknown: the forms older indexes stored) or a small JSON-able list the
graph layer evaluates once the crate's items are known (rrag.graph.receiver), because the type
often is the *declared return type* of another call (issue 18: in
``if let Some(m) = re.captures(line) { m.get(1) }`` the receiver ``m`` is
``["u", ["m", "Regex", "captures"]]``: the Some/Ok payload of what ``Regex::captures``
returns, i.e. ``Captures``):

  ["c", PATH]         the return type of the function PATH (``Regex::new(..)``)
  ["m", DESC, NAME]   the return type of method NAME on a receiver described by DESC
  ["f", DESC, NAME]   the type of field NAME of DESC's type
  ["u", DESC]         the payload of an Option/Result/Box (``?``, ``.unwrap()``, ``Some(x)``)
  ["i", DESC]         the item type of iterating DESC (``for x in DESC``)
"""

from __future__ import annotations

from typing import Any

# Methods whose result is the receiver's payload (Option/Result) or the receiver itself.
UNWRAPS = frozenset(("unwrap", "expect", "unwrap_or_default", "unwrap_unchecked", "unwrap_or",
                     "unwrap_or_else"))
SAME = frozenset(("clone", "to_owned", "by_ref"))
PAYLOAD_PATTERNS = frozenset(("Some", "Ok"))
MAX_DEPTH = 12


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def type_path(node: Any) -> str:
    """``&mut a::B<T>`` -> ``a::B``; "" for types that are not paths (tuples, slices...)."""
    while node is not None:
        kind = node.type
        if kind in ("reference_type", "pointer_type", "generic_type"):
            node = node.child_by_field_name("type")
        elif kind in ("type_identifier", "scoped_type_identifier", "identifier",
                      "scoped_identifier"):
            return _text(node)
        else:
            return ""
    return ""


def describe(node: Any, env: dict[str, Any], depth: int = 0) -> Any:
    """The description of the value of expression ``node`` ("" when unknown)."""
    if node is None or depth > MAX_DEPTH:
        return ""
    kind = node.type
    if kind == "identifier":
        name = _text(node)
        found = env.get(name, "")
        if not found and name[:1].isupper() and not name.isupper():
            return name  # a unit struct as a value: `Utc.with_ymd_and_hms(..)`
        return found
    if kind == "scoped_identifier":
        # `Month::January.succ()`: a variant (CamelCase last segment) is a value of its enum.
        path, name = node.child_by_field_name("path"), node.child_by_field_name("name")
        if path is not None and name is not None and _text(name)[:1].isupper() \
                and not _text(name).isupper():
            return _text(path)
        return ""
    if kind == "self":
        return "Self"
    if kind == "field_expression":
        value = node.child_by_field_name("value")
        name = node.child_by_field_name("field")
        if value is None or name is None:
            return ""
        if value.type == "self":
            return f"Self.{_text(name)}"
        inner = describe(value, env, depth + 1)
        return ["f", inner, _text(name)] if inner else ""
    if kind == "call_expression":
        fn = node.child_by_field_name("function")
        if fn is None:
            return ""
        if fn.type == "generic_function":
            fn = fn.child_by_field_name("function")
            if fn is None:
                return ""
        if fn.type in ("identifier", "scoped_identifier"):
            return ["c", _text(fn)]
        if fn.type == "field_expression":
            value = fn.child_by_field_name("value")
            name_node = fn.child_by_field_name("field")
            inner = describe(value, env, depth + 1)
            if not inner or name_node is None:
                return ""
            name = _text(name_node)
            if name in UNWRAPS:
                return ["u", inner]
            if name in SAME:
                return inner
            return ["m", inner, name]
        return ""
    if kind == "try_expression" or kind == "await_expression":
        inner = describe(node.named_child(0) if node.named_child_count else None, env,
                         depth + 1)
        if not inner:
            return ""
        return ["u", inner] if kind == "try_expression" else inner
    if kind in ("reference_expression", "parenthesized_expression", "unary_expression"):
        value = node.child_by_field_name("value")
        if value is None and node.named_child_count:
            value = node.named_child(node.named_child_count - 1)
        return describe(value, env, depth + 1) if kind != "unary_expression" else ""
    if kind == "struct_expression":
        name = node.child_by_field_name("name")
        return (type_path(name) or _text(name)) if name is not None else ""
    if kind == "type_cast_expression":
        return type_path(node.child_by_field_name("type"))
    return ""


def bind(pattern: Any, desc: Any, env: dict[str, Any], depth: int = 0) -> None:
    """Give the names a pattern binds the description of what they hold."""
    if pattern is None or not desc or depth > 4:
        return
    kind = pattern.type
    if kind == "identifier":
        env[_text(pattern)] = desc
    elif kind == "match_pattern":  # `Some(x) if cond`: the pattern comes first
        if pattern.named_child_count:
            bind(pattern.named_child(0), desc, env, depth + 1)
    elif kind in ("mut_pattern", "ref_pattern", "reference_pattern"):
        inner = pattern.named_child(pattern.named_child_count - 1) \
            if pattern.named_child_count else None
        if inner is not None and inner.type != "mutable_specifier":
            bind(inner, desc, env, depth + 1)
        elif pattern.named_child_count:
            bind(pattern.named_child(0), desc, env, depth + 1)
    elif kind == "tuple_struct_pattern":
        head = pattern.child_by_field_name("type")
        if head is not None and _text(head) in PAYLOAD_PATTERNS and pattern.named_child_count == 2:
            bind(pattern.named_child(1), ["u", desc], env, depth + 1)


def let_binding(node: Any, env: dict[str, Any]) -> None:
    """``let x: T = ..``, ``let x = <expr>``, ``let Some(x) = <expr> else {..}``."""
    pattern = node.child_by_field_name("pattern")
    if pattern is None:
        return
    typ = type_path(node.child_by_field_name("type"))
    bind(pattern, typ or describe(node.child_by_field_name("value"), env), env)


def param_binding(node: Any, env: dict[str, Any]) -> None:
    pattern = node.child_by_field_name("pattern")
    typ = type_path(node.child_by_field_name("type"))
    if typ:
        bind(pattern, typ, env)


def condition_binding(node: Any, env: dict[str, Any]) -> None:
    """``if let`` / ``while let`` conditions."""
    bind(node.child_by_field_name("pattern"),
         describe(node.child_by_field_name("value"), env), env)


def for_binding(node: Any, env: dict[str, Any]) -> None:
    inner = describe(node.child_by_field_name("value"), env)
    if inner:
        bind(node.child_by_field_name("pattern"), ["i", inner], env)


def arm_binding(node: Any, env: dict[str, Any]) -> None:
    """A ``match`` arm's pattern binds parts of the matched value."""
    block = node.parent
    match = block.parent if block is not None else None
    if match is None or match.type != "match_expression":
        return
    desc = describe(match.child_by_field_name("value"), env)
    if desc:
        bind(node.child_by_field_name("pattern"), desc, env)
