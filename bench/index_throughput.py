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
With ``--own-cost`` this engine indexes alternately with ``RRAG_MACRO_ARGS=0`` (issue 18's
macro-argument, doc-test and template passes off: doc/graph.md) and with them on, same run:
the cost of those passes alone, on today's engine. Both report every round (wall, CPU, load
average) and the medians; ``--only-compare`` skips the raw parse and the single index.
Writes bench/results/index_throughput.json (or ``--out NAME``) and prints a table.

    .venv/bin/python bench/index_throughput.py [--root DIR] [--compare DIR | --own-cost]
        [--rounds 3] [--only-compare] [--out NAME.json]
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


def timed_index(root: Path, cache: str, python_dir: str | None = None,
                extra_env: dict[str, str] | None = None) -> tuple[float, dict, float]:
    """Wall seconds, the JSON report and the CPU seconds of the run and its children."""
    env = {**os.environ, "XDG_CACHE_HOME": cache, **(extra_env or {})}
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


# An arm: (name, python_dir or None for this checkout, extra environment). The baseline
# ("other") runs first in every round, as the compare always did.
Arm = tuple[str, str | None, dict[str, str]]


def alternate(root: Path, arms: list[Arm], rounds: int) -> dict:
    """The arms in turn on fresh caches, ``rounds`` times: every run and the medians."""
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in arms}
    for k in range(rounds):
        for name, python_dir, extra in arms:
            load_before = os.getloadavg()[0]
            with tempfile.TemporaryDirectory() as cache:
                wall, report, cpu = timed_index(root, cache, python_dir, extra)
            runs[name].append({"round": k + 1, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                               "load_before": round(load_before, 2),
                               "load_after": round(os.getloadavg()[0], 2),
                               "items": report.get("items"), "edges": report.get("edges"),
                               "files_parsed": report.get("files_parsed")})
            print(f"  round {k + 1} {name:<6} wall {wall:7.2f} s  cpu {cpu:7.2f} s  load "
                  f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
    out: dict = {"rounds": runs}
    for name, r in runs.items():
        out[name] = {"wall_s": round(statistics.median(x["wall_s"] for x in r), 2),
                     "cpu_s": round(statistics.median(x["cpu_s"] for x in r), 2)}
    base, this = arms[0][0], arms[-1][0]
    out["cpu_change"] = round(out[this]["cpu_s"] / out[base]["cpu_s"] - 1, 4)
    out["wall_change"] = round(out[this]["wall_s"] / out[base]["wall_s"] - 1, 4)
    out["pair_cpu_changes"] = [round(b["cpu_s"] / a["cpu_s"] - 1, 4)
                               for a, b in zip(runs[base], runs[this])]
    out["pair_wall_changes"] = [round(b["wall_s"] / a["wall_s"] - 1, 4)
                                for a, b in zip(runs[base], runs[this])]
    return out


def compare(root: Path, other: str, rounds: int) -> dict:
    """This engine and ``other`` alternating on fresh caches: median wall and CPU seconds."""
    result = alternate(root, [("other", other, {}), ("this", None, {})], rounds)
    result["other_python"] = other
    return result


def own_cost(root: Path, rounds: int) -> dict:
    """This engine with issue 18's wrapper passes off, then on, alternating."""
    result = alternate(root, [("off", None, {"RRAG_MACRO_ARGS": "0"}),
                              ("on", None, {"RRAG_MACRO_ARGS": "1"})], rounds)
    result["switch"] = "RRAG_MACRO_ARGS"
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/share/cargo/registry")
    ap.add_argument("--compare", default="", help="another checkout's python/ folder")
    ap.add_argument("--own-cost", action="store_true",
                    help="this engine with RRAG_MACRO_ARGS=0 and =1, alternating")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only-compare", action="store_true",
                    help="skip the raw parse and the single index (with --compare/--own-cost)")
    ap.add_argument("--out", default="index_throughput.json", help="file under bench/results/")
    args = ap.parse_args()
    root = Path(args.root)
    sys.path.insert(0, str(HERE.parent / "python"))
    from rrag.parse import workspace

    files = workspace.rust_files(workspace.discover(root))
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "tree_sitter": getattr(tree_sitter, "__version__", "?")},
        "root": str(root), "files": len(files),
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
    }
    if not (args.only_compare and (args.compare or args.own_cost)):
        result.update(single(root, files))
    if args.compare:
        result["compare"] = compare(root, args.compare, args.rounds)
    if args.own_cost:
        result["own_cost"] = own_cost(root, args.rounds)
    result["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'files':<28}{len(files):>12}")
    if "index_s" in result:
        print(f"{'lines':<28}{result['lines']:>12}")
        print(f"{'raw tree-sitter (1 proc)':<28}{result['raw_lines_per_s']:>12} lines/s  "
              f"{result['raw_parse_s']:8.2f} s")
        print(f"{'rrag index (all cores)':<28}{result['index_lines_per_s']:>12} lines/s  "
              f"{result['index_s']:8.2f} s")
        print(f"{'ratio rrag / raw':<28}{result['ratio_vs_raw']:>12}")
        print(f"{'no-change re-index':<28}{result['reindex_s']:>12.3f} s  "
              f"({100 * result['reindex_share']:.1f} % of first)")
    for key, label in (("compare", "vs " + args.compare), ("own_cost", "RRAG_MACRO_ARGS 0 -> 1")):
        if key in result:
            c = result[key]
            print(f"{label:<28} wall {100 * c['wall_change']:+.1f} %  "
                  f"cpu {100 * c['cpu_change']:+.1f} %  (medians of {args.rounds}; pairs cpu "
                  + " ".join(f"{100 * x:+.1f} %" for x in c["pair_cpu_changes"]) + ")")


def single(root: Path, files: list[str]) -> dict:
    """The raw parse, one index from a fresh cache and its no-change re-index."""
    raw_s, lines, nbytes = raw_parse(root, files)
    with tempfile.TemporaryDirectory() as cache:
        first_s, first = run_index(root, cache)
        again_s, again = run_index(root, cache)
    return {
        "lines": lines, "bytes": nbytes,
        "raw_parse_s": round(raw_s, 2), "raw_lines_per_s": round(lines / raw_s),
        "index_s": round(first_s, 2), "index_lines_per_s": round(lines / first_s),
        "ratio_vs_raw": round(raw_s / first_s, 3),
        "files_parsed": first["files_parsed"], "items": first["items"],
        "errors": len(first["errors"]),
        "reindex_s": round(again_s, 3), "reindex_share": round(again_s / first_s, 4),
        "reindex_files_parsed": again["files_parsed"],
    }


if __name__ == "__main__":
    main()
