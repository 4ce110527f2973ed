"""Graph layer: the resolution pass — stored items and raw references -> the edge table.

Run by the indexer after the files of a run are written, and only when something changed.
It reads every file's stored references (no re-parse), builds the symbol tables once and
resolves each reference in one linear pass; the edges are written with one ``executemany``.
Edges that come from items rather than references (contains, implements, derives) and from
manifests (depends) are added here too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from ..parse.std_docs import STD_CRATES
from ..parse.workspace import Workspace
from ..store import Store
from ..store import edges as edges_db
from ..store.edges import EdgeRow, GraphItem
from .resolve import Resolver
from .symbols import MODULE_KINDS, Symbols
from .tests import test_edges


# Crates every crate may name without declaring them (``core`` and ``alloc`` need an ``extern
# crate`` in real code; naming them costs nothing when they are not indexed).


def externs_of(workspace: Workspace | None) -> dict[str, set[str]]:
    """crate -> crates its code may name: itself, its package's lib, its dependencies, std."""
    out: dict[str, set[str]] = {}
    for pkg in workspace.packages if workspace is not None else ():
        deps = {d.name.replace("-", "_") for d in pkg.dependencies} | {pkg.crate} | STD_CRATES
        for target in pkg.targets:
            out.setdefault(target.crate, set()).update(deps | {target.crate})
        out.setdefault(pkg.crate, set()).update(deps)
    return out


def _closure(start: set[str], links: dict[str, set[str]]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for nxt in links.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def build_edges(items: list[GraphItem], refs: dict[str, list[list]],
                workspace: Workspace | None = None,
                only: set[str] | None = None, paths: set[str] | None = None) -> list[EdgeRow]:
    """Edges of every file, or only of the files of the crates in ``only``, or (``paths``)
    only of those files' items."""
    externs = externs_of(workspace)
    by_id = {it.id: it for it in items}
    uses: list[tuple[GraphItem, str, str]] = []
    fields: dict[str, dict[str, str]] = defaultdict(dict)
    supers: dict[str, list[str]] = defaultdict(list)
    for file_refs in refs.values():
        for ref in file_refs:
            kind = ref[0]
            if kind != "use" and kind != "field" and kind != "super":
                continue
            owner = by_id.get(ref[1])
            if owner is None:
                continue
            if kind == "use":
                uses.append((owner, ref[2], ref[3]))
            elif kind == "field":
                fields[owner.id][ref[2]] = ref[3]
            else:
                supers[owner.id].append(ref[2])
    symbols = Symbols(items, uses, externs)
    resolver = Resolver(symbols, items, fields, supers)
    rows: list[EdgeRow] = []
    mine = items if only is None else [it for it in items if it.crate in only]
    if paths is not None:
        mine = [it for it in mine if it.path in paths]
    rows += _item_edges(mine, symbols, resolver)
    macros = _macro_table(items)
    crate_of = {it.path: it.crate for it in items if it.kind == "file"}
    for path, file_refs in refs.items():
        if only is not None and crate_of.get(path) not in only or \
                paths is not None and path not in paths:
            continue
        for ref in file_refs:
            owner = by_id.get(ref[1])
            if owner is None:
                continue
            if ref[0] == "macro":
                rows.append(_macro_edge(owner, ref[2], ref[4], path, macros, externs))
                continue
            row = resolver.edge(ref, owner, path)
            if row is not None:
                rows.append(row)
    rows = [r for r in rows if r[0] != "tests"] + test_edges(
        rows, by_id, lambda ids: _helper_calls(ids, refs, by_id, resolver))
    if workspace is not None and paths is None:
        rows += _depends(workspace, symbols, only)
    return rows


def _helper_calls(ids: set[str], refs: dict[str, list[list]], by_id: dict[str, GraphItem],
                  resolver: Resolver) -> dict[str, list[EdgeRow]]:
    """Resolved calls of test helpers outside the files this pass resolves (an editor
    overlay re-resolves one file; its tests' helpers may live in another)."""
    out: dict[str, list[EdgeRow]] = defaultdict(list)
    for path, file_refs in refs.items():
        for ref in file_refs:
            if ref[1] in ids and (ref[0] == "call" or ref[0] == "mcall"):
                row = resolver.edge(ref, by_id[ref[1]], path)
                if row is not None and row[2] is not None:
                    out[ref[1]].append(row)
    return out


def _item_edges(items: list[GraphItem], symbols: Symbols, resolver: Resolver) -> list[EdgeRow]:
    rows: list[EdgeRow] = []
    by_id = symbols.by_id
    # A file's items hang off the `mod x;` declaration that names the module.
    container = {}
    for it in items:
        if it.kind == "file" and "::" in it.qualname:
            decl = symbols.modules.get(it.qualname)
            if decl is not None and decl.kind == "module":
                container[it.id] = decl
    for it in items:
        if it.kind == "file" or not it.parent:
            continue
        parent = container.get(it.parent) or by_id.get(it.parent)
        if parent is None or (parent.kind == "file" and "::" in parent.qualname):
            continue
        rows.append(("contains", parent.id, it.id, it.qualname, it.path, it.start_line, None))
        if it.kind == "impl" and it.trait_name:
            source = resolver.impl_target.get(it.id, it)
            target, written = symbols.resolve(symbols.home(it), it.trait_name)
            rows.append(resolver._row("implements", source, target, written, it.path,
                                      it.start_line))
        for derive in it.derives:
            target, written = symbols.resolve(symbols.home(it), derive)
            if target is not None and target.kind in MODULE_KINDS:
                target = None
            rows.append(resolver._row("implements", it, target, written, it.path,
                                      it.start_line))
    return rows


def _macro_table(items: list[GraphItem]) -> dict[str, list[GraphItem]]:
    table: dict[str, list[GraphItem]] = defaultdict(list)
    for it in items:
        if it.kind == "macro":
            table[it.name].append(it)
    return table


def _macro_edge(owner: GraphItem, written: str, line: int, path: str,
                macros: dict[str, list[GraphItem]], externs: dict[str, set[str]]) -> EdgeRow:
    """macro_rules! scoping, approximated: a definition of the owner's crate wins (textual
    and #[macro_use] scope), else one #[macro_export]ed from another crate."""
    name = written.rsplit("::", 1)[-1]
    crate = owner.module_path.split("::")[0]
    found = macros.get(name, [])
    local = [m for m in found if m.crate == crate]
    allowed = externs.get(owner.crate)
    pick = local or [m for m in found if allowed is None or m.crate in allowed]
    if len(pick) == 1:
        target = pick[0]
        return ("invokes_macro", owner.id, target.id, target.qualname, path, line, None)
    return ("invokes_macro", owner.id, None, written, path, line, None)


def _depends(workspace: Workspace, symbols: Symbols, only: set[str] | None) -> list[EdgeRow]:
    rows: list[EdgeRow] = []
    for pkg in workspace.packages:
        if only is not None and pkg.crate not in only:
            continue
        source = symbols.modules.get(pkg.crate)
        if source is None:
            continue
        manifest = f"{pkg.manifest_dir}/Cargo.toml" if pkg.manifest_dir else "Cargo.toml"
        try:
            text = (Path(workspace.root) / manifest).read_text(encoding="utf-8")
        except OSError:
            text = ""
        for dep in pkg.dependencies:
            crate = dep.name.replace("-", "_")
            target = symbols.modules.get(crate)
            match = re.search(rf"^\s*{re.escape(dep.name)}\s*[=.]", text, re.M)
            line = text.count("\n", 0, match.start()) + 1 if match else 1
            rows.append(("depends", source.id, target.id if target else None,
                         target.qualname if target else crate, manifest, line, None))
    return rows


def rebuild(store: Store, workspace: Workspace | None, changed: set[str] | None = None) -> int:
    """Re-resolve stored references and replace their edges; returns the rows written.

    ``changed``: the crates whose files changed (None: everything). Only those crates and the
    crates that depend on them, transitively, are re-resolved; symbol tables load just them and
    what they can see (their dependencies, transitively). Other crates' edges stay as they are:
    their resolution cannot have moved, since it never looks outside their dependencies."""
    if changed is None:
        rows = build_edges(edges_db.graph_items(store), edges_db.all_refs(store), workspace)
        edges_db.replace_edges(store, rows)
        return len(rows)
    externs = externs_of(workspace)
    users: dict[str, set[str]] = defaultdict(set)
    for crate, deps in externs.items():
        for dep in deps:
            users[dep].add(crate)
    affected = _closure(set(changed), users)
    visible = _closure(affected, externs)
    rows = build_edges(edges_db.graph_items(store, visible), edges_db.all_refs(store, visible),
                       workspace, only=affected)
    edges_db.replace_crate_edges(store, affected, rows)
    return len(rows)


def rebuild_files(store: Store, workspace: Workspace | None, crate: str, paths: set[str],
                  memo: dict | None = None, gone: set[str] = frozenset()) -> int:
    """Re-resolve the references of ``paths`` (files of ``crate``) only: an editor buffer laid
    over the index for one request (service.overlay). Edges from other files into them keep
    pointing at the same NodeIds; the crate-level ``depends`` edges do not change. ``memo``
    (the caller's dict) keeps the other files' items and references between calls while the
    stored index stays the same: they are most of the cost. ``gone``: the items the files held
    before, whose edges go too."""
    visible = _closure({crate}, externs_of(workspace))
    key = (store.one("PRAGMA data_version"), edges_db.generation(store), tuple(sorted(visible)),
           tuple(sorted(paths)))
    if memo is None or memo.get("key") != key:
        items = [it for it in edges_db.graph_items(store, visible) if it.path not in paths]
        refs = {p: r for p, r in edges_db.all_refs(store, visible).items() if p not in paths}
        if memo is not None:
            memo.clear()
            memo.update(key=key, items=items, refs=refs)
    else:
        items, refs = memo["items"], memo["refs"]
    items = sorted(items + edges_db.graph_items(store, visible, paths), key=lambda it: it.path)
    refs = refs | edges_db.all_refs(store, visible, paths)
    rows = build_edges(items, refs, workspace, only={crate}, paths=paths)
    edges_db.replace_file_edges(store, paths, rows, gone)
    return len(rows)
