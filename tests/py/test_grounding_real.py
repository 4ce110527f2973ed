"""Grounding end to end through the CLI with the real default model (SmolLM2-135M in llama.cpp,
no double), made deterministic by the configuration a user would write: temperature 0 (greedy)
and a fixed ``llm.seed``. Asked about a misspelled method of a type of examples/simple_app
(``Point::distanse``), the tiny model echoes the name; grounding reports it missing, with the
real ``Point::distance`` nearest, in ``--json`` and in the text output's section. The editors'
versions: tests/nvim/test_grounding_nvim.py, tests/vim/test_grounding_vim.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO, rrag, rrag_json

QUESTION = "What does Point::distanse return?"
MISSPELLED, REAL = "Point::distanse", "Point::distance"
SHAPES = "src/geometry/shapes.rs"
# Greedy and seeded: the same answer on every run; short, so a run takes a minute on 2 cores.
CONFIG = ("[llm]\ntemperature = 0.0\nseed = 0\nmax_answer_tokens = 96\n"
          "[context]\nbudget = 1024\n")


def definition_line(path: Path, signature: str) -> int:
    """The first line of the item whose signature line contains ``signature``, as the index
    counts it: its doc comments and attributes included (1-based)."""
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if signature in line)
    while at > 0 and lines[at - 1].lstrip().startswith(("///", "#[")):
        at -= 1
    return at + 1


def simple_app(base: Path) -> Path:
    root = base / "simple_app"
    shutil.copytree(REPO / "examples" / "simple_app", root)
    return root


@pytest.mark.slow
def test_ask_flags_the_misspelled_method_with_the_real_one_nearest(tmp_path):
    root = simple_app(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    env = {"RRAG_CONFIG": str(config)}
    rrag("index", "--root", str(root), "--no-embed", env=env)
    asked = rrag_json("ask", QUESTION, "--root", str(root), env=env)
    assert MISSPELLED in asked["text"], asked["text"]  # the premise: the model echoes the name
    flagged = [g for g in asked["grounding"] if g["name"] == MISSPELLED]
    assert len(flagged) == 1, asked["grounding"]
    entry = flagged[0]
    assert entry["found"] is False and entry["checked_against"] == "workspace"
    assert entry["nearest"][0] == REAL
    assert entry["message"] == f"`{MISSPELLED}` is not in workspace; nearest: `{REAL}`"
    item = entry["nearest_items"][0]
    assert (item["path"], item["start_line"]) == (
        SHAPES, definition_line(root / SHAPES, "pub fn distance(&self"))
    # No sentence of the prose answer is taken for a name.
    assert all(" " not in g["name"] for g in asked["grounding"]), asked["grounding"]

    # The same question in text output: the same answer, then the section naming it.
    text = rrag("ask", QUESTION, "--root", str(root), env=env).stdout
    assert text.startswith(asked["text"])
    assert f"`{MISSPELLED}` is not in workspace; nearest: `{REAL}`" in text.split(
        asked["text"], 1)[1]
