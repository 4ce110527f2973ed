"""The code graph on our two-crate fixture workspace, through the real CLI: every edge of the
hand-checked golden list and nothing else (precision = recall = 1.0), and none of the wrong
edges a resolver going by bare names would produce."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, rrag_json

FIXTURE = REPO / "tests" / "fixtures" / "graph_ws"
GOLDEN = REPO / "tests" / "fixtures" / "graph_ws.golden"
KINDS = {"contains", "calls", "uses_type", "imports", "implements", "inherits", "trait_bound",
         "invokes_macro", "depends"}

# What matching by name alone would get wrong in the fixture: two `scale` functions in
# different modules, two `area` and two `new` methods on different types, a renamed re-export.
NAME_ONLY_WRONG = {
    ("calls", "app::render::Canvas::draw", "core_lib::shapes::Square::area"),
    ("calls", "app::render::Canvas::draw", "core_lib::util::helpers::scale"),
    ("calls", "app::main", "core_lib::util::scale"),
    ("calls", "app::main", "core_lib::shapes::Circle::area"),
    ("calls", "core_lib::shapes::Circle::grow", "core_lib::util::scale"),
    ("calls", "core_lib::shapes::Circle::grow", "core_lib::shapes::Square::new"),
    ("imports", "app", "core_lib::util::scale"),
    ("imports", "core_lib", "core_lib::util::scale"),
    ("calls", "core_lib::util::helpers::total", "core_lib::shapes::Square::area"),
}


def _golden() -> set[tuple[str, str, str, str]]:
    out = set()
    for line in GOLDEN.read_text().splitlines():
        if line.strip():
            kind, source, target, where = line.split("\t")
            out.add((kind, source, target, where))
    return out


def _indexed(root: Path) -> set[tuple[str, str, str, str]]:
    rrag_json("index", "--root", str(root), "--no-embed")
    edges = rrag_json("graph", "edges", "--root", str(root))["edges"]
    for e in edges:
        assert set(e) >= {"type", "source", "target", "path", "line"}
        assert isinstance(e["line"], int)
    return {(e["type"], e["source"], e["target"], f"{e['path']}:{e['line']}") for e in edges}


def test_golden_precision_and_recall_are_one():
    golden = _golden()
    got = _indexed(FIXTURE)
    assert {g[0] for g in golden} == KINDS, "the fixture must exercise every edge kind"
    missing = sorted(golden - got)
    extra = sorted(got - golden)
    precision = len(got & golden) / len(got)
    recall = len(got & golden) / len(golden)
    assert not missing and not extra, f"missing {missing}\nextra {extra}"
    assert precision == recall == 1.0


def test_no_name_only_wrong_edges():
    got = {(k, s, t) for k, s, t, _ in _indexed(FIXTURE)}
    assert not (got & NAME_ONLY_WRONG)
    # and the right ones are there instead
    assert ("calls", "app::render::Canvas::draw", "core_lib::shapes::Circle::area") in got
    assert ("calls", "app::main", "core_lib::util::helpers::scale") in got  # via 2 re-exports
    assert ("calls", "app::render::Canvas::draw", "core_lib::util::scale") in got


def test_type_filter_and_unresolved_candidates():
    rrag_json("index", "--root", str(FIXTURE), "--no-embed")
    calls = rrag_json("graph", "edges", "--root", str(FIXTURE), "--type", "calls")["edges"]
    assert calls and all(e["type"] == "calls" for e in calls)
    undecided = [e for e in calls if e["source"] == "core_lib::util::helpers::total"]
    assert len(undecided) == 1 and undecided[0]["target"] == "area"
    assert sorted(undecided[0]["candidates"]) == [
        "core_lib::Shape::area", "core_lib::shapes::Circle::area",
        "core_lib::shapes::Square::area"]
