"""Service layer: the graph queries front ends call (edges, neighbours, path).

Names are resolved to items here (a qualified name or an unambiguous suffix such as
``Circle::area``); the walks themselves are SQL in ``rrag.store.edges``. Output dicts follow the
CLI contract: items as in ``rrag items`` and edges as ``{"type", "source", "target", "path",
"line"}``.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..store import Store
from ..store import edges as edges_db
from ..store import items as items_db

EDGE_KINDS = ("contains", "calls", "uses_type", "imports", "implements", "inherits",
              "trait_bound", "invokes_macro", "depends", "tests", "uses_const")


def _public(edge: dict) -> dict:
    out = {k: edge[k] for k in ("type", "source", "target", "path", "line")}
    if "candidates" in edge:
        out["candidates"] = edge["candidates"]
    if "target_version" in edge:  # a dependency's item (``depends`` edges: the crate root)
        out["target_version"] = edge["target_version"]
    return out


class GraphOps:
    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, name: str) -> items_db.ItemRow:
        rows = items_db.by_qualname(self.store, name)
        # `mod x;` and the file of x share a qualified name: the declaration stands for both.
        if len(rows) > 1:
            rows = [r for r in rows if r.kind != "file"] or rows
        if not rows:
            raise NotFound(f"rrag: no indexed item is named {name}",
                           "use a qualified name from `rrag items` (or run `rrag index`)")
        if len(rows) > 1:
            names = ", ".join(sorted(r.qualname for r in rows)[:6])
            raise NotFound(f"rrag: {name} is ambiguous ({names})", "use a longer name")
        return rows[0]

    def edges(self, kind: str | None = None) -> list[dict]:
        if kind is not None and kind not in EDGE_KINDS:
            raise NotFound(f"rrag: unknown edge type {kind}",
                           f"use one of {', '.join(EDGE_KINDS)}")
        return [_public(e) for e in edges_db.list_edges(self.store, kind)]

    def neighbors(self, name: str, depth: int = 1,
                  kinds: list[str] | None = None) -> dict[str, Any]:
        for kind in kinds or ():
            if kind not in EDGE_KINDS:
                raise NotFound(f"rrag: unknown edge type {kind}",
                               f"use one of {', '.join(EDGE_KINDS)}")
        center = self.find(name)
        depths, edges = edges_db.neighbors(self.store, center.id, depth, kinds)
        rows = {r.id: r for r in items_db.get_items(self.store, list(depths))}
        nodes = [{**rows[i].brief(), "depth": d} for i, d in
                 sorted(depths.items(), key=lambda kv: (kv[1], rows[kv[0]].qualname
                                                        if kv[0] in rows else ""))
                 if i in rows and i != center.id]
        return {"center": center.brief(), "nodes": nodes, "edges": [_public(e) for e in edges]}

    def path(self, source: str, target: str, max_depth: int = 6) -> dict[str, Any]:
        start, goal = self.find(source), self.find(target)
        ids = edges_db.shortest_path(self.store, start.id, goal.id, max_depth)
        if not ids:
            return {"path": [], "edges": []}
        rows = {r.id: r for r in items_db.get_items(self.store, ids)}
        edges = edges_db.edges_between(self.store, list(zip(ids, ids[1:])))
        return {"path": [rows[i].qualname for i in ids], "edges": [_public(e) for e in edges]}
