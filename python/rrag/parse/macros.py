"""Parse layer: expansion of item-level ``macro_rules!`` invocations into generated items.

An invocation at item level (file top, module, impl or trait body) of a macro defined in the
same file, or in the crate (``crate_macros``: name -> definition text, gathered by the indexer),
is matched and transcribed (``rrag.parse.macro_match``); the expansion is parsed with
tree-sitter and walked by the ordinary item walker in the invocation's scope, so generated
``impl`` blocks, functions, structs and consts become ``Item``s with ordinary references. Each
generated item points back at the invocation: its byte and line span are the invocation's,
``expanded_from`` says which invocation ("impl_shape!#1": the second ``impl_shape!`` of the
file) and is part of its id, and an attribute ``expanded_from(impl_shape!)`` records the macro.
Item-level invocations in the expansion are expanded in turn, up to ``MAX_DEPTH``.
Expression-position macros and proc macros are not expanded; a macro of another crate whose
body parses as items as written (``pin_project!``) adds those items at their own places.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from .extract import Scope, Walker
from .grammar import parse_tree
from .macro_match import expand_rules
from .macro_rules import Budget, TooBig, render, rules, tokens
from .model import Item, ParsedFile
from .refs import extract_refs
from .text import SourceText

MAX_DEPTH = 8  # nested item-level expansions (a recursive macro stops here)
MAX_EXPANSION_BYTES = 512 * 1024  # one expansion's text
MAX_GENERATED_ITEMS = 5000  # per file
MAX_STEPS = 50_000  # matcher and transcriber steps per invocation (~0.3 s when pathological)
MAX_FILE_STEPS = 250_000  # and per file, so many hard invocations stay bounded too
_RULES_CACHE: OrderedDict[str, list] = OrderedDict()  # definition text -> rules (per process)


def macro_name(invocation: Any) -> str:
    """``m`` for ``m!``, ``$crate::m!`` and ``crate::a::m!``."""
    node = invocation.child_by_field_name("macro")
    if node is None:
        return ""
    if node.type == "scoped_identifier":
        node = node.child_by_field_name("name") or node
    return node.text.decode("utf-8", "replace")


def _invocation_node(node: Any) -> Any:
    return node.named_child(0) if node.type == "expression_statement" else node


class Expander:
    """Expands the item-level invocations one walk of a file found."""

    def __init__(self, parsed: ParsedFile, source: bytes, definitions: list[Any],
                 crate_macros: dict[str, str] | None) -> None:
        self.parsed = parsed
        self.source = source
        self.local: dict[str, list[tuple[int, list]]] = {}
        for node in definitions:
            name_node = node.child_by_field_name("name")
            if name_node is None:
                continue
            try:
                parsed_rules = rules(node, Budget())
            except TooBig:
                continue
            self.local.setdefault(name_node.text.decode("utf-8", "replace"), []).append(
                (node.start_byte, parsed_rules))
        self.crate_macros = crate_macros or {}
        self.generated = 0
        self.steps_left = MAX_FILE_STEPS

    def _rules_for(self, name: str, at: int) -> list | None:
        """The same-file definition in textual scope (the last one before ``at``, else the
        first), else the crate's."""
        local = self.local.get(name)
        if local:
            before = [r for start, r in local if start < at]
            return before[-1] if before else local[0][1]
        text = self.crate_macros.get(name)
        return _crate_rules(text) if text else None

    def expand_all(self, invocations: list[tuple[Any, Scope]]) -> None:
        positions: dict[str, int] = {}
        for node, scope in invocations:
            inv = _invocation_node(node)
            name = macro_name(inv)
            position = positions.get(name, 0)
            positions[name] = position + 1
            found = self._rules_for(name, node.start_byte)
            if self.generated >= MAX_GENERATED_ITEMS:
                continue
            if not found:
                self._verbatim(inv, scope, f"{name}!#{position}", name)
                continue
            first = len(self.parsed.items)
            try:
                self._expand(inv, found, scope, f"{name}!#{position}", 0,
                             node.start_point[0] + 1)
            except (TooBig, RecursionError):
                del self.parsed.items[first:]  # all or nothing for one invocation
                self.parsed.refs = [r for r in self.parsed.refs if r[1] < first]
                continue
            self._map_back(first, node, name)

    def _expand(self, inv: Any, found: list, scope: Scope, origin: str, depth: int,
                line: int) -> None:
        tree_node = next((c for c in inv.named_children if c.type == "token_tree"), None)
        if tree_node is None:
            return
        budget = Budget(min(MAX_STEPS, self.steps_left))
        try:
            output = expand_rules(found, tokens(tree_node, budget), budget)
        finally:
            self.steps_left -= min(MAX_STEPS, self.steps_left) - max(0, budget.left)
        if output is None:
            return
        pieces: list[str] = []
        render(output, pieces)
        text = "".join(pieces).encode("utf-8")
        if len(text) > MAX_EXPANSION_BYTES:
            raise TooBig()
        root = parse_tree(text).root_node
        items = self.parsed.items
        holder, walker, first = self._walk(text, root, scope)
        for item in items[first:]:
            item.expanded_from = origin
        self.generated += len(items) - first
        if self.generated > MAX_GENERATED_ITEMS:
            raise TooBig()
        local = [holder, *items[first:]]
        for ref in extract_refs(root, local, docs=False):
            if ref[1] == 0 and ref[0] == "macro":
                continue  # a nested item-level invocation: expanded below, not a usage
            owner = scope.parent if ref[1] == 0 else first + ref[1] - 1
            self.parsed.refs.append((ref[0], owner, ref[2], ref[3], line, *ref[5:]))
        if depth + 1 >= MAX_DEPTH:
            return
        positions: dict[str, int] = {}
        for node, sub_scope in walker.invocations:
            sub = _invocation_node(node)
            name = macro_name(sub)
            position = positions.get(name, 0)
            positions[name] = position + 1
            sub_rules = self._rules_for(name, -1)
            if sub_rules:
                self._expand(sub, sub_rules, sub_scope, f"{origin}/{name}!#{position}",
                             depth + 1, line)

    def _walk(self, text: bytes, root: Any, scope: Scope) -> tuple[Item, Walker, int]:
        """The items of ``root`` (the tree of ``text``) appended in ``scope``, one level down:
        the item standing for ``text`` (owner index 0 of its references), the walker (its
        nested invocations) and the index of the first new item."""
        first = len(self.parsed.items)
        holder = Item("file", "", "", scope.module_rel, 0, len(text), 1, 1, "")
        walker = Walker(SourceText(text), self.parsed.items, [])
        walker.walk(root, holder, Scope(scope.parent, scope.prefix, scope.module_rel,
                                        scope.assoc, scope.self_type, scope.trait_name,
                                        scope.depth + 1))
        return holder, walker, first

    def _verbatim(self, inv: Any, scope: Scope, origin: str, name: str) -> None:
        """A macro from another crate whose body is items as written (`pin_project! { pub
        struct Server<I, S> { .. } }`, `thread_local! { static X: .. = ..; }`): those items,
        at their own places in the file. futures-util defines 87 files' types this way, tokio
        and hyper theirs (hyper's `Server`); lazy_static!'s `static ref` parses too (tree-sitter
        knows it). A body that is not items (`bitflags!`) does not parse cleanly: nothing."""
        tree_node = next((c for c in inv.named_children if c.type == "token_tree"), None)
        if tree_node is None or tree_node.end_byte - tree_node.start_byte > MAX_EXPANSION_BYTES:
            return
        start = tree_node.start_byte + 1
        body = self.source[start:tree_node.end_byte - 1]
        root = parse_tree(body).root_node
        if root.has_error or not root.named_child_count:
            return
        items = self.parsed.items
        holder, _, first = self._walk(body, root, scope)
        row = tree_node.start_point[0]  # the body's line 1 is the opening delimiter's line
        # References first: they find their owners by the items' places in the body.
        for ref in extract_refs(root, [holder, *items[first:]], docs=False):
            owner = scope.parent if ref[1] == 0 else first + ref[1] - 1
            self.parsed.refs.append((ref[0], owner, ref[2], ref[3], ref[4] + row, *ref[5:]))
        mark = f"expanded_from({name}!)"
        for item in items[first:]:
            item.expanded_from = origin
            item.start_byte, item.end_byte = item.start_byte + start, item.end_byte + start
            item.start_line, item.end_line = item.start_line + row, item.end_line + row
            item.attrs = (*item.attrs, mark)
        self.generated += len(items) - first

    def _map_back(self, first: int, node: Any, name: str) -> None:
        """Generated items take the invocation's span (their references got its line)."""
        start, end = node.start_byte, node.end_byte
        line = node.start_point[0] + 1
        row, col = node.end_point
        last = row if col == 0 and row >= line else row + 1
        content = self.source[start:end].decode("utf-8", "replace")
        mark = f"expanded_from({name}!)"
        for item in self.parsed.items[first:]:
            item.start_byte, item.end_byte = start, end
            item.start_line, item.end_line = line, last
            item.content = content
            item.attrs = (*item.attrs, mark)


def _crate_rules(text: str) -> list | None:
    cached = _RULES_CACHE.get(text)
    if cached is not None:
        _RULES_CACHE.move_to_end(text)
        return cached
    root = parse_tree(text.encode("utf-8")).root_node
    node = next((c for c in root.named_children if c.type == "macro_definition"), None)
    try:
        found = rules(node, Budget()) if node is not None else []
    except TooBig:
        found = []
    _RULES_CACHE[text] = found
    if len(_RULES_CACHE) > 256:
        _RULES_CACHE.popitem(last=False)
    return found


def expand_macros(parsed: ParsedFile, source: bytes, walker: Walker,
                  crate_macros: dict[str, str] | None = None) -> None:
    """Adds the items (and references) generated by the file's item-level invocations."""
    if not walker.invocations:
        return
    Expander(parsed, source, walker.definitions, crate_macros).expand_all(walker.invocations)


class RulesLookup:
    """``rules_for(name, at)`` for expression-position invocations (rrag.parse.macro_args):
    the same definitions item-level expansion uses, parsed only when a name is asked for."""

    def __init__(self, parsed: ParsedFile, source: bytes, definitions: list[Any],
                 crate_macros: dict[str, str] | None) -> None:
        self.args = (parsed, source, definitions, crate_macros)
        self.names = {n.child_by_field_name("name").text.decode("utf-8", "replace")
                      for n in definitions if n.child_by_field_name("name") is not None}
        self.crate_macros = crate_macros or {}
        self.expander: Expander | None = None

    def __call__(self, name: str, at: int) -> list | None:
        if name not in self.names and name not in self.crate_macros:
            return None
        if self.expander is None:
            self.expander = Expander(*self.args)
        return self.expander._rules_for(name, at)
