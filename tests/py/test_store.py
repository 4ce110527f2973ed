"""The store on a real SQLite file with sqlite-vec loaded: migrations, per-file atomicity,
recovery from corruption and from a newer schema, private permissions, the lexical index."""

from __future__ import annotations

import os
import stat

import apsw
import pytest

from rrag.errors import StoreError
from rrag.parse.model import Item
from rrag.parse.nodeid import NodeId
from rrag.parse.tokens import lexical_row, split_identifier
from rrag.store import open_store
from rrag.store import files as files_db
from rrag.store import items as items_db
from rrag.store import lexical
from rrag.store.schema import MIGRATIONS


def _item(name: str, kind: str = "function", body: str = "", line: int = 1) -> Item:
    it = Item(kind=kind, name=name, name_path=name, module_path="demo", module_rel="",
              start_byte=0, end_byte=10, start_line=line, end_line=line + 1,
              content=body or f"fn {name}() {{}}", signature=f"fn {name}()")
    it.qualname = f"demo::{name}"
    it.id = NodeId.of("demo", it.key).hex()
    return it


def _write(store, path: str, items: list[Item]) -> int:
    rec = files_db.FileRecord(path=path, module_path="demo", crate="demo", hash="h")
    rows = [lexical_row(it) for it in items]
    file_id, skipped = files_db.replace_file(store, rec, items, ["x"] * len(items), rows)
    assert skipped == 0
    return file_id


def test_migrations_applied_once_and_vec_loaded(tmp_path):
    db = tmp_path / "idx" / "index.sqlite"
    store = open_store(db)
    assert store.schema_version() == len(MIGRATIONS)
    assert store.one("SELECT vec_version()").startswith("v")
    assert store.one("PRAGMA journal_mode") == "wal"
    store.close()
    again = open_store(db)
    assert again.schema_version() == len(MIGRATIONS)
    again.close()
    assert stat.S_IMODE(os.stat(db.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(db).st_mode) & 0o077 == 0


def test_replace_file_is_atomic(tmp_path):
    store = open_store(tmp_path / "index.sqlite")
    _write(store, "src/lib.rs", [_item("alpha"), _item("beta")])
    broken = _item("gamma")
    broken.kind = None  # violates NOT NULL half-way through the file's transaction
    with pytest.raises(apsw.ConstraintError):
        files_db.replace_file(store, files_db.FileRecord(path="src/lib.rs", hash="h2"),
                              [_item("delta"), broken], ["x", "y"])
    names = {r.qualname for r in items_db.list_items(store)}
    assert names == {"demo::alpha", "demo::beta"}
    assert files_db.file_states(store)["src/lib.rs"].hash == "h"


def test_delete_cascades_items_and_lexical_rows(tmp_path):
    store = open_store(tmp_path / "index.sqlite")
    _write(store, "src/a.rs", [_item("parse_header", body="fn parse_header() { HashMap::new() }")])
    assert lexical.search(store, "hash map")
    assert files_db.delete_files(store, ["src/a.rs"]) == 1
    assert items_db.item_count(store) == 0
    assert lexical.search(store, "hash map") == []


def test_lexical_tokens_are_code_aware(tmp_path):
    store = open_store(tmp_path / "index.sqlite")
    _write(store, "src/a.rs", [
        _item("parse_header", body="fn parse_header(buf: &[u8]) -> Header { todo!() }"),
        _item("render", body="fn render(w: &mut Writer) { w.flush_all(); }", line=5),
        _item("HttpClient", kind="struct", body="struct HttpClient { inner: HashMap<u8, u8> }",
              line=9),
    ])
    ids = {r.qualname: r.id for r in items_db.list_items(store)}
    hits = lexical.search(store, "parse header")
    assert hits[0][0] == ids["demo::parse_header"]
    assert hits[0][1] > 0, "BM25 must score (FTS5 without positions scores every row 0)"
    assert lexical.search(store, "parse_header")[0][0] == ids["demo::parse_header"]
    assert lexical.search(store, "http client")[0][0] == ids["demo::HttpClient"]
    assert lexical.search(store, "flush")[0][0] == ids["demo::render"]
    assert split_identifier("HTTPServerError") == ["http", "server", "error"]
    assert lexical.search(store, "!!! ???") == []


def test_corrupt_database_is_rebuilt_with_one_notice(tmp_path):
    db = tmp_path / "index.sqlite"
    store = open_store(db)
    _write(store, "src/a.rs", [_item("alpha")])
    store.close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(db) + suffix):
            os.remove(str(db) + suffix)
    db.write_bytes(b"this is not a database" * 500)
    rebuilt = open_store(db)
    assert len(rebuilt.notices) == 1 and rebuilt.notices[0].startswith("rrag: ")
    assert "corrupt" in rebuilt.notices[0]
    assert items_db.item_count(rebuilt) == 0
    assert any(p.name.startswith("index.sqlite.broken-") for p in tmp_path.iterdir())


def test_newer_schema_is_rebuilt_not_guessed(tmp_path):
    db = tmp_path / "index.sqlite"
    store = open_store(db)
    store.execute("INSERT INTO _rrag_migrations VALUES('m999_from_the_future', 0)")
    store.close()
    rebuilt = open_store(db)
    assert "another rrag version" in rebuilt.notices[0]
    assert rebuilt.schema_version() == len(MIGRATIONS)


def test_unwritable_index_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    with pytest.raises(StoreError) as err:
        open_store(blocker / "index.sqlite")
    assert str(err.value).startswith("rrag: cannot create the index folder")


def _names(path) -> list[str]:
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM items ORDER BY name")]
    finally:
        conn.close()


def test_bulk_first_index_appears_whole_with_its_indexes(tmp_path):
    from rrag.store import bulk
    from rrag.store.schema import BUILT_AFTER_LOAD

    final = tmp_path / "idx" / "index.sqlite"
    store = bulk.create(final)
    _write(store, "a.rs", [_item("alpha"), _item("beta", line=5)])
    assert not final.exists(), "nothing at the index path until the file is whole"
    bulk.finish(store)
    assert final.exists() and not list(final.parent.glob(".index.sqlite.bulk-*"))
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    store = open_store(final)
    try:
        names = {r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert set(BUILT_AFTER_LOAD) <= names
        assert [h for h, _ in lexical.search(store, "beta")] == [_item("beta", line=5).id]
        assert store.one("PRAGMA journal_mode") == "wal"
        assert store.one("PRAGMA integrity_check") == "ok"
    finally:
        store.close()


def test_bulk_index_copied_into_a_database_another_process_created(tmp_path):
    from rrag.store import bulk

    final = tmp_path / "index.sqlite"
    store = bulk.create(final)
    _write(store, "a.rs", [_item("alpha")])
    reader = open_store(final)  # e.g. an editor asked for the status meanwhile
    try:
        bulk.finish(store)  # cannot link over it: copied in one transaction instead
        assert [r[0] for r in reader.execute("SELECT name FROM items")] == ["alpha"]
    finally:
        reader.close()
    assert _names(final) == ["alpha"]
    assert not list(tmp_path.glob(".index.sqlite.bulk-*"))


def test_stale_bulk_files_of_dead_processes_are_removed(tmp_path):
    from rrag.store import bulk

    final = tmp_path / "index.sqlite"
    dead = tmp_path / ".index.sqlite.bulk-999999999"
    mine = bulk.temp_path(final)  # this process is alive: its file is kept
    dead.write_bytes(b"x")
    mine.write_bytes(b"x")
    assert bulk.remove_stale(final) == 1
    assert not dead.exists() and mine.exists()
