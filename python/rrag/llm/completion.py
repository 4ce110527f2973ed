"""LLM layer: the request and result types every backend shares.

A request is either chat ``messages`` (rendered with the model's own chat template) or a raw
``prompt``; tokens stream to an ``on_token`` callback in the caller's thread and the call returns a
``Completion``. ``finish_reason`` is "stop" (end of turn), "length" (max_tokens or the context
was full) or "cancelled" (``cancel()`` or a cancel event; ``text`` holds what came before).
``sampling`` turns the temperature and ``llm.seed`` into the request's decoding parameters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Mapping, Sequence

from ..config import LlmConfig

Message = Mapping[str, str]  # {"role": "system" | "user" | "assistant", "content": str}
TokenCallback = Callable[[str], None]

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: int  # generated tokens
    ttft_s: float  # request sent -> first token received, as the caller saw it
    tokens_per_s: float  # decode speed after the first token
    finish_reason: str
    prompt_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens whose KV cache was reused from the previous request
    # tokens in the model's KV cache when it stopped (embedded backend only): fewer than
    # prompt_tokens when a cancel interrupted the prompt's evaluation itself
    evaluated_tokens: int = 0
    backend: str = ""
    model: str = ""  # the GGUF file (embedded) or the model id the server answered with

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize_messages(messages: Sequence[Message]) -> list[dict[str, str]]:
    """Plain ``{"role", "content"}`` dicts; a malformed message is a programming error."""
    out = []
    for i, message in enumerate(messages):
        role, content = message.get("role"), message.get("content")
        if role not in ROLES or not isinstance(content, str):
            raise ValueError(f"message {i}: expected role in {ROLES} and str content, "
                             f"got {dict(message)!r}")
        out.append({"role": role, "content": content})
    if not out:
        raise ValueError("no messages")
    return out


def request_body(messages: Sequence[Message] | None, prompt: str | None) -> dict[str, Any]:
    """The part of a request saying what to continue: exactly one of messages or prompt."""
    if (messages is None) == (prompt is None):
        raise ValueError("pass exactly one of messages or prompt")
    if prompt is not None:
        return {"prompt": prompt}
    return {"messages": normalize_messages(messages or [])}


def sampling(cfg: LlmConfig, max_tokens: int | None,
             temperature: float | None) -> dict[str, Any]:
    """How a request picks its tokens, the same for every backend (the call's values, else the
    config's). ``temperature`` 0 or below is sent as 0, greedy decoding: the most likely token
    each time, so the same prompt gives the same text (llama.cpp would take a negative one as
    unscaled random sampling). ``seed`` (``llm.seed`` >= 0) fixes the sampler's random numbers,
    so an answer above 0 repeats too; without it each answer draws its own."""
    temp = cfg.temperature if temperature is None else temperature
    body: dict[str, Any] = {
        "max_tokens": cfg.max_answer_tokens if max_tokens is None else max_tokens,
        "temperature": max(0.0, float(temp))}
    if cfg.seed >= 0:
        body["seed"] = cfg.seed
    return body


def decode_rate(tokens: int, first_token_at: float, last_token_at: float) -> float:
    """Tokens per second after the first one (the first mostly measures prompt processing)."""
    span = last_token_at - first_token_at
    return (tokens - 1) / span if tokens > 1 and span > 0 else 0.0
