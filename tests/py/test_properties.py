"""Hypothesis properties of the real index path (tree-sitter parse -> SQLite store, in-process
Engine): arbitrary text or bytes never make an index run raise, and an index kept up to date
through a random sequence of edits holds exactly the files, items and edges of a clean index of
the final tree. (NodeId round-trips: test_nodeid.py; the context budget over random cursors and
budgets: test_assist.py and test_ranking.py.)"""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rrag.service.engine import Engine

pytestmark = pytest.mark.slow

MANIFEST = '[package]\nname = "prop"\nversion = "0.1.0"\nedition = "2021"\n'
RUST_TOKENS = ["fn", "pub", "struct", "impl", "trait", "mod", "use", "enum", "where", "<", ">",
               "{", "}", "(", ")", ";", "::", "->", "'a", "#[derive(Debug)]", "///doc\n", "r#\"",
               "\"", "macro_rules!", "=>", "$x:expr", "\n", " ", "x", "T", "dyn", "&mut",
               "/*", "*/"]
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _dump(db: Path) -> dict[str, list[tuple]]:
    """The rows of the structural tables, without row ids that depend on insertion order."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        files = conn.execute("SELECT path, package, crate, module_path, id_namespace, reachable,"
                             " hash, size, line_count, parse_errors, problem, mod_decls"
                             " FROM files").fetchall()
        cur = conn.execute("SELECT f.path, i.* FROM items i JOIN files f ON f.id = i.file_id")
        names = [d[0] for d in cur.getdescription()]
        keep = [k for k, n in enumerate(names) if n != "file_id"]
        items = [tuple(row[k] for k in keep) for row in cur]
        edges = conn.execute("SELECT kind, source, target, target_path, path, line, candidates"
                             " FROM edges").fetchall()
        return {"files": sorted(files), "items": sorted(items, key=repr),
                "edges": sorted(edges, key=repr)}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("prop") / "prop"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(MANIFEST)
    (root / "src" / "lib.rs").write_text("")
    engine = Engine(root, db_path=root.parent / "scratch.sqlite")
    yield root, engine
    engine.close()


@SETTINGS
@given(st.one_of(st.text(max_size=400),
                 st.lists(st.sampled_from(RUST_TOKENS), max_size=120).map("".join),
                 st.binary(max_size=300)))
def test_any_file_content_indexes_without_raising(scratch, content):
    root, engine = scratch
    lib = root / "src" / "lib.rs"
    if isinstance(content, bytes):
        lib.write_bytes(content)
    else:
        lib.write_text(content, encoding="utf-8", errors="surrogatepass"
                       if any(0xD800 <= ord(c) <= 0xDFFF for c in content) else "strict")
    report = engine.index(embed=False)
    assert all(set(e) == {"path", "message"} and e["path"] == "src/lib.rs" for e in report.errors)
    rows = engine.items("src/lib.rs")
    if not report.errors or "not Rust" in report.errors[0]["message"] \
            or "UTF-8" in report.errors[0]["message"]:
        assert rows and rows[0].kind == "file"  # the file item is always there when parsed
    for row in rows:
        assert 1 <= row.start_line <= row.end_line
        assert row.id and len(row.id) == 32


# -- random edit sequences: incremental == clean ----------------------------------------------

NAMES = ["alpha", "beta", "gamma", "delta"]
MODULES = ["one", "two", "three"]

edit = st.one_of(
    st.tuples(st.just("add_fn"), st.sampled_from(MODULES), st.sampled_from(NAMES)),
    st.tuples(st.just("del_fn"), st.sampled_from(MODULES), st.sampled_from(NAMES)),
    st.tuples(st.just("call"), st.sampled_from(MODULES), st.sampled_from(NAMES)),
    st.tuples(st.just("shift"), st.sampled_from(MODULES), st.integers(1, 3)),
    st.tuples(st.just("add_mod"), st.sampled_from(MODULES), st.just("")),
    st.tuples(st.just("drop_decl"), st.sampled_from(MODULES), st.just("")),
    st.tuples(st.just("rm_file"), st.sampled_from(MODULES), st.just("")),
    st.tuples(st.just("nest"), st.sampled_from(MODULES), st.sampled_from(MODULES)),
)


class Tree:
    """The workspace as module -> list of lines, plus the `mod` lines of lib.rs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mods: dict[str, list[str]] = {"one": ["pub fn alpha() {}"]}
        self.decls: set[str] = {"one"}
        self.nested: dict[str, str] = {}  # child module -> parent module (src/parent/child.rs)

    def apply(self, op: tuple) -> None:
        kind, mod, arg = op
        lines = self.mods.setdefault(mod, [])
        if kind == "add_fn":
            lines.append(f"pub fn {arg}() -> u32 {{ {len(lines)} }}")
        elif kind == "del_fn":
            self.mods[mod] = [l for l in lines if f"fn {arg}(" not in l]
        elif kind == "call":
            lines.append(f"pub fn calls_{arg}_{len(lines)}() {{ crate::one::{arg}(); {arg}(); }}")
        elif kind == "shift":
            self.mods[mod] = [""] * arg + lines
        elif kind == "add_mod":
            self.decls.add(mod)
        elif kind == "drop_decl":
            self.decls.discard(mod)
        elif kind == "rm_file":
            self.mods.pop(mod, None)
        elif kind == "nest" and arg != mod and mod not in self.nested.values():
            self.nested[arg] = mod

    def write(self) -> None:
        src = self.root / "src"
        wanted: dict[Path, str] = {
            src / "lib.rs": "".join(f"pub mod {m};\n" for m in sorted(self.decls)
                                    if m not in self.nested)}
        for mod, lines in self.mods.items():
            parent = self.nested.get(mod)
            text = "\n".join(lines) + "\n"
            children = [c for c, p in self.nested.items() if p == mod]
            text = "".join(f"pub mod {c};\n" for c in sorted(children)) + text
            path = src / parent / f"{mod}.rs" if parent else src / f"{mod}.rs"
            wanted[path] = text
        for existing in src.rglob("*.rs"):
            if existing not in wanted:
                existing.unlink()
        for path, text in wanted.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.lists(edit, min_size=1, max_size=3), min_size=1, max_size=6))
def test_incremental_index_after_random_edits_equals_a_clean_index(tmp_path_factory, rounds):
    base = tmp_path_factory.mktemp("edits")
    root = base / "prop"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(MANIFEST)
    tree = Tree(root)
    tree.write()
    with Engine(root, db_path=base / "incremental.sqlite") as engine:
        engine.index(embed=False)
        for ops in rounds:  # each round is one save in the editor, then an index update
            for op in ops:
                tree.apply(op)
            tree.write()
            engine.index(embed=False)
    with Engine(root, db_path=base / "clean.sqlite") as clean:
        clean.index(embed=False)
    incremental, fresh = _dump(base / "incremental.sqlite"), _dump(base / "clean.sqlite")
    for table in ("files", "items", "edges"):
        assert incremental[table] == fresh[table], (table, rounds)
    assert fresh["items"], "the tree always has at least lib.rs"
