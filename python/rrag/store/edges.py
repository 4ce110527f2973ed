"""Store layer: the code graph's tables — raw references per file and the resolved edges.

Edges are one row per usage location (kind, source item id, target item id or NULL when the
target is outside the index or undecidable, the target path as written after import
resolution, the file and line of the usage). Graph walks are recursive CTEs over the
``edges_source`` / ``edges_target`` indexes, so a neighbourhood or path query touches only the
rows it reaches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from .db import Store


@dataclass(slots=True)
class GraphItem:
    id: str
    path: str
    kind: str
    name: str
    qualname: str
    module_path: str
    parent: str | None
    start_line: int
    end_line: int
    self_type: str
    trait_name: str
    derives: list[str]
    generics: str
    crate: str
    package: str
    # For the graph's type flow (declared return types) and test detection (issue 18).
    signature: str = ""
    attrs: tuple[str, ...] = ()
    cfg: tuple[str, ...] = ()


def _in_crates(crates: set[str] | None, paths: set[str] | None = None) -> tuple[str, list]:
    terms, params = [], []
    for column, values in (("crate", crates), ("path", paths)):
        if values is not None:
            terms.append(f"f.{column} IN ({', '.join('?' * len(values))})")
            params += sorted(values)
    return ("WHERE " + " AND ".join(terms) if terms else ""), params


def graph_items(store: Store, crates: set[str] | None = None,
                paths: set[str] | None = None) -> list[GraphItem]:
    where, params = _in_crates(crates, paths)
    cur = store.execute(
        "SELECT i.id, f.path, i.kind, i.name, i.qualname, i.module_path, i.parent, "
        "i.start_line, i.end_line, i.self_type, i.trait_name, i.derives, i.generics, f.crate, "
        "f.package, i.signature, i.attrs, i.cfg "
        f"FROM items i JOIN files f ON f.id = i.file_id {where} "
        "ORDER BY f.path, i.start_byte", params)
    return [GraphItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                      json.loads(r[11]) if r[11] != "[]" else [], r[12], r[13], r[14], r[15],
                      tuple(json.loads(r[16])) if r[16] != "[]" else (),
                      tuple(json.loads(r[17])) if r[17] != "[]" else ()) for r in cur]


def all_refs(store: Store, crates: set[str] | None = None,
             paths: set[str] | None = None) -> dict[str, list[list]]:
    """path -> the raw references stored with that file."""
    where, params = _in_crates(crates, paths)
    cur = store.execute("SELECT f.path, r.refs FROM file_refs r JOIN files f ON f.id = r.file_id "
                        f"{where} ORDER BY f.path", params)
    return {path: json.loads(refs) for path, refs in cur}


EdgeRow = tuple[str, str, str | None, str, str, int, str | None]
_INSERT = ("INSERT INTO edges(kind, source, target, target_path, path, line, candidates) "
           "VALUES(?, ?, ?, ?, ?, ?, ?)")


def replace_edges(store: Store, rows: Iterable[EdgeRow]) -> None:
    with store.transaction():
        store.execute("DELETE FROM edges")
        store.executemany(_INSERT, rows)
        store.execute("INSERT INTO meta(key, value) VALUES('edges_generation', '1') "
                      "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def replace_crate_edges(store: Store, crates: set[str], rows: Iterable[EdgeRow]) -> None:
    """Replace the edges whose source belongs to one of ``crates`` (or to a file that is gone)."""
    marks = ", ".join("?" * len(crates))
    with store.transaction():
        store.execute(
            "DELETE FROM edges WHERE source NOT IN (SELECT id FROM items) OR source IN ("
            f"SELECT i.id FROM items i JOIN files f ON f.id = i.file_id WHERE f.crate IN ({marks}))",
            sorted(crates))
        store.executemany(_INSERT, rows)
        store.execute("INSERT INTO meta(key, value) VALUES('edges_generation', '1') "
                      "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def item_ids(store: Store, paths: set[str]) -> set[str]:
    return {r[0] for r in store.execute(
        f"SELECT i.id FROM items i JOIN files f ON f.id = i.file_id "
        f"WHERE f.path IN ({', '.join('?' * len(paths))})", sorted(paths))}


def replace_file_edges(store: Store, paths: set[str], rows: Iterable[EdgeRow],
                       gone: Iterable[str] = ()) -> None:
    """Replace the edges whose source is an item of one of ``paths`` (or in ``gone``: the
    items those files held before)."""
    sources = sorted(item_ids(store, paths) | set(gone))
    with store.transaction():
        for start in range(0, len(sources), 500):
            chunk = sources[start:start + 500]
            store.execute(f"DELETE FROM edges WHERE source IN ({', '.join('?' * len(chunk))})",
                          chunk)
        store.executemany(_INSERT, rows)


def generation(store: Store) -> str:
    """Bumped by every edge rebuild: the key of caches derived from the edges."""
    return str(store.one("SELECT value FROM meta WHERE key = 'edges_generation'") or "0")


def has_edges(store: Store) -> bool:
    """False for an index that has references but never resolved them (an older index)."""
    return store.one("SELECT 1 FROM edges LIMIT 1") is not None or \
        store.one("SELECT 1 FROM file_refs WHERE refs != '[]' LIMIT 1") is None


def edge_count(store: Store) -> int:
    return int(store.one("SELECT count(*) FROM edges") or 0)


def kind_counts(store: Store) -> dict[str, dict[str, int]]:
    """Per edge kind: all usages and the resolved ones."""
    return {kind: {"edges": total, "resolved": resolved} for kind, total, resolved in
            store.execute("SELECT kind, count(*), count(target) FROM edges GROUP BY kind")}


_EDGE_SELECT = ("SELECT e.kind, coalesce(s.qualname, e.source), coalesce(t.qualname, "
                "e.target_path), e.path, e.line, e.source, e.target, e.candidates, "
                "(SELECT dep_version FROM files WHERE id = t.file_id) FROM edges e "
                "LEFT JOIN items s ON s.id = e.source LEFT JOIN items t ON t.id = e.target")


def _edge_dicts(cur: Iterable) -> list[dict]:
    out = []
    for kind, src, dst, path, line, sid, tid, cands, version in cur:
        edge = {"type": kind, "source": src, "target": dst, "path": path, "line": line,
                "source_id": sid, "target_id": tid}
        if cands:
            edge["candidates"] = json.loads(cands)
        if version:  # the target is a dependency item: its locked version
            edge["target_version"] = version
        out.append(edge)
    return out


def list_edges(store: Store, kind: str | None = None) -> list[dict]:
    where = "WHERE e.kind = ?" if kind else ""
    return _edge_dicts(store.execute(
        f"{_EDGE_SELECT} {where} ORDER BY e.path, e.line, e.kind, e.id",
        (kind,) if kind else None))


def _kinds_clause(kinds: list[str] | None, alias: str) -> tuple[str, list]:
    if not kinds:
        return "", []
    return f" AND {alias}.kind IN ({', '.join('?' * len(kinds))})", list(kinds)


def neighbors(store: Store, center: str, depth: int, kinds: list[str] | None) -> tuple[
        dict[str, int], list[dict]]:
    """Items within ``depth`` steps of ``center`` (either direction) and the edges among them."""
    clause, params = _kinds_clause(kinds, "e")
    sql = (
        "WITH RECURSIVE reach(id, depth) AS (SELECT ?, 0 UNION "
        "SELECT CASE WHEN e.source = r.id THEN e.target ELSE e.source END, r.depth + 1 "
        "FROM reach r JOIN edges e ON (e.source = r.id OR e.target = r.id) "
        f"WHERE r.depth < ? AND e.target IS NOT NULL{clause}) "
        "SELECT id, min(depth) FROM reach GROUP BY id")
    nodes = {row[0]: row[1] for row in store.execute(sql, [center, depth, *params])}
    ids = list(nodes)
    marks = ", ".join("?" * len(ids))
    edges = _edge_dicts(store.execute(
        f"{_EDGE_SELECT} WHERE e.source IN ({marks}) AND e.target IN ({marks}){clause} "
        "ORDER BY e.path, e.line, e.id", [*ids, *ids, *params]))
    return nodes, edges


def shortest_path(store: Store, start: str, goal: str, max_depth: int) -> list[str]:
    """Item ids of one shortest directed path from ``start`` to ``goal`` (empty: none).
    The CTE keeps (node, depth) pairs, not whole trails, so it stays linear in the graph; the
    path is then read backwards level by level."""
    sql = (
        "WITH RECURSIVE reach(id, depth) AS (SELECT ?, 0 UNION "
        "SELECT e.target, r.depth + 1 FROM reach r JOIN edges e ON e.source = r.id "
        "WHERE r.depth < ? AND e.target IS NOT NULL AND r.id != ?) "
        "SELECT id, min(depth) FROM reach GROUP BY id")
    depth_of = {row[0]: row[1] for row in store.execute(sql, (start, max_depth, goal))}
    if goal not in depth_of:
        return []
    path = [goal]
    current = goal
    for level in range(depth_of[goal] - 1, -1, -1):
        for (src,) in store.execute("SELECT DISTINCT source FROM edges WHERE target = ?",
                                    (current,)):
            if depth_of.get(src) == level:
                current = src
                break
        path.append(current)
    return path[::-1]


def edges_between(store: Store, pairs: list[tuple[str, str]]) -> list[dict]:
    out: list[dict] = []
    for src, dst in pairs:
        rows = _edge_dicts(store.execute(
            f"{_EDGE_SELECT} WHERE e.source = ? AND e.target = ? ORDER BY e.line LIMIT 1",
            (src, dst)))
        out.extend(rows)
    return out


def all_resolved_pairs(store: Store) -> list[tuple[str, str, str]]:
    """(source, target, kind) of every resolved edge, for whole-graph measures."""
    return list(store.execute("SELECT DISTINCT source, target, kind FROM edges "
                              "WHERE target IS NOT NULL"))


def linked(store: Store, ids: list[str], kinds: list[str] | None = None) -> dict[str, list[str]]:
    """One step from each id through resolved edges, either direction: id -> linked item ids."""
    out: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    clause, params = _kinds_clause(kinds, "e")
    marks = ", ".join("?" * len(ids))
    cur = store.execute(
        f"SELECT e.source, e.target FROM edges e WHERE e.target IS NOT NULL AND "
        f"(e.source IN ({marks}) OR e.target IN ({marks})){clause}", [*ids, *ids, *params])
    for source, target in cur:
        if source in out:
            out[source].append(target)
        if target in out:
            out[target].append(source)
    return out
