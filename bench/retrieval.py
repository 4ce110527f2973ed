"""Benchmark: doc-comment-to-code retrieval — BM25 only, vectors only and hybrid, side by side.

For each crate (real sources from /usr/share/cargo/registry, copied to a work folder): pick
documented functions and methods with a name unique in the crate whose doc comment opens with a
sentence of 5+ words that no other item shares (at most ``--per-crate``, seeded); strip those doc
comments in the copy; index the copy with vectors; query with each stripped first sentence and
find the function's rank through ``Engine.search``. Reports Recall@1, Recall@10 and MRR@10 per
crate, mode and crate set. Fusion is chosen on the DEV set and reported on TEST + ORIGINAL
(held out). ``--dump`` writes every query's candidates with raw scores for
bench/retrieval_offline.py; ``--work`` keeps the copies and indexes so a re-run does not embed.

    .venv/bin/python bench/retrieval.py [--set test original] [--crates bytes ...] [--per-crate 80]
"""

from __future__ import annotations

import argparse
import gzip
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
from rrag.service.search import GRAPH_KINDS  # noqa: E402
from rrag.store import edges as edges_db  # noqa: E402
from rrag.store import items as items_db  # noqa: E402
from rrag.store import lexical  # noqa: E402
from rrag.store import vectors as vec_db  # noqa: E402

REGISTRY = Path("/usr/share/cargo/registry")
DOC_LINE = re.compile(rb"^[ \t]*(///|#\[doc\s*=).*\n?", re.M)


Query = tuple[str, str, str]  # (first doc sentence, path, qualified name of the target)

# Fusion is chosen on DEV only; TEST and the four crates of the first runs are held out.
DEV = ["either", "fixedbitset", "once_cell", "spin", "lock_api", "log", "parking_lot",
       "crossbeam-utils", "rand", "bumpalo", "regex", "rayon", "serde_json", "mio", "tracing"]
TEST = ["hashbrown", "crossbeam-channel", "crossbeam-epoch", "tracing-core",
        "fallible-iterator", "unicase", "arbitrary", "petgraph", "rayon-core",
        "crossbeam-deque", "proc-macro2", "miniz_oxide"]
ORIGINAL = ["bytes", "indexmap", "smallvec", "memchr"]
SETS = {"dev": DEV, "test": TEST, "original": ORIGINAL}

# Reported modes: (engine search mode, hybrid weights).
# "bm25" is the lexical retriever as search runs it (BM25 plus the name column's own BM25,
# ``name_share``); the plain-BM25 rows show what that part adds on its own.
MODES = {"bm25": ("lexical", HybridWeights()), "vector": ("vector", HybridWeights()),
         "hybrid": ("hybrid", HybridWeights()),
         "hybrid, no graph lift": ("hybrid", HybridWeights(graph=0.0)),
         "bm25, plain (name_share 0)": ("lexical", HybridWeights(name_share=0.0)),
         "hybrid over plain bm25 (session 2 default)": ("hybrid", HybridWeights(name_share=0.0))}


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


def evaluate(engine: Engine, queries: list[Query], mode: str, weights: HybridWeights) -> dict:
    engine.searcher.weights = weights
    ranks = []
    engine.search(queries[0][0], 10, mode=mode)  # load the model outside the timing
    started = time.perf_counter()
    for query, path, qualname in queries:
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


DUMP_K = 300  # candidates per retriever in a dump (search fuses the top 100 of each)
COLUMNS = {"name": (1, 0, 0, 0), "signature": (0, 1, 0, 0), "docs": (0, 0, 1, 0),
           "body": (0, 0, 0, 1)}


def dump_candidates(engine: Engine, queries: list[Query], out: Path) -> None:
    """Per query: the target's id, BM25 hits (default column weights and each column alone),
    vector hits (cosine, best window per item), the query vector; plus every item's metadata and
    its graph links, so fusion variants can be scored offline without the model."""
    store = engine.store
    rows = items_db.list_items(store)
    by_name = {(r.path, r.qualname): r.id for r in rows}
    vectors = engine.embedder.embed([q for q, _, _ in queries])
    records = []
    for (query, path, qualname), vector in zip(queries, vectors):
        records.append({
            "query": query, "target": by_name.get((path, qualname)),
            "lexical": lexical.search(store, query, k=DUMP_K),
            "columns": {c: lexical.search(store, query, k=DUMP_K, weights=w)
                        for c, w in COLUMNS.items()},
            "vector": vec_db.knn(store, vector, DUMP_K),
            "query_vector": [round(float(x), 6) for x in vector]})
    links: dict[str, list[str]] = {}
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 400):
        links.update(edges_db.linked(store, ids[start:start + 400], GRAPH_KINDS))
    meta = {r.id: {"kind": r.kind, "name": r.name, "qualname": r.qualname, "path": r.path,
                   "signature": r.signature, "module_path": r.module_path, "parent": r.parent,
                   "lines": r.end_line - r.start_line + 1, "visibility": r.visibility,
                   "self_type": r.self_type, "trait_name": r.trait_name} for r in rows}
    with gzip.open(out, "wt") as f:
        json.dump({"crate": engine.root.name, "queries": records, "items": meta,
                   "links": {k: v for k, v in links.items() if v}}, f)


def prepare(name: str, per_crate: int, seed: int, work: Path) -> tuple[Path, list[Query]]:
    """The stripped copy and its queries, made once per work folder (kept with ``--work``, so a
    later run re-indexes incrementally instead of embedding the crate again)."""
    src = crate_dir(name)
    root = work / src.name
    saved = work / f"{src.name}.targets.json"
    if saved.exists() and root.is_dir():
        return root, [tuple(q) for q in json.loads(saved.read_text())]
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(src, root)
    with Engine(root, Config(), db_path=work / f"{name}-scan.sqlite") as scan:
        scan.index(embed=False)
        targets = pick_targets(scan, per_crate, seed)
    strip_docs(root, targets)
    queries = [(first_sentence(t.docs), t.path, t.qualname) for t in targets]
    saved.write_text(json.dumps(queries, indent=0))
    return root, queries


def run_crate(name: str, per_crate: int, seed: int, work: Path, dump: Path | None,
              evaluate_modes: bool = True) -> dict:
    root, queries = prepare(name, per_crate, seed, work)
    with Engine(root, Config(), db_path=work / f"{name}.sqlite") as engine:
        started = time.monotonic()
        report = engine.index()
        index_s = time.monotonic() - started
        stats = engine.stats()
        out = {"crate": root.name, "lines": stats["lines"], "items": stats["items"],
               "vectors": stats["vectors"], "index_seconds": round(index_s, 1),
               "embed_seconds": report.embedding["seconds"], "targets": len(queries),
               "modes": {}}
        if dump is not None:
            dump_candidates(engine, queries, dump / f"{name}.json.gz")
        if not evaluate_modes:
            return out
        for mode, (engine_mode, weights) in MODES.items():
            out["modes"][mode] = evaluate(engine, queries, engine_mode, weights)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crates", nargs="+", help="crate names (default: --set)")
    ap.add_argument("--set", nargs="+", choices=sorted(SETS), default=["test", "original"],
                    help="named crate sets; fusion is chosen on dev, reported on test+original")
    ap.add_argument("--per-crate", type=int, default=80)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", help="keep copies and indexes here (re-runs skip re-embedding)")
    ap.add_argument("--dump", help="write per-query candidates with raw scores here (offline "
                    "fusion experiments: bench/retrieval_offline.py)")
    ap.add_argument("--index-only", action="store_true", help="prepare and index, no metrics")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "retrieval.json"))
    args = ap.parse_args()
    crates = args.crates or [c for s in args.set for c in SETS[s]]
    dump = Path(args.dump) if args.dump else None
    if dump:
        dump.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        os.environ["XDG_CACHE_HOME"] = str(work / "cache")
        for name in crates:
            results.append(run_crate(name, args.per_crate, args.seed, work, dump,
                                     not args.index_only))
            print(json.dumps(results[-1], indent=1), flush=True)
    if args.index_only:
        return
    doc = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                       "loadavg_1m": os.getloadavg()[0]},
           "method": "doc comment stripped in a copy, query = its first sentence, k = 10",
           "crates": results, "sets": {}}
    for set_name, members in [*SETS.items(), ("all", crates)]:
        chosen = [r for r in results if r["crate"].rsplit("-", 1)[0] in members]
        if chosen:
            doc["sets"][set_name] = pooled(chosen)
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc["sets"], indent=1))


def pooled(results: list[dict]) -> dict:
    """Metrics over all queries of ``results`` (each crate weighted by its query count)."""
    total = sum(r["targets"] for r in results)
    out = {"crates": [r["crate"] for r in results], "queries": total}
    for mode in results[0]["modes"]:
        out[mode] = {k: round(sum(r["modes"][mode][k] * r["targets"] for r in results) / total, 3)
                     for k in ("recall@1", "recall@10", "mrr@10")}
    return out


if __name__ == "__main__":
    main()
