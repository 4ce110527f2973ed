"""Benchmark (issue 18): how much of a real crate's call graph the index holds.

For each crate (regex, clap, chrono, nom, url from /usr/share/cargo/registry, read in place):
  * visible call sites: call and method-call expressions tree-sitter sees in the code and in
    macro arguments (each invocation's token tree parsed on its own, recursively: an
    independent count, not the indexer's batched wrapper), keyed (file, line, called name);
  * captured: those sites with a stored call reference of the same name on that line (resolved
    or not: a call on a receiver of unknown type is still a call);
  * resolution: stored `calls` edges with a target item / all `calls` edges;
  * uses_const: reads of the crate's const/static names in bodies (same independent walk,
    declarations excluded, and names a function body declares itself; names of two letters or
    more, one-letter names being generic parameters by convention; `P::NAME` only when P is the
    type or module holding a const NAME, or Self: `i64::MAX` is not the crate's MAX) with a
    `uses_const` edge on that line;
  * tests: #[test] functions whose visible calls name a non-test fn of the crate, with at
    least one `tests` edge.
Writes bench/results/call_coverage.json and prints a table.

    .venv/bin/python bench/call_coverage.py [--crates regex-1.7.1,...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import tree_sitter
import tree_sitter_rust

HERE = Path(__file__).resolve().parent
REGISTRY = Path("/usr/share/cargo/registry")
CRATES = ["regex-1.7.1", "clap-4.0.32", "chrono-0.4.23", "nom-7.1.1", "url-2.3.1"]
RRAG = Path(sys.executable).parent / "rrag"
LANG = tree_sitter.Language(tree_sitter_rust.language())
PARSER = tree_sitter.Parser(LANG)
DECL = {"const_item", "static_item", "enum_variant", "function_item", "let_declaration",
        "parameter", "use_declaration", "scoped_use_list", "use_list", "use_as_clause",
        "macro_invocation", "token_tree", "field_pattern", "mod_item"}


def _walk(node, line_of, out_calls: list, out_idents: list, depth: int = 0) -> None:
    """Call sites and identifier reads of one tree; macro arguments parsed on their own."""
    stack = [node]
    while stack:
        n = stack.pop()
        t = n.type
        if t == "call_expression":
            fn = n.child_by_field_name("function")
            if fn is not None and fn.type == "generic_function":
                fn = fn.child_by_field_name("function")
            if fn is not None:
                name = None
                if fn.type == "field_expression":
                    f = fn.child_by_field_name("field")
                    name = f.text.decode() if f is not None else None
                elif fn.type in ("identifier", "scoped_identifier"):
                    name = fn.text.decode().rsplit("::", 1)[-1]
                if name and not (depth and name == "_m"):  # the wrapper's own call
                    out_calls.append((line_of(fn.start_point[0]), name))
        elif t in ("const_item", "static_item") and _in_fn(n):
            name = n.child_by_field_name("name")
            if name is not None:  # a body's own constant: not an item of the index
                out_idents.append((0, name.text.decode(), "<local>"))
        elif t == "identifier":
            parent = n.parent
            if parent is not None and parent.type not in DECL and not (
                    parent.type == "scoped_identifier"
                    and parent.child_by_field_name("name") != n):
                owner = ""
                up = parent
                while up is not None and up.type in ("scoped_identifier", "scoped_use_list",
                                                     "use_list", "use_as_clause"):
                    up = up.parent
                if up is not None and up.type == "use_declaration":
                    continue  # an import, not a read
                if parent.type == "scoped_identifier":
                    path = parent.child_by_field_name("path")
                    owner = path.text.decode().split("::<")[0].rsplit("::", 1)[-1] \
                        if path is not None else ""
                out_idents.append((line_of(n.start_point[0]), n.text.decode(), owner))
        elif t == "macro_invocation" and depth < 4:
            name_node = n.child_by_field_name("macro")
            tree = next((c for c in n.children if c.type == "token_tree"), None)
            parent = n.parent.parent if n.parent is not None and \
                n.parent.type == "expression_statement" else n.parent
            item_level = parent is None or parent.type in ("source_file", "declaration_list")
            if tree is not None and name_node is not None and not item_level:
                text = tree.text
                wrap = b"fn _w(){_m" + text + b";}" if text[:1] == b"(" else \
                    b"fn _w(){" + text + b";}"
                row0 = tree.start_point[0]
                sub = PARSER.parse(wrap).root_node
                _walk(sub, lambda r, b=row0, lo=line_of: lo(b + r), out_calls, out_idents,
                      depth + 1)
            continue
        stack.extend(n.children)


def _in_fn(node) -> bool:
    cur = node.parent
    while cur is not None:
        if cur.type == "function_item":
            return True
        cur = cur.parent
    return False


def visible(root: Path) -> tuple[Counter, Counter]:
    calls: Counter = Counter()
    idents: Counter = Counter()
    for path in sorted(root.rglob("*.rs")):
        rel = str(path.relative_to(root))
        tree = PARSER.parse(path.read_bytes())
        c: list = []
        i: list = []
        _walk(tree.root_node, lambda r: r + 1, c, i)
        calls.update((rel, line, name) for line, name in c)
        idents.update((rel, *ident) for ident in i)
    return calls, idents


def index(root: Path, cache: str) -> Path:
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    subprocess.run([str(RRAG), "index", "--no-embed", "--json", "--root", str(root)], env=env,
                   check=True, capture_output=True)
    return next(Path(cache).rglob("index.sqlite"))


def measure(crate: str) -> dict:
    sys.path.insert(0, str(HERE.parent / "python"))
    from rrag.store.db import open_store

    root = REGISTRY / crate
    calls, idents = visible(root)
    with tempfile.TemporaryDirectory() as cache:
        store = open_store(index(root, cache))
        refs: Counter = Counter()
        for path, blob in store.execute("SELECT f.path, r.refs FROM file_refs r "
                                        "JOIN files f ON f.id = r.file_id"):
            for ref in json.loads(blob):
                if ref[0] == "call":
                    refs[(path, ref[4], ref[2].split("::<")[0].rsplit("::", 1)[-1])] += 1
                elif ref[0] == "mcall":
                    refs[(path, ref[4], ref[3])] += 1
        edges = list(store.execute(
            "SELECT e.kind, e.source, e.target, e.path, e.line, t.name, t.kind "
            "FROM edges e LEFT JOIN items t ON t.id = e.target"))
        items = {r[0]: r[1:] for r in store.execute(
            "SELECT i.id, i.kind, i.name, i.attrs, i.cfg, i.qualname, f.path, i.start_line, "
            "i.end_line FROM items i JOIN files f ON f.id = i.file_id")}
    captured = sum((calls & refs).values())
    call_rows = [e for e in edges if e[0] == "calls"]
    resolved = sum(1 for e in call_rows if e[2] is not None)
    owners: dict[str, set[str]] = {}
    for r in items.values():
        if r[0] in ("const", "static") and len(r[1]) > 1:
            owners.setdefault(r[1], set()).add(r[4].rsplit("::", 2)[-2] if r[4].count("::")
                                               else "")
    reads: Counter = Counter()
    local = {(path, name) for (path, _, name, owner) in idents if owner == "<local>"}
    for (path, line, name, owner), n in idents.items():
        if (path, name) in local:
            continue
        if name in owners and (not owner or owner in owners[name]
                               or owner in ("Self", "crate", "self", "super")):
            reads[(path, line, name)] += n
    const_edges = Counter((e[3], e[4], e[5]) for e in edges if e[0] == "uses_const")
    tests_from = {e[1] for e in edges if e[0] == "tests"}
    def test_code(r: tuple) -> bool:
        return any(seg in ("test", "tests") for seg in r[4].split("::")) or \
            any(d in f"/{r[5]}" for d in ("/tests/", "/benches/", "/examples/"))

    # A call counts as "calls a crate item" when its name is a non-test fn of the crate and
    # not the name of a test-code fn of the same file (a helper such as textwrap's `wrap`).
    helpers = {(r[5], r[1]) for r in items.values() if r[0] in ("function", "method")
               and test_code(r)}
    fn_names = {r[1] for r in items.values() if r[0] in ("function", "method")
                and not test_code(r)}
    test_fns = [(i, r) for i, r in items.items() if r[0] == "function"
                and any(a.split("(")[0] == "test" or a.split("(")[0].endswith("::test")
                        for a in json.loads(r[2]))]
    calling = [i for i, r in test_fns
               if any(p == r[5] and r[6] <= line <= r[7] and name in fn_names
                      and (p, name) not in helpers for (p, line, name) in calls)]
    covered = sum(1 for i in calling if i in tests_from)
    return {"crate": crate, "visible_calls": sum(calls.values()), "captured": captured,
            "captured_share": round(captured / max(1, sum(calls.values())), 4),
            "calls_edges": len(call_rows), "calls_resolved": resolved,
            "resolved_share": round(resolved / max(1, len(call_rows)), 4),
            "const_reads": sum(reads.values()),
            "const_reads_with_edge": sum((reads & const_edges).values()),
            "uses_const_share": round(sum((reads & const_edges).values())
                                      / max(1, sum(reads.values())), 4),
            "test_fns": len(test_fns), "test_fns_calling_crate": len(calling),
            "test_fns_with_tests_edge": covered,
            "tests_share": round(covered / max(1, len(calling)), 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crates", default=",".join(CRATES))
    args = ap.parse_args()
    rows = [measure(c) for c in args.crates.split(",")]
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "call_coverage.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"{'crate':<16}{'visible':>8}{'captured':>10}{'resolved':>10}{'uses_const':>12}"
          f"{'tests':>8}")
    for r in rows:
        print(f"{r['crate']:<16}{r['visible_calls']:>8}{r['captured_share']:>10}"
              f"{r['resolved_share']:>10}{r['uses_const_share']:>12}{r['tests_share']:>8}")


if __name__ == "__main__":
    main()
