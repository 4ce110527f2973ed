"""Service layer: the structural index run (discover -> parse in processes -> one writer).

Incremental by construction: a file whose mtime and size are unchanged is not even read; one
whose bytes hash the same is not parsed; only changed files are parsed, on all cores, and each
is written in its own transaction. The module tree is rebuilt from the stored ``mod``
declarations of every file, so a file whose module path changed (its parent's ``mod`` line
moved) is re-parsed even though its bytes did not change.
"""

from __future__ import annotations

import json
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable

from ..config import IndexConfig
from ..parse import workspace as ws_mod
from ..parse.model import ModDecl, Problem
from ..parse.nodeid import NodeId
from ..parse.rust import finalize
from ..parse.task import FileResult, parse_one
from ..store import Store
from ..store import files as files_db
from ..store import items as items_db
from .progress import ProgressFn, no_progress

log = logging.getLogger("rrag.index")

# Below this many files to parse, a process pool costs more (interpreter start-up and imports)
# than it saves; a save in the editor re-parses one file in-process.
POOL_THRESHOLD = 16


@dataclass
class IndexReport:
    files_parsed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    items: int = 0
    edges: int = 0
    lines_parsed: int = 0
    errors: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


def _workers(cfg: IndexConfig) -> int:
    return cfg.workers if cfg.workers > 0 else max(1, os.cpu_count() or 1)


class StructuralIndexer:
    def __init__(self, root: Path, store: Store, cfg: IndexConfig,
                 progress: ProgressFn = no_progress) -> None:
        self.root = root.resolve()
        self.store = store
        self.cfg = cfg
        self.progress = progress
        self.max_bytes = cfg.max_file_kb * 1024

    def run(self) -> IndexReport:
        started = time.monotonic()
        report = IndexReport()
        workspace = ws_mod.discover(self.root)
        report.errors += [asdict(p) for p in workspace.problems]
        current = ws_mod.rust_files(workspace)
        states = files_db.file_states(self.store)

        removed = sorted(set(states) - set(current))
        report.files_removed = files_db.delete_files(self.store, removed)

        to_read, touched = self._changed_by_stat(current, states)
        results = self._parse(to_read, states)
        decls: dict[str, list[ModDecl]] = {p: _load_decls(s.mod_decls) for p, s in states.items()
                                           if p in current}
        for res in results:
            if res.parsed is not None:
                decls[res.path] = res.parsed.mod_decls
        modules = ws_mod.assign_modules(workspace, decls, current)
        namespaces = _id_namespaces(modules)

        # Files whose bytes did not change but whose place in the module tree did.
        parsed_paths = {r.path for r in results if r.parsed is not None}
        moved = [p for p, s in states.items() if p in modules and p not in parsed_paths
                 and (s.module_path, s.id_namespace) != (modules[p].module_path, namespaces[p])
                 and s.problem is None]
        if moved:
            results += self._parse(moved, {})

        unchanged = 0
        for res in results:
            if res.unchanged:
                unchanged += 1
                touched.append((res.path, res.mtime_ns, res.size))
        files_db.touch_files(self.store, touched)
        report.files_unchanged = len(current) - len(to_read) + unchanged - len(moved)

        writable = [r for r in results if not r.unchanged]
        for done, res in enumerate(writable, 1):
            self._write(res, modules.get(res.path), namespaces.get(res.path, ""), report)
            self.progress("storing", done, len(writable))
        report.items = items_db.item_count(self.store)
        report.seconds = round(time.monotonic() - started, 3)
        return report

    def _changed_by_stat(self, current: list[str], states: dict) -> tuple[list[str], list]:
        to_read: list[str] = []
        for rel in current:
            state = states.get(rel)
            if state is None:
                to_read.append(rel)
                continue
            try:
                st = os.stat(self.root / rel)
            except OSError:
                to_read.append(rel)  # parse_one reports it properly
                continue
            if (st.st_mtime_ns, st.st_size) != (state.mtime_ns, state.size):
                to_read.append(rel)
        return to_read, []

    def _parse(self, paths: list[str], states: dict) -> list[FileResult]:
        if not paths:
            return []
        known = {p: (states[p].hash if p in states and states[p].problem is None else "")
                 for p in paths}
        args = [(str(self.root), p, known[p], self.max_bytes) for p in paths]
        results: list[FileResult] = []
        if len(paths) < POOL_THRESHOLD or _workers(self.cfg) == 1:
            for i, a in enumerate(args, 1):
                results.append(parse_one(*a))
                self.progress("parsing", i, len(args))
            return results
        # spawn, not fork: the engine may hold threads and an open SQLite connection.
        with ProcessPoolExecutor(_workers(self.cfg), mp_context=get_context("spawn")) as pool:
            chunk = max(1, min(64, len(args) // (_workers(self.cfg) * 8)))
            for i, res in enumerate(pool.map(_parse_star, args, chunksize=chunk), 1):
                results.append(res)
                self.progress("parsing", i, len(args))
        return results

    def _write(self, res: FileResult, module: ws_mod.FileModule | None, namespace: str,
               report: IndexReport) -> None:
        record = files_db.FileRecord(path=res.path, hash=res.hash, mtime_ns=res.mtime_ns,
                                     size=res.size)
        if module is not None:
            record.package, record.crate = module.package, module.crate
            record.module_path, record.reachable = module.module_path, module.reachable
            record.id_namespace = namespace
        if res.problem is not None:
            report.errors.append(asdict(res.problem))
            record.problem = res.problem.message
        items, hashes = [], []
        if res.parsed is not None:
            parsed = res.parsed
            finalize(parsed, record.module_path or _fallback_module(res.path))
            if namespace and namespace != record.module_path:
                _rehash_ids(parsed.items, namespace, record.module_path)
            record.line_count, record.parse_errors = parsed.line_count, parsed.error_count
            record.mod_decls = json.dumps([asdict(d) for d in parsed.mod_decls])
            items, hashes = parsed.items, res.item_hashes or []
            report.files_parsed += 1
            report.lines_parsed += parsed.line_count
        _, skipped = files_db.replace_file(self.store, record, items, hashes)
        if skipped:
            log.warning("%s: %d items share an id with items elsewhere; kept the first",
                        res.path, skipped)


def _parse_star(args: tuple) -> FileResult:
    return parse_one(*args)


def _load_decls(text: str) -> list[ModDecl]:
    try:
        return [ModDecl(**d) for d in json.loads(text or "[]")]
    except (TypeError, ValueError):
        return []


def _fallback_module(path: str) -> str:
    return Path(path).stem


def _id_namespaces(modules: dict[str, ws_mod.FileModule]) -> dict[str, str]:
    """NodeIds hash the module path. Two files can map to one module path (cfg-selected
    alternatives like ``#[cfg(unix)] mod sys;`` / ``#[cfg(windows)] #[path = ...] mod sys;``, or
    an orphan file guessed onto a real module's path): the first reachable one, by path, keeps
    the plain namespace, the others are salted with their path so ids never collide."""
    by_module: dict[str, list[str]] = {}
    for path, mod in modules.items():
        by_module.setdefault(mod.module_path, []).append(path)
    out: dict[str, str] = {}
    for module_path, paths in by_module.items():
        paths.sort(key=lambda p: (not modules[p].reachable, p))
        out[paths[0]] = module_path
        for other in paths[1:]:
            out[other] = f"{module_path}@{other}"
    return out


def _rehash_ids(items: Iterable, namespace: str, module_path: str) -> None:
    items = list(items)
    remap: dict[str, str] = {}
    for item in items:
        ns = namespace + item.module_path[len(module_path):]
        new = NodeId.of(ns, item.key).hex()
        remap[item.id] = new
        item.id = new
    for item in items:
        if item.parent is not None:
            item.parent = remap.get(item.parent, item.parent)
