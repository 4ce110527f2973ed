"""Store layer: reading items (chunks) back out of the index.

Rows come back as ``ItemRow`` dataclasses with the file path joined in, which is what the CLI,
the graph and the context packer need. Lookups by id, by qualified name or unambiguous suffix,
by file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .db import Store


@dataclass(slots=True)
class ItemRow:
    id: str
    path: str
    kind: str
    name: str
    qualname: str
    module_path: str
    parent: str | None
    start_line: int
    end_line: int
    start_byte: int = 0
    end_byte: int = 0
    signature: str = ""
    docs: str = ""
    visibility: str = ""
    crate: str = ""
    self_type: str = ""
    trait_name: str = ""
    attrs: list[str] = field(default_factory=list)
    derives: list[str] = field(default_factory=list)
    cfg: list[str] = field(default_factory=list)
    content: str | None = None

    def brief(self) -> dict:
        """The item shape of the CLI contract."""
        return {"id": self.id, "path": self.path, "name": self.qualname, "kind": self.kind,
                "start_line": self.start_line, "end_line": self.end_line, "parent": self.parent}


_SELECT = ("SELECT i.id, f.path, i.kind, i.name, i.qualname, i.module_path, i.parent, "
           "i.start_line, i.end_line, i.start_byte, i.end_byte, i.signature, i.docs, "
           "i.visibility, f.crate, i.self_type, i.trait_name, i.attrs, i.derives, i.cfg")


def _rows(store: Store, where: str, params: tuple, with_content: bool = False,
          order: str = "f.path, i.start_byte, i.end_byte DESC") -> list[ItemRow]:
    cols = _SELECT + (", substr(f.source, i.start_byte + 1, i.end_byte - i.start_byte)"
                      if with_content else "")
    cur = store.execute(f"{cols} FROM items i JOIN files f ON f.id = i.file_id "
                        f"WHERE {where} ORDER BY {order}", params)
    out = []
    for r in cur:
        out.append(ItemRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                           r[11], r[12], r[13], r[14], r[15], r[16], json.loads(r[17]),
                           json.loads(r[18]), json.loads(r[19]),
                           _text(r[20]) if with_content else None))
    return out


def _text(blob: bytes | None) -> str:
    # Byte offsets come from the raw file; invalid UTF-8 reads back as it was indexed.
    return bytes(blob or b"").decode("utf-8", "replace")


def list_items(store: Store, path: str | None = None) -> list[ItemRow]:
    if path is None:
        return _rows(store, "1", ())
    return _rows(store, "f.path = ?", (path,))


def get_items(store: Store, ids: list[str], with_content: bool = False) -> list[ItemRow]:
    out: list[ItemRow] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out += _rows(store, f"i.id IN ({','.join('?' * len(chunk))})", tuple(chunk), with_content)
    return out


def by_qualname(store: Store, name: str) -> list[ItemRow]:
    """Exact qualified name first; else items whose qualified name ends with ``::name``."""
    exact = _rows(store, "i.qualname = ?", (name,))
    if exact:
        return exact
    pattern = "%::" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return _rows(store, "i.qualname LIKE ? ESCAPE '\\'", (pattern,))


def items_at(store: Store, path: str, line: int) -> list[ItemRow]:
    """Items of ``path`` whose span holds ``line``, innermost first."""
    return _rows(store, "f.path = ? AND i.start_line <= ? AND i.end_line >= ?",
                 (path, line, line), with_content=True,
                 order="(i.end_line - i.start_line), i.start_byte DESC")


def item_count(store: Store) -> int:
    return int(store.one("SELECT count(*) FROM items") or 0)


def kind_counts(store: Store) -> dict[str, int]:
    return {k: n for k, n in store.execute(
        "SELECT kind, count(*) FROM items GROUP BY kind ORDER BY kind")}
