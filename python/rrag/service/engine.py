"""Service layer: the engine, one per workspace, that every front end drives.

It owns the configuration, the store connection and the long-lived parts (embedding model,
model worker, caches) and exposes the operations front ends call: index, items, stats, and the
retrieval and model operations added on top. The CLI creates one per command; the editor hosts
keep one alive per workspace.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import WorkspaceError
from ..paths import index_db_path
from ..store import Store, open_store
from ..store import files as files_db
from ..store import items as items_db
from .indexer import IndexReport, StructuralIndexer
from .progress import ProgressFn, no_progress

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

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db_path)
            for notice in self._store.notices:
                log.warning(notice)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- operations ----------------------------------------------------------------------
    def index(self, embed: bool = True, progress: ProgressFn = no_progress) -> IndexReport:
        report = StructuralIndexer(self.root, self.store, self.config.index, progress).run()
        notices = [{"path": str(self.db_path), "message": n} for n in self.store.notices]
        report.errors = notices + report.errors
        self.store.notices.clear()  # reported once
        return report

    def items(self, path: str | None = None) -> list[items_db.ItemRow]:
        return items_db.list_items(self.store, _rel(self.root, path) if path else None)

    def stats(self) -> dict[str, Any]:
        counts = files_db.file_counts(self.store)
        return {
            "db": str(self.db_path),
            "root": str(self.root),
            "files": counts["files"],
            "lines": counts["lines"],
            "items": items_db.item_count(self.store),
            "edges": 0,
            "vectors": 0,
            "kinds": items_db.kind_counts(self.store),
            "files_with_syntax_errors": counts["files_with_syntax_errors"],
            "problems": files_db.problems(self.store),
            "schema_version": self.store.schema_version(),
            "db_bytes": _size(self.db_path),
        }


def _rel(root: Path, path: str) -> str:
    """Accept a path relative to the root or absolute; store paths are root-relative."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(root)
        except ValueError:
            return path
    return p.as_posix().removeprefix("./")


def _size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal"):
        try:
            total += os.path.getsize(str(path) + suffix)
        except OSError:
            pass
    return total
