"""A small, fast stand-in for ``rrag.service.engine.Engine``, used ONLY by the UI-mechanics tests
(stale results, refactor accept/reject/edited range, pin/exclude, cancellation) so they do not
wait on the model. The bridge loads it when RRAG_ENGINE_FACTORY=fake_engine:FakeEngine. Every
command is also tested end to end against the real engine (test_e2e_real.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from rrag.service.embedding import EmbedReport
from rrag.service.freshness import Verdict

ANSWER = ("The `area` method computes **pi r squared** for a `Circle`.\n\n"
          "It is used by `total_area`.")
SOURCES = [{"path": "src/shapes.rs", "name": "geo::shapes::Circle::area", "start_line": 7,
            "end_line": 11},
           {"path": "src/lib.rs", "name": "geo::total_area", "start_line": 3, "end_line": 5}]
ITEMS = [
    {"id": "a" * 32, "path": "src/shapes.rs", "name": "geo::shapes::Circle::area", "kind": "method",
     "start_line": 7, "end_line": 11, "mode": "full", "why": "cursor item", "tokens": 40},
    {"id": "b" * 32, "path": "src/shapes.rs", "name": "geo::shapes::Circle", "kind": "struct",
     "start_line": 2, "end_line": 4, "mode": "full", "why": "self type of the cursor item",
     "tokens": 20},
    {"id": "c" * 32, "path": "src/lib.rs", "name": "geo::total_area", "kind": "function",
     "start_line": 3, "end_line": 5, "mode": "signature", "why": "calls the cursor item",
     "tokens": 12},
]
# The best item that did not fit the budget: packed when pinned (as the engine does).
LEFT_OUT = {"id": "d" * 32, "path": "src/lib.rs", "name": "geo::Square", "kind": "struct",
            "start_line": 8, "end_line": 10, "mode": "signature", "why": "graph neighbour",
            "tokens": 30, "score": 0.41, "components": {"graph": 0.3, "usage": 0.11}}


class _Report:
    def __init__(self, files: int) -> None:
        self.files = files

    def to_json(self) -> dict[str, Any]:
        return {"files_parsed": self.files, "files_unchanged": 0, "files_removed": 0, "items": 3,
                "edges": 2, "errors": [], "seconds": 0.01}


class FakeEngine:
    def __init__(self, root: Path, config: Any = None) -> None:
        self.root = Path(root)
        self.config = config
        self.calls: list[str] = []

    def close(self) -> None:
        pass

    def cancel(self) -> None:
        pass

    def _wait(self, flag: str, cancel: threading.Event, timeout: float = 20.0) -> None:
        """Block until the test creates ``<root>/<flag>`` (or the request is cancelled)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and not cancel.is_set():
            if (self.root / flag).exists():
                return
            time.sleep(0.02)

    def _stream(self, text: str, on_token: Callable[[str], None], cancel: threading.Event) -> str:
        out = []
        for word in text.split(" "):
            if cancel.is_set():
                break
            piece = word if not out else " " + word
            out.append(piece)
            on_token(piece)
            time.sleep(0.01)
        return "".join(out)

    def ask(self, question: str, path: str | None, line: int | None,
            selection: tuple[int, int] | None, on_token: Callable[[str], None],
            cancel: threading.Event, pinned: list[str] = [], excluded: list[str] = [],
            buffers: dict | None = None, **_: Any) -> dict:
        if "slow" in question:
            self._wait("release-ask", cancel)
        text = self._stream(f"Q: {question}\n\n{ANSWER}\n\npinned={sorted(pinned)}", on_token,
                            cancel)
        result = {"text": text, "sources": SOURCES, "ttft_s": 0.01, "tokens_per_s": 99.0}
        if "grounded" in question:  # the answer's line 3 names `Circle::area_of`
            result["grounding"] = [
                {"name": "Circle::area_of", "found": False, "checked_against": "workspace",
                 "nearest": ["Circle::area"], "line": 3, "lines": [3],
                 "message": "`Circle::area_of` is not in workspace; nearest: `Circle::area`",
                 "nearest_items": [dict(SOURCES[0])]},
                {"name": "total_area", "found": True, "checked_against": "workspace",
                 "nearest": [], "line": 5, "lines": [5], "message": "found"}]
        return result

    def explain(self, path: str, line: int | None, selection: tuple[int, int] | None,
                on_token: Callable[[str], None], cancel: threading.Event,
                buffers: dict | None = None, **_: Any) -> dict:
        text = self._stream(f"Explaining {Path(path).name}:{line} {selection}. {ANSWER}",
                            on_token, cancel)
        return {"text": text, "sources": SOURCES[:1], "ttft_s": 0.01, "tokens_per_s": 99.0}

    def refactor(self, path: str, start_line: int, end_line: int, instruction: str,
                 on_token: Callable[[str], None], cancel: threading.Event,
                 original: str | None = None, buffers: dict | None = None,
                 **_: Any) -> dict:
        if "wait" in instruction:
            self._wait("release-refactor", cancel)
        original = original or ""
        replacement = original.replace("let mut a", "let mut area").replace("    a\n", "    area\n")
        replacement = replacement.replace("a = std", "area = std")
        on_token("```rust\n" + replacement + "```")
        return {"path": path, "start_line": start_line, "end_line": end_line,
                "original": original, "replacement": replacement, "parses": True,
                "check": {"ran": True, "ok": True, "diagnostics": []}}

    def context(self, path: str, line: int, query: str | None = None, budget: int | None = None,
                task: str = "ask", pinned: list[str] = [], excluded: list[str] = [],
                selection: tuple[int, int] | None = None, buffers: dict | None = None,
                **_: Any) -> dict:
        items = [dict(i, pinned=True) if i["id"] in pinned else dict(i)
                 for i in ITEMS if i["id"] not in excluded]
        left_out = [dict(LEFT_OUT)]
        if LEFT_OUT["id"] in pinned:
            items, left_out = [dict(LEFT_OUT, pinned=True)] + items, []
        tokens = sum(i["tokens"] for i in items)
        # The unsaved buffers the request carried, as the engine would overlay them.
        prompt = "".join(f"// {p}\n{t}" for p, t in sorted((buffers or {}).items())) or "..."
        return {"budget": budget or 100, "tokens": tokens, "items": items, "prompt": prompt,
                "left_out": left_out}

    def search(self, query: str, k: int = 10, buffers: dict | None = None,
               **_: Any) -> list[dict]:
        return [dict(i, score=1.0) for i in ITEMS if query.lower() in i["name"].lower()][:k]

    def locate(self, items: list[dict]) -> list[dict]:
        for item in items:
            item["file"] = str(self.root / item["path"])
        return items

    def index(self, embed: bool = True, progress: Callable[[str, int, int], None] = lambda *a: None,
              **_: Any):
        total = 40 if (self.root / "slow-index").exists() else 4
        for i in range(1, total + 1):
            progress("parsing", i, total)
            time.sleep(0.05)
        return _Report(total)

    def stats(self) -> dict[str, Any]:
        return {"root": str(self.root), "db": str(self.root / "fake.sqlite"), "files": 2,
                "items": 3, "edges": 2, "vectors": 0}

    # The rest of rrag.service.api.EngineAPI: nothing to refresh, embed or precache here.
    index_runs = 0

    def refresh(self) -> Verdict:
        return Verdict(fresh=True)

    def embed_pending(self, **_: Any) -> EmbedReport:
        return EmbedReport()

    def precache(self, path: str, only_if_model_loaded: bool = False) -> int:
        return 0

    def status(self) -> dict[str, Any]:
        return self.stats() | {"model": "fake", "last_errors": []}
