"""Front end (vimhost): the JSON-lines channel on stdin/stdout and its read loop.

Vim's ``job_start`` in ``nl`` mode hands each line to the plugin's callback, so every message is
one ``json.dumps`` line (never a raw newline inside). Stdout belongs to the channel alone: the
real fd 1 is kept privately and fd 1 is pointed at stderr, so a child process (the llama.cpp
worker, the parse pool) printing something can never corrupt a message. The read loop only
hands requests to ``Bridge.handle``, which returns at once; the engine works on the bridge's
worker thread and its events are written from there under a lock.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from typing import IO, Any

from ..bridge.core import Bridge
from ..bridge.events import clean, error_payload

log = logging.getLogger("rrag.vimhost")

STOP_TIMEOUT_S = 5.0


class LineWriter:
    """Writes one JSON object per line to the private copy of stdout, from any thread."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.closed = False

    def __call__(self, message: dict[str, Any]) -> None:
        try:
            line = json.dumps(clean(message), ensure_ascii=True, default=str)
        except (TypeError, ValueError) as exc:  # still end the request on the Vim side
            line = json.dumps({"id": message.get("id"), "type": "error",
                               "kind": message.get("kind", ""), "error": error_payload(exc)})
        with self.lock:
            if self.closed:
                return
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # Vim went away; the read loop ends on EOF
                self.closed = True


def private_stdout() -> IO[str]:
    """The channel's own handle on the real stdout; fd 1 itself now points at stderr."""
    sys.stdout.flush()
    channel_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(os.dup(2), "w", buffering=1)  # stray prints land on stderr too
    return os.fdopen(channel_fd, "w", encoding="utf-8", buffering=1)


class VimHost:
    """Parses requests, hands them to the bridge, shapes the events it sends back."""

    def __init__(self, write: LineWriter) -> None:
        self.write = write
        self.bridge = Bridge(None, transport="vim-job", emit=write)

    def handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            message = json.loads(line)
            method = str(message["method"])
            params = dict(message.get("params") or {})
        except (ValueError, KeyError, TypeError) as exc:
            self.write({"type": "error", "kind": "protocol", "error": error_payload(
                ValueError(f"rrag: unreadable message from Vim ({exc}): {line[:200]}"))})
            return
        reply = self.bridge.handle(f"rrag_{method}", [params])
        if method == "doctor":  # the only synchronous handler: its answer is the result
            self.bridge.emit({"id": params.get("id"), "type": "result", "kind": "doctor",
                       "result": reply})

    def stop(self) -> None:
        self.bridge.handle("rrag_cancel", [{}])
        self.bridge.worker.stop()
        self.bridge.worker._thread.join(STOP_TIMEOUT_S)
        self.write.closed = True


def serve(stdin: IO[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="rrag: %(message)s")
    host = VimHost(LineWriter(private_stdout()))
    # Vim's job_stop() and 'stoponexit' send SIGTERM: unwind, so the engines (and with them the
    # llama.cpp worker process) are closed instead of orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    source = stdin or sys.stdin
    try:
        for line in source:
            host.handle_line(line)
    except KeyboardInterrupt:
        pass
    finally:
        host.stop()
    return 0
