"""Rank layer: hybrid search — BM25 and vector hits fused, expanded one step through the graph.

Reciprocal rank fusion (Cormack et al. 2009): ``score = sum_s w_s / (K + rank_s)``. Ranks, not
raw scores, are fused, because BM25 scores and cosine similarities live on unrelated scales and
RRF needs no per-corpus calibration. The graph step adds items linked to several of the top hits
(the type a top function returns, the trait a top type implements) at a fraction of their best
linked hit's score, so it re-orders near-ties and surfaces neighbours without drowning a strong
lexical or semantic match. Each result keeps its components so callers can show why it ranked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

RRF_K = 60.0
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
    lexical: float = 1.0
    vector: float = 1.0
    graph: float = 0.3


def fuse(lexical: Hits, vector: Hits, weights: HybridWeights = HybridWeights(),
         neighbours: NeighboursFn | None = None,
         keep: Callable[[str], bool] = lambda item_id: True) -> list[Fused]:
    """Best first. ``keep`` filters items (kind, crate, path) before ranks are assigned, so a
    filter never leaves holes in the ranking."""
    fused: dict[str, Fused] = {}
    for source, hits, weight in (("lexical", lexical, weights.lexical),
                                 ("vector", vector, weights.vector)):
        rank = 0
        for item_id, _ in hits:
            if not keep(item_id):
                continue
            rank += 1
            fused.setdefault(item_id, Fused(item_id)).add(source, weight / (RRF_K + rank))
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


def normalised(results: list[Fused], weights: HybridWeights) -> list[tuple[Fused, float]]:
    """Scores scaled to 0..1 by the best a result could get (first in both retrievers), or by
    the top score when graph links lifted it higher."""
    best = (weights.lexical + weights.vector) / (RRF_K + 1)
    if results:
        best = max(best, results[0].score)
    return [(r, min(1.0, r.score / best)) for r in results]
