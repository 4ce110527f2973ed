"""NodeIds: exact compact/hex round trips, and ids that survive edits elsewhere in the file."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rrag.parse.nodeid import NodeId, element_key
from rrag.parse.rust import finalize, parse_source

u64 = st.integers(min_value=0, max_value=(1 << 64) - 1)


@given(u64, u64)
def test_compact_and_hex_round_trip(namespace, element):
    node = NodeId(namespace, element)
    assert NodeId.from_compact(node.to_compact()) == node
    assert NodeId.from_hex(node.hex()) == node
    assert len(node.hex()) == 32 and int(node.hex(), 16) == node.to_compact()


@given(st.text(min_size=1), st.text(min_size=1), st.integers(min_value=0, max_value=50))
def test_of_is_deterministic_and_keeps_its_parts(module_path, name_path, ordinal):
    key = element_key("function", name_path, ordinal)
    a, b = NodeId.of(module_path, key), NodeId.of(module_path, key)
    assert a == b
    assert NodeId.from_hex(a.hex()) == a
    assert NodeId.of(module_path + "x", key).element == a.element
    assert NodeId.of(module_path, key + "x").namespace == a.namespace


def test_out_of_range_compact_is_rejected():
    for bad in (-1, 1 << 128):
        try:
            NodeId.from_compact(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")


BEFORE = b"""//! Geometry.
pub struct Circle { r: f64 }

impl Circle {
    pub fn area(&self) -> f64 { 3.14 * self.r * self.r }
    pub fn grow(&mut self) { self.r += 1.0; }
}

pub fn add(a: i32, b: i32) -> i32 { a + b }

pub fn sub(a: i32, b: i32) -> i32 { a - b }

mod tests { fn t() {} }
"""


def ids(source: bytes) -> dict[tuple[str, str], str]:
    parsed = parse_source(source, "src/geo.rs")
    finalize(parsed, "demo::geo")
    return {(i.kind, i.qualname): i.id for i in parsed.items}


def test_ids_survive_inserting_and_editing_other_items():
    before = ids(BEFORE)
    edited = BEFORE.replace(b"{ a + b }", b"{ b + a } // edited body")
    edited = edited.replace(b"pub fn sub",
                            b"/// New.\npub fn mul(a: i32, b: i32) -> i32 { a * b }\n\npub fn sub")
    edited = edited.replace(b"    pub fn grow", b"    pub fn shrink(&mut self) {}\n    pub fn grow")
    edited = b"use std::fmt;\n\n" + edited
    after = ids(edited)
    assert ("function", "demo::geo::mul") in after
    assert ("method", "demo::geo::Circle::shrink") in after
    for key, value in before.items():
        assert after[key] == value, f"id of {key} changed"


def test_ids_change_when_the_item_moves_module_or_is_renamed():
    before = ids(BEFORE)
    renamed = ids(BEFORE.replace(b"fn add", b"fn plus"))
    assert before[("function", "demo::geo::add")] not in renamed.values()
    parsed = parse_source(BEFORE, "src/geo.rs")
    finalize(parsed, "demo::shapes")
    moved = {(i.kind, i.name_path): i.id for i in parsed.items}
    assert moved[("function", "add")] != before[("function", "demo::geo::add")]
