"""Embed layer: the llama.cpp embedding worker process (run as
``python -m rrag.embed.gguf_worker``).

It owns one ``llama_cpp.Llama`` in embedding mode and answers JSON lines on stdin/stdout:
``{"op": "count", "texts": [...]}`` -> ``{"ok": true, "counts": [...]}`` and
``{"op": "embed", "texts": [...]}`` -> ``{"ok": true, "vectors": base64 float32, "tokens": n}``.
The first line it writes describes the loaded model (dims, trained context, max tokens).

Why a process: llama.cpp stops the whole process on a failed GGML_ASSERT (seen with a BERT GGUF
given n_ctx above its trained 512 and several sequences per batch). Here the context is capped at
the trained length, every input is truncated to ``max_tokens`` (keeping the closing separator),
and a batch never holds more tokens than the context; if native code dies anyway, only this
process goes and the host reports a ModelError.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from typing import Any

import numpy as np

MAX_SEQS = 32  # sequences per llama.cpp batch


class GgufEngine:
    def __init__(self, path: str, max_tokens: int, threads: int) -> None:
        import llama_cpp
        from llama_cpp import Llama

        self.llama_cpp = llama_cpp
        probe = Llama(path, vocab_only=True, verbose=False)
        trained = int(probe._model.n_ctx_train()) or 512
        del probe
        self.n_ctx = min(trained, 4096)  # never above the trained context
        self.max_tokens = min(max_tokens or self.n_ctx, self.n_ctx)
        threads = threads or os.cpu_count() or 1
        self.llm = Llama(path, embedding=True, n_ctx=self.n_ctx, n_batch=self.n_ctx,
                         n_ubatch=self.n_ctx, n_threads=threads, n_threads_batch=threads,
                         verbose=False)
        if self.llm.pooling_type() == llama_cpp.LLAMA_POOLING_TYPE_NONE:
            raise RuntimeError("the model has no pooling (per-token embeddings only); "
                               "use a sentence embedding GGUF")
        self.dims = int(self.llm.n_embd())
        self.n_seq = max(1, min(MAX_SEQS, int(self.llm.context_params.n_seq_max)))
        self.eos = int(self.llm.token_eos())
        self.specials = len(self.tokenize(""))
        self.trained = trained

    def tokenize(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8", "replace"), add_bos=True, special=False)

    def truncated(self, text: str) -> list[int]:
        tokens = self.tokenize(text)
        if len(tokens) <= self.max_tokens:
            return tokens
        if tokens[-1] == self.eos:  # keep the closing [SEP]/EOS the pooling expects
            return tokens[: self.max_tokens - 1] + [tokens[-1]]
        return tokens[: self.max_tokens]

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        seqs = [self.truncated(t) for t in texts]
        out = np.zeros((len(seqs), self.dims), dtype=np.float32)
        batch: list[int] = []
        used = 0
        for index, tokens in enumerate(seqs):
            if batch and (used + len(tokens) > self.n_ctx or len(batch) >= self.n_seq):
                self._decode(batch, seqs, out)
                batch, used = [], 0
            batch.append(index)
            used += len(tokens)
        if batch:
            self._decode(batch, seqs, out)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1)
        return out, sum(len(s) for s in seqs)

    def _decode(self, batch: list[int], seqs: list[list[int]], out: np.ndarray) -> None:
        llm, lc = self.llm, self.llama_cpp
        llm._batch.reset()
        for seq_id, index in enumerate(batch):
            llm._batch.add_sequence(seqs[index], seq_id, True)
        llm._ctx.kv_cache_clear()
        llm._ctx.decode(llm._batch)
        for seq_id, index in enumerate(batch):
            ptr = lc.llama_get_embeddings_seq(llm._ctx.ctx, seq_id)
            out[index] = np.ctypeslib.as_array(ptr, shape=(self.dims,))
        llm._batch.reset()
        llm._ctx.kv_cache_clear()


def handle(engine: GgufEngine, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    texts = [str(t) for t in request.get("texts", [])]
    if op == "count":
        return {"ok": True, "counts": [len(engine.tokenize(t)) for t in texts]}
    if op == "embed":
        vectors, tokens = engine.embed(texts)
        return {"ok": True, "tokens": tokens,
                "vectors": base64.b64encode(vectors.tobytes()).decode("ascii")}
    return {"ok": False, "error": f"unknown op {op!r}"}


def main() -> int:
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints from native code must not corrupt the protocol
    path, max_tokens, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    try:
        engine = GgufEngine(path, max_tokens, threads)
        hello = {"ok": True, "dims": engine.dims, "trained": engine.trained,
                 "max_tokens": engine.max_tokens, "specials": engine.specials}
    except Exception as exc:  # noqa: BLE001 - reported to the host, which raises ModelError
        hello = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    out.write(json.dumps(hello) + "\n")
    out.flush()
    if not hello["ok"]:
        return 1
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = handle(engine, json.loads(line))
        except Exception as exc:  # noqa: BLE001 - one bad request must not end the worker
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
