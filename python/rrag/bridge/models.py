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

from ..config import Config
from ..service.models import list_models, table, use_model
from .events import Event, error_payload


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
