"""Front end (bridge): what each request does on the worker thread.

Each function takes ``(emit, engine, job)`` and returns the plain result dict that becomes the
``result`` event; tokens stream through a ``TokenStream`` while the engine works. Requests carry
absolute file paths and 1-based inclusive lines, exactly what the engine accepts.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import RragError
from ..service.api import EngineAPI
from ..service.engine import Engine
from ..service.upgrade import upgrade as upgrade_report
from .context_view import answer_meta, context_body
from .upgrade_view import upgrade_body
from .events import Event, ProgressForwarder, TokenStream
from .worker import ENGINE_FACTORY_ENV, Cancelled, Job

Emit = Callable[[Event], None]


def _selection(params: dict[str, Any]) -> tuple[int, int] | None:
    sel = params.get("selection")
    if not sel:
        return None
    start, end = int(sel[0]), int(sel[1])
    return (min(start, end), max(start, end))


def _line(params: dict[str, Any]) -> int | None:
    line = params.get("line")
    return int(line) if line else None


def _buffers(params: dict[str, Any]) -> dict[str, Any]:
    """The unsaved buffers (path -> text) the bridge resolved for this request, as the
    engine's ``buffers`` argument; nothing when there are none."""
    texts = params.get("buffers")
    return {"buffers": texts} if texts else {}


def _streaming(emit: Emit, engine: EngineAPI, job: Job, call: Callable[[TokenStream], Any]) -> Any:
    stream = TokenStream(emit, job.id)
    try:
        result = call(stream)
    finally:
        stream.flush()
    engine.locate(result.get("sources") or [])  # where a jump to each source opens
    for entry in result.get("grounding") or []:  # and to the real items of a missing name
        engine.locate(entry.get("nearest_items") or [])
    if "text" in result:  # an answer: the footer both editors show
        result["meta"] = answer_meta(result)
    return result


def ask(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    p = job.params
    return _streaming(emit, engine, job, lambda tokens: engine.ask(
        p["question"], p.get("path"), _line(p), _selection(p), on_token=tokens,
        cancel=job.cancel, pinned=list(p.get("pinned") or []),
        excluded=list(p.get("excluded") or []), **_buffers(p)))


def explain(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    p = job.params
    return _streaming(emit, engine, job, lambda tokens: engine.explain(
        p["path"], _line(p), _selection(p), on_token=tokens, cancel=job.cancel, **_buffers(p)))


def refactor(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    p = job.params
    start, end = _selection(p) or (int(p["line"]), int(p["line"]))
    return _streaming(emit, engine, job, lambda tokens: engine.refactor(
        p["path"], start, end, p["instruction"], on_token=tokens, cancel=job.cancel,
        original=p.get("original"), **_buffers(p)))


def context(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    p = job.params
    result = engine.context(
        p["path"], int(p.get("line") or 1), query=p.get("query") or None,
        budget=p.get("budget") or None, task=p.get("task") or "ask",
        pinned=list(p.get("pinned") or []), excluded=list(p.get("excluded") or []),
        selection=_selection(p), **_buffers(p))
    engine.locate(result["items"])
    engine.locate(result.setdefault("left_out", []))
    return result | {"view": context_body(result)}


WHY_ITEMS = 10


def why(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    """:RragWhy [name]: the context at the cursor, then the items whose name holds ``name``
    (packed or left out; none given: the top item), each with its score parts."""
    p = job.params
    result = engine.context(p["path"], int(p.get("line") or 1), selection=_selection(p),
                            **_buffers(p))
    wanted = str(p.get("name") or "").strip()
    items = [dict(i, packed=True) for i in result["items"]] + \
        [dict(i, packed=False) for i in result.get("left_out") or []]
    chosen = [i for i in items if wanted.lower() in str(i.get("name") or "").lower()] \
        if wanted else items[:1]
    return {"name": wanted, "items": engine.locate(chosen[:WHY_ITEMS]),
            "tokens": result["tokens"], "budget": result["budget"]}


SEARCH_RESULTS = 30  # a quickfix list's worth: more are rarely looked at


def search(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    """The hybrid search of ``rrag search`` over the workspace and its locked dependencies."""
    p = job.params
    query = str(p.get("query") or "")
    results = engine.search(query, int(p.get("k") or SEARCH_RESULTS), **_buffers(p))
    return {"query": query, "results": engine.locate(results)}


def upgrade(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    """``rrag upgrade`` for the editors: the API diff and the sites, each with its file and
    the lines of its float (``view``)."""
    p = job.params
    if not isinstance(engine, Engine):  # it reads both versions' caches through the store
        raise RragError("the upgrade assistant needs rrag's own engine",
                        f"unset {ENGINE_FACTORY_ENV} to use it")
    report = upgrade_report(engine, p.get("crate") or None, p.get("from") or None,
                            p.get("to") or None).to_json()
    engine.locate(report["sites"])
    engine.locate(report["follows"])
    return report | {"view": upgrade_body(report)}


def index(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    """The structural index now (seconds); the vectors fill in afterwards, between requests
    (``Worker.embed_later``), the saved or current file first."""
    progress = ProgressForwarder(emit, job.id, str(job.root), job.cancel, Cancelled)
    report = engine.index(embed=False, progress=progress)
    if job.params.get("embed", True) and job.embed_later is not None:
        job.embed_later(job.root, [job.params["path"]] if job.params.get("path") else [])
    if job.params.get("path"):
        # The saved file's symbols are the likeliest next questions: their contexts are computed
        # in the background (only once the model is loaded anyway).
        engine.precache(job.params["path"], only_if_model_loaded=True)
    return {"report": report.to_json() if hasattr(report, "to_json") else report,
            "stats": engine.stats()}


def check(emit: Emit, engine: EngineAPI, job: Job) -> Any:
    """The freshness check (FocusGained, BufEnter); a re-index it did fills vectors later."""
    verdict = engine.refresh()
    if not verdict.fresh and job.embed_later is not None and \
            engine.config.index.embed_on_index:
        job.embed_later(job.root, [job.params["path"]] if job.params.get("path") else [])
    return {"fresh": verdict.fresh, "reason": verdict.reason}


def status(bridge_state: Callable[[], dict[str, Any]]) -> Callable[[Emit, EngineAPI, Job], Any]:
    def run(emit: Emit, engine: EngineAPI, job: Job) -> Any:
        return engine_status(engine) | bridge_state()
    return run


def engine_status(engine: EngineAPI) -> dict[str, Any]:
    """The engine's full report: index counts, freshness, model, last errors."""
    return engine.status()
