"""Item details on small snippets: which comments and attributes belong to an item, attribute
forms (derive lists, cfg_attr, doc attributes), impl names for unusual self types, and
signatures that leave long values out."""

from __future__ import annotations

from rrag.parse.rust import parse_source


def test_leading_run_of_docs_and_attributes():
    src = b"""/// Detached by a plain comment.
// TODO: not a doc comment
fn plain() {}

/// Attached across a blank line.

#[inline]
fn attached() {}

//! inner docs belong to the file, not to the next item
fn after_inner() {}

/// Docs of the use, not of the function.
use std::fmt;
fn after_use() {}
"""
    items = {i.name: i for i in parse_source(src, "d.rs").items}
    assert (items["plain"].docs, items["plain"].start_line) == ("", 3)
    assert ((items["attached"].docs, items["attached"].start_line)
            == ("Attached across a blank line.", 5))
    assert items["attached"].attrs == ("inline",)
    assert items["after_inner"].start_line == 11 and items["after_inner"].docs == ""
    assert items["d.rs"].docs == "inner docs belong to the file, not to the next item"
    assert items["after_use"].start_line == 15 and items["after_use"].docs == ""


def test_attribute_forms():
    src = b'''#[cfg_attr(feature = "serde", derive(serde::Serialize, Deserialize))]
#[derive(Debug)]
#[derive(
    Clone,
    PartialEq,
)]
#[doc = "Escaped \\"quote\\" and\\ttab."]
#[doc = r#"Raw "docs"."#]
#[doc = include_str!("../README.md")]
#[cfg(all(unix, not(target_os = "macos")))]
pub struct Everything;
'''
    item = parse_source(src, "a.rs").items[1]
    assert item.derives == ("serde::Serialize", "Deserialize", "Debug", "Clone", "PartialEq")
    assert item.docs == 'Escaped "quote" and\ttab.\nRaw "docs".'
    assert item.cfg == ('all(unix, not(target_os = "macos"))',)
    assert len(item.attrs) == 7 and item.attrs[0].startswith("cfg_attr(")
    assert item.start_line == 1 and item.signature == "pub struct Everything"


def test_impl_names_for_unusual_types():
    src = b"""impl<T> std::fmt::Display for Wrapper<T> {}
impl !Sync for Raw {}
impl dyn std::error::Error + Send + 'static { fn downcast(&self) {} }
impl<'a> Replacer for &'a [u8] {}
impl<T> From<T> for Vec<
    T
> {}
"""
    items = parse_source(src, "x.rs").items
    impls = [(i.name, i.self_type, i.trait_name) for i in items if i.kind == "impl"]
    assert impls == [
        ("<impl std::fmt::Display for Wrapper<T>>", "Wrapper", "std::fmt::Display"),
        ("<impl !Sync for Raw>", "Raw", "Sync"),
        ("<impl dyn std::error::Error + Send + 'static>", "Error", ""),
        ("<impl Replacer for &'a [u8]>", "[u8]", "Replacer"),
        ("<impl From<T> for Vec< T >>", "Vec", "From"),
    ]


def test_long_const_values_stay_out_of_the_signature():
    table = "pub static TABLE: [u32; 64] = [" + ", ".join(str(i) for i in range(64)) + "];\n"
    item = parse_source(table.encode(), "t.rs").items[1]
    assert item.signature == "pub static TABLE: [u32; 64]"
    assert item.content == table.strip()
