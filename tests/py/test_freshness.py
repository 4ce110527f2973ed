"""Never answer from stale code (issue 17), through the real command line.

After ``rrag index``, the files change on disk the way a formatter, another editor or
``git checkout`` changes them: a body is edited, a function added, a file deleted, a module
file renamed. With no explicit index run, the next ``rrag context``, ``rrag search`` and
``rrag ask`` (the real default model) see each change, and a deleted file's items never appear.
And only the workspace is read: a symlinked file and a symlinked folder pointing outside it,
holding a marker, never reach the index, search results or a prompt; each is reported once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, rrag, rrag_json

SIMPLE = REPO / "examples" / "simple_app"


def _config(text: str) -> None:
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "rrag"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text)


def _context(ws: Path, file: str, line: int) -> dict:
    return rrag_json("context", "--root", str(ws), "--file", file, "--line", str(line))


def _search(ws: Path, query: str, k: int = 10) -> list[dict]:
    return rrag_json("search", "--root", str(ws), "-k", str(k), query)["results"]


def _ask(ws: Path, question: str, file: str, line: int) -> dict:
    return rrag_json("ask", "--root", str(ws), "--file", file, "--line", str(line), question)


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_context_search_and_ask_follow_the_disk_without_an_index_run(tmp_path):
    _config("[llm]\nmax_answer_tokens = 24\n")  # short answers: the sources are what is checked
    ws = tmp_path / "simple_app"
    shutil.copytree(SIMPLE, ws)
    rrag_json("index", "--root", str(ws))  # with vectors: changed items must not keep theirs
    shapes = ws / "src" / "geometry" / "shapes.rs"

    # 1. A body edited on disk: the context hands the model the new body.
    old = "PI * self.radius * self.radius"
    assert old in shapes.read_text()
    shapes.write_text(shapes.read_text().replace(old, f"{old} * EDITED_AREA_FACTOR"))
    line = _line_of(shapes, "EDITED_AREA_FACTOR")
    ctx = _context(ws, "src/geometry/shapes.rs", line)
    assert "EDITED_AREA_FACTOR" in ctx["prompt"]
    assert ctx["items"][0]["name"].endswith("Circle::area")
    answer = _ask(ws, "What does area compute?", "src/geometry/shapes.rs", line)
    assert any(s["name"].endswith("Circle::area") for s in answer["sources"])

    # 2. A function added to another file: found by search, and the cursor item of a context.
    bits = ws / "src" / "bits.rs"
    bits.write_text(bits.read_text() + "\n/// Sums the tallies.\npub fn quokka_total(xs: &[u32])"
                    " -> u32 {\n    xs.iter().sum()\n}\n")
    hits = _search(ws, "quokka_total")
    assert hits[0]["name"] == "simple_app::bits::quokka_total"
    assert hits[0]["path"] == "src/bits.rs"
    line = _line_of(bits, "xs.iter().sum()")
    assert _context(ws, "src/bits.rs", line)["items"][0]["name"] == "simple_app::bits::quokka_total"
    answer = _ask(ws, "What does quokka_total return?", "src/bits.rs", line)
    assert "simple_app::bits::quokka_total" in [s["name"] for s in answer["sources"]]

    # 3. A file deleted (and its `mod` line): none of its items appear anywhere again.
    (ws / "src" / "report.rs").unlink()
    lib = ws / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace("pub mod report;\n", ""))
    assert not [h for h in _search(ws, "Report heading footer render", k=30)
                if h["path"] == "src/report.rs"]
    items = rrag_json("items", "--root", str(ws))["items"]
    assert items and not [i for i in items if i["path"] == "src/report.rs"]
    main = ws / "src" / "main.rs"
    line = _line_of(main, "report::render")
    ctx = _context(ws, "src/main.rs", line)
    assert not [i for i in ctx["items"] if i["path"] == "src/report.rs"]
    answer = _ask(ws, "How is the report rendered?", "src/main.rs", line)
    assert not [s for s in answer["sources"] if s["path"] == "src/report.rs"]

    # 4. A module file renamed (bits.rs -> bitops.rs, and its `mod` line): new path, new name.
    bits.rename(ws / "src" / "bitops.rs")
    lib.write_text(lib.read_text().replace("pub mod bits;", "pub mod bitops;"))
    hits = _search(ws, "quokka_total")
    assert (hits[0]["name"], hits[0]["path"]) == ("simple_app::bitops::quokka_total",
                                                  "src/bitops.rs")
    assert not [h for h in _search(ws, "f32_bits quokka_total", k=30) if h["path"] == "src/bits.rs"]
    line = _line_of(ws / "src" / "bitops.rs", "xs.iter().sum()")
    ctx = _context(ws, "src/bitops.rs", line)
    assert ctx["items"][0]["name"] == "simple_app::bitops::quokka_total"
    assert not [i for i in ctx["items"] if i["path"] in ("src/bits.rs", "src/report.rs")]
    answer = _ask(ws, "What does quokka_total return?", "src/bitops.rs", line)
    paths = {s["path"] for s in answer["sources"]}
    assert "src/bitops.rs" in paths and not paths & {"src/bits.rs", "src/report.rs"}

    stats = rrag_json("stats", "--root", str(ws))["freshness"]
    assert stats["scan_pending"] is False and stats["fresh_at"] > 0
    # The changed and new items wait for their vectors (no stale vector stands in for them).
    assert stats["vectors_pending"] > 0


MARK = "ZANZIBAR_SECRET_7731"


def _outside_workspace(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "secret.rs").write_text(f'pub fn read_key() -> &\'static str {{ "{MARK}" }}\n')
    (outside / "private" / "mod.rs").write_text(
        f"pub fn folder_key() -> u32 {{ 7731 }} // {MARK}\n")
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "Cargo.toml").write_text('[package]\nname = "linky"\nversion = "0.1.0"\n'
                                   'edition = "2021"\n')
    (ws / "src" / "lib.rs").write_text("pub mod creds;\npub mod private;\n\n"
                                       "/// Opens the vault.\npub fn open_vault() -> u32 {\n"
                                       "    private::folder_key()\n}\n")
    (ws / "src" / "creds.rs").symlink_to(outside / "secret.rs")
    (ws / "src" / "private").symlink_to(outside / "private", target_is_directory=True)
    return ws


def _index_bytes(ws: Path) -> bytes:
    db = Path(rrag_json("stats", "--root", str(ws))["db"])
    return b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))


def test_symlinks_to_outside_the_workspace_are_not_followed(tmp_path):
    ws = _outside_workspace(tmp_path)
    report = rrag_json("index", "--no-embed", "--root", str(ws))
    reported = sorted(e["path"] for e in report["errors"]
                      if "outside the workspace" in e["message"])
    assert reported == ["src/creds.rs", "src/private"]
    again = rrag_json("index", "--no-embed", "--root", str(ws))
    assert not [e for e in again["errors"] if "outside the workspace" in e["message"]], \
        "each link is reported once"

    paths = {i["path"] for i in rrag_json("items", "--root", str(ws))["items"]}
    assert paths == {"src/lib.rs"}
    for query in (MARK, "read_key", "folder_key"):
        assert not [h for h in _search(ws, query) if h["path"] != "src/lib.rs"]
        assert MARK not in rrag("search", "--root", str(ws), query).stdout
    ctx = _context(ws, "src/lib.rs", 6)
    assert MARK not in ctx["prompt"] and "read_key" not in ctx["prompt"]
    data = _index_bytes(ws)
    assert MARK.encode() not in data and MARK.lower().encode() not in data


def test_the_config_may_allow_outside_symlinks(tmp_path):
    """The same tree with ``index.follow_outside_links``: the marker is indexed, so the test
    above would see it if the links were followed."""
    _config("[index]\nfollow_outside_links = true\n")
    ws = _outside_workspace(tmp_path)
    report = rrag_json("index", "--no-embed", "--root", str(ws))
    assert not [e for e in report["errors"] if "outside the workspace" in e["message"]]
    paths = {i["path"] for i in rrag_json("items", "--root", str(ws))["items"]}
    assert {"src/creds.rs", "src/private/mod.rs"} <= paths
    assert MARK in _context(ws, "src/creds.rs", 1)["prompt"]


def test_a_git_checkout_is_seen_by_the_next_request(tmp_path):
    git = shutil.which("git")
    if git is None:
        pytest.fail("git is needed (scripts/debian-packages.txt)")
    ws = tmp_path / "simple_app"
    shutil.copytree(SIMPLE, ws)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}

    def run(*args: str) -> None:
        subprocess.run([git, *args], cwd=ws, check=True, capture_output=True,
                       env={**os.environ, **env})
    run("init", "-q", "-b", "main")
    run("add", "-A")
    run("commit", "-qm", "main")
    run("checkout", "-qb", "feature")
    (ws / "src" / "bits.rs").write_text((ws / "src" / "bits.rs").read_text()
                                        + "\npub fn branch_only_wombat() -> u8 { 7 }\n")
    run("commit", "-qam", "feature")
    run("checkout", "-q", "main")
    rrag_json("index", "--no-embed", "--root", str(ws))
    assert not [h for h in _search(ws, "branch_only_wombat") if "wombat" in h["name"]]
    run("checkout", "-q", "feature")
    assert _search(ws, "branch_only_wombat")[0]["name"] == "simple_app::bits::branch_only_wombat"
    run("checkout", "-q", "main")
    assert not [h for h in _search(ws, "branch_only_wombat") if "wombat" in h["name"]]


def test_unsaved_buffers_are_laid_over_the_index_for_one_request_only(tmp_path):
    """The engine's overlay (what the editors send): the typed function is the cursor's item,
    its text is in the context, search finds it, its calls are graph neighbours; the index and
    the file on disk are as before, for this connection after the request and for any other."""
    from rrag.service.engine import Engine

    ws = tmp_path / "simple_app"
    shutil.copytree(SIMPLE, ws)
    bits = ws / "src" / "bits.rs"
    saved = bits.read_text()
    typed = saved + ("\n/// Typed, not saved.\npub fn unsaved_wallaby(x: f32) -> u32 {\n"
                     "    f32_bits(x) ^ 0x5a5a\n}\n")
    line = typed.splitlines().index("    f32_bits(x) ^ 0x5a5a") + 1
    with Engine(ws) as engine:
        engine.index(embed=False)
        before = {(r.qualname, r.start_line) for r in engine.items("src/bits.rs")}
        buffers = {str(bits): typed}
        ctx = engine.context(str(bits), line, buffers=buffers)
        assert ctx["items"][0]["name"] == "simple_app::bits::unsaved_wallaby"
        assert "f32_bits(x) ^ 0x5a5a" in ctx["prompt"]
        assert "simple_app::bits::f32_bits" in [i["name"] for i in ctx["items"]]
        hits = engine.search("unsaved_wallaby", buffers=buffers)
        assert hits[0]["name"] == "simple_app::bits::unsaved_wallaby"
        # Nothing of it stayed: not in this engine's index, not on disk, not in another's.
        assert {(r.qualname, r.start_line) for r in engine.items("src/bits.rs")} == before
        assert not [h for h in engine.search("unsaved_wallaby") if "wallaby" in h["name"]]
        assert bits.read_text() == saved
        ctx = engine.context(str(bits), line)  # the saved file: the line is past its end
        assert "unsaved_wallaby" not in ctx["prompt"]
    with Engine(ws) as other:
        assert not [r for r in other.items("src/bits.rs") if "wallaby" in r.qualname]


def test_the_host_remembers_buffer_texts_by_changedtick():
    """The protocol both editors speak (rrag.bridge.buffers): text only when the tick moved."""
    from rrag.bridge.buffers import BufferTexts

    texts = BufferTexts()
    assert texts.resolve([{"path": "/w/a.rs", "tick": 3, "text": "fn a() {}\n"},
                          {"path": "/w/b.rs", "tick": 9, "text": "fn b() {}\n"}]) == \
        {"/w/a.rs": "fn a() {}\n", "/w/b.rs": "fn b() {}\n"}
    # Same ticks, no text: the remembered texts. A new tick with text replaces one.
    assert texts.resolve([{"path": "/w/a.rs", "tick": 3},
                          {"path": "/w/b.rs", "tick": 10, "text": "fn b2() {}\n"}]) == \
        {"/w/a.rs": "fn a() {}\n", "/w/b.rs": "fn b2() {}\n"}
    # a.rs was saved (no longer listed): forgotten, so a later "same tick" finds nothing and
    # the file on disk is used; an entry whose text this host never got is left out too.
    assert texts.resolve([{"path": "/w/b.rs", "tick": 10}]) == {"/w/b.rs": "fn b2() {}\n"}
    assert texts.resolve([{"path": "/w/a.rs", "tick": 3}, {"path": "/w/c.rs", "tick": 1}]) == {}
    assert texts.resolve(None) == {} and texts.resolve([{"tick": 1}, "x"]) == {}


def test_the_check_says_what_moved_and_when_to_run_the_dependency_step(tmp_path):
    from rrag.service.engine import Engine

    ws = tmp_path / "simple_app"
    shutil.copytree(SIMPLE, ws)
    with Engine(ws) as engine:
        assert engine.freshness.check().full  # never indexed
        engine.index(embed=False, dependencies=False)
        assert engine.freshness.check().fresh
        shapes = ws / "src" / "geometry" / "shapes.rs"
        shapes.write_text(shapes.read_text() + "\n")  # in place: only the file's stat moves
        verdict = engine.freshness.check()
        assert (verdict.fresh, verdict.reason, verdict.dependencies) == \
            (False, "src/geometry/shapes.rs changed", False)
        engine.refresh()
        assert engine.freshness.check().fresh
        (ws / "src" / "extra.rs").write_text("pub fn extra() {}\n")  # a new file: its folder
        assert engine.freshness.check().reason == "folder src changed"
        engine.refresh()
        lock = ws / "Cargo.lock"
        lock.write_text(lock.read_text() + "\n")
        verdict = engine.freshness.check()
        assert (verdict.fresh, verdict.dependencies) == (False, True), verdict
        engine.refresh()
        assert engine.freshness.check().fresh
    with Engine(ws) as again:  # a new process reads the snapshot from the index
        assert again.freshness.check().fresh
        assert "simple_app::extra::extra" in {r.qualname for r in again.items("src/extra.rs")}
    from rrag.config import Config, IndexConfig

    with Engine(ws, Config(index=IndexConfig(exclude=("src/extra.rs",)))) as narrower:
        assert narrower.freshness.check().reason == "the scan settings changed"
        assert not narrower.items("src/extra.rs")  # re-indexed without the excluded file


def test_a_changed_item_never_keeps_its_old_vector(tmp_path):
    """After an edit on disk, the item's old vector is gone with its old text (KNN cannot
    return it for that text); BM25 finds the new text; the background embedding restores it."""
    from rrag.service.engine import Engine
    from rrag.store import items as items_db
    from rrag.store import vectors as vec_db

    ws = tmp_path / "simple_app"
    shutil.copytree(SIMPLE, ws)
    shapes = ws / "src" / "geometry" / "shapes.rs"
    with Engine(ws) as engine:
        engine.index(embed=True, dependencies=False)
        area = next(r for r in items_db.list_items(engine.store, "src/geometry/shapes.rs")
                    if r.qualname == "simple_app::geometry::shapes::Circle::area")
        perimeter = next(r for r in items_db.list_items(engine.store, "src/geometry/shapes.rs")
                         if r.qualname == "simple_app::geometry::shapes::Circle::perimeter")
        assert not vec_db.without_vectors(engine.store, [area.id, perimeter.id])
        text = shapes.read_text()
        shapes.write_text(text.replace("PI * self.radius * self.radius",
                                       "PI * self.radius * self.radius * CHANGED_PLATYPUS"))
        engine.refresh()
        # Same NodeId (same name and place), new text: no vector until it is embedded again;
        # the untouched sibling keeps its own.
        assert vec_db.without_vectors(engine.store, [area.id, perimeter.id]) == {area.id}
        hits = engine.search("CHANGED_PLATYPUS")
        assert hits[0]["id"] == area.id
        engine.embed_pending()
        assert not vec_db.without_vectors(engine.store, [area.id])


def test_a_long_lived_engine_watches_folders_and_still_sees_every_change(tmp_path):
    """From its second check on, an engine (the editor's) watches the indexed folders and
    skips the stat walk while no event arrives; every kind of change still shows."""
    from rrag.service.engine import Engine

    ws = tmp_path / "simple_app"
    shutil.copytree(SIMPLE, ws)
    shapes = ws / "src" / "geometry" / "shapes.rs"
    with Engine(ws) as engine:
        engine.index(embed=False, dependencies=False)
        fresh = engine.freshness
        assert fresh.check().fresh and fresh.check().fresh
        assert fresh._watch is not None and fresh._trusted  # noqa: SLF001 - the mechanism
        changes = [
            lambda: shapes.write_text(shapes.read_text() + "// in place\n"),
            lambda: (ws / "src" / "geometry" / "new_part.rs").write_text("pub fn np() {}\n"),
            lambda: (ws / "src" / "geometry" / "new_part.rs").unlink(),
            lambda: (ws / "src" / "bits.rs").rename(ws / "src" / "bits2.rs"),
            lambda: os.utime(ws / "src" / "lib.rs", ns=(1, 1)),
        ]
        for change in changes:
            change()
            assert not fresh.check().fresh
            engine.refresh()
            assert fresh.check().fresh and fresh.check().fresh
            assert fresh._trusted  # noqa: SLF001 - watched again after the re-index


def test_a_refactors_cargo_check_edits_the_unsaved_buffer_not_the_file(tmp_path):
    """Lines in requests refer to the buffer: the proposal is checked against the buffer's
    text (which declares `helper`), not the saved file (which does not)."""
    from rrag.llm.response import cargo_check

    if shutil.which("cargo") is None:
        pytest.fail("cargo is needed for the refactor check (scripts/setup-system.sh)")
    crate = tmp_path / "tiny"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text('[package]\nname = "tiny"\nversion = "0.1.0"\n'
                                      'edition = "2021"\n')
    (crate / "src" / "lib.rs").write_text("pub fn a() -> u32 { 1 }\npub fn b() -> u32 { 0 }\n")
    buffer = "pub fn helper() -> u32 { 5 }\npub fn b() -> u32 { 0 }\n"
    proposal = "pub fn b() -> u32 { helper() }"
    assert cargo_check(crate, "src/lib.rs", 2, 2, proposal, buffer).ok
    on_disk = cargo_check(crate, "src/lib.rs", 2, 2, proposal)
    assert on_disk.ran and not on_disk.ok and "helper" in " ".join(on_disk.diagnostics)


def _never_indexed(tmp_path: Path, monkeypatch) -> tuple[Path, Path, list[Path]]:
    """A copy of simple_app with no index yet, its database path, and the list every first
    index through the bulk path (store.bulk.create) appends its final path to."""
    from rrag.store import bulk

    ws = tmp_path / "simple_app"
    shutil.copytree(SIMPLE, ws)
    created: list[Path] = []
    real_create = bulk.create
    monkeypatch.setattr(bulk, "create", lambda final: created.append(final) or real_create(final))
    return ws, tmp_path / "db" / "index.sqlite", created


def test_a_first_request_builds_the_index_through_the_bulk_path(tmp_path, monkeypatch):
    """The editor's first request on a never-indexed workspace (an ask before any :RragIndex)
    indexes it out of sight and puts it in place whole, like `rrag index` does; the freshness
    check must not create an empty database first (that would force the file-by-file path)."""
    from rrag.config import Config
    from rrag.service.engine import Engine

    ws, db, created = _never_indexed(tmp_path, monkeypatch)
    with Engine(ws, Config(), db_path=db) as engine:
        hits = engine.search("area of a circle", mode="lexical")
        assert created == [db]
        assert any(h["name"].endswith("Circle::area") for h in hits), hits
        engine.search("area of a circle", mode="lexical")  # indexed now: no second first index
        assert created == [db]
    assert db.exists() and not list(db.parent.glob(".index.sqlite.bulk-*"))


def test_status_before_any_index_leaves_the_first_index_its_bulk_path(tmp_path, monkeypatch):
    """:RragStatus (or `rrag stats`) on a never-indexed workspace says so without creating the
    database: an empty file would send the first index down the file-by-file path."""
    from rrag.config import Config
    from rrag.service.engine import Engine

    ws, db, created = _never_indexed(tmp_path, monkeypatch)
    with Engine(ws, Config(), db_path=db) as engine:
        status = engine.status()
        assert (status["items"], status["freshness"]["scan_reason"]) == (0, "no index yet")
        assert status["freshness"]["text"].startswith("not indexed yet")
        assert not db.exists()
        engine.search("area of a circle", mode="lexical")
        assert created == [db]
        indexed = engine.status()
        assert indexed["items"] > 0
        # unindexed_stats spells out the keys of index_stats and freshness_stats: no drift
        assert _key_paths(status) == _key_paths(indexed)


def _key_paths(d: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in d.items():
        out.add(prefix + key)
        if isinstance(value, dict) and key != "kinds":  # kinds: one key per item kind
            out |= _key_paths(value, prefix + key + ".")
    return out
