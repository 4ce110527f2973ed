"""Service layer: the workspace's locked dependencies in its index, from a shared cache.

After the workspace's own files are indexed, ``sync_dependencies`` asks cargo which packages it
builds on this host, with which features (``service.dep_resolve``; ``Cargo.lock`` as the
fallback) and makes the index hold exactly those versions: a crate at a version and feature set
is parsed once per machine into the shared cache (``service.dep_cache``, cfg evaluated against
the host) and imported into the workspace db with SQL alone; only the public API of direct
dependencies is queued for vectors. Versions no longer locked are deleted; workspace files are not
re-parsed. The workspace's crates are then re-resolved so ``serde::Serialize``, derives and
``regex::Regex::new`` point at the dependency's items (through its ``pub use`` re-exports).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable

from ..config import IndexConfig
from ..errors import RragError
from ..graph import build
from ..parse.cfg_eval import CfgEnv
from ..parse.dep_closure import DIRECT
from ..parse.dep_sources import DepSource
from ..parse.workspace import Workspace, discover
from ..paths import index_db_path
from ..store import Store
from ..store import deps as deps_db
from .dep_cache import cache_key, deps_dir, ensure_cached, source_env
from .dep_resolve import host, resolve
from . import parse_pool
from .progress import ProgressFn, no_progress
from .std_index import std_deps

log = logging.getLogger("rrag.deps")


@dataclasses.dataclass
class DepsReport:
    locked: int = 0  # packages cargo builds here, outside the workspace
    via: str = ""  # how they were chosen: "cargo metadata" or "Cargo.lock"
    imported: list[dict] = dataclasses.field(default_factory=list)
    removed: list[dict] = dataclasses.field(default_factory=list)
    missing: list[dict] = dataclasses.field(default_factory=list)
    std: dict = dataclasses.field(default_factory=dict)  # {version, origin, folder}: indexed std
    cache_hits: int = 0
    files_parsed: int = 0  # dependency files parsed into the shared cache by this run
    seconds: float = 0.0

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def _build_one(src: DepSource, env: CfgEnv, cfg: IndexConfig) -> tuple[Path | None, int, str]:
    """In a build process: (cache database, files parsed, "" or why it failed)."""
    try:
        db, parsed = ensure_cached(src, env, cfg)
        return db, parsed, ""
    except (RragError, OSError) as exc:  # one unreadable crate must not stop the index
        return None, 0, getattr(exc, "message", str(exc)).removeprefix("rrag: ")


def _build_caches(todo: list[str], wanted: dict[str, DepSource], env: CfgEnv,
                  cfg: IndexConfig, report: DepsReport, ready: list[deps_db.CrateImport],
                  progress: ProgressFn) -> None:
    """Each crate missing from the shared cache parsed into it, several crates at once: one
    process per core, each building whole crates (parse, write, resolve) in turn, largest
    first, so the big ones do not end the run alone. ``ready`` gets what to import."""
    workers = cfg.workers if cfg.workers > 0 else max(1, os.cpu_count() or 1)
    one_process = dataclasses.replace(cfg, workers=1)  # a build process parses in-process
    # Crates another project already built need no process (spawning one costs a second).
    results: dict[str, tuple[Path | None, int, str]] = {
        key: (deps_dir() / key / "index.sqlite", 0, "") for key in todo
        if (deps_dir() / key / "index.sqlite").is_file()}
    if results:
        progress("dependencies", len(results), len(todo))
    order = sorted((k for k in todo if k not in results), key=lambda k: -_rust_bytes(wanted[k]))
    if workers == 1 or len(order) < 2:
        for key in order:
            results[key] = _build_one(wanted[key], source_env(wanted[key], env), one_process)
            progress("dependencies", len(results), len(todo))
    else:
        with ProcessPoolExecutor(min(workers, len(order)), mp_context=get_context("spawn"),
                                 initializer=parse_pool.init_parse_process,
                                 initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(_build_one, wanted[k], source_env(wanted[k], env),
                                   one_process): k for k in order}
            try:
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    progress("dependencies", len(results), len(todo))
            except BrokenProcessPool as exc:
                raise RragError("a dependency build process died (killed, or out of memory)",
                                "run the index again: crates already built are kept") from exc
    for key in sorted(todo):
        src = wanted[key]
        db, parsed, error = results[key]
        if db is None:
            report.missing.append({"name": src.name, "version": src.version, "message":
                                   f"rrag: could not index {src.name} {src.version} at "
                                   f"{src.folder}: {error}; its items are left out"})
            continue
        report.files_parsed += parsed
        report.cache_hits += parsed == 0
        ready.append(deps_db.CrateImport(db, key, src.version, src.folder,
                                         vectors=src.role == DIRECT))
        report.imported.append({"name": src.name, "version": src.version,
                                "origin": src.origin, "folder": str(src.folder),
                                "role": src.role, "cached": parsed == 0})


def _rust_bytes(src: DepSource) -> int:
    """About how much a crate costs to build (its src/ .rs bytes)."""
    try:
        return sum(p.stat().st_size for p in (src.folder / "src").rglob("*.rs"))
    except OSError:
        return 0


def sync_dependencies(store: Store, workspace: Workspace, cfg: IndexConfig,
                      progress: ProgressFn = no_progress) -> DepsReport:
    started = time.monotonic()
    report = DepsReport()
    progress("resolve", 0, 1)
    resolution = resolve(workspace)
    progress("resolve", 1, 1)
    found, missing = resolution.sources, resolution.missing
    report.via = resolution.via
    report.locked = len(found) + len(missing)
    report.missing = [{"name": m.name, "version": m.version, "message": m.message}
                      for m in missing]
    env = host().env
    # std, core and alloc: every crate's dependencies, built once per machine like the others.
    std = std_deps()
    if std:
        report.std = {"version": std[0].version, "origin": std[0].origin,
                      "folder": str(std[0].folder.parent)}
    wanted = {cache_key(src, source_env(src, env)): src for src in [*found, *std]}
    current = deps_db.imported(store)
    for key in sorted(set(current) - set(wanted)):
        deps_db.remove(store, key)
        report.removed.append({"name": current[key][0], "version": current[key][1]})
    todo = [key for key in sorted(wanted) if key not in current]
    ready: list[deps_db.CrateImport] = []
    _build_caches(todo, wanted, env, cfg, report, ready, progress)
    counts = deps_db.import_crates(store, ready)
    for entry, crate in zip(report.imported, ready):
        entry["items"] = counts.get(crate.key, 0)
    _record_version_changes(store, report)
    if report.removed or report.imported:
        progress("graph", 0, 1)
        # The workspace's references to the old or missing versions now have a target.
        build.rebuild(store, workspace, {p.crate for p in workspace.packages} |
                      {t.crate for p in workspace.packages for t in p.targets})
        progress("graph", 1, 1)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def prepare_std(cfg: IndexConfig, progress: ProgressFn = no_progress) -> DepsReport:
    """std, core and alloc built into the shared cache ahead of any workspace (``rrag prepare``,
    run by ``make setup``): a machine-wide, once-per-toolchain cost, like the prebuilt std that
    rustup installs for cargo, so a project's first index does not pay it."""
    started = time.monotonic()
    report = DepsReport(via="rust-src")
    std = std_deps()
    if std:
        report.std = {"version": std[0].version, "origin": std[0].origin,
                      "folder": str(std[0].folder.parent)}
    env = host().env
    wanted = {cache_key(src, source_env(src, env)): src for src in std}
    report.locked = len(wanted)
    _build_caches(sorted(wanted), wanted, env, cfg, report, [], progress)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _record_version_changes(store: Store, report: DepsReport) -> None:
    """A crate whose locked version moved (one removed, one imported): kept in
    ``meta.upgrade_versions`` as crate -> [old, new] for ``rrag upgrade`` (service.upgrade),
    until that crate moves again."""
    gone = {d["name"].replace("-", "_"): d["version"] for d in report.removed}
    moved = {d["name"].replace("-", "_"): [gone[n], d["version"]] for d in report.imported
             if (n := d["name"].replace("-", "_")) in gone and gone[n] != d["version"]}
    if moved:
        seen = json.loads(store.meta("upgrade_versions") or "{}")
        store.set_meta("upgrade_versions", json.dumps(seen | moved, sort_keys=True))


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


def cfg_summary(store: Store) -> dict[str, int]:
    """What cfg evaluation did to the imported dependencies: predicates with a key rrag does
    not know (counted as active), items and files left out as inactive on this host."""
    out = {"unknown_keys": 0, "items_dropped": 0, "files_dropped": 0}
    for key in deps_db.imported(store):
        meta = deps_db.cache_meta(deps_dir() / key / "index.sqlite")
        for name, meta_key in (("unknown_keys", "cfg_unknown"),
                               ("items_dropped", "cfg_items_dropped"),
                               ("files_dropped", "cfg_files_dropped")):
            out[name] += int(meta.get(meta_key) or 0)
    return out


def share_dependency_vectors(store: Store) -> int:
    """After an embedding run: copy the dependency items' new vectors into their crates' shared
    cache databases, so a dependency is embedded once per machine, not once per project."""
    shared = 0
    for key in deps_db.imported(store):
        db = deps_dir() / key / "index.sqlite"
        if db.is_file():
            shared += deps_db.export_vectors(store, key, db)
    return shared
