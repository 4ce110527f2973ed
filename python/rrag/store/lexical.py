"""Store layer: the lexical index (SQLite FTS5, BM25) over items.

Code-aware tokens: identifiers are kept whole (``parse_header``, ``HashMap``) and also split into
their lowercased parts (``parse``, ``header``, ``hash``, ``map``), so a query in words finds the
code and a query by identifier ranks the exact one first. Rows are written in the same
transaction as the items they describe (``replace_file``), keyed by the items' rowid.
"""

from __future__ import annotations

import re
from typing import Iterable

from .db import Store

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HUMPS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Column weights for bm25(): a hit in the name counts most, then signature, docs, body.
WEIGHTS = (10.0, 4.0, 2.0, 1.0)
# Bodies beyond this many characters add little ranking signal and cost index time.
MAX_BODY_CHARS = 20_000


def split_identifier(word: str) -> list[str]:
    parts: list[str] = []
    for piece in word.split("_"):
        parts += [p.lower() for p in _HUMPS.findall(piece)]
    return parts


def code_tokens(text: str) -> str:
    """``text`` plus the lowercased parts of every compound identifier in it."""
    extra: dict[str, None] = {}
    for word in set(_IDENT.findall(text)):
        parts = split_identifier(word)
        if len(parts) > 1 or (parts and parts[0] != word):
            for part in parts:
                extra[part] = None
    return text + " " + " ".join(extra) if extra else text


def fts_query(text: str) -> str:
    """A user's words -> an FTS5 OR-query over whole identifiers and their parts."""
    terms: dict[str, None] = {}
    for word in _IDENT.findall(text):
        terms[word.lower()] = None
        for part in split_identifier(word):
            terms[part] = None
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms if len(t) > 1 or t.isalnum()]
    return " OR ".join(quoted)


def rows_for(items: Iterable[tuple[int, str, str, str, str, str]]) -> list[tuple]:
    """(rowid, name, qualname, signature, docs, body) -> FTS rows with expanded tokens."""
    return [(rowid, code_tokens(f"{name} {qualname}"), code_tokens(signature),
             code_tokens(docs), code_tokens(body[:MAX_BODY_CHARS]))
            for rowid, name, qualname, signature, docs, body in items]


def index_file_items(store: Store, file_id: int) -> None:
    """(Re)write the FTS rows of one file's items; call inside the file's transaction."""
    cur = store.execute("SELECT rowid, name, qualname, signature, docs, content FROM items "
                        "WHERE file_id = ? AND kind != 'file'", (file_id,))
    store.executemany("INSERT INTO items_fts(rowid, name, signature, docs, body) "
                      "VALUES(?, ?, ?, ?, ?)", rows_for(cur.fetchall()))


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
