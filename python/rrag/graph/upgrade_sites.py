"""Graph layer: the workspace sites an API change breaks.

The workspace's stored references are resolved in memory by the ordinary resolution pass
(``graph.build.build_edges``) with the old version of the crate laid into the symbol tables,
whatever version the index holds now: the code was written against it. A reference that
reaches an old item whose change breaks that kind of use (a removed or moved name for a `use`
or a type, changed parameters for a call, a removed impl behind a call) is a site. Fields and enum
variants are not graph items: their changes are found in the text of the workspace items that
use their owner. A changed generic parameter list or return type breaks where the value is
used, not where the type is written (``value_sites``). Like rustc, a failed ``use`` hides the
later uses of that name in its file, so those are kept apart (``hidden_sites``, ``follows``)
rather than counted as sites of their own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from ..parse.workspace import Workspace
from ..store.edges import EdgeRow, GraphItem
from .api_diff import ApiChange
from .build import build_edges
from .hidden_sites import NAME_BREAKS, Site, code as _code, hide_after_failed_use
from .value_sites import calls_of_retyped, verdict

SITE_EDGES = ("calls", "uses_type", "implements", "imports", "trait_bound", "uses_const",
              "invokes_macro")

@dataclass
class Graphs:
    """The inputs: the workspace (with every other dependency), the crate's old version as
    the resolver reads it, and the new version's items."""
    items: list[GraphItem]
    refs: dict[str, list[list]]
    workspace_paths: set[str]
    old_items: list[GraphItem]
    old_refs: dict[str, list[list]]
    new_items: list[GraphItem]  # which methods the new version's types have
    workspace: Workspace | None


def _resolve(g: Graphs, items: list[GraphItem], refs: dict) -> list[EdgeRow]:
    crates = {it.crate for it in g.items if it.path in g.workspace_paths}
    rows = build_edges(g.items + items, g.refs | refs, g.workspace, only=crates)
    return [r for r in rows if r[4] in g.workspace_paths and r[0] in SITE_EDGES]


def find_sites(g: Graphs, changes: list[ApiChange], sources: dict[str, str]) -> list[Site]:
    old_by_id = {it.id: it for it in g.old_items}
    names = {it.id: it.qualname for it in g.items}
    by_qualname: dict[str, list[ApiChange]] = defaultdict(list)
    for change in changes:
        by_qualname[change.old_qualname].append(change)
    sites: list[Site] = []
    users: dict[str, set[tuple[str, str]]] = defaultdict(set)  # old qualname -> (path, item)
    by_id = {it.id: it for it in g.items}
    retyped: dict[str, ApiChange] = {}  # workspace fn -> the change that retypes a parameter
    rows = _resolve(g, g.old_items, g.old_refs)
    for kind, source, target, written, path, line, _cand in rows:
        old = old_by_id.get(target or "")
        if old is None:
            continue
        owner = old.qualname if old.kind in ("struct", "enum", "union") else \
            old.qualname.rsplit("::", 1)[0]
        users[owner].add((path, source))
        parent = old_by_id.get(old.parent or "")
        if parent is not None and parent.kind == "impl":  # `Version::from` of a removed impl
            candidates = by_qualname.get(old.qualname, []) + [
                c for c in by_qualname.get(parent.qualname, []) if c.kind == "impl_removed"]
        else:
            candidates = by_qualname.get(old.qualname, [])
        change = _breaking(candidates, kind)
        if change is None:
            # No breaking change behind it. A reference that no longer resolves though the
            # diff saw nothing (a path only a macro of the new version defines) is no evidence.
            continue
        holder = by_id.get(source)
        found = verdict(change, kind, _code(_line(sources, path, line)), written,
                        holder.signature if holder else "")
        if found == "retyped":
            retyped.setdefault(source, change)
        if found != "site":
            continue
        sites.append(Site(path, line, names.get(source, source), kind, change))
    sites += [Site(path, line, names.get(caller, caller), "calls", change)
              for path, line, caller, change in calls_of_retyped(rows, retyped)]
    spans = {it.id: (it.start_line, it.end_line) for it in g.items}
    methods: dict[str, set[str]] = defaultdict(set)  # new version: type name -> methods
    for it in g.new_items:
        if it.kind == "method" and it.qualname.count("::") > 1:
            methods[it.qualname.rsplit("::", 2)[-2]].add(it.name)
    sites += _member_sites(changes, users, names, spans, sources, methods)
    files = {path for pairs in users.values() for path, _ in pairs}
    sites += _removed_method_calls(changes, g, files, sources)
    hidden = hide_after_failed_use(sites, sources, g.items)
    return [_with_item_lines(s, g.items) for s in _dedupe(hidden)]


def _line(sources: dict[str, str], path: str, line: int) -> str:
    lines = sources.get(path, "").splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _with_item_lines(site: Site, items: list[GraphItem]) -> Site:
    """The innermost workspace item holding the site (a whole `use` line for an import)."""
    holders = [it for it in items if it.path == site.path and it.kind not in
               ("file", "module", "impl") and it.start_line <= site.line <= it.end_line]
    best = min(holders, key=lambda it: it.end_line - it.start_line, default=None)
    lines = (best.start_line, best.end_line) if best else (site.line, site.line)
    return Site(site.path, site.line, site.name, site.edge, site.change, site.follows,
                site.in_text, lines)


def _breaking(changes: list[ApiChange], edge: str) -> ApiChange | None:
    for change in changes:
        if not change.breaking:
            continue
        if change.kind in NAME_BREAKS or edge in ("calls", "implements", "trait_bound") or \
                change.kind in ("bounds", "generics") and edge == "uses_type":
            return change
    return None


def _member_sites(changes: list[ApiChange], users: dict[str, set[tuple[str, str]]],
                  names: dict[str, str], spans: dict[str, tuple[int, int]],
                  sources: dict[str, str], methods: dict[str, set[str]]) -> list[Site]:
    """Uses of changed fields and variants, found in the text of the workspace items that
    use their owner. A changed field whose use calls a method the new field type also has
    (``.pre.is_empty()`` on a ``Vec`` that became ``Prerelease``) still compiles."""
    out: list[Site] = []
    for change in changes:
        if not change.breaking or not change.kind.startswith(("field_", "variant_")):
            continue
        owner_q = change.old_qualname
        member = change.old.rsplit("::", 1)[-1]
        owner_name = change.old.rsplit("::", 2)[-2]
        pattern = re.compile(rf"\.{re.escape(member)}\b(?!\s*\()" if change.kind.startswith(
            "field_") else rf"\b{re.escape(owner_name)}::{re.escape(member)}\b")
        kept = methods.get(_type_name(change.new_signature or ""), set())
        for path, item in sorted(users.get(owner_q, ())):
            first, last = spans.get(item, (0, -1))
            lines = sources.get(path, "").splitlines()
            for n in range(first, min(last, len(lines)) + 1):
                match = pattern.search(_code(lines[n - 1])) if n >= 1 else None
                if match is None:
                    continue
                call = re.match(r"\s*\.\s*(\w+)\s*\(", _code(lines[n - 1])[match.end():])
                if call and call.group(1) in kept:
                    continue
                out.append(Site(path, n, names.get(item, item), change.kind.split("_")[0],
                                change, in_text=True))
    return out


# Method names std types share: a call of one on a receiver of unknown type is no evidence.
COMMON_METHODS = frozenset((
    "new", "from", "into", "clone", "len", "is_empty", "iter", "iter_mut", "get", "get_mut",
    "map", "parse", "to_string", "as_str", "as_ref", "unwrap", "expect", "push", "insert",
    "remove", "contains", "next", "fmt", "eq", "cmp", "partial_cmp", "hash", "default", "read",
    "write", "flush", "take", "first", "last", "split", "join", "with_capacity", "and_then"))


def _removed_method_calls(changes: list[ApiChange], g: Graphs, files: set[str],
                          sources: dict[str, str]) -> list[Site]:
    """Calls of a removed method whose receiver's type the graph could not follow
    (``if let Some(run) = m.subcommand_matches(..) { run.value_of(..) }``): found by name in
    the files that use the crate, when no type of the new version has a method so named."""
    new_methods = {it.name for it in g.new_items if it.kind == "method"}
    removed = {c.old.rsplit("::", 1)[-1]: c for c in changes
               if c.kind == "removed" and c.entry_kind == "method"}
    wanted = {n: c for n, c in removed.items() if n not in new_methods
              and n not in COMMON_METHODS}
    if not wanted:
        return []
    pattern = re.compile(r"\.(" + "|".join(map(re.escape, sorted(wanted))) + r")\s*(::<.*?>)?\(")
    holders = sorted(((it.path, it.start_line, it.end_line, it.qualname) for it in g.items
                      if it.path in files and it.kind not in ("file", "module", "impl")),
                     key=lambda h: h[2] - h[1])
    out = []
    for path in sorted(files):
        for n, line in enumerate(sources.get(path, "").splitlines(), 1):
            match = pattern.search(_code(line))
            if match:
                name = next((h[3] for h in holders if h[0] == path and h[1] <= n <= h[2]), "")
                out.append(Site(path, n, name, "calls", wanted[match.group(1)], in_text=True))
    return out


def _type_name(field: str) -> str:
    """``pre: Prerelease`` -> ``Prerelease``; ``x: Option<Vec<u8>>`` -> ``Option``."""
    kind = field.split(":", 1)[-1].strip().lstrip("&").removeprefix("mut ").strip()
    return re.split(r"[<\s]", kind, maxsplit=1)[0].rsplit("::", 1)[-1]


def _dedupe(sites: list[Site]) -> list[Site]:
    seen: dict[tuple[str, int], Site] = {}
    for site in sites:
        key = (site.path, site.line)
        if key not in seen or _rank(site) < _rank(seen[key]):
            seen[key] = site
    return sorted(seen.values(), key=lambda s: (s.path, s.line))


def _rank(site: Site) -> tuple[bool, bool]:
    """Which of two sites on one line to keep: a counted one, then a breaking change."""
    return bool(site.follows), not site.change.breaking
