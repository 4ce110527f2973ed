"""Coverage-guided fuzzing (atheris / libFuzzer) of the parse -> store path: each input is parsed
with tree-sitter exactly as the indexer does (items, macros, references, lexical rows), finalized
under a module path, checked against the invariants the rest of rrag relies on, and written into
a real SQLite index (sqlite-vec loaded) in one transaction.

Invariants: nothing raises; items[0] is the file item; every item's byte span lies inside the
input and inside its parent's span; lines are 1-based and ordered; NodeIds are 32 hex digits and
unique in the file; the store accepts the file and reads back the same item ids.

    .venv/bin/pip install -e '.[bench]'        # atheris
    .venv/bin/python bench/fuzz_parser.py --seconds 600 [--corpus DIR]

Writes bench/results/fuzz_parser.json (executions, coverage, crashes). A crash leaves libFuzzer's
crash-<sha1> file in the working folder; reproduce with ``bench/fuzz_parser.py --replay FILE``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
REGISTRY = Path("/usr/share/cargo/registry")

_STORE = None


def _store():
    global _STORE
    if _STORE is None:
        from rrag.store import open_store

        folder = Path(tempfile.mkdtemp(prefix="rrag-fuzz-", dir="/dev/shm"
                                       if os.path.isdir("/dev/shm") else None))
        _STORE = open_store(folder / "index.sqlite")
    return _STORE


def check_one(data: bytes) -> None:
    from rrag.parse.nodeid import NodeId
    from rrag.parse.rust import finalize, parse_source
    from rrag.parse.task import looks_binary
    from rrag.parse.tokens import lexical_row
    from rrag.store import files as files_db
    from rrag.store import items as items_db

    if looks_binary(data):  # the indexer never parses these (reported as "not a text file")
        return
    parsed = parse_source(data, "src/fuzz.rs")
    finalize(parsed, "fuzz")
    items = parsed.items
    assert items and items[0].kind == "file", "items[0] must be the file item"
    by_id = {}
    for it in items:
        assert 0 <= it.start_byte <= it.end_byte <= len(data), (it.kind, it.start_byte, it.end_byte)
        assert 1 <= it.start_line <= it.end_line, (it.start_line, it.end_line)
        assert re.fullmatch(r"[0-9a-f]{32}", it.id), it.id
        assert NodeId.from_hex(it.id).hex() == it.id
        assert it.id not in by_id, f"duplicate id for {it.qualname}"
        by_id[it.id] = it
    for it in items[1:]:
        parent = by_id.get(it.parent)
        assert parent is not None, f"{it.qualname}: parent {it.parent} missing"
        assert parent.start_byte <= it.start_byte and it.end_byte <= parent.end_byte, it.qualname
    rows = [lexical_row(it) for it in items]
    store = _store()
    rec = files_db.FileRecord(path="src/fuzz.rs", module_path="fuzz", crate="fuzz", hash="h")
    files_db.replace_file(store, rec, items, ["h"] * len(items), rows)
    stored = {r.id for r in items_db.list_items(store, "src/fuzz.rs")}
    assert stored == set(by_id), "the store lost or invented items"


def seed_corpus(folder: Path, limit: int = 200) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        return folder
    files = sorted(REGISTRY.glob("*/src/**/*.rs"))[
        :: max(1, len(list(REGISTRY.glob("*/src/**/*.rs"))) // limit)]
    for n, path in enumerate(files[:limit]):
        (folder / f"seed{n:04d}.rs").write_bytes(path.read_bytes()[:8192])
    return folder


def fuzz(seconds: int, corpus: Path) -> None:
    import atheris

    with atheris.instrument_imports(include=["rrag"]):
        import rrag.parse.extract  # noqa: F401
        import rrag.parse.macros  # noqa: F401
        import rrag.parse.refs  # noqa: F401
        import rrag.parse.rust  # noqa: F401
        import rrag.parse.text  # noqa: F401
        import rrag.parse.tokens  # noqa: F401
        import rrag.store.files  # noqa: F401

    def target(data: bytes) -> None:
        check_one(data)

    atheris.Setup([sys.argv[0], str(corpus), f"-max_total_time={seconds}", "-max_len=8192",
                   "-timeout=30", "-rss_limit_mb=2048", "-print_final_stats=1"], target)
    atheris.Fuzz()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "rrag-fuzz-corpus")
    ap.add_argument("--replay", type=Path)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "fuzz_parser.json")
    args = ap.parse_args()
    if args.replay:
        check_one(args.replay.read_bytes())
        print("no failure")
        return
    if args.child:
        fuzz(args.seconds, args.corpus)
        return
    seed_corpus(args.corpus)
    seeds = len(list(args.corpus.iterdir()))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, __file__, "--child", "--seconds", str(args.seconds),
                           "--corpus", str(args.corpus)], capture_output=True, text=True,
                          cwd=tempfile.gettempdir())
    log = proc.stderr
    stats = dict(re.findall(r"stat::(\w+):\s+(\d+)", log))
    last = re.findall(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+)", log)
    crashes = re.findall(r"Test unit written to (\S+)", log)
    result = {
        "seconds": round(time.monotonic() - started, 1), "exit_code": proc.returncode,
        "executions": int(stats.get("number_of_executed_units", last[-1][0] if last else 0)),
        "execs_per_second": int(stats.get("average_exec_per_sec", 0)),
        "coverage_edges": int(last[-1][1]) if last else 0,
        "features": int(last[-1][2]) if last else 0,
        "seed_files": seeds, "corpus_files_after": len(list(args.corpus.iterdir())),
        "peak_rss_mb": int(stats.get("peak_rss_mb", 0)), "crash_files": crashes,
        "failure": log[log.find("=== Uncaught") if "=== Uncaught" in log
                       else log.find("==") :][:3000]
        if proc.returncode else "",
        "machine": f"{os.cpu_count()} cores, shared with other work",
    }
    Path(tempfile.gettempdir(), "rrag-fuzz.log").write_text(log)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
