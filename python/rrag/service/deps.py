"""Service layer: the workspace's locked dependencies in its index, from a shared cache.

After the workspace's own files are indexed, ``sync_dependencies`` reads ``Cargo.lock``, finds
each locked package's source (``rrag.parse.dep_sources``) and makes the index hold exactly those
versions: a crate at a version is parsed once per machine into
``<cache>/deps/<name>-<version>-<hash>/index.sqlite`` (the same StructuralIndexer, the crate's
folder as a single-crate workspace, built in a temporary folder and renamed into place under a
lock file, so two projects indexing at once never see half a cache), and imported into the
workspace db with SQL alone. Versions no longer locked are deleted; workspace files are not
re-parsed. The workspace's crates are then re-resolved so ``serde::Serialize``, derives and
``regex::Regex::new`` point at the dependency's items (through its ``pub use`` re-exports).
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Iterable

import blake3

from ..config import IndexConfig
from ..errors import RragError
from ..graph import build
from ..parse.dep_sources import DepSource, locate
from ..parse.task import PARSE_VERSION, FileResult
from ..parse.workspace import Workspace, discover
from ..paths import cache_home, index_db_path, private_dir
from ..store import Store, open_store
from ..store import deps as deps_db
from ..store.schema import MIGRATIONS
from .indexer import StructuralIndexer
from .progress import ProgressFn, no_progress

log = logging.getLogger("rrag.deps")

CACHE_FORMAT = "2"
# A dependency is indexed for its API and graph: its tests, benches and examples are not.
DEP_EXCLUDES = ("/tests/", "/benches/", "/examples/", "/target/", "/fuzz/", "/build.rs")


# Lexical rows of dependency items: the public API is searched by its code too (capped), the
# private items by name, signature and docs only (their bodies serve the graph). On clap's
# closure this halves the FTS text the workspace import must tokenize (libc, winapi).
DEP_BODY_CHARS = 4000


class _CacheIndexer(StructuralIndexer):
    """The workspace indexer, also keeping each item's FTS tokens (see ``store.deps``)."""

    def _write(self, res: FileResult, *args, **kwargs) -> None:  # type: ignore[override]
        super()._write(res, *args, **kwargs)
        if res.parsed is not None and res.lexical_rows:
            deps_db.save_lexical(self.store, [
                (item.id, name, signature, docs,
                 body[:DEP_BODY_CHARS] if item.visibility == "pub" else "")
                for item, (name, signature, docs, body) in
                zip(res.parsed.items, res.lexical_rows)])


def deps_dir() -> Path:
    return cache_home() / "deps"


def cache_key(src: DepSource) -> str:
    """Content address of a crate's cache: its folder, manifest, and (for path dependencies,
    which are edited in place) every .rs file's size and mtime; plus the parser and schema
    versions, so a newer rrag never reads an older cache."""
    h = blake3.blake3(f"{src.folder}\0{PARSE_VERSION}\0{len(MIGRATIONS)}\0{CACHE_FORMAT}\0"
                      f"{DEP_EXCLUDES}".encode())
    try:
        h.update((src.folder / "Cargo.toml").read_bytes())
    except OSError:
        pass
    if src.origin == "path":
        for path in sorted(src.folder.rglob("*.rs")):
            st = path.stat()
            h.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
    return f"{src.name}-{src.version}-{h.hexdigest()[:16]}"


def ensure_cached(src: DepSource, cfg: IndexConfig) -> tuple[Path, int]:
    """The crate's cache database, built now if no project built it before.
    Returns (database path, files parsed to build it: 0 on a cache hit)."""
    key = cache_key(src)
    final = deps_dir() / key
    db = final / "index.sqlite"
    if db.is_file():
        return db, 0
    private_dir(deps_dir())
    with open(deps_dir() / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another project may be building this very crate
        if db.is_file():
            return db, 0
        tmp = deps_dir() / f".build-{key}-{os.getpid()}-{time.monotonic_ns()}"
        try:
            store = open_store(tmp / "index.sqlite")
            try:
                dep_cfg = dataclasses.replace(cfg, exclude=(*cfg.exclude, *DEP_EXCLUDES),
                                              embed_on_index=False)
                parsed = _CacheIndexer(src.folder, store, dep_cfg).run().files_parsed
            finally:
                store.close()
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return db, parsed


@dataclasses.dataclass
class DepsReport:
    locked: int = 0  # packages locked outside the workspace
    imported: list[dict] = dataclasses.field(default_factory=list)
    removed: list[dict] = dataclasses.field(default_factory=list)
    missing: list[dict] = dataclasses.field(default_factory=list)
    cache_hits: int = 0
    files_parsed: int = 0  # dependency files parsed into the shared cache by this run
    seconds: float = 0.0

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def sync_dependencies(store: Store, workspace: Workspace, cfg: IndexConfig,
                      progress: ProgressFn = no_progress) -> DepsReport:
    started = time.monotonic()
    report = DepsReport()
    found, missing = locate(workspace)
    report.locked = len(found) + len(missing)
    report.missing = [{"name": m.name, "version": m.version, "message": m.message}
                      for m in missing]
    wanted = {cache_key(src): src for src in found}
    current = deps_db.imported(store)
    for key in sorted(set(current) - set(wanted)):
        deps_db.remove(store, key)
        report.removed.append({"name": current[key][0], "version": current[key][1]})
    todo = [key for key in sorted(wanted) if key not in current]
    ready: list[tuple[Path, str, str, Path]] = []
    for done, key in enumerate(todo, 1):
        src = wanted[key]
        try:
            db, parsed = ensure_cached(src, cfg)
        except (RragError, OSError) as exc:  # one unreadable crate must not stop the index
            reason = getattr(exc, "message", str(exc)).removeprefix("rrag: ")
            report.missing.append({"name": src.name, "version": src.version, "message":
                                   f"rrag: could not index {src.name} {src.version} at "
                                   f"{src.folder}: {reason}; its items are left out"})
            continue
        report.files_parsed += parsed
        report.cache_hits += parsed == 0
        ready.append((db, key, src.version, src.folder))
        report.imported.append({"name": src.name, "version": src.version,
                                "origin": src.origin, "folder": str(src.folder),
                                "cached": parsed == 0})
        progress("dependencies", done, len(todo))
    counts = deps_db.import_crates(store, ready)
    for entry, (_, key, _, _) in zip(report.imported, ready):
        entry["items"] = counts.get(key, 0)
    if report.removed or report.imported:
        # The workspace's references to the old or missing versions now have a target.
        build.rebuild(store, workspace, {p.crate for p in workspace.packages} |
                      {t.crate for p in workspace.packages for t in p.targets})
    report.seconds = round(time.monotonic() - started, 3)
    return report


def index_dependencies(root: Path, store: Store, cfg: IndexConfig,
                       progress: ProgressFn = no_progress) -> DepsReport | None:
    """``sync_dependencies`` for the workspace at ``root``; None when it locks nothing and
    holds no dependency (no Cargo.lock: a plain folder of crates)."""
    if not (root / "Cargo.lock").is_file() and not deps_db.imported(store):
        return None
    return sync_dependencies(store, discover(root, cfg.exclude), cfg, progress)


def workspace_locking(crate_root: Path, workspaces: Iterable[Path],
                      db_dir: str = "") -> Path | None:
    """The first of ``workspaces`` whose index holds the crate at ``crate_root`` as a
    dependency (read-only: another process may be indexing it)."""
    for workspace in workspaces:
        folders = deps_db.folders_of(index_db_path(workspace, db_dir))
        if any(crate_root == f or crate_root in f.parents for f in folders):
            return workspace
    return None


def share_dependency_vectors(store: Store) -> int:
    """After an embedding run: copy the dependency items' new vectors into their crates' shared
    cache databases, so a dependency is embedded once per machine, not once per project."""
    shared = 0
    for key in deps_db.imported(store):
        db = deps_dir() / key / "index.sqlite"
        if db.is_file():
            shared += deps_db.export_vectors(store, key, db)
    return shared
