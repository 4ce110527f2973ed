"""Benchmark (issue 2): the whole structural index against tree-sitter's raw parse.

In one run, over the same files (every crate under /usr/share/cargo/registry by default):
  1. raw: tree-sitter-rust parsing every file in a single process (read + parse, nothing else);
  2. rrag: `rrag index --no-embed` from a fresh cache (discover + parse + extract + store, all
     cores, one writer), as a user runs it;
  3. the no-change re-index, as a share of the first index.
Writes bench/results/index_throughput.json and prints a table.

    .venv/bin/python bench/index_throughput.py [--root DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tree_sitter
import tree_sitter_rust

HERE = Path(__file__).resolve().parent
RRAG = Path(sys.executable).parent / "rrag"


def raw_parse(root: Path, files: list[str]) -> tuple[float, int, int]:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_rust.language()))
    lines = nbytes = 0
    start = time.perf_counter()
    for rel in files:
        with open(root / rel, "rb") as fh:
            data = fh.read()
        parser.parse(data)
        lines += data.count(b"\n")
        nbytes += len(data)
    return time.perf_counter() - start, lines, nbytes


def run_index(root: Path, cache: str) -> tuple[float, dict]:
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    start = time.perf_counter()
    out = subprocess.run([str(RRAG), "index", "--no-embed", "--json", "--root", str(root)],
                         env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/share/cargo/registry")
    args = ap.parse_args()
    root = Path(args.root)
    sys.path.insert(0, str(HERE.parent / "python"))
    from rrag.parse import workspace

    files = workspace.rust_files(workspace.discover(root))
    raw_s, lines, nbytes = raw_parse(root, files)
    with tempfile.TemporaryDirectory() as cache:
        first_s, first = run_index(root, cache)
        again_s, again = run_index(root, cache)
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "tree_sitter": tree_sitter.__version__ if hasattr(tree_sitter, "__version__") else "?"},
        "root": str(root), "files": len(files), "lines": lines, "bytes": nbytes,
        "raw_parse_s": round(raw_s, 2), "raw_lines_per_s": round(lines / raw_s),
        "index_s": round(first_s, 2), "index_lines_per_s": round(lines / first_s),
        "ratio_vs_raw": round(raw_s / first_s, 3),
        "files_parsed": first["files_parsed"], "items": first["items"],
        "errors": len(first["errors"]),
        "reindex_s": round(again_s, 3), "reindex_share": round(again_s / first_s, 4),
        "reindex_files_parsed": again["files_parsed"],
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "index_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'files':<28}{len(files):>12}\n{'lines':<28}{lines:>12}")
    print(f"{'raw tree-sitter (1 proc)':<28}{result['raw_lines_per_s']:>12} lines/s  {raw_s:8.2f} s")
    print(f"{'rrag index (all cores)':<28}{result['index_lines_per_s']:>12} lines/s  {first_s:8.2f} s")
    print(f"{'ratio rrag / raw':<28}{result['ratio_vs_raw']:>12}")
    print(f"{'no-change re-index':<28}{again_s:>12.3f} s  ({100 * result['reindex_share']:.1f} % of first)")


if __name__ == "__main__":
    main()
