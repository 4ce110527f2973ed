"""Benchmark/test helper: write all-MiniLM-L6-v2 (a sentence-transformers BERT folder) as GGUF.

llama.cpp's convert_hf_to_gguf.py is not on PyPI, so this writes the file with the ``gguf``
package's GGUFWriter, following that script's BERT conventions: tensor names token_embd,
position_embd, token_types, blk.N.attn_q/k/v/output, ffn_up/down and their norms; the WordPiece
vocabulary with a U+2581 "phantom space" before word-initial tokens and "##" stripped from
continuations; [CLS]/[SEP] as BOS/EOS; mean pooling. Used by the tests (a real GGUF embedding
model made offline, for the llama.cpp path) and by bench/embed_throughput.py (llama.cpp's speed
on the same model). Needs ``gguf`` (a test dependency), never at run time.

    python bench/minilm_to_gguf.py MODEL_DIR OUT.gguf [f32|f16]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from rrag.embed.weights import read_safetensors  # noqa: E402

LAYER_TENSORS = (("attention.self.query", "attn_q"), ("attention.self.key", "attn_k"),
                 ("attention.self.value", "attn_v"), ("attention.output.dense", "attn_output"),
                 ("attention.output.LayerNorm", "attn_output_norm"),
                 ("intermediate.dense", "ffn_up"), ("output.dense", "ffn_down"),
                 ("output.LayerNorm", "layer_output_norm"))


def _phantom(token: str) -> str:
    if token.startswith("[") and token.endswith("]"):
        return token
    if token.startswith("##"):
        return token[2:]
    return "\u2581" + token


def convert(src: Path, dst: Path, ftype: str = "f16") -> Path:
    import gguf

    cfg = json.loads((src / "config.json").read_text())
    vocab = json.loads((src / "tokenizer.json").read_text())["model"]["vocab"]
    tokens = [""] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    w = gguf.GGUFWriter(str(dst), "bert")
    w.add_name(src.name)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_layer_norm_eps(cfg["layer_norm_eps"])
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_file_type(1 if ftype == "f16" else 0)
    w.add_tokenizer_model("bert")
    w.add_tokenizer_pre("default")
    w.add_token_list([_phantom(t) for t in tokens])
    w.add_token_types([gguf.TokenType.CONTROL if t.startswith("[") and t.endswith("]")
                       else gguf.TokenType.NORMAL for t in tokens])
    w.add_token_type_count(cfg["type_vocab_size"])
    w.add_unk_token_id(vocab["[UNK]"])
    w.add_sep_token_id(vocab["[SEP]"])
    w.add_pad_token_id(vocab["[PAD]"])
    w.add_mask_token_id(vocab["[MASK]"])
    w.add_bos_token_id(vocab["[CLS]"])
    w.add_eos_token_id(vocab["[SEP]"])
    w.add_add_bos_token(True)
    w.add_add_eos_token(True)
    names = {"embeddings.word_embeddings.weight": "token_embd.weight",
             "embeddings.position_embeddings.weight": "position_embd.weight",
             "embeddings.token_type_embeddings.weight": "token_types.weight",
             "embeddings.LayerNorm.weight": "token_embd_norm.weight",
             "embeddings.LayerNorm.bias": "token_embd_norm.bias"}
    for i in range(cfg["num_hidden_layers"]):
        for hf, ours in LAYER_TENSORS:
            for part in ("weight", "bias"):
                names[f"encoder.layer.{i}.{hf}.{part}"] = f"blk.{i}.{ours}.{part}"
    raw = read_safetensors(src / "model.safetensors")
    for hf, ours in names.items():
        array = np.asarray(raw[hf], dtype=np.float32)
        if ftype == "f16" and array.ndim == 2 and ours != "token_types.weight":
            array = array.astype(np.float16)
        w.add_tensor(ours, array)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return dst


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "f16")
