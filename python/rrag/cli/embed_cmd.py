"""Front end: ``rrag embed --input FILE --output OUT.npy [--json]``.

Embeds JSON-lines strings with the configured embedding model through ``load_embedder``, the
code path the index uses, and writes one L2-normalised float32 row per input line, in input
order. A text longer than the model's window is truncated to ``embed.max_tokens`` like
sentence-transformers does, so the vectors match the reference model's; the index instead cuts
long items into windows. ``tokens`` in the JSON is what the model was fed (after truncation).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..config import load_config
from ..embed.model import load_embedder
from ..errors import RragError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("embed", help="embed JSON-lines texts into a .npy matrix")
    p.add_argument("--input", required=True, help="JSON lines, one JSON string per line")
    p.add_argument("--output", required=True, help="the .npy file to write (n x dims float32)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def read_texts(path: str) -> list[str]:
    try:
        fh = sys.stdin if path == "-" else open(path, encoding="utf-8")
    except OSError as exc:
        raise RragError(f"cannot read {path}: {exc.strerror}", "check the --input path") from None
    texts: list[str] = []
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RragError(f"{path}:{number}: not JSON ({exc.msg})",
                                "each line must be one JSON string") from None
            if not isinstance(value, str):
                raise RragError(f"{path}:{number}: expected a JSON string, got "
                                f"{type(value).__name__}", "each line must be one JSON string")
            texts.append(value)
    return texts


def write_npy(path: str, vectors: np.ndarray) -> None:
    """Write atomically: a reader never sees half a matrix."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".npy", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, vectors, allow_pickle=False)
        os.replace(tmp, target)
    except OSError as exc:
        raise RragError(f"cannot write {path}: {exc.strerror}", "check the --output path") from None


def run(args: argparse.Namespace) -> int:
    texts = read_texts(args.input)
    embedder = load_embedder(load_config().embed)
    try:
        fed = sum(min(n, embedder.max_tokens) for n in embedder.count_tokens(texts))
        start = time.perf_counter()
        vectors = embedder.embed(texts)
        seconds = time.perf_counter() - start
    finally:
        embedder.close()
    write_npy(args.output, np.ascontiguousarray(vectors, dtype=np.float32))
    summary = {"texts": len(texts), "dims": int(embedder.dims), "tokens": int(fed),
               "seconds": round(seconds, 6)}
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        print(f"embedded {len(texts)} texts ({fed} tokens) in {seconds:.2f} s -> {args.output}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    from . import main

    sys.exit(main(["embed", *sys.argv[1:]]))
