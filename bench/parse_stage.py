"""Benchmark (issue 18): the in-process parse stage — ``parse_source`` over five real crates.

What the parse processes of an index run do per file (parse, item walk, references, macro
arguments, doc tests, expansion), in one process, files read into memory first, the crate's
``macro_rules!`` table as the indexer gathers it (first definition of a name in path order).
Each *arm* is an engine (a ``python/`` folder) and an environment; the arms run in turn, each in
a fresh subprocess, ``--rounds`` times, so two versions of the code (or ``RRAG_MACRO_ARGS=0``
and 1) are measured in the same run under the same load. Reported per arm and round: CPU
seconds of the stage (``time.process_time``), the reference count and a digest of the
reference *multiset* (every reference tuple, per file), so a speed-up that changes a single
reference shows as a different digest. An arm's ``PARSE_STAGE_DOC_TESTS=0`` parses as for a
dependency (no doc-test blocks), to split the doc-test share from the macro arguments.

    .venv/bin/python bench/parse_stage.py --arm before=/other/python --arm after=python \
        [--arm off=python:RRAG_MACRO_ARGS=0] [--rounds 5] [--crates regex-1.7.1,...|all]
        [--out bench/results/parse_stage.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGISTRY = Path("/usr/share/cargo/registry")
CRATES = ["regex-1.7.1", "clap-4.0.32", "chrono-0.4.23", "nom-7.1.1", "url-2.3.1"]


def stage(crates: list[str]) -> dict:
    """Runs in the arm's subprocess: the stage's CPU time and its references' digest."""
    from rrag.parse.macro_rules import scan_macro_definitions
    from rrag.parse.rust import parse_source

    work = []
    for crate in crates:
        root = REGISTRY / crate
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*.rs"))
        sources = {rel: (root / rel).read_bytes() for rel in files}
        macros: dict[str, str] = {}
        for rel in files:
            for name, text in scan_macro_definitions(sources[rel]).items():
                macros.setdefault(name, text)
        work += [(f"{crate}/{rel}", sources[rel], macros or None) for rel in files]
    # Engines before issue 18 take no doc_tests argument (and parse no doc tests).
    extra = () if os.environ.get("PARSE_STAGE_DOC_TESTS", "1") != "0" else (False,)
    start = time.process_time()
    parsed = [parse_source(src, rel, macros, *extra) for rel, src, macros in work]
    cpu = time.process_time() - start
    digest = hashlib.sha256()
    refs = 0
    for (rel, _, _), result in zip(work, parsed):
        counts = Counter(json.dumps(r) for r in result.refs)
        refs += len(result.refs)
        digest.update(json.dumps([rel, sorted(counts.items())]).encode())
    return {"cpu_s": round(cpu, 3), "files": len(work), "refs": refs,
            "digest": digest.hexdigest()[:16]}


def run_arm(python_dir: str, env_extra: dict[str, str], crates: list[str]) -> dict:
    env = {**os.environ, **env_extra, "PYTHONPATH": str(Path(python_dir).resolve())}
    out = subprocess.run([sys.executable, __file__, "--child", ",".join(crates)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse_arm(spec: str) -> tuple[str, str, dict[str, str]]:
    """``name=DIR[:VAR=VALUE,...]``."""
    name, _, rest = spec.partition("=")
    folder, _, envs = rest.partition(":")
    env = dict(e.split("=", 1) for e in envs.split(",") if e)
    return name, folder, env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arm", action="append", default=[], help="name=python_dir[:VAR=V,...]")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--crates", default=",".join(CRATES), help="or all: the whole registry")
    ap.add_argument("--child", default="")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(stage(args.child.split(","))))
        return
    crates = args.crates.split(",") if args.crates != "all" else sorted(
        d.name for d in REGISTRY.iterdir() if d.is_dir())
    missing = [c for c in crates if not (REGISTRY / c).is_dir()]
    if missing:  # chrono and url are not among scripts/debian-packages.txt
        crates = [c for c in crates if c not in missing]
        print(f"rrag: not in {REGISTRY}, left out: {', '.join(missing)}", file=sys.stderr)
    if not crates:
        raise SystemExit("rrag: none of the crates is installed")
    arms = [parse_arm(a) for a in args.arm] or [("this", str(HERE.parent / "python"), {})]
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in arms}
    for k in range(args.rounds):
        for name, folder, env in arms:
            res = run_arm(folder, env, crates) | {"round": k + 1,
                                                  "load": round(os.getloadavg()[0], 2)}
            runs[name].append(res)
            print(f"  round {k + 1} {name:<8} cpu {res['cpu_s']:7.3f} s  refs {res['refs']}  "
                  f"digest {res['digest']}  load {res['load']:.1f}", flush=True)
    summary = {name: {"median_cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 3),
                      "refs": rs[0]["refs"], "digests": sorted({r["digest"] for r in rs})}
               for name, rs in runs.items()}
    for name, s in summary.items():
        print(f"{name:<10} median cpu {s['median_cpu_s']:.3f} s  refs {s['refs']}  "
              f"digest {' '.join(s['digests'])}")
    if args.out:
        Path(args.out).write_text(json.dumps({"crates": crates, "arms": {
            n: {"python": f, "env": e} for n, f, e in arms}, "runs": runs,
            "summary": summary}, indent=1) + "\n")


if __name__ == "__main__":
    main()
