"""Service layer: ``EngineAPI``, what a front end may ask of an engine.

The bridge (both editors) talks to engines only through this Protocol: ``Engine`` satisfies it,
and so must every test double (tests/py/test_engine_api.py compares the members and their
parameters), so the bridge never hedges with ``getattr`` for a method a double lacks. The CLI
and the upgrade assistant, which reach into the store, use ``Engine`` itself.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol, Sequence

from ..config import Config
from .embedding import EmbedReport
from .freshness import Verdict
from .progress import ProgressFn

Cancel = Any  # a threading.Event-like object: ``is_set()``
TokenFn = Callable[[str], None]


class EngineAPI(Protocol):
    config: Config

    @property
    def index_runs(self) -> int:
        """How many index runs this engine recorded (a request's refresh counts)."""

    def close(self) -> None: ...

    def cancel(self) -> None:
        """Stop the model now (a newer request replaced the running one)."""

    def index(self, embed: bool = True, progress: ProgressFn = ...,
              focus: Sequence[str] = (), wait_deps: bool = False,
              dependencies: bool = True) -> Any: ...

    def embed_pending(self, progress: ProgressFn = ...,
                      should_stop: Callable[[], bool] = ...,
                      focus: Sequence[str] = (), batch_items: int = 64,
                      max_priority: int | None = None) -> EmbedReport: ...

    def refresh(self) -> Verdict: ...

    def stats(self) -> dict[str, Any]: ...

    def status(self) -> dict[str, Any]: ...

    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               kinds: Sequence[str] = (), crates: Sequence[str] = (),
               path_prefix: str = "", buffers: Mapping[str, str] | None = None
               ) -> list[dict[str, Any]]: ...

    def context(self, path: str | None, line: int | None, query: str | None = None,
                budget: int | None = None, task: str = "ask", pinned: Sequence[str] = (),
                excluded: Sequence[str] = (), selection: tuple[int, int] | None = None,
                open_paths: Sequence[str] = (),
                buffers: Mapping[str, str] | None = None) -> dict: ...

    def locate(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]: ...

    def precache(self, path: str, only_if_model_loaded: bool = False) -> int: ...

    def ask(self, question: str, path: str | None = None, line: int | None = None,
            selection: tuple[int, int] | None = None, on_token: TokenFn | None = None,
            cancel: Cancel = None, pinned: Sequence[str] = (), excluded: Sequence[str] = (),
            buffers: Mapping[str, str] | None = None) -> dict[str, Any]: ...

    def explain(self, path: str, line: int | None = None,
                selection: tuple[int, int] | None = None, on_token: TokenFn | None = None,
                cancel: Cancel = None,
                buffers: Mapping[str, str] | None = None) -> dict[str, Any]: ...

    def refactor(self, path: str, start_line: int, end_line: int, instruction: str,
                 on_token: TokenFn | None = None, cancel: Cancel = None,
                 original: str | None = None,
                 buffers: Mapping[str, str] | None = None) -> dict[str, Any]: ...


EngineFactory = Callable[[Any, Config], EngineAPI]
