"""A corpus of hostile files generated here (never committed), indexed by the real ``rrag index``:
invalid UTF-8, NUL bytes, BOM + CRLF, a 5 MB file, a 100k-line file, expressions, blocks, types
and modules nested 10k deep, a Python script named ``.rs``, symlink loops, a dangling link, a FIFO,
an unreadable file (root reads everything, so that run drops CAP_DAC_OVERRIDE with setpriv), and
file names with spaces, unicode and a newline. The index completes, each problem is reported once
by name, and everything else is indexed. (More of the same through the parser alone:
test_parse_robustness.py; bad Cargo.toml, binary and 90k-function files: test_indexer.py.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, rrag_json

pytestmark = pytest.mark.slow

DEPTH = 10_000

LIB = """pub mod bad_utf8;
pub mod nul;
pub mod bom;
pub mod big;
pub mod lines;
pub mod deep;
pub mod notrust;
pub mod unreadable;
pub mod fifo;
pub mod dangling;
pub mod looping;
pub mod unicodé;
#[path = "with space.rs"]
pub mod spaced;
#[path = "new\nline.rs"]
pub mod newline;
pub fn good() {}
"""


def build_corpus(root: Path) -> Path:
    src = root / "src"
    src.mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "bad"\nversion = "0.1.0"\n'
                                     'edition = "2021"\n')
    (src / "lib.rs").write_text(LIB)
    # Invalid bytes in a comment, in a `use` path, a field and a method name (found by fuzzing:
    # the reference extraction raised UnicodeDecodeError on the `use` path).
    (src / "bad_utf8.rs").write_bytes(b"use crate::caf\xe9::{x\x97, y};\n"
                                      b"pub fn utf8_before() { a.b\xff(); }\n"
                                      b"// caf\xe9 \xff\xfe \xc3\n"
                                      b"pub fn utf8_after() {}\n")
    (src / "nul.rs").write_bytes(b"pub fn nul_before() {}\n" + b"\0" * 64
                                 + b"\npub fn nul_after() {}\n")
    (src / "bom.rs").write_bytes(b"\xef\xbb\xbfpub fn bom_first() {}\r\n\r\n"
                                 b"pub fn crlf_second() {\r\n    1;\r\n}\r\n")
    blob = "x" * (5 * 1024 * 1024)
    (src / "big.rs").write_text(f'pub const BLOB: &str = "{blob}";\npub fn after_blob() {{}}\n')
    (src / "lines.rs").write_text("".join(f"// line {i}\n" for i in range(100_000))
                                  + "pub fn last_line() {}\n")
    (src / "deep.rs").write_text(
        "pub fn deep_expr() -> i32 { " + "(" * DEPTH + "1" + ")" * DEPTH + " }\n"
        "pub fn deep_blocks() { " + "{" * DEPTH + "}" * DEPTH + " }\n"
        "pub type DeepType = " + "Vec<" * DEPTH + "u8" + ">" * DEPTH + ";\n"
        + "mod m { " * 2000 + "pub fn innermost() {}" + " }" * 2000 + "\n"
        "pub fn after_deep() {}\n")
    (src / "notrust.rs").write_text("#!/usr/bin/env python3\nimport os\n\ndef main():\n"
                                    "    return [x for x in range(3)]\n")
    (src / "unreadable.rs").write_text("pub fn secret() {}\n")
    os.chmod(src / "unreadable.rs", 0)
    os.mkfifo(src / "fifo.rs")
    os.symlink("nowhere.rs", src / "dangling.rs")
    os.symlink("looping_b.rs", src / "looping.rs")
    os.symlink("looping.rs", src / "looping_b.rs")
    (src / "dirloop").mkdir()
    os.symlink("..", src / "dirloop" / "up")
    (src / "unicodé.rs").write_text("pub fn accented() {}\n")
    (src / "with space.rs").write_text("pub fn spaced_fn() {}\n")
    (src / "new\nline.rs").write_text("pub fn newline_fn() {}\n")
    return root


def _index_without_root_privileges(root: Path) -> dict:
    """Root reads a mode-000 file anyway; without CAP_DAC_OVERRIDE it cannot."""
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.fail("setpriv (util-linux) is needed to drop CAP_DAC_OVERRIDE")
    cmd = [str(BIN / "rrag"), "index", "--no-embed", "--root", str(root), "--json"]
    if os.geteuid() == 0:
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    assert len(lines) == 1
    return json.loads(lines[0])


def test_hostile_corpus_indexes_with_each_problem_reported_once(tmp_path):
    root = build_corpus(tmp_path / "bad")
    report = _index_without_root_privileges(root)
    by_path: dict[str, list[str]] = {}
    for err in report["errors"]:
        by_path.setdefault(err["path"], []).append(err["message"])
    assert all(len(msgs) == 1 for msgs in by_path.values()), by_path
    assert set(by_path) == {"src/bad_utf8.rs", "src/nul.rs", "src/notrust.rs",
                            "src/unreadable.rs", "src/fifo.rs"}, by_path
    assert "invalid UTF-8" in by_path["src/bad_utf8.rs"][0]
    assert "not a text file" in by_path["src/nul.rs"][0]
    assert "not Rust" in by_path["src/notrust.rs"][0]
    assert "Permission denied" in by_path["src/unreadable.rs"][0]
    assert "not a regular file" in by_path["src/fifo.rs"][0]

    items = rrag_json("items", "--root", str(root))["items"]
    spans = {i["name"]: (i["path"], i["start_line"], i["end_line"]) for i in items}
    expected = {
        "bad::good": ("src/lib.rs", 18, 18),  # the #[path] string spans two lines
        "bad::bad_utf8::utf8_after": ("src/bad_utf8.rs", 4, 4),
        "bad::bom::bom_first": ("src/bom.rs", 1, 1),
        "bad::bom::crlf_second": ("src/bom.rs", 3, 5),
        "bad::big::after_blob": ("src/big.rs", 2, 2),
        "bad::lines::last_line": ("src/lines.rs", 100_001, 100_001),
        "bad::deep::after_deep": ("src/deep.rs", 5, 5),
        "bad::unicodé::accented": ("src/unicodé.rs", 1, 1),
        "bad::spaced::spaced_fn": ("src/with space.rs", 1, 1),
        "bad::newline::newline_fn": ("src/new\nline.rs", 1, 1),
    }
    for name, span in expected.items():
        assert spans.get(name) == span, (name, spans.get(name))
    assert {"bad::deep::deep_expr", "bad::deep::deep_blocks", "bad::deep::DeepType"} <= set(spans)
    paths = {i["path"] for i in items}
    assert not {"src/nul.rs", "src/unreadable.rs", "src/fifo.rs"} & paths
    assert not any("dirloop" in p or "looping" in p or "dangling" in p for p in paths), paths

    # Reported once: nothing changed, so the next run reports none of the unchanged files again.
    again = _index_without_root_privileges(root)
    repeated = {e["path"] for e in again["errors"]}
    assert not repeated & {"src/bad_utf8.rs", "src/nul.rs", "src/notrust.rs"}, again["errors"]
    assert again["files_parsed"] == 0
