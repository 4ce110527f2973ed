"""LLM layer: what a GGUF file says about its model, read from its header without llama.cpp.

A GGUF file starts with ``GGUF``, a version, the tensor and key counts, then typed key/value
pairs (architecture, context length, chat template, file type...) and one record per tensor
(name, shape, type, offset). ``read_gguf`` maps the file and walks those records with
``struct`` only: no tensor data is read, so a 40 GB model costs the same few milliseconds as a
small one. Large arrays (the vocabulary) are skipped, not decoded. The parameter count is the sum
of the tensor shapes; the quantisation is ``general.file_type`` named as llama.cpp names it.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"GGUF"
# Value types: (struct format, size) for the fixed-size ones; 8 is a string, 9 an array.
_FIXED = {0: ("<B", 1), 1: ("<b", 1), 2: ("<H", 2), 3: ("<h", 2), 4: ("<I", 4), 5: ("<i", 4),
          6: ("<f", 4), 7: ("<?", 1), 10: ("<Q", 8), 11: ("<q", 8), 12: ("<d", 8)}
STRING, ARRAY = 8, 9
SHORT_ARRAY = 64  # arrays up to this length are decoded; longer ones only skipped

# llama.cpp's LLAMA_FTYPE names (general.file_type).
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
              10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
              16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
              22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
              28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
              37: "TQ2_0", 38: "MXFP4_MOE"}
# Architectures that only embed (or only encode images): never offered as chat models.
NOT_CHAT = frozenset({"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3",
                      "neo-bert", "modern-bert", "t5encoder", "clip", "wavtokenizer-dec"})


class GgufError(ValueError):
    """Not a GGUF file, or a header cut short."""


@dataclass(frozen=True)
class GgufInfo:
    architecture: str
    name: str  # general.name, else ""
    parameters: int  # the sum of the tensor shapes
    size_label: str  # general.size_label ("7B"), else derived from ``parameters``
    quantisation: str  # "Q4_K_M", ... or "" when the file does not say
    context_length: int  # the trained context, 0 when unknown
    chat_template: bool  # tokenizer.chat_template is present
    metadata: dict[str, Any]  # every scalar and short array

    @property
    def chat(self) -> bool:
        """A generative model (not an embedding or vision encoder)."""
        return self.architecture not in NOT_CHAT and \
            self.metadata.get("general.type", "model") not in ("mmproj", "adapter")

    def meta(self, key: str, default: Any = 0) -> Any:
        """An architecture key (``block_count``, ``attention.head_count``...) or a full key."""
        return self.metadata.get(f"{self.architecture}.{key}", self.metadata.get(key, default))


class _Cursor:
    def __init__(self, buf: Any) -> None:
        self.buf, self.pos = buf, 0

    def fixed(self, kind: int) -> Any:
        fmt, size = _FIXED[kind]
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        n = self.fixed(10)
        raw = self.buf[self.pos:self.pos + n]
        if len(raw) != n:
            raise GgufError("a string runs past the end of the file")
        self.pos += n
        return bytes(raw).decode("utf-8", "replace")

    def value(self, kind: int) -> Any:
        if kind == STRING:
            return self.string()
        if kind == ARRAY:
            item, count = self.fixed(4), self.fixed(10)
            if count <= SHORT_ARRAY:
                return [self.value(item) for _ in range(count)]
            self.skip(item, count)
            return None
        if kind not in _FIXED:
            raise GgufError(f"unknown value type {kind}")
        return self.fixed(kind)

    def skip(self, kind: int, count: int) -> None:
        if kind in _FIXED:
            self.pos += _FIXED[kind][1] * count
        elif kind == STRING:
            for _ in range(count):
                self.pos += 8 + struct.unpack_from("<Q", self.buf, self.pos)[0]
        else:
            for _ in range(count):
                self.value(kind)


def _label(parameters: int) -> str:
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if parameters >= scale:
            return f"{parameters / scale:.3g}{unit}"
    return str(parameters)


def read_gguf(path: Path) -> GgufInfo:
    """The model a GGUF file holds; GgufError when it is not one, OSError when unreadable."""
    with open(path, "rb") as fh:
        if fh.read(4) != MAGIC:
            raise GgufError("not a GGUF file (wrong magic bytes)")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            try:
                return _parse(_Cursor(buf))
            except (struct.error, IndexError) as exc:
                raise GgufError(f"the GGUF header is cut short: {exc}") from None


def _parse(cur: _Cursor) -> GgufInfo:
    cur.pos = 4
    version = cur.fixed(4)
    if version < 2:
        raise GgufError(f"GGUF version {version} is too old")
    tensors, keys = cur.fixed(10), cur.fixed(10)
    meta: dict[str, Any] = {}
    for _ in range(keys):
        key = cur.string()
        value = cur.value(cur.fixed(4))
        if value is not None:
            meta[key] = value
    parameters = 0
    for _ in range(tensors):
        cur.string()
        dims = [cur.fixed(10) for _ in range(cur.fixed(4))]
        cur.pos += 12  # type (u32) and offset (u64)
        count = 1
        for d in dims:
            count *= d
        parameters += count
    arch = str(meta.get("general.architecture", ""))
    file_type = meta.get("general.file_type")
    return GgufInfo(
        architecture=arch, name=str(meta.get("general.name", "")), parameters=parameters,
        size_label=str(meta.get("general.size_label") or _label(parameters)),
        quantisation=FILE_TYPES.get(file_type, f"type {file_type}") if file_type is not None
        else "", context_length=int(meta.get(f"{arch}.context_length", 0) or 0),
        chat_template="tokenizer.chat_template" in meta, metadata=meta)
