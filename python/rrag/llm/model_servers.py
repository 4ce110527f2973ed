"""LLM layer: OpenAI-compatible model servers answering on this machine, and their models.

The usual ports are asked (Ollama 11434, llama.cpp's llama-server 8080, LM Studio 1234, vLLM
8000), plus ``llm.server_url`` and the URLs of ``llm.servers``: ``GET {url}/models`` with a short
timeout, all at once on threads, so a closed port costs a refused connection and a silent one at
most ``PROBE_TIMEOUT_S``. Each model a server lists becomes one ``ServerModel``; llama-server's
``meta`` block (trained context, parameters, size), when present, is kept.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Iterable

PROBE_TIMEOUT_S = 0.8
USUAL_PORTS = {11434: "ollama", 8080: "llama-server", 1234: "lmstudio", 8000: "vllm"}


@dataclass(frozen=True)
class ServerModel:
    url: str  # the server's base URL, ending in /v1
    model: str  # the id the server lists (sent as "model" in requests)
    server: str  # "ollama", "llama-server", "lmstudio", "vllm" or "server"
    meta: dict[str, Any] = field(default_factory=dict)


def candidate_urls(server_url: str = "", extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(base URL, kind) to ask, each once: the configured ones first, then the usual ports."""
    out: dict[str, str] = {}
    for url in [server_url, *extra]:
        if url:
            base = url.rstrip("/")
            out.setdefault(base if base.endswith("/v1") else f"{base}/v1", "server")
    for port, kind in USUAL_PORTS.items():
        out.setdefault(f"http://127.0.0.1:{port}/v1", kind)
        # A configured URL on a usual port keeps the server's own kind.
        for base in list(out):
            if base.startswith((f"http://127.0.0.1:{port}/", f"http://localhost:{port}/")):
                out[base] = kind
    return list(out.items())


def _models_of(base: str, kind: str, timeout: float) -> list[ServerModel]:
    request = urllib.request.Request(f"{base}/models", headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return []
    rows = body.get("data") if isinstance(body, dict) else None
    out = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
            out.append(ServerModel(base, row["id"], kind, meta))
    return out


def probe(server_url: str = "", extra: Iterable[str] = (),
          timeout: float = PROBE_TIMEOUT_S) -> list[ServerModel]:
    """The models of every server that answers, in the order of ``candidate_urls``."""
    urls = candidate_urls(server_url, extra)
    results: list[list[ServerModel]] = [[] for _ in urls]

    def ask(i: int, base: str, kind: str) -> None:
        results[i] = _models_of(base, kind, timeout)

    threads = [threading.Thread(target=ask, args=(i, base, kind), daemon=True,
                                name="rrag-probe") for i, (base, kind) in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 1.0)
    return [model for found in results for model in found]
