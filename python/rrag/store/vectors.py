"""Store layer: vectors in sqlite-vec, the content-addressed embedding cache and the work queue.

A vector belongs to a *text*, not to an item: ``vectors.text_hash`` is blake3 of the model key
and the exact embedded text, so an item whose text did not change (a re-index, a file moved
without changing its module path, the same code in two places) reuses the stored vector and the
model never sees it again. ``item_chunks`` maps each item window to its vector. The queue of
items still to embed is a table, written in the same transaction as the items (see
``files.replace_file``), so a kill while embedding resumes where it stopped: every batch of
finished items is committed together with its queue rows' removal.

Search is two-stage (measured in bench/knn_latency.py on 100k vectors, 384 dims): the sign
bits sqlite-vec keeps (``vec_chunks``, vec0 ``bit[dims]``, 48 bytes a vector) are scanned by
hamming distance for ``k * OVERSAMPLE`` candidates (``store.vector_scan``, in memory), then
their float32 vectors (``vectors.embedding``) are re-scored exactly: recall@10 0.98-0.99 against
exact. vec0's exact float32 scan took 49-80 ms (about 10x a numpy matrix product), int8 36-51
ms. Small indexes are scored exactly. A different model empties the cache and queues every item
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from . import vector_scan
from .db import Store

VEC_TABLE = "vec_chunks"
OVERSAMPLE = 10  # bit-vector candidates per wanted neighbour, re-scored exactly
EXACT_BELOW = 4096  # with fewer vectors, score every one exactly (a few ms)

# Queue priorities: lower first.
PRIORITY_FOCUS = 0  # files open in the editor or just saved
PRIORITY_WORKSPACE = 1
PRIORITY_DEPENDENCY = 2  # public API of dependencies
PRIORITY_DEPENDENCY_PRIVATE = 3


@dataclass(slots=True)
class QueuedItem:
    id: str
    priority: int
    kind: str
    qualname: str
    signature: str
    docs: str
    crate: str
    content: str


def ensure_space(store: Store, model_key: str, dims: int) -> bool:
    """Make ``vec_chunks`` hold ``dims``-dimensional vectors of ``model_key``. Returns True when
    the stored vectors were of another model and everything was queued again."""
    current = store.meta("embed_model")
    exists = store.one("SELECT count(*) FROM sqlite_master WHERE name = ?", (VEC_TABLE,))
    if current == model_key and exists:
        return False
    with store.transaction():
        store.execute(f"DROP TABLE IF EXISTS {VEC_TABLE}")
        store.execute(f"CREATE VIRTUAL TABLE {VEC_TABLE} USING vec0("
                      f"embedding bit[{int(dims)}])")
        # Cached vectors of this dimension stay (e.g. dependency vectors imported from the
        # shared cache before the first embedding run): their text hashes include the model
        # key, so another model's never match, and unused ones are pruned after the run.
        store.execute("DELETE FROM vectors WHERE length(embedding) != ?", (4 * int(dims),))
        store.execute(f"INSERT INTO {VEC_TABLE}(rowid, embedding) "
                      f"SELECT id, vec_quantize_binary(embedding) FROM vectors")
        # Again: every workspace item, and the dependency items that had vectors (the rest of
        # a dependency is reached through BM25 and the graph, never embedded).
        store.execute("INSERT INTO embed_queue(item_id, priority) SELECT i.id, ? FROM items i "
                      "JOIN files f ON f.id = i.file_id WHERE f.dep_key IS NULL "
                      "ON CONFLICT(item_id) DO NOTHING", (PRIORITY_WORKSPACE,))
        store.execute("INSERT INTO embed_queue(item_id, priority) SELECT DISTINCT item_id, ? "
                      "FROM item_chunks WHERE true ON CONFLICT(item_id) DO NOTHING",
                      (PRIORITY_DEPENDENCY,))
        store.execute("DELETE FROM item_chunks")
        store.set_meta("embed_model", model_key)
        store.set_meta("embed_dims", str(int(dims)))
    vector_scan.bump(store)
    return current is not None


def index_vectors_after(store: Store, after_id: int) -> None:
    """Give vectors copied in with SQL (ids above ``after_id``) their bit rows for the scan;
    call inside the copying transaction."""
    dims = int(store.meta("embed_dims") or 0)
    if dims and has_space(store):
        store.execute(f"INSERT INTO {VEC_TABLE}(rowid, embedding) SELECT id, "
                      f"vec_quantize_binary(embedding) FROM vectors WHERE id > ? AND "
                      f"length(embedding) = ?", (after_id, 4 * dims))
        vector_scan.bump(store)


def max_vector_id(store: Store) -> int:
    return int(store.one("SELECT max(id) FROM vectors") or 0)


def has_space(store: Store) -> bool:
    return bool(store.one("SELECT count(*) FROM sqlite_master WHERE name = ?", (VEC_TABLE,)))


# -- the queue (written inside the file's transaction by files.replace_file) ------------------
def enqueue_items(store: Store, item_ids: Iterable[str], priority: int) -> None:
    # From the ids in hand, not a SELECT over the file's items: reading them back cost twice
    # the items' own INSERT (measured in the index writer).
    store.executemany("INSERT INTO embed_queue(item_id, priority) VALUES(?, ?) "
                      "ON CONFLICT(item_id) DO UPDATE SET "
                      "priority = min(priority, excluded.priority)",
                      [(item_id, priority) for item_id in item_ids])


def forget_items(store: Store, item_ids: Iterable[str]) -> None:
    """Items that no longer exist lose their windows (their vectors stay as cache until
    ``prune``) and their queue rows."""
    ids = list(item_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        store.execute(f"DELETE FROM item_chunks WHERE item_id IN ({marks})", chunk)
        store.execute(f"DELETE FROM embed_queue WHERE item_id IN ({marks})", chunk)


def prioritize_paths(store: Store, paths: Sequence[str], priority: int = PRIORITY_FOCUS) -> int:
    """Queued items of these files move to the front."""
    if not paths:
        return 0
    before = store.conn.total_changes()
    with store.transaction():
        store.execute(
            f"UPDATE embed_queue SET priority = ? WHERE priority > ? AND item_id IN "
            f"(SELECT i.id FROM items i JOIN files f ON f.id = i.file_id WHERE f.path IN "
            f"({','.join('?' * len(paths))}))", (priority, priority, *paths))
    return store.conn.total_changes() - before


def pending_count(store: Store, max_priority: int | None = None) -> int:
    if max_priority is None:
        return int(store.one("SELECT count(*) FROM embed_queue") or 0)
    return int(store.one("SELECT count(*) FROM embed_queue WHERE priority <= ?",
                         (max_priority,)) or 0)


def next_batch(store: Store, limit: int, max_priority: int | None = None) -> list[QueuedItem]:
    """The most urgent queued items with their text; queue rows of deleted items are dropped."""
    store.execute("DELETE FROM embed_queue WHERE item_id NOT IN (SELECT id FROM items)")
    cur = store.execute(
        "SELECT i.id, q.priority, i.kind, i.qualname, i.signature, i.docs, f.crate, "
        "substr(f.source, i.start_byte + 1, i.end_byte - i.start_byte) "
        "FROM embed_queue q JOIN items i ON i.id = q.item_id JOIN files f ON f.id = i.file_id "
        "WHERE q.priority <= ? ORDER BY q.priority, q.seq LIMIT ?",
        (PRIORITY_DEPENDENCY_PRIVATE if max_priority is None else max_priority, limit))
    return [QueuedItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                       bytes(r[7] or b"").decode("utf-8", "replace")) for r in cur]


def child_signatures(store: Store, parent_ids: Sequence[str]) -> dict[str, list[str]]:
    """Signatures of the direct children of each parent, in source order (container outlines)."""
    out: dict[str, list[str]] = {p: [] for p in parent_ids}
    for start in range(0, len(parent_ids), 500):
        chunk = list(parent_ids[start:start + 500])
        cur = store.execute(
            f"SELECT parent, kind, name, signature FROM items WHERE parent IN "
            f"({','.join('?' * len(chunk))}) ORDER BY start_byte", chunk)
        for parent, kind, name, signature in cur:
            out[parent].append(signature or f"{kind} {name}")
    return out


# -- the cache and the writes --------------------------------------------------------------
def known_vectors(store: Store, hashes: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for start in range(0, len(hashes), 500):
        chunk = list(hashes[start:start + 500])
        cur = store.execute(f"SELECT text_hash, id FROM vectors WHERE text_hash IN "
                            f"({','.join('?' * len(chunk))})", chunk)
        out.update({h: int(i) for h, i in cur})
    return out


def write_batch(store: Store, windows: dict[str, list[str]],
                new_vectors: dict[str, np.ndarray]) -> None:
    """One transaction: the new vectors, each item's windows (text hashes, in order) and the
    removal of those items from the queue."""
    with store.transaction():
        ids = known_vectors(store, list(new_vectors))
        for text_hash, vector in new_vectors.items():
            if text_hash in ids:
                continue
            blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
            store.execute("INSERT INTO vectors(text_hash, embedding) VALUES(?, ?)",
                          (text_hash, blob))
            vector_id = store.conn.last_insert_rowid()
            store.execute(f"INSERT INTO {VEC_TABLE}(rowid, embedding) "
                          f"VALUES(?, vec_quantize_binary(?))", (vector_id, blob))
            ids[text_hash] = vector_id
        needed = [h for hashes in windows.values() for h in hashes if h not in ids]
        ids.update(known_vectors(store, needed))
        for item_id, hashes in windows.items():
            store.execute("DELETE FROM item_chunks WHERE item_id = ?", (item_id,))
            store.executemany("INSERT INTO item_chunks(item_id, window, vector_id) "
                              "VALUES(?, ?, ?)",
                              [(item_id, n, ids[h]) for n, h in enumerate(hashes)])
            store.execute("DELETE FROM embed_queue WHERE item_id = ?", (item_id,))
        vector_scan.bump(store)


def prune(store: Store) -> int:
    """Drop cached vectors no item uses any more (after a complete run, so that moved items of
    the same run found their vectors first)."""
    with store.transaction():
        orphans = [r[0] for r in store.execute(
            "SELECT id FROM vectors WHERE id NOT IN (SELECT vector_id FROM item_chunks)")]
        for start in range(0, len(orphans), 500):
            chunk = orphans[start:start + 500]
            marks = ",".join("?" * len(chunk))
            store.execute(f"DELETE FROM {VEC_TABLE} WHERE rowid IN ({marks})", chunk)
            store.execute(f"DELETE FROM vectors WHERE id IN ({marks})", chunk)
        vector_scan.bump(store)
    return len(orphans)


def without_vectors(store: Store, item_ids: Sequence[str]) -> set[str]:
    """Those of ``item_ids`` with no vector window (new or changed since the last embedding)."""
    have: set[str] = set()
    for start in range(0, len(item_ids), 500):
        chunk = list(item_ids[start:start + 500])
        have.update(r[0] for r in store.execute(
            f"SELECT DISTINCT item_id FROM item_chunks WHERE item_id IN "
            f"({','.join('?' * len(chunk))})", chunk))
    return set(item_ids) - have


def vector_count(store: Store) -> int:
    return int(store.one("SELECT count(*) FROM vectors") or 0)


def embedded_item_count(store: Store) -> int:
    return int(store.one("SELECT count(DISTINCT item_id) FROM item_chunks") or 0)


# -- search -------------------------------------------------------------------------------
def nearest_vectors(store: Store, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(vector id, cosine similarity) of the ``k`` nearest stored vectors, best first."""
    if not has_space(store) or k <= 0:
        return []
    q = np.ascontiguousarray(query, dtype=np.float32)
    size = int(store.one("SELECT max(id) FROM vectors") or 0)  # O(1); >= the row count
    if size <= max(EXACT_BELOW, k * OVERSAMPLE):
        rows = store.execute("SELECT id, embedding FROM vectors").fetchall()
    else:
        candidates = vector_scan.candidates(store, VEC_TABLE, q, k * OVERSAMPLE)
        rows = store.execute(f"SELECT id, embedding FROM vectors WHERE id IN "
                             f"({','.join('?' * len(candidates))})", candidates).fetchall()
    if not rows:
        return []
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
    sims = matrix.reshape(len(rows), -1) @ q
    top = np.argsort(-sims)[:k]
    return [(int(rows[i][0]), float(sims[i])) for i in top]


def knn(store: Store, query: np.ndarray, k: int) -> list[tuple[str, float]]:
    """Items nearest to ``query`` (best window per item): (item id, cosine similarity)."""
    near = nearest_vectors(store, query, k)
    if not near:
        return []
    sims = dict(near)
    best: dict[str, float] = {}
    for start in range(0, len(near), 500):
        chunk = [v for v, _ in near[start:start + 500]]
        cur = store.execute(f"SELECT item_id, vector_id FROM item_chunks WHERE vector_id IN "
                            f"({','.join('?' * len(chunk))})", chunk)
        for item_id, vector_id in cur:
            best[item_id] = max(best.get(item_id, -2.0), sims[vector_id])
    return sorted(best.items(), key=lambda x: -x[1])
