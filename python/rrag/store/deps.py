"""Store layer: dependency rows — the shared per-crate cache databases and their import.

A dependency crate at one version is indexed once per machine into its own database (an
ordinary rrag index of the crate's folder plus ``dep_lexical``, the FTS token rows, which a
contentless FTS5 table cannot give back). A workspace imports those rows with ``ATTACH`` and
``INSERT ... SELECT``: files (under a unique internal path, tagged with the cache key, the locked
version and the crate-relative path), items, lexical rows, stored references, the crate's own
edges and embedding-queue entries. Removing a version deletes exactly the rows tagged with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import apsw

from . import vectors
from .db import Store

# Internal ``files.path`` prefix of imported files: never produced by a workspace scan.
DEP_PREFIX = "<dep>/"

_LEXICAL_TABLE = ("CREATE TABLE IF NOT EXISTS dep_lexical(item_id TEXT PRIMARY KEY, "
                  "name TEXT, signature TEXT, docs TEXT, body TEXT)")

_FILE_COLUMNS = ("package, crate, module_path, id_namespace, reachable, hash, mtime_ns, size, "
                 "line_count, parse_errors, problem, mod_decls, indexed_at, source")
_ITEM_COLUMNS = ("id, kind, name, qualname, module_path, parent, start_byte, end_byte, "
                 "start_line, end_line, signature, docs, visibility, attrs, derives, cfg, "
                 "generics, self_type, trait_name, content_hash, active")


def save_lexical(store: Store, rows: Iterable[tuple[str, str, str, str, str]]) -> None:
    """Cache databases only: keep the FTS token rows (item id, name, signature, docs, body)."""
    with store.transaction():
        store.execute(_LEXICAL_TABLE)
        store.executemany("INSERT OR REPLACE INTO dep_lexical(item_id, name, signature, docs, "
                          "body) VALUES(?, ?, ?, ?, ?)", rows)


def imported(store: Store) -> dict[str, tuple[str, str]]:
    """Cache key -> (crate, version) of every dependency imported into this workspace db."""
    return {key: (crate, version) for key, crate, version in store.execute(
        "SELECT dep_key, min(crate), min(dep_version) FROM files WHERE dep_key IS NOT NULL "
        "GROUP BY dep_key")}


def remove(store: Store, key: str) -> int:
    """Delete every row imported from ``key``; returns the items removed."""
    with store.transaction():
        ids = [r[0] for r in store.execute(
            "SELECT i.id FROM items i JOIN files f ON f.id = i.file_id WHERE f.dep_key = ?",
            (key,))]
        store.execute("DELETE FROM items_fts WHERE rowid IN (SELECT i.rowid FROM items i "
                      "JOIN files f ON f.id = i.file_id WHERE f.dep_key = ?)", (key,))
        store.execute("DELETE FROM edges WHERE source IN (SELECT i.id FROM items i "
                      "JOIN files f ON f.id = i.file_id WHERE f.dep_key = ?)", (key,))
        vectors.forget_items(store, ids)
        store.execute("DELETE FROM files WHERE dep_key = ?", (key,))
        store.execute("DELETE FROM dep_folders WHERE dep_key = ?", (key,))
    return len(ids)


@dataclass(frozen=True, slots=True)
class CrateImport:
    db: Path  # the crate's shared cache database
    key: str
    version: str
    folder: Path  # where its sources are
    vectors: bool  # queue its public API for embedding (direct dependencies only)


# A module with more consts/statics than this is a table (libc's constants, winapi's GUIDs):
# its outline gets one vector, its entries none.
CONST_TABLE = 8


def import_crates(store: Store, crates: list[CrateImport]) -> dict[str, int]:
    """Copy cached crates' rows into the workspace db in one transaction per batch of attached
    databases (one commit instead of one per crate); returns key -> items imported (an id
    already taken keeps its first owner)."""
    out: dict[str, int] = {}
    for start in range(0, len(crates), ATTACH_BATCH):
        batch = crates[start:start + ATTACH_BATCH]
        names = [f"dep{n}" for n in range(len(batch))]
        for name, crate in zip(names, batch):
            store.execute(f"ATTACH DATABASE ? AS {name}", (str(crate.db),))
        try:
            with store.transaction():
                for name, crate in zip(names, batch):
                    out[crate.key] = _import_one(store, name, crate)
                    store.execute("INSERT OR REPLACE INTO dep_folders(dep_key, folder) "
                                  "VALUES(?, ?)", (crate.key, str(crate.folder)))
        finally:
            for name in names:
                store.execute(f"DETACH DATABASE {name}")
    return out


ATTACH_BATCH = 100  # SQLite allows 125 attached databases in this build (10 by default)


def _import_one(store: Store, dep: str, crate: CrateImport) -> int:
    key, version = crate.key, crate.version
    prefix = f"{DEP_PREFIX}{key}/"
    has_lexical = store.one(f"SELECT count(*) FROM {dep}.sqlite_master WHERE name = "
                            "'dep_lexical'")
    store.execute(
        f"INSERT INTO files(path, {_FILE_COLUMNS}, dep_key, dep_version, dep_path) "
        f"SELECT ? || path, {_FILE_COLUMNS}, ?, ?, path FROM {dep}.files",
        (prefix, key, version))
    before = store.conn.total_changes()
    store.execute(
        f"INSERT INTO items(file_id, {_ITEM_COLUMNS}) SELECT nf.id, "
        + ", ".join(f"i.{c.strip()}" for c in _ITEM_COLUMNS.split(",")) +
        f" FROM {dep}.items i JOIN {dep}.files f ON f.id = i.file_id "
        "JOIN main.files nf ON nf.path = ? || f.path WHERE true ON CONFLICT(id) DO NOTHING",
        (prefix,))
    count = store.conn.total_changes() - before
    if has_lexical:
        store.execute(
            "INSERT INTO items_fts(rowid, name, signature, docs, body) "
            f"SELECT mi.rowid, l.name, l.signature, l.docs, l.body FROM {dep}.dep_lexical l "
            "JOIN main.items mi ON mi.id = l.item_id JOIN main.files nf "
            "ON nf.id = mi.file_id WHERE nf.dep_key = ? ORDER BY mi.rowid", (key,))
        # (ascending rowids: FTS5 flushes its pending buffer on every out-of-order rowid)
    store.execute(
        f"INSERT INTO file_refs(file_id, refs) SELECT nf.id, r.refs FROM {dep}.file_refs r "
        f"JOIN {dep}.files f ON f.id = r.file_id JOIN main.files nf ON nf.path = ? || f.path",
        (prefix,))
    # A dependency's references that leave it (std, its own dependencies) stay in file_refs for
    # a later resolution; as edges they would only be half the rows, none of them walkable.
    store.execute(
        "INSERT INTO edges(kind, source, target, target_path, path, line, candidates) "
        f"SELECT kind, source, target, target_path, ? || path, line, candidates FROM {dep}.edges "
        "WHERE target IS NOT NULL OR candidates IS NOT NULL ORDER BY source, kind", (prefix,))
    # Vectors another project already computed for this crate version (same model: the
    # text hashes include the model key), so it is embedded once per machine.
    if _has_vectors(store, dep):
        last = vectors.max_vector_id(store)
        store.execute(f"INSERT OR IGNORE INTO main.vectors(text_hash, embedding) "
                      f"SELECT text_hash, embedding FROM {dep}.vectors")
        vectors.index_vectors_after(store, last)
    if crate.vectors:
        _queue_public_api(store, key)
    return count


def _queue_public_api(store: Store, key: str) -> None:
    """A direct dependency's public items, minus the entries of const tables (their module
    is queued instead: its outline lists them)."""
    store.execute("CREATE TEMP TABLE IF NOT EXISTS const_tables(id TEXT PRIMARY KEY)")
    store.execute("DELETE FROM temp.const_tables")
    store.execute(
        "INSERT INTO temp.const_tables(id) SELECT mi.parent FROM main.items mi JOIN main.files "
        "nf ON nf.id = mi.file_id WHERE nf.dep_key = ? AND mi.kind IN ('const', 'static') "
        "AND mi.parent IS NOT NULL GROUP BY mi.parent HAVING count(*) > ?", (key, CONST_TABLE))
    store.execute(
        "INSERT INTO embed_queue(item_id, priority) SELECT mi.id, ? FROM main.items mi "
        "JOIN main.files nf ON nf.id = mi.file_id WHERE nf.dep_key = ? AND ("
        "(mi.visibility = 'pub' AND NOT (mi.kind IN ('const', 'static') AND mi.parent IN "
        "(SELECT id FROM temp.const_tables))) OR mi.id IN (SELECT id FROM temp.const_tables)) "
        "ON CONFLICT(item_id) DO NOTHING", (vectors.PRIORITY_DEPENDENCY, key))


def _has_vectors(store: Store, schema: str) -> bool:
    return bool(store.one(f"SELECT count(*) FROM pragma_table_info('vectors', '{schema}') "
                          "WHERE name = 'embedding'"))


def export_vectors(store: Store, key: str, cache_db: Path) -> int:
    """Write the vectors of ``key``'s items back to its shared cache database, for the next
    project that locks the same version. Returns the vectors the cache did not have."""
    store.execute("ATTACH DATABASE ? AS depcache", (str(cache_db),))
    try:
        if not _has_vectors(store, "depcache"):
            return 0
        before = store.conn.total_changes()
        with store.transaction():
            store.execute(
                "INSERT OR IGNORE INTO depcache.vectors(text_hash, embedding) "
                "SELECT DISTINCT v.text_hash, v.embedding FROM main.vectors v "
                "JOIN main.item_chunks c ON c.vector_id = v.id JOIN main.items i "
                "ON i.id = c.item_id JOIN main.files f ON f.id = i.file_id WHERE f.dep_key = ?",
                (key,))
        return store.conn.total_changes() - before
    finally:
        store.execute("DETACH DATABASE depcache")


def crate_versions(store: Store) -> dict[str, str]:
    """Crate name -> locked version of the imported dependencies (for embedding headers)."""
    return {crate: version for crate, version in store.execute(
        "SELECT crate, min(dep_version) FROM files WHERE dep_key IS NOT NULL GROUP BY crate")}


def folders(store: Store) -> dict[tuple[str, str], str]:
    """(crate, locked version) -> the folder its sources were indexed from."""
    return {(crate, version): folder for crate, version, folder in store.execute(
        "SELECT min(f.crate), min(f.dep_version), d.folder FROM dep_folders d "
        "JOIN files f ON f.dep_key = d.dep_key GROUP BY d.dep_key")}


def is_dependency_path(path: str) -> bool:
    """True for the internal ``files.path`` of an imported dependency's file."""
    return path.startswith(DEP_PREFIX)


def internal_path(store: Store, absolute: Path) -> str | None:
    """The internal ``files.path`` of a file inside an imported dependency's source folder
    (an editor buffer opened from a jump, or by the language server), or None."""
    for key, folder in store.execute("SELECT dep_key, folder FROM dep_folders"):
        try:
            rel = absolute.relative_to(folder).as_posix()
        except ValueError:
            continue
        path = f"{DEP_PREFIX}{key}/{rel}"
        if store.one("SELECT 1 FROM files WHERE path = ?", (path,)):
            return path
    return None


def shown_path(store: Store, path: str) -> str:
    """``regex 1.7.1 src/re_unicode.rs`` for a dependency's internal path; others unchanged."""
    row = store.execute("SELECT crate, dep_version, dep_path FROM files WHERE path = ?",
                        (path,)).fetchone()
    return f"{row[0]} {row[1]} {row[2]}" if row and row[1] else path


def source_text(store: Store, path: str) -> str | None:
    """The text a file had when it was indexed (dependencies: their sources need not be at
    hand to explain them)."""
    blob = store.one("SELECT source FROM files WHERE path = ?", (path,))
    return None if blob is None else bytes(blob).decode("utf-8", "replace")


def cache_meta(db_path: Path) -> dict[str, str]:
    """The meta table of a crate's shared cache database, read-only; {} when unreadable."""
    try:
        conn = apsw.Connection(f"file:{db_path}?mode=ro", flags=apsw.SQLITE_OPEN_READONLY
                               | apsw.SQLITE_OPEN_URI)
    except apsw.Error:
        return {}
    try:
        return {k: v for k, v in conn.execute("SELECT key, value FROM meta")}
    except apsw.Error:
        return {}
    finally:
        conn.close()


def folders_of(db_path: Path) -> list[Path]:
    """The dependency source folders a workspace's index holds, read without opening it for
    writing (it may be another process's, mid-index); [] when it has none or cannot be read."""
    try:
        conn = apsw.Connection(f"file:{db_path}?mode=ro", flags=apsw.SQLITE_OPEN_READONLY
                               | apsw.SQLITE_OPEN_URI)
    except apsw.Error:
        return []
    try:
        return [Path(r[0]) for r in conn.execute("SELECT folder FROM dep_folders")]
    except apsw.Error:  # an index from before dep_folders existed
        return []
    finally:
        conn.close()

