"""While the plugin indexes a large crate (tokio, from Debian's cargo registry, copied to tmp),
Neovim keeps running its loop: requests are answered and the statusline moves through the
index's progress before the index ends. How fast it answers is measured in
bench/editor_responsiveness.py (a speed goal is not a test verdict)."""

from __future__ import annotations

import shutil

import pytest
from .nvim_helpers import registry_crate, wait_for


@pytest.mark.slow
def test_the_editor_answers_and_shows_progress_while_tokio_is_indexed(editor, tmp_path):
    root = tmp_path / "tokio"
    shutil.copytree(registry_crate("tokio"), root)
    editor.nvim.command(f"edit {root / 'src' / 'lib.rs'}")
    editor.nvim.command("RragIndex")
    wait_for(lambda: editor.lua("return require('rrag').statusline()") != "", timeout=60,
             interval=0.01, what="indexing to start")

    progress: list[str] = []

    def answered_until_done():
        assert editor.nvim.eval("1") == 1
        line = editor.lua("return require('rrag').statusline()")
        if line and (not progress or progress[-1] != line):
            progress.append(line)
        return editor.lua("return require('rrag.ui.status').last_index")

    done = wait_for(answered_until_done, timeout=900, interval=0.005, what="the index of tokio")
    assert "error" not in done, done
    assert done["result"]["stats"]["files"] > 300
    # The loop rendered the host's progress while the host worked: several distinct states,
    # each read through a request the editor answered mid-index.
    assert len(progress) >= 3, progress
    assert all(line.startswith("rrag: ") for line in progress), progress
