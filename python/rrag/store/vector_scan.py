"""Store layer: the first stage of KNN — a scan of sqlite-vec's sign bits, held in memory.

sqlite-vec keeps one sign bit per dimension of every vector in ``vec_chunks`` (vec0
``bit[dims]``: 48 bytes at 384 dims). Its own KNN (``MATCH ... AND k = ?``) takes 12-18 ms for
the 100 candidates of a top 10 over 100k vectors, 2.3-3.6x a numpy float32 matrix product on
the same machine (bench/knn_latency.py), and the cost grows with k. The same hamming scan as
XOR + popcount over a numpy matrix of those bits takes about 2 ms. So each connection reads
the bits once, in bulk, straight from vec0's chunk tables (``vec_chunks_chunks``: row ids and a
validity bitmap per chunk; ``vec_chunks_vector_chunks00``: the chunk's vectors back to back) —
vec0 has no bulk read, and reading it row by row takes 210 ms per 100k — and reads them again
only after the vectors may have changed (``PRAGMA data_version`` moves when another connection
commits; this connection counts its own vector writes, so an index run or a rolled-back overlay
of unsaved buffers does not cost a re-read).

The layout is sqlite-vec 0.1's; it is checked on every load (row count, vector size), and when
it does not hold the scan falls back to vec0's own KNN, which gives the same candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .db import Store


@dataclass(frozen=True, slots=True)
class SignMatrix:
    key: tuple[int, int]
    ids: np.ndarray  # int64 vector ids, one per row of ``bits``
    bits: np.ndarray  # (n, words) uint64 (or uint8 when the byte count is not a multiple of 8)


def candidates(store: Store, table: str, query: np.ndarray, count: int) -> list[int]:
    """Ids of the ``count`` stored vectors whose sign bits are nearest (hamming) to the
    query's."""
    matrix = _matrix(store, table, query.shape[0])
    if matrix is None:
        return [r[0] for r in store.execute(
            f"SELECT rowid FROM {table} WHERE embedding MATCH vec_quantize_binary(?) "
            f"AND k = ?", (query.tobytes(), count))]
    if len(matrix.ids) == 0:
        return []
    signs = np.packbits(query > 0, bitorder="little")  # vec_quantize_binary's layout
    distance = np.bitwise_count(matrix.bits ^ signs.view(matrix.bits.dtype)).sum(
        axis=1, dtype=np.int32)
    if count < len(distance):
        nearest = np.argpartition(distance, count)[:count]
    else:
        nearest = np.arange(len(distance))
    return matrix.ids[nearest].tolist()


def vector_writes(store: Store) -> int:
    """How often this connection wrote vectors: other writes (an index run, the unsaved buffers
    laid over the index for one request) keep the sign matrix."""
    return int(getattr(store, "vector_generation", 0))


def bump(store: Store) -> None:
    store.vector_generation = vector_writes(store) + 1  # type: ignore[attr-defined]


def _matrix(store: Store, table: str, dims: int) -> SignMatrix | None:
    key = (int(store.one("PRAGMA data_version")), vector_writes(store))
    # (key, matrix or None): an unreadable layout is remembered too, so the fallback does not
    # re-read every chunk on each query before giving up again.
    cached: tuple[tuple[int, int], SignMatrix | None] | None = getattr(store, "sign_scan", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    matrix = _load(store, table, dims, key)
    store.sign_scan = (key, matrix)  # type: ignore[attr-defined]
    return matrix


def _load(store: Store, table: str, dims: int, key: tuple[int, int]) -> SignMatrix | None:
    width = (dims + 7) // 8
    try:
        chunks = store.execute(
            f"SELECT c.size, c.validity, c.rowids, v.vectors FROM {table}_chunks c "
            f"JOIN {table}_vector_chunks00 v ON v.rowid = c.chunk_id ORDER BY c.chunk_id"
        ).fetchall()
        expected = int(store.one(f"SELECT count(*) FROM {table}_rowids"))
    except Exception:  # noqa: BLE001 - another sqlite-vec layout: use its own KNN
        return None
    ids, bits = [], []
    for size, validity, rowids, vectors in chunks:
        if len(vectors) != size * width or len(rowids) != size * 8 or len(validity) * 8 < size:
            return None
        valid = np.unpackbits(np.frombuffer(validity, np.uint8),
                              bitorder="little")[:size].astype(bool)
        ids.append(np.frombuffer(rowids, np.int64)[valid])
        bits.append(np.frombuffer(vectors, np.uint8).reshape(size, width)[valid])
    all_ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    if len(all_ids) != expected:
        return None
    all_bits = np.concatenate(bits) if bits else np.zeros((0, width), np.uint8)
    if width % 8 == 0:
        all_bits = all_bits.view(np.uint64)
    return SignMatrix(key, all_ids, np.ascontiguousarray(all_bits))
