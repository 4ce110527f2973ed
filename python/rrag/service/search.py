"""Service layer: ``rrag search`` — BM25, vector KNN and the hybrid of both, with filters.

Vectors are used when the index has any (``rrag index`` fills them; ``--no-embed`` does not), and
the embedding model is loaded only then, so a structural-only index answers from BM25 without
paying for the model. Filters (kind, crate, path prefix) apply before ranks are fused; retrieval
over-fetches so a selective filter still returns ``k`` results when there are that many.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..parse.std_docs import STD_CRATES
from ..embed.model import Embedder
from ..parse.tokens import IDENTIFIER
from ..rank.hybrid import HybridWeights, fuse, normalised
from ..store import Store
from ..store import edges as edges_db
from ..store import items as items_db
from ..store import lexical
from ..store import vectors as vec_db

MODES = ("hybrid", "lexical", "vector")
FETCH = 100  # candidates per retriever before fusion (at least 3k)
# Containment is left out: a module "contains" every hit in it and would float to the top.
GRAPH_KINDS = ["calls", "uses_type", "implements", "trait_bound"]


class Searcher:
    def __init__(self, store: Callable[[], Store], embedder: Callable[[], Embedder],
                 weights: HybridWeights = HybridWeights()) -> None:
        self._store = store
        self._embedder = embedder
        self.weights = weights

    def has_vectors(self) -> bool:
        store = self._store()
        return vec_db.has_space(store) and vec_db.max_vector_id(store) > 0  # O(1), per query

    def semantic_hits(self, query: str, k: int) -> list[tuple[str, float]]:
        """(item id, cosine similarity) nearest to ``query``; [] without vectors."""
        if not query.strip() or not self.has_vectors():
            return []
        vector = self._embedder().embed([query])[0]
        return vec_db.knn(self._store(), vector, k * 3)[:k]

    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               kinds: Sequence[str] = (), crates: Sequence[str] = (),
               path_prefix: str = "", graph: bool = True) -> list[dict[str, Any]]:
        store = self._store()
        fetch = max(FETCH, 3 * k)
        filtered = bool(kinds or crates or path_prefix)
        if filtered:
            fetch *= 4
        lex = (lexical.search(store, query, k=fetch, name_share=self.weights.name_share)
               if mode in ("hybrid", "lexical") else [])
        vec = self.semantic_hits(query, fetch) if mode in ("hybrid", "vector") else []
        rows = {r.id: r for r in items_db.get_items(store, list({i for i, _ in [*lex, *vec]}))}
        # A file's BM25 row is its whole text: it matches everything a little. Its vector is an
        # outline (the multi-level embedding) and may stand for the file.
        lex = [(i, s) for i, s in lex if i in rows and rows[i].kind != "file"]
        lex = _exact_names_first(lex, rows, query)

        def keep(item_id: str) -> bool:
            row = rows.get(item_id)
            if row is None:
                return False
            return ((not kinds or row.kind in kinds) and (not crates or row.crate in crates)
                    and row.path.startswith(path_prefix))

        def neighbours(ids: list[str]) -> dict[str, list[str]]:
            links = edges_db.linked(store, ids, GRAPH_KINDS)
            missing = {t for ts in links.values() for t in ts if t not in rows}
            rows.update({r.id: r for r in items_db.get_items(store, list(missing))})
            return links

        use_graph = graph and mode == "hybrid" and self.weights.graph > 0
        waiting = vec_db.without_vectors(store, [i for i, _ in lex]) if vec else set()
        fused = fuse(lex, vec, self.weights, neighbours if use_graph else None, keep,
                     waiting.__contains__)
        fused = _std_behind(fused, rows, crates)
        out = []
        for result, score in normalised(fused[:k]):
            row = rows[result.id]
            out.append({"path": row.path, "name": row.qualname, "kind": row.kind,
                        "start_line": row.start_line, "end_line": row.end_line,
                        "score": round(score, 4), "id": row.id, "crate": row.crate,
                        "why": result.components})
            if row.version:  # a dependency item: its locked version (issue 8)
                out[-1]["version"] = row.version
        return out


EXACT_NAME_BOOST = 2.0
# The toolchain's std/core/alloc (issue 21) hold 22k items with long docs: on BM25 alone they
# drowned a project's own results ("count words" listed core's `count` methods after the one
# workspace fn). They stay searchable, ranked as if half as relevant, unless asked for by crate.
STD_SHARE = 0.5


def _std_behind(fused: list, rows: dict, crates: Sequence[str]) -> list:
    if any(c in STD_CRATES for c in crates):
        return fused
    for result in fused:
        row = rows.get(result.id)
        if row is not None and row.crate in STD_CRATES and row.version:
            result.add("std", -(1 - STD_SHARE) * result.score)
    return sorted(fused, key=lambda f: -f.score)


def _exact_names_first(hits: list[tuple[str, float]], rows: dict,
                       query: str) -> list[tuple[str, float]]:
    """For a symbol lookup (a query of one or two words, ``StockError``), the item named exactly
    so beats the impls and callers that mention it: BM25 alone prefers the shortest text
    containing the word. In a sentence, a type name is context, not the target (measured:
    boosting it there cost a third of BM25's Recall@1 on bench/retrieval.py)."""
    words = {w.lower() for w in IDENTIFIER.findall(query)}
    if len(query.split()) > 2:
        return hits
    boosted = [(i, s * EXACT_NAME_BOOST if rows[i].name.lower() in words else s) for i, s in hits]
    return sorted(boosted, key=lambda h: -h[1])
