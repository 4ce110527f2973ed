"""Shared fixtures: an isolated cache/config per test session, the project venv's tools, and
small helpers to run the real ``rrag`` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REGISTRY = Path("/usr/share/cargo/registry")
BIN = Path(sys.executable).parent
# std's sources cost ~30 s to index once per machine, and each test has its own cache: only the
# std tests (tests/py/test_std_index.py) index them, into one cache for their module. Set here
# too, for the module-scoped fixtures built before the per-test environment below.
os.environ["RRAG_STD_INDEX"] = "0"


def pytest_report_header(config):
    import apsw
    import sqlite_vec

    return [f"sqlite {apsw.sqlite_lib_version()}, sqlite-vec "
            f"{sqlite_vec.__version__ if hasattr(sqlite_vec, '__version__') else '?'}, "
            f"python {sys.executable}"]


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own cache (index databases) and config; models stay shared."""
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.delenv("RRAG_CACHE_DIR", raising=False)
    monkeypatch.delenv("RRAG_CONFIG", raising=False)
    monkeypatch.setenv("RRAG_STD_INDEX", "0")
    yield


def registry_crate(name: str) -> Path:
    """A real crate's sources from Debian's librust-*-dev packages, newest version present."""
    found = sorted(REGISTRY.glob(f"{name}-[0-9]*"))
    if not found:
        pytest.fail(f"{REGISTRY}/{name}-* is missing: run scripts/setup-system.sh "
                    "(it installs the librust-*-dev packages the tests read)")
    return found[-1]


def rrag(*args: str, cwd: Path | None = None, check: bool = True, env: dict | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real console script of the project venv."""
    proc = subprocess.run([str(BIN / "rrag"), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"rrag {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def rrag_json(*args: str, **kw) -> dict:
    proc = rrag(*args, "--json", **kw)
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    assert len(lines) == 1, f"--json must print exactly one line, got: {proc.stdout!r}"
    return json.loads(lines[0])


def index_path(root: Path, env: dict) -> Path:
    """Where ``rrag`` keeps ``root``'s index under ``env`` (its ``XDG_CACHE_HOME``)."""
    from unittest import mock

    from rrag.paths import index_db_path

    with mock.patch.dict(os.environ, env):
        return index_db_path(root)


def empty_index(root: Path, env: dict) -> Path:
    """An existing, empty index for ``root``: ``rrag index`` then writes file by file (one
    transaction per file) instead of taking a first index's bulk path. Opening the store
    creates it, as the editor's first request on an open store does."""
    from rrag.store.db import open_store

    db = index_path(root, env)
    db.parent.mkdir(parents=True, exist_ok=True)
    open_store(db).close()
    return db
