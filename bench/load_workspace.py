"""Load test on a synthetic workspace (bench/gen_workspace.py): index time and peak memory of a
cold ``rrag index --no-embed``, a no-change re-index, then concurrent clients:

* ``engine``: 10 client threads send ``search`` / ``context`` requests to ONE in-process Engine
  served by one worker thread, the way the Neovim bridge serves an editor (an Engine is not
  shared between threads): latency = queueing + service time, as a client sees it.
* ``cli``: 10 concurrent ``rrag search`` / ``rrag context`` processes on the same index database
  (each opens its own read connection; process start-up included).

Every request must succeed; errors are counted and reported. Peak memory is the largest sum of
RSS over the rrag process tree (the indexer and its parse processes), sampled every 50 ms.

    .venv/bin/python bench/load_workspace.py [--files 10000] [--clients 10] [--requests 30]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))
RRAG = Path(sys.executable).parent / "rrag"
QUERIES = ["buffer cache", "parser token stream", "merge", "run_graph", "ledger policy",
           "Display for", "add_metric", "HashMap entry", "session router", "vector shard"]


def _tree_rss_kb(pid: int) -> int:
    total, todo = 0, [pid]
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def timed_index(root: Path, env: dict) -> dict:
    started = time.monotonic()
    proc = subprocess.Popen([str(RRAG), "index", "--no-embed", "--root", str(root), "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"index failed: {err}")
    report = json.loads(out)
    return {"wall_s": round(time.monotonic() - started, 2), "peak_rss_mb": round(peak / 1024, 1),
            "files_parsed": report["files_parsed"], "items": report["items"],
            "edges": report["edges"], "errors": len(report["errors"]),
            "engine_seconds": report["seconds"]}


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {}
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {"n": len(ordered), "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
            "max_ms": round(1000 * ordered[-1], 1),
            "mean_ms": round(1000 * statistics.fmean(ordered), 1)}


def _requests(targets: list[tuple[str, int]], n: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 2 == 0:
            out.append(("search", rng.choice(QUERIES)))
        else:
            path, line = rng.choice(targets)
            out.append(("context", path, line, rng.choice(QUERIES)))
    return out


def engine_clients(root: Path, clients: int, per_client: int, targets: list) -> dict:
    from rrag.config import Config
    from rrag.service.engine import Engine

    inbox: queue.Queue = queue.Queue()
    errors: list[str] = []
    latencies: dict[str, list[float]] = {"search": [], "context": []}
    service: list[float] = []

    def serve() -> None:  # the one thread that owns the Engine, like the bridge's worker
        with Engine(root, Config()) as engine:
            engine.stats()
            while True:
                job = inbox.get()
                if job is None:
                    return
                req, done = job
                t0 = time.monotonic()
                try:
                    if req[0] == "search":
                        result = engine.search(req[1], k=10)
                        assert isinstance(result, list)
                    else:
                        pack = engine.context(req[1], req[2], query=req[3], budget=2048)
                        assert pack["tokens"] <= 2048
                    done.put(None)
                except Exception as exc:  # noqa: BLE001 - counted, reported
                    done.put(f"{req[0]}: {type(exc).__name__}: {exc}")
                service.append(time.monotonic() - t0)

    def client(seed: int) -> None:
        for req in _requests(targets, per_client, seed):
            done: queue.Queue = queue.Queue()
            t0 = time.monotonic()
            inbox.put((req, done))
            err = done.get()
            latencies[req[0]].append(time.monotonic() - t0)
            if err:
                errors.append(err)

    server = threading.Thread(target=serve)
    server.start()
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(s,)) for s in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    inbox.put(None)
    server.join()
    total = sum(len(v) for v in latencies.values())
    return {"clients": clients, "requests": total, "errors": len(errors),
            "error_samples": errors[:5], "wall_s": round(wall, 2),
            "throughput_rps": round(total / wall, 1), "search": percentiles(latencies["search"]),
            "context": percentiles(latencies["context"]), "service_time": percentiles(service)}


def cli_clients(root: Path, env: dict, clients: int, per_client: int, targets: list) -> dict:
    errors: list[str] = []
    latencies: dict[str, list[float]] = {"search": [], "context": []}

    def client(seed: int) -> None:
        for req in _requests(targets, per_client, seed):
            if req[0] == "search":
                cmd = ["search", req[1], "-k", "10"]
            else:
                cmd = ["context", "--file", req[1], "--line", str(req[2]), "--query", req[3]]
            t0 = time.monotonic()
            proc = subprocess.run([str(RRAG), *cmd, "--root", str(root), "--json"], env=env,
                                  capture_output=True, text=True)
            latencies[req[0]].append(time.monotonic() - t0)
            if proc.returncode != 0 or "locked" in proc.stderr:
                errors.append(proc.stderr.strip()[:300])

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(s,)) for s in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(len(v) for v in latencies.values())
    return {"clients": clients, "requests": total, "errors": len(errors),
            "error_samples": errors[:5], "wall_s": round(time.monotonic() - started, 2),
            "search": percentiles(latencies["search"]),
            "context": percentiles(latencies["context"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--crates", type=int, default=20)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--requests", type=int, default=30, help="per client, engine mode")
    ap.add_argument("--cli-requests", type=int, default=2, help="per client, cli mode")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rrag-load")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "load_workspace.json")
    args = ap.parse_args()

    from gen_workspace import generate

    root = args.work / "ws"
    cache = args.work / "cache"
    t0 = time.monotonic()
    generated = generate(root, args.files, args.crates, seed=1)
    generated["seconds"] = round(time.monotonic() - t0, 1)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    os.environ["XDG_CACHE_HOME"] = str(cache)
    cold = timed_index(root, env)
    warm = timed_index(root, env)
    targets = [(str(p.relative_to(root)), line) for p in sorted(root.rglob("f0*.rs"))[::97]
               for line in (12, 24, 38)]
    result = {
        "workspace": generated, "index_cold": cold, "index_no_change": warm,
        "engine_clients": engine_clients(root, args.clients, args.requests, targets),
        "cli_clients": cli_clients(root, env, args.clients, args.cli_requests, targets),
        "conditions": f"{os.cpu_count()} cores shared with other engineers' test runs; "
                      "structural index only (--no-embed): search is BM25 + graph",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
