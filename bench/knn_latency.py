"""Benchmark: top-10 KNN over 100k stored chunk vectors — sqlite-vec variants next to numpy.

Real vectors first: registry crates indexed by rrag with the default model (kept under
--work between runs). They are too few for 100k, so the rest are mixtures of two real vectors
plus a little noise, normalised — they stay where code embeddings live instead of filling the
sphere uniformly (uniform random vectors make every quantizer look worse than it is). Queries
are held-out real vectors. Variants, all in one run on the same vectors:

- numpy: float32 matrix product + argpartition (the reference)
- vec0 float32, cosine: exact
- vec0 int8 (scaled), L2 on the quantized vectors, then exact re-scoring of the top k*os
- vec0 bit (sign), hamming, then exact re-scoring of the top k*os from float32 blobs
- rrag's own path (store.vectors.nearest_vectors): the same sign bits, read once from vec0 and
  scanned in memory (XOR + popcount), then the same re-scoring; and its first query on a fresh
  connection, which pays for reading the bits

Recall@10 of each against the exact top 10.

    .venv/bin/python bench/knn_latency.py [--n 100000] [--work /tmp/rrag-knn]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import apsw
import numpy as np
import sqlite_vec

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from rrag.service.engine import Engine  # noqa: E402
from rrag.store import open_store  # noqa: E402
from rrag.store import vectors as vec_db  # noqa: E402

CRATES = ["bytes", "indexmap", "smallvec", "memchr", "hashbrown", "regex-syntax", "petgraph"]
REGISTRY = Path("/usr/share/cargo/registry")


def real_vectors(work: Path) -> np.ndarray:
    out = []
    for name in CRATES:
        src = sorted(REGISTRY.glob(f"{name}-[0-9]*"))[-1]
        root = work / src.name
        if not root.exists():
            shutil.copytree(src, root)
        with Engine(root, db_path=work / f"{src.name}.sqlite") as engine:
            engine.index()  # incremental: only the first run embeds
            conn = engine.store.conn
            blobs = [r[0] for r in conn.execute("SELECT embedding FROM vectors")]
        out.append(np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1))
        print(f"{src.name}: {len(blobs)} vectors", flush=True)
    return np.concatenate(out)


def corpus(real: np.ndarray, n: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(real))
    q, base = real[order[:queries]], real[order[queries:]]
    extra = max(0, n - len(base))
    a, b = rng.integers(0, len(base), extra), rng.integers(0, len(base), extra)
    w = rng.uniform(0.5, 0.9, (extra, 1)).astype(np.float32)
    mix = w * base[a] + (1 - w) * base[b]
    mix += 0.02 * rng.standard_normal(mix.shape).astype(np.float32)
    x = np.concatenate([base, mix])[:n]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x, dtype=np.float32), q


def timed(queries: np.ndarray, fn) -> tuple[float, list[list[int]]]:
    fn(queries[0])  # warm the page cache
    times, results = [], []
    for q in queries:
        t = time.perf_counter()
        results.append(fn(q))
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000), results


def recall(found: list[list[int]], exact: list[list[int]]) -> float:
    return round(float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)])), 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--work", default="/tmp/rrag-knn")
    ap.add_argument("--vectors", help="a .npy of real vectors saved by an earlier run")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "knn_latency.json"))
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_CACHE_HOME", str(work / "cache"))
    real = np.load(args.vectors) if args.vectors else real_vectors(work)
    np.save(work / "real_vectors.npy", real)
    x, queries = corpus(real, args.n, args.queries, 0)
    n, d = x.shape
    db = work / "knn.sqlite"
    db.unlink(missing_ok=True)
    conn = apsw.Connection(str(db))
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    conn.execute("PRAGMA journal_mode=WAL; PRAGMA cache_size=-262144")
    scale = 127.0 / float(np.abs(x).max())
    xi = np.clip(np.round(x * scale), -127, 127).astype(np.int8)
    with conn:
        conn.execute(f"CREATE VIRTUAL TABLE vf USING vec0(embedding float[{d}] "
                     "distance_metric=cosine)")
        conn.execute(f"CREATE VIRTUAL TABLE vi USING vec0(embedding int8[{d}])")
        conn.execute(f"CREATE VIRTUAL TABLE vb USING vec0(embedding bit[{d}])")
        conn.execute("CREATE TABLE blobs(id INTEGER PRIMARY KEY, v BLOB)")
        conn.executemany("INSERT INTO vf(rowid, embedding) VALUES(?, ?)",
                         ((i + 1, x[i].tobytes()) for i in range(n)))
        conn.executemany("INSERT INTO vi(rowid, embedding) VALUES(?, vec_int8(?))",
                         ((i + 1, xi[i].tobytes()) for i in range(n)))
        conn.executemany("INSERT INTO vb(rowid, embedding) VALUES(?, vec_quantize_binary(?))",
                         ((i + 1, x[i].tobytes()) for i in range(n)))
        conn.executemany("INSERT INTO blobs VALUES(?, ?)",
                         ((i + 1, x[i].tobytes()) for i in range(n)))

    def numpy_knn(q):
        s = x @ q
        top = np.argpartition(-s, 10)[:10]
        return list(top[np.argsort(-s[top])] + 1)

    def vec0_float(q):
        return [r[0] for r in conn.execute(
            "SELECT rowid FROM vf WHERE embedding MATCH ? AND k = 10", (q.tobytes(),))]

    def rescore(ids: list[int], q) -> list[int]:
        rows = conn.execute(f"SELECT id, v FROM blobs WHERE id IN ({','.join('?' * len(ids))})",
                            ids).fetchall()
        m = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), d)
        ids_arr = np.array([r[0] for r in rows])
        return list(ids_arr[np.argsort(-(m @ q))[:10]])

    def int8_then(os_: int):
        def run(q):
            qi = np.clip(np.round(q * scale), -127, 127).astype(np.int8)
            ids = [r[0] for r in conn.execute(
                "SELECT rowid FROM vi WHERE embedding MATCH vec_int8(?) AND k = ?",
                (qi.tobytes(), 10 * os_))]
            return rescore(ids, q)
        return run

    def bit_then(os_: int):
        def run(q):
            ids = [r[0] for r in conn.execute(
                "SELECT rowid FROM vb WHERE embedding MATCH vec_quantize_binary(?) AND k = ?",
                (q.tobytes(), 10 * os_))]
            return rescore(ids, q)
        return run

    # The product path: rrag's own store and search code over the same vectors.
    product_db = work / "product.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(product_db) + suffix).unlink(missing_ok=True)
    store = open_store(product_db)
    vec_db.ensure_space(store, "bench", d)
    vec_db.write_batch(store, {}, {f"v{i}": x[i] for i in range(n)})
    ids = {int(r[0]): int(r[1][1:]) + 1 for r in store.execute("SELECT id, text_hash FROM vectors")}

    def product(q):
        return [ids[v] for v, _ in vec_db.nearest_vectors(store, q, 10)]

    def first_query_ms() -> float:
        """A fresh connection's first query: it reads the sign bits from vec0 first."""
        times = []
        for q in queries[:7]:
            fresh = open_store(product_db)
            t = time.perf_counter()
            vec_db.nearest_vectors(fresh, q, 10)
            times.append(time.perf_counter() - t)
            fresh.close()
        return float(np.median(times) * 1000)

    ms, exact = timed(queries, numpy_knn)
    rows = [{"variant": "numpy float32 matmul (reference)", "median_ms": round(ms, 2),
             "recall@10": 1.0, "bytes_per_vector": 4 * d}]
    variants = [(f"rrag store.vectors.nearest_vectors (vec0 sign bits scanned in memory + "
                 f"rescore x{vec_db.OVERSAMPLE})", product, d // 8 + 4 * d)]
    variants += [("vec0 float32 cosine (exact)", vec0_float, 4 * d)]
    variants += [(f"vec0 int8 + rescore x{o}", int8_then(o), d + 4 * d) for o in (2, 4)]
    variants += [(f"vec0 bit + rescore x{o}", bit_then(o), d // 8 + 4 * d) for o in (4, 10, 20)]
    for name, fn, size in variants:
        ms_v, found = timed(queries, fn)
        rows.append({"variant": name, "median_ms": round(ms_v, 2),
                     "vs_numpy": round(ms_v / ms, 2), "recall@10": recall(found, exact),
                     "bytes_per_vector": size})
        print(json.dumps(rows[-1]), flush=True)
    # numpy again at the end: the ratio is taken against the mean of both numpy runs, so a load
    # change during the run does not favour either side.
    ms_after, _ = timed(queries, numpy_knn)
    rows.append({"variant": "numpy float32 matmul (reference, again at the end)",
                 "median_ms": round(ms_after, 2), "recall@10": 1.0, "bytes_per_vector": 4 * d})
    reference = (ms + ms_after) / 2
    for row in rows[1:-1]:
        row["vs_numpy"] = round(row["median_ms"] / reference, 2)
    first = first_query_ms()
    rows.append({"variant": "rrag, first query on a fresh connection (reads the sign bits)",
                 "median_ms": round(first, 2), "vs_numpy": round(first / reference, 2)})
    print(json.dumps(rows[-1]), flush=True)
    doc = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                       "loadavg_1m": os.getloadavg()[0]},
           "sqlite_vec": sqlite_vec.__version__ if hasattr(sqlite_vec, "__version__") else "?",
           "vectors": n, "real_vectors": int(len(real)), "dims": d,
           "queries": len(queries), "results": rows}
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
