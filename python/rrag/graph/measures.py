"""Graph layer: whole-graph measures (PageRank, in-degree centrality) with networkx.

Computed on demand from the resolved edges and cached in memory per store, keyed by the edge
table's generation (``edges_db.generation``, bumped by every rebuild), so a re-index that changed
edges invalidates the cache and one that changed nothing keeps it. Used by ranking later.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from ..store import Store
from ..store import edges as edges_db

# Edge kinds that say "source depends on target"; contains is structure, not importance.
WEIGHTS = {"calls": 1.0, "uses_type": 0.6, "implements": 0.5, "inherits": 0.5,
           "trait_bound": 0.4, "imports": 0.3, "invokes_macro": 0.3, "uses_const": 0.4}


@dataclass(slots=True)
class Measures:
    generation: str
    pagerank: dict[str, float]
    in_degree: dict[str, float]


_CACHE: dict[str, Measures] = {}


def build_graph(store: Store) -> nx.DiGraph:
    graph = nx.DiGraph()
    for source, target, kind in edges_db.all_resolved_pairs(store):
        weight = WEIGHTS.get(kind)
        if weight is None or source == target:
            continue
        if graph.has_edge(source, target):
            graph[source][target]["weight"] += weight
        else:
            graph.add_edge(source, target, weight=weight)
    return graph


def _pagerank(graph: nx.DiGraph) -> dict[str, float]:
    """networkx's PageRank needs scipy, which we do not ship; its pure-Python power iteration
    gives the same numbers without it."""
    try:
        return nx.pagerank(graph, weight="weight")
    except ModuleNotFoundError:
        from networkx.algorithms.link_analysis import pagerank_alg

        return pagerank_alg._pagerank_python(graph, weight="weight")


def measures(store: Store) -> Measures:
    """PageRank and in-degree centrality of every item with a resolved edge (cached)."""
    key = str(store.path)
    generation = edges_db.generation(store)
    cached = _CACHE.get(key)
    if cached is not None and cached.generation == generation:
        return cached
    graph = build_graph(store)
    if graph.number_of_nodes() == 0:
        result = Measures(generation, {}, {})
    else:
        result = Measures(generation, _pagerank(graph), nx.in_degree_centrality(graph))
    _CACHE[key] = result
    return result


def top_items(store: Store, count: int = 20) -> list[tuple[str, float]]:
    """The ``count`` item ids with the highest PageRank, best first (for ranking and stats)."""
    ranks = measures(store).pagerank
    return sorted(ranks.items(), key=lambda kv: (-kv[1], kv[0]))[:count]
