"""The per-request freshness check (service/freshness.py) and the unsaved-buffer overlay
(service/overlay.py), measured side by side with a plain stat walk of the same tree.

For each tree (the 10k-file generated workspace of bench/gen_workspace.py, and the registry
tree /usr/share/cargo/registry), in one run:

* ``check``: ``Engine.freshness.check()`` when nothing changed, as the editor's long-lived
  engine runs it (its folders watched: service/watch.py); ``check_stat``: the stat walk it
  falls back to (every indexed file stat-ed, no watch); ``check_cold``: a new ``rrag``
  process's check (snapshot and stored file stats read from the index, then the stat walk);
* ``stat_walk``: the reference, a plain ``os.walk`` + ``os.stat`` of every file of the tree;
* ``stat_indexed``: ``os.stat`` of just the indexed files (the floor for a stat-based check);
* ``refresh_one_edit``: ``Engine.refresh()`` after one file's body changed (check + re-index).

And on the generated workspace, the overlay of a 2,000-line modified buffer: the buffer laid
over the index and rolled back (parse, write, the crate's edges), and ``Engine.context`` with
and without it (a new question each time, so the result cache never answers).

    .venv/bin/python bench/freshness.py [--files 10000] [--registry /usr/share/cargo/registry]
        [--runs 30] [--out bench/results/freshness.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rrag.config import Config, IndexConfig  # noqa: E402
from rrag.service.engine import Engine  # noqa: E402
from rrag.service.freshness import Freshness  # noqa: E402


def pct(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    return {"p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 2), "runs": len(ms)}


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def stat_walk(root: Path) -> int:
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "target"]
        for name in files:
            os.stat(os.path.join(folder, name))
            count += 1
    return count


def measure_tree(name: str, root: Path, runs: int, edit: str | None) -> dict:
    config = Config(index=IndexConfig(dependencies=False))
    with Engine(root, config) as engine:
        start = time.perf_counter()
        report = engine.index(embed=False)
        index_s = time.perf_counter() - start
        files = sorted(engine.freshness._store().execute(  # noqa: SLF001 - a benchmark
            "SELECT path FROM files WHERE dep_key IS NULL").fetchall())
        paths = [str(root / p[0]) for p in files]
        assert engine.freshness.check().fresh, "nothing changed, yet the check saw a change"
        # Interleaved, so load changes hit both alike.
        fresh = engine.freshness
        assert fresh.check().fresh  # the second check: the editor's engine starts watching
        snap = fresh.snapshot()
        check, stat_check, cold, walk, indexed = [], [], [], [], []
        for _ in range(runs):
            check += timed(fresh.check, 1)  # the editor's engine: folders watched
            stat_check += timed(lambda: fresh._walk(snap), 1)  # noqa: SLF001 - no watch
            # A new `rrag` process: snapshot and file stats read from the index, one check.
            cold += timed(lambda: Freshness(root, lambda: engine.store,
                                            config.index).check(), 1)
            walk += timed(lambda: stat_walk(root), 1)
            indexed += timed(lambda: [os.stat(p) for p in paths], 1)
        assert fresh.check().fresh
        out = {"tree": name, "root": str(root), "files_indexed": len(paths),
               "folders_watched": len(engine.freshness.snapshot().dirs),
               "files_in_tree": stat_walk(root), "lines": report.lines_parsed,
               "index_s": round(index_s, 2), "check": pct(check), "check_stat": pct(stat_check),
               "check_cold": pct(cold), "stat_walk": pct(walk),
               "stat_indexed": pct(indexed)}
        out["check_vs_stat_walk"] = round(out["check"]["p50_ms"] / out["stat_walk"]["p50_ms"], 3)
        if edit:
            target = root / edit
            original = target.read_text()
            try:
                target.write_text(original + "\npub fn freshly_added_for_bench() {}\n")
                start = time.perf_counter()
                verdict = engine.refresh()
                out["refresh_one_edit_s"] = round(time.perf_counter() - start, 3)
                out["refresh_reason"] = verdict.reason
            finally:
                target.write_text(original)
                engine.refresh()
        return out


def big_buffer(text: str, lines: int) -> str:
    """A 2,000-line buffer: the file's own text, then numbered copies of a function."""
    out = [text.rstrip("\n")]
    n = 0
    while sum(s.count("\n") + 1 for s in out) < lines:
        out.append(f"\n/// Copy {n} of a helper, as typed.\npub fn typed_helper_{n}(x: u64) -> "
                   f"u64 {{\n    let y = x.wrapping_mul({n + 3});\n    y ^ (y >> 7)\n}}")
        n += 1
    return "\n".join(out) + "\n"


def measure_overlay(root: Path, rel: str, runs: int) -> dict:
    with Engine(root) as engine:
        engine.refresh()
        text = big_buffer((root / rel).read_text(), 2000)
        path = str(root / rel)
        engine.context(path, 3, query="warm up")  # loads the tokenizer, fills count caches
        applied, with_buf, without = [], [], []
        for i in range(runs):
            buf = text + f"// edit {i}\n"  # a new text each time: parsed every time
            engine.with_buffers({path: buf})

            def apply() -> None:
                with engine.overlay.applied():
                    pass
            applied += timed(apply, 1)
            buf2 = text + f"// edit b{i}\n"
            with_buf += timed(lambda: engine.context(path, 2000, query=f"helper {i}",
                                                     buffers={path: buf2}), 1)
            without += timed(lambda: engine.context(path, 3, query=f"helper {i}"), 1)
        return {"file": rel, "buffer_lines": text.count("\n"), "overlay_apply": pct(applied),
                "context_with_overlay": pct(with_buf), "context_without": pct(without)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--registry", default="/usr/share/cargo/registry")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--skip-registry", action="store_true")
    ap.add_argument("--out", default="bench/results/freshness.json")
    args = ap.parse_args()
    from gen_workspace import generate

    results: dict = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="rrag-fresh-") as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        ws = Path(tmp) / "ws"
        generate(ws, args.files, 20, 1)
        edit = next(str(p.relative_to(ws)) for p in sorted(ws.rglob("f0*.rs")))
        results["generated"] = measure_tree(f"generated {args.files}", ws, args.runs, edit)
        print(json.dumps(results["generated"]), flush=True)
        results["overlay"] = measure_overlay(ws, edit, min(args.runs, 15))
        print(json.dumps(results["overlay"]), flush=True)
        if not args.skip_registry and Path(args.registry).is_dir():
            results["registry"] = measure_tree("registry", Path(args.registry), args.runs, None)
            print(json.dumps(results["registry"]), flush=True)
    results["load_after"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps({"load": [results["load_before"], results["load_after"]]}))


if __name__ == "__main__":
    main()
