"""Grounding in the answer float, end to end: real headless Neovim, the plugin's RPC job, the
real engine and the real default model (SmolLM2 through llama.cpp, no double) on a copy of
examples/simple_app. Deterministic through the options a user would set: temperature 0
(greedy), ``llm.seed``, and no vectors (``index.embed_on_index`` off: background embedding
cannot change the context between runs). Asked about ``Point::distanse``, the model echoes the
misspelled name; the float marks it (warning diagnostic with virtual text) on the lines that use
it, and <CR> on a marked line opens ``Point::distance`` where it is defined. The UI double's
version: test_ui_mechanics.py; the CLI's: tests/py/test_grounding_real.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .nvim_helpers import REPO, wait_for

MODEL_TIMEOUT_S = 300  # first use loads the model in its worker; 2 slow cores shared
QUESTION = "What does Point::distanse return?"
MISSPELLED, REAL = "Point::distanse", "Point::distance"
SHAPES = "src/geometry/shapes.rs"
MESSAGE = f"`{MISSPELLED}` is not in workspace; nearest: `{REAL}`"
SETUP = """require('rrag').setup({ engine = {
  index = { embed_on_index = false },
  llm = { temperature = 0, seed = 0, max_answer_tokens = 96 },
  context = { budget = 1024 } } })"""
MARKS = """local a = require('rrag.ui.answer'); local v = a.last
local out = {}
for _, d in ipairs(vim.diagnostic.get(v.buf, { namespace = a.ns_grounding })) do
  out[#out + 1] = { lnum = d.lnum, message = d.message, severity = d.severity }
end
return out"""
VIRTUAL = """local a = require('rrag.ui.answer'); local out = {}
for _, m in ipairs(vim.api.nvim_buf_get_extmarks(a.last.buf, -1, 0, -1, { details = true })) do
  for _, chunk in ipairs(m[4].virt_text or {}) do out[#out + 1] = { m[2], chunk[1] } end
end
return out"""


def definition_line(path: Path, signature: str) -> int:
    """The item's first line as the index counts it (doc comments and attributes included)."""
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if signature in line)
    while at > 0 and lines[at - 1].lstrip().startswith(("///", "#[")):
        at -= 1
    return at + 1


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "simple_app"
    shutil.copytree(REPO / "examples" / "simple_app", root)
    return root


@pytest.mark.slow
def test_a_misspelled_method_is_marked_in_the_float_and_jumps_to_the_real_one(editor, workspace):
    ed = editor
    ed.lua(SETUP)
    ed.nvim.command(f"edit {workspace / 'src' / 'main.rs'}")
    ed.nvim.command("RragIndex")
    done = wait_for(lambda: ed.lua("return require('rrag.ui.status').last_index"),
                    timeout=MODEL_TIMEOUT_S, what="the index")
    assert "error" not in done, done
    ed.nvim.current.window.cursor = (1, 0)
    ed.nvim.command(f"RragAsk {QUESTION}")
    wait_for(lambda: ed.view("answer", "done"), timeout=MODEL_TIMEOUT_S, what="the answer")
    assert not ed.view("answer", "error"), ed.view("answer", "error")
    result = ed.view("answer", "result")
    assert MISSPELLED in result["text"], result["text"]  # the premise: the model echoes it
    lines = ed.float_lines("answer")
    using = [n for n, line in enumerate(lines) if MISSPELLED in line and not line.startswith("- ")]
    assert using, lines

    # Marked: one warning on each answer line that uses the name, shown as virtual text.
    marks = ed.lua(MARKS)
    assert sorted((m["lnum"], m["message"]) for m in marks) == [(n, MESSAGE) for n in using], \
        (marks, lines)
    assert {m["severity"] for m in marks} == {ed.lua("return vim.diagnostic.severity.WARN")}
    virtual = {lnum for lnum, text in ed.lua(VIRTUAL) if MESSAGE in text}
    assert virtual == set(using), ed.lua(VIRTUAL)
    listed = lines.index("## Not in the index")
    assert lines[listed + 1:listed + 3] == [f"- line {using[0] + 1}: {MESSAGE}", ""], lines

    # <CR> on the first marked line opens the real item where the index says it starts.
    ed.nvim.current.window.cursor = (using[0] + 1, 0)
    ed.nvim.input("<CR>")
    wait_for(lambda: ed.nvim.current.buffer.name == str(workspace / SHAPES)
             and ed.lua("return vim.api.nvim_win_get_config(0).relative") == "",
             timeout=30, what="the jump to the real item")
    assert ed.nvim.current.window.cursor[0] == definition_line(workspace / SHAPES,
                                                               "pub fn distance(&self")
