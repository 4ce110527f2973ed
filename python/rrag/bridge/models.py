"""Front end (bridge): ``:RragModel`` in both editors — the list of models, and the pick.

Listing reads GGUF headers and asks the usual localhost ports (under a second), picking writes
the config file: neither needs an engine, so both run on a short thread of their own instead of
queueing behind a long index on the worker, and answer with one ``result`` event (kind
``models`` or ``use_model``). The list's lines are ``service.model_table``'s, the same the command
line prints; each editor only shows them and sends back the key of the chosen line. After a pick,
the bridge re-reads the config (``on_picked``), so the next request uses the model.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from pathlib import Path

from ..config import Config, config_file, load_config
from ..service.models import list_models, table, use_model
from .events import Event, error_payload


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class SessionConfig:
    def __init__(self, apply: Callable[[Config], None]) -> None:
        self.apply = apply  # hands a new config to the worker (engines rebuilt before next job)
        self.overrides: dict[str, Any] = {}  # the editor's setup() engine options
        self.stamp: tuple[int, int] | None = None  # the config file as last read

    def setup(self, overrides: dict[str, Any]) -> Config:
        self.overrides = overrides
        return self.reload()

    def reload(self) -> Config:
        stamp = _stamp(config_file())
        config = Config.from_dict(merge(load_config().to_dict(), self.overrides))
        self.stamp = stamp
        self.apply(config)
        return config

    def follow(self) -> None:
        """Before a request: re-read the config file if it changed since."""
        if _stamp(config_file()) != self.stamp:
            self.reload()

    def picked(self, llm: dict[str, Any]) -> list[str]:
        """After a pick wrote ``llm`` to the config file: this session uses it now, even where
        its setup() options set those keys (they win again after a restart)."""
        mine = self.overrides.get("llm") or {}
        shadowed = sorted(k for k in llm if k in mine and mine[k] != llm[k])
        if shadowed:
            self.overrides = merge(self.overrides, {"llm": {k: llm[k] for k in shadowed}})
        self.reload()
        return [f"note: your setup() sets engine.llm.{k}, which wins over the config file "
                "after a restart" for k in shadowed]


class ModelRequests:
    def __init__(self, emit: Callable[[Event], None], config: Callable[[], Config],
                 on_picked: Callable[[dict[str, Any]], list[str]]) -> None:
        self.emit = emit
        self.config = config
        self.on_picked = on_picked  # applies the written [llm] keys; returns notes for the user
        self.last: dict[str, Any] | None = None  # the latest listing: a pick from it needs no scan

    def _run(self, kind: str, request_id: Any, work: Callable[[], dict[str, Any]]) -> None:
        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - every failure becomes an error event
                self.emit({"id": request_id, "type": "error", "kind": kind,
                           "error": error_payload(exc)})
                return
            self.emit({"id": request_id, "type": "result", "kind": kind, "result": result})

        threading.Thread(target=run, name=f"rrag-{kind}", daemon=True).start()

    def list(self, req: dict[str, Any]) -> dict[str, Any]:
        def work() -> dict[str, Any]:
            listing = list_models(self.config(), servers=req.get("servers", True) is not False)
            self.last = listing
            return listing | {"view": table(listing)}

        self._run("models", req.get("id"), work)
        return {"id": req.get("id")}

    def use(self, req: dict[str, Any]) -> dict[str, Any]:
        name = str(req.get("name") or "")

        def work() -> dict[str, Any]:
            result = use_model(name, self.config(), self.last)
            notes = self.on_picked(result["llm"])
            if notes:
                result["message"] += "; " + "; ".join(notes)
            return result

        self._run("use_model", req.get("id"), work)
        return {"id": req.get("id")}
