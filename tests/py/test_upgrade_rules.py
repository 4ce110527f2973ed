"""Issue 22: the rules that place an API change's site where rustc reports it, on real
declarations read from Debian's registry (nom 4.2.3 -> 7.1.1, clap 3.2.23 -> 4.0.32) and on
lines like the held-out programs'. tests/py/test_upgrade.py checks them end to end against
cargo; these pin each rule alone and run in well under a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rrag.graph.api_diff import _param_types, _payload, diff
from rrag.graph.api_surface import Surface
from rrag.graph.generic_params import (fits, generic_text, in_parameters, meaning_changed,
                                       mention, params, written_args)
from rrag.graph.hidden_sites import _receiver, _spread_error_type
from rrag.graph.value_sites import value_used
from rrag.store.api_rows import ApiRow
from rrag.store.edges import GraphItem

REGISTRY = Path("/usr/share/cargo/registry")


def _declared(crate: str, pattern: str) -> str:
    """The generic parameter list of the declaration ``pattern`` finds in a registry crate."""
    path = REGISTRY / crate / "src" / "internal.rs"
    if not path.exists():
        pytest.skip(f"{crate} is not in Debian's registry here")
    line = next(l for l in path.read_text().splitlines() if re.match(pattern, l))
    return generic_text("", "type", line) if " type " in line else \
        line[line.index("<"):line.rindex(">") + 1]


@pytest.fixture(scope="module")
def nom_err():
    return (_declared("nom-4.2.3", r"pub enum Err<"), _declared("nom-7.1.1", r"pub enum Err<"))


@pytest.fixture(scope="module")
def nom_iresult():
    return (_declared("nom-4.2.3", r"pub type IResult<"),
            _declared("nom-7.1.1", r"pub type IResult<"))


def test_real_nom_parameter_lists(nom_err, nom_iresult):
    assert nom_err == ("<I, E = u32>", "<E>")
    assert [p.default for p in params(nom_iresult[1])] == ["", "", "Error<I>"]


def test_a_shifted_parameter_still_fits_but_names_another_type(nom_err):
    old, new = nom_err
    line = "fn describe(e: &nom::Err<&[u8]>) -> String {"
    assert written_args(line, "Err") == [["&[u8]"]]
    assert mention(old, new, line, "Err") == "retyped"  # compiles: E0107 would need 2 args
    assert mention(old, new, "fn f(e: Err<&[u8], u32>) {", "Err") == "breaks"
    # a path through the type (a pattern, a variant) infers its arguments
    assert mention(old, new, "nom::Err::Incomplete(Needed::Size(n)) => 1,", "Err") == "same"
    assert in_parameters("fn describe(e: &nom::Err<&[u8]>) -> String", "Err")
    assert not in_parameters("fn header(input: &[u8]) -> IResult<&[u8], Header>", "IResult")


def test_a_changed_default_retypes_the_uses_that_rely_on_it(nom_iresult):
    old, new = (params(t) for t in nom_iresult)
    assert meaning_changed(old, new, ["&[u8]", "Header"])  # E = u32 became E = Error<I>
    assert not meaning_changed(old, new, ["&[u8]", "Header", "u32"])  # E written out
    assert fits(old, new, ["&[u8]", "Header"])


def test_a_lost_lifetime_breaks_the_mention():
    assert mention("<'help>", "", "fn cli() -> Command<'static> {", "Command") == "breaks"
    assert mention("<'help>", "", "fn cli() -> Command {", "Command") == "same"


def test_a_return_type_change_breaks_where_the_value_is_used_on():
    assert _payload("Option<&'help str>") != _payload("Option<&StyledStr>")
    # the error part of a Result is handled by `?` or `unwrap`, not used on
    assert _payload("Result<Version,SemVerError>") == _payload("Result<Version,Error>")
    assert value_used('let n = cli().get_about().unwrap_or("").len();', "get_about")
    assert value_used("x.get_about().unwrap().len()", "get_about")
    assert not value_used("poll.poll(&mut events, Some(t)).unwrap();", "poll")
    assert not value_used("let s = x.get_about()?;", "get_about")


def test_mut_self_is_the_same_receiver():
    assert _param_types("mut self,name:impl IntoResettable<Str>") == \
        "self,impl IntoResettable<Str>"


def _item(iid: str, kind: str, name: str, start: int, end: int, signature: str) -> GraphItem:
    return GraphItem(iid, "src/main.rs", kind, name, f"w::{name}", "w", None, start, end, "",
                     "", [], "", "w", "w", signature)


def test_the_error_type_spreads_from_a_failed_import_through_fns_and_lets():
    text = "\n".join([
        "fn app() -> App<'static> {",            # 1
        '    App::new("x")',                      # 2
        "}",                                      # 3
        "fn main() {",                            # 4
        "    let m = app().get_matches();",       # 5
        "    let left = budget() - (Steady::now() - s);",  # 6
        '    m.is_present("q");',                 # 7
        "}",                                      # 8
    ])
    names = {"App": "src/main.rs:1", "Steady": "src/main.rs:1"}
    items = [_item("a", "function", "app", 1, 3, "fn app() -> App<'static>"),
             _item("m", "function", "main", 4, 8, "fn main()")]
    local = _spread_error_type(names, "src/main.rs", text, items)
    assert "app" in names  # its return type names the failed `App`
    assert "m" in local[7] and "left" not in local[7]  # a binary op is typed by its left side
    assert "m" not in local.get(9, {})  # the binding ends with its fn
    line = "    f(a, start.to(Precise::now()).ms(), b)"
    assert _receiver(line, line.index(".ms")) == "start.to(Precise::now())"


def _row(iid, kind, name, qual, parent, sig, text="", generics="") -> ApiRow:
    return ApiRow(iid, kind, name, qual, parent, "src/lib.rs", 1, sig, "", "pub", generics,
                  "", "", text or sig)


def test_members_follow_an_alias_that_became_a_type():
    """clap 3's ``type Command<'help> = App<'help>`` became ``struct Command``: App's methods,
    which ``cmd.get_about()`` called, are compared with Command's instead of vanishing with
    App (which is still reported removed)."""
    root = _row("lib", "file", "lib", "lib", None, "")
    old = [root,
           _row("t", "type", "Command", "lib::Command", "lib",
                "pub type Command<'help> = App<'help>"),
           _row("s", "struct", "App", "lib::App", "lib", "pub struct App<'help>",
                "pub struct App<'help> { x: u8 }", "<'help>"),
           _row("i", "impl", "impl", "lib::<impl>", "lib", "impl<'help> App<'help>"),
           _row("g", "method", "get_about", "lib::App::get_about", "i",
                "pub fn get_about(&self) -> Option<&'help str>")]
    old[3] = ApiRow("i", "impl", "impl", "lib::<impl>", "lib", "src/lib.rs", 1,
                    "impl<'help> App<'help>", "", "", "", "App<'help>", "", "")
    new = [root,
           _row("c", "struct", "Command", "lib::Command", "lib", "pub struct Command",
                "pub struct Command { x: u8 }"),
           ApiRow("j", "impl", "impl", "lib::<impl>", "lib", "src/lib.rs", 1, "impl Command",
                  "", "", "", "Command", "", ""),
           _row("h", "method", "get_about", "lib::Command::get_about", "j",
                "pub fn get_about(&self) -> Option<&StyledStr>")]
    changes = {(c.kind, c.old, c.new, c.breaking)
               for c in diff(Surface("lib", "3", old, []), Surface("lib", "4", new, []))}
    assert ("return_type", "lib::App::get_about", "lib::Command::get_about", True) in changes
    assert ("removed", "lib::App", None, True) in changes
    assert ("generics", "lib::Command", "lib::Command", True) in changes
