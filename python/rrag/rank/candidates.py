"""Rank layer: gather and score what could matter for a request, with the reason for each.

Sources, each with its own score component: the cursor (the innermost item at the line, then
its enclosing impl/module as signatures), the selection, lexical (BM25) hits for the question,
and graph neighbours of the cursor item when the graph is built. Scores are combined with the
weights of ``ContextConfig``; every candidate keeps its components so the editor can show why
it is there. Works on unfinished code: the enclosing item's span and signature come from
tree-sitter's recovered tree, and the question alone still finds candidates.
"""

from __future__ import annotations

from typing import Iterable

from ..config import ContextConfig
from ..store import Store
from ..store import items as items_db
from ..store import lexical
from ..store.items import ItemRow
from .context import Candidate

CURSOR_SCORE = 100.0  # the item being asked about always comes first
ENCLOSING_SCORE = 50.0
CONTAINER_KINDS = ("impl", "trait", "module", "file")


def _candidate(row: ItemRow, score: float, why: str, components: dict[str, float],
               best_mode: str = "full", volatile: bool = False) -> Candidate:
    return Candidate(id=row.id, path=row.path, name=row.qualname, kind=row.kind,
                     start_line=row.start_line, end_line=row.end_line, content=row.content or "",
                     signature=row.signature, docs=row.docs, score=score, why=why,
                     components=components, crate=row.crate, best_mode=best_mode,
                     volatile=volatile, version=row.version, module_path=row.module_path)


def gather(store: Store, cfg: ContextConfig, path: str | None = None, line: int | None = None,
           query: str | None = None, selection: tuple[int, int] | None = None,
           pinned: Iterable[str] = (), excluded: Iterable[str] = ()) -> list[Candidate]:
    excluded = set(excluded)
    found: dict[str, Candidate] = {}

    def add(cand: Candidate) -> None:
        if cand.id in excluded:
            return
        old = found.get(cand.id)
        if old is None:
            found[cand.id] = cand
            return
        for key, value in cand.components.items():
            old.components[key] = old.components.get(key, 0.0) + value
        old.score += cand.score
        old.volatile = old.volatile or cand.volatile
        if cand.score > 0 and cand.why not in old.why:
            old.why = f"{old.why}; {cand.why}"

    if path and (line or selection):
        _cursor(store, path, line, selection, add)
    if query:
        hits = lexical.search(store, query, k=40)
        if hits:
            top = hits[0][1] or 1.0
            rows = {r.id: r for r in items_db.get_items(store, [h[0] for h in hits], True)}
            for rank, (item_id, bm25) in enumerate(hits):
                row = rows.get(item_id)
                if row is None or row.kind == "file":
                    continue
                norm = bm25 / top
                add(_candidate(row, cfg.w_lexical * norm,
                               f"bm25 #{rank + 1} for the question", {"lexical": norm}))
    for row in items_db.get_items(store, [p for p in pinned if p not in excluded], True):
        cand = _candidate(row, 0.0, "pinned by you", {})
        cand.pinned = True
        add(cand)
        found[row.id].pinned = True
    return sorted(found.values(), key=lambda c: (not c.pinned, -c.score))


def _cursor(store: Store, path: str, line: int | None, selection: tuple[int, int] | None,
            add) -> None:
    if selection is not None:
        start, end = selection
        rows = [r for r in items_db.items_at(store, path, start)
                if r.end_line >= start and r.start_line <= end]
        inner = [r for r in items_db.list_items(store, path)
                 if r.start_line >= start and r.end_line <= end and r.kind not in CONTAINER_KINDS]
        for row in items_db.get_items(store, [r.id for r in inner], True):
            add(_candidate(row, CURSOR_SCORE, "in your selection", {"cursor": 1.0}, volatile=True))
    else:
        rows = items_db.items_at(store, path, line or 1)
    first = True
    for row in rows:
        if row.kind == "file":
            continue
        if first and row.kind not in CONTAINER_KINDS:
            add(_candidate(row, CURSOR_SCORE, "the item at your cursor", {"cursor": 1.0},
                           volatile=True))
            first = False
        else:
            add(_candidate(row, ENCLOSING_SCORE, f"encloses the cursor ({row.kind})",
                           {"enclosing": 1.0}, best_mode="signature"))
            first = False
