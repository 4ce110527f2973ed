"""Parse layer: raw references of one file for the graph (uses, calls, types, bounds, macros).

Runs in the worker processes, on the tree the item walk already built, before item text is
dropped. One tree-sitter query (``queries/refs.scm``; its matching runs in C) finds the few
node kinds we need; each capture is attributed to the innermost item that contains it.
References are small tuples ``(kind, owner item index, a, b, line)``; names stay as written:
resolving them needs the whole crate, which only the writer process has (``rrag.graph``).

Kinds: use (a: path, b: alias, "pub" flag in the 6th slot), call (a: callee path), mcall
(a: receiver description, rrag.parse.receivers; b: method name), type, bound, super, macro,
field (a: field name, b: type path), const (a: a SCREAMING_CASE path read in a body), tcall
and tmcall (a doc test's calls, owned by the documented item). Calls inside macro arguments
and doc tests come from wrapper sources (rrag.parse.macro_args, rrag.parse.doctests) whose
positions map back into the file, so they look exactly like calls in the written code.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from .doctests import doc_wrapper
from .grammar import parse_tree, query
from .macro_args import (MAX_ROUNDS, Pending, RulesFor, Segment, Wrapper, enabled,
                         place, token_tree, wants_args)
from .macro_templates import Templates
from .model import Item
from .ref_nodes import const_path, flatten_use, type_ref
from .receivers import (arm_binding, condition_binding, describe, for_binding, let_binding,
                        param_binding, type_path)


def _query(name: str = "refs") -> Any:
    return query(name)


MAX_TYPE_NESTING = 64


def _text(node: Any) -> str:
    # Identifiers may hold any bytes in a damaged file: never let one stop the whole file.
    return node.text.decode("utf-8", "replace")


class Collector:
    """Turns query captures into references, for the file's tree and for wrappers of its
    macro arguments and doc tests (positions mapped back through ``Segment``s)."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.spans = sorted(((it.start_byte, -it.end_byte, i) for i, it in enumerate(items)))
        self.starts = [s[0] for s in self.spans]
        self.refs: list[tuple] = []
        self.envs: dict[Any, dict[str, Any]] = {}
        # (owner, in a doc test) -> the workspace macro rules whose references it already has
        self.template_bodies: dict[tuple[int, bool], set[int]] = {}
        self.doc_seen: set[tuple] = set()  # doc-test calls already kept (owner and call)

    def owner(self, pos: int, end: int) -> int:
        k = bisect.bisect_right(self.starts, pos) - 1
        spans = self.spans
        while k >= 0:
            start, neg_end, index = spans[k]
            if -neg_end >= end and start <= pos:
                return index
            k -= 1
        return 0

    def feed(self, root: Any, segs: list[Segment] | None = None,
             query_name: str = "refs") -> list[Pending]:
        """References of one tree; returns the macro invocations whose arguments to parse."""
        import tree_sitter

        captures = tree_sitter.QueryCursor(_query(query_name)).captures(root)
        flat = sorted(((n.start_byte, name, n) for name, nodes in captures.items() for n in nodes),
                      key=_first)
        refs, items, envs = self.refs, self.items, self.envs
        pending: list[Pending] = []
        source, base = root.text or b"", root.start_byte  # the root may start after leading blanks
        nesting, nest_end = 0, -100  # type names in a row separated only by opening brackets
        seg_starts = [s.wrap_start for s in segs] if segs is not None else []
        seg: Segment | None = None
        doc = False
        for pos, name, node in flat:
            if segs is None:
                fpos, end, line = pos, node.end_byte, node.start_point[0] + 1
            else:
                k = bisect.bisect_right(seg_starts, pos) - 1
                if k < 0 or node.end_byte > segs[k].wrap_end:
                    continue  # the wrapper's own scaffolding
                seg = segs[k]
                doc = seg.doc
                fpos, end, line = seg.map(pos, node.end_byte, node.start_point[0])
            idx = self.owner(fpos, end)
            if name == "callee":
                call = _callee(node, envs.get((idx, doc), _EMPTY))
                if call is not None:
                    if doc:
                        call = _doc_call(call, seg.aliases if seg is not None else {})
                        # Every reference of a doc test sits at the documented item's line:
                        # `Regex::new(..).unwrap()` in every example is one reference.
                        key = (call[0], idx, repr(call[1]), call[2], line)
                        if key in self.doc_seen:
                            continue
                        self.doc_seen.add(key)
                    refs.append((call[0], idx, call[1], call[2], line))
            elif name == "mac":
                inv = node.parent
                text = _text(node)
                if inv is not None and (segs is not None or wants_args(inv)):
                    pending.append(Pending(inv, seg, text.rpartition("::")[2]))
                if not doc:
                    refs.append(("macro", idx, text, "", line))
            elif name in _BINDERS:
                _BINDERS[name](node, envs.setdefault((idx, doc), {}))
            elif doc:
                if name == "use":
                    arg = node.child_by_field_name("argument")
                    paths: list[tuple[str, str]] = []
                    if arg is not None and seg is not None:
                        flatten_use(arg, "", paths)
                        for path, alias in paths:
                            seg.aliases[alias or path.rsplit("::", 1)[-1]] = path
            elif name == "use":
                arg = node.child_by_field_name("argument")
                vis = node.named_children[0] if node.named_child_count else None
                public = vis is not None and vis.type == "visibility_modifier"
                paths = []
                if arg is not None:
                    flatten_use(arg, "", paths)
                for path, alias in paths:
                    refs.append(("use", idx, path, alias, line, "pub" if public else ""))
            elif name == "ext":
                # `extern crate alloc as alloc_crate;`: std's modules are re-exports of it.
                crate, alias = node.child_by_field_name("name"), node.child_by_field_name("alias")
                if crate is not None:
                    refs.append(("use", idx, "::" + _text(crate),
                                 _text(alias) if alias is not None else "", line, ""))
            elif name == "type" or name == "stype":
                # Each parent lookup walks down from the root, so types nested thousands deep
                # (`Vec<Vec<...`, generated or hostile code) made this quadratic. Only brackets
                # between two type names means one level deeper; beyond any real nesting, skip.
                gap = source[nest_end - base:pos - base] if 0 <= pos - nest_end <= 16 else b","
                nesting = nesting + 1 if gap.strip(b" \t\r\n<([&'*") == b"" else 0
                nest_end = node.end_byte
                if nesting > MAX_TYPE_NESTING:
                    continue
                ref = type_ref(node, name, items[idx].kind)
                if ref is not None:
                    refs.append((ref[0], idx, ref[1], "", line))
            elif name == "field":
                fname = node.child_by_field_name("name")
                typ = type_path(node.child_by_field_name("type"))
                if fname is not None and typ:
                    refs.append(("field", idx, _text(fname), typ, line))
        if segs is None or not all(s.doc for s in segs):  # doc tests read no constants
            self._consts(root, source, segs, seg_starts)
        return pending

    def _consts(self, root: Any, source: bytes, segs: list[Segment] | None,
                seg_starts: list[int]) -> None:
        """Reads of SCREAMING_CASE names: a regex finds the candidates (in C), the tree says
        which are identifiers in code (not strings, comments, token trees or declarations)."""
        refs = self.refs
        base = root.start_byte
        for match in _SCREAMING.finditer(source):
            start, stop = match.start() + base, match.end() + base
            seg = None
            if segs is not None:  # scaffolding and doc tests first: the tree lookup costs more
                k = bisect.bisect_right(seg_starts, start) - 1
                if k < 0 or stop > segs[k].wrap_end or segs[k].doc:
                    continue
                seg = segs[k]
            node = root.descendant_for_byte_range(start, stop)
            if node is None or node.type != "identifier" or node.start_byte != start \
                    or node.end_byte != stop:
                continue
            path = const_path(node)
            if not path:
                continue
            if seg is None:
                fpos, end, line = start, stop, node.start_point[0] + 1
            else:
                fpos, end, line = seg.map(start, stop, node.start_point[0])
            refs.append(("const", self.owner(fpos, end), path, "", line))


_SCREAMING = re.compile(rb"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b")


def _add_templates(self: Collector, pending: list[Pending], templates: Templates) -> None:
    """What the matched rules of workspace macros add beyond their arguments, at the
    invocation's line (in a doc test: only its calls, as tests). A rule's own body is the same
    for every invocation, so a caller gets its references once, at the first invocation that
    matched it: tracing's tests invoke `event!` thousands of times, and per-invocation copies
    were 44k of the registry's references, each resolved and written as an edge."""
    for item in pending:
        found = templates.rules_for(item.name, item.node.start_byte)
        if not found:
            continue  # not a workspace macro: only its arguments count
        tree = token_tree(item.node)
        if tree is None:
            continue
        start, end, line = place(item.node, item.seg)
        idx = self.owner(start, end)
        doc = item.seg is not None and item.seg.doc
        added = self.template_bodies.setdefault((idx, doc), set())
        for ref in templates.refs(found, tree, added):
            if doc and ref[0] not in ("call", "mcall"):
                continue
            self.refs.append(("t" + ref[0] if doc else ref[0], idx, ref[2], ref[3], line))


Collector.add_templates = _add_templates  # type: ignore[attr-defined]


def _first(t: tuple) -> int:
    return t[0]


_EMPTY: dict[str, Any] = {}
_BINDERS = {"let": let_binding, "param": param_binding, "letc": condition_binding,
            "for": for_binding, "arm": arm_binding}


def _callee(node: Any, env: dict[str, Any]) -> tuple[str, Any, str] | None:
    kind = node.type
    if kind == "generic_function":
        node = node.child_by_field_name("function")
        kind = node.type if node is not None else ""
    if kind in ("identifier", "scoped_identifier"):
        return ("call", _text(node), "")
    if kind == "field_expression":
        value = node.child_by_field_name("value")
        field = node.child_by_field_name("field")
        if value is not None and field is not None:
            return ("mcall", describe(value, env), _text(field))
    return None


def _doc_call(call: tuple[str, Any, str], aliases: dict[str, str]) -> tuple[str, Any, str]:
    """A doc test's call: names its own `use`s brought in are spelled out."""
    return ("t" + call[0], _unalias(call[1], aliases), call[2])


def _unalias(desc: Any, aliases: dict[str, str]) -> Any:
    if not aliases:  # most doc tests `use` nothing: nothing to spell out
        return desc
    if isinstance(desc, str):
        head, sep, rest = desc.partition("::")
        if head in aliases:
            return aliases[head] + sep + rest
        return desc
    return [_unalias(d, aliases) if isinstance(d, (str, list)) and i == 1 else d
            for i, d in enumerate(desc)]


def extract_refs(root: Any, items: list[Item], rules_for: RulesFor | None = None,
                 docs: bool = True) -> list[tuple]:
    """Every raw reference of the file, attributed to the innermost item holding it: the
    written code, then its doc tests, then the arguments of its macro invocations (and theirs,
    for a few rounds) with what matched workspace macros add."""
    collector = Collector(items)
    pending = collector.feed(root)
    if not enabled():  # RRAG_MACRO_ARGS=0: the written code only (a diagnostic switch)
        return collector.refs
    if docs:
        text, segs = doc_wrapper(items)
        if segs:
            pending += collector.feed(_parse(text), segs, "doctest_refs")
    wrapper = Wrapper()
    templates = Templates(rules_for, extract_refs, _parse) if rules_for is not None else None
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        if templates is not None:
            collector.add_templates(pending, templates)
        text, segs = wrapper.build(pending)
        if not segs:
            break
        pending = collector.feed(_parse(text), segs)
    return collector.refs


def _parse(text: bytes) -> Any:
    return parse_tree(text).root_node
