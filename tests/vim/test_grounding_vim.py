"""Grounding in Vim's answer popup, end to end: a real Vim 9 in a terminal, the plugin's job
running ``python -m rrag.vimhost``, the real engine and the real default model (SmolLM2 through
llama.cpp, no double) on a copy of examples/simple_app. Deterministic through the options a user
would set in g:rrag_engine: temperature 0 (greedy), ``llm.seed``, and no vectors
(``index.embed_on_index`` off: background embedding cannot change the context between runs).
Asked about ``Point::distanse``, the model echoes the misspelled name; the popup marks each line
that uses it, and the quickfix list holds ``Point::distance`` where it is defined (`:cfirst`
opens it there). Neovim's version: tests/nvim/test_grounding_nvim.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .vim_driver import wait_for

MODEL_TIMEOUT_S = 300  # first use loads the model in its worker; 2 slow cores shared
QUESTION = "What does Point::distanse return?"
MISSPELLED, REAL = "Point::distanse", "Point::distance"
SHAPES = "src/geometry/shapes.rs"
MESSAGE = f"`{MISSPELLED}` is not in workspace; nearest: `{REAL}`"
MARK = f"  « rrag: `{MISSPELLED}` not found"
ENGINE = ("let g:rrag_engine = {'index': {'embed_on_index': v:false}, "
          "'llm': {'temperature': 0.0, 'seed': 0, 'max_answer_tokens': 96}, "
          "'context': {'budget': 1024}}")


def definition_line(path: Path, signature: str) -> int:
    """The item's first line as the index counts it (doc comments and attributes included)."""
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if signature in line)
    while at > 0 and lines[at - 1].lstrip().startswith(("///", "#[")):
        at -= 1
    return at + 1


@pytest.mark.slow
def test_a_misspelled_method_is_marked_in_the_popup_and_listed_at_the_real_one(
        start_vim, workspace):
    vim = start_vim(ENGINE)
    vim.ex(f"edit {workspace / 'src' / 'main.rs'}")
    vim.ex("RragIndex")
    done = wait_for(lambda: vim.eval("rrag#state().index"), timeout=MODEL_TIMEOUT_S,
                    what="the index")
    assert "error" not in done, done
    vim.ex("call cursor(1, 1)")
    vim.ex(f"RragAsk {QUESTION}")
    view = wait_for(lambda: (v := vim.eval("rrag#state().answer")) and v.get("done") and v,
                    timeout=MODEL_TIMEOUT_S, what="the answer")
    assert "error" not in view and "dropped" not in view, view
    assert MISSPELLED in view["result"]["text"], view["result"]["text"]  # the premise

    # Marked: exactly the answer lines that use the name end in the mark.
    answer = view["result"]["text"].split("\n")
    lines = vim.eval("rrag#popup#lines(rrag#state().answer.popup)")
    using = [n for n, line in enumerate(answer) if MISSPELLED in line]
    assert [n for n, line in enumerate(lines) if line.endswith(MARK)] == using, lines
    assert all(lines[n] == answer[n] + MARK for n in using), lines
    listed = lines.index("## Not in the index")
    assert lines[listed + 1:listed + 3] == [f"- line {using[0] + 1}: {MESSAGE}", ""], lines

    # The quickfix list points at the real item, where the index says it starts.
    real_line = definition_line(workspace / SHAPES, "pub fn distance(&self")
    qf = vim.eval("getqflist({'title': 1, 'items': 1})")
    assert qf["title"] == "rrag: names not in the index"
    entries = [(vim.eval(f"fnamemodify(bufname({e['bufnr']}), ':p')"), e["lnum"], e["text"])
               for e in qf["items"]]
    assert entries == [(str(workspace / SHAPES), real_line, MESSAGE)], entries
    vim.ex("cfirst")
    assert vim.eval("expand('%:p')") == str(workspace / SHAPES)
    assert vim.eval("line('.')") == real_line
