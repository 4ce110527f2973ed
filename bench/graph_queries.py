"""Benchmark: code graph on real crates — edge counts per type, share of call sites resolved,
edge extraction + resolution cost on the index, and in-process query medians
(neighbors depth 2, path depth 4). Writes bench/results/graph_queries.json.

Usage: .venv/bin/python bench/graph_queries.py [crate-dir ...]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rrag.config import Config
from rrag.graph import build
from rrag.parse import workspace as ws_mod
from rrag.service.engine import Engine
from rrag.store import edges as edges_db

REG = Path("/usr/share/cargo/registry")
DEFAULT = ["regex-1.7.1", "regex-syntax-0.6.27", "clap-4.0.32"]


def measure(crate: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(crate, Config(), db_path=Path(tmp) / "index.sqlite")
        t0 = time.perf_counter()
        report = engine.index(embed=False)
        index_s = time.perf_counter() - t0
        store = engine.store
        t1 = time.perf_counter()
        build.rebuild(store, ws_mod.discover(engine.root))
        resolve_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        again = engine.index(embed=False)
        noop_s = time.perf_counter() - t2
        counts = edges_db.kind_counts(store)
        calls = edges_db.list_edges(store, "calls")
        resolved_calls = sum(1 for e in calls if e["target_id"])
        ids = [row[0] for row in store.execute(
            "SELECT DISTINCT source FROM edges WHERE kind = 'calls' AND target IS NOT NULL")]
        rng = random.Random(7)
        sample = rng.sample(ids, min(40, len(ids)))
        near, paths = [], []
        for item in sample:
            a = time.perf_counter()
            edges_db.neighbors(store, item, 2, None)
            near.append(time.perf_counter() - a)
            goal = rng.choice(ids)
            a = time.perf_counter()
            edges_db.shortest_path(store, item, goal, 4)
            paths.append(time.perf_counter() - a)
        lines = report.lines_parsed
        engine.close()
    return {
        "crate": crate.name, "lines": lines, "files": report.files_parsed,
        "index_seconds_with_edges": round(index_s, 3),
        "resolution_seconds": round(resolve_s, 3),
        "noop_reindex_seconds": round(noop_s, 3), "noop_files_parsed": again.files_parsed,
        "edges": report.edges, "per_type": counts,
        "call_sites_kept": len(calls), "call_sites_resolved": resolved_calls,
        "share_calls_resolved": round(resolved_calls / max(1, len(calls)), 3),
        "neighbors_depth2_median_ms": round(statistics.median(near) * 1000, 2),
        "path_depth4_median_ms": round(statistics.median(paths) * 1000, 2),
    }


def main() -> None:
    names = sys.argv[1:] or DEFAULT
    results = [measure(REG / n) for n in names]
    out = Path(__file__).parent / "results" / "graph_queries.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
