"""Store layer: the lexical index (SQLite FTS5, BM25) over items.

The token text comes ready from the parse workers (``rrag.parse.tokens``); here it is written in
the same transaction as the items it describes (``replace_file``), keyed by the items' rowid,
and queried with BM25 weighted towards names and signatures.
"""

from __future__ import annotations

from typing import Sequence

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


def search(store: Store, query: str, k: int = 50, weights: Sequence[float] = WEIGHTS,
           name_share: float = 0.0, workspace_only: bool = False) -> list[tuple[str, float]]:
    """Best first: (item id, score, higher is better). ``weights``: per column (name, signature,
    docs, body). With ``name_share`` 0 the score is BM25 (as a positive number); otherwise it is
    BM25 over its best match plus ``name_share`` times the BM25 of the name column alone over
    its best match; ``workspace_only`` leaves out dependencies and std. bm25() saturates a
    term's weighted frequency over the whole row, so even at weight 10 a query word in the name
    counts under twice the same word in the body: "sets the size of the stack" put a sibling
    whose body says stack and size above ``stack_size``. The separate name score puts it first
    (measured in bench/retrieval.py; see rrag.rank.hybrid)."""
    match = fts_query(query)
    if not match:
        return []
    row_score = f"-bm25(items_fts, {', '.join(str(float(w)) for w in weights)})"
    own = " JOIN files f ON f.id = i.file_id AND f.dep_key IS NULL" if workspace_only else ""
    if not name_share:
        cur = store.execute(
            f"SELECT i.id, {row_score} AS score "
            f"FROM items_fts JOIN items i ON i.rowid = items_fts.rowid{own} "
            "WHERE items_fts MATCH ? ORDER BY score DESC LIMIT ?", (match, k))
        return [(row[0], float(row[1])) for row in cur]
    # bm25() is negative, better is lower: max() over the hits of a negated score is the best.
    cur = store.execute(
        "SELECT id, coalesce(row_score / nullif(max(row_score) OVER (), 0), 0) + ? * "
        "coalesce(name_score / nullif(max(name_score) OVER (), 0), 0) AS score FROM ("
        f"SELECT i.id AS id, {row_score} AS row_score, "
        "-bm25(items_fts, 1.0, 0.0, 0.0, 0.0) AS name_score "
        f"FROM items_fts JOIN items i ON i.rowid = items_fts.rowid{own} WHERE items_fts MATCH ?) "
        "ORDER BY score DESC LIMIT ?", (float(name_share), match, k))
    return [(row[0], float(row[1])) for row in cur]
