"""require('rrag').setup(): schema defaults, validation, unknown-key warnings; the Lua copy of the
engine options equals python/rrag/config.py; the help file documents everything and has valid
tags."""

from __future__ import annotations

import re
import subprocess
import sys

from .nvim_helpers import REPO, nvim_binary, wait_for

from rrag.config import Config


def test_defaults_without_setup(editor):
    cfg = editor.lua("return require('rrag.config').get()")
    assert cfg["transport"] == "job" and cfg["auto_index"] is True
    assert cfg["python"] == sys.executable  # from g:rrag_python
    assert cfg["keymaps"] == {"close": ["q", "<Esc>"], "jump": "<CR>", "accept": "a", "reject": "r",
                              "pin": "p", "exclude": "x", "refresh": "R"}
    assert cfg["float"]["border"] == "rounded"


def test_unknown_keys_are_warned_once_with_a_suggestion(editor):
    editor.lua("require('rrag').setup({ pythn = 'x', "
               "engine = { llm = { modle_path = '/m.gguf' } } })")
    editor.lua("require('rrag').setup({ pythn = 'x' })")
    notes = editor.notifications()
    assert "rrag: ignoring unknown option 'pythn' (did you mean 'python'?)" in notes
    assert ("rrag: ignoring unknown option 'modle_path' in engine.llm (did you mean 'model_path'?)"
            in notes)
    assert sum("'pythn'" in n for n in notes) == 1  # once per session
    assert editor.lua("return require('rrag.config').engine_overrides()") in ({}, [])  # empty


def test_invalid_values_fall_back_to_the_default_with_an_error(editor):
    editor.lua("require('rrag').setup({ transport = 'carrier-pigeon', debounce_ms = 'soon',"
               " engine = { index = { max_file_kb = 1.5 }, llm = { temperature = 0.7 } } })")
    notes = editor.notifications()
    assert any("transport: expected one of job, rplugin" in n for n in notes)
    assert any("debounce_ms: expected integer" in n for n in notes)
    assert any("engine.index.max_file_kb: expected integer" in n for n in notes)
    cfg = editor.lua("return require('rrag.config').get()")
    assert cfg["transport"] == "job" and cfg["debounce_ms"] == 300
    assert cfg["engine"]["llm"]["temperature"] == 0.7
    assert editor.lua("return require('rrag.config').engine_overrides()") == {
        "llm": {"temperature": 0.7}}


def test_engine_options_reach_python_and_python_rejects_what_lua_cannot_know(editor, crate):
    editor.nvim.command(f"edit {crate / 'src' / 'lib.rs'}")
    # Lua checks it is a list; only Python knows it must be a list of strings.
    editor.lua("require('rrag').setup({ engine = { index = { exclude = { 1, 2 } } } })")
    editor.lua("require('rrag.rpc').channel()")
    editor.wait_notification("rrag: index.exclude: expected tuple, got [1, 2]")
    # A valid override arrives in Python: the doctor reports the configured model path.
    editor.lua("require('rrag').setup({ engine = { llm = { model_path = '/nowhere/m.gguf' } } })")
    report = editor.lua("return select(2, require('rrag.rpc').request_sync('doctor', {}))")
    check = next(c for c in report["checks"] if c["name"] == "llm.model_path")
    assert check["value"] == "/nowhere/m.gguf" and check["ok"] is False


def test_lua_engine_schema_matches_python_config(editor):
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gen-editor-tables.py"),
                           "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lua_defaults = editor.lua("return require('rrag.config').defaults().engine")
    python_defaults = Config().to_dict()
    for section, values in python_defaults.items():
        for key, value in values.items():
            lua_value = lua_defaults[section][key]
            if isinstance(value, tuple):
                value, lua_value = list(value), list(lua_value)
            assert lua_value == value, f"engine.{section}.{key}: Lua {lua_value!r} != {value!r}"
    assert {s: set(v) for s, v in lua_defaults.items()} == {
        s: set(v) for s, v in python_defaults.items()}


DOC = REPO / "doc" / "rrag.txt"


def test_help_documents_every_command_option_mapping_highlight_and_function(editor):
    text = DOC.read_text()
    commands = editor.lua("return vim.tbl_keys(vim.api.nvim_get_commands({}))")
    for name in [c for c in commands if c.startswith("Rrag")]:
        assert f"*:{name}*" in text, f":{name} is not documented"
    defaults = editor.lua("return require('rrag.config').defaults()")

    def keys(table, prefix=""):
        for k, v in table.items():
            yield prefix + k
            if isinstance(v, dict) and k != "python":
                yield from keys(v, prefix + k + ".")

    for key in keys(defaults):
        leaf = key.rsplit(".", 1)[-1]
        assert re.search(rf"\b{re.escape(leaf)}\b", text), f"option {key} is not documented"
        if key.count(".") <= 1 and not key.startswith("engine."):
            assert f"*rrag-config-{key}*" in text or key.startswith(("float.", "keymaps.")), key
    for group in editor.lua("return vim.tbl_keys(require('rrag.highlights').groups)"):
        assert f"*{group}*" in text, f"highlight {group} is not documented"
    for fn in editor.lua("local t = {} for k, v in pairs(require('rrag')) do "
                         "if type(v) == 'function' and not k:match('^on_') then t[#t+1] = k end "
                         "end return t"):
        assert f"rrag.{fn}(" in text, f"require('rrag').{fn}() is not documented"
    for tag in ("*rrag*", "*rrag-setup*", "*rrag-config*", "*rrag-health*",
                "*rrag-troubleshooting*", "*rrag-architecture*", "*rrag-api*",
                "*rrag-statusline*", "*rrag-mappings*", "*rrag-highlights*"):
        assert tag in text, tag


def test_helptags_build_without_errors_and_help_opens(tmp_path):
    docdir = tmp_path / "doc"
    docdir.mkdir()
    (docdir / "rrag.txt").write_text(DOC.read_text())
    proc = subprocess.run([str(nvim_binary()), "--clean", "--headless", "-c",
                           f"helptags {docdir}", "-c", "qa"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "E" not in proc.stderr.replace("\r", ""), proc.stderr
    tags = (docdir / "tags").read_text()
    assert ":RragAsk\t" in tags and "rrag-config\t" in tags


def test_help_rrag_opens(editor, tmp_path):
    docdir = tmp_path / "rt" / "doc"
    docdir.mkdir(parents=True)
    (docdir / "rrag.txt").write_text(DOC.read_text())
    editor.nvim.command(f"set rtp^={tmp_path / 'rt'}")
    editor.nvim.command(f"helptags {docdir}")
    editor.nvim.command("help rrag")
    wait_for(lambda: editor.nvim.current.buffer.name.endswith("rrag.txt"), what=":help rrag")
    editor.nvim.command("help :RragRefactor")
    line = editor.nvim.current.line
    assert "*:RragRefactor*" in line
