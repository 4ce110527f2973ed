"""Issue 22 in Vim 9: :RragUpgrade fills the quickfix list with the sites a dependency's new
version breaks, and `K` on an entry opens a popup with the old and the new signature.

A real Vim in a terminal, the plugin's job running ``python -m rrag.vimhost`` and the real
engine, on the semver 0.9 -> 1.0 program of tests/fixtures/upgrade_ws (indexed at 0.9.0, then
locked at 1.0.14)."""

from __future__ import annotations

import importlib.util

import pytest

from .vim_driver import REPO, wait_for

_spec = importlib.util.spec_from_file_location("bench_upgrade", REPO / "bench" / "upgrade.py")
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

TIMEOUT_S = 600  # see tests/nvim/test_upgrade_nvim.py


def test_upgrade_quickfix_list_and_signature_popup(vim, tmp_path):
    ws = harness.indexed_then_bumped("semver", tmp_path)
    main = str(ws / "src" / "main.rs")
    vim.ex(f"edit {main}")
    vim.ex("RragUpgrade")
    done = wait_for(lambda: (v := vim.eval("rrag#state().upgrade")) and v.get("done") and v,
                    timeout=TIMEOUT_S, what="the upgrade report")
    assert "error" not in done, done
    assert vim.eval("getqflist({'title': 1}).title") == \
        "rrag upgrade: semver 0.9.0 -> 1.0.14 (19 API changes, 5 sites)"
    entries = vim.eval("map(getqflist(), {_, e -> [fnamemodify(bufname(e.bufnr), ':p'), "
                       "e.lnum, e.text]})")
    assert entries == [
        [main, 1, "removed semver::Identifier"],
        [main, 4, "removed semver::Version::increment_patch"],
        [main, 8, "removed semver::Version::is_prerelease"],
        [main, 12, "field_changed semver::Version::pre"],
        [main, 24, "removed semver::VersionReq::exact"],
    ]
    assert vim.eval("&buftype") == "quickfix"  # the list is open, the cursor in it
    vim.ex("call cursor(2, 1)")
    vim.keys("K")
    popup = wait_for(lambda: (p := vim.eval("rrag#state().upgrade.popup")) and p,
                     what="the detail popup")
    assert vim.eval(f"get(popup_getpos({popup}), 'visible', 0)") == 1
    lines = vim.eval(f"rrag#popup#lines({popup})")
    assert lines == [
        "# semver 0.9.0 -> 1.0.14: removed", "",
        "`semver::Version::increment_patch` used by `semver_app::bump`", "",
        "## old (0.9.0)", "```rust", "pub fn increment_patch(&mut self)", "```", "",
        "## new (1.0.14)", "(gone: no item of that name in the new version)"]
    vim.keys("q")
    wait_for(lambda: not vim.eval(f"rrag#popup#valid({popup})"), what="the popup to close")
    vim.ex("cc 4")
    assert vim.eval("expand('%:p')") == main and vim.eval("line('.')") == 12


@pytest.mark.slow
def test_fix_from_the_list_opens_the_refactor_popup(vim, tmp_path):
    """`F` on a site: the refactor of its item (fn bump, lines 3-5) with both versions'
    definitions; the real default model's proposal is checked by cargo; `r` rejects it."""
    ws = harness.indexed_then_bumped("semver", tmp_path)
    main = str(ws / "src" / "main.rs")
    vim.ex(f"edit {main}")
    original = vim.eval("getline(1, '$')")
    vim.ex("RragUpgrade")
    wait_for(lambda: (v := vim.eval("rrag#state().upgrade")) and v.get("done"),
             timeout=TIMEOUT_S, what="the upgrade report")
    vim.ex("call cursor(2, 1)")
    vim.keys("F")
    view = wait_for(lambda: (v := vim.eval("rrag#state().refactor")) and v.get("done") and v,
                    timeout=TIMEOUT_S, what="the fix proposal")
    assert "error" not in view, view
    assert (view["plan"]["first"], view["plan"]["last"]) == (3, 5)
    assert "where `semver::Version::increment_patch` was removed" in view["instruction"]
    assert view["result"]["check"]["ran"] == 1 or view["result"]["check"]["ran"] is True
    preview = vim.eval("rrag#popup#lines(rrag#state().refactor.popup)")
    assert preview[0].startswith("Lines 3-5: This code was written for semver 0.9.0;")
    assert "\n" not in preview[0]
    assert preview[1] in ("parse: ok", "parse: FAILED (the proposal is not valid Rust)")
    assert preview[2].startswith("cargo check: ")
    vim.keys("r")
    wait_for(lambda: vim.eval("rrag#state().refactor").get("outcome") == "rejected",
             what="reject")
    assert vim.eval(f"getbufline(bufnr('{main}'), 1, '$')") == original


def test_upgrade_with_bad_arguments_says_how(vim):
    vim.ex("RragUpgrade semver 0.9.0")
    assert vim.eval("rrag#util#messages()")[-1].startswith(
        "rrag: :RragUpgrade takes no argument, a crate, or a crate and two versions")
