"""Graph layer: an upgrade site (``Site``), and the sites rustc does not report after a failed
``use``.

A name whose ``use`` fails has rustc's error type, and nothing reached from it is checked
further: uses of the name, a method or field called on an expression that mentions it, the
value of a workspace fn whose return type names it, and a ``let`` bound from such a value.
Those sites are real but hidden behind the first error; they are kept apart (``follows``, the
failed ``use`` they wait for) instead of being counted as errors of their own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

from ..store.edges import GraphItem
from .api_diff import ApiChange

# Changes that break a mere mention of the item (a `use`, a type in a signature); signature
# changes break calls only.
NAME_BREAKS = ("removed", "moved", "renamed", "kind_changed", "impl_removed")


@dataclass(frozen=True, slots=True)
class Site:
    path: str
    line: int
    name: str  # the workspace item holding the site
    edge: str  # calls, imports, field, variant...
    change: ApiChange  # the API change behind it
    follows: str = ""  # "path:line" of the failed `use` that hides this site, if any
    in_text: bool = False  # found by name in the text, not through a resolved reference
    item_lines: tuple[int, int] = (0, 0)  # the holding item's first and last line (a fix's range)

    def to_json(self) -> dict:
        c = self.change
        return {"path": self.path, "line": self.line, "name": self.name, "edge": self.edge,
                "change": c.kind, "old": c.old, "new": c.new, "old_signature": c.old_signature,
                "new_signature": c.new_signature, "new_docs": c.new_docs,
                "item_start": self.item_lines[0], "item_end": self.item_lines[1]}


def code(line: str) -> str:
    return line.split("//", 1)[0]


def _receiver(text: str, dot: int) -> str:
    """The expression a ``.member`` at ``dot`` is called on: ``start.to(now())`` in
    ``f(a, start.to(now()).ms())``, not the arguments before it."""
    n, depth = dot, 0
    while n > 0:
        ch = text[n - 1]
        if ch in ")]":
            depth += 1
        elif ch in "([":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and not (ch.isalnum() or ch in "_.:!?"):
            break
        n -= 1
    return text[n:dot]


def _spread_error_type(names: dict[str, str], path: str, text: str,
                       items: list[GraphItem]) -> dict[int, dict[str, str]]:
    """rustc's error type spreads: a workspace fn whose return type names a failed import
    returns it (``fn app() -> App<'static>``), and a ``let`` bound from an expression that
    mentions either holds it until the end of its fn. Returns line -> the names in error
    there beyond ``names`` (which gains the fns)."""
    for it in items:
        if it.path == path and it.kind in ("function", "method"):
            ret = it.signature.rpartition("->")[2]
            where = next((w for n, w in names.items()
                          if re.search(rf"\b{re.escape(n)}\b", ret)), "")
            if where:
                names.setdefault(it.name, where)
    fns = sorted(((it.start_line, it.end_line) for it in items
                  if it.path == path and it.kind in ("function", "method")),
                 key=lambda span: span[1] - span[0])
    local: dict[int, dict[str, str]] = defaultdict(dict)
    for n, line in enumerate(text.splitlines(), 1):
        # The value's head only: `budget() - (SteadyTime::now() - x)` still has the type
        # of `budget()`'s `Sub`, as rustc types the operation from its left side.
        bound = re.match(r"\s*let\s+(?:mut\s+)?(\w+)\b[^=]*=[\s&*(]*(\w+)", code(line))
        where = (names | local.get(n, {})).get(bound.group(2), "") if bound else ""
        if where:
            end = next((last for first, last in fns if first <= n <= last), n)
            for after in range(n + 1, end + 1):
                local[after].setdefault(bound.group(1), where)
    return local


def hide_after_failed_use(sites: list[Site], sources: dict[str, str],
                           items: list[GraphItem]) -> list[Site]:
    """A name whose `use` fails has rustc's error type: uses of it, and a method or field
    reached from an expression that mentions it (``start.to(PreciseTime::now())
    .num_milliseconds()``) or a value that holds it, report nothing more."""
    failed: dict[tuple[str, str], str] = {}
    failed_names: dict[str, dict[str, str]] = defaultdict(dict)  # path -> name -> use
    for site in sites:
        if site.edge == "imports" and site.change.kind in NAME_BREAKS:
            where = f"{site.path}:{site.line}"
            failed.setdefault((site.path, site.change.old_qualname), where)
            failed_names[site.path].setdefault(site.change.old.rsplit("::", 1)[-1], where)
    local = {path: _spread_error_type(names, path, sources.get(path, ""), items)
             for path, names in failed_names.items()}
    out = []
    for site in sites:
        key = (site.path, site.change.old_qualname)
        hidden_by = failed.get(key)
        if not hidden_by and site.edge != "imports" and failed_names.get(site.path):
            lines = sources.get(site.path, "").splitlines()
            text = code(lines[site.line - 1]) if 0 < site.line <= len(lines) else ""
            member = site.change.old.rsplit("::", 1)[-1]
            at = re.search(rf"\.\s*{re.escape(member)}\b", text) if member else None
            # Not on the line: the site is where a chain that goes on below starts, and the
            # whole line is its receiver (`App::new("x")` then `.setting(..)`).
            receiver = _receiver(text, at.start()) if at else text
            seen = failed_names[site.path] | local[site.path].get(site.line, {})
            hidden_by = next((w for n, w in seen.items()
                              if re.search(rf"\b{re.escape(n)}\b", receiver)), "")
        if site.edge != "imports" and hidden_by:
            site = replace(site, follows=hidden_by)
        out.append(site)
    return out
