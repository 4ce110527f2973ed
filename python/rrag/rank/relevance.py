"""Rank layer: graph relevance — personalized PageRank over the request's neighbourhood.

The subgraph is the k-hop neighbourhood of the seeds (the cursor's item, its enclosing items,
its file's imports, open buffers' items, top question hits) read from the store, never the
whole graph, so a request costs what it touches. Edges keep a direction: following a reference
("this uses that") is cheap, walking back to a user (a caller) costs more, and how much more is
the task's choice (refactor cares about callers, generate about the types and traits used).
Macros and modules are hubs that everything touches; the walk may land on them but does not
expand through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..store import Store
from ..store import rank_queries as rq

# How strongly "source refers to target" ties the two, per edge kind.
FORWARD = {"calls": 1.0, "uses_type": 0.8, "implements": 0.6, "inherits": 0.6,
           "trait_bound": 0.6, "imports": 0.7, "invokes_macro": 0.3, "contains": 0.25,
           "uses_const": 0.7, "tests": 0.5}
KINDS = tuple(FORWARD)
HUB_KINDS = {"macro", "module", "file"}
MAX_EXPAND = 250  # second-hop frontier: the strongest first-hop nodes only


@dataclass(frozen=True)
class WalkProfile:
    back: float = 0.35  # weight of walking from a target back to its user (caller)
    damping: float = 0.7  # probability of following an edge rather than jumping to a seed
    hops: int = 2
    iterations: int = 24


def neighbourhood(store: Store, seeds: Mapping[str, float], hops: int) -> list[rq.Edge]:
    """Edges within ``hops`` of the seeds, expanding only through non-hub items."""
    edges: set[rq.Edge] = set()
    frontier = list(seeds)
    seen = set(frontier)
    for hop in range(hops):
        if not frontier:
            break
        found = rq.edges_around(store, frontier, KINDS)
        edges.update(found)
        if hop == hops - 1:
            break
        strength: dict[str, float] = {}
        for source, target, kind in found:
            for node in (source, target):
                if node not in seen:
                    strength[node] = strength.get(node, 0.0) + FORWARD[kind]
        kinds = rq.item_kinds(store, list(strength))
        nxt = [n for n in sorted(strength, key=lambda n: -strength[n])
               if kinds.get(n, ("", ""))[0] not in HUB_KINDS][:MAX_EXPAND]
        seen.update(nxt)
        frontier = nxt
    return sorted(edges)


def personalized_pagerank(edges: list[rq.Edge], seeds: Mapping[str, float],
                          profile: WalkProfile = WalkProfile(),
                          forward: Mapping[str, float] = FORWARD) -> dict[str, float]:
    """Stationary visit probability of a walk that restarts at the seeds (by their weight).
    Power iteration over edge arrays (numpy bincount): milliseconds for ten thousand edges."""
    total_seed = sum(seeds.values())
    if total_seed <= 0:
        return {}
    index: dict[str, int] = {}
    for node in seeds:
        index.setdefault(node, len(index))
    src, dst, weight = [], [], []
    for source, target, kind in edges:
        w = forward.get(kind, 0.0)
        if source == target or w <= 0:
            continue
        a, b = index.setdefault(source, len(index)), index.setdefault(target, len(index))
        src += (a, b)
        dst += (b, a)
        weight += (w, w * profile.back)
    n = len(index)
    restart = np.zeros(n)
    for node, w in seeds.items():
        restart[index[node]] = w / total_seed
    src_a, dst_a, w_a = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), \
        np.array(weight, dtype=np.float64)
    out_sum = np.bincount(src_a, weights=w_a, minlength=n)
    share = w_a / np.where(out_sum[src_a] > 0, out_sum[src_a], 1.0) if len(w_a) else w_a
    dangling = out_sum == 0
    rank = restart.copy()
    for _ in range(profile.iterations):
        moved = np.bincount(dst_a, weights=rank[src_a] * share, minlength=n)
        lost = rank[dangling].sum()  # a dead end jumps back to the seeds
        rank = (1 - profile.damping) * restart + profile.damping * (moved + lost * restart)
    names = list(index)
    return {names[i]: float(rank[i]) for i in np.flatnonzero(rank > 0)}
