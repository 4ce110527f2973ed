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

from conftest import BIN, registry_crate, rrag_json

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
    db = Path(rrag_json("stats", "--root", str(tree), env=killed_env)["db"])
    assert _count_files(db) == 0

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
