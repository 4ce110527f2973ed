"""Parse layer: the Rust names a model's answer uses, for grounding (rrag.graph.grounding).

An answer is markdown: fenced code blocks are parsed whole with tree-sitter; inline code spans
are parsed when they look like code (a path, a call, a method or a macro: a lone word in
backticks is as often a variable of the prose as an item). Plain code (no fences, no spans) is
one block. One query (``queries/answer_names.scm``) finds calls, method calls, fields, macros,
paths and types, and what the answer binds or defines itself: those names are the answer's
own and are never looked up. A receiver keeps what the code shows of its type (``TypeHint``):
a written type, or the call whose return type it is, resolved later against real signatures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .answer_text import Segment, segments
from .grammar import count_errors, parse_tree, query

# Option/Result methods that hand back the payload: the receiver's type passes through them.
UNWRAPPERS = {"unwrap", "expect", "unwrap_or_default", "unwrap_unchecked"}


@dataclass(frozen=True)
class TypeHint:
    """What the code shows of a value's type: a type as written (``Regex``, ``&mut Vec<u8>``),
    or the call that produced it (``Regex::new`` -> owner + name; ``re.find_iter`` -> receiver +
    name), unwrapped by ``?`` / ``.unwrap()``."""
    written: str = ""
    owner: str = ""
    call: str = ""
    receiver: "TypeHint | None" = None
    unwrapped: bool = False


@dataclass(frozen=True)
class NameUse:
    """One use of a name: ``kind`` is call, method, field, macro, path or type; ``qualifier``
    the path before the name (``Regex`` of ``Regex::find_all``); ``line`` is 1-based in the
    answer."""
    kind: str
    name: str
    qualifier: str
    text: str
    line: int
    receiver: TypeHint | None = None


@dataclass
class AnswerNames:
    uses: list[NameUse] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)


def _query() -> Any:
    return query("answer_names")


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def base_type(written: str) -> str:
    """``&'a mut regex::Regex<T>`` -> ``Regex``: the last path segment, without generics."""
    text = re.sub(r"^(?:&\s*(?:'\w+\s+)?(?:mut\s+)?|\*(?:const|mut)\s+|dyn\s+|impl\s+)+", "",
                  written.strip())
    head = text.split("<", 1)[0].strip()
    return head.rsplit("::", 1)[-1].strip()


class _Reader:
    """Walks one segment's captures in source order, keeping the bindings seen so far."""

    def __init__(self, result: AnswerNames, first_line: int) -> None:
        self.result = result
        self.first_line = first_line
        self.vars: dict[str, TypeHint] = {}
        # Outside an impl of the answer, `self` is the cursor's (resolved by the caller).
        self.self_hint: TypeHint | None = TypeHint(written="Self")

    def add(self, kind: str, node: Any, name: str, qualifier: str,
            receiver: TypeHint | None = None) -> None:
        self.result.uses.append(NameUse(kind, name, qualifier, _text(node),
                                        self.first_line + node.start_point[0], receiver))

    def hint(self, node: Any, depth: int = 0) -> TypeHint | None:
        if node is None or depth > 12:
            return None
        kind = node.type
        if kind == "identifier":
            return self.vars.get(_text(node))
        if kind == "self":
            return self.self_hint
        if kind in ("parenthesized_expression", "reference_expression", "try_expression"):
            inner = node.named_children[-1] if node.named_children else None
            got = self.hint(inner, depth + 1)
            if got is not None and kind == "try_expression":
                return TypeHint(got.written, got.owner, got.call, got.receiver, True)
            return got
        if kind == "struct_expression":
            return TypeHint(written=_text(node.child_by_field_name("name")))
        if kind == "call_expression":
            function = _callee(node.child_by_field_name("function"))
            if function is None:
                return None
            if function.type == "scoped_identifier":
                path = function.child_by_field_name("path")
                return TypeHint(owner=_text(path) if path else "",
                                call=_text(function.child_by_field_name("name")))
            if function.type == "field_expression":
                name = _text(function.child_by_field_name("field"))
                receiver = self.hint(function.child_by_field_name("value"), depth + 1)
                if name in UNWRAPPERS:
                    return None if receiver is None else TypeHint(
                        receiver.written, receiver.owner, receiver.call, receiver.receiver, True)
                return TypeHint(call=name, receiver=receiver)
        return None

    def bind_pattern(self, node: Any, hint: TypeHint | None = None) -> None:
        if node.type == "identifier":
            name = _text(node)
            self.result.defined.add(name)
            if hint is not None:
                self.vars[name] = hint
            else:
                self.vars.pop(name, None)
            return
        for child in node.named_children:
            self.bind_pattern(child)


def _callee(node: Any) -> Any:
    """The function of a call, through turbofish (``x.collect::<Vec<_>>()``)."""
    if node is not None and node.type == "generic_function":
        return node.child_by_field_name("function")
    return node


def _error_nodes(root: Any) -> list[Any]:
    """The outermost ERROR nodes holding a call (``(``), within subtrees that have errors."""
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR":
            if b"(" in node.text:
                out.append(node)
            continue
        stack.extend(c for c in node.children if c.has_error)
    return out


def _outermost(node: Any, kinds: tuple[str, ...]) -> bool:
    return node.parent is None or node.parent.type not in kinds


def _impl_type(node: Any) -> TypeHint | None:
    written = node.child_by_field_name("type")
    return TypeHint(written=_text(written)) if written is not None else None


def read_segment(seg: Segment, result: AnswerNames, known: dict[str, str]) -> None:
    import tree_sitter

    # A span is an expression: inside a block it needs no `;` (same line, so lines hold).
    source = f"fn __rrag_span() {{ {seg.text} }}" if seg.inline else seg.text
    tree = parse_tree(source.encode("utf-8"))
    if seg.inline and count_errors(tree.root_node):
        return  # prose in backticks that only looks like code
    if not seg.inline and tree.root_node.has_error:
        # A body tree-sitter could not fit (``impl Point::distance(self) { sqrt(..) }``) is a
        # flat ERROR node: its text alone, read as a block, still shows the calls it makes.
        for broken in _error_nodes(tree.root_node):
            read_segment(Segment(_text(broken), seg.first_line + broken.start_point[0], True),
                         result, known)
    captures = tree_sitter.QueryCursor(_query()).captures(tree.root_node)
    flat = sorted(((n.start_byte, -n.end_byte, name, n) for name, nodes in captures.items()
                   for n in nodes), key=lambda t: (t[0], t[1]))
    reader = _Reader(result, seg.first_line)
    reader.vars.update((name, TypeHint(written=written)) for name, written in known.items())
    call_functions = {(n.start_byte, n.end_byte) for name, _, _, n in
                      ((c[2], 0, 0, c[3]) for c in flat) if name == "call"}
    impls: list[tuple[int, int, TypeHint | None]] = []
    for start, _, name, node in flat:
        reader.self_hint = TypeHint(written="Self")
        for lo, hi, hint in impls:
            if lo <= start < hi:
                reader.self_hint = hint
        if name == "impl":
            impls.append((node.start_byte, node.end_byte, _impl_type(node)))
        elif name == "def":
            result.defined.add(_text(node))
        elif name == "let":
            pattern, value = node.child_by_field_name("pattern"), node.child_by_field_name("value")
            written = node.child_by_field_name("type")
            hint = TypeHint(written=_text(written)) if written is not None else reader.hint(value)
            if pattern is not None:
                reader.bind_pattern(pattern, hint)
        elif name == "param":
            pattern, written = node.child_by_field_name("pattern"), node.child_by_field_name("type")
            if pattern is not None:
                reader.bind_pattern(pattern, TypeHint(written=_text(written)) if written else None)
        elif name in ("closure", "pattern"):
            reader.bind_pattern(node)
        elif name == "call":
            _read_call(reader, _callee(node))
        elif name == "field" and (node.start_byte, node.end_byte) not in call_functions:
            reader.add("field", node, _text(node.child_by_field_name("field")), "",
                       reader.hint(node.child_by_field_name("value")))
        elif name == "macro":
            text = _text(node)
            qualifier, _, last = text.rpartition("::")
            reader.add("macro", node, last, qualifier)
        elif name == "path" and _outermost(node, ("scoped_identifier", "scoped_type_identifier",
                                                   "use_list", "scoped_use_list")) \
                and (node.start_byte, node.end_byte) not in call_functions \
                and node.parent.type != "macro_invocation":
            _read_path(reader, "path", node)
        elif name == "type" and _outermost(node, ("scoped_type_identifier",)) \
                and node.parent.type not in _NOT_TYPE_USES:
            _read_path(reader, "type", node)


_NOT_TYPE_USES = ("struct_item", "enum_item", "union_item", "trait_item", "type_item",
                  "type_parameter", "associated_type", "type_binding", "scoped_identifier")


def _read_path(reader: _Reader, kind: str, node: Any) -> None:
    text = re.sub(r"::<.*?>", "", _text(node))
    qualifier, _, last = text.rpartition("::")
    reader.add(kind, node, last.split("<", 1)[0].strip(), qualifier.strip())


def _read_call(reader: _Reader, function: Any) -> None:
    if function is None:
        return
    if function.type == "identifier":
        reader.add("call", function, _text(function), "")
    elif function.type == "scoped_identifier":
        _read_path(reader, "call", function)
    elif function.type == "field_expression":
        value = function.child_by_field_name("value")
        name = _text(function.child_by_field_name("field"))
        shown = f"{_text(value)}.{name}" if value.type in ("identifier", "self") else f".{name}"
        reader.result.uses.append(NameUse("method", name, "", shown,
                                          reader.first_line + function.start_point[0],
                                          reader.hint(value)))


def answer_names(answer: str, known: dict[str, str] | None = None) -> AnswerNames:
    """Every name the answer's code uses (in answer order) and every name it defines;
    ``known`` gives the written types of variables in scope at the cursor."""
    result = AnswerNames()
    for seg in segments(answer):
        read_segment(seg, result, known or {})
    return result
