"""The structural index end to end through the real CLI: incremental re-index, stable ids,
removal, and bad input reported once by path while everything else is indexed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import rrag, rrag_json

LIB = """//! A tiny crate for index tests.
pub mod shapes;
mod util;

/// Adds two numbers.
pub fn add(a: i32, b: i32) -> i32 { a + b }

pub fn sub(a: i32, b: i32) -> i32 { a - b }
"""
SHAPES = """/// A circle.
#[derive(Debug, Clone)]
pub struct Circle { pub r: f64 }

impl Circle {
    pub fn area(&self) -> f64 { 3.14 * self.r * self.r }
}

pub trait Shape { fn area(&self) -> f64; }
"""
UTIL = "pub(crate) fn helper() -> u8 { 1 }\n"


def make_crate(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "tiny"\nversion = "0.1.0"\n'
                                     'edition = "2021"\n')
    (root / "src" / "lib.rs").write_text(LIB)
    (root / "src" / "shapes.rs").write_text(SHAPES)
    (root / "src" / "util.rs").write_text(UTIL)
    return root


def items_by_name(root: Path) -> dict[str, dict]:
    return {(i["name"], i["kind"]): i for i in rrag_json("items", "--root", str(root))["items"]}


def test_index_items_and_qualified_names(tmp_path):
    root = make_crate(tmp_path / "tiny")
    report = rrag_json("index", "--no-embed", "--root", str(root))
    assert report["files_parsed"] == 3 and report["errors"] == []
    items = items_by_name(root)
    assert ("tiny::add", "function") in items
    assert ("tiny::shapes::Circle", "struct") in items
    assert ("tiny::shapes::Circle::area", "method") in items
    assert ("tiny::shapes::Shape::area", "method") in items
    add = items[("tiny::add", "function")]
    assert (add["path"], add["start_line"], add["end_line"]) == ("src/lib.rs", 5, 6)
    assert all(len(i["id"]) == 32 for i in items.values())
    stats = rrag_json("stats", "--root", str(root))
    assert stats["files"] == 3 and stats["items"] == len(items)
    assert Path(stats["db"]).is_file()
    assert str(root) not in stats["db"], "the index must live outside the indexed tree"


def test_reindex_is_incremental_and_ids_are_stable(tmp_path):
    root = make_crate(tmp_path / "tiny")
    rrag_json("index", "--no-embed", "--root", str(root))
    before = items_by_name(root)

    again = rrag_json("index", "--no-embed", "--root", str(root))
    assert again["files_parsed"] == 0 and again["files_unchanged"] == 3

    # Insert a new function above `sub` and edit `add`'s body: only lib.rs is re-parsed.
    text = LIB.replace("pub fn sub", "pub fn mul(a: i32, b: i32) -> i32 { a * b }\n\npub fn sub")
    text = text.replace("{ a + b }", "{ b + a }")
    (root / "src" / "lib.rs").write_text(text)
    edited = rrag_json("index", "--no-embed", "--root", str(root))
    assert edited["files_parsed"] == 1 and edited["files_unchanged"] == 2
    after = items_by_name(root)
    assert ("tiny::mul", "function") in after
    for key, item in before.items():
        assert after[key]["id"] == item["id"], f"id of {key} changed"
    assert (after[("tiny::sub", "function")]["start_line"]
            > before[("tiny::sub", "function")]["start_line"])

    # Touching a file without changing its bytes re-reads it but parses nothing.
    os.utime(root / "src" / "util.rs", ns=(1, 1))
    touched = rrag_json("index", "--no-embed", "--root", str(root))
    assert touched["files_parsed"] == 0


def test_removed_files_and_moved_modules(tmp_path):
    root = make_crate(tmp_path / "tiny")
    rrag_json("index", "--no-embed", "--root", str(root))
    (root / "src" / "util.rs").unlink()
    (root / "src" / "lib.rs").write_text(LIB.replace("mod util;\n", ""))
    report = rrag_json("index", "--no-embed", "--root", str(root))
    assert report["files_removed"] == 1
    assert not any(i["path"] == "src/util.rs"
                   for i in rrag_json("items", "--root", str(root))["items"])

    # shapes.rs unchanged, but now declared under a new parent module: re-parsed, new names.
    (root / "src" / "geo").mkdir()
    shutil.move(root / "src" / "shapes.rs", root / "src" / "geo" / "shapes.rs")
    (root / "src" / "geo.rs").write_text("pub mod shapes;\n")
    (root / "src" / "lib.rs").write_text(LIB.replace("pub mod shapes;", "pub mod geo;")
                                         .replace("mod util;\n", ""))
    rrag_json("index", "--no-embed", "--root", str(root))
    names = {i["name"] for i in rrag_json("items", "--root", str(root))["items"]}
    assert "tiny::geo::shapes::Circle::area" in names
    assert "tiny::shapes::Circle::area" not in names


def test_bad_input_is_reported_once_and_the_rest_is_indexed(tmp_path):
    root = make_crate(tmp_path / "tiny")
    src = root / "src"
    (src / "bad_utf8.rs").write_bytes(b"pub fn ok_fn() {}\n// caf\xe9 \xff\xfe\n"
                                      b"pub fn after() {}\n")
    (src / "binary.rs").write_bytes(bytes(range(256)) * 64)
    big = "".join(f"pub fn generated_{i}(x: u64) -> u64 {{ x.wrapping_mul({i}) }}\n"
                  for i in range(90_000))
    (src / "big.rs").write_text(big)
    assert (src / "big.rs").stat().st_size > 5_000_000
    (src / "loop").mkdir()
    os.symlink("..", src / "loop" / "again")
    os.mkfifo(src / "fifo.rs")
    crate2 = tmp_path / "tiny" / "broken"
    crate2.mkdir()
    (crate2 / "Cargo.toml").write_text("[package\nname = ")
    report = rrag_json("index", "--no-embed", "--root", str(root), timeout=900)
    by_path: dict[str, list[str]] = {}
    for err in report["errors"]:
        by_path.setdefault(err["path"], []).append(err["message"])
    assert all(len(msgs) == 1 for msgs in by_path.values()), by_path
    assert "src/bad_utf8.rs" in by_path
    assert "src/binary.rs" in by_path
    assert "src/fifo.rs" in by_path
    assert any(p.endswith("broken/Cargo.toml") for p in by_path), by_path
    assert "src/big.rs" not in by_path
    names = {i["name"] for i in rrag_json("items", "--root", str(root))["items"]}
    assert {"tiny::add", "tiny::shapes::Circle::area", "tiny::big::generated_89999"} <= names
    assert "tiny::bad_utf8::after" in names
    # Reported once: an unchanged bad file is not reported again on the next run.
    again = rrag_json("index", "--no-embed", "--root", str(root))
    assert again["errors"] == [] or all(e["path"] != "src/binary.rs" for e in again["errors"])


def test_a_file_vanishing_mid_run_is_reported_and_the_rest_indexed(tmp_path):
    from rrag.service.engine import Engine

    root = make_crate(tmp_path / "tiny")
    for i in range(5):
        (root / "src" / f"extra{i}.rs").write_text(f"pub fn extra_{i}() {{}}\n")
    victim = root / "src" / "util.rs"

    def progress(phase, done, total):
        if phase == "indexing" and done == 1 and victim.exists():
            victim.unlink()

    with Engine(root) as engine:
        report = engine.index(embed=False, progress=progress)
        names = {r.qualname for r in engine.items()}
    assert [(e["path"], e["message"]) for e in report.errors] == \
        [("src/util.rs", "vanished while indexing")]
    assert "tiny::util::helper" not in names
    assert {"tiny::extra4::extra_4", "tiny::add", "tiny::shapes::Circle"} <= names
    with Engine(root) as engine:
        # items() brought the index up to date first (the folder changed during the run):
        # the vanished file is gone, and an explicit run has nothing left to remove.
        assert "src/util.rs" not in {r.path for r in engine.items()}
        again = engine.index(embed=False)
        assert again.files_removed == 0 and again.errors == []


def test_folder_of_crates_without_workspace_manifest(tmp_path):
    make_crate(tmp_path / "many" / "one")
    two = make_crate(tmp_path / "many" / "two")
    (two / "Cargo.toml").write_text('[package]\nname = "two"\nversion = "0.1.0"\n'
                                    'edition = "2021"\n')
    rrag_json("index", "--no-embed", "--root", str(tmp_path / "many"))
    names = {i["name"] for i in rrag_json("items", "--root", str(tmp_path / "many"))["items"]}
    assert {"tiny::add", "two::add"} <= names
    paths = {i["path"] for i in rrag_json("items", "--root", str(tmp_path / "many"))["items"]}
    assert "one/src/lib.rs" in paths and "two/src/lib.rs" in paths


def test_errors_are_one_line_rrag_messages(tmp_path):
    proc = rrag("index", "--root", str(tmp_path / "missing"), check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rrag: "), proc.stderr


def test_an_index_from_another_parser_version_is_reparsed_once(tmp_path):
    import apsw

    root = make_crate(tmp_path / "tiny")
    db = Path(rrag_json("index", "--no-embed", "--root", str(root))["db"])
    conn = apsw.Connection(str(db))
    conn.execute("UPDATE meta SET value = 'older' WHERE key = 'parse_version'")
    assert conn.changes() == 1
    conn.close()
    assert rrag_json("index", "--no-embed", "--root", str(root))["files_parsed"] == 3
    assert rrag_json("index", "--no-embed", "--root", str(root))["files_parsed"] == 0


def test_cfg_alternatives_on_one_module_path_get_distinct_ids(tmp_path):
    root = make_crate(tmp_path / "tiny")
    (root / "src" / "lib.rs").write_text(LIB + '#[cfg(unix)]\nmod sys;\n'
                                         '#[cfg(windows)]\n#[path = "sys_win.rs"]\nmod sys;\n')
    (root / "src" / "sys.rs").write_text("pub fn open() {}\n")
    (root / "src" / "sys_win.rs").write_text("pub fn open() {}\n")
    rrag_json("index", "--no-embed", "--root", str(root))
    items = rrag_json("items", "--root", str(root))["items"]
    opens = [i for i in items if i["name"] == "tiny::sys::open"]
    assert sorted(i["path"] for i in opens) == ["src/sys.rs", "src/sys_win.rs"]
    assert len({i["id"] for i in opens}) == 2
    assert len({i["id"] for i in items}) == len(items)
    # The plain namespace goes to the first file by path, deterministically.
    from rrag.parse.nodeid import NodeId
    plain = NodeId.of("tiny::sys", "function:open").hex()
    assert [i["path"] for i in opens if i["id"] == plain] == ["src/sys.rs"]
