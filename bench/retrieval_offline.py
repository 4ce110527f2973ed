"""Offline fusion experiments on the candidate dumps of bench/retrieval.py (seconds, no model).

``bench/retrieval.py --dump DIR`` writes, per crate and query, BM25's hits (whole row, and the
name column alone), the vector hits with their cosine, the item metadata and the graph links.
This script re-runs the search pipeline on them (``rrag.rank.hybrid.fuse``, the same filters) for
the fusion variants tried for issue 4 and prints Recall@1 / Recall@10 / MRR@10 for each. The
lexical side is approximated from the dump's top-300 BM25 hits (the engine ranks every match);
on the DEV crates the simulation of the shipped defaults agreed with the engine run to within
a few queries (doc/benchmarks.md). Choose on DEV only:

    .venv/bin/python bench/retrieval.py --set dev --work /tmp/ret-work --dump /tmp/ret-dumps
    .venv/bin/python bench/retrieval_offline.py /tmp/ret-dumps [--crates either log ...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

from rrag.rank.hybrid import HybridWeights, fuse  # noqa: E402
from retrieval import DEV  # noqa: E402

FETCH = 100  # as rrag.service.search
Ranker = Callable[[dict, dict], list[str]]


def lexical_hits(dump: dict, q: dict, name_share: float) -> list[tuple[str, float]]:
    """What rrag.store.lexical.search(name_share=...) returns, from the dumped BM25 scores."""
    hits = q["lexical"]
    if name_share and hits:
        names = dict(q["columns"]["name"])
        best_row = max(s for _, s in hits) or 1.0
        best_name = max([names.get(i, 0.0) for i, _ in hits] + [0.0]) or 1.0
        hits = sorted(((i, s / best_row + name_share * names.get(i, 0.0) / best_name)
                       for i, s in hits), key=lambda h: -h[1])
    items = dump["items"]
    return [(i, s) for i, s in hits[:FETCH] if i in items and items[i]["kind"] != "file"]


def hybrid(weights: HybridWeights, mode: str = "hybrid",
           vector_transform: Callable[[list], list] | None = None) -> Ranker:
    def rank(dump: dict, q: dict) -> list[str]:
        lex = lexical_hits(dump, q, weights.name_share) if mode != "vector" else []
        vec = [tuple(h) for h in q["vector"][:FETCH]] if mode != "lexical" else []
        if vector_transform and vec:
            vec = vector_transform(vec)
        links = dump["links"]
        graph = mode == "hybrid" and weights.graph > 0
        fused = fuse(lex, vec, weights,
                     (lambda ids: {i: links.get(i, []) for i in ids}) if graph else None,
                     keep=lambda i: i in dump["items"] or i.startswith("\0"))
        return [f.id for f in fused]
    return rank


def rrf(name_share: float, k: int = 60) -> Ranker:
    def rank(dump: dict, q: dict) -> list[str]:
        scores: dict[str, float] = {}
        for hits in (lexical_hits(dump, q, name_share), q["vector"][:FETCH]):
            for n, (i, _) in enumerate(hits, 1):
                scores[i] = scores.get(i, 0.0) + 1 / (k + n)
        return sorted(scores, key=lambda i: -scores[i])
    return rank


def fixed_cosine(low: float, high: float) -> Callable[[list], list]:
    """Cosine scaled by fixed bounds instead of the list's own min and max: ``fuse`` min-max
    scales again, so pin the ends with two sentinel hits that no query can match."""
    def transform(vec: list) -> list:
        return [*vec, ("\0high", high), ("\0low", low)]
    return transform


def metrics(ranker: Ranker, dumps: list[dict]) -> tuple[float, float, float, int]:
    ranks = []
    for dump in dumps:
        for q in dump["queries"]:
            top = [i for i in ranker(dump, q) if not i.startswith("\0")][:10]
            ranks.append(top.index(q["target"]) + 1 if q["target"] in top else None)
    n = len(ranks) or 1
    return (round(sum(r == 1 for r in ranks) / n, 3),
            round(sum(r is not None for r in ranks) / n, 3),
            round(sum(1 / r for r in ranks if r) / n, 3), len(ranks))


def variants() -> dict[str, Ranker]:
    plain = HybridWeights(name_share=0.0)
    out: dict[str, Ranker] = {
        "bm25 plain": hybrid(plain, "lexical"),
        "bm25 + name column (default)": hybrid(HybridWeights(), "lexical"),
        "vectors": hybrid(HybridWeights(), "vector"),
        "hybrid (default)": hybrid(HybridWeights()),
        "hybrid over plain bm25 (session 2)": hybrid(plain),
        "hybrid over plain bm25, bm25 cubed": hybrid(HybridWeights(name_share=0.0,
                                                                   lexical_power=3.0)),
        "hybrid over plain bm25, cosine 0.2..0.8": hybrid(
            plain, vector_transform=fixed_cosine(0.2, 0.8)),
        "RRF k=60 (bm25 + name, vectors)": rrf(HybridWeights().name_share),
        "hybrid, no graph lift": hybrid(HybridWeights(graph=0.0)),
    }
    for share in (0.5, 1.5, 2.0):
        out[f"hybrid, name_share {share}"] = hybrid(HybridWeights(name_share=share))
    for alpha in (0.4, 0.6):
        out[f"hybrid, alpha {alpha}"] = hybrid(HybridWeights(vector=alpha))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dumps")
    ap.add_argument("--crates", nargs="+", default=DEV)
    args = ap.parse_args()
    dumps = []
    for name in args.crates:
        path = Path(args.dumps) / f"{name}.json.gz"
        if path.exists():
            with gzip.open(path, "rt") as f:
                dumps.append(json.load(f))
    print(f"{len(dumps)} crates, {sum(len(d['queries']) for d in dumps)} queries")
    for label, ranker in variants().items():
        r1, r10, mrr, _ = metrics(ranker, dumps)
        print(f"{label:45s} R@1 {r1:.3f}  R@10 {r10:.3f}  MRR@10 {mrr:.3f}")


if __name__ == "__main__":
    main()
