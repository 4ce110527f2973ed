"""Store layer: the reads the ranker needs — edge neighbourhoods, reference counts, file times.

Kept apart from ``edges.py`` (the graph issue's queries) so the ranking code's SQL lives in one
place. Every query is bounded by the ids it is given and uses the ``edges_source`` /
``edges_target`` indexes, so a request costs what it touches, not the size of the index.
"""

from __future__ import annotations

from typing import Sequence

from .db import Store

Edge = tuple[str, str, str]  # (source, target, kind), both ends indexed items


def _chunks(ids: Sequence[str], size: int = 400) -> list[list[str]]:
    ids = list(dict.fromkeys(ids))
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def edges_around(store: Store, ids: Sequence[str], kinds: Sequence[str]) -> list[Edge]:
    """Distinct resolved edges with either end in ``ids`` and a kind in ``kinds``."""
    out: set[Edge] = set()
    kind_marks = ", ".join("?" * len(kinds))
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        for column in ("source", "target"):
            out.update(store.execute(
                f"SELECT DISTINCT source, target, kind FROM edges WHERE {column} IN ({marks}) "
                f"AND target IS NOT NULL AND kind IN ({kind_marks})", [*chunk, *kinds]))
    return sorted(out)


def reference_counts(store: Store, ids: Sequence[str]) -> dict[str, int]:
    """How many distinct items refer to each id (structure edges left out): usage."""
    out: dict[str, int] = {}
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        out.update(store.execute(
            f"SELECT target, count(DISTINCT source) FROM edges WHERE target IN ({marks}) "
            "AND kind NOT IN ('contains', 'depends') GROUP BY target", chunk))
    return out


def file_mtimes(store: Store, paths: Sequence[str]) -> dict[str, int]:
    """path -> modification time (ns) recorded by the last index run."""
    out: dict[str, int] = {}
    for chunk in _chunks(paths):
        marks = ", ".join("?" * len(chunk))
        out.update(store.execute(f"SELECT path, mtime_ns FROM files WHERE path IN ({marks})",
                                 chunk))
    return out


def newest_mtime(store: Store) -> int:
    return int(store.one("SELECT max(mtime_ns) FROM files") or 0)


def types_named(store: Store, name: str, crate: str, module_path: str = "") -> list[str]:
    """Ids of structs, enums, unions, traits and type aliases called ``name`` in ``crate``
    (an impl's self type, which the graph records by name only); the ones in ``module_path``
    when there are any there."""
    rows = list(store.execute(
        "SELECT i.id, i.module_path FROM items i JOIN files f ON f.id = i.file_id WHERE "
        "i.name = ? AND f.crate = ? AND i.kind IN ('struct', 'enum', 'union', 'trait', 'type')",
        (name, crate)))
    local = [r[0] for r in rows if r[1] == module_path]
    return local or [r[0] for r in rows]


def inactive_ids(store: Store, ids: Sequence[str]) -> set[str]:
    """The ids among ``ids`` of items this host does not compile (``items.active = 0``)."""
    out: set[str] = set()
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        out.update(r[0] for r in store.execute(
            f"SELECT id FROM items WHERE active = 0 AND id IN ({marks})", tuple(chunk)))
    return out


def file_item_ids(store: Store, path: str) -> list[tuple[str, str, int, int]]:
    """(id, kind, start line, end line) of every item of ``path``."""
    return list(store.execute(
        "SELECT i.id, i.kind, i.start_line, i.end_line FROM items i JOIN files f "
        "ON f.id = i.file_id WHERE f.path = ? ORDER BY i.start_byte", (path,)))


def item_kinds(store: Store, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """id -> (kind, path) for the given ids."""
    out: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        for item_id, kind, path in store.execute(
                f"SELECT i.id, i.kind, f.path FROM items i JOIN files f ON f.id = i.file_id "
                f"WHERE i.id IN ({marks})", chunk):
            out[item_id] = (kind, path)
    return out


def methods_of(store: Store, type_names: Sequence[str], crate: str,
               limit: int = 400, foreign: bool = False) -> list[tuple[str, str]]:
    """(method id, self type) of the inherent and trait impls of the named types in ``crate``,
    the most called first (a cut, if any, keeps the likeliest): the graph has no edge from a
    type to its impl blocks, only the impl's self type name. ``foreign``: a dependency's or
    std's type, of which only the inherent methods the workspace can call (public, not hidden,
    not unstable), the ones the workspace calls first; its trait methods come with the trait."""
    if not type_names:
        return []
    marks = ", ".join("?" * len(type_names))
    callable_here = ("AND p.trait_name = '' AND m.visibility = 'pub' AND m.attrs NOT LIKE "
                     "'%unstable(%' AND m.attrs NOT LIKE '%doc(hidden)%' " if foreign else "")
    by_workspace = ("(SELECT count(*) FROM edges e WHERE e.target = m.id AND e.kind = 'calls' "
                    "AND e.path NOT LIKE '<dep>/%') DESC, " if foreign else "")
    return list(store.execute(
        "SELECT m.id, p.self_type FROM items p JOIN files f ON f.id = p.file_id "
        "JOIN items m ON m.parent = p.id WHERE p.kind = 'impl' AND f.crate = ? AND "
        f"p.self_type IN ({marks}) AND m.kind = 'method' {callable_here}ORDER BY {by_workspace}"
        "(SELECT count(*) FROM edges e WHERE e.target = m.id AND e.kind = 'calls') DESC, "
        "m.start_byte LIMIT ?",
        [crate, *type_names, limit]))


def members_of(store: Store, ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """parent id -> (name, signature) of its methods in source order: a trait's API."""
    out: dict[str, list[tuple[str, str]]] = {}
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        for parent, name, signature in store.execute(
                f"SELECT parent, name, signature FROM items WHERE parent IN ({marks}) AND "
                "kind = 'method' ORDER BY parent, start_byte", chunk):
            out.setdefault(parent, []).append((name, signature))
    return out


def trait_lines(store: Store, method_ids: Sequence[str]) -> dict[str, str]:
    """method id -> ``signature (path:line)`` of the trait its impl implements, for methods of
    trait impls whose trait is in the index (same crate first)."""
    wanted: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(method_ids):
        marks = ", ".join("?" * len(chunk))
        for item_id, trait, crate in store.execute(
                f"SELECT m.id, m.trait_name, f.crate FROM items m JOIN files f ON f.id = m.file_id "
                f"WHERE m.id IN ({marks}) AND m.trait_name != '' AND m.kind = 'method'", chunk):
            wanted[item_id] = (trait.split("<")[0].split("::")[-1].strip(), crate)
    names = sorted({n for n, _ in wanted.values()})
    found: dict[str, list[tuple[str, str]]] = {}
    for chunk in _chunks(names):
        marks = ", ".join("?" * len(chunk))
        for name, crate, sig, path, line in store.execute(
                "SELECT i.name, f.crate, i.signature, coalesce(f.dep_path, f.path), i.start_line "
                f"FROM items i JOIN files f ON f.id = i.file_id WHERE i.kind = 'trait' AND "
                f"i.name IN ({marks})", chunk):
            found.setdefault(name, []).append((crate, f"{sig} ({path}:{line})"))
    out = {}
    for item_id, (name, crate) in wanted.items():
        options = sorted(found.get(name, []), key=lambda o: o[0] != crate)
        if options:
            out[item_id] = options[0][1]
    return out


def file_text(store: Store, path: str) -> str:
    """The indexed source of ``path`` (empty when unknown)."""
    blob = store.one("SELECT source FROM files WHERE path = ?", (path,))
    return bytes(blob or b"").decode("utf-8", "replace")
