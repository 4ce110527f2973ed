"""The parser never raises: syntax errors are counted and the rest recovered; junk bytes, NULs,
invalid UTF-8 and 10,000-deep nesting parse into at least the file item with sane spans."""

from __future__ import annotations

import random

import pytest

from rrag.parse.rust import finalize, parse_source


def test_syntax_errors_are_counted_and_items_recovered():
    src = b"""pub fn good_before() -> u8 { 1 }
fn broken( { let x = ; }
struct AlsoGood { a: u8 }
impl AlsoGood { fn m(&self) { if { } }
pub fn good_after() {}
"""
    parsed = parse_source(src, "e.rs")
    assert parsed.error_count > 0
    names = {i.name for i in parsed.items}
    assert {"good_before", "AlsoGood"} <= names
    finalize(parsed, "c")  # must not trip over recovered fragments


@pytest.mark.parametrize("data", [
    b"", b"\x00" * 100, b"fn a() {}\x00\x00 fn b() {}\n", bytes(range(256)) * 20,
    b"/// caf\xe9\nfn \xff\xfe() {}\nstruct S;\n", b"\xef\xbb\xbfpub fn bom() {}\n",
    b"fn f() { let x = " + b"(" * 10_000 + b"1" + b")" * 10_000 + b"; }\n",
    b"fn f() { let x = " + b"[" * 10_000, b"mod a { " * 10_000 + b"fn x() {}" + b"}" * 10_000,
    b"mod a { " * 10_000, b"impl A { " * 5_000, b"fn f() " + b"{" * 10_000 + b"}" * 10_000,
    b"#[derive(" * 3000, b"/**" * 5000, b"r#\"" * 100, b"fn f() {}\r\nfn g() {}\r\n",
], ids=lambda d: repr(d[:12]))
def test_hostile_input_never_raises(data):
    parsed = parse_source(data, "bad.rs")
    finalize(parsed, "c::bad")
    assert parsed.items[0].kind == "file"
    for item in parsed.items:
        assert 0 <= item.start_byte <= item.end_byte <= len(data)
        assert 1 <= item.start_line <= item.end_line <= max(1, parsed.line_count)
        assert len(item.id) == 32


def test_random_bytes_and_token_soup_never_raise():
    rng = random.Random(20240)
    tokens = [b"fn", b"mod", b"impl", b"struct", b"{", b"}", b"(", b")", b";", b"///", b"#[",
              b"]", b"<", b">", b"pub", b"x", b"\n", b"'", b'"', b"r#", b"/*", b"*/", b"::"]
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(400)))
        soup = b" ".join(rng.choice(tokens) for _ in range(rng.randrange(300)))
        for blob in (data, soup):
            finalize(parse_source(blob, "r.rs"), "c")


def test_invalid_utf8_keeps_byte_offsets():
    src = "/// naïve\nfn first() {}\n".encode() + b"// \xff\n" + "fn ünïcödé() {}\n".encode()
    parsed = parse_source(src, "u.rs")
    last = parsed.items[-1]
    assert last.name == "ünïcödé"
    assert src[last.start_byte:last.end_byte].decode() == last.content
    assert parsed.items[1].docs == "naïve"
    assert "\ufffd" in parsed.items[0].content
