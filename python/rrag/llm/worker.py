"""LLM layer: ``ModelWorker``, the host side of the embedded llama.cpp backend.

The model runs in a separate process (``rrag.llm.worker_main``) so that a segfault, an abort or
the OOM killer in native code costs one request, never the editor or the CLI. This class starts
that process lazily, has it load the GGUF (a missing or damaged file becomes a ModelError naming
the path and ``llm.model_path``), and serves one request at a time in arrival order. Generations
stream tokens to a callback in the caller's thread; ``cancel()`` (or a cancel event, or a callback
that raises) stops one between tokens and returns the partial text; a generation running past
``llm.timeout_s`` is killed. After a crash or a kill a new worker is started at once (it loads in
the background) and the next request uses it.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Sequence

from ..config import LlmConfig
from ..errors import ModelError
from .channel import WorkerChannel, WorkerGone
from .completion import (Completion, Message, TokenCallback, decode_rate, request_body,
                         sampling)
from .model_file import check_model_file, crashed_while_loading, load_failed, resolve_model_path

POLL_S = 0.05  # how often a waiting generation looks at its cancel flags


class FifoTurns:
    """A lock granted in arrival order (``threading.Lock`` promises no order)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0

    @property
    def tickets_taken(self) -> int:
        with self._cond:
            return self._next_ticket

    def __enter__(self) -> None:
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            self._cond.wait_for(lambda: self._serving == ticket)

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


class ModelWorker:
    name = "embedded"
    cancel_grace_s = 5.0  # a worker that ignores a cancel this long is stuck in native code

    def __init__(self, cfg: LlmConfig | None = None, model_path: str | Path | None = None,
                 python: str | None = None) -> None:
        self.cfg = cfg or LlmConfig()
        self._model_path = Path(model_path).expanduser() if model_path else None
        self._python = python
        self._channel: WorkerChannel | None = None
        self._load_id: int | None = None
        self._info: dict[str, Any] | None = None
        self._turns = FifoTurns()
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self.restarts = 0

    @property
    def model_path(self) -> Path:
        if self._model_path is None:
            self._model_path = resolve_model_path(self.cfg)
        return self._model_path

    @property
    def _picked_name(self) -> str:
        """The name `rrag models use` picked the configured file by, for messages."""
        return self.cfg.model_name if self.cfg.model_path and self._model_path == \
            Path(self.cfg.model_path).expanduser() else ""

    @property
    def pid(self) -> int | None:
        channel = self._channel
        return channel.pid if channel is not None and channel.alive() else None

    def __enter__(self) -> "ModelWorker":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        """Start the worker and load the model now instead of on the first request."""
        with self._turns:
            return self._ready()

    def close(self) -> None:
        channel, self._channel, self._load_id, self._info = self._channel, None, None, None
        if channel is not None:
            channel.close()

    def _spawn(self) -> None:
        path = self.model_path
        check_model_file(path, self._picked_name)
        try:
            channel = WorkerChannel(self._python)
        except OSError as exc:
            raise ModelError(f"cannot start the model worker ({self._python or sys.executable}): "
                             f"{exc}", "reinstall rrag's virtualenv (make setup)") from exc
        self._channel, self._load_id, self._info = channel, next(self._ids), None
        channel.send({"id": self._load_id, "op": "load", "path": str(path),
                      "llm": dataclasses.asdict(self.cfg)})

    def _restart(self) -> None:
        """Replace a dead or stuck worker now; its model loads while the caller reads the error."""
        old, self._channel = self._channel, None
        if old is not None:
            old.kill()
        self.restarts += 1
        try:
            self._spawn()
        except (ModelError, WorkerGone, OSError):
            self._channel = None  # the next request starts one and reports what is wrong

    def _ready(self) -> dict[str, Any]:
        if self._channel is None or not self._channel.alive():
            if self._channel is not None:
                self._channel.kill()  # died while idle: replace it quietly
            self._spawn()
        if self._load_id is not None:
            self._await_load()
        assert self._info is not None
        return self._info

    def _await_load(self) -> None:
        channel, rid, path = self._channel, self._load_id, self.model_path
        assert channel is not None
        limit = max(self.cfg.timeout_s, 1.0)
        deadline = time.monotonic() + limit
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    channel.kill()
                    self._channel = None
                    raise ModelError(f"loading the model {path} took more than {limit:g} s; "
                                     "the worker was stopped",
                                     "raise llm.timeout_s or set llm.model_path to a smaller model")
                reply = channel.recv(min(left, 1.0))
                if reply is not None and reply.get("id") == rid:
                    break
        except WorkerGone as gone:
            self._channel = None
            raise crashed_while_loading(path, str(gone), channel.last_output(),
                                        self._picked_name) from None
        self._load_id = None
        if not reply.get("ok"):
            channel.close()
            self._channel = None
            raise load_failed(path, str(reply.get("error", "")), self._picked_name)
        self._info = reply["result"]

    # -- requests -------------------------------------------------------------------------------
    def _failure(self, reply: dict[str, Any]) -> ModelError:
        error = str(reply.get("error", "unknown error"))
        if reply.get("kind") == "too_long":
            return ModelError(error, "raise llm.n_ctx or lower context.budget")
        return ModelError(f"the model worker failed: {error}",
                          "this is a bug in rrag: please report it with the output of rrag doctor")

    def _crashed(self, channel: WorkerChannel, gone: WorkerGone, doing: str) -> ModelError:
        tail = channel.last_output()
        self._restart()
        hint = "if it keeps happening, lower llm.n_ctx or choose another llm.model_path"
        return ModelError(f"the model worker crashed ({gone}) while {doing}; it was restarted; "
                          "try again", f"{hint}; last worker output: {tail}" if tail else hint)

    def _timed_out(self, limit: float) -> ModelError:
        self._restart()
        return ModelError(f"the model did not answer within {limit:g} s; the worker was stopped "
                          "and restarted", "raise llm.timeout_s or lower llm.max_answer_tokens")

    def _call(self, op: str, payload: dict[str, Any]) -> Any:
        with self._turns:
            self._ready()
            channel, rid = self._channel, next(self._ids)
            assert channel is not None
            deadline = time.monotonic() + self.cfg.timeout_s
            try:
                channel.send({"id": rid, "op": op, **payload})
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise self._timed_out(self.cfg.timeout_s)
                    reply = channel.recv(min(left, 1.0))
                    if reply is not None and reply.get("id") == rid:
                        if not reply.get("ok"):
                            raise self._failure(reply)
                        return reply["result"]
            except WorkerGone as gone:
                raise self._crashed(channel, gone, f"running {op}") from None

    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text`` in the model's own vocabulary (no BOS)."""
        return list(self._call("tokenize", {"text": text}))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        """Token counts of many texts in one round trip."""
        return list(self._call("tokenize", {"texts": list(texts)})) if texts else []

    def reset_cache(self) -> None:
        """Forget the KV cache, so the next prompt is evaluated from its first token."""
        self._call("reset", {})

    def metadata(self) -> dict[str, Any]:
        """Model name, n_ctx_train, n_ctx, chat template, chosen parameters, hardware."""
        with self._turns:
            return dict(self._ready())

    def cancel(self) -> None:
        """Stop the running generation between two tokens; it returns its partial text."""
        self._stop.set()

    def generate(self, messages: Sequence[Message] | None = None, *, prompt: str | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 on_token: TokenCallback | None = None,
                 cancel_event: threading.Event | None = None,
                 timeout_s: float | None = None) -> Completion:
        body = request_body(messages, prompt) | sampling(self.cfg, max_tokens, temperature)
        with self._turns:
            self._stop.clear()
            self._ready()
            return self._stream(body, on_token, cancel_event, timeout_s or self.cfg.timeout_s)

    def _stream(self, body: dict[str, Any], on_token: TokenCallback | None,
                cancel_event: threading.Event | None, limit: float) -> Completion:
        channel, rid = self._channel, next(self._ids)
        assert channel is not None
        sent_at = time.monotonic()
        first_at: float | None = None
        cancel_sent_at: float | None = None
        parts: list[str] = []
        raised: BaseException | None = None  # from on_token: re-raised once the worker stopped
        try:
            channel.send({"id": rid, "op": "generate", **body})
            while True:
                now = time.monotonic()
                if cancel_sent_at is None and (self._stop.is_set() or raised is not None or
                                               (cancel_event is not None
                                                and cancel_event.is_set())):
                    channel.send({"op": "cancel", "target": rid})
                    cancel_sent_at = now
                if cancel_sent_at is not None and now - cancel_sent_at > self.cancel_grace_s:
                    self._restart()
                    result = {"text": "".join(parts), "tokens": len(parts),
                              "finish_reason": "cancelled", "decode_s": 0.0}
                    break
                if now - sent_at > limit:
                    raise self._timed_out(limit)
                reply = channel.recv(POLL_S)
                if reply is None or reply.get("id") != rid:
                    continue
                if reply.get("event") == "token":
                    first_at = first_at or time.monotonic()
                    parts.append(reply["text"])
                    if on_token is not None and raised is None:
                        try:
                            on_token(reply["text"])
                        except BaseException as exc:  # noqa: BLE001 - stop the worker first
                            raised = exc
                    continue
                if not reply.get("ok"):
                    raise self._failure(reply)
                result = reply["result"]
                break
        except WorkerGone as gone:
            raise self._crashed(channel, gone, "generating") from None
        if raised is not None:
            raise raised
        ended = time.monotonic()
        return Completion(
            text=result["text"], tokens=result["tokens"],
            ttft_s=(first_at or ended) - sent_at,
            tokens_per_s=decode_rate(result["tokens"], 0.0, result.get("decode_s") or 0.0),
            finish_reason=result["finish_reason"], prompt_tokens=result.get("prompt_tokens", 0),
            cached_tokens=result.get("cached_tokens", 0),
            evaluated_tokens=result.get("evaluated_tokens", 0), backend=self.name,
            model=str(self.model_path))
