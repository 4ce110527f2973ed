"""The RankingEngine on real code: cursor awareness through the graph on an unfinished body,
per-task priorities, score components on every item, the exact budget over many cursors,
budgets and tasks, and the pure parts (personalized PageRank, git recency)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import registry_crate
from prompt_headers import header_places
from rrag.rank.relevance import WalkProfile, personalized_pagerank
from rrag.service.engine import Engine
from rrag.service.history import GitHistory

TARGET = "regex::compile::MaybeInst::fill"


@pytest.fixture(scope="module")
def regex(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws") / "regex"
    shutil.copytree(registry_crate("regex"), root)
    eng = Engine(root, db_path=tmp_path_factory.mktemp("db") / "index.sqlite")
    eng.index(embed=False)
    yield eng
    eng.close()


def _todo_body(engine: Engine, qualname: str) -> tuple[str, int, str]:
    """Replace an item's body with `{ todo!() }` on disk; returns (path, body line, original)."""
    row = next(r for r in engine.items() if r.qualname == qualname)
    file = engine.root / row.path
    original = file.read_bytes()
    content = original[row.start_byte:row.end_byte].decode()
    brace = content.find("{", content.find("fn "))
    body_from = row.start_byte + len(content[:brace].encode())
    file.write_bytes(original[:body_from] + b"{ todo!() }" + original[row.end_byte:])
    return row.path, row.start_line + content[:brace].count("\n"), original.decode()


@pytest.mark.slow
def test_cursor_on_todo_body_finds_cross_file_definitions_through_the_graph(regex):
    path, line, original = _todo_body(regex, TARGET)
    try:
        regex.index(embed=False)
        body = regex.items(path)
        assert all("todo" not in r.qualname for r in body)
        ctx = regex.context(path, line, budget=2048)
    finally:
        (regex.root / path).write_text(original)
        regex.index(embed=False)
    shown = {i["name"]: i for i in ctx["items"] if i["mode"] in ("full", "signature")}
    # the original body builds prog::InstSplit and uses prog::InstPtr, both in src/prog.rs
    for name in ("regex::prog::InstSplit", "regex::prog::InstPtr"):
        assert name in shown, f"{name} missing from {sorted(shown)}"
        assert shown[name]["path"] == "src/prog.rs"
        assert shown[name]["components"], shown[name]
    assert ctx["items"][0]["name"] == TARGET and "cursor" in ctx["items"][0]["why"]
    assert ctx["tokens"] <= 2048


def test_every_item_carries_score_components_tokens_and_why(regex):
    ctx = regex.context("src/exec.rs", 800, budget=1500)
    assert ctx["items"]
    components = {"vector", "graph", "link", "lexical", "usage", "recency", "docs", "cursor",
                  "enclosing"}
    for item in ctx["items"]:
        assert item["why"] and item["tokens"] > 0 and isinstance(item["score"], float)
        assert set(item["components"]) <= components and item["components"]
    scores = [i["score"] for i in ctx["items"]]
    assert scores == sorted(scores, reverse=True)
    linked = [i for i in ctx["items"] if i["components"].get("link", 0) > 0]
    assert linked, "no item is tied to the cursor through the graph"


def test_refactor_puts_call_sites_first(regex):
    callee = next(r for r in regex.items("src/exec.rs")
                  if r.qualname == "regex::exec::ExecNoSync::shortest_dfa")
    line = callee.start_line + 1
    refactor = regex.assistant.context(callee.path, line, budget=1200, task="refactor")
    ask = regex.assistant.context(callee.path, line, budget=1200, task="ask")

    def caller_rank(pack) -> list[int]:
        return [n for n, p in enumerate(pack.items) if "calls the item" in p.candidate.why]

    assert caller_rank(refactor), "refactor context has no call site"
    assert min(caller_rank(refactor)) <= 3
    assert not caller_rank(ask) or min(caller_rank(refactor)) <= min(caller_rank(ask))


@pytest.mark.slow
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), budget=st.integers(min_value=0, max_value=3000),
       task=st.sampled_from(["ask", "explain", "refactor", "generate"]))
def test_ranked_context_never_exceeds_the_budget(regex, data, budget, task):
    files = ["src/exec.rs", "src/compile.rs", "src/re_unicode.rs", "src/dfa.rs", "src/lib.rs",
             "src/literal/imp.rs"]
    path = data.draw(st.sampled_from(files))
    lines = (regex.root / path).read_text().count("\n") + 1
    line = data.draw(st.integers(min_value=1, max_value=lines))
    query = data.draw(st.sampled_from([None, "compile a regex program", "shortest match"]))
    pack = regex.assistant.context(path, line, query, budget, task)
    exact = regex.assistant.count_many([pack.prompt])[0] if pack.prompt else 0
    assert pack.tokens == exact <= budget
    for packed in pack.items:
        c = packed.candidate
        crate = f"{c.crate} {c.version} " if c.version else ""
        assert f"{crate}{c.path}:{c.start_line}" in header_places(pack.prompt)


def test_personalized_pagerank_prefers_what_the_seed_uses():
    edges = [("cursor", "callee", "calls"), ("callee", "deep", "calls"),
             ("caller", "cursor", "calls"), ("other", "far", "calls")]
    ranks = personalized_pagerank(edges, {"cursor": 1.0})
    assert ranks["callee"] > ranks["caller"] > 0
    assert ranks["callee"] > ranks["deep"]
    assert ranks.get("far", 0.0) == 0.0
    callers_first = personalized_pagerank(edges, {"cursor": 1.0}, WalkProfile(back=3.0))
    assert callers_first["caller"] > callers_first["callee"]


def test_git_history_orders_files_by_last_commit(tmp_path):
    def git(*args: str, when: str = "2020-01-01T00:00:00") -> None:
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
               "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@t"}
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, env=env,
                       capture_output=True)

    git("init", "-q")
    (tmp_path / "old.rs").write_text("fn a() {}\n")
    git("add", "old.rs")
    git("commit", "-qm", "old")
    (tmp_path / "new.rs").write_text("fn b() {}\n")
    git("add", "new.rs")
    git("commit", "-qm", "new", when="2024-06-01T00:00:00")
    times = GitHistory(tmp_path).change_times()
    assert times["new.rs"] > times["old.rs"] > 0
    (tmp_path / "old.rs").write_text("fn a() { 1; }\n")
    assert GitHistory(tmp_path).change_times()["old.rs"] > times["new.rs"]
    assert GitHistory(tmp_path / "nowhere").change_times() == {}


def test_a_trait_brings_its_method_signatures_and_a_trait_method_its_trait_line(regex):
    method = next(r for r in regex.items("src/exec.rs")
                  if r.qualname == "regex::exec::ExecNoSyncStr::slots_len")
    ctx = regex.context(method.path, method.start_line + 1, budget=2048)
    trait = next(i for i in ctx["items"] if i["name"] == "regex::re_trait::RegularExpression")
    assert trait["mode"] == "signature" and trait["tokens"] <= 2048 // 4
    sections = ctx["prompt"].split("\n\n")
    assert "src/re_trait.rs:92" in header_places(ctx["prompt"])
    text = next(s for s in sections if s.split("\n")[0].endswith(":92 RegularExpression"))
    lines = text.splitlines()
    assert lines[1] == "pub trait RegularExpression: Sized + fmt::Debug {" and lines[-1] == "}"
    methods = [ln for ln in lines if ln.startswith("    fn ")]
    # capped at four, the ones the cursor's file names first, the rest counted
    assert len(methods) == 4 and any("fn slots_len(&self) -> usize;" == m.strip()
                                     for m in methods)
    assert lines[-2].startswith("    // … ") and lines[-2].endswith(" more methods")
    # the item at the cursor implements that trait: its section names the trait's line
    assert "// via pub trait RegularExpression: Sized + fmt::Debug (src/re_trait.rs:92)" in \
        ctx["prompt"]


def test_the_methods_of_a_type_come_most_called_first_and_all_of_them(regex):
    from rrag.store import rank_queries as rq

    row = next(r for r in regex.items("src/exec.rs") if r.qualname == "regex::exec::ExecNoSync")
    every = [r.id for r in regex.items() if r.kind == "method" and r.self_type == "ExecNoSync"]
    found = rq.methods_of(regex.store, ["ExecNoSync"], row.crate)
    assert sorted(i for i, _ in found) == sorted(every) and len(every) > 20
    calls = [regex.store.one("SELECT count(*) FROM edges WHERE target = ? AND kind = 'calls'",
                             (i,)) for i, _ in found]
    assert calls == sorted(calls, reverse=True) and calls[0] > 0
    cut = rq.methods_of(regex.store, ["ExecNoSync"], row.crate, limit=5)
    assert [i for i, _ in cut] == [i for i, _ in found[:5]]  # a cut keeps the most called


def test_a_caller_that_is_a_test_is_named_a_test():
    """For `ask` a caller and a test are worth the same: the test edge, read after the calls
    edge, still names the relation ("calls the item" said nothing about it being a test)."""
    from rrag.rank.cursor import LINKS, WHY, CursorLinks

    links = CursorLinks()
    links.add("t", "caller", LINKS["ask"])
    links.add("t", "test", LINKS["ask"])
    links.add("c", "caller", LINKS["ask"])
    links.add("c", "user", LINKS["ask"])  # worth less: the caller stays
    assert links.relation == {"t": WHY["test"], "c": WHY["caller"]}
    assert links.kind == {"t": "test", "c": "caller"}
