"""Issue 8: dependencies at their exact locked versions, indexed offline, shared across projects.

The fixture workspace (tests/fixtures/deps_ws) depends on real crates from Debian's
librust-*-dev packages through a directory source; it is built with ``cargo build --offline``
(which writes its Cargo.lock) and indexed with the real ``rrag`` command line. Expected versions
are read from that Cargo.lock, expected definitions from the dependencies' own source files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REGISTRY, REPO, registry_crate, rrag, rrag_json
from prompt_headers import header_places

FIXTURE = REPO / "tests" / "fixtures" / "deps_ws"


def _locked(ws: Path) -> dict[str, str]:
    with open(ws / "Cargo.lock", "rb") as fh:
        return {p["name"]: p["version"] for p in tomllib.load(fh)["package"]}


@pytest.fixture(scope="module")
def built_ws(tmp_path_factory) -> Path:
    """The fixture workspace, copied to a temporary folder and built offline (once)."""
    ws = tmp_path_factory.mktemp("deps") / "deps_ws"
    shutil.copytree(FIXTURE, ws)
    target = tmp_path_factory.mktemp("target")
    proc = subprocess.run(["cargo", "build", "--offline", "--quiet"], cwd=ws,
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "CARGO_TARGET_DIR": str(target)})
    assert proc.returncode == 0, proc.stderr
    return ws


def _copy(ws: Path, dest: Path, name: str) -> Path:
    """Another project locking the same versions (a different package name)."""
    shutil.copytree(ws, dest)
    for file in ("Cargo.toml", "Cargo.lock"):
        text = (dest / file).read_text()
        (dest / file).write_text(text.replace('name = "deps_ws"', f'name = "{name}"'))
    return dest


def test_locate_sources_in_every_place(tmp_path, monkeypatch):
    """vendor/, a .cargo/config.toml directory source, $CARGO_HOME/registry/src, a git
    checkout and a path dependency are found; an absent package is reported, not raised."""
    from rrag.parse.dep_sources import locate
    from rrag.parse.workspace import discover

    cargo_home = tmp_path / "cargo-home"
    monkeypatch.setenv("CARGO_HOME", str(cargo_home))
    strsim, unicode_ident = registry_crate("strsim"), registry_crate("unicode-ident")
    itoa, ryu = registry_crate("itoa"), registry_crate("ryu")
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "lib.rs").write_text("pub fn f() {}\n")
    shutil.copytree(strsim, ws / "vendor" / strsim.name)
    shutil.copytree(unicode_ident, cargo_home / "registry" / "src" / "index.crates.io-x" /
                    unicode_ident.name)
    checkout = cargo_home / "git" / "checkouts" / "itoa-0123456789abcdef" / "abc1234"
    shutil.copytree(itoa, checkout / "itoa")
    shutil.copytree(ryu, tmp_path / "dirsource" / ryu.name)
    (ws / ".cargo").mkdir()
    (ws / ".cargo" / "config.toml").write_text(
        '[source.local]\ndirectory = "../dirsource"\n')
    (tmp_path / "helper" / "src").mkdir(parents=True)
    (tmp_path / "helper" / "Cargo.toml").write_text(
        '[package]\nname = "helper"\nversion = "0.3.0"\n')
    (tmp_path / "helper" / "src" / "lib.rs").write_text("pub fn help() {}\n")
    (ws / "Cargo.toml").write_text('[package]\nname = "ws"\nversion = "0.1.0"\n\n'
                                   '[dependencies]\nhelper = { path = "../helper" }\n')
    version = lambda d: d.name.rsplit("-", 1)[1]  # noqa: E731
    reg = "registry+https://github.com/rust-lang/crates.io-index"
    lock = [("ws", "0.1.0", ""), ("helper", "0.3.0", ""),
            ("strsim", version(strsim), reg), ("unicode-ident", version(unicode_ident), reg),
            ("itoa", version(itoa), "git+https://github.com/dtolnay/itoa?branch=master#abc1234ff"),
            ("ryu", version(ryu), reg), ("not-installed", "9.9.9", reg)]
    (ws / "Cargo.lock").write_text("version = 3\n" + "".join(
        f'\n[[package]]\nname = "{n}"\nversion = "{v}"\n' + (f'source = "{s}"\n' if s else "")
        for n, v, s in lock))
    found, missing = locate(discover(ws))
    origins = {s.name: (s.origin, s.folder) for s in found}
    assert origins == {
        "helper": ("path", (tmp_path / "helper").resolve()),
        "strsim": ("vendor", (ws / "vendor" / strsim.name).resolve()),
        "unicode-ident": ("registry", (cargo_home / "registry" / "src" / "index.crates.io-x" /
                                       unicode_ident.name).resolve()),
        "itoa": ("git", checkout / "itoa"),
        "ryu": ("directory", (tmp_path / "dirsource" / ryu.name).resolve()),
    }
    assert [(m.name, m.version) for m in missing] == [("not-installed", "9.9.9")]
    assert missing[0].message.startswith("rrag:")


@pytest.mark.slow
def test_dependency_items_resolve_search_and_context(built_ws):
    locked = _locked(built_ws)
    report = rrag_json("index", "--root", str(built_ws), "--no-embed")
    deps = report["dependencies"]
    assert deps["missing"] == [] and report["errors"] == []
    assert {(d["name"], d["version"]) for d in deps["imported"]} == \
        {(n, v) for n, v in locked.items() if n != "deps_ws"}
    assert report["files_parsed"] == 2  # the workspace's own files; dependencies are separate
    assert deps["files_parsed"] > 50 and deps["cache_hits"] == 0

    items = rrag_json("items", "--root", str(built_ws))["items"]
    by_name = {}
    for it in items:
        by_name.setdefault(it["name"], []).append(it)
    own = [it for it in items if "version" not in it]
    assert {it["path"] for it in own} == {"src/lib.rs", "src/shout.rs"}
    for it in items:
        if "version" in it:
            crate = it["crate"]
            assert it["version"] == locked.get(crate, locked.get(crate.replace("_", "-")))

    edges = rrag_json("graph", "edges", "--root", str(built_ws))["edges"]
    mine = [e for e in edges if e["path"] in ("src/lib.rs", "src/shout.rs")]

    def target_item(kind: str, source: str, suffix: str) -> dict:
        hits = [e for e in mine if e["type"] == kind and e["source"] == source
                and e["target"].endswith(suffix)]
        assert len(hits) >= 1, (kind, source, suffix, mine)
        found = by_name.get(hits[0]["target"], [])
        assert len(found) == 1, f"{hits[0]['target']} is not one indexed item"
        return found[0]

    def defined(it: dict, pattern: str) -> None:
        """The item's span in the dependency's own source file holds the definition."""
        folder = REGISTRY / f"{it['crate']}-{it['version']}"
        lines = (folder / it["path"]).read_text(encoding="utf-8").splitlines()
        assert re.search(pattern, "\n".join(lines[it["start_line"] - 1:it["end_line"]]))

    # `use regex::Regex`: re-exported at regex's root, defined in another file of regex.
    regex = target_item("imports", "deps_ws", "::Regex")
    assert regex["crate"] == "regex" and regex["kind"] == "struct"
    assert regex["path"] != "src/lib.rs" and regex["version"] == locked["regex"]
    defined(regex, r"pub struct Regex\b")
    lib_rs = (REGISTRY / f"regex-{locked['regex']}" / "src" / "lib.rs").read_text()
    assert re.search(r"pub use crate::\w+::\{[^}]*\bRegex\b", lib_rs)  # really a re-export
    new = target_item("calls", "deps_ws::has_digits", "Regex::new")
    assert new["crate"] == "regex" and new["kind"] == "method" and new["parent"]
    # `#[derive(Serialize)]`: serde's Serialize trait (serde re-exports it from serde::ser).
    serialize = target_item("implements", "deps_ws::Waypoint", "Serialize")
    assert serialize["crate"] == "serde" and serialize["kind"] == "trait"
    defined(serialize, r"pub trait Serialize\b")
    # A foreign trait implemented here, and a free function of another crate.
    replacer = target_item("implements", "deps_ws::shout::Shout", "Replacer")
    assert replacer["crate"] == "regex" and replacer["kind"] == "trait"
    lev = target_item("calls", "deps_ws::name_distance", "levenshtein")
    assert lev["crate"] == "strsim" and lev["version"] == locked["strsim"]
    depends = {e["target"]: e.get("target_version") for e in edges
               if e["type"] == "depends" and e["path"] == "Cargo.toml"}
    assert depends == {"serde": locked["serde"], "regex": locked["regex"],
                       "strsim": locked["strsim"]}

    # (regex has two `Regex::new`, unicode and bytes: either is the locked version's API)
    results = rrag_json("search", "Regex new", "--root", str(built_ws), "-k", "5")["results"]
    assert any(r["name"].endswith("::Regex::new") and r["version"] == locked["regex"]
               and r["crate"] == "regex" and r["path"].startswith("src/re_")
               for r in results), results
    ctx = rrag_json("context", "--root", str(built_ws), "--file", "src/lib.rs", "--line", "19",
                    "--query", "how does Regex::new compile a pattern")
    dep_items = [it for it in ctx["items"] if it.get("version")]
    assert any(it["name"] == new["name"] for it in dep_items), ctx["items"]
    assert f"regex {locked['regex']} {new['path']}:{new['start_line']}" in \
        header_places(ctx["prompt"])
    assert ctx["tokens"] <= ctx["budget"]


def test_index_summary_counts_the_dependencies(built_ws):
    """The text summary says what the dependency step did, and how long it took (the
    workspace's own line times only the workspace)."""
    locked = len(_locked(built_ws)) - 1  # all but the workspace's own package
    env = {"XDG_CACHE_HOME": str(built_ws.parent / "summary-cache")}
    first = rrag("index", "--root", str(built_ws), "--no-embed", env=env).stdout
    assert re.search(rf"^dependencies: {locked} locked; {locked} imported \(0 from the shared "
                     rf"cache, \d+ files parsed\), 0 removed, in \d+\.\ds$", first, re.M), first
    again = rrag("index", "--root", str(built_ws), "--no-embed", env=env).stdout
    assert f"dependencies: {locked} locked, all already indexed" in again.splitlines(), again


def test_editor_jumps_open_the_locked_dependency_source(built_ws, tmp_path):
    """A dependency item's path is relative to its crate: the editors jump to the ``file`` the
    engine adds, which must be that crate's own source at the locked version (not a file of
    the same name in the workspace), for context items and for answer sources alike."""
    from rrag.service.engine import Engine

    locked = _locked(built_ws)
    with Engine(built_ws, db_path=tmp_path / "index.sqlite") as engine:
        engine.index(embed=False)
        ctx = engine.context(str(built_ws / "src" / "lib.rs"), 19,
                             query="how does Regex::new compile a pattern")
        items = engine.locate(ctx["items"])
    dep_items = [it for it in items if it.get("version")]
    assert dep_items and len(dep_items) < len(items), items
    for it in items:
        file = Path(it["file"])
        if it.get("version"):
            package = it["crate"].replace("_", "-")
            assert it["version"] == locked.get(it["crate"], locked.get(package))
            assert file.is_relative_to(REGISTRY / f"{package}-{it['version']}"), it
        else:
            assert file == built_ws / it["path"]
        lines = file.read_text(encoding="utf-8").splitlines()
        span = "\n".join(lines[it["start_line"] - 1:it["end_line"]])
        short = it["name"].rsplit("::", 1)[-1]
        # (an item a macro_rules! generated spans the invocation that made it)
        generated = re.fullmatch(r"\s*\w+!\s*[({\[].*", span, re.S) is not None
        assert short in span or generated or it["kind"] in ("file", "impl"), (it, span[:200])


def test_a_dependency_buffer_is_about_the_workspace_that_locks_it(built_ws):
    """After a jump into regex's sources, requests from that buffer go to the workspace (the
    editor host finds it), the cursor's item is regex's own at the locked version, and a
    refactor of it is refused: the dependency is changed through Cargo.toml, not edited."""
    import threading
    import time

    from rrag.bridge import Bridge
    from rrag.errors import RragError
    from rrag.service.engine import Engine

    locked = _locked(built_ws)
    with Engine(built_ws) as engine:
        engine.index(embed=False)
        new = next(r for r in engine.items() if r.qualname == "regex::re_unicode::Regex::new")
        source = REGISTRY / f"regex-{locked['regex']}" / new.path
        ctx = engine.context(str(source), new.start_line + 1)
        assert ctx["items"][0]["name"] == new.qualname, ctx["items"][:3]
        assert ctx["items"][0]["version"] == locked["regex"]
        with pytest.raises(RragError, match="dependency's source"):
            engine.refactor(str(source), new.start_line, new.end_line, "rename")
        with pytest.raises(RragError, match="nor in one of its dependencies"):
            engine.context("/etc/hostname", 1)

    events: list[dict] = []
    lock = threading.Lock()

    def emit(event: dict) -> None:
        with lock:
            events.append(event)

    def result(request_id: int) -> dict:
        end = time.monotonic() + 240
        while time.monotonic() < end:
            with lock:
                done = [e for e in events if e.get("id") == request_id
                        and e["type"] in ("result", "error")]
            if done:
                assert done[0]["type"] == "result", done[0]
                return done[0]
            time.sleep(0.02)
        raise AssertionError(f"no result for request {request_id}: {events[-3:]}")

    bridge = Bridge(None, emit=emit)
    try:
        # The host learns of the workspace from a request made in one of its files.
        bridge.handle("rrag_search", [{"id": 1, "path": str(built_ws / "src" / "lib.rs"),
                                       "query": "levenshtein"}])
        assert result(1)["root"] == str(built_ws)
        bridge.handle("rrag_context", [{"id": 2, "path": str(source),
                                        "line": new.start_line + 1}])
        answer = result(2)
        assert answer["root"] == str(built_ws)
        assert answer["result"]["items"][0]["name"] == new.qualname
        assert answer["result"]["items"][0]["file"] == str(source)
    finally:
        bridge.worker.stop()


def _bumped_strsim(tmp_path: Path) -> tuple[Path, str]:
    """A second directory source holding a copy of strsim with a bumped version and one more
    function (copied at test time into tmp, never into the repository)."""
    src = registry_crate("strsim")
    old = src.name.rsplit("-", 1)[1]
    major, minor, patch = old.split(".")
    new = f"{major}.{minor}.{int(patch) + 7}"
    dest = tmp_path / "second-source" / f"strsim-{new}"
    shutil.copytree(src, dest)
    manifest = (dest / "Cargo.toml").read_text()
    (dest / "Cargo.toml").write_text(re.sub(rf'(?m)^version = "{re.escape(old)}"',
                                            f'version = "{new}"', manifest, count=1))
    with open(dest / "src" / "lib.rs", "a") as fh:
        fh.write("\n/// Only in the bumped copy.\npub fn bumped_only_marker() -> usize { 7 }\n")
    return dest.parent, new


def _set_lock(ws: Path, name: str, old: str, new: str) -> None:
    text = (ws / "Cargo.lock").read_text()
    pattern = rf'(name = "{name}"\nversion = ")({re.escape(old)})(")'
    assert re.search(pattern, text)
    (ws / "Cargo.lock").write_text(re.sub(pattern, rf"\g<1>{new}\g<3>", text))


@pytest.mark.slow
def test_version_change_swaps_items_without_reindexing_the_workspace(built_ws, tmp_path):
    ws = _copy(built_ws, tmp_path / "ws", "deps_ws")
    second, new = _bumped_strsim(tmp_path)
    with open(ws / ".cargo" / "config.toml", "a") as fh:
        fh.write(f'\n[source.second]\ndirectory = "{second}"\n')
    old = _locked(ws)["strsim"]
    # A hand-edited lock naming a version only a non-replacing source holds: cargo metadata
    # refuses it, so every run here takes the Cargo.lock path (cargo not on PATH).
    no_cargo = {"PATH": "/usr/bin:/bin"}
    rrag_json("index", "--root", str(ws), "--no-embed", env=no_cargo)

    def strsim_versions() -> set[str]:
        items = rrag_json("items", "--root", str(ws))["items"]
        return {it["version"] for it in items if it.get("crate") == "strsim"}

    def marker_hits() -> list[dict]:
        res = rrag_json("search", "bumped_only_marker", "--root", str(ws), "-k", "3")["results"]
        return [r for r in res if r["name"].endswith("::bumped_only_marker")]

    assert strsim_versions() == {old} and marker_hits() == []
    _set_lock(ws, "strsim", old, new)
    report = rrag_json("index", "--root", str(ws), "--no-embed", env=no_cargo)
    assert report["files_parsed"] == 0 and report["files_unchanged"] == 2  # workspace untouched
    deps = report["dependencies"]
    assert deps["removed"] == [{"name": "strsim", "version": old}]
    assert [(d["name"], d["version"], d["origin"]) for d in deps["imported"]] == \
        [("strsim", new, "directory")]
    assert strsim_versions() == {new}
    hits = marker_hits()
    assert len(hits) == 1 and hits[0]["version"] == new and hits[0]["crate"] == "strsim"
    lev = [e for e in rrag_json("graph", "edges", "--root", str(ws), "--type", "calls")["edges"]
           if e["source"] == "deps_ws::name_distance"]
    assert [(e["target"], e.get("target_version")) for e in lev] == \
        [("strsim::levenshtein", new)]
    # And back: the old version comes from the shared cache, nothing is parsed.
    _set_lock(ws, "strsim", new, old)
    report = rrag_json("index", "--root", str(ws), "--no-embed", env=no_cargo)
    assert report["files_parsed"] == 0
    assert report["dependencies"]["files_parsed"] == 0
    assert report["dependencies"]["cache_hits"] == 1
    assert strsim_versions() == {old} and marker_hits() == []


@pytest.mark.slow
def test_shared_cache_across_projects_and_concurrent_runs(built_ws, tmp_path):
    a = _copy(built_ws, tmp_path / "a", "project_a")
    b = _copy(built_ws, tmp_path / "b", "project_b")
    c = _copy(built_ws, tmp_path / "c", "project_c")
    # Two projects indexing at once against an empty cache: each crate is built once.
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda ws: rrag_json("index", "--root", str(ws), "--no-embed"),
                             [a, b]))
    parsed = [r["dependencies"]["files_parsed"] for r in runs]
    locked = len(_locked(a)) - 1
    assert sum(r["dependencies"]["cache_hits"] for r in runs) == locked  # the loser waited
    assert all(r["items"] == runs[0]["items"] and r["errors"] == [] for r in runs)
    # A third project locking the same versions parses no dependency at all.
    third = rrag_json("index", "--root", str(c), "--no-embed")
    assert third["dependencies"]["files_parsed"] == 0
    assert third["dependencies"]["cache_hits"] == locked
    assert third["items"] == runs[0]["items"] and sum(parsed) > 50
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "rrag" / "deps"
    built = [d for d in cache.iterdir() if d.is_dir() and not d.name.startswith(".")]
    assert len(built) == locked  # one cache entry per locked crate, no half-built folders


@pytest.mark.slow  # three CLI runs: a few seconds each on a busy machine
def test_unindexable_and_missing_dependencies_are_reported_not_fatal(tmp_path):
    """A locked package whose source is absent, and a path dependency whose manifest rrag
    cannot use, end up in the report's errors; the workspace and the good dependency index."""
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "lib.rs").write_text("pub fn uses_good() -> u8 { good::GOOD }\n")
    for name, lib in (("good", '[lib]\npath = "src/lib.rs"\n'), ("broken", "[lib]\npath = 5\n")):
        (tmp_path / name / "src").mkdir(parents=True)
        (tmp_path / name / "Cargo.toml").write_text(
            f'[package]\nname = "{name}"\nversion = "0.2.0"\n\n{lib}')
        (tmp_path / name / "src" / "lib.rs").write_text("/// Good.\npub const GOOD: u8 = 1;\n")
    (ws / "Cargo.toml").write_text(
        '[package]\nname = "ws"\nversion = "0.1.0"\n\n[dependencies]\n'
        'good = { path = "../good" }\nbroken = { path = "../broken" }\nabsent = "1"\n')
    (ws / "Cargo.lock").write_text(
        'version = 3\n\n[[package]]\nname = "ws"\nversion = "0.1.0"\n\n'
        '[[package]]\nname = "good"\nversion = "0.2.0"\n\n'
        '[[package]]\nname = "broken"\nversion = "0.2.0"\n\n'
        '[[package]]\nname = "absent"\nversion = "1.0.0"\nsource = '
        '"registry+https://github.com/rust-lang/crates.io-index"\n')
    report = rrag_json("index", "--root", str(ws), "--no-embed")
    messages = sorted(e["message"] for e in report["errors"] if e["path"] == "Cargo.lock")
    assert len(messages) == 2 and all(m.startswith("rrag: ") for m in messages)
    assert "could not index broken 0.2.0" in messages[0]
    assert "absent 1.0.0 was not found" in messages[1]
    assert [d["name"] for d in report["dependencies"]["imported"]] == ["good"]
    items = {it["name"]: it for it in rrag_json("items", "--root", str(ws))["items"]}
    assert items["good::GOOD"]["version"] == "0.2.0" and items["good::GOOD"]["path"] == "src/lib.rs"
    # The dependency's queued items go through the real embedding pipeline too.
    embedded = rrag_json("index", "--root", str(ws), "--wait-deps")
    assert embedded["files_parsed"] == 0 and embedded["embedding"]["pending"] == 0
    hits = rrag_json("search", "GOOD constant", "--root", str(ws), "--mode", "vector")["results"]
    assert any(r["name"] == "good::GOOD" and r["version"] == "0.2.0" for r in hits), hits


@pytest.mark.slow
def test_dependency_vectors_are_computed_once_per_machine(tmp_path):
    """Project A embeds its dependency's items and writes the vectors back to the shared cache;
    project B, locking the same version, gets them from there and embeds only its own code."""
    good = tmp_path / "good"
    (good / "src").mkdir(parents=True)
    (good / "Cargo.toml").write_text('[package]\nname = "good"\nversion = "0.3.0"\n')
    (good / "src" / "lib.rs").write_text(
        "/// How many widgets fit in one crate.\npub const CAPACITY: u32 = 12;\n\n"
        "/// Packs widgets into crates, the largest first.\n"
        "pub fn pack(widgets: &[u32]) -> Vec<Vec<u32>> {\n    let mut out = Vec::new();\n"
        "    for w in widgets { out.push(vec![*w]); }\n    out\n}\n")
    reports = {}
    for name in ("a", "b"):
        ws = tmp_path / name
        (ws / "src").mkdir(parents=True)
        (ws / "src" / "lib.rs").write_text("pub fn crates(n: u32) -> u32 { n / good::CAPACITY }\n")
        (ws / "Cargo.toml").write_text(
            f'[package]\nname = "ws{name}"\nversion = "0.1.0"\n\n[dependencies]\n'
            'good = { path = "../good" }\n')
        (ws / "Cargo.lock").write_text(
            f'version = 3\n\n[[package]]\nname = "ws{name}"\nversion = "0.1.0"\n'
            'dependencies = ["good"]\n\n[[package]]\nname = "good"\nversion = "0.3.0"\n')
        reports[name] = rrag_json("index", "--root", str(ws), "--wait-deps")["embedding"]
    a, b = reports["a"], reports["b"]
    assert a["embedded"] > b["embedded"] > 0
    # B's own code is new to B's database; the dependency's texts all came from the cache.
    assert b["embedded"] + b["cached"] == a["embedded"] + a["cached"]
    assert b["cached"] >= a["embedded"] - b["embedded"] > 0
    hits = rrag_json("search", "pack widgets into crates", "--root", str(tmp_path / "b"),
                     "--mode", "vector")["results"]
    assert any(r["name"] == "good::pack" and r.get("version") == "0.3.0" for r in hits), hits
