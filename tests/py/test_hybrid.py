"""Hybrid search pieces: the score fusion on hand-made score lists (pure logic), and the lexical
retriever's separate name score on a real SQLite FTS5 index. The real path (model, sqlite-vec,
``Engine.search``) is proven in test_embed_pipeline.py."""

from __future__ import annotations

import pytest

from rrag.parse.model import Item
from rrag.parse.nodeid import NodeId
from rrag.parse.tokens import lexical_row
from rrag.rank.hybrid import HybridWeights, fuse, normalised
from rrag.store import open_store
from rrag.store import files as files_db
from rrag.store import items as items_db
from rrag.store import lexical

NO_GRAPH = HybridWeights(graph=0.0)


def test_fusion_is_a_convex_combination_of_normalised_scores():
    lex = [("a", 10.0), ("b", 8.0), ("c", 2.0)]
    vec = [("b", 0.6), ("c", 0.5), ("a", 0.3)]
    fused = {f.id: f for f in fuse(lex, vec, NO_GRAPH)}
    # BM25 over its best, cosine min-max scaled over the list, half each.
    assert fused["a"].components == {"lexical": 0.5, "vector": 0.0}
    assert fused["b"].components == pytest.approx({"lexical": 0.4, "vector": 0.5})
    assert fused["c"].components == pytest.approx({"lexical": 0.1, "vector": 0.5 * 0.2 / 0.3},
                                                  abs=1e-6)  # components are rounded
    assert [f.id for f in fuse(lex, vec, NO_GRAPH)] == ["b", "a", "c"]
    lexical_heavy = HybridWeights(vector=0.1, graph=0.0)  # a 0.9 against b 0.82
    assert [f.id for f in fuse(lex, vec, lexical_heavy)][0] == "a"


def test_fusion_with_one_retriever_and_with_filters():
    lex = [("a", 4.0), ("b", 2.0)]
    only_lexical = fuse(lex, [], NO_GRAPH)
    assert [(f.id, f.score) for f in only_lexical] == [("a", 1.0), ("b", 0.5)]
    only_vector = fuse([], [("x", 0.9), ("y", 0.5)], NO_GRAPH)
    assert [(f.id, f.score) for f in only_vector] == [("x", 1.0), ("y", 0.0)]
    # A filtered-out item neither appears nor sets the scale of the others.
    kept = fuse(lex, [], NO_GRAPH, keep=lambda i: i != "a")
    assert [(f.id, f.score) for f in kept] == [("b", 1.0)]


def test_graph_lift_is_a_fraction_of_the_best_linked_seed():
    lex = [("a", 10.0), ("b", 5.0)]
    links = {"a": ["t"], "b": ["t", "u"]}
    fused = fuse(lex, [], HybridWeights(graph=0.1), lambda ids: {i: links.get(i, []) for i in ids})
    by_id = {f.id: f for f in fused}
    assert by_id["t"].components == {"graph": pytest.approx(0.1)}  # max over seeds, not sum
    assert by_id["u"].components == {"graph": pytest.approx(0.05)}
    assert [f.id for f in fused][:2] == ["a", "b"]
    assert normalised(fused)[0][1] == 1.0


def _item(name: str, body: str, line: int) -> Item:
    it = Item(kind="method", name=name, name_path=f"Builder::{name}", module_path="demo",
              module_rel="", start_byte=0, end_byte=10, start_line=line, end_line=line + 3,
              content=body, signature=body.split("{")[0].strip())
    it.qualname = f"demo::Builder::{name}"
    it.id = NodeId.of("demo", it.key).hex()
    return it


def test_name_share_lifts_the_item_named_by_the_question(tmp_path):
    """From bench/retrieval.py (crossbeam-utils): "Sets the size of the stack for the new
    thread" found the method whose body talks about stacks, sizes and threads before
    ``stack_size``, because bm25() saturates the weighted name hit over the whole row."""
    store = open_store(tmp_path / "index.sqlite")
    items = [
        _item("stack_size", "fn stack_size(mut self, bytes: usize) -> Self "
              "{ self.builder = self.builder.stack_size(bytes); self }", 1),
        _item("spawn", "fn spawn(self) -> Thread { let size = self.size.unwrap_or(MIN); "
              "let stack = Stack::new(size); let thread = new_thread(stack, size); "
              "set_stack(thread, stack); thread }", 10),
        _item("name", "fn name(mut self, name: String) -> Self { self.name = name; self }", 20),
    ]
    rec = files_db.FileRecord(path="src/lib.rs", module_path="demo", crate="demo", hash="h")
    files_db.replace_file(store, rec, items, ["x"] * len(items), [lexical_row(i) for i in items])
    ids = {r.name: r.id for r in items_db.list_items(store)}
    query = "Sets the size of the stack for the new thread."
    plain = lexical.search(store, query, k=5)
    assert plain[0][0] == ids["spawn"], "the case this feature exists for"
    share = HybridWeights().name_share  # what search uses
    shared = lexical.search(store, query, k=5, name_share=share)
    assert shared[0][0] == ids["stack_size"]
    assert [s for _, s in shared] == sorted((s for _, s in shared), reverse=True)
    # Scores are shares of each part's best: the top has at most 1 + name_share.
    assert 1.0 <= shared[0][1] <= 1.0 + share
    assert {i for i, _ in shared} == {i for i, _ in plain}, "re-ranked, nothing added or lost"
    assert lexical.search(store, "!!! ???", name_share=share) == []
    store.close()


BUILDER = '''//! Spawning worker threads.

pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder { name: None, stack_size: None }
    }

    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Starts the thread: a new stack of the configured size, or the smallest stack size the
    /// platform allows; the new thread gets the name, if any.
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        let size = self.stack_size.unwrap_or(64 * 1024);
        let thread = std::thread::Builder::new().stack_size(size);
        let thread = match self.name { Some(name) => thread.name(name), None => thread };
        thread.spawn(|| {})
    }
}

// As in any crate, `new` is everywhere: a rare word it is not.
pub struct Pool { workers: Vec<Builder> }

impl Pool {
    pub fn new() -> Pool { Pool { workers: Vec::new() } }
    pub fn add(&mut self) { self.workers.push(Builder::new()); }
}

pub struct Queue { jobs: Vec<String> }

impl Queue {
    pub fn new() -> Queue { Queue { jobs: Vec::new() } }
    pub fn push_new(&mut self, job: &str) { self.jobs.push(String::from(job)); }
}
'''


def test_search_ranks_the_named_item_first_through_the_engine(tmp_path):
    """The real path: our own small crate indexed with vectors by the default model, searched
    by ``Engine.search`` in each mode."""
    from rrag.service.engine import Engine

    root = tmp_path / "builder"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "builder"\nversion = "0.1.0"\n'
                                     'edition = "2021"\n')
    (root / "src" / "lib.rs").write_text(BUILDER)
    query = "Sets the size of the stack for the new thread."
    with Engine(root, db_path=tmp_path / "index.sqlite") as engine:
        engine.index()
        assert engine.stats()["embed_pending"] == 0
        engine.searcher.weights = HybridWeights(name_share=0.0)
        assert engine.search(query, 5, mode="lexical")[0]["name"] == "builder::Builder::spawn"
        engine.searcher.weights = HybridWeights()
        lexical_top = engine.search(query, 5, mode="lexical")[0]
        assert lexical_top["name"] == "builder::Builder::stack_size"
        hybrid = engine.search(query, 5)
        assert hybrid[0]["name"] == "builder::Builder::stack_size"
        assert set(hybrid[0]["why"]) >= {"lexical", "vector"}
        assert hybrid[0]["score"] == 1.0 or hybrid[0]["why"].get("graph")
        assert [r["score"] for r in hybrid] == sorted((r["score"] for r in hybrid), reverse=True)
