"""Item extraction with the real tree-sitter-rust grammar: every item kind, docs, attributes,
impl naming, spans, ordinals, mod declarations, and finalize()'s names and ids.
(Syntax errors and hostile input: test_parse_robustness.py.)"""

from __future__ import annotations

import pytest

from rrag.parse.nodeid import NodeId
from rrag.parse.rust import finalize, parse_source

SHAPES = b'''//! Shapes and their areas.
//! Second line of module docs.
#![allow(dead_code)]

use std::fmt;

/// A circle.
///
/// Has a radius.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg(feature = "std")]
pub struct Circle<T: Copy> {
    pub r: T,
}

pub(crate) struct Pair(u8, pub u16);

/** Block docs
 * second line
 */
pub enum Kind { Round, Square(u8) }

#[repr(C)]
union Bits { i: u32, f: f32 }

#[doc = "Docs from an attribute."]
pub trait Shape: fmt::Debug {
    /// The area.
    fn area(&self) -> f64;
    fn name(&self) -> &str { "shape" }
    type Unit;
    const SIDES: u32;
}

impl<T: Copy + Into<f64>> Shape for Circle<T> where T: fmt::Debug {
    fn area(&self) -> f64 { 3.14 }
    type Unit = f64;
    const SIDES: u32 = 0;
}

impl<T: Copy> Circle<T> {
    pub fn new(r: T) -> Self { Self { r } }
}

impl<T: Copy> Circle<T> {
    pub fn new(r: T) -> Self {
        fn helper_inside_body() {}
        struct AlsoInside;
        Self { r }
    }
}

unsafe impl<T: Copy> Send for &'static mut crate::geo::Circle<T> {}

pub const MAX: usize = 10;
static mut COUNTER: u32 = 0;
pub type Table<K> = std::collections::HashMap<K, u32>;

#[macro_export]
macro_rules! square {
    ($x:expr) => { $x * $x };
}

extern "C" {
    pub fn abs(x: i32) -> i32;
    static errno: i32;
}

#[path = "elsewhere/other.rs"]
#[macro_use]
mod other;

/// Unit tests.
#[cfg(test)]
mod tests {
    //! Inner docs of tests.
    use super::*;

    #[test]
    fn it_works() {}

    mod deeper {
        pub(in crate::geo) fn x() {}
        mod leaf;
    }
}
'''


@pytest.fixture(scope="module")
def shapes():
    parsed = parse_source(SHAPES, "src/geo.rs")
    finalize(parsed, "demo::geo")
    return parsed


def find(parsed, kind, name_path, ordinal=0):
    hits = [i for i in parsed.items
            if i.kind == kind and i.name_path == name_path and i.ordinal == ordinal]
    assert len(hits) == 1, (kind, name_path, [(i.kind, i.name_path) for i in parsed.items])
    return hits[0]


def line_of(source: bytes, needle: bytes) -> int:
    return source[: source.index(needle)].count(b"\n") + 1


def test_file_item(shapes):
    f = shapes.items[0]
    assert (f.kind, f.name, f.name_path, f.parent_index) == ("file", "geo.rs", "", None)
    assert (f.start_byte, f.end_byte, f.start_line) == (0, len(SHAPES), 1)
    assert f.end_line == shapes.line_count == SHAPES.count(b"\n")
    assert f.content == SHAPES.decode()
    assert f.docs == "Shapes and their areas.\nSecond line of module docs."
    assert "allow(dead_code)" in f.attrs
    assert shapes.error_count == 0


def test_every_kind_is_found_once(shapes):
    got = sorted((i.kind, i.name_path) for i in shapes.items[1:])
    assert got == sorted([
        ("struct", "Circle"), ("struct", "Pair"), ("enum", "Kind"), ("union", "Bits"),
        ("trait", "Shape"), ("method", "Shape::area"), ("method", "Shape::name"),
        ("type", "Shape::Unit"), ("const", "Shape::SIDES"),
        ("impl", "<impl Shape for Circle<T>>"), ("method", "<impl Shape for Circle<T>>::area"),
        ("type", "<impl Shape for Circle<T>>::Unit"),
        ("const", "<impl Shape for Circle<T>>::SIDES"),
        ("impl", "<impl Circle<T>>"), ("method", "<impl Circle<T>>::new"),
        ("impl", "<impl Circle<T>>"), ("method", "<impl Circle<T>>#1::new"),
        ("impl", "<impl Send for &'static mut crate::geo::Circle<T>>"),
        ("const", "MAX"), ("static", "COUNTER"), ("type", "Table"), ("macro", "square"),
        ("function", "abs"), ("static", "errno"), ("module", "other"), ("module", "tests"),
        ("function", "tests::it_works"), ("module", "tests::deeper"),
        ("function", "tests::deeper::x"), ("module", "tests::deeper::leaf"),
    ])
    # Items inside a function body are part of that function, not items of their own.
    assert not any(i.name in ("helper_inside_body", "AlsoInside") for i in shapes.items)


def test_span_starts_at_docs_and_attributes(shapes):
    circle = find(shapes, "struct", "Circle")
    assert circle.start_line == line_of(SHAPES, b"/// A circle.")
    assert circle.end_line == line_of(SHAPES, b"    pub r: T,") + 1
    assert circle.content.startswith("/// A circle.") and circle.content.endswith("}")
    assert SHAPES[circle.start_byte:circle.end_byte].decode() == circle.content
    bits = find(shapes, "union", "Bits")
    assert bits.content.startswith("#[repr(C)]")
    # `use` and the blank line before `/// A circle.` are not part of anything.
    kind = find(shapes, "enum", "Kind")
    assert kind.start_line == line_of(SHAPES, b"/** Block docs")


def test_docs_attrs_derives_cfg(shapes):
    circle = find(shapes, "struct", "Circle")
    assert circle.docs == "A circle.\n\nHas a radius."
    assert circle.attrs == ("derive(Debug, Clone, serde::Serialize)", 'cfg(feature = "std")')
    assert circle.derives == ("Debug", "Clone", "serde::Serialize")
    assert circle.cfg == ('feature = "std"',)
    assert circle.generics == "<T: Copy>"
    assert circle.visibility == "pub"
    assert find(shapes, "enum", "Kind").docs == "Block docs\nsecond line"
    assert find(shapes, "trait", "Shape").docs == "Docs from an attribute."
    assert find(shapes, "method", "Shape::area").docs == "The area."
    tests = find(shapes, "module", "tests")
    assert tests.docs == "Unit tests.\nInner docs of tests."
    assert tests.cfg == ("test",)
    assert find(shapes, "function", "tests::it_works").attrs == ("test",)


def test_visibility_and_signatures(shapes):
    assert find(shapes, "struct", "Pair").visibility == "pub(crate)"
    assert find(shapes, "struct", "Pair").signature == "pub(crate) struct Pair(u8, pub u16)"
    assert find(shapes, "function", "tests::deeper::x").visibility == "pub(in crate::geo)"
    assert find(shapes, "union", "Bits").visibility == ""
    assert find(shapes, "struct", "Circle").signature == "pub struct Circle<T: Copy>"
    assert find(shapes, "method", "Shape::area").signature == "fn area(&self) -> f64"
    assert find(shapes, "method", "Shape::name").signature == "fn name(&self) -> &str"
    impl = find(shapes, "impl", "<impl Shape for Circle<T>>")
    assert impl.signature == "impl<T: Copy + Into<f64>> Shape for Circle<T> where T: fmt::Debug"
    assert find(shapes, "macro", "square").signature == "macro_rules! square"
    assert find(shapes, "module", "other").signature == "mod other"
    assert find(shapes, "const", "MAX").signature == "pub const MAX: usize = 10"
    assert find(shapes, "function", "abs").signature == "pub fn abs(x: i32) -> i32"


def test_impl_and_method_naming(shapes):
    impl = find(shapes, "impl", "<impl Shape for Circle<T>>")
    assert (impl.name, impl.self_type, impl.trait_name) == \
        ("<impl Shape for Circle<T>>", "Circle", "Shape")
    assert impl.generics == "<T: Copy + Into<f64>>"
    area = find(shapes, "method", "<impl Shape for Circle<T>>::area")
    assert (area.self_type, area.trait_name) == ("Circle", "Shape")
    assert shapes.items[area.parent_index] is impl
    send = find(shapes, "impl", "<impl Send for &'static mut crate::geo::Circle<T>>")
    assert (send.self_type, send.trait_name) == ("Circle", "Send")
    trait_method = find(shapes, "method", "Shape::area")
    assert (trait_method.self_type, trait_method.trait_name) == ("Shape", "")


def test_parents_and_ordinals(shapes):
    first, second = (i for i in shapes.items if i.kind == "impl" and i.name == "<impl Circle<T>>")
    assert (first.ordinal, second.ordinal) == (0, 1)
    new0 = find(shapes, "method", "<impl Circle<T>>::new")
    new1 = find(shapes, "method", "<impl Circle<T>>#1::new")
    assert shapes.items[new0.parent_index] is first and shapes.items[new1.parent_index] is second
    assert new0.key != new1.key
    deeper = find(shapes, "module", "tests::deeper")
    x = find(shapes, "function", "tests::deeper::x")
    assert shapes.items[x.parent_index] is deeper and x.module_rel == "tests::deeper"
    assert find(shapes, "struct", "Circle").parent_index == 0
    assert find(shapes, "function", "abs").parent_index == 0  # extern block is transparent


def test_same_name_twice_gets_ordinals():
    src = b"""#[cfg(unix)] mod imp { pub fn run() {} }
#[cfg(windows)] mod imp { pub fn run() {} }
macro_rules! m { () => {} }
macro_rules! m { (x) => {} }
"""
    parsed = parse_source(src, "x.rs")
    finalize(parsed, "c")
    keys = [i.key for i in parsed.items]
    assert len(set(keys)) == len(keys), keys
    runs = [i for i in parsed.items if i.name == "run"]
    assert [r.qualname for r in runs] == ["c::imp::run", "c::imp::run"]
    assert [r.name_path for r in runs] == ["imp::run", "imp#1::run"]
    assert len({r.id for r in runs}) == 2
    assert [i.ordinal for i in parsed.items if i.kind == "macro"] == [0, 1]


def test_mod_decls(shapes):
    decls = {(d.module_rel, d.name): d for d in shapes.mod_decls}
    assert set(decls) == {("", "other"), ("", "tests"), ("tests", "deeper"),
                          ("tests::deeper", "leaf")}
    other = decls[("", "other")]
    assert (other.inline, other.path_attr, other.macro_use) == (False, "elsewhere/other.rs", True)
    assert other.line == line_of(SHAPES, b"mod other;")
    tests = decls[("", "tests")]
    assert tests.inline and tests.cfg == ("test",)
    assert not decls[("tests::deeper", "leaf")].inline


def test_finalize_names_ids_and_parents(shapes):
    by_key = {i.key: i for i in shapes.items}
    f = shapes.items[0]
    assert (f.qualname, f.module_path, f.parent) == ("demo::geo", "demo::geo", None)
    expect = {
        "struct:Circle": "demo::geo::Circle",
        "method:<impl Shape for Circle<T>>::area": "demo::geo::Circle::area",
        "method:Shape::area": "demo::geo::Shape::area",
        "impl:<impl Shape for Circle<T>>": "demo::geo::<impl Shape for Circle<T>>",
        "type:<impl Shape for Circle<T>>::Unit": "demo::geo::Circle::Unit",
        "module:tests": "demo::geo::tests",
        "function:tests::it_works": "demo::geo::tests::it_works",
        "function:tests::deeper::x": "demo::geo::tests::deeper::x",
        "macro:square": "demo::geo::square",
    }
    for key, qualname in expect.items():
        assert by_key[key].qualname == qualname
    x = by_key["function:tests::deeper::x"]
    assert x.module_path == "demo::geo::tests::deeper"
    assert x.id == NodeId.of("demo::geo::tests::deeper", x.key).hex()
    assert x.parent == by_key["module:tests::deeper"].id
    area = by_key["method:<impl Shape for Circle<T>>::area"]
    assert area.parent == by_key["impl:<impl Shape for Circle<T>>"].id
    assert by_key["struct:Circle"].parent == f.id
    ids = [i.id for i in shapes.items]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)
