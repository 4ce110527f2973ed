"""Service layer: generate and refactor — proposals checked, repaired and never applied.

Part of the ``Assistant`` (a mixin: it uses the assistant's retrieval, model and grounding).
Each proposal is extracted from the answer and checked: tree-sitter parse, ``cargo check`` of
a scratch copy with the edit spliced in (refactor), and grounding of the names it uses. A
failed proposal goes to the repair loop (rrag.service.repair): up to ``llm.repair_attempts``
more turns, each carrying the failures and the real definitions they point at. The result is
the last attempt plus every attempt's own result (``attempts``); the user accepts or rejects.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Protocol

from ..config import Config
from ..errors import RragError
from ..llm import prompts
from ..llm.backends import Backend
from ..llm.response import cargo_check, check_dict, extract_code, parses
from ..rank.context import ContextPack
from ..rank.ranking import Request
from ..store import Store
from ..store import deps as deps_db
from .repair import Attempt, repair

TokenFn = Callable[[str], None]


class ProposalHost(Protocol):
    """What generate and refactor use of the ``Assistant`` they are part of (its retrieval,
    model and grounding); ``Proposing``'s methods are typed against it."""

    root: Path
    config: Config
    overlay: Any
    grounder: Any
    _store: Callable[[], Store]
    _crates: Callable[[], list[tuple[str, str]]]

    @property
    def backend(self) -> Backend: ...

    def _run(self, req: Request, on_token: TokenFn | None, cancel: threading.Event | None,
             **fields: str) -> tuple[str, ContextPack, Any]: ...

    def ground(self, text: str, path: str | None = None,
               line: int | None = None) -> dict[str, Any]: ...

    def _answer(self, text: str, ctx: ContextPack, done: Any, path: str | None = None,
                line: int | None = None) -> dict[str, Any]: ...

    def _code(self, path: str, start: int, end: int) -> str: ...

    def _sources(self, ctx: ContextPack) -> list[dict[str, Any]]: ...

    def _repair(self, task: str, first: Attempt, evaluate: Callable[[str, int], Attempt],
                fields: dict[str, str], on_token: TokenFn | None,
                cancel: threading.Event | None) -> list[Attempt]: ...

    def _recording(self, on_token: TokenFn | None) -> tuple[list[str], TokenFn]: ...


class Proposing:
    """generate / refactor for ``Assistant`` (see ``ProposalHost``)."""

    def _repair(self: ProposalHost, task: str, first: Attempt,
                evaluate: Callable[[str, int], Attempt],
                fields: dict[str, str], on_token: TokenFn | None,
                cancel: threading.Event | None) -> list[Attempt]:
        # The follow-up turns restate the task without the context block: the definitions
        # the failures point at replace it, and a small model's context stays free.
        base = prompts.build(task, "", self._crates(), **fields).messages()
        return repair(first, evaluate, self.backend, base, self.config.llm.repair_attempts,
                      self.grounder.table, self._store, on_token, cancel)

    @staticmethod
    def _recording(on_token: TokenFn | None) -> tuple[list[str], TokenFn]:
        """Everything streamed (every attempt and the notes between them), for ``text``."""
        seen: list[str] = []

        def forward(piece: str) -> None:
            seen.append(piece)
            if on_token is not None:
                on_token(piece)
        return seen, forward

    def generate(self: ProposalHost, instruction: str, path: str | None = None,
                 line: int | None = None,
                 on_token: TokenFn | None = None,
                 cancel: threading.Event | None = None) -> dict[str, Any]:
        """New code for a request, with the cursor's surroundings and the question's matches as
        context; the code is extracted, parse-checked and grounded, never inserted here."""
        seen, forward = self._recording(on_token)
        req = Request(path, line, instruction, task="generate")
        text, ctx, done = self._run(req, forward, cancel, instruction=instruction)

        def evaluate(answer: str, number: int) -> Attempt:
            code = extract_code(answer)
            return Attempt(number, answer, code, parses(code), None,
                           self.ground(code, path, line)["grounding"])

        attempts = self._repair("generate", evaluate(text, 0), evaluate,
                                {"instruction": instruction}, forward, cancel)
        final = attempts[-1]
        return self._answer("".join(seen) or text, ctx, done, path, line) | {
            "code": final.code, "parses": final.parses, "grounding": final.grounding,
            "attempts": [a.to_json() for a in attempts]}

    def refactor(self: ProposalHost, path: str, start_line: int, end_line: int, instruction: str,
                 on_token: TokenFn | None = None, cancel: threading.Event | None = None,
                 original: str | None = None) -> dict[str, Any]:
        if deps_db.is_dependency_path(path):
            raise RragError("this file is a dependency's source at its locked version",
                            "refactor the workspace's own code; a dependency changes by "
                            "changing its version in Cargo.toml")
        code = self._code(path, start_line, end_line) if original is None else original
        fields = {"code": code, "instruction": instruction,
                  "where": f"{path}:{start_line}-{end_line}"}
        req = Request(path, start_line, instruction, (start_line, end_line), task="refactor")
        text, ctx, done = self._run(req, on_token, cancel, **fields)
        unsaved = self.overlay.text(path) if self.overlay is not None else None

        def evaluate(answer: str, number: int) -> Attempt:
            replacement = extract_code(answer)
            # cargo check runs even when tree-sitter finds errors: its diagnostics say what is
            # wrong in words the user (and the repair turn) can act on.
            check = cargo_check(self.root, path, start_line, end_line, replacement, unsaved)
            return Attempt(number, answer, replacement, parses(replacement), check,
                           self.ground(replacement, path, start_line)["grounding"])

        attempts = self._repair("refactor", evaluate(text, 0), evaluate, fields, on_token,
                                cancel)
        final = attempts[-1]
        return {"path": path, "start_line": start_line, "end_line": end_line, "original": code,
                "replacement": final.code, "parses": final.parses,
                "check": check_dict(final.check) if final.check else None,
                "grounding": final.grounding,
                "sources": self._sources(ctx), "attempts": [a.to_json() for a in attempts]}
