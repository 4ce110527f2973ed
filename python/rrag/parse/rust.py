"""Parse layer: Rust source -> ``ParsedFile`` with tree-sitter, and the ``finalize`` step.

``parse_source`` is pure and runs in worker processes: one parse, then a walk over item-level
nodes only (``rrag.parse.extract``). Items get names relative to the file's module; once the
crate's module tree says where the file sits, ``finalize`` (cheap, run by the single writer)
fills qualified names, module paths, NodeIds and parent ids.

Why no tree-sitter query for items: a query visits every node of the tree, function bodies
included; on the registry sources just finding the item nodes that way costs ~40 % of a parse,
the targeted walk finds them for ~5 % and the whole extraction stays at ~15-30 % of a parse
(bench/parse_extract.py). The walk also sees sibling order, which attaching docs needs.
"""

from __future__ import annotations

import posixpath

from .extract import Walker
from .grammar import count_errors, parse_tree
from .macros import RulesLookup, expand_macros
from .model import Item, ParsedFile
from .refs import extract_refs
from .nodeid import _h64, element_key
from .text import SourceText, line_count

def parse_source(source: bytes, rel_path: str,
                 crate_macros: dict[str, str] | None = None, doc_tests: bool = True) -> ParsedFile:
    """Every item of one file, names relative to the file's module. Never raises on junk:
    tree-sitter recovers what it can and ``error_count`` says how much it had to.
    ``crate_macros`` (name -> macro_rules! text) are the crate's macros other files define;
    ``doc_tests`` False leaves the code blocks of doc comments unparsed."""
    src = SourceText(source)
    tree = parse_tree(source)
    root = tree.root_node
    lines = line_count(source)
    file_item = Item(kind="file", name=posixpath.basename(rel_path), name_path="",
                     module_rel="", start_byte=0, end_byte=len(source), start_line=1,
                     end_line=max(1, lines), content=src.text, parent_index=None)
    parsed = ParsedFile(path=rel_path, items=[file_item], line_count=lines)
    walker = Walker(src, parsed.items, parsed.mod_decls)
    walker.walk(root, file_item)
    parsed.error_count = count_errors(root)
    lookup = RulesLookup(parsed, source, walker.definitions, crate_macros) \
        if walker.definitions or crate_macros else None
    parsed.refs = extract_refs(root, parsed.items, lookup, docs=doc_tests)
    # After the references of the written code: generated items share the invocation's span
    # and would otherwise claim the references inside it.
    expand_macros(parsed, source, walker, crate_macros)
    return parsed


def finalize(parsed: ParsedFile, module_path: str, id_namespace: str | None = None) -> None:
    """Qualified names, module paths, ids and parent ids, once the file's module is known.

    ``crate::geo::Circle::area`` for a method (self type, not the impl, in the name),
    ``crate::geo::Shape::area`` for a trait's method, ``crate::geo::<impl Shape for Circle>``
    for the impl itself; the file item's qualified name is its module path.
    """
    items = parsed.items
    namespaces: dict[str, int] = {}
    for item in items:
        rel = item.module_rel
        mod_path = f"{module_path}::{rel}" if rel else module_path
        item.module_path = mod_path
        index = item.parent_index
        if item.kind == "file":
            item.qualname = mod_path
        else:
            parent = items[index] if index is not None else None
            if parent is not None and item.kind != "impl" and parent.kind in ("impl", "trait"):
                owner = parent.self_type if parent.kind == "impl" else parent.name
                item.qualname = f"{mod_path}::{owner}::{item.name}"
            else:
                item.qualname = f"{mod_path}::{item.name}"
        namespace = namespaces.get(mod_path)
        if namespace is None:
            # ids hash the module path, or a salted stand-in when two files share one
            # (see the indexer's _id_namespaces); qualified names keep the real path.
            hashed = (mod_path if id_namespace is None
                      else id_namespace + mod_path[len(module_path):])
            namespace = namespaces[mod_path] = _h64(hashed) << 64
        # Same value as NodeId.of(mod_path, item.key).hex(), without the objects.
        key = element_key(item.kind, item.name_path, item.ordinal)
        if item.expanded_from:
            key = f"{key}@{item.expanded_from}"
        item.id = f"{namespace | _h64(key):032x}"
        item.parent = items[index].id if index is not None else None
