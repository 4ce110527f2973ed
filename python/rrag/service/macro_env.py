"""Service layer: which ``macro_rules!`` each crate defines, for expansion in the parse workers.

Every file of a crate may invoke a macro another of its files defines (``#[macro_use] mod``,
``#[macro_export]``, a parent module's macro). Before a run parses anything, this gathers per
crate name -> definition text: stored definitions for files the run does not re-read, a text
scan (``rrag.parse.macro_rules``) of the files it does. A crate whose table differs from the
stored one gets all its files re-parsed, since any of them may expand differently; macro
definitions change rarely, so that costs little and keeps an edit's re-index equal to a clean
index. Scoping is approximate: the crate's first definition of a name in path order
(a same-file definition always wins, in the parse).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..parse.macro_rules import scan_macro_definitions
from ..store import Store
from ..store.macros import macro_definitions


def _read(root: Path, rel: str, max_bytes: int) -> bytes:
    try:
        fd = os.open(root / rel, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return b""
    try:
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(max_bytes) if os.path.isfile(root / rel) else b""
    except OSError:
        return b""
    finally:
        os.close(fd)


def stored_macros(store: Store) -> list[tuple[str, str, str]]:
    """Read before a run deletes removed files, so their macros count as changed."""
    return macro_definitions(store)


def crate_macros(stored: list[tuple[str, str, str]], root: Path, crate_of: dict[str, str],
                 reading: set[str], max_bytes: int
                 ) -> tuple[dict[str, dict[str, str]], set[str]]:
    """(crate -> {macro name -> definition text}, crates whose table changed)."""
    old: dict[str, dict[str, str]] = {}
    found: list[tuple[str, str, str, str]] = []  # (path, crate, name, text) of this run
    for path, crate, text in stored:
        for name, definition in scan_macro_definitions(text.encode("utf-8")).items():
            old.setdefault(crate, {}).setdefault(name, definition)
            if path in crate_of and path not in reading:
                found.append((path, crate_of[path], name, definition))
    for path in reading:
        if path in crate_of:
            for name, definition in scan_macro_definitions(
                    _read(root, path, max_bytes)).items():
                found.append((path, crate_of[path], name, definition))
    new: dict[str, dict[str, str]] = {}
    for _path, crate, name, definition in sorted(found, key=lambda f: f[0]):
        new.setdefault(crate, {}).setdefault(name, definition)
    # Order-independent comparison: the stored rows come by path, the scans after them.
    changed = {c for c in set(old) | set(new) if old.get(c, {}) != new.get(c, {})}
    return new, changed
