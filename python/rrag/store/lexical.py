"""Store layer: the lexical index (SQLite FTS5, BM25) over items.

The token text comes ready from the parse workers (``rrag.parse.tokens``); here it is written in
the same transaction as the items it describes (``replace_file``), keyed by the items' rowid,
and queried with BM25 weighted towards names and signatures.
"""

from __future__ import annotations

from ..parse.tokens import query_terms
from .db import Store

# Column weights for bm25(): a hit in the name counts most, then signature, docs, body.
WEIGHTS = (10.0, 4.0, 2.0, 1.0)


def fts_query(text: str) -> str:
    quoted = ['"' + t.replace('"', '""') + '"' for t in query_terms(text)]
    return " OR ".join(quoted)


def index_items(store: Store, file_id: int, rows: dict[str, tuple[str, str, str, str]]) -> None:
    """``rows``: item id -> (name, signature, docs, body); call inside the file's transaction."""
    rowids = store.execute("SELECT id, rowid FROM items WHERE file_id = ?", (file_id,)).fetchall()
    store.executemany("INSERT INTO items_fts(rowid, name, signature, docs, body) "
                      "VALUES(?, ?, ?, ?, ?)",
                      [(rowid, *rows[item_id]) for item_id, rowid in rowids if item_id in rows])


def forget_file_items(store: Store, file_id: int) -> None:
    store.execute("DELETE FROM items_fts WHERE rowid IN "
                  "(SELECT rowid FROM items WHERE file_id = ?)", (file_id,))


def search(store: Store, query: str, k: int = 50) -> list[tuple[str, float]]:
    """Best first: (item id, BM25 score as a positive number, higher is better)."""
    match = fts_query(query)
    if not match:
        return []
    cur = store.execute(
        f"SELECT i.id, -bm25(items_fts, {', '.join(map(str, WEIGHTS))}) AS score "
        "FROM items_fts JOIN items i ON i.rowid = items_fts.rowid "
        "WHERE items_fts MATCH ? ORDER BY score DESC LIMIT ?", (match, k))
    return [(row[0], float(row[1])) for row in cur]
