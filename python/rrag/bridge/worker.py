"""Front end (bridge): the one worker thread that owns every engine.

SQLite connections, the embedding model and the llama.cpp worker are not safe to share across
threads, and concurrent async calls into pynvim are not serialized (pynvim#441); so handlers
only enqueue ``Job``s and this single thread runs them in order, creating each workspace's
``Engine`` on first use and keeping it alive. The RPC thread stays free to answer the editor.
"""

from __future__ import annotations

import importlib
import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..service.api import EngineAPI, EngineFactory
from ..config import Config
from ..service.engine import Engine
from .events import Event, error_payload

log = logging.getLogger("rrag.bridge")

ENGINE_FACTORY_ENV = "RRAG_ENGINE_FACTORY"  # "module:callable", for fast UI tests only


# Items per background embedding batch: a request arriving mid-batch waits for it (~0.5 s).
EDITOR_EMBED_BATCH = 16


class Cancelled(Exception):
    """Raised inside a job (from a progress or token callback) when its request was cancelled."""


@dataclass
class Job:
    id: Any
    kind: str
    root: Path
    run: Callable[[Any, "Job"], Any]  # (engine, job) -> result
    params: dict[str, Any] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)
    quiet: bool = False  # background re-index on save: no start/end notifications
    embed_later: Callable[[Path, list[str]], None] | None = None  # set by the worker
    started: bool = False
    done: bool = False


def engine_factory() -> EngineFactory:
    spec = os.environ.get(ENGINE_FACTORY_ENV, "")
    if not spec:
        return Engine
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr or "Engine")  # type: ignore[no-any-return]


class Worker:
    def __init__(self, emit: Callable[[Event], None]) -> None:
        self.emit = emit
        self.queue: queue.Queue[Job | None] = queue.Queue()
        self.config = Config()
        self.current: Job | None = None
        self.last_errors: list[dict[str, Any]] = []
        self._engines: dict[Path, EngineAPI] = {}  # touched only on the worker thread
        # Workspaces whose vectors are still filling, with the files to embed first: worked on
        # between requests, one small batch at a time, never ahead of a waiting request.
        self._embedding: dict[Path, list[str]] = {}
        self._config_generation = 0
        self._engine_generation = 0
        self._thread = threading.Thread(target=self._loop, name="rrag-worker", daemon=True)
        self._thread.start()

    # -- called from the RPC thread -----------------------------------------------------------
    def submit(self, job: Job) -> None:
        job.embed_later = self.embed_later
        self.queue.put(job)

    def set_config(self, config: Config) -> None:
        self.config = config
        self._config_generation += 1  # engines are rebuilt on the worker thread

    def pending(self) -> int:
        return self.queue.qsize()

    def idle(self) -> bool:
        return self.current is None and self.queue.empty()

    def interrupt(self, job: Job) -> None:
        """Cancel ``job``; if it is running, also ask its engine to stop the model now."""
        job.cancel.set()
        if self.current is job:
            engine = self._engines.get(job.root)
            if engine is not None:
                try:
                    engine.cancel()
                except Exception:  # noqa: BLE001 - the event alone still stops the job
                    log.warning("engine.cancel() failed", exc_info=True)

    def stop(self) -> None:
        self.queue.put(None)

    # -- the worker thread --------------------------------------------------------------------
    def engine(self, root: Path) -> EngineAPI:
        if self._engine_generation != self._config_generation:
            self._close_engines()
            self._engine_generation = self._config_generation
        engine = self._engines.get(root)
        if engine is None:
            engine = engine_factory()(root, self.config)
            self._engines[root] = engine
        return engine

    def _close_engines(self) -> None:
        for engine in self._engines.values():
            try:
                engine.close()
            except Exception:  # noqa: BLE001 - closing must not stop the worker
                log.warning("closing an engine failed", exc_info=True)
        self._engines.clear()

    def embed_later(self, root: Path, focus: list[str]) -> None:
        """(worker thread) Fill ``root``'s vectors when no request is waiting."""
        self._embedding[root] = focus + self._embedding.get(root, [])

    def _next_job(self) -> Job | None:
        while self._embedding:
            try:
                return self.queue.get(timeout=0.05)
            except queue.Empty:
                self._embed_step()
        return self.queue.get()

    def _embed_step(self) -> None:
        root, focus = next(iter(self._embedding.items()))
        self._embedding[root] = []
        try:
            report = self.engine(root).embed_pending(
                should_stop=lambda: not self.queue.empty(), focus=focus,
                batch_items=EDITOR_EMBED_BATCH)
        except Exception as exc:  # noqa: BLE001 - shown in :RragStatus, retried on next save
            self._embedding.pop(root, None)
            self._record_error(Job(None, "embed", root, lambda e, j: None), exc)
            return
        if report.pending == 0:
            self._embedding.pop(root, None)

    def _loop(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                self._close_engines()
                return
            job.started = True
            if job.cancel.is_set():
                job.done = True
                self.emit({"id": job.id, "type": "cancelled", "kind": job.kind})
                continue
            self.current = job
            runs = self._index_runs(job.root)
            try:
                result = job.run(self.engine(job.root), job)
            except Cancelled:
                self.emit({"id": job.id, "type": "cancelled", "kind": job.kind})
            except Exception as exc:  # noqa: BLE001 - every failure becomes an event
                self._record_error(job, exc)
            else:
                if job.cancel.is_set():
                    self.emit({"id": job.id, "type": "cancelled", "kind": job.kind})
                else:
                    self.emit({"id": job.id, "type": "result", "kind": job.kind,
                               "root": str(job.root), "quiet": job.quiet, "result": result})
            finally:
                self.current = None
                job.done = True
            if self._index_runs(job.root) != runs and self.config.index.embed_on_index:
                # The request re-indexed files changed on disk first: their vectors follow
                # between requests, the request's file first.
                self.embed_later(job.root, [job.params["path"]] if job.params.get("path") else [])

    def _index_runs(self, root: Path) -> int:
        """How many index runs the workspace's engine recorded (a request's refresh is one)."""
        try:
            return self.engine(root).index_runs
        except Exception:  # noqa: BLE001 - the job itself reports a failing engine
            return -1

    def _record_error(self, job: Job, exc: BaseException) -> None:
        error = error_payload(exc)
        self.last_errors = (self.last_errors + [{"kind": job.kind, **error}])[-10:]
        self.emit({"id": job.id, "type": "error", "kind": job.kind, "root": str(job.root),
                   "error": error})
