"""Graph queries through the real CLI (neighbors, path) and incremental edges: editing one
file and re-indexing gives exactly the edges of a clean index of the edited tree."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, rrag, rrag_json

FIXTURE = REPO / "tests" / "fixtures" / "graph_ws"


def _edges(root: Path) -> set[tuple]:
    return {(e["type"], e["source"], e["target"], e["path"], e["line"])
            for e in rrag_json("graph", "edges", "--root", str(root))["edges"]}


def test_neighbors_shape_and_filter():
    rrag_json("index", "--root", str(FIXTURE), "--no-embed")
    out = rrag_json("graph", "neighbors", "Canvas::draw", "--root", str(FIXTURE),
                    "--depth", "1", "--edges", "calls")
    assert out["center"]["name"] == "app::render::Canvas::draw"
    assert set(out["center"]) >= {"id", "path", "name", "kind", "start_line", "end_line"}
    names = {n["name"]: n["depth"] for n in out["nodes"]}
    assert names == {"core_lib::shapes::Circle::area": 1, "core_lib::util::scale": 1,
                     "core_lib::util::helpers::total": 1, "app::render::show": 1}
    assert out["edges"] and all(e["type"] == "calls" for e in out["edges"])
    deeper = rrag_json("graph", "neighbors", "Canvas::draw", "--root", str(FIXTURE),
                       "--depth", "2", "--edges", "calls")
    assert {n["name"] for n in deeper["nodes"]} > set(names)
    assert "app::main" in {n["name"] for n in deeper["nodes"] if n["depth"] == 2}


def test_path_and_no_path():
    rrag_json("index", "--root", str(FIXTURE), "--no-embed")
    out = rrag_json("graph", "path", "app::main", "core_lib::util::helpers::total",
                    "--root", str(FIXTURE), "--max-depth", "4")
    assert out["path"] == ["app::main", "app::render::show", "app::render::Canvas::draw",
                           "core_lib::util::helpers::total"]
    assert [e["type"] for e in out["edges"]] == ["calls"] * 3
    none = rrag_json("graph", "path", "core_lib::util::helpers::total", "app::main",
                     "--root", str(FIXTURE))
    assert none == {"path": [], "edges": []}
    short = rrag_json("graph", "path", "app::main", "core_lib::util::helpers::total",
                      "--root", str(FIXTURE), "--max-depth", "2")
    assert short == {"path": [], "edges": []}


def test_unknown_name_is_a_clean_error():
    rrag_json("index", "--root", str(FIXTURE), "--no-embed")
    proc = rrag("graph", "neighbors", "no_such_thing", "--root", str(FIXTURE), check=False)
    assert proc.returncode != 0 and proc.stderr.startswith("rrag:")


def test_edit_one_file_equals_clean_index(tmp_path, monkeypatch):
    work = tmp_path / "ws"
    shutil.copytree(FIXTURE, work)
    rrag_json("index", "--root", str(work), "--no-embed")
    before = _edges(work)
    helpers = work / "core_lib" / "src" / "util" / "helpers.rs"
    # Rename a function other files call, and add a new one that render.rs starts calling.
    text = helpers.read_text().replace("pub fn total<", "pub fn grand_total<")
    helpers.write_text(text + "\npub fn fresh() -> f64 {\n    scale(1.0, 2.0)\n}\n")
    render = work / "app" / "src" / "render.rs"
    render.write_text(render.read_text().replace("total(&[", "grand_total(&["))
    report = rrag_json("index", "--root", str(work), "--no-embed")
    assert report["files_parsed"] == 2
    after = _edges(work)
    assert after != before
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "clean-cache"))
    rrag_json("index", "--root", str(work), "--no-embed")
    clean = _edges(work)
    assert after == clean
    assert any(e[:3] == ("calls", "core_lib::util::helpers::fresh",
                         "core_lib::util::helpers::scale") for e in clean)
    assert any(e[:3] == ("calls", "app::render::Canvas::draw",
                         "core_lib::util::helpers::grand_total") for e in clean)
    # a no-change run keeps the edges and parses nothing
    again = rrag_json("index", "--root", str(work), "--no-embed")
    assert again["files_parsed"] == 0 and again["edges"] == report["edges"]
    assert _edges(work) == clean


def test_edit_in_dependency_only_updates_its_users(tmp_path, monkeypatch):
    """Only core_lib changes; app's edges into it must follow (app is a user of core_lib)."""
    work = tmp_path / "ws"
    shutil.copytree(FIXTURE, work)
    rrag_json("index", "--root", str(work), "--no-embed")
    util = work / "core_lib" / "src" / "util" / "mod.rs"
    # The re-export chain changes: rescale now ends at util::scale, not helpers::scale.
    util.write_text(util.read_text().replace(
        "pub use self::helpers::scale as helper_scale;", "pub use self::scale as helper_scale;"))
    report = rrag_json("index", "--root", str(work), "--no-embed")
    assert report["files_parsed"] == 1
    after = _edges(work)
    assert ("calls", "app::main", "core_lib::util::scale", "app/src/main.rs", 9) in after
    assert ("calls", "app::main", "core_lib::util::helpers::scale", "app/src/main.rs", 9) \
        not in after
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "clean-cache"))
    rrag_json("index", "--root", str(work), "--no-embed")
    assert _edges(work) == after
