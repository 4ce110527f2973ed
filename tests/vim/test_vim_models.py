""":RragModel in a real Vim 9: a popup menu lists the models of an Ollama store and a Hugging Face
cache built from the real default GGUF; keys typed in the terminal (j, <CR>) pick one, the host
writes it to the config file, and the next :RragAsk answers with it (asserted through the model
the answer reports and the popup's title). A picked model that went missing gives one `rrag:`
message naming it and :RragModel (a model already loaded keeps answering from memory, so the
file goes missing between the pick and the first request)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from model_stores import HF_NAME, OLLAMA_NAME, build_stores
from rrag.config import config_file

from .test_vim_e2e import MODEL_TIMEOUT_S, index, state, wait_done
from .vim_driver import wait_for


@pytest.fixture
def machine(tmp_path, monkeypatch):
    for key, value in build_stores(tmp_path / "machine").items():
        if key != "HOME":  # the Vim driver gives Vim a home of its own
            monkeypatch.setenv(key, value)
    cfg = config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("[llm]\nmax_answer_tokens = 16\n")
    return cfg


def menu_lines(vim) -> list[str]:
    return vim.eval("getbufline(winbufnr(rrag#state().models.menu), 1, '$')")


def ask(vim) -> dict:
    vim.ex("RragAsk What does is_negative_zero return?")
    return wait_done(vim, "answer")


@pytest.mark.slow
def test_popup_menu_pick_then_ask_answers_with_it(machine, workspace, start_vim):
    vim = start_vim()
    index(vim, workspace)
    vim.ex("RragModel")
    wait_for(lambda: (v := state(vim, "models")) and v.get("done") and v.get("menu"),
             timeout=60, what="the model menu")
    lines = menu_lines(vim)
    names = [line[2:].split("  ")[0] for line in lines]
    assert names[:3] == ["default", OLLAMA_NAME, HF_NAME], lines
    assert lines[0].startswith("* ") and "Q4_1" in lines[1] and "8192" in lines[1]
    assert vim.eval("line('.', rrag#state().models.menu)") == 1  # on the model in use
    vim.keys("j\r")  # typed in the terminal, as a user does
    pick = wait_for(lambda: (p := state(vim, "pick")) and p.get("done") and p, timeout=30,
                    what="the pick")
    assert "error" not in pick, pick
    blob = pick["result"]["llm"]["model_path"]
    assert tomllib.loads(machine.read_text())["llm"] == {
        "max_answer_tokens": 16, "backend": "embedded", "model_path": blob,
        "model_name": OLLAMA_NAME}
    assert any(OLLAMA_NAME in m for m in state(vim, "messages"))
    answer = ask(vim)
    assert (answer["result"]["backend"], answer["result"]["model"]) == ("embedded", blob)
    assert OLLAMA_NAME in vim.eval("popup_getoptions(rrag#state().answer.popup).title")

    vim.ex(f"RragModel {HF_NAME}")  # picked by name; then its file goes missing
    pick = wait_for(lambda: (p := state(vim, "pick")) and p.get("done") and p, timeout=30,
                    what="the pick by name")
    Path(pick["result"]["llm"]["model_path"]).unlink()
    before = len(state(vim, "messages"))
    vim.ex("RragAsk What does is_negative_zero return?")
    failed = wait_for(lambda: (v := state(vim, "answer")) and v.get("done") and v,
                      timeout=MODEL_TIMEOUT_S, what="the failure")
    text = failed["error"]["text"]
    assert text.startswith("rrag: ") and HF_NAME in text and ":RragModel" in text
    assert [m for m in state(vim, "messages")[before:] if m.startswith("rrag:")] == [text]
