"""Benchmark (issue 2): what item extraction costs on top of tree-sitter's raw parse.

Single process, same files, files read into memory first so disk time is out of both numbers:
  1. raw:     tree-sitter-rust parse of every file;
  2. extract: ``rrag.parse.rust.parse_source`` (the same parse + item walk + error count);
  3. finalize: ``finalize`` on every result (the writer-side share).
Prints lines/s for each and the extract/raw ratio; writes bench/results/parse_extract.json.

    .venv/bin/python bench/parse_extract.py [--root /usr/share/cargo/registry] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))

import tree_sitter  # noqa: E402
import tree_sitter_rust  # noqa: E402

from rrag.parse.rust import finalize, parse_source  # noqa: E402


def rust_files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "target")
        out += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(".rs")]
    return out


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/share/cargo/registry")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = Path(args.root)
    paths = rust_files(root)
    blobs = [(str(p.relative_to(root)), p.read_bytes()) for p in paths]
    lines = sum(b.count(b"\n") for _, b in blobs)
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_rust.language()))

    raw_s = best_of(args.repeat, lambda: [parser.parse(b) for _, b in blobs])
    parsed: list = []

    def extract() -> None:
        parsed[:] = [parse_source(b, rel) for rel, b in blobs]

    extract_s = best_of(args.repeat, extract)
    finalize_s = best_of(args.repeat, lambda: [finalize(p, "crate::m") for p in parsed])
    items = sum(len(p.items) for p in parsed)
    result = {
        "root": str(root), "files": len(blobs), "lines": lines, "items": items,
        "raw_parse_s": round(raw_s, 3), "raw_lines_per_s": round(lines / raw_s),
        "parse_extract_s": round(extract_s, 3),
        "parse_extract_lines_per_s": round(lines / extract_s),
        "extract_over_raw": round(extract_s / raw_s, 3),
        "finalize_s": round(finalize_s, 3), "finalize_items_per_s": round(items / finalize_s),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "parse_extract.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'files / lines / items':<30}{len(blobs)} / {lines} / {items}")
    print(f"{'raw tree-sitter parse':<30}{result['raw_lines_per_s']:>10} lines/s  {raw_s:7.2f} s")
    print(f"{'parse + extract':<30}{result['parse_extract_lines_per_s']:>10} lines/s  "
          f"{extract_s:7.2f} s  ({result['extract_over_raw']:.2f}x raw time)")
    print(f"{'finalize (writer side)':<30}{result['finalize_items_per_s']:>10} items/s  "
          f"{finalize_s:7.2f} s")


if __name__ == "__main__":
    main()
