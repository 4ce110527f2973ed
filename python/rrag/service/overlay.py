"""Service layer: unsaved editor buffers laid over the index for one request.

The editors send the text of modified Rust buffers with a request. Their items must stand in
for the saved file's everywhere a request looks (the cursor's item, the packed text, search,
graph neighbours), yet nothing may reach the index before a save. So the overlay writes them
the way the indexer writes a file (items, FTS rows, references, then the crate's edges) inside
a scratch transaction of the engine's own connection (``Store.scratch``): the request reads
through the ordinary queries, and the transaction is rolled back when it ends, so other
connections never see it and the index is as it was. Items whose text changed lose their
vector windows inside the view (``files.replace_file``): they are found by BM25 and the graph.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import asdict
from typing import Callable, Iterator

import blake3

from ..graph import build
from ..parse.rust import finalize
from ..parse.task import FileResult, parse_bytes
from ..parse.workspace import Workspace
from ..store import Store
from ..store import edges as edges_db
from ..store import files as files_db


class Overlay:
    """The unsaved buffers of the current request, keyed by the store's path."""

    def __init__(self, store: Callable[[], Store], workspace: Callable[[], Workspace | None],
                 lock: threading.RLock) -> None:
        self._store = store
        self._workspace = workspace
        self._lock = lock  # the assistant's compute lock: no pre-caching inside the view
        self.texts: dict[str, str] = {}
        self._parsed: dict[str, tuple[str, FileResult]] = {}  # path -> (text hash, result)
        self._depth = 0
        self._graph_memo: dict = {}

    def set(self, texts: dict[str, str]) -> None:
        self.texts = dict(texts)

    def text(self, path: str) -> str | None:
        return self.texts.get(path)

    @property
    def active(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """The buffers in the index for the length of the block (re-entrant)."""
        if not self.texts or self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        store = self._store()
        with self._lock, store.scratch():
            by_crate: dict[str, set[str]] = {}
            before = edges_db.item_ids(store, set(self.texts))
            for path, text in self.texts.items():
                crate = self._write(store, path, text)
                if crate is not None:
                    by_crate.setdefault(crate, set()).add(path)
            for crate, paths in by_crate.items():
                build.rebuild_files(store, self._workspace(), crate, paths, self._graph_memo,
                                    before)
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0

    def _write(self, store: Store, path: str, text: str) -> str | None:
        """One buffer as its file's rows; returns its crate (None: not an indexed file)."""
        state = files_db.file_state(store, path)
        if state is None:
            return None  # a new file not saved yet has no place in the module tree
        data = text.encode("utf-8")
        digest = blake3.blake3(data).hexdigest()[:32]
        if digest == state.hash:
            return None  # the buffer says what the index holds
        cached = self._parsed.get(path)
        if cached is None or cached[0] != digest:
            res = parse_bytes(FileResult(path, hash=digest), data)
            if res.parsed is None:
                return None
            finalize(res.parsed, state.module_path, state.id_namespace or None)
            cached = (digest, res)
            self._parsed = {p: v for p, v in self._parsed.items() if p in self.texts}
            self._parsed[path] = cached
        res = cached[1]
        parsed = res.parsed
        assert parsed is not None
        record = files_db.FileRecord(
            path=path, package=state.package, crate=state.crate, module_path=state.module_path,
            id_namespace=state.id_namespace, reachable=state.reachable, hash=digest,
            mtime_ns=state.mtime_ns, size=state.size, line_count=parsed.line_count,
            parse_errors=parsed.error_count, source=data,
            mod_decls=json.dumps([asdict(d) for d in parsed.mod_decls]))
        refs = [(r[0], parsed.items[r[1]].id, *r[2:]) for r in parsed.refs]
        files_db.replace_file(store, record, parsed.items, res.item_hashes or [],
                              res.lexical_rows, refs, embed_priority=None)
        return state.crate
