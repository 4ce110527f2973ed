"""Service layer: grounding of answers — the name table kept per index generation, std's names
cached per machine, and the cursor's scope.

``Grounder.ground(text, path, line)`` is what ask, explain, generate, refactor and
``rrag ground`` call. The table (rrag.graph.name_table) is rebuilt only when the index changed
(``store.names.generation``); std's names are read once per machine from the toolchain's
rustdoc (``<sysroot>/share/doc/rust/html``, rustup's ``rust-docs``) into
``$XDG_CACHE_HOME/rrag/std/``. Without them std's indexed sources (service.std_index) are
checked instead; when those are another release than the compiler's, a name missing there is
"not found in std 1.63" (unverified); with neither, std's names are left unchecked, never
called wrong.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Callable

import blake3

from ..graph.grounding import Outcome, ground
from ..graph.name_table import NameTable
from ..parse.answer_names import answer_names
from ..parse.answer_text import params_of
from ..parse.std_docs import StdNames, docs_version, read_std_docs
from ..paths import cache_home, private_dir
from ..store import Store
from ..store import items as items_db
from ..store import names as names_db
from .std_index import toolchain

_STD_LOCK = threading.Lock()
_STD: dict[str, StdNames | None] = {}


def rustdoc_root() -> Path | None:
    """The toolchain's std documentation folder, if installed (``RRAG_STD_DOCS`` overrides)."""
    explicit = os.environ.get("RRAG_STD_DOCS")
    if explicit is not None:
        return Path(explicit) if explicit else None
    rustc = shutil.which("rustc")
    if rustc is None:
        return None
    try:
        sysroot = subprocess.run([rustc, "--print", "sysroot"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    html = Path(sysroot) / "share" / "doc" / "rust" / "html"
    return html if (html / "std" / "index.html").is_file() else None


def std_names() -> StdNames | None:
    """std's names at the toolchain's version, read once per machine (then from the cache)."""
    with _STD_LOCK:
        root = rustdoc_root()
        key = str(root)
        if key in _STD:
            return _STD[key]
        names = None if root is None else _cached(root)
        _STD[key] = names
        return names


def _cached(root: Path) -> StdNames | None:
    digest = blake3.blake3(str(root.resolve()).encode()).hexdigest()[:12]
    cache = private_dir(cache_home() / "std") / f"names-{docs_version(root)}-{digest}.json"
    try:
        return StdNames.from_json(json.loads(cache.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        pass
    names = read_std_docs(root)
    if names is not None:
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(names.to_json()), encoding="utf-8")
        os.replace(partial, cache)
    return names


class Grounder:
    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._table: NameTable | None = None
        self._generation: tuple | None = None
        self._lock = threading.Lock()

    def table(self) -> NameTable:
        store = self._store()
        with self._lock:
            generation = names_db.generation(store)
            if self._table is None or generation != self._generation:
                rows = names_db.name_rows(store)
                # The compiler's release matters only next to std's indexed sources.
                std_rows = any(r.crate in names_db.STD_CRATES and r.version for r in rows)
                self._table = NameTable(rows, std_names(),
                                        lambda item_id: names_db.definition_text(store, item_id),
                                        toolchain()[1] if std_rows else "")
                self._generation = generation
            return self._table

    def ground(self, text: str, path: str | None = None, line: int | None = None) -> Outcome:
        """Every Rust name ``text`` uses, checked; ``path``:``line`` gives the cursor's scope
        (``self``'s type, the enclosing function's parameters)."""
        self_type, known = "", dict[str, str]()
        if path and line:
            rows = [r for r in items_db.items_at(self._store(), path, line)
                    if r.kind in ("function", "method", "impl")]
            for row in rows:
                if row.kind != "impl" and not known:
                    known = params_of(row.signature)
                self_type = self_type or row.self_type
        return ground(answer_names(text, known), self.table(), self_type)

    def nearest_items(self, names: list[str]) -> list[dict]:
        """Where the nearest real items of a missing name are (the editors jump there): the
        contract's item shape, for the names the index holds (std's have no source here)."""
        table = self.table()
        ids = []
        for name in names:
            owner, _, member = name.rpartition("::")
            rows = table.members.get(owner, {}).get(member, []) if owner else \
                table.by_name.get(member, [])
            ids += [r.id for r in rows[:1]]
        found = {row.id: row for row in items_db.get_items(self._store(), ids)} if ids else {}
        return [found[i].brief() for i in ids if i in found]  # nearest first
