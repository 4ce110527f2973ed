"""Median in-process ``context`` time on a 30k+-line crate (goal < 150 ms).

The crate (default regex-syntax 0.6.27, 51k lines) is copied from /usr/share/cargo/registry to a
temporary folder and indexed (no vectors); the model worker is started by one warm-up request.
Then ``--requests`` cursors on random functions and methods, each with the result cache
bypassed (``use_cache=False``: the CacheManager does not make the number). Two figures: with the
per-text token-count memo as it runs in the editor, and with that memo emptied before every
request (every section counted by the tokenizer again).

    .venv/bin/python bench/context_latency.py [--crate regex-syntax-0.6.27] [--requests 40]
RRAG_PYTHON=/other/checkout/python measures another version's engine (run both back to back, so
they share the machine's load).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("RRAG_PYTHON") or str(REPO / "python"))

from rrag.service.engine import Engine  # noqa: E402

REGISTRY = Path("/usr/share/cargo/registry")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crate", default="regex-syntax-0.6.27")
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--budget", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "context_latency.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rrag-ctxl-") as tmp:
        root = Path(tmp) / args.crate
        shutil.copytree(REGISTRY / args.crate, root)
        lines = sum(len(p.read_text(errors="replace").splitlines()) for p in root.rglob("*.rs"))
        with Engine(root, db_path=Path(tmp) / "index.sqlite") as engine:
            engine.index(embed=False)
            items = [r for r in engine.items() if r.kind in ("function", "method")]
            cursors = random.Random(args.seed).sample(items, min(args.requests, len(items)))
            engine.assistant.context(cursors[0].path, cursors[0].start_line, budget=args.budget)
            memo, fresh = [], []
            for row in cursors:
                started = time.perf_counter()
                engine.assistant.context(row.path, row.start_line + 1, budget=args.budget,
                                         use_cache=False)
                memo.append(time.perf_counter() - started)
            for row in cursors:
                engine.assistant._counts.clear()
                started = time.perf_counter()
                engine.assistant.context(row.path, row.start_line + 1, budget=args.budget,
                                         use_cache=False)
                fresh.append(time.perf_counter() - started)
    ms = lambda xs: round(1000 * statistics.median(xs), 1)  # noqa: E731
    p90 = lambda xs: round(1000 * sorted(xs)[int(0.9 * len(xs))], 1)  # noqa: E731
    result = {"crate": args.crate, "lines": lines, "requests": len(cursors),
              "budget": args.budget, "median_ms": ms(memo), "p90_ms": p90(memo),
              "median_ms_no_count_memo": ms(fresh), "p90_ms_no_count_memo": p90(fresh),
              "load_average": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count(),
              "engine": os.environ.get("RRAG_PYTHON") or "this checkout"}
    print(json.dumps(result))
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
