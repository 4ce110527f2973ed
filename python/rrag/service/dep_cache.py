"""Service layer: one dependency crate at one version (and feature set) in the shared cache.

``ensure_cached`` parses a crate once per machine into
``<cache>/deps/<name>-<version>-<hash>/index.sqlite`` with the ordinary StructuralIndexer, built
the way cargo builds it on this host: ``mod`` declarations under a false cfg (including the
branches of ``cfg_if!``) are not followed, files the build never reaches are not read, and items
under a false ``#[cfg]`` (a feature the lock does not enable, another operating system) are
dropped. The key hashes the crate folder, its manifest, the enabled features and the host's cfg
set, so a crate with a feature on in one project and off in another gets two cache entries.
Built in a temporary folder renamed into place, under an flock on ``<key>.lock``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import shutil
import time
from pathlib import Path

import blake3

from ..config import IndexConfig
from ..parse import workspace as ws_mod
from ..parse.cfg_eval import CfgEnv, Evaluator
from ..parse.cfg_filter import drop_inactive
from ..parse.dep_sources import DepSource
from ..parse.model import ModDecl
from ..parse.task import FileResult, parse_version
from ..paths import cache_home, private_dir
from ..store import bulk
from ..store import deps as deps_db
from ..store.schema import MIGRATIONS
from .indexer import StructuralIndexer

CACHE_FORMAT = "4"
# A dependency is indexed for its API and graph: its tests, benches and examples are not.
DEP_EXCLUDES = ("/tests/", "/benches/", "/examples/", "/target/", "/fuzz/", "/build.rs")
# Lexical rows of dependency items: the public API is searched by its code too (capped), the
# private items by name, signature and docs only (their bodies serve the graph).
DEP_BODY_CHARS = 4000


class _CacheIndexer(StructuralIndexer):
    """The workspace indexer, evaluating cfg against the host and keeping each item's FTS
    tokens (see ``store.deps``). A dependency's doc tests are left unparsed: cargo never builds
    them for the project, and they cost about a third more parse time per crate (issue 18)."""

    doc_tests = False

    def __init__(self, *args, evaluator: Evaluator, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ev = evaluator  # with the package's resolved features
        self.items_dropped = 0
        self.files_dropped = 0

    def _usable_decls(self, decls: dict[str, list[ModDecl]]) -> dict[str, list[ModDecl]]:
        return {p: [d for d in ds if not d.cfg or self.ev.all_active(d.cfg)]
                for p, ds in decls.items()}

    def _dropped_files(self, modules: dict[str, ws_mod.FileModule]) -> set[str]:
        dropped = {p for p, m in modules.items() if not m.reachable}
        self.files_dropped = len(dropped)
        return dropped

    def _write(self, res: FileResult, *args, **kwargs) -> None:  # type: ignore[override]
        if not kwargs.get("quiet"):
            self.items_dropped += drop_inactive(res, self.ev)
        super()._write(res, *args, **kwargs)
        if res.parsed is not None and res.lexical_rows:
            deps_db.save_lexical(self.store, [
                (item.id, name, signature, docs,
                 body[:DEP_BODY_CHARS] if item.visibility == "pub" else "")
                for item, (name, signature, docs, body) in
                zip(res.parsed.items, res.lexical_rows)])


def deps_dir() -> Path:
    return cache_home() / "deps"


def source_env(src: DepSource, host: CfgEnv) -> CfgEnv:
    return host.with_features(None if src.features is None else frozenset(src.features))


def cache_key(src: DepSource, env: CfgEnv) -> str:
    """Content address of a crate's cache: its folder, manifest, the cfg environment it was
    evaluated in (host values and enabled features), and (for path dependencies, which are
    edited in place) every .rs file's size and mtime; plus the parser and schema versions, so a
    newer rrag never reads an older cache."""
    h = blake3.blake3(f"{src.folder}\0{parse_version()}\0{len(MIGRATIONS)}\0{CACHE_FORMAT}\0"
                      f"{DEP_EXCLUDES}".encode())
    h.update(repr((sorted(env.pairs), sorted(env.names), sorted(env.known),
                   None if env.features is None else sorted(env.features))).encode())
    try:
        h.update((src.folder / "Cargo.toml").read_bytes())
    except OSError:
        pass
    if src.origin == "path":
        for path in sorted(src.folder.rglob("*.rs")):
            st = path.stat()
            h.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
    return f"{src.name}-{src.version}-{h.hexdigest()[:16]}"


def ensure_cached(src: DepSource, env: CfgEnv, cfg: IndexConfig) -> tuple[Path, int]:
    """The crate's cache database, built now if no project built it before.
    Returns (database path, files parsed to build it: 0 on a cache hit)."""
    key = cache_key(src, env)
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
            store = bulk.create(tmp / "index.sqlite")  # a new file: the bulk path
            try:
                dep_cfg = dataclasses.replace(cfg, exclude=(*cfg.exclude, *DEP_EXCLUDES),
                                              embed_on_index=False)
                indexer = _CacheIndexer(src.folder, store, dep_cfg, evaluator=Evaluator(env))
                parsed = indexer.run().files_parsed
                for name, value in (("cfg_unknown", sum(indexer.ev.unknown.values())),
                                    ("cfg_items_dropped", indexer.items_dropped),
                                    ("cfg_files_dropped", indexer.files_dropped)):
                    store.set_meta(name, str(value))
                bulk.finish(store)
            except BaseException:
                bulk.discard(store)
                raise
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return db, parsed
