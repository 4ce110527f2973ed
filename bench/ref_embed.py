"""Benchmark/test helper: the reference embeddings from sentence-transformers (torch, CPU).

Runs only inside the reference environment (.venv-ref, made by scripts/setup-ref-env.sh), never
in rrag's own: torch must not become a runtime dependency. Reads JSON lines (one string each),
writes float32 L2-normalised embeddings in input order to an .npy file and prints one JSON object
with the timing: {"texts", "tokens", "seconds", "tokens_per_s", "threads", "batch_size",
"torch", "sentence_transformers", "max_seq_length"}. Loads the model from a local folder with the
hub switched off, so it never downloads anything.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")


def read_texts(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def count_tokens(model: object, texts: list[str]) -> int:
    """Tokens the model really sees: with [CLS]/[SEP], truncated at max_seq_length."""
    tokenizer = model.tokenizer  # type: ignore[attr-defined]
    limit = model.max_seq_length  # type: ignore[attr-defined]
    enc = tokenizer(texts, truncation=True, max_length=limit, add_special_tokens=True)
    return sum(len(ids) for ids in enc["input_ids"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="folder of the unpacked model")
    parser.add_argument("--input", required=True, help="JSON lines, one string per line")
    parser.add_argument("--output", required=True, help="where to write the .npy embeddings")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--max-seq-length", type=int, default=0,
                        help="override the model's max_seq_length (0: keep the model's)")
    parser.add_argument("--warmup", type=int, default=16, help="texts embedded before timing")
    args = parser.parse_args(argv)

    import numpy as np
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(args.model, device="cpu", local_files_only=True)
    if args.max_seq_length:
        model.max_seq_length = args.max_seq_length
    texts = read_texts(args.input)
    if args.warmup and texts:
        model.encode(texts[: args.warmup], batch_size=args.batch_size)
    with torch.inference_mode():
        start = time.perf_counter()
        vectors = model.encode(texts, batch_size=args.batch_size, convert_to_numpy=True,
                               normalize_embeddings=True, show_progress_bar=False)
        seconds = time.perf_counter() - start
    np.save(args.output, np.asarray(vectors, dtype=np.float32))
    tokens = count_tokens(model, texts)
    json.dump({"texts": len(texts), "tokens": tokens, "seconds": seconds,
               "tokens_per_s": tokens / seconds if seconds > 0 else 0.0,
               "threads": torch.get_num_threads(), "batch_size": args.batch_size,
               "torch": torch.__version__,
               "sentence_transformers": sentence_transformers.__version__,
               "max_seq_length": model.max_seq_length}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
