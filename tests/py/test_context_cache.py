"""The CacheManager with the real engine: a cached context survives a change to a file that did
not contribute to it, is dropped by a change to one that did, and pre-caching fills the cache
for the symbols of a file in the background."""

from __future__ import annotations

import shutil

import pytest

from conftest import REPO
from rrag.service.cache import ResultCache
from rrag.service.engine import Engine

EXAMPLE = REPO / "examples" / "simple_app"


@pytest.fixture
def engine(tmp_path):
    root = tmp_path / "simple_app"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("target"))
    eng = Engine(root, db_path=tmp_path / "index.sqlite")
    eng.index(embed=False)
    yield eng
    eng.close()


def _touch_code(engine: Engine, path: str) -> None:
    file = engine.root / path
    file.write_text(file.read_text() + "\npub fn added_for_the_test() -> u32 { 7 }\n")


def test_cached_context_is_dropped_exactly_when_a_contributing_file_changes(engine):
    path, line = "src/geometry/shapes.rs", 20
    first = engine.assistant.context(path, line, budget=600)
    results = engine.assistant.results
    assert engine.assistant.context(path, line, budget=600) is first  # served from the cache
    assert results.hits == 1
    contributing = {p.candidate.path for p in first.items} | {path}
    all_files = {r.path for r in engine.items()}
    outside = sorted(all_files - contributing)
    assert outside, "every file contributed: the test needs a bigger fixture"

    _touch_code(engine, outside[0])
    engine.index(embed=False)
    assert engine.assistant.context(path, line, budget=600) is first, \
        f"a change to {outside[0]} (not a source of the context) dropped it"

    inside = sorted(contributing - {path})[0] if len(contributing) > 1 else path
    _touch_code(engine, inside)
    engine.index(embed=False)
    again = engine.assistant.context(path, line, budget=600)
    assert again is not first, f"a change to {inside} left the cached context in place"
    assert results.invalidated >= 1


def test_unchanged_reindex_keeps_everything_and_keys_separate_requests(engine):
    a = engine.assistant.context("src/inventory/stock.rs", 20, budget=400)
    b = engine.assistant.context("src/inventory/stock.rs", 20, budget=401)
    c = engine.assistant.context("src/inventory/stock.rs", 20, "stock level", budget=400)
    assert a is not b and a is not c
    engine.index(embed=False)
    assert engine.assistant.context("src/inventory/stock.rs", 20, budget=400) is a


def test_precache_fills_the_cache_for_the_symbols_of_a_file(engine):
    path = "src/inventory/stock.rs"
    queued = engine.precache(path)
    assert queued > 0
    assert engine.assistant.precacher.idle(timeout=120)
    assert engine.assistant.precacher.done >= 1
    symbol = next(r for r in engine.items(path)
                  if r.kind in ("function", "method") and r.end_line > r.start_line)
    hits = engine.assistant.results.hits
    engine.assistant.context(path, symbol.start_line + 1)  # any line of the item shares it
    assert engine.assistant.results.hits == hits + 1


def test_lru_drops_the_least_recently_used():
    cache = ResultCache(capacity=2)
    cache.put(("a",), 1, {"x.rs"})
    cache.put(("b",), 2, {"y.rs"})
    assert cache.get(("a",)) == 1
    cache.put(("c",), 3, {"z.rs"})
    assert cache.get(("b",)) is None and cache.get(("a",)) == 1
    assert cache.invalidate(["z.rs"]) == 1 and cache.get(("c",)) is None
    assert cache.invalidate(["nothing.rs"]) == 0 and len(cache) == 1
