"""Whole-graph measures on the real index of the fixture workspace: PageRank favours the items
everything calls, and the cache is invalidated when the edges change."""

from __future__ import annotations

import shutil

from conftest import REPO

from rrag.config import Config
from rrag.graph import measures as measures_mod
from rrag.service.engine import Engine

FIXTURE = REPO / "tests" / "fixtures" / "graph_ws"


def test_pagerank_cached_and_invalidated(tmp_path):
    work = tmp_path / "ws"
    shutil.copytree(FIXTURE, work)
    with Engine(work, Config(), db_path=tmp_path / "index.sqlite") as engine:
        engine.index(embed=False)
        first = measures_mod.measures(engine.store)
        by_name = {row.qualname: row.id for row in engine.items()}
        rank = first.pagerank
        circle = rank[by_name["core_lib::shapes::Circle"]]
        assert circle > rank[by_name["app::main"]]
        assert abs(sum(rank.values()) - 1.0) < 1e-6
        assert measures_mod.measures(engine.store) is first  # cached
        engine.index(embed=False)  # nothing changed: edges untouched, cache kept
        assert measures_mod.measures(engine.store) is first
        render = work / "app" / "src" / "render.rs"
        render.write_text(render.read_text() + "\npub fn again(c: &Circle) -> f64 {\n"
                          "    show(c) + show(c)\n}\n")
        engine.index(embed=False)
        second = measures_mod.measures(engine.store)
        assert second is not first
        assert by_name["app::render::show"] in second.pagerank
        assert second.pagerank[by_name["app::render::show"]] > \
            first.pagerank[by_name["app::render::show"]]
