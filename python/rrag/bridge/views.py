"""Front end (bridge): the views both editors render, shaped once, in Python.

A view is the lines a float or popup shows, plus ``highlights`` (``{line, group, col}``, 1-based
lines), ``sources`` (jump targets: the view line they sit on, an absolute path and a line) and,
for answers, ``diagnostics`` (names the index does not hold, on the answer lines that use them).
Neovim's Lua and Vim's script only display these: the answer with its sources, the refactor
preview (a unified diff of exactly the lines the request was made for), search results, the
status report, the index summary and progress. The :RragContext body is
``bridge.context_view``'s, the upgrade float ``bridge.upgrade_view``'s.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Callable

from .context_view import answer_meta, context_body, where

MAX_DIAGNOSTICS = 10
MAX_REMEMBERED = 64
STATUS_ORDER = ("root", "db", "files", "items", "edges", "vectors", "embed_pending", "model",
                "schema_version", "db_bytes", "dependency_cfg")
DEFAULT_KEYS = {"accept": "a", "reject": "r", "close": "q"}


def split_text(text: str | None) -> list[str]:
    """Lines of a text; a final newline does not make an extra empty line."""
    lines = (text or "").split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def jump_target(item: dict[str, Any], root: str | None, lnum: int, text: str) -> dict[str, Any]:
    """A jump from view line ``lnum``: the engine's absolute ``file`` when it gave one (always
    for dependency items), else the path under the workspace root."""
    path = Path(str(item.get("file") or item.get("path", "")))
    absolute = path if path.is_absolute() or not root else Path(root) / path
    return {"lnum": lnum, "path": str(absolute), "line": int(item.get("start_line") or 1),
            "end_line": int(item.get("end_line") or item.get("start_line") or 1), "text": text}


def answer_view(result: dict[str, Any], root: str | None, inline_marks: bool) -> dict[str, Any]:
    """The final answer: its text, a ``## Sources`` list, then the names it uses that the index
    does not hold. ``sources`` jump to the sources, ``grounding`` (from the list of missing
    names) and each diagnostic's ``target`` to the nearest real item. ``inline_marks``: mark the
    answer lines in the text itself (Vim's popup has no diagnostics; Neovim shows
    ``diagnostics`` as virtual text instead)."""
    lines = split_text(result.get("text")) + ["", "## Sources"]
    highlights = [{"line": len(lines), "group": "RragHeader", "col": 0}]
    sources = []
    for src in result.get("sources") or []:
        lines.append(f"- {where(src)}  {src.get('name') or ''}".rstrip())
        highlights.append({"line": len(lines), "group": "RragSource", "col": 2})
        sources.append(jump_target(src, root, len(lines),
                                   f"{src.get('name') or ''} ({src.get('why') or 'context'})"))
    if not sources:
        lines.append("(none)")
    diagnostics: list[dict[str, Any]] = []
    grounding: list[dict[str, Any]] = []
    missing = [g for g in result.get("grounding") or [] if g.get("found") is False]
    if missing:
        lines += ["", "## Not in the index"]
        highlights.append({"line": len(lines), "group": "RragHeader", "col": 0})
    for entry in missing:
        nearest = (entry.get("nearest_items") or [None])[0]
        for lnum in entry.get("lines") or [entry.get("line", 0)]:
            if not 0 < lnum <= len(lines):
                continue
            target = jump_target(nearest, root, lnum, entry["message"]) if nearest else None
            # verified false: checked only against another std release than the compiler's
            diagnostics.append({"line": lnum, "message": entry["message"], "target": target,
                                "verified": entry.get("verified", True)})
            if inline_marks:
                lines[lnum - 1] += f"  « rrag: `{entry['name']}` not found" + (
                    "" if entry.get("verified", True) else " (unverified)")
        lines.append(f"- line {entry.get('line', 0)}: {entry['message']}")
        highlights.append({"line": len(lines), "group": "RragError", "col": 2})
        if nearest is not None:
            grounding.append(jump_target(nearest, root, len(lines), entry["message"]))
    if result.get("notice"):
        lines += ["", f"note: {result['notice']}"]
    return {"lines": lines, "highlights": highlights, "sources": sources, "grounding": grounding,
            "diagnostics": diagnostics, "meta": result.get("meta") or answer_meta(result)}


def _keys_text(keys: Any) -> str:
    if not keys:
        return "off"
    return "/".join(keys) if isinstance(keys, list) else str(keys)


def refactor_view(result: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The preview of a proposal against the lines the request was made for (``params``:
    ``selection``, ``original`` as sent, the editor's ``keys`` for the hint line)."""
    first, last = (int(x) for x in params.get("selection") or (1, 1))
    original = split_text(params.get("original")) if params.get("original") else []
    replacement = split_text(result.get("replacement"))
    check = result.get("check") or {}
    parses = bool(result.get("parses"))
    keys = DEFAULT_KEYS | dict(params.get("keys") or {})
    # (an instruction's first line: `F` in :RragUpgrade's list sends several)
    lines = [f"Lines {first}-{last}: {str(params.get('instruction', '')).split(chr(10))[0]}",
             "parse: ok" if parses else "parse: FAILED (the proposal is not valid Rust)",
             "cargo check: not run" if not check.get("ran")
             else ("cargo check: ok" if check.get("ok") else "cargo check: FAILED")]
    highlights = [{"line": 1, "group": "RragHeader", "col": 0},
                  {"line": 2, "group": "RragOk" if parses else "RragError", "col": 0},
                  {"line": 3, "group": "RragError" if check.get("ran") and not check.get("ok")
                   else "RragOk", "col": 0}]
    lines += ["  " + " ".join(str(d).split()) for d in (check.get("diagnostics") or [])
              [:MAX_DIAGNOSTICS]]
    lines.append(" · ".join(f"{_keys_text(keys[k])} {k}" for k in ("accept", "reject", "close")))
    highlights.append({"line": len(lines), "group": "RragMeta", "col": 0})
    lines.append("")
    diff_start = len(lines) + 1
    if replacement == original:
        lines.append("(the proposal is identical to the selected lines)")
    else:
        lines += [line.rstrip("\n") for line in difflib.unified_diff(
            original, replacement, f"a/lines {first}-{last}", "b/proposal", n=3, lineterm="")]
    return {"lines": lines, "highlights": highlights, "diff_start": diff_start,
            "replacement": replacement, "original": original, "first": first, "last": last,
            "parses": parses, "identical": replacement == original}


def search_view(result: dict[str, Any], root: str | None) -> dict[str, Any]:
    """:RragSearch: the results as quickfix entries, best first."""
    sources = []
    for n, hit in enumerate(result.get("results") or [], 1):
        dep = f", {where(hit)}" if hit.get("version") else ""
        score = float(hit.get("score") or 0)
        text = f"{hit.get('kind') or '':<8} {hit.get('name') or ''}  ({score:.2f}{dep})"
        sources.append(jump_target(hit, root, n, text))
    return {"sources": sources, "title": f"rrag search: {result.get('query') or ''}"}


def status_lines(result: dict[str, Any]) -> list[str]:
    host = result.get("host") or {}
    lines = [f"{key:<15} {result[key]}" for key in STATUS_ORDER if result.get(key) is not None]
    lines.append(f"{'host':<15} {host.get('python', '?')} ({host.get('transport', '?')}, "
                 f"pid {host.get('pid', '?')})")
    running = f", running: {host['running']}" if host.get("running") else ""
    lines.append(f"{'jobs':<15} {host.get('jobs_queued', 0)} queued{running}")
    if (result.get("freshness") or {}).get("text"):
        lines.append(f"{'freshness':<15} {result['freshness']['text']}")
    lines += ["", "Last errors:"]
    errors = list(result.get("last_errors") or []) + list(host.get("errors") or [])
    for err in errors:
        text = err.get("text") or err.get("message") if isinstance(err, dict) else None
        lines.append("  " + " ".join(str(text or err).split()))
    if not errors:
        lines.append("  (none)")
    return lines


def index_summary(result: dict[str, Any], root: str | None) -> str:
    if result.get("skipped"):
        return f"rrag: re-index skipped: {result['skipped']}"
    report, stats = result.get("report") or {}, result.get("stats") or {}
    problems = len(report.get("errors") or [])
    tail = f" ({problems} problems, see :RragStatus)" if problems else ""
    return (f"rrag: indexed {root or stats.get('root', '?')}: "
            f"{report.get('files_parsed', 0)} files parsed, "
            f"{report.get('files_unchanged', 0)} unchanged, {report.get('files_removed', 0)} "
            f"removed; {stats.get('items', report.get('items', 0))} items, "
            f"{stats.get('vectors', 0)} vectors in {float(report.get('seconds') or 0):.1f} s{tail}")


# The words `rrag index` prints on stderr for each phase (python/rrag/service/progress.py).
PHASE_LABELS = {"resolve": "resolving dependencies", "indexing": "files parsed",
                "dependencies": "dependency crates", "graph": "graph", "embed": "vectors"}


def progress_text(event: dict[str, Any]) -> str:
    """The statusline's words for an index in progress."""
    total = int(event.get("total") or 0)
    counts = f" {event.get('done', 0)}/{total}" if total > 0 else ""
    phase = str(event.get("phase") or "indexing")
    return f"rrag: {PHASE_LABELS.get(phase, phase)}{counts}"


def context_popup(result: dict[str, Any], root: str | None) -> dict[str, Any]:
    """Vim's :RragContext popup: a budget line and Vim's keys over the shared body (Neovim draws
    its own budget meter and pin/exclude keys over the same body): the packed items, then the
    best ones that did not fit, numbered for the digit keys that pin them."""
    budget, tokens = int(result.get("budget") or 0), int(result.get("tokens") or 0)
    share = f" ({round(100 * tokens / budget)} %)" if budget else ""
    head = [f"Budget: {tokens} / {budget} tokens{share}",
            "l quickfix list · 1-9 pin an item that did not fit · q close", ""]
    if (result.get("freshness") or {}).get("text"):  # when the index was brought up to date
        head.insert(1, result["freshness"]["text"])
    body = result.get("view") or context_body(result)
    sources, left_out = [], []
    for row in body["rows"]:
        item = row["item"]
        if item is None or row["hl"] == "RragWhy":
            continue
        if row["left_out"]:
            left_out.append({"id": item.get("id"), "name": item.get("name")})
            continue
        why = " ".join(str(item.get("why") or "").split())
        sources.append(jump_target(item, root, len(head) + row["line"],
                                   f"{item.get('name') or ''} ({item.get('mode')}: {why})"))
    return {"lines": head + body["lines"], "sources": sources, "left_out": left_out,
            "meta": f"{len(sources)} items · {tokens} tokens"}


def why_view(result: dict[str, Any], root: str | None) -> dict[str, Any]:
    """:RragWhy: each item with where it is, whether it was packed, and every score part."""
    lines: list[str] = []
    highlights: list[dict[str, Any]] = []
    sources = []
    for item in result.get("items") or []:
        lines.append(f"{item.get('name') or '?'}  ({where(item)})")
        highlights.append({"line": len(lines), "group": "RragHeader", "col": 0})
        sources.append(jump_target(item, root, len(lines), str(item.get("name") or "")))
        packed = f"packed as {item.get('mode')}, {int(item.get('tokens') or 0)} tokens" \
            if item.get("packed") else "did not fit the budget"
        lines += [f"  {packed}", f"  score {float(item.get('score') or 0):.4f}"]
        parts = sorted((item.get("components") or {}).items(), key=lambda kv: -float(kv[1]))
        lines += [f"    {name:<10} {float(value):.4f}" for name, value in parts]
        lines += ["  why: " + " ".join(str(item.get("why") or "").split()), ""]
    if not lines:
        wanted = result.get("name") or "anything"
        lines = [f"The context at the cursor holds nothing named like {wanted!r}."]
    meta = f"{len(sources)} items · context {result.get('tokens', 0)} / " \
        f"{result.get('budget', 0)} tokens"
    return {"lines": lines, "highlights": highlights, "sources": sources, "meta": meta}


# The views of the commands the protocol shows generically (protocol.Command): method -> view.
GENERIC_VIEWS: dict[str, Callable[[dict[str, Any], str | None], dict[str, Any]]] = {
    "why": why_view}


class Shaper:
    """Adds ``view`` (and a progress event's ``text``) to the events the bridge sends, using
    the request each one answers; ``vim``: the front end is Vim's (marks inline, popup header)."""

    def __init__(self, vim: bool) -> None:
        self.vim = vim
        self._requests: dict[Any, dict[str, Any]] = {}

    def remember(self, method: str, params: dict[str, Any]) -> None:
        if method == "refactor" and params.get("lines") and not params.get("original"):
            params["original"] = "\n".join(params["lines"]) + "\n"
        if params.get("id") is None:
            return
        if len(self._requests) >= MAX_REMEMBERED:
            self._requests.pop(next(iter(self._requests)))
        self._requests[params["id"]] = params

    def shape(self, event: dict[str, Any]) -> dict[str, Any]:
        kind, etype = event.get("kind"), event.get("type")
        if etype == "progress":
            return event | {"text": progress_text(event)}
        if etype in ("error", "cancelled"):
            self._requests.pop(event.get("id"), None)
        if etype != "result" or not isinstance(event.get("result"), dict):
            return event
        result, root = event["result"], event.get("root")
        params = self._requests.pop(event.get("id"), {})
        if kind in GENERIC_VIEWS:
            return event | {"view": GENERIC_VIEWS[kind](result, root)}
        if kind in ("ask", "explain"):
            return event | {"view": answer_view(result, root, inline_marks=self.vim)}
        if kind == "refactor":
            return event | {"view": refactor_view(result, params)}
        if kind == "search":
            return event | {"view": search_view(result, root)}
        if kind == "context" and self.vim:
            return event | {"view": context_popup(result, root)}
        if kind == "status":
            return event | {"view": {"lines": status_lines(result)}}
        if kind in ("index", "reindex"):
            return event | {"view": {"summary": index_summary(result, root)}}
        return event
