"""Service layer: the embedding pipeline that fills the vectors behind the structural index.

The structural index is usable the moment it is written; this run then drains the persistent
queue (``store.vectors``) most urgent first: files open in the editor or just saved, then the
workspace, then dependencies. Per batch: build each item's texts (``embed.texts``), look their
hashes up in the content-addressed cache, embed only the texts never seen, and commit vectors,
windows and queue removal in one transaction. A kill between batches loses at most the batch
in flight; the next run resumes from the queue without embedding a finished chunk again.

``should_stop`` lets a front end pause the run between batches (the editor yields to a question
and resumes later); a complete run prunes cached vectors nothing uses any more.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from ..embed.model import Embedder
from ..embed.texts import CONTAINER_KINDS, EmbeddingContext, item_texts, text_hash
from ..store import Store
from ..store import vectors as vec_db
from .progress import ProgressFn, no_progress

log = logging.getLogger("rrag.embed")

ITEMS_PER_BATCH = 64  # about 2 s on 2 cores; the editor passes fewer to stay responsive


@dataclass
class EmbedReport:
    items: int = 0  # items whose windows were (re)written
    texts: int = 0  # windows of those items
    embedded: int = 0  # texts the model actually ran on (the rest came from the cache)
    cached: int = 0
    tokens: int = 0
    pending: int = 0  # left in the run's scope (non-zero when stopped early)
    deferred: int = 0  # queued below the run's priority cut (private dependency code)
    pruned: int = 0
    seconds: float = 0.0
    model: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def model_key(embedder: Embedder) -> str:
    """Identifies the vectors' space: the model and how texts are cut for it."""
    return f"{embedder.name}|{embedder.dims}|{embedder.max_tokens}"


class EmbedPipeline:
    def __init__(self, store: Store, embedder: Embedder, overlap: int = 32,
                 progress: ProgressFn = no_progress,
                 versions: Callable[[str], str] | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.overlap = overlap
        self.progress = progress
        self.key = model_key(embedder)
        self._versions = versions or (lambda crate: "")

    def run(self, should_stop: Callable[[], bool] = lambda: False,
            batch_items: int = ITEMS_PER_BATCH, max_priority: int | None = None) -> EmbedReport:
        """Embed queued items of priority <= ``max_priority`` (None: everything)."""
        started = time.monotonic()
        report = EmbedReport(model=self.embedder.name)
        vec_db.ensure_space(self.store, self.key, self.embedder.dims)
        total = vec_db.pending_count(self.store, max_priority)
        while not should_stop():
            batch = vec_db.next_batch(self.store, batch_items, max_priority)
            if not batch:
                break
            self._embed_batch(batch, report)
            self.progress("embed", report.items, total)
        report.pending = vec_db.pending_count(self.store, max_priority)
        report.deferred = vec_db.pending_count(self.store) - report.pending
        if report.pending + report.deferred == 0:
            report.pruned = vec_db.prune(self.store)
        report.seconds = round(time.monotonic() - started, 3)
        return report

    def _embed_batch(self, batch: list[vec_db.QueuedItem], report: EmbedReport) -> None:
        containers = [q.id for q in batch if q.kind in CONTAINER_KINDS]
        children = vec_db.child_signatures(self.store, containers) if containers else {}
        count = self.embedder.count_tokens
        windows: dict[str, list[str]] = {}
        texts: dict[str, str] = {}
        for queued in batch:
            ctx = EmbeddingContext(queued.kind, queued.qualname, queued.signature, queued.docs,
                                   queued.content, queued.crate, self._versions(queued.crate),
                                   children.get(queued.id, ()))
            pieces = item_texts(ctx, self.embedder.max_tokens, self.overlap, count)
            hashes = [text_hash(self.key, p) for p in pieces]
            windows[queued.id] = hashes
            texts.update(zip(hashes, pieces))
        known = vec_db.known_vectors(self.store, list(texts))
        todo = [h for h in texts if h not in known]
        new_vectors: dict[str, np.ndarray] = {}
        if todo:
            vectors = self.embedder.embed([texts[h] for h in todo])
            finite = np.isfinite(vectors).all(axis=1)
            if not finite.all():
                # Never cache a broken vector: it would poison every later search. The item
                # keeps its other windows; the text is retried on its next change.
                log.warning("rrag: %d texts gave non-finite vectors and were skipped",
                            int((~finite).sum()))
                bad = {h for h, ok in zip(todo, finite) if not ok}
                windows = {i: [h for h in hs if h not in bad] for i, hs in windows.items()}
            new_vectors = {h: v for h, v, ok in zip(todo, vectors, finite) if ok}
            report.tokens += sum(min(n, self.embedder.max_tokens)
                                 for n in count([texts[h] for h in todo]))
        vec_db.write_batch(self.store, windows, new_vectors)
        report.items += len(batch)
        report.texts += sum(len(h) for h in windows.values())
        report.embedded += len(todo)
        report.cached += len(texts) - len(todo)
