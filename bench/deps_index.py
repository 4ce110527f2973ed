"""Benchmark: indexing the full locked dependency closure of a real crate (issue 8).

A throw-away project depends on a crate from Debian's /usr/share/cargo/registry (default:
clap 4 with `derive`) through a directory source; `cargo generate-lockfile --offline` locks the
closure. Timed with the real engine (`Engine.index(embed=False)`), against an empty shared
dependency cache:
  first  - project A: every locked crate parsed into the cache, then imported;
  second - project B, same lock: everything comes from the cache (goal: < 10 % of first);
  noop   - project A again, nothing changed.
Writes bench/results/deps_index.json.

Usage: .venv/bin/python bench/deps_index.py [crate-requirement ...]
       e.g. 'clap = { version = "4", features = ["derive"] }'
            'tokio = { version = "1", features = ["full"] }'
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rrag.config import Config
from rrag.service.engine import Engine

DEFAULT = ['clap = { version = "4", features = ["derive"] }']
CONFIG = ('[source.crates-io]\nreplace-with = "debian-packages"\n\n'
          '[source.debian-packages]\ndirectory = "/usr/share/cargo/registry"\n')


def project(base: Path, name: str, requirement: str) -> Path:
    root = base / name
    (root / "src").mkdir(parents=True)
    (root / ".cargo").mkdir()
    (root / ".cargo" / "config.toml").write_text(CONFIG)
    (root / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\n'
                                     f'edition = "2021"\n\n[dependencies]\n{requirement}\n')
    (root / "src" / "lib.rs").write_text("pub fn answer() -> u32 { 42 }\n")
    subprocess.run(["cargo", "generate-lockfile", "--offline", "--quiet"], cwd=root, check=True)
    return root


def timed_index(root: Path, db: Path) -> tuple[float, dict]:
    engine = Engine(root, Config(), db_path=db)
    try:
        start = time.perf_counter()
        report = engine.index(embed=False)
        seconds = time.perf_counter() - start
        lines = engine.store.one("SELECT coalesce(sum(line_count), 0) FROM files "
                                 "WHERE dep_key IS NOT NULL")
    finally:
        engine.close()
    out = report.to_json()
    out["dependency_lines"] = int(lines or 0)
    return seconds, out


def measure(requirement: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        os.environ["RRAG_CACHE_DIR"] = str(base / "cache")  # an empty shared cache
        a, b = project(base, "bench_a", requirement), project(base, "bench_b", requirement)
        first_s, first = timed_index(a, base / "a.sqlite")
        second_s, second = timed_index(b, base / "b.sqlite")
        noop_s, _ = timed_index(a, base / "a.sqlite")
    deps_first, deps_second = first["dependencies"], second["dependencies"]
    return {
        "requirement": requirement,
        "packages_locked": deps_first["locked"],
        "packages_missing": [m["name"] for m in deps_first["missing"]],
        "dependency_files": deps_first["files_parsed"],
        "dependency_lines": first["dependency_lines"],
        "items": first["items"], "edges": first["edges"],
        "first_s": round(first_s, 2),
        "first_deps_s": deps_first["seconds"],
        "second_s": round(second_s, 2),
        "second_deps_s": deps_second["seconds"],
        "second_files_parsed": deps_second["files_parsed"],
        "second_cache_hits": deps_second["cache_hits"],
        "second_items_equal": second["items"] == first["items"],
        "second_over_first": round(second_s / first_s, 3),
        "noop_reindex_s": round(noop_s, 3),
    }


def main() -> None:
    requirements = sys.argv[1:] or DEFAULT
    results = []
    for req in requirements:
        load_before = os.getloadavg()[0]
        row = measure(req)
        # The machine is shared: the 1-minute load around the run says how much to trust it.
        row["load_1min_before_after"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
        print(json.dumps(row), flush=True)
        results.append(row)
    out = Path(__file__).parent / "results" / "deps_index.json"
    out.write_text(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
