"""Service layer: the engine, one per workspace, that every front end drives.

It owns the configuration, the store connection and the long-lived parts (embedding model,
model worker, caches) and exposes the operations front ends call: index, items, stats, and the
retrieval and model operations added on top. The CLI creates one per command; the editor hosts
keep one alive per workspace.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..config import Config
from ..errors import RragError, WorkspaceError
from ..parse.workspace import Workspace, discover
from ..paths import index_db_path
from ..store import Store, open_store
from ..store import bulk
from ..store import files as files_db
from ..store import items as items_db
from ..store import edges as edges_db
from ..store import vectors as vec_db
from ..store import deps as deps_db
from ..embed.model import Embedder, load_embedder
from .embedding import EmbedPipeline, EmbedReport
from .search import Searcher
from .graph_ops import GraphOps
from .assist import Assistant
from .crates import prompt_crates
from .cache import changed_paths
from .deps import index_dependencies, share_dependency_vectors
from .freshness import Freshness, Verdict, git_head
from .indexer import IndexReport, StructuralIndexer
from .overlay import Overlay
from .progress import ProgressFn, no_progress
from .roots import store_path
from .status import freshness_stats, index_stats, model_status, unindexed_stats

log = logging.getLogger("rrag.engine")


class Engine:
    def __init__(self, root: Path | str, config: Config | None = None,
                 db_path: Path | None = None) -> None:
        root = Path(root).expanduser()
        if not root.is_dir():
            raise WorkspaceError(f"{root} is not a folder", "pass --root with a Rust project")
        self.root = root.resolve()
        self.config = config or Config()
        self.db_path = db_path or index_db_path(self.root, self.config.index.db_dir)
        self._store: Store | None = None
        self._crates: list[tuple[str, str]] | None = None
        self.last_errors: list[dict] = []  # problems of the latest index run, for :RragStatus
        self._embedder: Embedder | None = None
        self.searcher = Searcher(lambda: self.store, lambda: self.embedder)
        # The ranker asks the searcher for vector neighbours of a question.
        self.assistant = Assistant(self.root, self.config, lambda: self.store, self.crates,
                                   semantic=self.searcher.semantic_hits)
        self._workspace: Workspace | None = None  # what the latest index run scanned
        self.freshness = Freshness(self.root, lambda: self.store, self.config.index)
        self.overlay = Overlay(lambda: self.store, self.workspace, self.assistant.compute_lock)
        self.assistant.overlay = self.overlay

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db_path)
            for notice in self._store.notices:
                log.warning(notice.removeprefix("rrag: "))  # the log format adds the prefix
        return self._store

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use (a second or so for the default)."""
        if self._embedder is None:
            self._embedder = load_embedder(self.config.embed)
        return self._embedder

    def _never_indexed(self) -> bool:
        """No index file, and nothing has opened the store (opening creates an empty file)."""
        return self._store is None and not self.db_path.exists()

    def workspace(self) -> Workspace:
        """The workspace as last scanned (the overlay resolves a buffer's references in it)."""
        if self._workspace is None:
            self._workspace = discover(self.root, self.config.index.exclude,
                                       self.config.index.follow_outside_links)
        return self._workspace

    def close(self) -> None:
        self.assistant.close()
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- operations ----------------------------------------------------------------------
    def index(self, embed: bool = True, progress: ProgressFn = no_progress,
              focus: Sequence[str] = (), wait_deps: bool = False,
              dependencies: bool = True) -> IndexReport:
        """The structural index, then (``embed``) the workspace's vectors, the items of
        ``focus`` files (open in the editor, just saved) first; ``wait_deps``: the direct
        dependencies' public API too (otherwise left for the editor's background runs).
        ``dependencies``: False skips the dependency step (a refresh that saw no manifest or
        Cargo.lock change)."""
        with bulk.loading(self.db_path, self._store is not None, lambda: self.store, progress) \
                as store:  # (no index file yet: a first index, put in place whole)
            before = files_db.file_states(store)
            head = git_head(self.root)  # before the scan: a checkout during the run shows later
            indexer = StructuralIndexer(self.root, store, self.config.index, progress)
            report = indexer.run()
            self._workspace = indexer.workspace
            if self.config.index.dependencies and dependencies:
                self._crates = None  # the locked versions may have moved
                deps = index_dependencies(self.root, store, self.config.index, progress)
                if deps is not None:
                    report.dependencies = deps.to_json()
                    report.errors += [{"path": "Cargo.lock", "message": m["message"]}
                                      for m in deps.missing]
                    report.items = items_db.item_count(store)
                    report.edges = edges_db.edge_count(store)
        report.errors += self.freshness.new_outside_links(indexer.workspace)
        self.assistant.files_changed(changed_paths(before, files_db.file_states(self.store)))
        notices = [{"path": str(self.db_path), "message": n} for n in self.store.notices]
        report.errors = notices + report.errors
        self.store.notices.clear()  # reported once
        self.last_errors = report.errors[-20:]
        self.freshness.record(indexer.workspace, head)
        if embed:
            # Dependency vectors never block the index: the editor fills them in afterwards.
            cut = vec_db.PRIORITY_DEPENDENCY if wait_deps else vec_db.PRIORITY_WORKSPACE
            report.embedding = self.embed_pending(progress, focus=focus,
                                                  max_priority=cut).to_json()
        return report

    def embed_pending(self, progress: ProgressFn = no_progress,
                      should_stop: Callable[[], bool] = lambda: False,
                      focus: Sequence[str] = (), batch_items: int = 64,
                      max_priority: int | None = None) -> EmbedReport:
        """Drain the embedding queue (resumable: stop any time, call again later)."""
        if focus:
            vec_db.prioritize_paths(self.store, [r for p in focus
                                                 if (r := self._path(p, strict=False))])
        versions = deps_db.crate_versions(self.store)  # dependency items' headers
        report = EmbedPipeline(self.store, self.embedder, self.config.embed.window_overlap,
                               progress, versions=lambda crate: versions.get(crate, "")
                               ).run(should_stop, batch_items, max_priority)
        if report.embedded:
            share_dependency_vectors(self.store)
        return report

    def crates(self) -> list[tuple[str, str]]:
        """(crate, version) for the model's system prompt (see service.crates)."""
        if self._crates is None:
            self._crates = prompt_crates(self.root)
        return self._crates

    def refresh(self) -> Verdict:
        """Before every request: files changed, added or deleted on disk since the last index
        run (an edit elsewhere, a formatter, ``git checkout``) are re-indexed first, so no
        answer comes from stale code; a never-indexed workspace gets its structural index
        (seconds). Vectors follow later; changed items are served by BM25 and the graph."""
        if self._never_indexed():
            # The first index takes the bulk path, out of sight, instead of writing file by file
            # into a new database.
            log.info("indexing before the request: no index yet")
            self.index(embed=False)
            return Verdict(False, "no index yet", full=True, dependencies=True)
        if not self.config.index.refresh and files_db.file_counts(self.store)["files"]:
            return Verdict(True)
        verdict = self.freshness.check()
        if not verdict.fresh:
            log.info("re-indexing before the request: %s", verdict.reason)
            self.index(embed=False, dependencies=verdict.dependencies)
        return verdict

    def with_buffers(self, buffers: Mapping[str, str] | None) -> None:
        """Unsaved editor buffers (path -> text) for the next request (others' are ignored)."""
        texts = {}
        for path, text in (buffers or {}).items():
            rel = self._path(path, strict=False)
            if rel and not deps_db.is_dependency_path(rel):
                texts[rel] = text
        self.overlay.set(texts)

    # Model-facing operations (see service.assist); paths may be absolute or root-relative.
    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               kinds: Sequence[str] = (), crates: Sequence[str] = (),
               path_prefix: str = "", buffers: Mapping[str, str] | None = None
               ) -> list[dict[str, Any]]:
        if not query.strip():
            raise RragError("the search query is empty", "say what to look for")
        if k < 1:
            raise RragError(f"cannot return {k} results", "ask for at least 1")
        self.refresh()
        self.with_buffers(buffers)
        with self.overlay.applied():
            return self.searcher.search(query, k, mode, kinds, crates, path_prefix)

    def context(self, path: str | None, line: int | None, query: str | None = None,
                budget: int | None = None, task: str = "ask", pinned: Sequence[str] = (),
                excluded: Sequence[str] = (), selection: tuple[int, int] | None = None,
                open_paths: Sequence[str] = (), buffers: Mapping[str, str] | None = None) -> dict:
        self.refresh()
        self.with_buffers(buffers)
        rel = self._path(path) if path else None
        # Buffers of other projects may be open in the editor too: only this one's count.
        open_rel = [r for p in open_paths if (r := self._path(p, strict=False))]
        with self.overlay.applied():
            out = self.assistant.context(rel, line, query, budget, task, pinned, excluded,
                                         selection, open_rel).to_json()
        # Just refreshed: the disk is what was indexed (unless refreshing is turned off).
        return out | freshness_stats(self.freshness, vec_db.pending_count(self.store),
                                     Verdict(True) if self.config.index.refresh else None)

    def _path(self, path: str, strict: bool = True) -> str:
        """The store's path for ``path`` (see ``roots.store_path``); "" outside the workspace
        and its dependencies unless ``strict``, which raises NotFound."""
        store = self.store if self._store is not None or self.db_path.is_file() else None
        return store_path(self.root, store, path, strict)

    def locate(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Editors: ``file``, the absolute path, on each context item or answer source (the
        command line keeps to root-relative paths)."""
        return self.assistant.located(items)

    def precache(self, path: str, only_if_model_loaded: bool = False) -> int:
        """Start computing, in the background at low priority, the context for each symbol of
        ``path`` (the file just opened); returns how many were queued. The editor passes
        ``only_if_model_loaded``: counting tokens needs the model, and loading a 7B model just to
        guess ahead would cost more than it saves."""
        if only_if_model_loaded and not self.assistant.backend_loaded:
            return 0
        rel = self._path(path)
        lines = [r.start_line for r in items_db.list_items(self.store, rel)
                 if r.kind not in ("file", "module", "impl", "trait")]
        self.assistant.precache(rel, lines)
        return len(lines)

    def ask(self, question: str, path: str | None = None, line: int | None = None,
            selection: tuple[int, int] | None = None, on_token: Any = None, cancel: Any = None,
            pinned: Sequence[str] = (), excluded: Sequence[str] = (),
            buffers: Mapping[str, str] | None = None) -> dict[str, Any]:
        self.refresh()
        self.with_buffers(buffers)
        rel = self._path(path) if path else None
        return self.assistant.ask(question, rel, line, selection, on_token, cancel, pinned,
                                  excluded)

    def explain(self, path: str, line: int | None = None,
                selection: tuple[int, int] | None = None, on_token: Any = None,
                cancel: Any = None, buffers: Mapping[str, str] | None = None) -> dict[str, Any]:
        self.refresh()
        self.with_buffers(buffers)
        return self.assistant.explain(self._path(path), line, selection, on_token, cancel)

    def generate(self, instruction: str, path: str | None = None, line: int | None = None,
                 on_token: Any = None, cancel: Any = None,
                 buffers: Mapping[str, str] | None = None) -> dict[str, Any]:
        self.refresh()
        self.with_buffers(buffers)
        rel = self._path(path) if path else None
        return self.assistant.generate(instruction, rel, line, on_token, cancel)

    def refactor(self, path: str, start_line: int, end_line: int, instruction: str,
                 on_token: Any = None, cancel: Any = None,
                 original: str | None = None,
                 buffers: Mapping[str, str] | None = None) -> dict[str, Any]:
        self.refresh()
        self.with_buffers(buffers)
        return self.assistant.refactor(self._path(path), start_line, end_line, instruction,
                                       on_token, cancel, original)

    def ground(self, text: str, path: str | None = None, line: int | None = None,
               buffers: Mapping[str, str] | None = None) -> dict[str, Any]:
        self.refresh()
        self.with_buffers(buffers)
        return self.assistant.ground(text, self._path(path) if path else None, line)

    def cancel(self) -> None:
        self.assistant.cancel()

    @property
    def graph(self) -> GraphOps:
        self.refresh()
        return GraphOps(self.store)

    def items(self, path: str | None = None) -> list[items_db.ItemRow]:
        self.refresh()
        return items_db.list_items(self.store, self._path(path) if path else None)

    @property
    def index_runs(self) -> int:
        """How many index runs this engine recorded (a request's refresh counts)."""
        return self.freshness.runs

    def status(self) -> dict[str, Any]:
        """Index counts plus what the editor's status shows: the model and the last errors."""
        return self.stats() | model_status(self.config.llm) | {"last_errors": self.last_errors}

    def stats(self) -> dict[str, Any]:
        """Index counts and freshness (``freshness``: when last brought up to date, whether a
        scan or vectors are pending)."""
        if self._never_indexed():
            return unindexed_stats(self.db_path, self.root)
        counts = index_stats(self.store, self.db_path, self.root)
        return counts | freshness_stats(self.freshness, counts["embed_pending"])
