"""Benchmark (and the tests' harness): `rrag upgrade` against the errors cargo really reports.

For each pair in tests/fixtures/upgrade_ws (a small program written here against the old
version of semver, clap, mio, time or nom): lock the old version offline from Debian's
registry (/usr/share/cargo/registry, a directory source), check that it compiles, index it,
switch the manifest to the new version (the fixture's NEW_DEPENDENCY line) and lock again,
then compare:

  truth    the (file, line) of every error `cargo check --offline` reports on the new version
  flagged  the (file, line) of every site `rrag upgrade --json` lists (the lock change the
           index saw is its default; the sites a failed `use` hides are listed apart, as rustc
           hides them too, and are not counted)

recall = |flagged ∩ truth| / |truth|, precision = |flagged ∩ truth| / |flagged|. The clap 3 -> 4
diff time is taken with both versions already in the shared cache (the second run).

    .venv/bin/python bench/upgrade.py [--pairs semver,clap] [--set tuned|holdout] [--json OUT]
    .venv/bin/python bench/upgrade.py --fix --pairs semver   # the model's fixes, checked
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "upgrade_ws"
PAIRS = ("semver", "clap", "mio", "time", "nom")
# tests/fixtures/upgrade_ws/holdout: one more program per pair, written after the heuristics
# were tuned on the first five; measured as they came out (bench --set holdout). holdout2: one
# more for nom and clap, written before rrag ran on them (bench --set holdout2 --pairs nom,clap).
RRAG = Path(sys.executable).parent / "rrag"
ERROR = re.compile(r"^(?P<path>[^:\s]+\.rs):(?P<line>\d+):\d+: error")


def prepare(pair: str, base: Path, fixtures: Path = FIXTURES) -> Path:
    """A copy of the pair's program under ``base``, locked at the old version."""
    ws = base / pair
    shutil.copytree(fixtures / pair, ws)
    lock(ws)
    return ws


def lock(ws: Path) -> None:
    subprocess.run(["cargo", "generate-lockfile", "--offline", "--quiet"], cwd=ws, check=True,
                   timeout=300, capture_output=True)


def switch_to_new(ws: Path) -> None:
    """The manifest's dependency becomes the NEW_DEPENDENCY line; the lock follows."""
    manifest = ws / "Cargo.toml"
    new = (ws / "NEW_DEPENDENCY").read_text().strip()
    text = re.sub(r"(?ms)^\[dependencies\]\n.*\Z", f"[dependencies]\n{new}\n",
                  manifest.read_text())
    manifest.write_text(text)
    lock(ws)


def cargo_errors(ws: Path) -> set[tuple[str, int]]:
    """(file, line) of each error `cargo check --offline` reports (empty: it compiles)."""
    proc = subprocess.run(["cargo", "check", "--offline", "--message-format", "short"],
                          cwd=ws, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "CARGO_TARGET_DIR": str(ws / "target")})
    found = set()
    for line in proc.stderr.splitlines():
        match = ERROR.match(line)
        if match:
            found.add((match["path"], int(match["line"])))
    if proc.returncode != 0 and not found:
        raise RuntimeError(f"cargo check failed without a located error:\n{proc.stderr}")
    return found


def rrag_json(*args: str, env: dict | None = None) -> dict:
    proc = subprocess.run([str(RRAG), *args, "--json"], capture_output=True, text=True,
                          timeout=900, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(f"rrag {' '.join(args)} failed: {proc.stderr}")
    return json.loads(proc.stdout)


def indexed_then_bumped(pair: str, base: Path, env: dict | None = None) -> Path:
    """The pair's program indexed at the old version, then locked at the new one: where a user
    stands after the bump, before rrag has seen it."""
    ws = prepare(pair, base)
    rrag_json("index", "--root", str(ws), "--no-embed", env=env)
    switch_to_new(ws)
    return ws


def measure(pair: str, base: Path, env: dict | None = None, fixtures: Path = FIXTURES) -> dict:
    ws = prepare(pair, base, fixtures)
    old_errors = cargo_errors(ws)
    rrag_json("index", "--root", str(ws), "--no-embed", env=env)
    switch_to_new(ws)
    truth = cargo_errors(ws)
    report = rrag_json("upgrade", "--root", str(ws), env=env)
    again = rrag_json("upgrade", "--root", str(ws), env=env)  # both versions cached now
    flagged = {(s["path"], s["line"]) for s in report["sites"]}
    hit = flagged & truth
    return {"pair": pair, "from": report["from"], "to": report["to"],
            "old_version_errors": sorted(old_errors), "truth": sorted(truth),
            "flagged": sorted(flagged), "missed": sorted(truth - flagged),
            "extra": sorted(flagged - truth), "changes": len(report["changes"]),
            "recall": round(len(hit) / len(truth), 3) if truth else 1.0,
            "precision": round(len(hit) / len(flagged), 3) if flagged else 1.0,
            "diff_seconds": again["seconds"]["diff"],
            "total_seconds_cached": round(sum(again["seconds"].values()), 3)}


LOCATED = re.compile(r"^\S+\.rs:\d+:\d+: error")


def measure_fixes(pair: str, base: Path, env: dict | None = None) -> dict:
    """`rrag upgrade --fix` on every site of the pair's program with the configured (default)
    model. A fix counts as a success when its proposal parses and `cargo check` of the patched
    copy reports fewer located errors than before, i.e. it removed its own error without
    adding one (the other sites stay broken, so the copy never compiles as a whole)."""
    ws = indexed_then_bumped(pair, base, env)
    before = len(cargo_errors(ws))
    report = rrag_json("upgrade", "--root", str(ws), env=env)
    fixes = []
    for site in report["sites"]:
        started = time.perf_counter()
        out = rrag_json("upgrade", "--root", str(ws), "--fix", f"{site['path']}:{site['line']}",
                        env=env)
        check = out.get("check") or {}
        after = sum(1 for d in check.get("diagnostics") or [] if LOCATED.match(d))
        fixes.append({"site": f"{site['path']}:{site['line']}", "change": site["change"],
                      "parses": out.get("parses"), "check_ran": check.get("ran"),
                      "errors_before": before, "errors_after": after,
                      "fixed": bool(out.get("parses") and check.get("ran") and after < before),
                      "seconds": round(time.perf_counter() - started, 1),
                      "replacement": out.get("replacement")})
    return {"pair": pair, "fixes": fixes, "fixed": sum(f["fixed"] for f in fixes),
            "sites": len(fixes)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", default=",".join(PAIRS))
    parser.add_argument("--json", default="", help="where to write the results (default: "
                        "bench/results/upgrade.json, upgrade_holdout.json for --set holdout)")
    parser.add_argument("--fix", action="store_true", help="instead: the model's fix of every "
                        "site (default model unless the config says otherwise); slow")
    parser.add_argument("--set", choices=("tuned", "holdout", "holdout2"), default="tuned",
                        help="tuned: the programs the heuristics were developed on (also the "
                        "tests'); holdout: programs written afterwards; holdout2: a second "
                        "program for the weakest pairs (nom, clap), written after holdout's "
                        "rules")
    args = parser.parse_args()
    if args.fix:
        return _main_fix(args)
    results = []
    with tempfile.TemporaryDirectory(prefix="rrag-upgrade-") as tmp:
        (Path(tmp) / args.set).mkdir()
        env = {"XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        fixtures = FIXTURES / args.set if args.set != "tuned" else FIXTURES
        for pair in args.pairs.split(","):
            if not (fixtures / pair).is_dir():
                continue  # holdout2 has programs for the weakest pairs only
            started = time.perf_counter()
            result = measure(pair, Path(tmp) / args.set, env, fixtures)
            result["wall_seconds"] = round(time.perf_counter() - started, 1)
            results.append(result)
            print(f"{pair:<7} {result['from']:>8} -> {result['to']:<8} cargo errors "
                  f"{len(result['truth']):>2}  flagged {len(result['flagged']):>2}  recall "
                  f"{result['recall']:.2f}  precision {result['precision']:.2f}  diff "
                  f"{result['diff_seconds']:.3f} s  (missed {result['missed']}, extra "
                  f"{result['extra']})", flush=True)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average {' '.join(load)} on {os.cpu_count()} cores")
    out = Path(args.json) if args.json else REPO / "bench" / "results" / (
        "upgrade.json" if args.set == "tuned" else f"upgrade_{args.set}.json")
    out.write_text(json.dumps({"results": results, "loadavg": load, "set": args.set}, indent=1))
    return 0


def _main_fix(args: argparse.Namespace) -> int:
    results = []
    with tempfile.TemporaryDirectory(prefix="rrag-upgrade-fix-") as tmp:
        env = {"XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        for pair in args.pairs.split(","):
            result = measure_fixes(pair, Path(tmp), env)
            results.append(result)
            print(f"{pair:<7} fixed {result['fixed']}/{result['sites']} sites "
                  f"({[(f['site'], f['fixed'], f['seconds']) for f in result['fixes']]})",
                  flush=True)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average {' '.join(load)} on {os.cpu_count()} cores")
    out = Path(args.json) if args.json else REPO / "bench" / "results" / "upgrade_fix.json"
    out.write_text(json.dumps({"results": results, "loadavg": load}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
