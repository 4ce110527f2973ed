"""Front end (bridge): everything the host sends back to Lua goes through here.

Results never travel as return values: the worker thread hands each event to
``nvim.async_call`` (the only thread-safe entry into pynvim, pynvim#441) which fires one
``require('rrag.rpc')._on_event(ev)`` notification. Tokens are batched (~50 ms, as semshi batches
its highlight calls) and progress is throttled so a long index never floods the editor.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import PurePath
from typing import Any, Callable

from ..errors import RragError
from ..procs import log_traceback

log = logging.getLogger("rrag.bridge")

LUA_SINK = "require('rrag.rpc')._on_event(...)"
TOKEN_INTERVAL_S = 0.05
PROGRESS_INTERVAL_S = 0.1

Event = dict[str, Any]


def clean(value: Any) -> Any:
    """Drop ``None`` fields (they reach Lua as ``vim.NIL``, a truthy userdata) and turn tuples
    and other sequences into lists msgpack understands."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple, set)):
        return [clean(v) for v in value]
    if hasattr(value, "to_json"):
        return clean(value.to_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return clean(dataclasses.asdict(value))
    if isinstance(value, PurePath):
        return str(value)
    return value


class Emitter:
    """Sends events to the Lua side of one editor, from any thread."""

    def __init__(self, nvim: Any) -> None:
        self.nvim = nvim

    def __call__(self, event: Event) -> None:
        payload = clean(event)

        def send() -> None:
            try:
                self.nvim.exec_lua(LUA_SINK, payload, async_=True)
            except TypeError as exc:  # not msgpack-able: still end the request on the Lua side
                log.error("cannot send %s event: %s", payload.get("type"), exc)
                self.nvim.exec_lua(LUA_SINK, {
                    "id": payload.get("id"), "type": "error", "kind": payload.get("kind", ""),
                    "error": error_payload(exc)}, async_=True)

        try:
            self.nvim.async_call(send)
        except Exception:  # noqa: BLE001 - the editor went away; nothing to tell it
            log.debug("could not deliver %s", payload.get("type"), exc_info=True)


class TokenStream:
    """Collects streamed tokens; flushes when ~50 ms have passed since the last flush."""

    def __init__(self, emit: Callable[[Event], None], request_id: Any,
                 interval: float = TOKEN_INTERVAL_S) -> None:
        self.emit = emit
        self.request_id = request_id
        self.interval = interval
        self._parts: list[str] = []
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            self._parts.append(text)
            if time.monotonic() - self._last < self.interval:
                return
            self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        self._last = time.monotonic()
        if not self._parts:
            return
        text, self._parts = "".join(self._parts), []
        self.emit({"id": self.request_id, "type": "token", "text": text})


class ProgressForwarder:
    """The engine's ``progress(phase, done, total)`` callback, throttled, and the place where a
    cancelled index stops: raising here unwinds the indexer between two files, and every file
    is written in its own transaction, so the index stays consistent."""

    def __init__(self, emit: Callable[[Event], None], request_id: Any, root: str,
                 cancel: threading.Event, cancelled: type[BaseException]) -> None:
        self.emit, self.request_id, self.root = emit, request_id, root
        self.cancel, self.cancelled = cancel, cancelled
        self._last = 0.0
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.cancel.is_set():
            raise self.cancelled()
        now = time.monotonic()
        boundary = phase != self._phase or done >= total
        if not boundary and now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last, self._phase = now, phase
        self.emit({"id": self.request_id, "type": "progress", "root": self.root,
                   "phase": phase, "done": done, "total": total})


def error_payload(exc: BaseException) -> dict[str, str]:
    """{code, message, hint, text}: ``text`` is the one line a notification shows."""
    if isinstance(exc, RragError):
        message = exc.message if exc.message.startswith("rrag:") else f"rrag: {exc.message}"
        return {"code": exc.code, "message": message, "hint": exc.hint,
                "text": " ".join(str(exc).split())}
    where = log_traceback(exc)
    hint = f"details in {where}" if where else "run with NVIM_PYTHON_LOG_FILE set for details"
    message = f"rrag: internal error: {type(exc).__name__}: {exc}"
    return {"code": "internal", "message": message, "hint": hint,
            "text": " ".join(f"{message} ({hint})".split())}
