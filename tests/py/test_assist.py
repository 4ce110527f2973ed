"""Context packing and the model-facing commands, end to end with the real default model
(SmolLM2-135M in the llama.cpp worker) on the example project."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, rrag, rrag_json
from prompt_headers import header_places
from rrag.service.engine import Engine

EXAMPLE = REPO / "examples" / "simple_app"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws") / "simple_app"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("target"))
    eng = Engine(root, db_path=tmp_path_factory.mktemp("db") / "index.sqlite")
    eng.index(embed=False)
    yield eng
    eng.close()


@pytest.mark.slow
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), budget=st.integers(min_value=0, max_value=1500))
def test_context_never_exceeds_the_budget_in_the_models_tokens(engine, data, budget):
    files = sorted({r.path for r in engine.items()})
    path = data.draw(st.sampled_from(files))
    lines = (engine.root / path).read_text().count("\n") + 1
    line = data.draw(st.integers(min_value=1, max_value=lines))
    query = data.draw(st.sampled_from([None, "area of a shape", "stock level", "macro"]))
    pack = engine.context(path, line, query=query, budget=budget)
    exact = engine.assistant.count_many([pack["prompt"]])[0]
    assert pack["tokens"] == exact <= budget
    for item in pack["items"]:
        assert item["mode"] in ("full", "signature", "summary") and item["why"]
        assert f"{item['path']}:{item['start_line']}" in header_places(pack["prompt"])


def test_context_at_cursor_puts_the_enclosing_item_first(engine):
    rows = [r for r in engine.items("src/geometry/shapes.rs") if r.kind == "method"]
    target = rows[0]
    pack = engine.context("src/geometry/shapes.rs", target.start_line + 1, budget=2048)
    assert pack["items"][0]["name"] == target.qualname
    assert pack["items"][0]["mode"] == "full"
    assert pack["prompt"].rstrip().endswith(pack["prompt"].rstrip().splitlines()[-1])


def test_search_and_context_cli_shapes(tmp_path):
    root = tmp_path / "simple_app"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("target"))
    out = rrag_json("search", "inventory stock", "--root", str(root), "-k", "5")
    assert 0 < len(out["results"]) <= 5
    assert set(out["results"][0]) >= {"path", "name", "kind", "start_line", "end_line", "score"}
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)
    ctx = rrag_json("context", "--root", str(root), "--file", "src/inventory/stock.rs",
                    "--line", "20", "--budget", "256")
    assert ctx["budget"] == 256 and 0 < ctx["tokens"] <= 256
    assert ctx["items"] and ctx["prompt"]


def run_cli_end_to_end(root, env: dict | None = None, backend: str = "embedded") -> None:
    """ask, explain and refactor through the real CLI: streamed text, sources, a proposal with
    its parse and cargo check results, and the user's file untouched. Shared with the
    OpenAI-compatible backend's test (tests/py/test_llm_openai.py)."""
    asked = rrag("ask", "what does Stock do?", "--root", str(root), "--file",
                 "src/inventory/stock.rs", "--line", "20", env=env)
    answer, _, sources = asked.stdout.partition("\n\nsources:\n")
    assert answer.strip(), "the model produced no text"
    assert "src/inventory/stock.rs:" in sources
    demo = backend == "embedded"  # the bundled SmolLM2 answers: say so, and only then
    assert ("note: demo model (SmolLM2-135M)" in sources) == demo, sources

    explained = rrag_json("explain", "--root", str(root), "--file", "src/geometry/shapes.rs",
                          "--line", "20", env=env)
    assert explained["text"].strip() and explained["sources"]
    for entry in explained["grounding"]:  # whatever names the model used, each one checked
        assert set(entry) >= {"name", "found", "checked_against", "nearest", "line", "message"}
        assert entry["found"] or f"`{entry['name']}`" in entry["message"]
    assert explained["ttft_s"] > 0
    assert explained["backend"].startswith(backend), explained["backend"]
    assert (explained["notice"] is not None) == demo

    before = (root / "src/geometry/shapes.rs").read_text()
    proposal = rrag_json("refactor", "--root", str(root), "--file", "src/geometry/shapes.rs",
                         "--range", "18:21", "rename the parameters to be clearer", env=env)
    assert set(proposal) >= {"path", "start_line", "end_line", "original", "replacement",
                             "parses", "check"}
    assert (proposal["start_line"], proposal["end_line"]) == (18, 21)
    assert proposal["original"] == "\n".join(before.splitlines()[17:21])
    assert isinstance(proposal["parses"], bool)
    assert isinstance(proposal["grounding"], list) and proposal["attempts"]
    assert proposal["replacement"] == proposal["attempts"][-1]["code"]
    assert proposal["check"]["ran"] is True and isinstance(proposal["check"]["ok"], bool)
    if not proposal["check"]["ok"]:
        assert proposal["check"]["diagnostics"], "a failed check must say why"
    assert (root / "src/geometry/shapes.rs").read_text() == before, "refactor must not write"


@pytest.mark.slow
def test_ask_explain_refactor_stream_with_sources_through_the_cli(tmp_path):
    root = tmp_path / "simple_app"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("target"))
    run_cli_end_to_end(root)


@pytest.mark.slow
def test_generate_streams_code_with_its_context_and_parse_check(engine):
    streamed: list[str] = []
    before = {p: (engine.root / p).read_text() for p in ("src/inventory/stock.rs",)}
    result = engine.generate("write a function that returns the total stock count",
                             "src/inventory/stock.rs", 20, on_token=streamed.append)
    assert streamed and "".join(streamed) == result["text"]
    assert result["sources"] and isinstance(result["parses"], bool)
    assert result["code"] and result["code"] in result["text"]
    assert {p: (engine.root / p).read_text() for p in before} == before
