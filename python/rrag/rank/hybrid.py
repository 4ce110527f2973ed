"""Rank layer: hybrid search — BM25 and vector hits fused, lifted one step through the graph.

Fusion is a convex combination of normalised scores: the lexical score divided by the query's
best, cosine similarity min-max scaled over the retrieved list, ``vector`` weight alpha and
``lexical`` weight 1 - alpha. The lexical score is BM25 plus the name column's own BM25 (each
over its best; ``name_share``, computed in rrag.store.lexical.search): FTS5's bm25() saturates
a term over the whole row, so a sentence naming `stack_size` in words lost to a sibling whose
body says stack and size. Ranks throw away how far ahead a strong lexical hit is: reciprocal
rank fusion (k=60) was below this fusion on every metric.

Measured by bench/retrieval.py (doc comment stripped in a copy of a registry crate, its first
sentence as the query, find the function; doc/benchmarks.md), chosen on 15 DEV crates and run
once on 16 held-out crates (R@1 / R@10 / MRR@10):

    DEV (583 queries)    BM25 0.187/0.463/0.265  vectors 0.151/0.509/0.252  hybrid 0.225/0.618/0.350
    TEST (12 crates, 448) BM25 0.208/0.507/0.298 vectors 0.125/0.422/0.209  hybrid 0.234/0.569/0.335
    bytes, indexmap, smallvec, memchr (176)
                         BM25 0.193/0.398/0.254  vectors 0.085/0.420/0.169  hybrid 0.182/0.540/0.281

The hybrid beats both retrievers on every metric on DEV and TEST; on the four original crates
alone BM25 keeps the better Recall@1 (two queries). Without the name score the previous fusion
had TEST 0.185/0.527/0.291 and plain BM25 0.197/0.486/0.276. Alpha 0.4-0.6 and name_share
0.5-2 are a plateau on DEV; sharpening BM25's share, fixed cosine bounds, CombMNZ, fusing only
each top 20 and a learned logistic combination did not do better (bench/retrieval_offline.py).

The graph step lifts items linked to the top hits (the type a top function returns, the trait a
top type implements) by a fraction of their best linked hit's score, so it re-orders near-ties
and surfaces neighbours without drowning a strong lexical or semantic match. Each result keeps
its components so callers can show why it ranked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

GRAPH_SEEDS = 10  # top fused hits whose neighbours are considered

Hits = Sequence[tuple[str, float]]  # (item id, retriever score), best first
NeighboursFn = Callable[[list[str]], dict[str, list[str]]]  # seed id -> linked item ids


@dataclass
class Fused:
    id: str
    score: float = 0.0
    components: dict[str, float] = field(default_factory=dict)

    def add(self, source: str, value: float) -> None:
        self.score += value
        self.components[source] = round(self.components.get(source, 0.0) + value, 6)


@dataclass(frozen=True)
class HybridWeights:
    vector: float = 0.5  # alpha: the vector share of the fused score; lexical gets the rest
    lexical_power: float = 1.0  # BM25 / best BM25, raised to this: > 1 sharpens BM25's lead
    graph: float = 0.1  # lift for graph neighbours of the top hits (see bench/retrieval.py)
    # Lexical retriever: the name column's own BM25 (over its best) added this many times to
    # the row's BM25 (over its best); see rrag.store.lexical.search. 0: plain BM25.
    name_share: float = 1.0


def fuse(lexical: Hits, vector: Hits, weights: HybridWeights = HybridWeights(),
         neighbours: NeighboursFn | None = None,
         keep: Callable[[str], bool] = lambda item_id: True,
         unembedded: Callable[[str], bool] = lambda item_id: False) -> list[Fused]:
    """Best first. ``keep`` filters items (kind, crate, path) before scores are normalised.
    With only one retriever's hits (no vectors yet), its scores alone decide; so do BM25's for
    an item ``unembedded`` (changed or new, its vector not computed yet): it cannot have a
    vector score, and must not rank as if it had a poor one."""
    lexical = [(i, s) for i, s in lexical if keep(i)]
    vector = [(i, s) for i, s in vector if keep(i)]
    alpha = weights.vector if lexical and vector else (1.0 if vector else 0.0)
    fused: dict[str, Fused] = {}
    if lexical:
        top = max(s for _, s in lexical) or 1.0
        for item_id, score in lexical:
            share = 1.0 if vector and unembedded(item_id) else 1 - alpha
            fused.setdefault(item_id, Fused(item_id)).add(
                "lexical", share * (score / top) ** weights.lexical_power)
    if vector:
        high, low = max(s for _, s in vector), min(s for _, s in vector)
        spread = high - low or 1.0
        for item_id, score in vector:
            fused.setdefault(item_id, Fused(item_id)).add(
                "vector", alpha * ((score - low) / spread if high > low else 1.0))
    ordered = sorted(fused.values(), key=lambda f: -f.score)
    if neighbours is not None and weights.graph > 0 and ordered:
        _expand(ordered[:GRAPH_SEEDS], fused, weights.graph, neighbours, keep)
        ordered = sorted(fused.values(), key=lambda f: -f.score)
    return ordered


def _expand(seeds: list[Fused], fused: dict[str, Fused], weight: float,
            neighbours: NeighboursFn, keep: Callable[[str], bool]) -> None:
    """An item linked to seeds earns ``weight`` times its best linked seed's score. The best,
    not the sum: a type every top hit mentions (an id alias, a common error) would otherwise
    outrank the hits themselves."""
    links = neighbours([s.id for s in seeds])
    lift: dict[str, float] = {}
    for seed in seeds:
        for other in _unique(links.get(seed.id, ())):
            if other != seed.id and keep(other):
                lift[other] = max(lift.get(other, 0.0), weight * seed.score)
    for other, value in lift.items():
        fused.setdefault(other, Fused(other)).add("graph", value)


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def normalised(results: list[Fused]) -> list[tuple[Fused, float]]:
    """Scores scaled to 0..1: 1 is first place in every retriever (more with a graph lift)."""
    best = max([1.0] + [r.score for r in results[:1]])
    return [(r, r.score / best) for r in results]
