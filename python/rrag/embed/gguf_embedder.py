"""Embed layer: ``GgufEmbedder``, the host side of a GGUF embedding model run by llama.cpp.

The model lives in ``python -m rrag.embed.gguf_worker`` (see there for why). This side starts the
worker lazily, sends one request at a time, and turns every way the worker can fail (a missing or
unreadable file, a native abort, a kill) into a ModelError naming the file and ``embed.model``;
after a crash the next request starts a fresh worker. Texts go in slices so no single reply
grows without bound.
"""

from __future__ import annotations

import base64
import collections
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any, Sequence

import numpy as np


from ..config import EmbedConfig
from ..errors import ModelError
from ..procs import describe_exit, worker_env
from .tokens import windows

REQUEST_TEXTS = 256
SETTING = "embed.model"


class GgufEmbedder:
    def __init__(self, path: Path, cfg: EmbedConfig) -> None:
        if not path.is_file():
            raise ModelError(f"the embedding model {path} does not exist",
                             f"set {SETTING} to a GGUF embedding model or to 'all-MiniLM-L6-v2'")
        with path.open("rb") as fh:
            if fh.read(4) != b"GGUF":
                raise ModelError(f"the embedding model {path} is not a GGUF file",
                                 f"set {SETTING} to a GGUF embedding model")
        self.path = path
        self.cfg = cfg
        self.name = path.name
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._lock = threading.Lock()
        self.restarts = 0
        self._died = False
        hello = self._start()
        self.dims = int(hello["dims"])
        self.max_tokens = int(hello["max_tokens"])
        self.trained_tokens = int(hello["trained"])
        self.overlap = cfg.window_overlap

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _start(self) -> dict[str, Any]:
        cmd = [sys.executable, "-m", "rrag.embed.gguf_worker", str(self.path),
               str(self.cfg.max_tokens), str(self.cfg.threads)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=worker_env(),
                                start_new_session=True, close_fds=True)
        self._stderr.clear()
        threading.Thread(target=self._drain, args=(proc.stderr,), daemon=True,
                         name=f"rrag-embed-err-{proc.pid}").start()
        self._proc = proc
        hello = self._read(proc, "loading")
        if not hello.get("ok"):
            self.close()
            raise ModelError(f"llama.cpp cannot load the embedding model {self.path}: "
                             f"{hello.get('error')}", f"set {SETTING} to a valid GGUF "
                             "embedding model")
        return hello

    def _drain(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._stderr.append(line.decode("utf-8", "replace").rstrip())

    def _read(self, proc: subprocess.Popen[bytes], doing: str) -> dict[str, Any]:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            code = proc.wait()
            self._proc, self._died = None, True
            how = describe_exit(code)
            tail = " | ".join(list(self._stderr)[-3:])
            raise ModelError(f"the embedding worker for {self.path} died ({how}) while {doing}",
                             f"check {SETTING}; last output: {tail}" if tail else
                             f"check {SETTING}")
        return json.loads(line)

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                if self._died or self._proc is not None:  # crashed, or died while idle
                    self.restarts += 1
                self._died = False
                self._start()
            proc = self._proc
            assert proc is not None and proc.stdin is not None
            try:
                proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
                proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass  # the read below reports how it died
            reply = self._read(proc, f"running {request.get('op')}")
        if not reply.get("ok"):
            raise ModelError(f"the embedding worker failed: {reply.get('error')}",
                             "this is a bug in rrag: please report it")
        return reply

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        counts: list[int] = []
        for i in range(0, len(texts), REQUEST_TEXTS):
            counts += self._call({"op": "count",
                                  "texts": list(texts[i:i + REQUEST_TEXTS])})["counts"]
        return counts

    def windows(self, text: str) -> list[str]:
        return windows(text, self.max_tokens, self.overlap, self.count_tokens)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        parts = [np.empty((0, self.dims), np.float32)]
        for i in range(0, len(texts), REQUEST_TEXTS):
            reply = self._call({"op": "embed", "texts": list(texts[i:i + REQUEST_TEXTS])})
            raw = base64.b64decode(reply["vectors"])
            parts.append(np.frombuffer(raw, dtype=np.float32).reshape(-1, self.dims))
        return np.concatenate(parts)

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
