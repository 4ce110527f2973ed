"""Front end (vimhost): the text the Vim front end shows, shaped once, in Python.

Vim script only displays lines and applies a replacement: the answer with its sources, the
refactor preview (check lines and a unified diff of the exact lines the request was made for),
the context with why each item was chosen, search results, the status report and the one-line
index summary are built here from the engine's results, so the two front ends share the
engine's data and Vim script stays free of formatting logic.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from ..bridge.context_view import answer_meta, context_body, where

MAX_REMEMBERED = 64
MAX_DIAGNOSTICS = 10
STATUS_ORDER = ("root", "db", "files", "items", "edges", "vectors", "embed_pending", "queue",
                "model", "schema_version", "db_bytes")


def split_text(text: str | None) -> list[str]:
    """Lines of a text; a final newline does not make an extra empty line."""
    lines = (text or "").split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def jump_target(item: dict[str, Any], root: str | None, lnum: int, text: str) -> dict[str, Any]:
    """A quickfix entry for an item: the engine's absolute ``file`` when it gave one (always for
    dependency items), else the path under the workspace root."""
    path = Path(str(item.get("file") or item.get("path", "")))
    absolute = path if path.is_absolute() or not root else Path(root) / path
    return {"lnum": lnum, "path": str(absolute), "line": int(item.get("start_line") or 1),
            "text": text}


def answer_view(result: dict[str, Any], root: str | None) -> dict[str, Any]:
    """The final answer: its text, a ``## Sources`` list and where each source line points."""
    lines = split_text(result.get("text")) + ["", "## Sources"]
    sources = []
    for src in result.get("sources") or []:
        lines.append(f"- {where(src)}  {src.get('name') or ''}".rstrip())
        sources.append(jump_target(src, root, len(lines),
                                   f"{src.get('name') or ''} ({src.get('why') or 'context'})"))
    if not sources:
        lines.append("(none)")
    grounding = _grounding(result, root, lines)
    if result.get("notice"):
        lines += ["", f"note: {result['notice']}"]
    return {"lines": lines, "sources": sources, "grounding": grounding,
            "meta": result.get("meta") or answer_meta(result)}


def _grounding(result: dict[str, Any], root: str | None, lines: list[str]) -> list[dict]:
    """Names the index does not hold: each answer line using one is marked at its end, a
    ``## Not in the index`` section lists them, and the returned quickfix entries point at the
    nearest real item of each (Vim's popup cannot take a diagnostic)."""
    missing = [g for g in result.get("grounding") or [] if g.get("found") is False]
    if not missing:
        return []
    lines += ["", "## Not in the index"]
    entries = []
    for entry in missing:
        for lnum in entry.get("lines") or [entry.get("line", 0)]:
            if 0 < lnum <= len(lines):
                lines[lnum - 1] += f"  « rrag: `{entry['name']}` not found" + (
                    "" if entry.get("verified", True) else " (unverified)")
        lines.append(f"- line {entry.get('line', 0)}: {entry['message']}")
        nearest = (entry.get("nearest_items") or [None])[0]
        if nearest is not None:
            entries.append(jump_target(nearest, root, len(lines), entry["message"]))
    return entries


def refactor_view(result: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The preview of a proposal against the lines the request was made for (``params``)."""
    first, last = (int(x) for x in params.get("selection") or (1, 1))
    original = [str(line) for line in params.get("lines") or []]
    replacement = split_text(result.get("replacement"))
    check = result.get("check") or {}
    parses = bool(result.get("parses"))
    # (an instruction's first line: `F` in :RragUpgrade's list sends several)
    lines = [f"Lines {first}-{last}: {str(params.get('instruction', '')).split(chr(10))[0]}",
             "parse: ok" if parses else "parse: FAILED (the proposal is not valid Rust)",
             "cargo check: not run" if not check.get("ran")
             else ("cargo check: ok" if check.get("ok") else "cargo check: FAILED")]
    lines += ["  " + " ".join(str(d).split()) for d in (check.get("diagnostics") or [])
              [:MAX_DIAGNOSTICS]]
    lines += ["a accept · r reject · q close", ""]
    diff_start = len(lines) + 1
    if replacement == original:
        lines.append("(the proposal is identical to the selected lines)")
    else:
        lines += [line.rstrip("\n") for line in difflib.unified_diff(
            original, replacement, f"a/lines {first}-{last}", "b/proposal", n=3, lineterm="")]
    return {"preview": lines, "diff_start": diff_start, "replacement": replacement,
            "original": original, "first": first, "last": last, "parses": parses,
            "identical": replacement == original}


def context_view(result: dict[str, Any], root: str | None) -> dict[str, Any]:
    """:RragContext: the budget and Vim's keys over the shared body (``bridge.context_view``):
    the packed items, then the best ones that did not fit, numbered for the digit keys that pin
    them; ``sources`` (the packed items) feed the quickfix list, ``left_out`` the pins."""
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


def progress_text(event: dict[str, Any]) -> str:
    total = int(event.get("total") or 0)
    counts = f" {event.get('done', 0)}/{total}" if total > 0 else ""
    return f"rrag: {event.get('phase') or 'indexing'}{counts}"


class Shaper:
    """Adds the display fields to events, using the request each one answers."""

    def __init__(self) -> None:
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
        if etype != "result" or not isinstance(event.get("result"), dict):
            return event
        result, root = event["result"], event.get("root")
        params = self._requests.pop(event.get("id"), {})
        if kind in ("ask", "explain"):
            return event | {"view": answer_view(result, root)}
        if kind == "refactor":
            return event | {"view": refactor_view(result, params)}
        if kind == "search":
            return event | {"view": search_view(result, root)}
        if kind == "context":
            return event | {"view": context_view(result, root)}
        if kind == "status":
            return event | {"view": {"lines": status_lines(result)}}
        if kind in ("index", "reindex"):
            return event | {"view": {"summary": index_summary(result, root)}}
        return event
