"""Parse layer: NodeIds, stable across edits.

The seed's NodeId is a blake3 hash of the module path plus an element id from a running counter.
A counter renumbers every item after the first insertion, so every edit would change the ids of
unrelated items (and invalidate their edges, vectors and caches). Here the element id is derived
from what identifies an item inside its module: its kind and its name path (``Circle::area``,
``<impl Shape for Circle>::area``), plus an ordinal only among same-named siblings. Editing or
adding one function changes no other id.

The compact form is 128 bits: the first 64 bits of the namespace hash, then the 64-bit element
id. ``NodeId`` keeps exactly those two numbers, so ``from_compact(to_compact(x)) == x`` holds
exactly; the full 32-byte namespace hash is recomputed from the module path when wanted.
"""

from __future__ import annotations

from dataclasses import dataclass

import blake3


def _h64(data: str) -> int:
    return int.from_bytes(blake3.blake3(data.encode("utf-8")).digest(8), "big")


def element_key(kind: str, name_path: str, ordinal: int = 0) -> str:
    """What identifies an element inside its module. ``ordinal`` counts earlier same-key siblings
    (two ``impl Foo`` blocks, two ``macro_rules! m`` definitions) so they stay distinct."""
    return f"{kind}:{name_path}" if ordinal == 0 else f"{kind}:{name_path}#{ordinal}"


@dataclass(frozen=True, slots=True, order=True)
class NodeId:
    namespace: int  # first 64 bits of blake3(module path)
    element: int  # 64 bits of blake3(element key)

    @classmethod
    def of(cls, module_path: str, key: str) -> "NodeId":
        return cls(_h64(module_path), _h64(key))

    def to_compact(self) -> int:
        return (self.namespace << 64) | self.element

    @classmethod
    def from_compact(cls, compact: int) -> "NodeId":
        if not 0 <= compact < (1 << 128):
            raise ValueError(f"compact NodeId out of range: {compact}")
        return cls(compact >> 64, compact & ((1 << 64) - 1))

    def hex(self) -> str:
        """32 hex digits: the ``id`` printed by ``rrag items``."""
        return f"{self.to_compact():032x}"

    @classmethod
    def from_hex(cls, text: str) -> "NodeId":
        if len(text) != 32:
            raise ValueError(f"a NodeId has 32 hex digits, got {text!r}")
        return cls.from_compact(int(text, 16))

    def __str__(self) -> str:
        return self.hex()
