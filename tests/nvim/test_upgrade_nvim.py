"""Issue 22 in Neovim: :RragUpgrade fills the quickfix list with the sites a dependency's new
version breaks, and `K` on an entry opens the float with the old and the new signature.

Real headless Neovim, the plugin's RPC host and the real engine, on the semver 0.9 -> 1.0
program of tests/fixtures/upgrade_ws (indexed at 0.9.0, then locked at 1.0.14)."""

from __future__ import annotations

import importlib.util

import pynvim
import pytest

from .nvim_helpers import REPO, wait_for

_spec = importlib.util.spec_from_file_location("bench_upgrade", REPO / "bench" / "upgrade.py")
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

# a cold dependency cache is built on first use, and a fix is up to three model turns each
# checked by cargo: minutes on 2 busy cores (a bound for a hang, not a speed claim)
TIMEOUT_S = 600


def test_upgrade_quickfix_list_and_signature_float(editor, tmp_path):
    ws = harness.indexed_then_bumped("semver", tmp_path)
    ed = editor
    ed.nvim.command(f"edit {ws / 'src' / 'main.rs'}")
    ed.nvim.command("RragUpgrade")
    view = wait_for(lambda: ed.lua("local v = require('rrag.ui.upgrade').last "
                                   "return v and v.done and v or nil"),
                    timeout=TIMEOUT_S, what="the upgrade report")
    assert not view.get("error"), view
    qf = ed.lua("return vim.fn.getqflist({ title = 1, items = 1 })")
    assert qf["title"] == "rrag upgrade: semver 0.9.0 -> 1.0.14 (19 API changes, 5 sites)"
    entries = [(ed.lua(f"return vim.api.nvim_buf_get_name({e['bufnr']})"), e["lnum"], e["text"])
               for e in qf["items"]]
    main = str(ws / "src" / "main.rs")
    assert entries == [
        (main, 1, "removed semver::Identifier"),
        (main, 4, "removed semver::Version::increment_patch"),
        (main, 8, "removed semver::Version::is_prerelease"),
        (main, 12, "field_changed semver::Version::pre"),
        (main, 24, "removed semver::VersionReq::exact"),
    ]
    assert ed.lua("return vim.bo.buftype") == "quickfix"  # the list is open, cursor in it
    ed.nvim.current.window.cursor = (4, 0)
    ed.nvim.input("K")
    wait_for(lambda: ed.lua("local f = require('rrag.ui.upgrade').float "
                            "return f and f.valid() or nil"), what="the detail float")
    lines = ed.lua("local f = require('rrag.ui.upgrade').float "
                   "return vim.api.nvim_buf_get_lines(f.buf, 0, -1, false)")
    assert lines[:12] == [
        "# semver 0.9.0 -> 1.0.14: field_changed", "",
        "`semver::Version::pre` used by `semver_app::tag`", "",
        "## old (0.9.0)", "```rust", "pre: Vec<Identifier>", "```", "",
        "## new (1.0.14)", "```rust", "pre: Prerelease"]
    assert "## docs" in lines
    assert ed.lua("return vim.api.nvim_win_get_config(0).relative") in ("cursor", "win")
    ed.nvim.input("q")  # the float's close key
    wait_for(lambda: not ed.lua("return require('rrag.ui.upgrade').float.valid()"),
             what="the float to close")
    ed.nvim.command("cfirst")
    assert ed.nvim.current.buffer.name == main and ed.nvim.current.window.cursor[0] == 1


@pytest.mark.slow
def test_fix_from_the_list_opens_the_refactor_diff(editor, tmp_path):
    """`F` on a site: the refactor of its item (fn bump, lines 3-5) with both versions'
    definitions, the real default model's proposal checked by cargo; `r` rejects it."""
    ws = harness.indexed_then_bumped("semver", tmp_path)
    ed = editor
    main = str(ws / "src" / "main.rs")
    ed.nvim.command(f"edit {main}")
    original = ed.nvim.current.buffer[:]
    ed.nvim.command("RragUpgrade")
    wait_for(lambda: ed.lua("local v = require('rrag.ui.upgrade').last "
                            "return v and v.done or nil"), timeout=TIMEOUT_S, what="the report")
    ed.nvim.current.window.cursor = (2, 0)  # removed semver::Version::increment_patch
    ed.nvim.input("F")
    view = wait_for(lambda: ed.lua("local v = require('rrag.ui.refactor').last "
                                   "if not (v and (v.result or v.error)) then return nil end "
                                   "return { first = v.first, last = v.last, error = v.error, "
                                   "instruction = v.instruction, result = v.result }"),
                    timeout=TIMEOUT_S, what="the fix proposal")
    assert not view.get("error"), view["error"]
    assert (view["first"], view["last"]) == (3, 5)
    assert "where `semver::Version::increment_patch` was removed" in view["instruction"]
    assert view["result"]["check"]["ran"] is True
    preview = ed.float_lines("refactor")
    assert preview[0] == ("Lines 3-5: This code was written for semver 0.9.0; the project now "
                          "uses semver 1.0.14, where `semver::Version::increment_patch` was "
                          "removed. Update the code so it compiles with semver 1.0.14, keeping "
                          "what it does.")
    assert preview[1] in ("parse: ok", "parse: FAILED (the proposal is not valid Rust)")
    assert preview[2].startswith("cargo check: ")
    ed.nvim.input("r")
    wait_for(lambda: ed.view("refactor", "outcome") == "rejected", what="reject")
    assert ed.lua(f"return vim.api.nvim_buf_get_lines(vim.fn.bufnr('{main}'), 0, -1, false)") \
        == original


def test_upgrade_with_bad_arguments_says_how(editor):
    with pytest.raises(pynvim.NvimError, match="rrag: :RragUpgrade takes no argument, a crate, "
                       "or a crate and two versions"):
        editor.nvim.command("RragUpgrade semver 0.9.0")
