"""Rank layer: cursor awareness — what the item under the cursor is directly tied to.

From the graph, one step from the cursor's item and its surroundings: the functions it calls,
the types, traits, constants and macros it uses (signature included, so a ``todo!()`` body
still has them), the traits its impl's type implements, its callers and the tests among them,
the enclosing impl's type, the file's imports and what the other items of the file use ("used
together"). Each relation gets a value per task: refactor puts call sites and impls first,
generate the traits and types, explain the callees. Also returns the seeds of the graph walk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..store import Store
from ..store import items as items_db
from ..store import rank_queries as rq
from .relevance import KINDS

BASE = {"callee": 1.0, "type": 1.0, "self_type": 1.0, "trait": 0.8, "const": 1.0,
        "macro": 0.5, "import": 0.7, "caller": 0.5, "test": 0.5, "impl": 0.5, "user": 0.2,
        "sibling": 0.4, "nearby": 0.45, "method": 0.55}
LINKS: dict[str, dict[str, float]] = {
    "ask": BASE,
    "explain": BASE | {"caller": 0.6, "test": 0.8},
    "refactor": BASE | {"caller": 1.6, "impl": 1.5, "test": 1.2, "user": 0.8},
    "generate": BASE | {"type": 1.2, "trait": 1.2, "self_type": 1.2, "sibling": 0.8,
                        "caller": 0.3},
}
WHY = {"callee": "called by the item at your cursor", "type": "a type the item at your cursor uses",
       "const": "used by the item at your cursor", "macro": "a macro the item at your cursor uses",
       "trait": "a trait bound or implemented trait of the cursor's item",
       "self_type": "the type of the enclosing impl", "import": "imported by this file",
       "caller": "calls the item at your cursor",
       "test": "a test that exercises the item at your cursor",
       "impl": "implements the item at your cursor", "user": "uses the item at your cursor",
       "sibling": "in the same impl", "nearby": "used by other items of this file",
       "method": "a method of a type the cursor's item works with"}
# A sibling is said to share whatever holds both: the cursor's impl, trait, module or file.
SIBLING_WHY = {"impl": "in the same impl", "trait": "in the same trait",
               "module": "in the same module", "file": "in the same file"}
CONTAINERS = {"impl", "trait", "module", "file"}
FOREIGN_METHODS = 12  # per dependency or std type the cursor's item works with


@dataclass
class CursorLinks:
    seeds: dict[str, float] = field(default_factory=dict)
    relation: dict[str, str] = field(default_factory=dict)  # id -> why
    value: dict[str, float] = field(default_factory=dict)  # id -> link component
    co_used: dict[str, float] = field(default_factory=dict)  # id -> share of file items using it
    kind: dict[str, str] = field(default_factory=dict)  # id -> relation

    def add(self, item_id: str, kind: str, values: dict[str, float], why: str = "") -> None:
        v = values.get(kind, 0.0)
        held = self.value.get(item_id, 0.0)
        # A caller that is a test is said to be one: both are worth the same to "ask".
        if v > held or v == held and kind == "test" and self.kind.get(item_id) == "caller":
            self.value[item_id] = v
            self.relation[item_id] = why or WHY[kind]
            self.kind[item_id] = kind


def _out_relation(edge_kind: str, target_kind: str) -> str:
    if edge_kind == "calls" or edge_kind == "tests":
        return "callee"
    if edge_kind == "invokes_macro":
        return "macro"
    if edge_kind in ("trait_bound", "implements", "inherits"):
        return "trait"
    if target_kind in ("const", "static"):
        return "const"
    return "type" if edge_kind == "uses_type" else "import"


def cursor_links(store: Store, path: str | None, cursor: Sequence[str],
                 enclosing: Sequence[str], task: str) -> CursorLinks:
    links = CursorLinks()
    if not path:
        return links
    values = LINKS.get(task, BASE)
    file_items = rq.file_item_ids(store, path)
    file_ids = [i for i, kind, _, _ in file_items if kind == "file"]
    inner = [i for i, kind, _, _ in file_items if kind not in CONTAINERS]
    for item_id in cursor:
        links.seeds[item_id] = 1.0
    for item_id in enclosing:
        links.seeds[item_id] = 0.3
    self_types: list[str] = []
    for row in items_db.get_items(store, list(enclosing)):
        if row.kind == "impl" and row.self_type:
            name = row.self_type.split("<")[0].split("::")[-1].strip("&* ")
            self_types += [t for t in rq.types_named(store, name, row.crate, row.module_path)
                           if t not in cursor]
    for item_id in self_types:
        links.seeds[item_id] = links.seeds.get(item_id, 0.0) + 0.4
        links.add(item_id, "self_type", values)
    for item_id in file_ids:
        links.seeds[item_id] = links.seeds.get(item_id, 0.0) + (0.4 if cursor else 1.0)
    if inner:
        share = 0.3 / len(inner)
        for item_id in inner:
            links.seeds[item_id] = links.seeds.get(item_id, 0.0) + share

    centre = set(cursor)
    around = set(enclosing) | set(self_types) | set(file_ids)
    edges = rq.edges_around(store, list(centre | around | set(inner)), KINDS)
    kinds = rq.item_kinds(store, list({n for s, t, _ in edges for n in (s, t)}))
    local = set(i for i, _, _, _ in file_items)
    users: dict[str, set[str]] = {}
    for source, target, kind in edges:
        target_kind, target_path = kinds.get(target, ("", ""))
        source_kind, source_path = kinds.get(source, ("", ""))
        if source in centre and target not in centre:
            links.add(target, _out_relation(kind, target_kind), values)
        elif target in centre and source not in centre:
            if kind == "tests":  # issue 18: the graph knows which tests exercise an item
                links.add(source, "test", values)
            elif kind == "calls":
                is_test = "test" in source_path.split("/")[0] or "/tests/" in source_path
                links.add(source, "test" if is_test else "caller", values)
            elif kind == "implements":
                links.add(source, "impl", values)
            elif kind != "contains":
                links.add(source, "user", values)
        elif source in around and kind != "contains":
            if source in file_ids:
                links.add(target, "import" if kind == "imports" else "nearby", values)
            else:  # the enclosing impl or its type: traits implemented, types used
                links.add(target, _out_relation(kind, target_kind), values)
        elif source in around and kind == "contains" and target not in centre:
            links.add(target, "sibling", values, SIBLING_WHY.get(source_kind, ""))
        if source in local and target not in local and kind not in ("contains", "imports"):
            users.setdefault(target, set()).add(source)
    _methods_of_types(store, links, values, set(cursor))
    if inner:
        for target, sources in users.items():
            links.co_used[target] = min(1.0, len(sources) / max(3, len(inner) / 4))
            if target not in links.relation and len(sources) >= 2:
                links.add(target, "nearby", values)
    return links


def _methods_of_types(store: Store, links: CursorLinks, values: dict[str, float],
                      cursor: set[str]) -> None:
    """The methods of the types the cursor's item works with (its impl's type, its signature's
    types): what an unfinished body most likely calls. A dependency's or std's type brings
    its callable methods, at most ``FOREIGN_METHODS``: all of them (`Vec` has 117, its private
    helpers and unstable allocator API among them) filled a real project's context."""
    typed = [i for i, k in links.kind.items() if k in ("type", "self_type")]
    by_crate: dict[tuple[str, bool], set[str]] = {}
    for row in items_db.get_items(store, typed):
        if row.kind in ("struct", "enum", "union", "trait", "type"):
            by_crate.setdefault((row.crate, bool(row.version)), set()).add(row.name)
    for (crate, foreign), names in by_crate.items():
        limit = FOREIGN_METHODS * len(names) if foreign else 400
        for method_id, _ in rq.methods_of(store, sorted(names), crate, limit, foreign):
            if method_id not in cursor:
                links.add(method_id, "method", values)
