"""Embed layer: the BERT forward pass in numpy (float32), mean pooling and L2 normalisation.

Why numpy and not llama.cpp or torch: measured on the 2-core target (bench/embed_throughput.py),
this pass beats sentence-transformers on torch and llama.cpp on a converted GGUF, runs in the
caller's process without any risk of a native abort, and needs nothing beyond numpy.

How it stays fast:
- Sequences are packed, never padded: the dense layers (85 % of the work) run on the rows of
  all sequences of a group stacked together; only attention runs per sequence.
- A group is ~512 tokens, so its activations stay in the CPU caches, and ``encode_group`` is
  called from one thread per core with BLAS itself single-threaded (``model.NumpyEmbedder``):
  the element-wise work (GELU, softmax, layer norm) then uses every core too, which numpy alone
  would not do.
- GELU is computed in cache-sized row chunks with the Abramowitz-Stegun erfc (error < 2e-7,
  far below float32 noise), softmax normalises the (L x head_dim) context instead of the
  (L x L) scores, and 1/sqrt(head_dim) is folded into the query weights at load time.
"""

from __future__ import annotations

import numpy as np

from .weights import BertLayer, BertWeights

GELU_ROWS = 32  # rows of the (tokens x intermediate) matrix per GELU chunk: ~200 KB per buffer
_P = np.float32(0.3275911 / np.sqrt(2.0))
# Abramowitz & Stegun 7.1.26 coefficients, halved: Q(a) = 0.5 * erfc(a / sqrt 2).
_C = tuple(np.float32(0.5 * c) for c in
           (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))
_NEG_HALF = np.float32(-0.5)
_SAFE_TOTAL = np.float32(1e-20)  # softmax denominators below this lose float32 precision
# ...and above this, exps @ values can overflow float32 even though the sum itself did not
# (seen on regex-syntax's Unicode tables: scores near 88 give exps near 1e38).
_MAX_TOTAL = np.float32(1e30)


def layer_norm(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    """In place over the last axis of a 2-D array."""
    weight, bias = norm
    x -= x.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x)
    var *= np.float32(1.0 / x.shape[1])
    var += np.float32(eps)
    np.sqrt(var, out=var)
    np.reciprocal(var, out=var)
    x *= var[:, None]
    x *= weight
    x += bias
    return x


def gelu_(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU in place: gelu(x) = max(x, 0) - |x| * Q(|x|)."""
    rows = min(GELU_ROWS, x.shape[0])
    a, t, e, p = (np.empty((rows, x.shape[1]), np.float32) for _ in range(4))
    for start in range(0, x.shape[0], GELU_ROWS):
        chunk = x[start:start + GELU_ROWS]
        n = chunk.shape[0]
        ca, ct, ce, cp = a[:n], t[:n], e[:n], p[:n]
        np.abs(chunk, out=ca)
        np.multiply(ca, _P, out=ct)
        ct += 1
        np.reciprocal(ct, out=ct)
        np.multiply(ca, ca, out=ce)
        ce *= _NEG_HALF
        np.exp(ce, out=ce)
        np.multiply(ct, _C[4], out=cp)
        for coeff in (_C[3], _C[2], _C[1], _C[0]):
            cp += coeff
            cp *= ct
        cp *= ce
        cp *= ca
        np.maximum(chunk, 0, out=chunk)
        chunk -= cp
    return x


class BertEncoder:
    """Sentence embeddings of token-id sequences (each already within ``max_positions``)."""

    def __init__(self, weights: BertWeights) -> None:
        self.weights = weights
        self.config = weights.config

    def encode_group(self, sequences: list[np.ndarray]) -> np.ndarray:
        """Mean-pooled, L2-normalised float32 vectors, one row per sequence."""
        cfg, w = self.config, self.weights
        lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
        if lengths.min(initial=1) < 1 or lengths.max(initial=0) > cfg.max_positions:
            raise ValueError(f"sequence lengths must be 1..{cfg.max_positions}")
        offsets = np.zeros(len(sequences), dtype=np.int64)
        np.cumsum(lengths[:-1], out=offsets[1:])
        ids = np.concatenate(sequences)
        positions = np.concatenate([np.arange(n) for n in lengths])
        x = w.word[ids]
        x += w.position[positions]
        layer_norm(x, w.norm, cfg.eps)
        spans = list(zip(offsets.tolist(), (offsets + lengths).tolist()))
        for layer in w.layers:
            x = self._layer(layer, x, spans)
        pooled = np.add.reduceat(x, offsets, axis=0)
        pooled /= lengths[:, None].astype(np.float32)
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled

    def _layer(self, layer: BertLayer, x: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
        eps = self.config.eps
        qkv = x @ layer.qkv
        qkv += layer.qkv_bias
        context = np.empty_like(x)
        for start, end in spans:
            context[start:end] = self._attention(qkv[start:end])
        h = context @ layer.out
        h += layer.out_bias
        h += x
        x = layer_norm(h, layer.norm1, eps)
        f = x @ layer.up
        f += layer.up_bias
        gelu_(f)
        h = f @ layer.down
        h += layer.down_bias
        h += x
        return layer_norm(h, layer.norm2, eps)

    def _attention(self, qkv: np.ndarray) -> np.ndarray:
        """Self-attention of one sequence; ``qkv`` is (L, 3*hidden), query already scaled."""
        cfg = self.config
        n, hidden, heads, dim = qkv.shape[0], cfg.hidden, cfg.heads, cfg.head_dim
        q = qkv[:, :hidden].reshape(n, heads, dim).transpose(1, 0, 2)
        k = qkv[:, hidden:2 * hidden].reshape(n, heads, dim).transpose(1, 2, 0)
        v = qkv[:, 2 * hidden:].reshape(n, heads, dim).transpose(1, 0, 2)
        scores = np.matmul(q, k)
        # BERT scores nearly always stay inside exp's float32 range, so the usual max subtraction
        # (two passes over L*L per head) is skipped; a sequence with a row that overflowed, came
        # near overflow or near underflow (lost precision) is redone the stable way.
        with np.errstate(over="ignore", under="ignore"):
            exps = np.exp(scores, out=scores)
        total = exps.sum(axis=2, keepdims=True)
        if not (np.isfinite(total).all() and total.min() > _SAFE_TOTAL
                and total.max() < _MAX_TOTAL):
            scores = np.matmul(q, k)
            scores -= scores.max(axis=2, keepdims=True)
            exps = np.exp(scores, out=scores)
            total = exps.sum(axis=2, keepdims=True)
        context = np.matmul(exps, v)
        context /= total
        return context.transpose(1, 0, 2).reshape(n, hidden)
