"""The graph on code written the way real crates write it (issue 18), through the real CLI on a
two-crate fixture: calls inside macro arguments (assert_eq!, println!, format!, a workspace
macro_rules! in expression position), supertrait calls on `self` in default methods, `Self::f`
in a trait impl that does not define f, receiver types through `?`, `.unwrap()`, `if let
Some(..)` and `for .. in` over an iterator type, const and static reads (`uses_const`), and
`tests` edges from #[test] functions, their helpers, integration tests and doc tests. Also:
an edit re-indexed incrementally gives the edges of a clean index, new edge kinds included."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, registry_crate, rrag_json

FIXTURE = REPO / "tests" / "fixtures" / "graph_real_ws"

EXPECTED = {
    # calls inside macro arguments
    ("calls", "cli::main", "textkit::report::line", "cli/src/main.rs:20"),
    ("calls", "textkit::tests::width_caps", "textkit::width", "textkit/src/lib.rs:62"),
    ("calls", "textkit::tests::check", "textkit::double_width", "textkit/src/lib.rs:57"),
    ("calls", "textkit::report::line", "textkit::width", "textkit/src/report.rs:14"),
    ("calls", "smoke::compiles", "textkit::pattern::compile", "cli/tests/smoke.rs:5"),
    ("calls", "smoke::compiles", "textkit::pattern::Pattern::captures", "cli/tests/smoke.rs:7"),
    # a workspace macro_rules! in expression position, expanded
    ("calls", "textkit::double_width", "textkit::width", "textkit/src/lib.rs:31"),
    # supertrait method on self in a default method (inside format!), Self:: in a trait
    ("calls", "textkit::Greeter::greet", "textkit::Named::name", "textkit/src/lib.rs:40"),
    ("calls", "textkit::Greeter::shout", "textkit::Greeter::loud", "textkit/src/lib.rs:44"),
    ("calls", "textkit::Greeter::shout", "textkit::Greeter::greet", "textkit/src/lib.rs:44"),
    # Self::loud in an impl of Greeter that does not define loud: the trait's item
    ("calls", "cli::Bot::greet", "textkit::Greeter::loud", "cli/src/main.rs:14"),
    # receiver types through declared return types
    ("calls", "textkit::pattern::first_word", "textkit::pattern::Captures::get",
     "textkit/src/pattern.rs:49"),
    ("calls", "textkit::pattern::all_words", "textkit::pattern::Captures::get",
     "textkit/src/pattern.rs:57"),
    ("calls", "textkit::pattern::compile", "textkit::pattern::Pattern::captures",
     "textkit/src/pattern.rs:66"),
    ("calls", "textkit::pattern::compile", "textkit::pattern::Captures::get",
     "textkit/src/pattern.rs:67"),
    ("calls", "smoke::compiles", "textkit::pattern::Pattern::new", "cli/tests/smoke.rs:6"),
    # const and static reads, in bodies and in macro arguments
    ("uses_const", "textkit::width", "textkit::MAX_WIDTH", "textkit/src/lib.rs:23"),
    ("uses_const", "textkit::width", "textkit::MAX_WIDTH", "textkit/src/lib.rs:24"),
    ("uses_const", "textkit::Greeter::greet", "textkit::GREETING", "textkit/src/lib.rs:40"),
    ("uses_const", "textkit::tests::check", "textkit::MAX_WIDTH", "textkit/src/lib.rs:57"),
    # tests: direct, through the helper `check` one level down, integration, doc tests
    ("tests", "textkit::tests::width_caps", "textkit::width", "textkit/src/lib.rs:62"),
    ("tests", "textkit::tests::width_caps", "textkit::double_width", "textkit/src/lib.rs:63"),
    ("tests", "smoke::compiles", "textkit::pattern::compile", "cli/tests/smoke.rs:5"),
    ("tests", "smoke::compiles", "textkit::pattern::Pattern::new", "cli/tests/smoke.rs:6"),
    ("tests", "smoke::compiles", "textkit::pattern::Pattern::captures", "cli/tests/smoke.rs:7"),
    ("tests", "textkit::report::Report", "textkit::report::line", "textkit/src/report.rs:3"),
    ("tests", "textkit::MAX_WIDTH", "textkit::width", "textkit/src/lib.rs:5"),
}


def _edges(root: Path) -> set[tuple[str, str, str, str]]:
    return {(e["type"], e["source"], e["target"], f"{e['path']}:{e['line']}")
            for e in rrag_json("graph", "edges", "--root", str(root))["edges"]}


def test_real_code_edges():
    rrag_json("index", "--root", str(FIXTURE), "--no-embed")
    got = _edges(FIXTURE)
    missing = sorted(EXPECTED - got)
    assert not missing, f"missing {missing}"
    # A test is not tested by itself, a helper is not an exercised item, a doc test never
    # becomes a call of the documented item, and an unresolved SCREAMING name is no edge.
    assert not any(e[0] == "tests" and e[2] == "textkit::tests::check" for e in got)
    assert not any(e[0] == "calls" and e[1] == "textkit::report::Report" for e in got)
    assert not any(e[0] == "calls" and e[1] == "textkit::MAX_WIDTH" for e in got)
    assert {e[2] for e in got if e[0] == "uses_const"} == {"textkit::MAX_WIDTH",
                                                          "textkit::GREETING"}


def test_types_written_inside_pin_project_are_items_and_their_calls_resolve(tmp_path):
    """http-body 0.4.5 (Debian's sources, read at test time) defines `Full` inside
    pin-project-lite's `pin_project!`, as tokio, hyper and futures-util define theirs. The
    struct is an item at its own lines, and the tests' calls through it resolve: before, not
    even `Full::new` did, and those tests had no `tests` edge."""
    root = tmp_path / "http-body"
    shutil.copytree(registry_crate("http-body"), root)
    rrag_json("index", "--root", str(root), "--no-embed")
    got = _edges(root)
    test = "http_body::full::tests::full_returns_some"
    assert {("uses_type", "http_body::full::Full::new", "http_body::full::Full",
             "src/full.rs:29"),
            ("tests", test, "http_body::full::Full::new", "src/full.rs:140"),
            ("calls", test, "http_body::full::Full::size_hint", "src/full.rs:141"),
            ("calls", test, "http_body::size_hint::SizeHint::exact", "src/full.rs:141"),
            ("calls", test, "http_body::Body::data", "src/full.rs:142")} <= got
    full = rrag_json("search", "Full", "--root", str(root), "--mode", "lexical")["results"]
    struct = next(r for r in full if r["name"] == "http_body::full::Full")
    assert (struct["kind"], struct["path"], struct["start_line"], struct["end_line"]) == \
        ("struct", "src/full.rs", 11, 15)


def test_edge_type_filter_knows_the_new_kinds():
    rrag_json("index", "--root", str(FIXTURE), "--no-embed")
    for kind in ("tests", "uses_const"):
        edges = rrag_json("graph", "edges", "--root", str(FIXTURE), "--type", kind)["edges"]
        assert edges and {e["type"] for e in edges} == {kind}


def test_incremental_reindex_equals_clean_with_new_edges(tmp_path, monkeypatch):
    work = tmp_path / "ws"
    shutil.copytree(FIXTURE, work)
    rrag_json("index", "--root", str(work), "--no-embed")
    lib = work / "textkit" / "src" / "lib.rs"
    # A new const read in a macro argument, a renamed callee the tests reach through the
    # helper, and a new test: edges of every new kind move.
    text = lib.read_text().replace("pub fn double_width(", "pub fn twice_width(")
    text = text.replace("assert!(double_width(s)", "assert!(twice_width(s)")
    text = text.replace("twice!(width(s))", "twice!(width(s)) + GREETING.len()")
    lib.write_text(text.replace("    #[test]\n    fn width_caps", "    #[test]\n    fn empty() {\n"
                                "        assert_eq!(width(\"\"), 0);\n    }\n\n"
                                "    #[test]\n    fn width_caps"))
    report = rrag_json("index", "--root", str(work), "--no-embed")
    assert report["files_parsed"] == 1
    after = _edges(work)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "clean-cache"))
    rrag_json("index", "--root", str(work), "--no-embed")
    clean = _edges(work)
    assert after == clean
    kinds = {(e[0], e[1], e[2]) for e in clean}
    assert ("tests", "textkit::tests::width_caps", "textkit::twice_width") in kinds
    assert ("tests", "textkit::tests::empty", "textkit::width") in kinds
    assert ("uses_const", "textkit::twice_width", "textkit::GREETING") in kinds


def test_macro_args_switch_removes_the_macro_argument_calls(tmp_path, monkeypatch):
    """RRAG_MACRO_ARGS=0 (diagnostic, doc/graph.md) parses without issue 18's wrappers: the
    call inside `assert_eq!(width("abc"), 3)` is no `calls` edge with it off, and is with it on.
    The parse workers inherit the variable; turning it back on re-parses (parse version)."""
    edge = ("calls", "textkit::tests::width_caps", "textkit::width", "textkit/src/lib.rs:62")
    monkeypatch.setenv("RRAG_MACRO_ARGS", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "off"))
    rrag_json("index", "--root", str(FIXTURE), "--no-embed")
    off = _edges(FIXTURE)
    assert edge not in off
    # The written code is still read: the direct call of the helper stays a call.
    assert ("calls", "textkit::tests::width_caps", "textkit::tests::check",
            "textkit/src/lib.rs:63") in off
    monkeypatch.setenv("RRAG_MACRO_ARGS", "1")  # same cache: every file is parsed again
    report = rrag_json("index", "--root", str(FIXTURE), "--no-embed")
    assert report["files_parsed"] == len(list(FIXTURE.rglob("*.rs")))
    assert edge in _edges(FIXTURE)
