""":RragModel in a real headless Neovim: the picker float lists the models of an Ollama store and a
Hugging Face cache built from the real default GGUF and of a real loopback llama_cpp.server;
<CR> on one writes it to the config file and the next :RragAsk answers with it (asserted through
the backend and model the answer reports, and the float's footer). A pick made with `rrag models
use` in a terminal while the editor runs is followed too; a picked model that went missing gives
one `rrag:` message naming it and :RragModel."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from conftest import rrag
from model_stores import HF_NAME, OLLAMA_NAME, LoopbackServer, build_stores
from rrag.config import config_file

from .nvim_helpers import wait_for
from .test_e2e_real import MODEL_TIMEOUT_S, index_and_open


@pytest.fixture(scope="module")
def server():
    srv = LoopbackServer()
    yield srv
    srv.close()


@pytest.fixture
def machine(tmp_path, monkeypatch, server):
    for key, value in build_stores(tmp_path / "machine").items():
        monkeypatch.setenv(key, value)
    cfg = config_file()
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(f"[llm]\nmax_answer_tokens = 16\nservers = [\"{server.url}\"]\n")
    return cfg


def ask(ed) -> dict:
    ed.nvim.command("RragAsk What does Circle::area compute?")
    wait_for(lambda: ed.view("answer", "done"), timeout=MODEL_TIMEOUT_S, what="the answer")
    assert not ed.view("answer", "error"), ed.view("answer", "error")
    return ed.view("answer", "result")


def footer(ed) -> str:
    parts = ed.lua("local v = require('rrag.ui.answer').last; "
                   "return vim.api.nvim_win_get_config(v.float.win).footer")
    return "".join(p[0] for p in parts)


def pick_in_float(ed, name: str) -> dict:
    ed.nvim.command("RragModel")
    wait_for(lambda: ed.view("models", "done"), timeout=60, what="the model list")
    assert not ed.view("models", "error"), ed.view("models", "error")
    lines = ed.float_lines("models")
    lnum = next(i for i, line in enumerate(lines, 1) if line[2:].startswith(name + " "))
    ed.nvim.current.window.cursor = (lnum, 0)
    ed.nvim.input("<CR>")
    return wait_for(lambda: ed.lua("return require('rrag.ui.models').last_pick"), timeout=30,
                    what="the pick")


@pytest.mark.slow
def test_pick_in_the_float_then_ask_answers_with_it(start_nvim, crate, machine, server):
    ed = index_and_open(start_nvim(), crate)
    ed.nvim.command("RragModel")
    wait_for(lambda: ed.view("models", "done"), timeout=60, what="the model list")
    text = "\n".join(ed.float_lines("models"))
    for name in ("default", OLLAMA_NAME, HF_NAME, server.name):
        assert name in text, text
    assert "Q4_1" in text and "8192" in text and "minilm-embed" not in text
    ed.nvim.command("close")

    pick = pick_in_float(ed, OLLAMA_NAME)
    assert "error" not in pick, pick
    blob = pick["llm"]["model_path"]
    assert tomllib.loads(machine.read_text())["llm"]["model_path"] == blob
    assert ed.lua("return require('rrag.ui.models').last.float.valid()") is False
    answer = ask(ed)
    assert (answer["backend"], answer["model"], answer["model_name"]) == \
        ("embedded", blob, OLLAMA_NAME)
    assert OLLAMA_NAME in footer(ed) and "demo model" not in footer(ed)

    pick = pick_in_float(ed, HF_NAME)
    answer = ask(ed)
    assert (answer["backend"], answer["model"]) == ("embedded", pick["llm"]["model_path"])
    assert Path(answer["model"]).name == HF_NAME.rsplit("/", 1)[1]

    # Picked in a terminal while the editor runs: the host follows the config file.
    rrag("models", "use", server.name)
    answer = ask(ed)
    assert (answer["backend"], answer["model"]) == ("openai", server.alias)
    assert answer["text"].strip()

    ed.nvim.command("RragModel default")
    wait_for(lambda: ed.lua("return require('rrag.ui.models').last_pick"), what="the pick")
    answer = ask(ed)
    assert answer["backend"] == "embedded" and answer["notice"] and "demo model" in footer(ed)


@pytest.mark.slow
def test_a_missing_pick_is_one_message_naming_it(start_nvim, crate, machine):
    ed = index_and_open(start_nvim(), crate)
    ed.nvim.command(f"RragModel {OLLAMA_NAME}")
    pick = wait_for(lambda: ed.lua("return require('rrag.ui.models').last_pick"), what="the pick")
    Path(pick["llm"]["model_path"]).unlink()
    before = len(ed.notifications())
    ed.nvim.command("RragAsk What does Circle::area compute?")
    wait_for(lambda: ed.view("answer", "done"), timeout=MODEL_TIMEOUT_S, what="the failure")
    error = ed.view("answer", "error")
    assert error and OLLAMA_NAME in error["text"] and ":RragModel" in error["text"]
    new = [n for n in ed.notifications()[before:] if n.startswith("rrag:")]
    assert new == [error["text"]], new
