"""Service layer: context, ask and explain — the model-facing operations (generate and refactor:
rrag.service.proposals).

Glue between the rank layer (what goes into the prompt), the llm layer (the backend, prompts,
response checks) and the store. The budget for the context is the request's budget, or the
model's context minus the prompt's fixed part minus the tokens reserved for the answer. The
backend starts lazily (the embedded one in its own process) and is reused across requests so
llama.cpp can reuse its KV cache for a shared prefix.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import Config
from ..errors import NotFound, RragError
from ..llm import prompts
from ..llm.backends import Backend, make_backend
from ..llm.loop_guard import generate_guarded
from ..llm.model_file import DEMO_NOTICE, is_demo_model
from ..rank.context import ContextPack
from ..rank.packing import pack_hierarchical
from ..rank.ranking import RankingEngine, Request, SemanticFn, Signals
from ..store import Store
from ..store import deps as deps_db
from ..store import items as items_db
from ..store import vectors as vec_db
from .cache import Precacher, ResultCache, request_key
from .grounding import Grounder
from .history import GitHistory
from .proposals import Proposing

TokenFn = Callable[[str], None]
MAX_CANDIDATES = 240  # ranked best first; packing counts tokens only as far as it reads
SOURCE_FIELDS = ("path", "name", "start_line", "end_line", "why", "crate", "version")


class Assistant(Proposing):
    def __init__(self, root: Path, config: Config, store: Callable[[], Store],
                 crates: Callable[[], list[tuple[str, str]]],
                 semantic: SemanticFn | None = None) -> None:
        self.root = root
        self.semantic_hits = semantic  # vector neighbours of a question (the engine's searcher)
        self.config = config
        self._store = store
        self._crates = crates
        self._backend: Backend | None = None
        self._lock = threading.Lock()
        self.results = ResultCache()
        self._counts: dict[str, int] = {}
        self._history = GitHistory(root)
        # Foreground requests and pre-caching take turns; re-entrant, since the overlay of unsaved
        # buffers (service.overlay, set by the engine) holds it around a whole request.
        self.compute_lock = self._compute_lock = threading.RLock()
        self.precacher = Precacher(self._precache_one, self._compute_lock)
        self.overlay: Any = None
        self.grounder = Grounder(store)

    def _view(self) -> Any:
        """The unsaved buffers laid over the index (if the request has any)."""
        return self.overlay.applied() if self.overlay is not None else contextlib.nullcontext()

    def _overlaid(self) -> bool:
        return self.overlay is not None and self.overlay.active and bool(self.overlay.texts)

    # -- model -----------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        with self._lock:
            if self._backend is None:
                self._backend = make_backend(self.config.llm)
            return self._backend

    @property
    def backend_loaded(self) -> bool:
        return self._backend is not None

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """Exact counts in the model's tokenizer; item renders repeat across requests, so
        counts are remembered per text (a text's count never changes for one model)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._counts))
        if missing:
            many = getattr(self.backend, "count_tokens_many", None)
            counted = list(many(missing)) if many is not None else \
                [self.backend.count_tokens(t) for t in missing]
            if len(self._counts) > 20_000:
                self._counts.clear()
            self._counts.update(zip(missing, counted))
        return [self._counts[t] for t in texts]

    def cancel(self) -> None:
        if self._backend is not None:
            self._backend.cancel()

    def close(self) -> None:
        self.precacher.close()
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    # -- retrieval -------------------------------------------------------------------------
    def context(self, path: str | None, line: int | None, query: str | None = None,
                budget: int | None = None, task: str = "ask", pinned: Sequence[str] = (),
                excluded: Sequence[str] = (), selection: tuple[int, int] | None = None,
                open_paths: Sequence[str] = (), use_cache: bool = True) -> ContextPack:
        """The ranked, packed context (cached until a contributing file changes)."""
        budget = self.config.context.budget if budget is None else int(budget)
        key = request_key(query, path, self._anchor(path, line, selection), budget, task,
                          pinned, excluded, selection, open_paths, self._index_state())
        overlaid = self._overlaid()  # a context of unsaved text is this request's alone
        if use_cache and not overlaid:
            cached = self.results.get(key)
            if cached is not None:
                return cached
        with self._compute_lock:
            ctx = self._compute(Request(path, line, query, selection, pinned, excluded, task,
                                        open_paths), budget)
        if not overlaid:
            files = {p.candidate.path for p in ctx.items} | ({path} if path else set())
            self.results.put(key, ctx, files)
        return ctx

    def _compute(self, req: Request, budget: int) -> ContextPack:
        store = self._store()
        ranker = RankingEngine(store, self.config.context, self.semantic_hits)
        ranked = ranker.rank(req, Signals(self._history.change_times()))
        return pack_hierarchical(ranked[:MAX_CANDIDATES], budget, self.count_many,
                                 task=req.task, nearby=ranker.nearby, cursor_path=req.path or "")

    def _anchor(self, path: str | None, line: int | None,
                selection: tuple[int, int] | None) -> Any:
        """What a cursor position means to the ranker: the innermost item holding the line
        (every line of one item gives the same context, so they share a cache entry)."""
        if not path or line is None or selection is not None:
            return line
        rows = [r for r in items_db.items_at(self._store(), path, line) if r.kind != "file"]
        return rows[0].id if rows else line

    def _index_state(self) -> int:
        """Vectors fill in after the structural index: a context ranked without them is not
        the answer once they exist."""
        if self.semantic_hits is None:
            return 0
        try:
            return vec_db.max_vector_id(self._store())  # O(1): grows with every new vector
        except RragError:
            return 0

    def files_changed(self, paths: Sequence[str]) -> int:
        """Called by the engine after an index run: drop the results those files fed."""
        return self.results.invalidate(paths)

    def precache(self, path: str, lines: Sequence[int]) -> None:
        """Compute (in the background, low priority) the context at each of ``lines``."""
        self.precacher.submit(path, lines)

    def _precache_one(self, path: str, line: int) -> None:
        budget = self.config.context.budget
        key = request_key(None, path, self._anchor(path, line, None), budget, "ask", (), (),
                          None, (), self._index_state())
        if key in self.results:
            return
        ctx = self._compute(Request(path, line), budget)
        self.results.put(key, ctx, {p.candidate.path for p in ctx.items} | {path})

    def _budget_for(self, parts: prompts.PromptParts) -> int:
        fixed = self.count_many([parts.text()])[0]
        llm = self.config.llm
        n_ctx = llm.n_ctx or 2048
        return max(0, min(self.config.context.budget, n_ctx - fixed - llm.max_answer_tokens - 32))

    def _run(self, req: Request, on_token: TokenFn | None, cancel: threading.Event | None,
             **fields: str) -> tuple[str, ContextPack, Any]:
        """One model turn for ``req`` (its ``task`` names the prompt; ``fields`` fill it)."""
        crates = self._crates()
        budget = self._budget_for(prompts.overhead(req.task, crates, **fields))
        with self._view():
            ctx = self.context(req.path, req.line, req.query, budget, req.task, req.pinned,
                               req.excluded, req.selection)
        parts = prompts.build(req.task, ctx.prompt, crates, **fields)
        done = generate_guarded(self.backend, parts.messages(), on_token=on_token,
                                cancel_event=cancel)
        return done.text, ctx, done

    def located(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Adds ``file`` to each item: its absolute path, under the workspace root or, for a
        dependency item (whose ``path`` is relative to its crate), under the folder the locked
        version was indexed from. Front ends open that file to jump to the item."""
        folders = deps_db.folders(self._store()) if any(i.get("version") for i in items) else {}
        for item in items:
            base = folders.get((str(item.get("crate")), item["version"])) \
                if item.get("version") \
                else str(self.root)
            if base:
                item["file"] = str(Path(base) / item["path"])
        return items

    def ground(self, text: str, path: str | None = None,
               line: int | None = None) -> dict[str, Any]:
        """Every Rust name ``text`` uses, checked against the index (rrag.service.grounding);
        through the unsaved buffers when the request has any."""
        with self._view():
            outcome = self.grounder.ground(text, path, line)
            entries = [g.to_json() for g in outcome.checked]
            for entry in entries:
                if not entry["found"]:
                    entry["nearest_items"] = self.grounder.nearest_items(entry["nearest"])
        return {"grounding": entries, "unchecked": outcome.unchecked}

    @staticmethod
    def _sources(ctx: ContextPack) -> list[dict[str, Any]]:
        return [{key: value for key, value in p.to_json().items() if key in SOURCE_FIELDS}
                for p in ctx.items]

    def _answer(self, text: str, ctx: ContextPack, done: Any, path: str | None = None,
                line: int | None = None) -> dict[str, Any]:
        return {"text": text, "sources": self._sources(ctx),
                "grounding": self.ground(text, path, line)["grounding"],
                "ttft_s": round(done.ttft_s, 3),
                "tokens_per_s": round(done.tokens_per_s, 2), "context_tokens": ctx.tokens,
                "finish_reason": done.finish_reason, "backend": done.backend,
                "model": done.model, "model_name": self._model_name(done),
                "notice": DEMO_NOTICE if is_demo_model(self.config.llm) else None}

    def _model_name(self, done: Any) -> str:
        """The answering model as the user knows it: the name it was picked by, else the file's
        or the server's model name; "" for the bundled demo model."""
        if is_demo_model(self.config.llm):
            return ""
        return self.config.llm.model_name or (Path(done.model).name if done.backend ==
                                              "embedded" else done.model)

    def ask(self, question: str, path: str | None = None, line: int | None = None,
            selection: tuple[int, int] | None = None, on_token: TokenFn | None = None,
            cancel: threading.Event | None = None, pinned: Sequence[str] = (),
            excluded: Sequence[str] = ()) -> dict[str, Any]:
        if not question.strip():
            raise RragError("the question is empty", "type a question after :RragAsk")
        req = Request(path, line, question, selection, pinned, excluded, task="ask")
        text, ctx, done = self._run(req, on_token, cancel, question=question)
        return self._answer(text, ctx, done, path, line)

    def _code(self, path: str, start: int, end: int) -> str:
        unsaved = self.overlay.text(path) if self.overlay is not None else None
        if unsaved is not None:
            text = unsaved  # the editor's buffer: lines refer to it
        elif deps_db.is_dependency_path(path):  # its sources as they were indexed
            text = deps_db.source_text(self._store(), path) or ""
        else:
            try:
                text = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                raise NotFound(f"cannot read {path}: {exc.strerror}",
                               "save the buffer first") from exc
        return "\n".join(text.splitlines()[start - 1:end])

    def _item_span(self, path: str, line: int) -> tuple[int, int]:
        rows = [r for r in items_db.items_at(self._store(), path, line) if r.kind != "file"]
        if not rows:
            return line, line
        return rows[0].start_line, rows[0].end_line

    def explain(self, path: str, line: int | None = None,
                selection: tuple[int, int] | None = None, on_token: TokenFn | None = None,
                cancel: threading.Event | None = None) -> dict[str, Any]:
        with self._view():
            start, end = selection or self._item_span(path, line or 1)
        code = self._code(path, start, end)
        where = f"{deps_db.shown_path(self._store(), path)}:{start}-{end}"
        req = Request(path, line or start, code[:200], (start, end), task="explain")
        text, ctx, done = self._run(req, on_token, cancel, code=code, where=where)
        return self._answer(text, ctx, done, path, line or start)
