"""Compact context renders and budget allocation (issue 19): the short header, docs only where
they pay, struct/enum/trait outlines with the members named nearby first, a trait impl's
method with its trait's line, the quarter-budget item cap, and the list of what did not fit.
Pure logic with a word-count tokenizer; the real tokenizer and real crates are in
test_ranking.py (budget property, traits carrying their methods on regex)."""

from __future__ import annotations

from rrag.rank.context import Candidate
from rrag.rank.packing import pack_hierarchical
from rrag.rank.render import render

ARG = '''/// A command-line argument.
/// It has many fields.
#[derive(Debug, Clone)]
pub struct Arg {
    /// The id, with a comma, in its doc.
    pub(crate) id: Id,
    pub(crate) help: Option<StyledStr>, // trailing, comment
    pub(crate) value_parser: fn(&str) -> Result<Value, Error>,
    pub(crate) aliases: Vec<(Str, bool)>,
    pub(crate) short: Option<char>,
    pub(crate) long: Option<Str>,
}'''


def cand(name: str, kind: str = "function", content: str = "", **kw) -> Candidate:
    module = name.rsplit("::", 2)[0] if kind == "method" else name.rsplit("::", 1)[0]
    return Candidate(id=name, path=kw.pop("path", "src/lib.rs"), name=name, kind=kind,
                     start_line=kw.pop("start_line", 10), end_line=kw.pop("end_line", 20),
                     content=content, module_path=module, **kw)


def words(texts):
    return [len(t.split()) for t in texts]


def test_header_is_one_short_line_with_path_line_and_short_name():
    method = cand("clap::builder::command::Command::arg", "method", "fn arg(self) {}",
                  signature="pub fn arg(self, a: Arg) -> Self", path="src/builder/command.rs")
    assert render(method, "signature").splitlines() == [
        "// src/builder/command.rs:10 Command::arg", "pub fn arg(self, a: Arg) -> Self"]
    dep = cand("regex::re_unicode::Regex", "struct", "pub struct Regex(Exec);",
               signature="pub struct Regex", crate="regex", version="1.7.1",
               path="src/re_unicode.rs")
    assert render(dep, "summary") == "// regex 1.7.1 src/re_unicode.rs:10 Regex (struct, 11 lines)"


def test_docs_only_for_the_top_few_and_the_cursor_doc_trimmed():
    code = "\n".join(f"/// line {n}" for n in range(1, 11)) + "\n#[inline]\nfn f() -> u8 { 1 }"
    plain = cand("a::f", content=code, signature="fn f() -> u8", docs="line 1")
    assert render(plain, "full").splitlines()[1:] == ["fn f() -> u8 { 1 }"]
    assert render(plain, "full", top=True).splitlines()[1:] == ["/// line 1", "fn f() -> u8 { 1 }"]
    assert render(plain, "signature").splitlines()[1:] == ["fn f() -> u8"]
    assert render(plain, "signature", top=True).splitlines()[1:] == ["/// line 1", "fn f() -> u8"]
    plain.volatile = True  # the cursor's item: six doc lines, the cut counted
    lines = render(plain, "full").splitlines()
    assert lines[1:7] == [f"/// line {n}" for n in range(1, 7)]
    assert lines[7:] == ["/// … (4 more doc lines)", "fn f() -> u8 { 1 }"]


def test_where_clause_is_cut_below_the_top_few():
    sig = "pub fn astar<G, F>(graph: G, cost: F) -> Option<K> where G: IntoEdges, F: FnMut() -> K"
    f = cand("petgraph::algo::astar::astar", signature=sig)
    assert render(f, "signature").splitlines()[1] == \
        "pub fn astar<G, F>(graph: G, cost: F) -> Option<K> where …"
    assert render(f, "signature", top=True).splitlines()[1] == sig


def test_struct_outline_puts_fields_used_nearby_first_and_counts_the_rest():
    arg = cand("clap::builder::arg::Arg", "struct", ARG, signature="pub struct Arg")
    text = render(arg, "signature", nearby={"long", "aliases"})
    assert text.splitlines() == [
        "// src/lib.rs:10 Arg", "pub struct Arg {", "    pub(crate) id: Id,",
        "    pub(crate) help: Option<StyledStr>,", "    pub(crate) aliases: Vec<(Str, bool)>,",
        "    pub(crate) long: Option<Str>,", "    // … 2 more fields", "}"]
    enum = cand("m::Shape", "enum", "pub enum Shape {\n  Dot,\n  Circle { r: f64, c: (f64, f64) },"
                "\n  Poly(Vec<P>),\n  A,\n  B,\n  C,\n}", signature="pub enum Shape")
    lines = render(enum, "signature", nearby={"C"}).splitlines()
    assert lines[2:4] == ["    Dot,", "    Circle { r: f64, c: (f64, f64) },"]
    assert lines[5:] == ["    C,", "    // … 2 more variants", "}"]


def test_trait_carries_its_methods_and_a_trait_method_its_trait_line():
    members = [(n, f"fn {n}(&self) -> u32") for n in ("hour", "minute", "second", "nanosecond",
                                                      "hour12", "num_seconds")]
    trait = cand("chrono::Timelike", "trait", "pub trait Timelike: Sized {}",
                 signature="pub trait Timelike: Sized", members=members)
    assert render(trait, "signature", nearby={"num_seconds"}).splitlines() == [
        "// src/lib.rs:10 Timelike", "pub trait Timelike: Sized {",
        "    fn hour(&self) -> u32;", "    fn minute(&self) -> u32;",
        "    fn second(&self) -> u32;", "    fn num_seconds(&self) -> u32;",
        "    // … 2 more methods", "}"]
    method = cand("chrono::NaiveTime::hour", "method", "fn hour(&self) -> u32 { self.h }",
                  signature="fn hour(&self) -> u32",
                  trait_line="pub trait Timelike: Sized (src/traits.rs:12)")
    assert render(method, "signature").splitlines()[-1] == \
        "// via pub trait Timelike: Sized (src/traits.rs:12)"


def test_packing_caps_items_at_a_quarter_and_reports_what_did_not_fit():
    cursor = cand("a::cur", content="fn cur() { " + "x " * 30 + "}", signature="fn cur()",
                  score=100.0, volatile=True, components={"cursor": 1.0})
    huge = cand("a::huge", content="fn huge() { " + "z " * 200 + "}",
                signature="pub fn huge(" + "x: u8, " * 40 + ")", score=5.0, path="src/h.rs",
                components={"link": 1.0})
    small = [cand(f"b::s{n}", content=f"fn s{n}() {{ {'y ' * 30}}}", signature=f"fn s{n}()",
                  score=4.0 - n / 10, path="src/b.rs", components={"link": 0.5})
             for n in range(40)]
    pack = pack_hierarchical([cursor, huge, *small], 160, words)
    assert pack.tokens <= 160
    modes = {p.candidate.name: p.mode for p in pack.items}
    assert pack.items[0].candidate.name == "a::cur" and modes["a::cur"] == "full"
    assert "a::huge" not in modes  # its body and signature pass a quarter of 160
    assert all(p.tokens <= 40 for p in pack.items[1:])
    assert {modes[f"b::s{n}"] for n in range(8)} == {"signature"}  # breadth before bodies
    # sections of one file: the first header names it, the next ones only their line
    assert "// src/b.rs:10 s0\nfn s0()\n\n// :10 s1\nfn s1()\n\n" in pack.prompt
    left = pack.left_out
    assert len(left) == 9 and all(x.tokens > 0 for x in left)
    assert [x.candidate.score for x in left] == sorted((x.candidate.score for x in left),
                                                       reverse=True)
    assert not {x.candidate.name for x in left} & set(modes)
    assert left[0].candidate.name == "a::huge" and left[0].mode == "signature"
    assert left[0].tokens > 40
    assert pack.to_json()["left_out"][0]["components"] == {"link": 1.0}
    huge.pinned = True  # pinned: packed although it passes the cap
    again = pack_hierarchical([cursor, huge, *small], 160, words)
    assert again.items[0].candidate.name == "a::huge" and again.items[0].mode == "signature"
    assert again.items[0].tokens > 40 and again.tokens <= 160
    assert "a::huge" not in [x.candidate.name for x in again.left_out]


def test_a_method_body_loses_the_indentation_its_lines_share():
    code = "/// Doc.\n    pub fn new(x: f64) -> Self {\n        Self { x }\n    }"
    m = cand("geo::Point::new", "method", code, signature="pub fn new(x: f64) -> Self")
    m.volatile = True
    assert render(m, "full").splitlines()[1:] == [
        "/// Doc.", "pub fn new(x: f64) -> Self {", "    Self { x }", "}"]


def test_a_refactor_gets_the_bodies_it_touches_an_ask_their_signatures():
    cursor = cand("a::cur", content="fn cur() { callee(); }", signature="fn cur()", score=100.0,
                  volatile=True, components={"cursor": 1.0})
    callee = cand("a::callee", content="fn callee() {\n" + "s();\n" * 90 + "}",
                  signature="fn callee()", score=3.0, components={"link": 1.0})
    others = [cand(f"b::o{n}", content=f"fn o{n}() {{ {'y ' * 30}}}", signature=f"fn o{n}()",
                   score=2.0 - n / 10, path="src/b.rs", components={"link": 0.5})
              for n in range(20)]
    modes = {task: {p.candidate.name: p.mode for p in
                    pack_hierarchical([cursor, callee, *others], 400, words, task=task).items}
             for task in ("refactor", "ask")}
    assert modes["refactor"]["a::callee"] == "full"
    assert modes["ask"]["a::callee"] == "signature"


def test_a_long_cursor_item_is_cut_to_its_share_with_the_rest_pointed_at():
    body = "".join(f"    let v{n} = {n};\n" for n in range(100))
    cursor = cand("a::cur", content="fn cur() {\n" + body + "}", signature="fn cur()",
                  score=100.0, volatile=True, components={"cursor": 1.0}, end_line=111)
    pack = pack_hierarchical([cursor], 400, words)  # the ask share: 0.3 of 400
    item = pack.items[0]
    assert item.mode == "full" and item.tokens <= 120 and pack.tokens <= 400
    lines = item.text.splitlines()
    assert lines[:3] == ["// src/lib.rs:10 cur", "fn cur() {", "    let v0 = 0;"]
    shown = len(lines) - 3  # header, the function's first line, the pointer
    assert lines[-1] == f"// … {102 - 1 - shown} more lines, to src/lib.rs:111"
