"""``kill -9`` in the middle of ``rrag index``, then ``rrag index`` again: the database passes
``PRAGMA integrity_check`` and holds exactly what a clean index of the same tree holds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import apsw
import pytest

from conftest import BIN, empty_index, index_path, registry_crate, rrag_json

pytestmark = pytest.mark.slow


def _count_files(db: Path) -> int:
    try:
        conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
        conn.setbusytimeout(1000)
        try:
            return conn.execute("SELECT count(*) FROM files").fetchone()[0]
        finally:
            conn.close()
    except apsw.Error:
        return 0


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _snapshot(root: Path, env: dict) -> tuple:
    items = rrag_json("items", "--root", str(root), env=env)["items"]
    stats = rrag_json("stats", "--root", str(root), env=env)
    return sorted(tuple(sorted(i.items())) for i in items), stats["files"], stats["items"]


def test_kill_during_index_then_reindex_equals_clean(tmp_path):
    tree = tmp_path / "crates"
    for name in ("regex", "regex-syntax", "clap", "serde", "tokio"):
        src = registry_crate(name)
        shutil.copytree(src, tree / src.name, symlinks=True)

    killed_env = {"XDG_CACHE_HOME": str(tmp_path / "cache-killed")}
    db = empty_index(tree, killed_env)
    assert db.exists() and _count_files(db) == 0

    proc = subprocess.Popen([str(BIN / "rrag"), "index", "--no-embed", "--root", str(tree)],
                            env={**os.environ, **killed_env}, stderr=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    seen = 0
    while time.monotonic() < deadline and proc.poll() is None:
        seen = _count_files(db)
        if seen >= 5:  # the writer is committing files one transaction at a time
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the index finished before it could be killed"
    children = _children(proc.pid)
    assert children, "the index should be running its parse processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _count_files(db)
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [c for c in children if _alive(c)], "parse processes outlived the killed index"

    conn = apsw.Connection(str(db))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    rrag_json("index", "--no-embed", "--root", str(tree), env=killed_env)
    conn = apsw.Connection(str(db))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    clean_env = {"XDG_CACHE_HOME": str(tmp_path / "cache-clean")}
    rrag_json("index", "--no-embed", "--root", str(tree), env=clean_env)
    resumed, clean = _snapshot(tree, killed_env), _snapshot(tree, clean_env)
    assert resumed[1:] == clean[1:]
    assert resumed[0] == clean[0]
    assert 0 < partial < clean[1], (partial, clean[1])


# -- the bulk path: a first index is written to a private file and linked into place whole ----

@pytest.fixture(scope="module")
def bulk_tree(tmp_path_factory):
    """Crates to index, and a clean first index of them to compare with."""
    base = tmp_path_factory.mktemp("bulk")
    tree = base / "crates"
    for name in ("regex", "regex-syntax", "clap", "serde"):
        src = registry_crate(name)
        shutil.copytree(src, tree / src.name, symlinks=True)
    clean_env = {"XDG_CACHE_HOME": str(base / "cache-clean")}
    rrag_json("index", "--no-embed", "--root", str(tree), env=clean_env)
    return tree, _snapshot(tree, clean_env)


def _temp_files(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.bulk-*")) if db.parent.is_dir() else []


@pytest.mark.parametrize("phase", ["files parsed", "graph", "building indexes"])
def test_kill_during_bulk_first_index_leaves_no_index_or_a_whole_one(tmp_path, bulk_tree, phase):
    tree, clean = bulk_tree
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    db = index_path(tree, env)
    assert not db.exists()
    proc = subprocess.Popen([str(BIN / "rrag"), "index", "--no-embed", "--root", str(tree)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # progress lines: the kill waits on the phase, not on a clock
        seen.append(line)
        if line.startswith(f"[rrag] {phase}"):
            break
    assert proc.poll() is None, f"the index ended before {phase!r}: {seen}"
    temps = _temp_files(db)
    children = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert temps or db.exists(), "a first index is written to a temporary file"
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)

    if db.exists():  # the kill came after the link: the whole index, usable
        conn = apsw.Connection(str(db))
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        assert _snapshot(tree, env) == clean
    else:
        assert not Path(str(db) + "-wal").exists()

    report = rrag_json("index", "--no-embed", "--root", str(tree), env=env)
    assert not report["errors"], report["errors"]
    assert _temp_files(db) == [], "the killed run's temporary file is removed"
    conn = apsw.Connection(str(db))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert _snapshot(tree, env) == clean


def test_bulk_first_index_equals_an_incremental_one(tmp_path, bulk_tree):
    """The bulk path and the per-file path (an existing, empty database) give the same index,
    search included."""
    tree, clean = bulk_tree
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    db = empty_index(tree, env)
    inode = db.stat().st_ino
    rrag_json("index", "--no-embed", "--root", str(tree), env=env)
    assert db.stat().st_ino == inode, "the existing file is written in place, not replaced"
    assert _snapshot(tree, env) == clean
    clean_env = {"XDG_CACHE_HOME": str(tree.parent / "cache-clean")}
    for query in ("compile a regex", "parse command line arguments", "Serializer"):
        hits = [rrag_json("search", "--root", str(tree), "--mode", "lexical", "-k", "10",
                          query, env=e)["results"] for e in (env, clean_env)]
        # (same scores: ties may come back in either order)
        assert sorted((h["score"], h["id"]) for h in hits[0]) == \
            sorted((h["score"], h["id"]) for h in hits[1]), query
