"""Service layer: ``rrag models`` and ``:RragModel`` — the chat models this machine has, and
picking one.

``list_models`` puts together the bundled default, the GGUF files other tools keep
(``llm.model_scan``; each header read by ``llm.gguf_header``, embedding-only models left out) and
the models of OpenAI-compatible servers answering on localhost (``llm.model_servers``), with
what decides the choice: parameters, quantisation, trained context, file size, whether it fits in
the free memory (and in the GPU's, when there is one) and whether the file carries its chat
template. ``use_model`` writes the pick to the user's config file (``user_config``), which the
command line reads on every run and the editors' hosts re-read when it changes: the next request
uses it. ``table`` gives the lines both the command line and the editors' pickers show.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..config import Config, LlmConfig, config_file
from ..errors import ModelError, NotFound, RragError
from ..llm import model_scan, model_servers
from ..llm.gguf_header import GgufError, read_gguf
from ..llm.hardware import detect, gpu_memory
from ..llm.model_file import check_model_file, default_model_path
from .model_table import describe, table

__all__ = ["list_models", "use_model", "table", "describe"]
OVERHEAD = 1.1  # runtime buffers on top of weights and KV cache


def _kv_bytes(info: Any, n_ctx: int) -> int:
    """The f16 KV cache of ``n_ctx`` tokens, from the header's shape keys (0 when unknown)."""
    layers, heads = int(info.meta("block_count")), int(info.meta("attention.head_count"))
    kv_heads = int(info.meta("attention.head_count_kv") or heads)
    dim = int(info.meta("attention.key_length") or
              (int(info.meta("embedding_length")) // heads if heads else 0))
    return 2 * layers * n_ctx * kv_heads * dim * 2


def _local(found: model_scan.Found, llm: LlmConfig, free: int, gpu: tuple[int, int] | None
           ) -> dict[str, Any] | None:
    key = found.name if found.source == "ollama" else str(found.path)  # tags may share a blob
    entry: dict[str, Any] = {"name": found.name, "source": found.source, "key": key,
                             "path": str(found.path), "size_bytes": found.size}
    try:
        info = read_gguf(found.path)
    except (OSError, GgufError) as exc:
        return entry | {"error": f"cannot read its header: {getattr(exc, 'strerror', None) or exc}"}
    if not info.chat:
        return None
    n_ctx = min(llm.n_ctx or info.context_length, info.context_length or llm.n_ctx) or 4096
    need = int((found.size + _kv_bytes(info, n_ctx)) * OVERHEAD)
    return entry | {
        "architecture": info.architecture, "parameters": info.parameters,
        "size_label": info.size_label, "quantisation": info.quantisation,
        "context_length": info.context_length, "chat_template": info.chat_template,
        "memory_needed_bytes": need, "fits_memory": need <= free if free else None,
        "fits_gpu": need <= gpu[1] if gpu else None}


def _server(model: model_servers.ServerModel) -> dict[str, Any]:
    host = model.url.split("://", 1)[-1].split("/", 1)[0]
    meta = model.meta
    return {"name": f"{model.model}@{host}", "key": f"{model.model}@{host}", "source": "server",
            "server": model.server, "url": model.url, "model": model.model,
            "parameters": meta.get("n_params"), "context_length": meta.get("n_ctx_train"),
            "size_bytes": meta.get("size"), "chat_template": None, "fits_memory": None,
            "fits_gpu": None}


def _is_current(entry: dict[str, Any], llm: LlmConfig) -> bool:
    if entry["source"] == "server":
        base = llm.server_url.rstrip("/")
        return llm.backend == "openai" and entry["url"] == base and \
            entry["model"] == (llm.server_model or entry["model"])
    if llm.backend != "embedded":
        return False
    if not llm.model_path:
        return entry["source"] == "bundled"
    mine = os.path.abspath(Path(llm.model_path).expanduser())
    same_tag = entry["source"] != "ollama" or not llm.model_name or \
        entry["name"] == llm.model_name  # Ollama's tags of one blob: the one picked
    return entry["source"] != "bundled" and os.path.abspath(entry["path"]) == mine and same_tag


def current_model(llm: LlmConfig) -> dict[str, Any]:
    """What the next request answers with, and why it cannot when the picked file is gone."""
    if llm.backend == "openai":
        return {"backend": "openai", "name": llm.model_name or llm.server_model or "(server's)",
                "url": llm.server_url, "model": llm.server_model}
    path = Path(llm.model_path).expanduser() if llm.model_path else default_model_path()
    out: dict[str, Any] = {"backend": "embedded", "name": llm.model_name or
                           ("default" if not llm.model_path else Path(llm.model_path).name),
                           "path": str(path) if path else ""}
    if path is not None:
        try:
            check_model_file(path, llm.model_name if llm.model_path else "")
        except ModelError as exc:
            out["problem"] = str(exc)
    return out


def list_models(config: Config, servers: bool = True) -> dict[str, Any]:
    """Every chat model found, the bundled default first; ``servers``: also probe localhost."""
    llm = config.llm
    hw = detect()
    free, gpu = hw.memory_available_bytes, gpu_memory()
    models: list[dict[str, Any]] = []
    bundled = default_model_path()
    if bundled is not None:
        found = model_scan.Found("default", "bundled", bundled, bundled.stat().st_size)
        models.append((_local(found, llm, free, gpu) or {}) | {"key": "default"})
    for found in model_scan.scan_all(llm.model_dirs):
        entry = _local(found, llm, free, gpu)
        if entry is not None:
            models.append(entry)
    if servers:
        models += [_server(m) for m in model_servers.probe(llm.server_url, llm.servers)]
    for entry in models:
        entry["current"] = _is_current(entry, llm)
    return {"models": models, "current": current_model(llm), "config_file": str(config_file()),
            "memory": {"available_bytes": free, "gpu": {"total_bytes": gpu[0],
                                                        "free_bytes": gpu[1]} if gpu else None}}


def find(models: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The entry ``name`` means: its exact name or key (a file's path), else the one entry
    whose name contains it (any case)."""
    wanted = name.strip()
    if not wanted:
        raise RragError("no model name given", "run `rrag models` to see the names")
    path = os.path.abspath(os.path.expanduser(wanted))
    for test in (lambda e: e["name"] == wanted or e["key"] == wanted,
                 lambda e: e.get("path") and os.path.abspath(e["path"]) == path,
                 lambda e: e["name"].lower() == wanted.lower()):
        exact = [e for e in models if test(e)]
        if exact:
            return exact[0]
    near = [e for e in models if wanted.lower() in e["name"].lower()]
    if len(near) == 1:
        return near[0]
    if near:
        names = ", ".join(e["name"] for e in near[:6])
        raise RragError(f"{wanted!r} matches {len(near)} models: {names}",
                        "give the full name (or the file's path)")
    if Path(path).is_file():  # a GGUF no store lists: picked by its path
        return {"name": Path(path).name, "key": path, "source": "file", "path": path}
    raise NotFound(f"no model named {wanted!r} on this machine",
                   "run `rrag models` (or :RragModel) to see the ones found")


def settings_for(entry: dict[str, Any]) -> dict[str, Any]:
    """The ``[llm]`` keys that make ``entry`` the model of the next request."""
    if entry.get("error"):
        raise ModelError(f"the model {entry['name']} ({entry.get('path')}) is unusable: "
                         f"{entry['error']}", "pick another with `rrag models use NAME`")
    if entry["source"] == "server":
        return {"backend": "openai", "server_url": entry["url"], "server_model": entry["model"],
                "model_name": entry["name"]}
    if entry["source"] == "bundled":
        return {"backend": "embedded", "model_path": "", "model_name": ""}
    path = Path(entry["path"])
    check_model_file(path, entry["name"])  # a file that cannot be a model is never written
    return {"backend": "embedded", "model_path": os.path.abspath(path),
            "model_name": entry["name"]}


def use_model(name: str, config: Config, listing: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """Write the model ``name`` means to the user's config file; returns what was written."""
    from .user_config import write_settings

    if listing is None or not any(e["name"] == name or e["key"] == name
                                  for e in listing["models"]):
        servers = "@" in name or not listing  # a server's model needs the probe
        listing = list_models(config, servers=servers)
    entry = find(listing["models"], name)
    values = settings_for(entry)
    path = write_settings("llm", values)
    shown = describe(entry)
    return {"picked": entry, "llm": values, "config_file": str(path),
            "message": f"rrag: the next requests use {shown}; written to {path}"}
