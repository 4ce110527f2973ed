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
import stat
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from ..config import IndexConfig
from ..parse import workspace as ws_mod
from ..parse.cfg_eval import Evaluator
from ..parse.cfg_filter import mark_active
from ..parse.model import ModDecl
from ..parse.prescan import scan_mod_decls
from ..parse.rust import finalize
from ..parse.task import FileResult, parse_one, parse_version
from ..store import Store
from ..store import files as files_db
from ..store import items as items_db
from ..store import edges as edges_db
from ..graph import build
from . import macro_env, parse_pool
from .dep_resolve import host
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
    embedding: dict | None = None  # the embedding run's report, when vectors were built
    dependencies: dict | None = None  # locked dependencies imported (service.deps)

    def to_json(self) -> dict:
        return asdict(self)


def _workers(cfg: IndexConfig) -> int:
    return cfg.workers if cfg.workers > 0 else max(1, os.cpu_count() or 1)


class StructuralIndexer:
    doc_tests = True  # parse doc comments' code blocks (calls and `tests` edges from them)

    def __init__(self, root: Path, store: Store, cfg: IndexConfig,
                 progress: ProgressFn = no_progress) -> None:
        self.root = root.resolve()
        self.store = store
        self.cfg = cfg
        self.progress = progress
        self.max_bytes = cfg.max_file_kb * 1024
        self._changed_crates: set[str] = set()
        self._macros: dict[str, dict[str, str]] = {}  # crate -> macro name -> definition
        self._crate_of: dict[str, str] = {}
        # (features unknown: the workspace is indexed before cargo is asked; gates count active)
        self.ev = Evaluator(host().env)
        self.workspace: ws_mod.Workspace | None = None

    def run(self) -> IndexReport:
        with self.store.bulk_writes(), parse_pool.fewer_collections():
            if self.store.bulk is None:
                return self._run()
            # A first index into a file nobody else reads (store.bulk): one commit, not one
            # per file; a kill loses the file, which was never in place.
            with self.store.transaction():
                return self._run()

    def _run(self) -> IndexReport:
        started = time.monotonic()
        report = IndexReport()
        workspace = ws_mod.discover(self.root, self.cfg.exclude, self.cfg.follow_outside_links)
        self.workspace = workspace  # the engine's freshness check keeps what the scan saw
        report.errors += [asdict(p) for p in workspace.problems]
        current = ws_mod.rust_files(workspace)
        states = files_db.file_states(self.store)
        stored_macros = macro_env.stored_macros(self.store) if states else []
        report.files_removed = files_db.delete_files(self.store, sorted(set(states) - set(current)))
        if self.store.meta("parse_version") != (version := parse_version()):
            states = {}  # built by another parser version: everything is parsed again

        to_read = self._changed_by_stat(current, states)
        reading = set(to_read)
        # The module tree as best known before parsing: stored declarations of files we will
        # not re-read, a line scan of the others (see rrag.parse.prescan).
        guessed = {p: _load_decls(states[p].mod_decls) for p in current
                   if p in states and p not in reading}
        for rel in to_read:
            guessed[rel] = self._prescan(rel)
        modules = ws_mod.assign_modules(workspace, self._usable_decls(guessed), current)
        dropped = self._dropped_files(modules)
        if dropped:
            current = [p for p in current if p not in dropped]
            to_read = [p for p in to_read if p not in dropped]
            reading = set(to_read)
            modules = {p: m for p, m in modules.items() if p not in dropped}
        namespaces = _id_namespaces(modules)
        # Unchanged bytes, new place in the module tree: re-parse for new names and ids.
        moved = [p for p in current if p in states and p not in reading
                 and states[p].problem is None and _placement(states[p]) != (
                     modules[p].module_path, namespaces[p])]

        # Macros of each crate for expansion; a crate whose definitions changed is re-parsed.
        self._crate_of = {p: m.crate for p, m in modules.items()}
        self._macros, macros_changed = macro_env.crate_macros(
            stored_macros, self.root, self._crate_of, reading, self.max_bytes)
        forced = {p for p in current if p in states and p not in reading and p not in moved
                  and self._crate_of.get(p) in macros_changed}
        kept: dict[str, FileResult] = {}
        touched: list[tuple[str, int, int]] = []
        work = to_read + moved + sorted(forced)
        parse_states = {p: s for p, s in states.items() if p not in forced}
        for done, res in enumerate(self._parse_stream(work, parse_states), 1):
            if res.unchanged:
                touched.append((res.path, res.mtime_ns, res.size))
            else:
                if res.parsed is not None:
                    res.parsed.mod_decls = _merge_decls(res.parsed.mod_decls,
                                                        guessed.get(res.path, []))
                self._write(res, modules.get(res.path), namespaces.get(res.path, ""), report)
                if res.parsed is not None:
                    kept[res.path] = res
            self.progress("indexing", done, len(work))
        files_db.touch_files(self.store, touched)
        report.files_unchanged = len(current) - len(work) + len(touched)
        self._correct_guess(workspace, current, states, kept, modules, namespaces, report)
        if self.store.meta("parse_version") != version:
            self.store.set_meta("parse_version", version)
        removed_crates = {states[p].crate for p in set(states) - set(current)}
        full = not edges_db.has_edges(self.store) or not states
        if full or self._changed_crates or removed_crates:
            # Stored references only, of the changed crates and their users (none: skipped).
            self.progress("graph", 0, 1)
            build.rebuild(self.store, workspace,
                          None if full else self._changed_crates | removed_crates)
            self.progress("graph", 1, 1)
        report.edges = edges_db.edge_count(self.store)
        report.items = items_db.item_count(self.store)
        report.seconds = round(time.monotonic() - started, 3)
        return report

    def _usable_decls(self, decls: dict[str, list[ModDecl]]) -> dict[str, list[ModDecl]]:
        return decls  # all: the workspace follows every `mod` (see dep_cache for others)

    def _dropped_files(self, modules: dict[str, ws_mod.FileModule]) -> set[str]:
        return set()  # none: the workspace indexes every file (see dep_cache for others)

    def _prescan(self, rel: str) -> list[ModDecl]:
        try:
            # O_NONBLOCK: a FIFO named .rs must not block the index (the parse step reports it).
            fd = os.open(self.root / rel, os.O_RDONLY | os.O_NONBLOCK)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    return []
                with os.fdopen(fd, "rb", closefd=False) as fh:
                    return scan_mod_decls(fh.read(self.max_bytes))
            finally:
                os.close(fd)
        except OSError:
            return []

    def _correct_guess(self, workspace: ws_mod.Workspace, current: list[str], states: dict,
                       kept: dict[str, FileResult], modules: dict, namespaces: dict,
                       report: IndexReport) -> None:
        """Rebuild the module tree from the declarations tree-sitter found and rewrite the
        files whose guessed place was wrong."""
        real_decls = {p: (kept[p].parsed.mod_decls if p in kept  # type: ignore[union-attr]
                          else _load_decls(states[p].mod_decls) if p in states else [])
                      for p in current}
        real = ws_mod.assign_modules(workspace, self._usable_decls(real_decls), current)
        real_ns = _id_namespaces(real)
        reparse: list[str] = []
        for path in current:
            want = (real[path].module_path, real_ns[path], real[path].reachable)
            if path in kept:
                if want != (modules[path].module_path, namespaces[path], modules[path].reachable):
                    report.files_parsed -= 1  # counted again by the rewrite
                    report.lines_parsed -= kept[path].parsed.line_count  # type: ignore[union-attr]
                    self._write(kept[path], real[path], real_ns[path], report, quiet=True)
            elif path in states and states[path].problem is None and \
                    (*_placement(states[path]), states[path].reachable) != want:
                reparse.append(path)
        for res in self._parse_stream(reparse, {}):
            self._write(res, real.get(res.path), real_ns.get(res.path, ""), report)

    def _changed_by_stat(self, current: list[str], states: dict) -> list[str]:
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
        return to_read

    def _parse_stream(self, paths: list[str], states: dict) -> Iterator[FileResult]:
        """Parse results in ``paths`` order, as they arrive, so the writer works while the
        parse processes do."""
        if not paths:
            return
        known = {p: (states[p].hash if p in states and states[p].problem is None else "")
                 for p in paths}
        args = [(str(self.root), p, known[p], self.max_bytes,
                 self._macros.get(self._crate_of.get(p, "")) or None, self.doc_tests)
                for p in paths]
        workers = _workers(self.cfg)
        if len(paths) < POOL_THRESHOLD or workers == 1:
            for a in args:
                yield parse_one(*a)
            return
        yield from parse_pool.parse_in_processes(args, workers)

    def _write(self, res: FileResult, module: ws_mod.FileModule | None, namespace: str,
               report: IndexReport, quiet: bool = False) -> None:
        record = files_db.FileRecord(path=res.path, hash=res.hash, mtime_ns=res.mtime_ns,
                                     size=res.size, source=res.source)
        if module is not None:
            record.package, record.crate = module.package, module.crate
            record.module_path, record.reachable = module.module_path, module.reachable
            record.id_namespace = namespace
        if res.problem is not None and not quiet:
            report.errors.append(asdict(res.problem))
            record.problem = res.problem.message
        items, hashes, lexical = [], [], None
        if res.parsed is not None:
            parsed = res.parsed
            mark_active(res, self.ev)
            finalize(parsed, record.module_path or _fallback_module(res.path), namespace or None)
            record.line_count, record.parse_errors = parsed.line_count, parsed.error_count
            record.mod_decls = json.dumps([asdict(d) for d in parsed.mod_decls])
            items, hashes, lexical = parsed.items, res.item_hashes or [], res.lexical_rows
            report.files_parsed += 1
            report.lines_parsed += parsed.line_count
        refs = None
        if res.parsed is not None:
            refs = [(r[0], items[r[1]].id, *r[2:]) for r in res.parsed.refs]
        self._changed_crates.add(record.crate)
        _, skipped = files_db.replace_file(self.store, record, items, hashes, lexical, refs)
        if skipped:
            log.warning("%s: %d items share an id with items elsewhere; kept the first",
                        res.path, skipped)


def _merge_decls(parsed: list[ModDecl], scanned: list[ModDecl]) -> list[ModDecl]:
    """tree-sitter's declarations plus the ``mod x;`` lines it saw only as macro tokens:
    ``cfg_if! { if #[cfg(unix)] { mod unix; } }`` declares real modules of the crate."""
    seen = {(d.module_rel, d.name) for d in parsed}
    return parsed + [d for d in scanned if (d.module_rel, d.name) not in seen]


def _placement(state: files_db.FileState) -> tuple[str, str]:
    return state.module_path, state.id_namespace


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
