"""Faults around the index, through the real ``rrag`` command line on real SQLite files: two
processes indexing and searching one repository at once, the disk filling up mid-index (a small
tmpfs), the database deleted or corrupted between runs, and a read-only cache folder. Each ends
with a one-line ``rrag:`` message (or none when nothing went wrong), a database that passes
``PRAGMA integrity_check`` and holds exactly what a clean index holds, and a next request that
works. (``kill -9`` during indexing: test_crash_consistency.py; during embedding:
test_embed_pipeline.py; during generation: test_llm_worker.py.)"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import apsw
import pytest

from conftest import BIN, empty_index, index_path, registry_crate, rrag, rrag_json

pytestmark = pytest.mark.slow


def _tree(tmp_path: Path, *crates: str) -> Path:
    tree = tmp_path / "crates"
    for name in crates:
        src = registry_crate(name)
        shutil.copytree(src, tree / src.name, symlinks=True)
    return tree


def _integrity(db: Path) -> None:
    conn = apsw.Connection(str(db))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def _snapshot(root: Path, env: dict) -> tuple:
    items = rrag_json("items", "--root", str(root), env=env)["items"]
    stats = rrag_json("stats", "--root", str(root), env=env)
    return sorted(tuple(sorted(i.items())) for i in items), stats["files"], stats["edges"]


def assert_consistent(root: Path, env: dict, tmp_path: Path) -> None:
    """The index behind ``env`` passes integrity checks and equals a clean index of ``root``."""
    db = Path(rrag_json("stats", "--root", str(root), env=env)["db"])
    _integrity(db)
    clean_env = {"XDG_CACHE_HOME": str(tempfile.mkdtemp(dir=tmp_path, prefix="clean-"))}
    rrag_json("index", "--no-embed", "--root", str(root), env=clean_env)
    assert _snapshot(root, env) == _snapshot(root, clean_env)


def _one_rrag_line(stderr: str) -> str:
    lines = [l for l in stderr.splitlines() if l.strip() and not l.startswith("[rrag] ")]
    assert len(lines) == 1 and lines[0].startswith("rrag: "), stderr
    return lines[0]


@contextlib.contextmanager
def tmpfs(where: Path, size: str):
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                           str(where)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs here ({proc.stderr.strip()}): the fault tests run "
                    "as root (as make test does in CI) to make a full and a read-only disk")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def test_two_processes_index_and_search_one_repo_at_once(tmp_path):
    tree = _tree(tmp_path, "regex", "regex-syntax")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen([str(BIN / "rrag"), *args, "--root", str(tree), "--json"],
                                env={**os.environ, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    # Two "editors" index the same fresh repository at once while a third keeps searching.
    procs = [start("index", "--no-embed"), start("index", "--no-embed")]
    searches = [start("search", "Regex", "-k", "3") for _ in range(4)]
    for _ in range(2):  # an edit lands between the runs: both writers touch the same file
        target = next(tree.glob("regex-*/src/lib.rs"))
        target.write_text(target.read_text() + "\npub fn added_by_the_second_editor() {}\n")
        procs.append(start("index", "--no-embed"))
    results = [(p, *p.communicate(timeout=900)) for p in procs + searches]
    for proc, out, err in results:
        assert proc.returncode == 0, err
        assert "locked" not in err.lower() and "busy" not in err.lower(), err
    names = {i["name"] for i in rrag_json("items", "--root", str(tree), env=env)["items"]}
    assert "regex::added_by_the_second_editor" in names
    assert rrag_json("index", "--no-embed", "--root", str(tree), env=env)["files_parsed"] == 0
    assert_consistent(tree, env, tmp_path)


@pytest.mark.parametrize("path", ["first index", "existing index"])
def test_disk_full_during_index_is_one_message_and_recovers(tmp_path, path):
    """A first index (the bulk path: a private file put in place whole) leaves no index and no
    temporary file; an existing index (written file by file) keeps what it had committed."""
    tree = _tree(tmp_path, "regex", "regex-syntax", "clap")
    with tmpfs(tmp_path / "small", "3m") as small:
        env = {"XDG_CACHE_HOME": str(small)}
        db = empty_index(tree, env) if path == "existing index" else index_path(tree, env)
        proc = rrag("index", "--no-embed", "--root", str(tree), env=env, check=False)
        assert proc.returncode != 0
        line = _one_rrag_line(proc.stderr)
        assert "full" in line and "free some space" in line, line
        if path == "first index":
            assert not db.exists() and not list(db.parent.glob(f".{db.name}.bulk-*"))
            status = rrag_json("stats", "--root", str(tree), env=env)
            assert status["freshness"]["scan_reason"] == "no index yet"
            partial = 0
        else:
            _integrity(db)
            partial = rrag_json("stats", "--root", str(tree), env=env)["files"]
        _remount(small, "size=400m")
        report = rrag_json("index", "--no-embed", "--root", str(tree), env=env)
        assert report["errors"] == [] and report["files_parsed"] > 0
        assert partial < report["files"]
        assert_consistent(tree, env, tmp_path)


def test_database_deleted_between_runs_is_rebuilt_quietly(tmp_path):
    tree = _tree(tmp_path, "regex-syntax")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = rrag_json("index", "--no-embed", "--root", str(tree), env=env)
    db = Path(first["db"])
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(str(db) + suffix)
    proc = rrag("index", "--no-embed", "--root", str(tree), "--json", env=env)
    assert proc.returncode == 0
    assert all(line.startswith("[rrag] ") for line in proc.stderr.splitlines()), proc.stderr
    assert rrag_json("stats", "--root", str(tree), env=env)["files"] == first["files"]
    assert_consistent(tree, env, tmp_path)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed-header"])
def test_database_corrupted_between_runs_is_rebuilt_with_one_message(tmp_path, damage):
    tree = _tree(tmp_path, "regex-syntax")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    db = Path(rrag_json("index", "--no-embed", "--root", str(tree), env=env)["db"])
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(str(db) + suffix)
    data = db.read_bytes()
    if damage == "garbage":
        db.write_bytes(b"definitely not sqlite " * 4096)
    elif damage == "truncated":
        db.write_bytes(data[: len(data) // 3])
    else:
        db.write_bytes(b"\0" * 100 + data[100:])
    proc = rrag("index", "--no-embed", "--root", str(tree), "--json", env=env)
    notices = [l for l in proc.stderr.splitlines() if "corrupt" in l or "moved it" in l]
    assert len(notices) == 1 and notices[0].startswith("rrag: "), proc.stderr
    assert any(p.name.startswith("index.sqlite.broken-") for p in db.parent.iterdir())
    again = rrag("index", "--no-embed", "--root", str(tree), "--json", env=env)
    assert "corrupt" not in again.stderr  # reported once, not on every run
    assert rrag("search", "Hir", "--root", str(tree), "--json", env=env).returncode == 0
    assert_consistent(tree, env, tmp_path)


def test_read_only_cache_folder_is_a_clear_message_then_works_again(tmp_path):
    tree = _tree(tmp_path, "regex-syntax")
    with tmpfs(tmp_path / "ro-cache", "200m") as cache:
        env = {"XDG_CACHE_HOME": str(cache)}
        # A fresh index in a read-only cache: nothing can be created.
        _remount(cache, "ro")
        proc = rrag("index", "--no-embed", "--root", str(tree), env=env, check=False)
        assert proc.returncode != 0
        line = _one_rrag_line(proc.stderr)
        assert "Traceback" not in proc.stderr and "internal error" not in line, line
        # An existing index whose folder turned read-only: a clear message, never a traceback.
        _remount(cache, "rw")
        rrag_json("index", "--no-embed", "--root", str(tree), env=env)
        _remount(cache, "ro")
        target = next(tree.glob("regex-syntax-*/src/lib.rs"))
        target.write_text(target.read_text() + "\npub fn written_while_read_only() {}\n")
        for args in (("index", "--no-embed"), ("search", "Hir")):
            proc = rrag(*args, "--root", str(tree), env=env, check=False)
            if proc.returncode != 0:
                line = _one_rrag_line(proc.stderr)
                assert "internal error" not in line, line
        _remount(cache, "rw")
        rrag_json("index", "--no-embed", "--root", str(tree), env=env)
        names = {i["name"] for i in rrag_json("items", "--root", str(tree), env=env)["items"]}
        assert "regex_syntax::written_while_read_only" in names
        assert_consistent(tree, env, tmp_path)


def test_a_parse_process_killed_mid_index_is_one_message_and_recovers(tmp_path):
    """A parse worker dying (OOM killer, a native crash) must not surface as a traceback."""
    import signal
    import time

    from test_crash_consistency import _children

    tree = _tree(tmp_path, "regex", "regex-syntax", "clap")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen([str(BIN / "rrag"), "index", "--no-embed", "--root", str(tree)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    victims: list[int] = []
    deadline = time.monotonic() + 300
    while not victims and proc.poll() is None and time.monotonic() < deadline:
        # the pool's workers: children of the rrag process other than the resource tracker
        for child in _children(proc.pid):
            with open(f"/proc/{child}/cmdline", "rb") as fh:
                if b"spawn_main" in fh.read() and _children(proc.pid):
                    victims.append(child)
        time.sleep(0.05)
    assert victims, "no parse process was seen"
    os.kill(victims[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode != 0, "the index should report the dead parse process"
    line = _one_rrag_line(err.split("\r")[-1] if "\r" in err else err)
    assert "parse process died" in line and "internal error" not in line, line
    report = rrag_json("index", "--no-embed", "--root", str(tree), env=env)
    assert report["errors"] == []
    assert_consistent(tree, env, tmp_path)
