"""Fixtures for the Vim 9 tests: a real Vim in a pseudo terminal with this checkout on
'runtimepath', g:rrag_python pointing at the test interpreter, HOME and every XDG folder
isolated under tmp, and a copy of examples/simple_app as the workspace."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from .vim_driver import REPO, VIM, Vim


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "simple_app"
    shutil.copytree(REPO / "examples" / "simple_app", root)
    return root


@pytest.fixture
def start_vim(tmp_path: Path):
    if not Path(VIM).is_file():
        pytest.fail(f"{VIM} is missing: run scripts/setup-system.sh (it installs vim-nox)")
    sessions: list[Vim] = []

    def start(extra: str = "", python: str = sys.executable) -> Vim:
        vim = Vim(tmp_path / f"home{len(sessions)}", python, extra)
        sessions.append(vim)
        return vim

    yield start
    for vim in sessions:
        vim.close()


@pytest.fixture
def vim(start_vim) -> Vim:
    return start_vim()
