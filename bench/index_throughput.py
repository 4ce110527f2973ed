"""Benchmark (issue 2): the whole structural index against tree-sitter's raw parse.

In one run, over the same files (every crate under /usr/share/cargo/registry by default):
  1. raw: tree-sitter-rust parsing every file in a single process (read + parse, nothing else);
  2. rrag: `rrag index --no-embed` from a fresh cache (discover + parse + extract + store, all
     cores, one writer), as a user runs it;
  3. the no-change re-index, as a share of the first index.
With ``--compare DIR`` (another checkout's ``python/`` folder, e.g. the commit before a change),
both engines index the same files from a fresh cache, alternating, ``--rounds`` times each; the
CPU seconds of rrag and its parse processes (``RUSAGE_CHILDREN``) are reported beside the wall
time, since on a shared machine the wall time of a half tracks the load more than the code.
Writes bench/results/index_throughput.json and prints a table.

    .venv/bin/python bench/index_throughput.py [--root DIR] [--compare DIR --rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
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


def run_index(root: Path, cache: str, python_dir: str | None = None) -> tuple[float, dict]:
    return timed_index(root, cache, python_dir)[:2]  # type: ignore[return-value]


def timed_index(root: Path, cache: str, python_dir: str | None = None) -> tuple[float, dict, float]:
    """Wall seconds, the JSON report and the CPU seconds of the run and its children."""
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    if python_dir:
        env["PYTHONPATH"] = python_dir  # ahead of the venv's editable install
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([str(RRAG), "index", "--no-embed", "--json", "--root", str(root)],
                         env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, json.loads(out.stdout), cpu


def compare(root: Path, other: str, rounds: int) -> dict:
    """This engine and ``other`` alternating on fresh caches: median wall and CPU seconds."""
    runs: dict[str, list[tuple[float, float]]] = {"this": [], "other": []}
    for _ in range(rounds):
        for name, python_dir in (("other", other), ("this", None)):
            with tempfile.TemporaryDirectory() as cache:
                wall, _, cpu = timed_index(root, cache, python_dir)
            runs[name].append((wall, cpu))
            print(f"  {name:<6} wall {wall:7.2f} s  cpu {cpu:7.2f} s  load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    medians = {name: {"wall_s": round(statistics.median(w for w, _ in r), 2),
                      "cpu_s": round(statistics.median(c for _, c in r), 2)}
               for name, r in runs.items()}
    medians["other_python"] = other  # type: ignore[assignment]
    medians["cpu_change"] = round(medians["this"]["cpu_s"] / medians["other"]["cpu_s"] - 1, 4)
    medians["wall_change"] = round(medians["this"]["wall_s"] / medians["other"]["wall_s"] - 1, 4)
    return medians


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/share/cargo/registry")
    ap.add_argument("--compare", default="", help="another checkout's python/ folder")
    ap.add_argument("--rounds", type=int, default=2)
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
                    "tree_sitter": getattr(tree_sitter, "__version__", "?")},
        "root": str(root), "files": len(files), "lines": lines, "bytes": nbytes,
        "raw_parse_s": round(raw_s, 2), "raw_lines_per_s": round(lines / raw_s),
        "index_s": round(first_s, 2), "index_lines_per_s": round(lines / first_s),
        "ratio_vs_raw": round(raw_s / first_s, 3),
        "files_parsed": first["files_parsed"], "items": first["items"],
        "errors": len(first["errors"]),
        "reindex_s": round(again_s, 3), "reindex_share": round(again_s / first_s, 4),
        "reindex_files_parsed": again["files_parsed"],
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    if args.compare:
        result["compare"] = compare(root, args.compare, args.rounds)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "index_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'files':<28}{len(files):>12}\n{'lines':<28}{lines:>12}")
    print(f"{'raw tree-sitter (1 proc)':<28}{result['raw_lines_per_s']:>12} lines/s  "
          f"{raw_s:8.2f} s")
    print(f"{'rrag index (all cores)':<28}{result['index_lines_per_s']:>12} lines/s  "
          f"{first_s:8.2f} s")
    print(f"{'ratio rrag / raw':<28}{result['ratio_vs_raw']:>12}")
    print(f"{'no-change re-index':<28}{again_s:>12.3f} s  "
          f"({100 * result['reindex_share']:.1f} % of first)")
    if args.compare:
        c = result["compare"]
        print(f"{'vs ' + args.compare:<28} wall {100 * c['wall_change']:+.1f} %  "
              f"cpu {100 * c['cpu_change']:+.1f} %  (medians of {args.rounds})")


if __name__ == "__main__":
    main()
