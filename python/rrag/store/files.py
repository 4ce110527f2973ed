"""Store layer: the files table and the per-file write of a file's items.

``replace_file`` is the unit of durability: the file row, its old items' removal and its new
items go in one transaction, so a kill between two files leaves every file either fully old or
fully new. Other layers pass plain dataclasses in and get dataclasses out.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Iterable

from ..parse.model import Item
from . import lexical, vectors
from .db import Store


@dataclass(slots=True)
class FileRecord:
    path: str
    package: str = ""
    crate: str = ""
    module_path: str = ""
    id_namespace: str = ""
    reachable: bool = True
    hash: str = ""
    mtime_ns: int = 0
    size: int = 0
    line_count: int = 0
    parse_errors: int = 0
    problem: str | None = None
    mod_decls: str = "[]"  # JSON list of ModDecl fields
    source: bytes = b""


@dataclass(slots=True)
class FileState:
    id: int
    path: str
    hash: str
    mtime_ns: int
    size: int
    module_path: str
    id_namespace: str
    crate: str
    package: str
    reachable: bool
    problem: str | None
    mod_decls: str


_STATE_SQL = ("SELECT id, path, hash, mtime_ns, size, module_path, id_namespace, crate, "
              "package, reachable, problem, mod_decls FROM files WHERE dep_key IS NULL")


def _state(row: tuple) -> FileState:
    return FileState(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                     bool(row[9]), row[10], row[11])


def file_states(store: Store) -> dict[str, FileState]:
    # Workspace files only: not dependencies.
    return {row[1]: _state(row) for row in store.execute(_STATE_SQL)}


def file_state(store: Store, path: str) -> FileState | None:
    row = store.execute(_STATE_SQL + " AND path = ?", (path,)).fetchone()
    return None if row is None else _state(row)


def file_stats(store: Store) -> dict[str, tuple[int, int]]:
    """Workspace files' stored (mtime_ns, size): what the freshness check compares."""
    return {path: (mtime, size) for path, mtime, size in store.execute(
        "SELECT path, mtime_ns, size FROM files WHERE dep_key IS NULL")}


def touch_files(store: Store, stamps: Iterable[tuple[str, int, int]]) -> None:
    """Content unchanged, only mtime/size moved: remember them so the next run skips hashing."""
    with store.transaction():
        store.executemany("UPDATE files SET mtime_ns = ?, size = ? WHERE path = ?",
                          [(mtime, size, path) for path, mtime, size in stamps])


def delete_files(store: Store, paths: Iterable[str]) -> int:
    """Drop files (and, by cascade, their items and everything hanging off them)."""
    count = 0
    for path in paths:
        with store.transaction():
            file_id = store.one("SELECT id FROM files WHERE path = ?", (path,))
            if file_id is None:
                continue
            lexical.forget_file_items(store, file_id)
            vectors.forget_items(store, [r[0] for r in store.execute(
                "SELECT id FROM items WHERE file_id = ?", (file_id,))])
            store.execute("DELETE FROM files WHERE id = ?", (file_id,))
            count += 1
    return count


_ITEM_COLUMNS = ("id, file_id, kind, name, qualname, module_path, parent, start_byte, end_byte, "
                 "start_line, end_line, signature, docs, visibility, attrs, derives, cfg, "
                 "generics, self_type, trait_name, content_hash, active")
_INSERT_ITEM = (f"INSERT INTO items({_ITEM_COLUMNS}) VALUES({', '.join('?' * 22)}) "
                "ON CONFLICT(id) DO NOTHING")


_json_lists: dict[tuple[str, ...], str] = {}


def _json_list(values: tuple[str, ...]) -> str:
    # The same few attribute and derive lists (#[inline], Debug + Clone) recur on most items:
    # encoding each once saves a tenth of the writer's time.
    if not values:
        return "[]"
    text = _json_lists.get(values)
    if text is None:
        text = json.dumps(list(values))
        if len(_json_lists) < 50_000:
            _json_lists[values] = text
    return text


def _item_row(file_id: int, item: Item, content_hash: str) -> tuple:
    return (item.id, file_id, item.kind, item.name, item.qualname, item.module_path, item.parent,
            item.start_byte, item.end_byte, item.start_line, item.end_line, item.signature,
            item.docs, item.visibility, _json_list(item.attrs), _json_list(item.derives),
            _json_list(item.cfg), item.generics, item.self_type, item.trait_name, content_hash,
            int(item.active))


def replace_file(store: Store, record: FileRecord, items: list[Item], content_hashes: list[str],
                 lexical_rows: list[tuple[str, str, str, str]] | None = None,
                 refs: list | None = None,
                 embed_priority: int | None = vectors.PRIORITY_WORKSPACE) -> tuple[int, int]:
    """Write one file, its items, their lexical rows and their place in the embedding queue
    atomically (``embed_priority`` None: not queued).
    Returns (file id, items skipped because their id is already taken by another file)."""
    with store.transaction():
        store.execute(
            "INSERT INTO files(path, package, crate, module_path, id_namespace, reachable, hash, "
            "mtime_ns, size, line_count, parse_errors, problem, mod_decls, indexed_at, source) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET package = excluded.package, crate = excluded.crate, "
            "module_path = excluded.module_path, id_namespace = excluded.id_namespace, "
            "reachable = excluded.reachable, hash = excluded.hash, mtime_ns = excluded.mtime_ns, "
            "size = excluded.size, line_count = excluded.line_count, "
            "parse_errors = excluded.parse_errors, problem = excluded.problem, "
            "mod_decls = excluded.mod_decls, indexed_at = excluded.indexed_at, "
            "source = excluded.source",
            (record.path, record.package, record.crate, record.module_path, record.id_namespace,
             int(record.reachable), record.hash, record.mtime_ns, record.size, record.line_count,
             record.parse_errors, record.problem, record.mod_decls, time.time(), record.source))
        file_id = int(store.one("SELECT id FROM files WHERE path = ?", (record.path,)))
        old_hashes = dict(store.execute("SELECT id, content_hash FROM items WHERE file_id = ?",
                                        (file_id,)).fetchall())
        if old_hashes:
            # Only a file that had items: a DELETE on the FTS5 table costs a quarter of a new
            # file's write even when nothing matches (measured on a first index, 768 files).
            lexical.forget_file_items(store, file_id)
            store.execute("DELETE FROM items WHERE file_id = ?", (file_id,))
        before = store.conn.total_changes()
        store.executemany(_INSERT_ITEM, [_item_row(file_id, item, h)
                                         for item, h in zip(items, content_hashes)])
        inserted = store.conn.total_changes() - before
        if lexical_rows:
            lexical.index_items(store, file_id,
                                {item.id: row for item, row in zip(items, lexical_rows)})
        # Gone items lose their windows, and so do items whose text changed: a stale vector
        # must never stand for new code (BM25 and the graph serve them until re-embedded).
        kept = {item.id for item, h in zip(items, content_hashes) if old_hashes.get(item.id) == h}
        vectors.forget_items(store, set(old_hashes) - kept)
        if embed_priority is not None:
            ids = [item.id for item in items]
            if inserted != len(items):  # an id another file holds is not this file's to queue
                ids = [r[0] for r in store.execute("SELECT id FROM items WHERE file_id = ?",
                                                   (file_id,))]
            vectors.enqueue_items(store, ids, embed_priority)
        store.execute("INSERT INTO file_refs(file_id, refs) VALUES(?, ?) ON CONFLICT(file_id) "
                      "DO UPDATE SET refs = excluded.refs", (file_id, json.dumps(refs or [])))
    return file_id, len(items) - inserted


def problems(store: Store) -> list[dict]:
    return store.rows("SELECT path, problem AS message FROM files WHERE problem IS NOT NULL "
                      "ORDER BY path")


def file_counts(store: Store) -> dict[str, int]:
    row = store.execute(
        "SELECT count(*), coalesce(sum(line_count), 0), coalesce(sum(parse_errors > 0), 0), "
        "coalesce(sum(problem IS NOT NULL), 0) FROM files").fetchone()
    return {"files": row[0], "lines": row[1], "files_with_syntax_errors": row[2],
            "files_with_problems": row[3]}
