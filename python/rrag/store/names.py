"""Store layer: the name rows grounding checks an answer against (rrag.graph.name_table).

One read of every item's name, owner and crate version (the workspace's and the locked
dependencies'), far cheaper than a query per name of an answer, plus a generation stamp so the
service rebuilds its table only when the index changed. Definitions' text (a struct's fields,
an enum's variants) is read on demand, by id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..parse.std_docs import STD_CRATES
from .db import Store

# Kinds that name a type a path or a receiver can have.
TYPE_KINDS = ("struct", "enum", "union", "trait", "type")




@dataclass(slots=True)
class NameRow:
    id: str
    kind: str
    name: str
    qualname: str
    self_type: str
    trait_name: str
    crate: str
    version: str  # "" for the workspace's own items
    generics: str = ""
    signature: str = ""
    derives: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        """Where the item comes from, as grounding reports it: "regex 1.7.1" or "workspace";
        std's three crates are one release ("std 1.63.0", also for core's and alloc's items)."""
        if not self.version:
            return "workspace"
        return f"std {self.version}" if self.crate in STD_CRATES else \
            f"{self.crate} {self.version}"


def name_rows(store: Store) -> list[NameRow]:
    """Every item except files (a file's name is its path, never a Rust name)."""
    cur = store.execute(
        "SELECT i.id, i.kind, i.name, i.qualname, i.self_type, i.trait_name, f.crate, "
        "coalesce(f.dep_version, ''), i.generics, i.signature, i.derives "
        "FROM items i JOIN files f ON f.id = i.file_id WHERE i.kind != 'file'")
    return [NameRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                    json.loads(r[10]) if r[10] and r[10] != "[]" else [])
            for r in cur]


def generation(store: Store) -> tuple[int, float, int]:
    """Changes whenever an index run or an import changed items: count, newest file stamp and
    the largest item rowid."""
    row = store.execute("SELECT (SELECT count(*) FROM items), "
                        "(SELECT coalesce(max(indexed_at), 0) FROM files), "
                        "(SELECT coalesce(max(rowid), 0) FROM items)").fetchone()
    return int(row[0]), float(row[1]), int(row[2])


def definition_text(store: Store, item_id: str) -> str:
    """The source text of one item (a struct's fields, an enum's variants)."""
    row = store.execute(
        "SELECT substr(f.source, i.start_byte + 1, i.end_byte - i.start_byte) "
        "FROM items i JOIN files f ON f.id = i.file_id WHERE i.id = ?", (item_id,)).fetchone()
    return bytes(row[0] or b"").decode("utf-8", "replace") if row else ""


def crate_names(store: Store) -> dict[str, str]:
    """Every crate in the index -> its locked version ("" for the workspace's crates)."""
    return {crate: version for crate, version in store.execute(
        "SELECT crate, coalesce(max(dep_version), '') FROM files WHERE crate != '' "
        "GROUP BY crate")}
