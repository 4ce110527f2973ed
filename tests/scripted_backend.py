"""A backend double that answers from a script: one text per request, in order.

It streams each text in small pieces like a model would, counts tokens as 4 characters each
(the packing only needs a consistent count) and keeps every request's messages, so a test can
read what the second prompt of a repair loop carried."""

from __future__ import annotations

from rrag.llm.completion import Completion


class ScriptedBackend:
    name = "scripted"

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.requests: list[list[dict]] = []

    def generate(self, messages=None, *, prompt=None, max_tokens=None, temperature=None,
                 on_token=None, cancel_event=None, timeout_s=None) -> Completion:
        self.requests.append([dict(m) for m in messages or []])
        if not self.answers:
            raise AssertionError("the script has no answer left for this request")
        text = self.answers.pop(0)
        for i in range(0, len(text), 5):
            if on_token is not None:
                on_token(text[i:i + 5])
        return Completion(text, len(text) // 4, 0.01, 100.0, "stop", backend="scripted",
                          model="script")

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass

    def prompt_text(self, request: int) -> str:
        return "\n".join(m["content"] for m in self.requests[request])
