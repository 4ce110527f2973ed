"""Embed layer: BERT weights from a sentence-transformers folder, laid out for numpy.

Reads ``model.safetensors`` without the safetensors package (the format is an 8-byte length, a
JSON header and raw little-endian arrays) and ``config.json``, then prepares what the forward
pass in ``bert_numpy`` wants: the three attention projections fused into one matrix (one large
matmul instead of three small ones), the query part pre-scaled by 1/sqrt(head_dim) (saves a pass
over every attention score matrix), and every matrix transposed to (in, out) and contiguous.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError

_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a float32 (or int64) array."""
    try:
        with path.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(size))
        raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    except (OSError, ValueError, struct.error) as exc:
        raise ModelError(f"cannot read the model weights {path}: {exc}",
                         "delete the folder; rrag unpacks the model again") from exc
    tensors: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ModelError(f"{path}: tensor {name} has unsupported dtype {meta['dtype']}")
        begin, end = meta["data_offsets"]
        array = np.frombuffer(raw[begin:end], dtype=dtype).reshape(meta["shape"])
        if meta["dtype"] == "BF16":  # bfloat16 is the top half of a float32
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array
    return tensors


@dataclass(frozen=True)
class BertConfig:
    hidden: int
    heads: int
    layers: int
    intermediate: int
    max_positions: int
    eps: float

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


@dataclass(frozen=True)
class BertLayer:
    qkv: np.ndarray  # (hidden, 3*hidden); query columns pre-scaled
    qkv_bias: np.ndarray
    out: np.ndarray  # (hidden, hidden)
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray  # (hidden, intermediate)
    up_bias: np.ndarray
    down: np.ndarray  # (intermediate, hidden)
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class BertWeights:
    config: BertConfig
    word: np.ndarray  # (vocab, hidden)
    position: np.ndarray  # (max_positions, hidden), token type 0 already added
    norm: tuple[np.ndarray, np.ndarray]
    layers: tuple[BertLayer, ...]


def read_config(folder: Path) -> BertConfig:
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return BertConfig(hidden=int(cfg["hidden_size"]), heads=int(cfg["num_attention_heads"]),
                          layers=int(cfg["num_hidden_layers"]),
                          intermediate=int(cfg["intermediate_size"]),
                          max_positions=int(cfg["max_position_embeddings"]),
                          eps=float(cfg.get("layer_norm_eps", 1e-12)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read the model configuration in {folder}: {exc}",
                         "delete the folder; rrag unpacks the model again") from exc


def load_bert(folder: Path) -> BertWeights:
    """The weights of a BERT encoder saved by transformers (``BertModel`` names)."""
    config = read_config(folder)
    raw = read_safetensors(folder / "model.safetensors")
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in raw else ""

    def get(name: str) -> np.ndarray:
        try:
            return np.ascontiguousarray(raw[prefix + name], dtype=np.float32)
        except KeyError:
            raise ModelError(f"{folder}: the weights lack {prefix + name}; is this a BERT model?",
                             "use all-MiniLM-L6-v2 or a GGUF embedding model") from None

    def pair(name: str) -> tuple[np.ndarray, np.ndarray]:
        return get(f"{name}.weight"), get(f"{name}.bias")

    scale = np.float32(1.0 / np.sqrt(config.head_dim))
    layers = []
    for i in range(config.layers):
        p = f"encoder.layer.{i}."
        q, k, v = (pair(f"{p}attention.self.{n}") for n in ("query", "key", "value"))
        layers.append(BertLayer(
            qkv=np.ascontiguousarray(np.concatenate([q[0] * scale, k[0], v[0]]).T),
            qkv_bias=np.concatenate([q[1] * scale, k[1], v[1]]),
            out=np.ascontiguousarray(get(f"{p}attention.output.dense.weight").T),
            out_bias=get(f"{p}attention.output.dense.bias"),
            norm1=pair(f"{p}attention.output.LayerNorm"),
            up=np.ascontiguousarray(get(f"{p}intermediate.dense.weight").T),
            up_bias=get(f"{p}intermediate.dense.bias"),
            down=np.ascontiguousarray(get(f"{p}output.dense.weight").T),
            down_bias=get(f"{p}output.dense.bias"),
            norm2=pair(f"{p}output.LayerNorm")))
    position = get("embeddings.position_embeddings.weight") + get(
        "embeddings.token_type_embeddings.weight")[0]
    return BertWeights(config=config, word=get("embeddings.word_embeddings.weight"),
                       position=np.ascontiguousarray(position, dtype=np.float32),
                       norm=pair("embeddings.LayerNorm"), layers=tuple(layers))
