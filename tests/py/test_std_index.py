"""std, core and alloc in the index, from the real installed rust-src (issue 21).

The sources are the machine's own: rustup's ``rust-src`` when the toolchain has it, else
Debian's ``rust-src`` package (scripts/debian-packages.txt installs it; 1.63 on these machines
while the compiler is rustup's 1.95). One cache folder per module holds std's shared cache, so
std is parsed once here, as once per machine in use; the rest of the suite runs with
``RRAG_STD_INDEX=0`` (tests/conftest.py).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import REPO, index_path, rrag, rrag_json
from rrag.graph.grounding import ground
from rrag.graph.name_table import NameTable
from rrag.parse.answer_names import answer_names
from rrag.parse.std_sources import find_std, source_version
from rrag.service.doctor import run_doctor
from rrag.service.std_index import std_source, toolchain
from rrag.store import items as items_db
from rrag.store.names import NameRow

FIXTURE = REPO / "tests" / "fixtures" / "std_ws"


def _installed():
    found = std_source()
    if found is None:
        pytest.skip("no std sources on this machine (rustup component add rust-src, or "
                    "scripts/setup-system.sh installs Debian's rust-src)")
    return found


@pytest.fixture(scope="module")
def std_env(tmp_path_factory):
    """Environment for the CLI: one cache for the module, std indexing on."""
    _installed()
    base = tmp_path_factory.mktemp("std")
    return {"XDG_CACHE_HOME": str(base / "cache"), "XDG_CONFIG_HOME": str(base / "config"),
            "RRAG_STD_INDEX": "1"}


@pytest.fixture(scope="module")
def prepared(std_env):
    """``rrag prepare`` on the module's empty cache (as ``make setup`` does on a machine)."""
    return rrag_json("prepare", env=std_env)


@pytest.fixture(scope="module")
def indexed(prepared, std_env, tmp_path_factory):
    """The fixture workspace indexed with std (prepared first), and the index report."""
    ws = tmp_path_factory.mktemp("ws") / "std_ws"
    shutil.copytree(FIXTURE, ws)
    report = rrag_json("index", "--root", str(ws), "--no-embed", env=std_env)
    return ws, report


def test_sources_and_their_version():
    found = _installed()
    release = toolchain()[1]
    if found.origin == "toolchain":
        assert found.version == release and found.matches_toolchain
    else:
        # Debian's: the version its RELEASES.md heads with is the package's upstream version.
        assert found.origin == "debian"
        package = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "rust-src"],
                                 capture_output=True, text=True).stdout
        assert package.startswith(found.version + "+") or package.startswith(found.version)
        assert source_version(found.library) == found.version
        assert found.matches_toolchain == (found.version == release)
    assert all((found.folder(c) / "src" / "lib.rs").is_file() for c in ("std", "core", "alloc"))


def test_no_sources_when_pointed_at_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RRAG_STD_SRC", str(tmp_path))
    assert find_std(None, "1.95.0") is None


def test_index_imports_std_labelled_with_its_version(indexed):
    found = _installed()
    _, report = indexed
    deps = report["dependencies"]
    assert deps["std"]["version"] == found.version
    std = {d["name"]: d for d in deps["imported"] if d["role"] == "std"}
    assert sorted(std) == ["alloc", "core", "std"]
    assert {d["version"] for d in std.values()} == {found.version}
    assert all(d["items"] > 1000 for d in std.values())


def test_workspace_calls_become_std_edges(indexed, std_env):
    found = _installed()
    ws, _ = indexed
    edges = rrag_json("graph", "edges", "--root", str(ws), env=std_env)["edges"]
    mine = {(e["type"], e["source"], e["target"], e.get("target_version"))
            for e in edges if e["path"] == "src/lib.rs"}
    v = found.version
    assert {("calls", "std_ws::collect", "alloc::vec::Vec::new", v),
            ("calls", "std_ws::collect", "alloc::vec::Vec::push", v),
            ("calls", "std_ws::collect", "alloc::string::String::from", v),
            ("calls", "std_ws::load", "std::fs::read_to_string", v),
            ("calls", "std_ws::count", "std::collections::hash::map::HashMap::insert", v),
            ("calls", "std_ws::doubled", "core::iter::traits::iterator::Iterator::map", v),
            ("uses_type", "std_ws::load", "core::option::Option", v),
            ("implements", "std_ws::Countdown", "core::iter::traits::iterator::Iterator", v),
            } <= mine


def test_a_derived_traits_methods_are_called_like_an_impls(indexed, std_env):
    """`#[derive(Clone, Default)]` implements the traits as impl blocks would: the calls of
    `Settings::default()` and `base.clone()` (its type from that call) reach core's methods."""
    found = _installed()
    ws, _ = indexed
    edges = rrag_json("graph", "edges", "--root", str(ws), "--type", "calls",
                      env=std_env)["edges"]
    called = {(e["target"], e.get("target_version")) for e in edges
              if e["source"] == "std_ws::fresh_settings"}
    assert called == {("core::default::Default::default", found.version),
                      ("core::clone::Clone::clone", found.version)}


def test_neighbors_show_std_targets(indexed, std_env):
    found = _installed()
    ws, _ = indexed
    out = rrag_json("graph", "neighbors", "std_ws::collect", "--edges", "calls", "--root",
                    str(ws), env=std_env)
    push = next(n for n in out["nodes"] if n["name"] == "alloc::vec::Vec::push")
    assert (push["crate"], push["version"], push["path"]) == ("alloc", found.version,
                                                              "src/vec/mod.rs")


def test_a_std_type_brings_the_methods_the_workspace_can_call(indexed, std_env):
    """At `doubled` (-> Vec<u32>) the context lists Vec's public, stable inherent methods, the
    ones the workspace calls first, a dozen at most: all 117 (private helpers, the unstable
    allocator API) used to fill the budget of a real project's context, with std's macros."""
    ws, _ = indexed
    out = rrag_json("context", "--root", str(ws), "--file", "src/lib.rs", "--line", "43",
                    env=std_env)
    listed = [i["name"].rsplit("::", 1)[-1] for i in out["items"] + out.get("left_out", [])
              if "a method of a type the cursor's item works with" in i["why"]
              and i.get("crate") == "alloc"]
    assert listed[:2] == ["new", "push"]  # std_ws::collect calls both
    assert 2 < len(listed) <= 12
    assert not {"append_elements", "extend_with", "split_at_spare_mut_with_len",  # private
                "with_capacity_in", "allocator", "from_raw_parts_in"} & set(listed)  # unstable
    # The test below `doubled` invokes assert_eq! and vec!: std's macro definitions stay out.
    assert not [i["name"] for i in out["items"] if i["kind"] == "macro"]


def test_the_cursors_own_words_search_the_workspace_only(indexed, std_env):
    """Without a question the cursor's name and signature stand for one; its hits are the
    workspace's (`u32` alone matched every u32 impl of std), and primitives are no words."""
    from rrag.config import ContextConfig
    from rrag.rank.context import Candidate
    from rrag.rank.ranking import RankingEngine, _implicit_query
    from rrag.store import lexical
    from rrag.store.db import open_store

    ws, _ = indexed
    store = open_store(index_path(ws, std_env))
    try:
        everywhere = lexical.search(store, "u32", k=20)
        mine = RankingEngine(store, ContextConfig())._lexical("u32 Countdown")
        version = {r.id: r.version
                   for r in items_db.get_items(store, [i for i, _ in everywhere + mine])}
    finally:
        store.close()
    assert any(version[i] for i, _ in everywhere)  # std's u32 impls
    assert mine and not any(version[i] for i, _ in mine)
    cursor = Candidate("c", "src/lib.rs", "std_ws::doubled", "function", 43, 46, "",
                       signature="pub fn doubled(start: u32) -> Vec<u32>")
    assert _implicit_query([cursor], ["c"]) == "doubled doubled start Vec"


def test_prepare_builds_std_once_and_the_first_index_parses_none_of_it(prepared, indexed,
                                                                        std_env):
    assert [(c["name"], c["cached"]) for c in prepared["crates"]] == \
        [("alloc", False), ("core", False), ("std", False)]
    assert prepared["files_parsed"] > 300 and prepared["std"]["version"] == \
        _installed().version
    again = rrag_json("prepare", env=std_env)
    assert (again["files_parsed"], [c["cached"] for c in again["crates"]]) == \
        (0, [True, True, True])
    deps = indexed[1]["dependencies"]
    assert (deps["files_parsed"], deps["cache_hits"]) == (0, 3)


def test_prepare_without_std_indexing_says_so(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "RRAG_STD_INDEX": "0"}
    out = rrag("prepare", env=env)
    assert out.returncode == 0
    assert out.stderr.strip().splitlines()[-1].startswith(
        "rrag: std not prepared: ") and "RRAG_STD_INDEX=0" in out.stderr
    assert rrag_json("prepare", env=env)["std"] == {}


def test_second_project_parses_no_std(indexed, std_env, tmp_path):
    ws = tmp_path / "again"
    shutil.copytree(FIXTURE, ws)
    deps = rrag_json("index", "--root", str(ws), "--no-embed", env=std_env)["dependencies"]
    assert (deps["files_parsed"], deps["cache_hits"]) == (0, 3)


def test_grounding_against_another_std_release(indexed, std_env, tmp_path):
    found = _installed()
    ws, _ = indexed
    answer = tmp_path / "answer.md"
    answer.write_text("```rust\nfn f(o: Option<u8>) -> u8 {\n    o.unwrap_or_zero()\n}\n```\n")
    out = rrag_json("ground", "--root", str(ws), "--input", str(answer),
                    env={**std_env, "RRAG_STD_DOCS": ""})  # no rustdoc: the sources answer
    entry = next(g for g in out["grounding"] if g["name"] == "Option::unwrap_or_zero")
    release = ".".join(found.version.split(".")[:2])
    if found.matches_toolchain:
        assert entry["verified"] is True
        assert entry["message"].startswith("`Option::unwrap_or_zero` is not in std "
                                           f"{found.version}")
    else:
        assert entry["verified"] is False and entry["found"] is False
        assert entry["message"].startswith(
            f"`Option::unwrap_or_zero` not found in std {release} (unverified")
        assert "is not in" not in entry["message"]


def _row(name: str, kind: str, owner: str = "", version: str = "1.63.0") -> NameRow:
    qual = f"core::option::{owner + '::' if owner else ''}{name}"
    return NameRow(qual, kind, name, qual, owner, "", "core", version,
                   signature="pub fn unwrap_or(self, default: T) -> T" if owner else "")


def test_wording_not_found_in_std_163_is_unverified():
    rows = [_row("Option", "enum"), _row("unwrap_or", "method", "Option")]
    names = answer_names("```rust\nfn f(o: Option<u8>) { o.unwrap_or_zero(); }\n```\n", {})
    other = ground(names, NameTable(rows, None, lambda _: "", toolchain="1.95.0"))
    [missing] = other.missing
    assert missing.message == ("`Option::unwrap_or_zero` not found in std 1.63 (unverified: "
                               "not the compiler's std); nearest: `Option::unwrap_or`")
    assert missing.to_json()["verified"] is False
    same = ground(names, NameTable(rows, None, lambda _: "", toolchain="1.63.0"))
    assert same.missing[0].message.startswith("`Option::unwrap_or_zero` is not in std 1.63.0")


def test_doctor_without_std_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("RRAG_STD_SRC", str(tmp_path))  # an empty folder: no sources
    check = next(c for c in run_doctor()["checks"] if c["name"] == "std sources")
    assert (check["ok"], check["level"]) == (False, "warn")
    assert "rustup component add rust-src" in check["fix"]
    assert "apt install rust-src" in check["fix"]
    text = rrag("doctor", env={"RRAG_STD_SRC": str(tmp_path), "RRAG_STD_DOCS": ""},
                check=False).stdout
    line = next(l for l in text.splitlines() if " std sources: " in l)
    assert line.startswith("WARN std sources: no std sources (rust-src)")
    names = next(l for l in text.splitlines() if " std names: " in l)
    assert names.startswith("WARN std names:")  # optional: a warning, never ERR


def test_doctor_with_std_sources(monkeypatch):
    found = _installed()
    monkeypatch.setenv("RRAG_STD_INDEX", "1")
    check = next(c for c in run_doctor()["checks"] if c["name"] == "std sources")
    assert check["ok"] is True
    assert check["value"].startswith(f"{found.label} at {found.library} ({found.origin})")
    assert (check.get("level") == "warn") == (not found.matches_toolchain)


def test_an_unverified_name_is_marked_as_such_in_both_editors():
    from rrag.bridge.views import answer_view

    result = {"text": "o.unwrap_or_zero()", "grounding": [
        {"name": "Option::unwrap_or_zero", "found": False, "verified": False, "line": 1,
         "lines": [1], "message": "m"}]}
    vim = answer_view(result, None, inline_marks=True)
    assert vim["lines"][0] == "o.unwrap_or_zero()  « rrag: `Option::unwrap_or_zero` not found " \
        "(unverified)"
    nvim = answer_view(result, None, inline_marks=False)  # an INFO diagnostic, not a warning
    assert nvim["lines"][0] == "o.unwrap_or_zero()" and nvim["diagnostics"][0]["verified"] is False


def test_a_projects_own_item_outranks_stds_in_search(indexed, std_env):
    """`count` is the fixture's fn and a hundred std methods: the project's comes first, and
    std's are still found (issue 21 made them searchable)."""
    ws, _ = indexed
    results = rrag_json("search", "count", "--root", str(ws), "-k", "20", env=std_env)["results"]
    assert results[0]["name"] == "std_ws::count"
    assert any(r.get("crate") in ("std", "core", "alloc") for r in results[1:])
