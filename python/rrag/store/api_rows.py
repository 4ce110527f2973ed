"""Store layer: the rows the upgrade assistant reads — a crate version's items, re-exports and
graph inputs from its shared cache database, and the workspace's own graph inputs and sources.

A dependency crate at one version is indexed once per machine (``service.dep_cache``); its
database is read here read-only, so two versions can be compared while any project imports
either. Item text is cut from ``files.source`` (fields and variants are not items of their own:
the graph layer reads them from the text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import apsw

from . import edges as edges_db
from .db import Store
from .edges import GraphItem


@dataclass(frozen=True, slots=True)
class ApiRow:
    """One item of a cached crate version, as stored."""
    id: str
    kind: str
    name: str
    qualname: str
    parent: str | None
    path: str  # relative to the crate's root
    start_line: int
    signature: str
    docs: str
    visibility: str
    generics: str
    self_type: str
    trait_name: str
    text: str
    derives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UseRow:
    """A ``use`` declaration of the crate: the module that holds it, the path as written,
    its alias, its visibility, and the item it resolved to inside the crate (or None)."""
    owner: str
    written: str
    alias: str
    visibility: str
    target: str | None


def _open_ro(db: Path) -> apsw.Connection:
    return apsw.Connection(f"file:{db}?mode=ro", flags=apsw.SQLITE_OPEN_READONLY
                           | apsw.SQLITE_OPEN_URI)


def crate_rows(db: Path) -> tuple[list[ApiRow], list[UseRow]]:
    """Every item of the cached crate version (with its text) and its ``use`` declarations."""
    conn = _open_ro(db)
    try:
        sources = {fid: bytes(src) for fid, src in conn.execute("SELECT id, source FROM files")}
        items = [ApiRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                        r[12], sources.get(r[15], b"")[r[13]:r[14]].decode("utf-8", "replace"),
                        tuple(json.loads(r[16] or "[]")))
                 for r in conn.execute(
                     "SELECT i.id, i.kind, i.name, i.qualname, i.parent, f.path, i.start_line, "
                     "i.signature, i.docs, i.visibility, i.generics, i.self_type, i.trait_name, "
                     "i.start_byte, i.end_byte, f.id, i.derives FROM items i JOIN files f "
                     "ON f.id = i.file_id ORDER BY f.path, i.start_byte")]
        # The resolved target of a use is its `imports` edge (same owner and line, same name).
        targets: dict[tuple[str, int, str], str] = {}
        for source, target, written, line in conn.execute(
                "SELECT source, target, target_path, line FROM edges WHERE kind = 'imports' "
                "AND target IS NOT NULL"):
            targets[(source, line, written.rsplit("::", 1)[-1])] = target
        uses = []
        for (refs,) in conn.execute("SELECT refs FROM file_refs"):
            for ref in json.loads(refs):
                if ref[0] != "use":
                    continue
                owner, written, alias, line = ref[1], ref[2], ref[3] or "", ref[4]
                visibility = ref[5] if len(ref) > 5 else ""
                last = written.rsplit("::", 1)[-1]
                uses.append(UseRow(owner, written, alias, visibility or "",
                                   targets.get((owner, line, last))))
        return items, uses
    finally:
        conn.close()


def cache_graph(db: Path, prefix: str) -> tuple[list[GraphItem], dict[str, list[list]]]:
    """A cached crate version's graph items and raw references, as the resolver reads them
    from a workspace index, its paths under ``prefix`` (two versions of one crate must not
    share a file path)."""
    conn = _open_ro(db)
    try:
        view = Store(db, conn, [])
        items = edges_db.graph_items(view)
        refs = edges_db.all_refs(view)
    finally:
        conn.close()
    for it in items:
        it.path = prefix + it.path
    return items, {prefix + path: r for path, r in refs.items()}


def graph_without(store: Store, crate: str) -> tuple[list[GraphItem], dict[str, list[list]]]:
    """The workspace index's graph items and references, less the dependency ``crate``'s (its
    other version is laid in instead)."""
    keys = {k for _, k in imported_versions(store, crate)}
    dep_paths = {p for (p,) in store.execute(
        "SELECT path FROM files WHERE dep_key IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(keys)),))}
    items = [it for it in edges_db.graph_items(store) if it.path not in dep_paths]
    refs = {p: r for p, r in edges_db.all_refs(store).items() if p not in dep_paths}
    return items, refs


def workspace_paths(store: Store) -> set[str]:
    return {p for (p,) in store.execute("SELECT path FROM files WHERE dep_key IS NULL")}


def imported_versions(store: Store, crate: str) -> list[tuple[str, str]]:
    """(version, cache key) of ``crate`` as imported into this workspace's index."""
    return [(v, k) for v, k in store.execute(
        "SELECT DISTINCT dep_version, dep_key FROM files WHERE dep_key IS NOT NULL AND crate = ? "
        "ORDER BY dep_version", (crate,))]


def workspace_sources(store: Store) -> dict[str, str]:
    """path -> text of every workspace Rust file (dependencies' files are left out)."""
    return {path: bytes(src).decode("utf-8", "replace") for path, src in store.execute(
        "SELECT path, source FROM files WHERE dep_key IS NULL AND path LIKE '%.rs'")}
