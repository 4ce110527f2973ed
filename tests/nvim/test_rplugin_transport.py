"""The classic remote-plugin transport keeps working: :UpdateRemotePlugins registers the one
manifest entry (_rrag_init), and the rpc_export'ed handlers serve the same requests as the
default job transport, on the real engine."""

from __future__ import annotations

import sys

import pytest
from .nvim_helpers import wait_for


@pytest.mark.slow
def test_update_remote_plugins_then_index_and_status(start_nvim, crate, tmp_path):
    manifest = tmp_path / "rplugin.vim"
    host = (f"let g:python3_host_prog = '{sys.executable}'",)
    env = {"NVIM_RPLUGIN_MANIFEST": str(manifest)}
    first = start_nvim(extra_cmds=host, env=env, clean=False)
    first.nvim.command("UpdateRemotePlugins")
    text = manifest.read_text()
    assert "rrag_host" in text and "'_rrag_init'" in text
    assert text.count("'type': 'function'") == 1  # one manifest entry; the rest is rpc_export

    editor = start_nvim(extra_cmds=host, env=env, clean=False)
    assert editor.lua("return require('rrag.rpc').rplugin_registered()")
    editor.lua("require('rrag').setup({ transport = 'rplugin' })")
    editor.nvim.command(f"edit {crate / 'src' / 'lib.rs'}")
    editor.nvim.command("RragIndex")
    done = wait_for(lambda: editor.lua("return require('rrag.ui.status').last_index"),
                    timeout=120, what="the index over the rplugin transport")
    assert "error" not in done, done
    assert done["result"]["stats"]["files"] == 2
    assert editor.lua("return vim.g.rrag_channel") == editor.lua(
        "return require('rrag.rpc').state.chan")
    editor.nvim.command("RragStatus")
    wait_for(lambda: editor.view("status", "result"), what="the status")
    assert any("(rplugin, pid" in l for l in editor.float_lines("status"))
    assert editor.lua("return require('rrag.rpc').state.job") is None  # no job was started
