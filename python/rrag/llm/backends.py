"""LLM layer: the ``Backend`` protocol and its two implementations, chosen by ``llm.backend``.

``EmbeddedBackend`` is llama.cpp in a worker process (``ModelWorker``). ``OpenAIBackend`` talks to
any OpenAI-compatible server (llama.cpp's llama-server, llama-cpp-python's server, Ollama, vLLM)
with the standard library only: POST ``{llm.server_url}/chat/completions`` with ``stream: true``
and read the server-sent events. Its token counts use the server's tokenize endpoint when it has
one (llama-server ``/tokenize``, llama-cpp-python ``/extras/tokenize/count``), else an estimate.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Iterator, Protocol, Sequence, runtime_checkable

from ..config import LlmConfig
from ..errors import ConfigError, ModelError
from .completion import (Completion, Message, TokenCallback, decode_rate, request_body,
                         sampling)
from .worker import ModelWorker

BYTES_PER_TOKEN_ESTIMATE = 3.2  # code in BPE vocabularies; used only when a server cannot tokenize


@runtime_checkable
class Backend(Protocol):
    name: str

    def generate(self, messages: Sequence[Message] | None = None, *, prompt: str | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 on_token: TokenCallback | None = None,
                 cancel_event: threading.Event | None = None,
                 timeout_s: float | None = None) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class EmbeddedBackend(ModelWorker):
    """llama.cpp with the configured GGUF, in a worker process."""

    name = "embedded"


class OpenAIBackend:
    name = "openai"

    def __init__(self, cfg: LlmConfig | None = None) -> None:
        self.cfg = cfg or LlmConfig()
        self.base_url = self.cfg.server_url.rstrip("/")
        self._stop = threading.Event()
        self._tokenizer: str | None = None  # "llama-server", "llama-cpp-python" or "estimate"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        key = os.environ.get(self.cfg.api_key_env, "") if self.cfg.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _error(self, url: str, what: str, hint: str = "") -> ModelError:
        hint = hint or "start the server or fix llm.server_url"
        return ModelError(f"the model server at {url} {what}",
                          f"{hint}; or set llm.backend = \"embedded\"")

    def _post(self, url: str, body: dict[str, Any], timeout: float) -> Any:
        request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                         headers=self._headers(), method="POST")
        try:
            return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - configured URL
        except urllib.error.HTTPError as exc:
            hint = ""
            if exc.code in (401, 403):
                hint = (f"put the server's API key in ${self.cfg.api_key_env} (llm.api_key_env)"
                        if self.cfg.api_key_env else "set llm.api_key_env to the variable "
                        "holding the server's API key")
            elif exc.code == 404:
                hint = "check llm.server_url (it usually ends in /v1) and llm.server_model"
            raise self._error(url, f"answered HTTP {exc.code}: {_error_text(exc)}", hint) from None
        except urllib.error.URLError as exc:
            raise self._error(url, f"cannot be reached: {exc.reason}") from None
        except (TimeoutError, socket.timeout):
            raise self._error(url, f"did not answer within {timeout:g} s",
                              "raise llm.timeout_s") from None
        except OSError as exc:
            raise self._error(url, f"cannot be reached: {exc}") from None

    def cancel(self) -> None:
        self._stop.set()

    def close(self) -> None:
        pass

    def generate(self, messages: Sequence[Message] | None = None, *, prompt: str | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 on_token: TokenCallback | None = None,
                 cancel_event: threading.Event | None = None,
                 timeout_s: float | None = None) -> Completion:
        # OpenAI's API, llama-server and Ollama's compatible endpoint all take "seed".
        body: dict[str, Any] = request_body(messages, prompt) | sampling(
            self.cfg, max_tokens, temperature) | {"stream": True}
        if self.cfg.server_model:
            body["model"] = self.cfg.server_model
        chat = "messages" in body
        url = f"{self.base_url}/{'chat/completions' if chat else 'completions'}"
        limit = timeout_s or self.cfg.timeout_s
        self._stop.clear()
        sent_at = time.monotonic()
        parts: list[str] = []
        first_at = last_at = 0.0
        finish = "length"
        model = self.cfg.server_model
        response = self._post(url, body, limit)
        try:
            for event in _sse_events(response):
                if self._stop.is_set() or (cancel_event is not None and cancel_event.is_set()):
                    finish = "cancelled"  # closing the connection stops the server's generation
                    break
                if time.monotonic() - sent_at > limit:
                    raise self._error(url, f"did not finish within {limit:g} s",
                                      "raise llm.timeout_s or lower llm.max_answer_tokens")
                if "error" in event:
                    raise self._error(url, f"reported: {_message_of(event['error'])}")
                model = str(event.get("model") or model)
                choice = (event.get("choices") or [{}])[0]
                piece = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                if piece:
                    last_at = time.monotonic()
                    first_at = first_at or last_at
                    parts.append(piece)
                    if on_token is not None:
                        on_token(piece)
                if choice.get("finish_reason"):
                    finish = "stop" if choice["finish_reason"] == "stop" else "length"
        except (TimeoutError, socket.timeout):
            raise self._error(url, f"sent nothing for {limit:g} s",
                              "raise llm.timeout_s") from None
        except OSError as exc:
            raise self._error(url, f"dropped the connection: {exc}") from None
        finally:
            response.close()
        ended = time.monotonic()
        # Servers send about one token per event; without a usage block that count is the estimate.
        return Completion(text="".join(parts), tokens=len(parts),
                          ttft_s=(first_at or ended) - sent_at,
                          tokens_per_s=decode_rate(len(parts), first_at, last_at),
                          finish_reason=finish, backend=self.name, model=model or self.base_url)

    def count_tokens(self, text: str) -> int:
        if self._tokenizer in (None, "llama-server"):
            root = self.base_url.removesuffix("/v1")
            count = self._try_count(f"{root}/tokenize", {"content": text},
                                    lambda r: len(r["tokens"]))
            if count is not None:
                self._tokenizer = "llama-server"
                return count
        if self._tokenizer in (None, "llama-cpp-python"):
            root = self.base_url.removesuffix("/v1")
            count = self._try_count(f"{root}/extras/tokenize/count", {"input": text},
                                    lambda r: int(r["count"]))
            if count is not None:
                self._tokenizer = "llama-cpp-python"
                return count
        self._tokenizer = "estimate"
        return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN_ESTIMATE)

    def _try_count(self, url: str, body: dict[str, Any], read: Any) -> int | None:
        try:
            with self._post(url, body, min(self.cfg.timeout_s, 30.0)) as response:
                return int(read(json.load(response)))
        except (ModelError, ValueError, KeyError, TypeError, OSError):
            return None


def _sse_events(response: Any) -> Iterator[dict[str, Any]]:
    """The JSON payloads of ``data:`` lines until ``[DONE]`` (comments and event names skipped)."""
    for raw in response:
        line = raw.decode("utf-8", "replace").strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            yield json.loads(data)
        except ValueError:
            continue


def _message_of(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read().decode("utf-8", "replace")
        return _message_of(json.loads(body).get("error", body)).splitlines()[0][:300]
    except (ValueError, AttributeError, OSError, IndexError):
        return str(exc.reason)


def make_backend(cfg: LlmConfig) -> Backend:
    """The backend ``llm.backend`` names; nothing starts until its first request."""
    if cfg.backend == "embedded":
        return EmbeddedBackend(cfg)
    if cfg.backend == "openai":
        return OpenAIBackend(cfg)
    raise ConfigError(f"llm.backend: expected \"embedded\" or \"openai\", got {cfg.backend!r}")
