"""Concurrent clients against ONE engine through the real bridge worker (the single thread that
owns the editor's engines), while the workspace is edited and re-indexed both through that
worker and by a second ``rrag index`` process on the same database: every request gets a result,
no error (no "database is locked") reaches a client, and the context budget holds. The full-size
run (10k files) is bench/load_workspace.py; its numbers are in doc/reliability.md."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time

import pytest

from conftest import BIN, REPO, rrag_json
from rrag.bridge.worker import Job, Worker

sys.path.insert(0, str(REPO / "bench"))
from gen_workspace import generate  # noqa: E402

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT = 10, 8
QUERIES = ["buffer cache", "parser token", "merge", "ledger policy", "Display for", "HashMap"]


def test_ten_clients_one_engine_while_indexing(tmp_path):
    root = tmp_path / "ws"
    generate(root, files=240, crates=3, seed=7)
    rrag_json("index", "--no-embed", "--root", str(root))
    files = sorted(str(p.relative_to(root)) for p in root.rglob("f0*.rs"))

    results: dict[int, dict] = {}
    arrived: dict[int, threading.Event] = {}
    lock = threading.Lock()

    def emit(event: dict) -> None:
        if event.get("type") in ("result", "error", "cancelled") and event.get("id") is not None:
            with lock:
                results[event["id"]] = event
            arrived[event["id"]].set()

    worker = Worker(emit)
    next_id = iter(range(1, 10_000))
    latencies: list[float] = []

    def request(kind: str, run) -> dict:
        with lock:
            job_id = next(next_id)
            arrived[job_id] = threading.Event()
        started = time.monotonic()
        worker.submit(Job(job_id, kind, root.resolve(), run))
        assert arrived[job_id].wait(300), f"request {job_id} ({kind}) never answered"
        latencies.append(time.monotonic() - started)
        return results[job_id]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        for n in range(PER_CLIENT):
            if n % 2:
                q = rng.choice(QUERIES)
                event = request("search", lambda e, j, q=q: [r["name"] if isinstance(r, dict)
                                                            else r for r in e.search(q, k=5)])
            else:
                path, line = rng.choice(files), rng.choice((12, 24, 38))
                event = request("context", lambda e, j, p=path, l=line:
                                e.context(p, l, query="merge", budget=512))
                if event["type"] == "result":
                    assert event["result"]["tokens"] <= 512
            assert event["type"] == "result", event

    threads = [threading.Thread(target=client, args=(s,)) for s in range(CLIENTS)]
    for t in threads:
        t.start()
    # Meanwhile: an edit re-indexed by the worker (a save in the editor) and by another process.
    target = root / files[0]
    target.write_text(target.read_text() + "\npub fn saved_in_editor_one() {}\n")
    saved = request("index", lambda e, j: e.index(embed=False).to_json())
    assert saved["type"] == "result", saved
    target.write_text(target.read_text() + "\npub fn saved_in_editor_two() {}\n")
    other = subprocess.run([str(BIN / "rrag"), "index", "--no-embed", "--root", str(root),
                            "--json"],
                           capture_output=True, text=True, env=os.environ.copy(), timeout=600)
    for t in threads:
        t.join(600)
    worker.stop()
    assert other.returncode == 0 and "locked" not in other.stderr.lower(), other.stderr
    errors = [e for e in results.values() if e["type"] != "result"]
    assert not errors, errors[:3]
    assert len(results) == CLIENTS * PER_CLIENT + 1
    names = {i["name"] for i in rrag_json("items", "--root", str(root))["items"]}
    assert any(n.endswith("saved_in_editor_two") for n in names)
    ordered = sorted(latencies)
    print(f"\n{len(ordered)} requests: p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, "
          f"p90 {ordered[int(len(ordered) * 0.9)] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")
