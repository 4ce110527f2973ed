"""Benchmark: the repair loop with the real default model on 30 refactor tasks (issue 21).

The tasks are the functions and methods of examples/simple_app (a copy, indexed without
vectors), each paired with one of a few everyday instructions. Every task runs through
``Engine.refactor`` with ``llm.repair_attempts = 2`` (the default) at temperature 0: the
proposal is parsed, spliced into a scratch copy, `cargo check`ed and grounded; a failure goes
back to the model with its diagnostics and the real definitions. Reported: the share of tasks
whose proposal passes (parses, cargo check ok, no unknown names) after 0, 1 and 2 repairs, and
the time per task. The bundled model (SmolLM2-135M) is tiny; the numbers say what it does.
Writes bench/results/repair_loop.json.

Usage: .venv/bin/python bench/repair_loop.py [--tasks 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rrag.config import Config, LlmConfig
from rrag.service.engine import Engine

REPO = Path(__file__).resolve().parents[1]
INSTRUCTIONS = ["rename the local variables to be clearer", "add a doc comment",
                "use early returns where it helps", "make it shorter without changing what it "
                "does", "avoid cloning where a reference works"]


def tasks(engine: Engine, count: int) -> list[tuple[str, int, int, str]]:
    rows = [r for r in engine.items() if r.kind in ("function", "method")
            and 2 <= r.end_line - r.start_line <= 25 and not r.path.startswith("tests")]
    rows.sort(key=lambda r: (r.path, r.start_line))
    return [(r.path, r.start_line, r.end_line, INSTRUCTIONS[i % len(INSTRUCTIONS)])
            for i, r in enumerate(rows[:count])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=30)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="rrag-repair-bench-") as base:
        os.environ["XDG_CACHE_HOME"] = str(Path(base) / "cache")
        root = Path(base) / "simple_app"
        shutil.copytree(REPO / "examples" / "simple_app", root,
                        ignore=shutil.ignore_patterns("target"))
        config = Config(llm=LlmConfig(repair_attempts=2, temperature=0.0))
        with Engine(root, config) as engine:
            engine.index(embed=False)
            for path, start, end, instruction in tasks(engine, args.tasks):
                t = time.perf_counter()
                out = engine.refactor(path, start, end, instruction)
                attempts = out["attempts"]
                passed_at = next((a["attempt"] for a in attempts if a["passed"]), None)
                results.append({"task": f"{path}:{start}-{end}", "instruction": instruction,
                                "passed_after_repairs": passed_at,
                                "summaries": [a["summary"] for a in attempts],
                                "seconds": round(time.perf_counter() - t, 1)})
                print(json.dumps(results[-1]), file=sys.stderr)
    n = len(results)
    share = {str(k): round(sum(1 for r in results if r["passed_after_repairs"] is not None
                               and r["passed_after_repairs"] <= k) / max(1, n), 3)
             for k in (0, 1, 2)}
    out = {"tasks": n, "pass_share_after_repairs": share,
           "parses_first": sum(1 for r in results if r["summaries"][0].startswith("parse: ok")),
           "seconds_per_task": round(sum(r["seconds"] for r in results) / max(1, n), 1),
           "loadavg": Path("/proc/loadavg").read_text().strip(), "results": results}
    target = Path(__file__).with_name("results") / "repair_loop.json"
    target.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "results"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
