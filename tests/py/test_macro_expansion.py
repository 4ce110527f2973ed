"""macro_rules! expansion: the matcher/transcriber on real tree-sitter token trees, items and
edges generated from invocations in the fixture (through the real CLI and SQLite index), the
span mapping back to the invocation, incremental = clean after editing an invocation or a
definition, and a short fuzz run proving odd macros never crash a parse."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, rrag_json
from rrag.parse.rust import finalize, parse_source

FIXTURE = REPO / "tests" / "fixtures" / "macro_ws"


def _generated(src: str, crate_macros: dict[str, str] | None = None) -> dict[str, tuple]:
    parsed = parse_source(src.encode(), "src/lib.rs", crate_macros)
    finalize(parsed, "crate")
    return {f"{it.kind} {it.qualname}": (it.start_line, it.end_line, it.expanded_from,
                                          it.signature)
            for it in parsed.items if it.expanded_from}


def test_separators_nested_repetitions_and_rule_order():
    src = """
macro_rules! table {
    () => {};
    ($($group:ident { $($name:ident : $ty:ty = $value:expr),* });+ $(;)?) => {
        $( pub mod $group { $( pub const $name: $ty = $value; )* } )+
    };
}
table! { a { X: u8 = 1, Y: Vec<Option<u8>> = Vec::new() }; b { Z: &'static str = "z" }; }
table! {}
"""
    got = _generated(src)
    assert set(got) == {"module crate::a", "module crate::b", "const crate::a::X",
                        "const crate::a::Y", "const crate::b::Z"}
    assert got["const crate::a::Y"][3] == "pub const Y: Vec < Option < u8 >> = Vec::new()"
    assert got["const crate::b::Z"][:3] == (8, 8, "table!#0")


def test_fragments_vis_literal_lifetime_block_tt_and_optional():
    src = """
macro_rules! gen {
    ($v:vis fn $name:ident<$lt:lifetime>() -> $lit:literal $body:block $(, $extra:tt)?) => {
        $v fn $name<$lt>() -> &$lt str { let _ = $body; $lit }
        $( pub struct $extra; )?
    };
}
gen!(pub(crate) fn hello<'a>() -> "hi" { 1 + 2 }, Extra);
gen!(fn quiet<'b>() -> "q" {});
"""
    got = _generated(src)
    assert set(got) == {"function crate::hello", "struct crate::Extra", "function crate::quiet"}
    assert got["function crate::hello"][3] == "pub(crate) fn hello < 'a > () -> &'a str"
    assert got["function crate::quiet"][2] == "gen!#1"


def test_crate_macros_dollar_crate_recursion_limit_and_no_match():
    definition = """#[macro_export]
macro_rules! forever { ($t:ident) => { forever!($t); }; }"""
    src = """
forever!(Loop);
other::shape!(Circle);
impl Circle { getters!(x); }
not_a_match!(1, 2);
"""
    crate_macros = {
        "forever": definition,
        "shape": "macro_rules! shape { ($t:ident) => { impl $crate::Shape for $t {} }; }",
        "getters": "macro_rules! getters { ($f:ident) => { pub fn $f(&self) -> u8 { 0 } }; }",
        "not_a_match": "macro_rules! not_a_match { ($a:ident) => { fn nope() {} }; }",
    }
    got = _generated(src, crate_macros)
    # recursion stops at the depth limit without items; a scoped name finds the crate macro;
    # an invocation inside an impl generates methods of that impl
    assert set(got) == {"impl crate::<impl crate::Shape for Circle>", "method crate::Circle::x"}
    assert got["method crate::Circle::x"][:3] == (4, 4, "getters!#0")


def test_another_crates_macro_with_items_for_a_body_adds_them_where_they_are_written():
    """`pin_project!` (pin-project-lite), `thread_local!` and `lazy_static!` take items as
    written (tree-sitter knows lazy_static's `static ref`): those items, at their own lines,
    with their fields' references. A body that is not items (`bitflags!`) adds nothing."""
    src = """use std::time::Instant;

pin_project! {
    /// A future with the time it started.
    pub struct Timed<F> {
        #[pin]
        inner: F,
        started: Instant,
    }
}

thread_local! {
    static DEPTH: u32 = 0;
}

lazy_static! {
    static ref TABLE: Vec<u8> = build();
}

bitflags! {
    pub struct Mode: u32 {
        const READ = 1;
    }
}
"""
    parsed = parse_source(src.encode(), "src/lib.rs")
    finalize(parsed, "crate")
    made = {it.qualname: it for it in parsed.items if it.expanded_from}
    assert {q: (it.kind, it.start_line, it.end_line, it.expanded_from)
            for q, it in made.items()} == {
        "crate::Timed": ("struct", 4, 9, "pin_project!#0"),
        "crate::DEPTH": ("static", 13, 13, "thread_local!#0"),
        "crate::TABLE": ("static", 17, 17, "lazy_static!#0")}
    timed = made["crate::Timed"]
    assert timed.docs == "A future with the time it started."
    assert "expanded_from(pin_project!)" in timed.attrs
    assert timed.content.startswith("/// A future") and timed.content.endswith("}")
    owner = parsed.items.index(timed)
    assert ("field", owner, "started", "Instant", 8) in parsed.refs


def test_generated_ids_are_stable_and_distinct():
    src = """
macro_rules! unit { ($t:ident) => { pub struct $t; }; }
unit!(A);
unit!(B);
"""
    first = parse_source(src.encode(), "src/lib.rs")
    finalize(first, "crate")
    edited = parse_source(("// a comment line\n" + src).encode(), "src/lib.rs")
    finalize(edited, "crate")
    ids = {it.qualname: it.id for it in first.items}
    assert len(set(ids.values())) == len(first.items)
    assert ids == {it.qualname: it.id for it in edited.items}


_TOKENS = st.sampled_from(["$", "(", ")", "{", "}", "[", "]", "$x", "$x:ident", "$y:expr",
                           "$z:tt", "$($x),*", "$(", ")*", ")+", ")?", ",", ";", "=>", "fn",
                           "impl", "struct", "A", "'a", "\"s\"", "1", "::", "<", ">", "#",
                           "$crate", "m!", "m!(A);", "pub"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TOKENS, max_size=30), st.lists(_TOKENS, max_size=30),
       st.lists(_TOKENS, max_size=20))
def test_fuzz_never_crashes(left, right, args):
    src = (f"macro_rules! m {{ ({' '.join(left)}) => {{ {' '.join(right)} }}; }}\n"
           f"m!({' '.join(args)});\nm! {{ {' '.join(args)} }}\n")
    parsed = parse_source(src.encode(), "src/lib.rs",
                          {"m": f"macro_rules! m {{ ({' '.join(args)}) => {{ m!(); }} }}"})
    finalize(parsed, "crate")
    assert all(it.start_line >= 1 for it in parsed.items)


def _items(root: Path) -> dict[str, dict]:
    return {i["name"] + " " + i["kind"]: i
            for i in rrag_json("items", "--root", str(root))["items"]}


def _edges(root: Path) -> set[tuple]:
    return {(e["type"], e["source"], e["target"], e["path"], e["line"])
            for e in rrag_json("graph", "edges", "--root", str(root))["edges"]}


@pytest.mark.slow
def test_fixture_generated_items_spans_and_edges(tmp_path):
    work = tmp_path / "ws"
    shutil.copytree(FIXTURE, work)
    rrag_json("index", "--root", str(work), "--no-embed")
    items = _items(work)
    impl = items["macro_ws::shapes::<impl crate::Shape for Circle> impl"]
    assert (impl["path"], impl["start_line"], impl["end_line"]) == ("src/shapes.rs", 11, 11)
    assert impl["expanded_from"] == "impl_shape!"
    assert "expanded_from" not in items["macro_ws::shapes::Circle struct"]
    assert sum("expanded_from" in i for i in items.values()) == 11
    getter = items["macro_ws::shapes::Circle::radius method"]
    assert (getter["start_line"], getter["end_line"]) == (15, 17)  # the whole invocation
    assert getter["parent"] == items["macro_ws::shapes::<impl Circle> impl"]["id"]
    for name in ("Square::area", "Tri::area", "ONE", "TWO"):
        assert any(k.startswith(f"macro_ws::shapes::{name} ") for k in items), name
    edges = _edges(work)
    for edge in [("implements", "macro_ws::shapes::Circle", "macro_ws::Shape", "src/shapes.rs", 11),
                 ("implements", "macro_ws::shapes::Tri", "macro_ws::Shape", "src/shapes.rs", 13),
                 ("calls", "macro_ws::shapes::Circle::area", "macro_ws::unit", "src/shapes.rs", 11),
                 ("calls", "macro_ws::shapes::total", "macro_ws::shapes::Circle::radius",
                  "src/shapes.rs", 31),
                 ("uses_type", "macro_ws::shapes::Circle::label", "Vec", "src/shapes.rs", 15),
                 ("contains", "macro_ws::shapes::<impl Circle>", "macro_ws::shapes::Circle::label",
                  "src/shapes.rs", 15),
                 ("invokes_macro", "macro_ws::shapes", "macro_ws::macros::impl_shape",
                  "src/shapes.rs", 13)]:
        assert edge in edges, edge


@pytest.mark.slow
def test_edit_invocation_and_definition_equals_clean_index(tmp_path, monkeypatch):
    work = tmp_path / "ws"
    shutil.copytree(FIXTURE, work)
    incremental_cache = os.environ["XDG_CACHE_HOME"]

    def clean_index(name: str) -> tuple[dict, set]:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / name))
        rrag_json("index", "--root", str(work), "--no-embed")
        result = _items(work), _edges(work)
        monkeypatch.setenv("XDG_CACHE_HOME", incremental_cache)
        return result

    rrag_json("index", "--root", str(work), "--no-embed")
    before_items = _items(work)
    shapes = work / "src" / "shapes.rs"
    shapes.write_text(shapes.read_text().replace("impl_shape!(Square, Tri);",
                                                 "\nimpl_shape!(Tri, Square);"))
    report = rrag_json("index", "--root", str(work), "--no-embed")
    assert report["files_parsed"] == 1
    items, edges = _items(work), _edges(work)
    assert (items, edges) == clean_index("clean-1")
    assert items["macro_ws::shapes::Square::area method"]["start_line"] == 14
    # the invocation moved and its arguments swapped: new ids for its items, others kept
    assert items["macro_ws::shapes::Square::area method"]["id"] != \
        before_items["macro_ws::shapes::Square::area method"]["id"]
    assert items["macro_ws::shapes::Circle::radius method"]["id"] == \
        before_items["macro_ws::shapes::Circle::radius method"]["id"]
    # the definition changes in another file: every file of the crate is parsed again
    macros = work / "src" / "macros.rs"
    macros.write_text(macros.read_text().replace("$crate::unit()", "$crate::unit() * 2.0"))
    report = rrag_json("index", "--root", str(work), "--no-embed")
    assert report["files_parsed"] == 3
    assert (_items(work), _edges(work)) == clean_index("clean-2") == (items, edges)
    macros.write_text(macros.read_text().replace("$crate::unit() * 2.0", "0.0"))
    rrag_json("index", "--root", str(work), "--no-embed")
    edges = _edges(work)
    assert not any(e[0] == "calls" and e[2] == "macro_ws::unit" for e in edges)
    assert (_items(work), edges) == clean_index("clean-3")


def _calls(src: str) -> list[tuple]:
    parsed = parse_source(src.encode(), "src/lib.rs")
    names = {i: it.name for i, it in enumerate(parsed.items)}
    return sorted((r[0], names[r[1]], r[2], r[4]) for r in parsed.refs
                  if r[0] in ("call", "tcall") and r[2] in ("helper", "other", "crate::helper"))


def test_a_rule_body_is_referenced_once_per_caller_and_a_doc_test_call_once():
    src = """macro_rules! m {
    (one $x:expr) => { helper($x) };
    (two $x:expr) => { other($x) };
}
pub fn helper(x: u32) -> u32 { x }
pub fn other(x: u32) -> u32 { x }
/// ```
/// crate::helper(1);
/// crate::helper(1);
/// crate::helper(2);
/// ```
pub fn caller() -> u32 {
    m!(one 1) + m!(one 2)
        + m!(two 3)
        + m!(one 4)
}
pub fn second() -> u32 { m!(one 5) }
"""
    # `helper` reached through rule one three times in `caller`: once, at the first line; rule
    # two's body once; another caller gets its own. The doc test's two identical lines (and a
    # third with another argument) are one call of the documented item: all at its line.
    assert _calls(src) == [
        ("call", "caller", "helper", 13),
        ("call", "caller", "other", 14),
        ("call", "second", "helper", 17),
        ("tcall", "caller", "crate::helper", 7),
    ]
