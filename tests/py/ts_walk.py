"""Test helper: an independent, deliberately simple tree-sitter walk of a crate's items.

Written apart from ``rrag.parse`` (nothing imported from it) so tests can compare the product's
items against it: a plain recursive walk over declaration nodes, doc comments recognised by
tree-sitter's own doc-marker nodes (not by text), module paths from the crate's file layout.
Use ``expected_items(crate_dir)`` -> set of (path, kind, qualified name, start line, end line),
paths relative to ``crate_dir``.

The layout rules are the simple ones a crate like regex needs: the lib under ``src/`` (a file's
folders are its modules, ``mod.rs`` is its folder); every test/example/bench/bin target root is
a crate of its own; ``mod x;`` lines at the top level of a target root bring ``x.rs`` next to
it into that crate (the first target, in Cargo.toml order, that declares it wins); any other
file in a target folder belongs to that folder's first target. Items inside function bodies are
not items; inline modules, impls, traits and ``extern`` blocks are walked into.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

import tree_sitter
import tree_sitter_rust

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_rust.language()))

PLAIN = {"function_item": "function", "function_signature_item": "function",
         "struct_item": "struct", "enum_item": "enum", "union_item": "union",
         "trait_item": "trait", "impl_item": "impl", "mod_item": "module",
         "const_item": "const", "static_item": "static", "type_item": "type",
         "associated_type": "type", "macro_definition": "macro"}
MOD_LINE = re.compile(r"^(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.M)


def _text(node, source: bytes) -> str:
    return " ".join(source[node.start_byte:node.end_byte].decode("utf-8", "replace").split())


def _is_leading(node) -> bool:
    """An attribute or an outer doc comment (tree-sitter marks those with a marker child)."""
    if node.type == "attribute_item":
        return True
    if node.type in ("line_comment", "block_comment"):
        return any(c.type == "outer_doc_comment_marker" for c in node.children)
    return False


def _self_type(type_text: str) -> str:
    text = re.sub(r"^(&\s*('\w+\s*)?(mut\s+)?|\*\s*(const|mut)\s+|dyn\s+)+", "", type_text)
    # <str as Trait>::Archived: a path, named by its last part
    text = re.sub(r"^<.*>::(?=\w+$)", "", text)
    if not re.match(r"[\w:]", text):
        return text  # a slice, array, tuple...: as written, references dropped
    return text.split("<", 1)[0].split("+", 1)[0].split("::")[-1].strip()


def items_of_source(source: bytes, module_path: str) -> list[tuple[str, str, int, int]]:
    """(kind, qualified name, start line, end line) of every item, file item first."""
    tree = PARSER.parse(source)
    lines = source.count(b"\n") + (0 if source.endswith(b"\n") or not source else 1)
    out = [("file", module_path, 1, max(1, lines))]

    def visit(container, module: str, owner: str | None, assoc: bool) -> None:
        siblings = container.named_children
        for i, node in enumerate(siblings):
            if node.type == "ERROR":
                visit(node, module, owner, assoc)
                continue
            if node.type == "foreign_mod_item":
                body = node.child_by_field_name("body")
                if body is not None:
                    visit(body, module, owner, assoc)
                continue
            kind = PLAIN.get(node.type)
            if kind is None:
                continue
            if assoc and kind == "function":
                kind = "method"
            first = i
            while first > 0 and _is_leading(siblings[first - 1]):
                first -= 1
            start = siblings[first].start_point[0] + 1
            end = node.end_point[0] + (0 if node.end_point[1] == 0 else 1)
            body = node.child_by_field_name("body")
            if kind == "impl":
                trait = node.child_by_field_name("trait")
                type_text = _text(node.child_by_field_name("type"), source)
                negative = "!" if any(c.type == "!" for c in node.children) else ""
                name = (f"<impl {negative}{_text(trait, source)} for {type_text}>" if trait
                        else f"<impl {type_text}>")
                out.append((kind, f"{module}::{name}", start, end))
                if body is not None:
                    visit(body, module, _self_type(type_text), True)
                continue
            name = _text(node.child_by_field_name("name"), source)
            prefix = f"{module}::{owner}" if owner else module
            out.append((kind, f"{prefix}::{name}", start, end))
            if kind == "trait" and body is not None:
                visit(body, module, name, True)
            elif kind == "module" and body is not None:
                visit(body, f"{module}::{name}", None, False)

    visit(tree.root_node, module_path, None, False)
    return out


def _crate(name: str) -> str:
    return name.replace("-", "_")


def module_paths(crate_dir: Path) -> dict[str, str]:
    """Relative path -> module path, by the simple layout rules of this module's docstring."""
    manifest = tomllib.loads((crate_dir / "Cargo.toml").read_text())
    package = manifest["package"]
    lib_crate = _crate((manifest.get("lib") or {}).get("name") or package["name"])
    files = sorted(p.relative_to(crate_dir).as_posix() for p in crate_dir.rglob("*.rs"))
    paths: dict[str, str] = {}
    roots: list[tuple[str, str]] = []  # (root file, crate) in Cargo.toml order
    for table, folder in (("bin", "src/bin"), ("example", "examples"), ("test", "tests"),
                          ("bench", "benches")):
        auto_flag = {"bin": "autobins", "example": "autoexamples", "test": "autotests",
                     "bench": "autobenches"}[table]
        declared = [(t.get("path") or f"{folder}/{t['name']}.rs", _crate(t["name"]))
                    for t in manifest.get(table, [])]
        roots += declared
        if package.get(auto_flag, True):
            taken = {p for p, _ in declared}
            roots += [(f, _crate(Path(f).stem)) for f in files
                      if f.startswith(folder + "/") and f.count("/") == folder.count("/") + 1
                      and f not in taken]
    if "src/main.rs" in files:
        roots.append(("src/main.rs", _crate(package["name"])))
    for root, crate in roots:
        paths.setdefault(root, crate)
    for root, crate in roots:
        folder = root.rsplit("/", 1)[0]
        for name in MOD_LINE.findall((crate_dir / root).read_text(errors="replace")):
            paths.setdefault(f"{folder}/{name}.rs", f"{crate}::{name}")
    first_of_folder: dict[str, str] = {}
    for root, crate in roots:
        first_of_folder.setdefault(root.rsplit("/", 1)[0], crate)
    for f in files:
        if f in paths:
            continue
        parts = f[:-3].split("/")
        if parts[0] == "src" and "/".join(parts[:2]) != "src/bin":
            parts = parts[1:]
            if parts[-1] == "mod" or parts == ["lib"]:
                parts.pop()
            paths[f] = "::".join([lib_crate, *parts])
        else:
            folder = f.rsplit("/", 1)[0]
            paths[f] = f"{first_of_folder.get(folder, lib_crate)}::{parts[-1]}"
    return paths


def expected_items(crate_dir: Path) -> Counter:
    """Multiset of (path, kind, qualified name, start line, end line) for a whole crate."""
    found: Counter = Counter()
    for rel, module in module_paths(crate_dir).items():
        for kind, qualname, start, end in items_of_source((crate_dir / rel).read_bytes(), module):
            found[(rel, kind, qualname, start, end)] += 1
    return found
