"""Benchmark: doc-comment-to-code retrieval — BM25 only, vectors only and hybrid, side by side.

For each crate (real sources from /usr/share/cargo/registry, copied to a temporary folder): pick
documented functions and methods with a name unique in the crate whose doc comment opens with a
sentence of 5+ words that no other item shares; strip those doc comments in the copy; index the copy with
vectors; query with each stripped first sentence and find the function's rank. Reports Recall@1,
Recall@10 and MRR@10 per crate and mode, and the hybrid's graph weight variants.

    .venv/bin/python bench/retrieval.py [--crates bytes indexmap smallvec] [--per-crate 80]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from rrag.config import Config  # noqa: E402
from rrag.rank.hybrid import HybridWeights  # noqa: E402
from rrag.service.engine import Engine  # noqa: E402
from rrag.store import items as items_db  # noqa: E402

REGISTRY = Path("/usr/share/cargo/registry")
DOC_LINE = re.compile(rb"^[ \t]*(///|#\[doc\s*=).*\n?", re.M)


def first_sentence(docs: str) -> str:
    para = docs.strip().split("\n\n")[0].replace("\n", " ")
    match = re.match(r"(.+?[.!?])(\s|$)", para)
    return (match.group(1) if match else para).strip()


def crate_dir(name: str) -> Path:
    found = sorted(REGISTRY.glob(f"{name}-[0-9]*"))
    if not found:
        sys.exit(f"{REGISTRY}/{name}-* not found")
    return found[-1]


def pick_targets(engine: Engine, per_crate: int, seed: int) -> list[items_db.ItemRow]:
    rows = [r for r in items_db.list_items(engine.store) if r.kind in ("function", "method")]
    docs_of = {}
    for row in items_db.get_items(engine.store, [r.id for r in rows]):
        docs_of[row.id] = row
    # Only functions whose name is unique in the crate: with ten `len` methods the stripped one
    # is not identifiable from its doc sentence, by any retriever.
    names: dict[str, int] = {}
    for row in rows:
        names[row.name] = names.get(row.name, 0) + 1
    sentences: dict[str, list[str]] = {}
    for row in docs_of.values():
        if row.docs and names[row.name] == 1 and "tests" not in row.module_path.split("::"):
            sentences.setdefault(first_sentence(row.docs).lower(), []).append(row.id)
    unique = [ids[0] for s, ids in sentences.items() if len(ids) == 1 and len(s.split()) >= 5]
    random.Random(seed).shuffle(unique)
    return [docs_of[i] for i in sorted(unique[:per_crate])]


def strip_docs(root: Path, targets: list[items_db.ItemRow]) -> None:
    """Remove the doc comment lines inside each target's span (files edited back to front)."""
    by_path: dict[str, list[items_db.ItemRow]] = {}
    for t in targets:
        by_path.setdefault(t.path, []).append(t)
    for path, rows in by_path.items():
        data = (root / path).read_bytes()
        for row in sorted(rows, key=lambda r: -r.start_byte):
            span = data[row.start_byte:row.end_byte]
            head_end = span.find(b"fn ")
            head = DOC_LINE.sub(b"", span[:head_end])
            data = data[:row.start_byte] + head + span[head_end:] + data[row.end_byte:]
        (root / path).write_bytes(data)


def evaluate(engine: Engine, queries: list[tuple[str, tuple[str, str]]], mode: str,
             weights: HybridWeights) -> dict:
    engine.searcher.weights = weights
    ranks = []
    engine.search(queries[0][0], 10, mode=mode)  # load the model outside the timing
    started = time.perf_counter()
    for query, (path, qualname) in queries:
        results = engine.search(query, 10, mode=mode)
        rank = next((n for n, r in enumerate(results, 1)
                     if r["path"] == path and r["name"] == qualname), None)
        ranks.append(rank)
    seconds = time.perf_counter() - started
    n = len(ranks)
    return {"recall@1": round(sum(r == 1 for r in ranks) / n, 3),
            "recall@10": round(sum(r is not None for r in ranks) / n, 3),
            "mrr@10": round(sum(1 / r for r in ranks if r) / n, 3),
            "queries": n, "ms_per_query": round(1000 * seconds / n, 1)}


def run_crate(name: str, per_crate: int, seed: int, work: Path) -> dict:
    src = crate_dir(name)
    root = work / src.name
    shutil.copytree(src, root)
    with Engine(root, Config(), db_path=work / f"{name}-scan.sqlite") as scan:
        scan.index(embed=False)
        targets = pick_targets(scan, per_crate, seed)
    strip_docs(root, targets)
    queries = [(first_sentence(t.docs), (t.path, t.qualname)) for t in targets]
    with Engine(root, Config(), db_path=work / f"{name}.sqlite") as engine:
        started = time.monotonic()
        report = engine.index()
        index_s = time.monotonic() - started
        stats = engine.stats()
        out = {"crate": src.name, "lines": stats["lines"], "items": stats["items"],
               "vectors": stats["vectors"], "index_seconds": round(index_s, 1),
               "embed_seconds": report.embedding["seconds"], "targets": len(queries),
               "modes": {}}
        out["modes"]["bm25"] = evaluate(engine, queries, "lexical", HybridWeights())
        out["modes"]["vector"] = evaluate(engine, queries, "vector", HybridWeights())
        for alpha, graph, power in ((0.5, 0.0, 1.0), (0.5, 0.1, 1.0), (0.5, 0.1, 2.0),
                                    (0.5, 0.1, 3.0), (0.4, 0.1, 2.0)):
            out["modes"][f"hybrid(alpha={alpha},graph={graph},bm25^{power:g})"] = evaluate(
                engine, queries, "hybrid",
                HybridWeights(vector=alpha, graph=graph, lexical_power=power))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crates", nargs="+", default=["bytes", "indexmap", "smallvec"])
    ap.add_argument("--per-crate", type=int, default=80)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "retrieval.json"))
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        for name in args.crates:
            results.append(run_crate(name, args.per_crate, args.seed, Path(tmp)))
            print(json.dumps(results[-1], indent=1), flush=True)
    modes = results[0]["modes"].keys()
    total = sum(r["targets"] for r in results)
    overall = {m: {k: round(sum(r["modes"][m][k] * r["targets"] for r in results) / total, 3)
                   for k in ("recall@1", "recall@10", "mrr@10")} for m in modes}
    doc = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                       "loadavg_1m": os.getloadavg()[0]},
           "method": "doc comment stripped in a copy, query = its first sentence, k = 10",
           "crates": results, "overall": overall}
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(overall, indent=1))


if __name__ == "__main__":
    main()
