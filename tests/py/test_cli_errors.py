"""Bad command lines get one clear ``rrag:`` line and a non-zero exit, never a quiet empty
answer: the real console script on a copy of examples/simple_app."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO, rrag, rrag_json


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "simple_app"
    shutil.copytree(REPO / "examples" / "simple_app", root)
    rrag_json("index", "--root", str(root), "--no-embed")
    return root


BAD = [
    (("search", ""), 1, "the search query is empty"),
    (("search", "area", "-k", "0"), 2, "argument -k: 0 is less than 1"),
    (("search", "area", "-k", "-3"), 2, "argument -k: -3 is less than 1"),
    (("search", "area", "-k", "ten"), 2, "'ten' is not a whole number"),
    (("search",), 2, "the following arguments are required: query"),
    (("items", "--file", "src/no_such_file.rs"), 1, "src/no_such_file.rs is not a file under"),
    (("items", "--file", "/etc/hostname"), 1, "/etc/hostname is not in the workspace"),
    (("context", "--file", "src/main.rs", "--line", "0"), 2, "argument --line: 0 is less than 1"),
    (("context", "--file", "src/main.rs", "--line", "5", "--budget", "-5"), 2,
     "argument --budget: -5 is less than 0"),
    (("context", "--file", "src/mian.rs", "--line", "5"), 1, "src/mian.rs is not a file under"),
    (("graph", "neighbors", "Shape::area", "--depth", "-1"), 2, "argument --depth: -1"),
    (("graph", "path", "Shape::area", "Circle::area", "--max-depth", "0"), 2,
     "argument --max-depth: 0"),
    (("graph", "edges", "--type", "callz"), 1, "unknown edge type callz"),
    (("explain", "--file", "src/nope.rs", "--line", "3"), 1, "src/nope.rs is not a file under"),
]


@pytest.mark.parametrize("args,code,message", BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_input_is_one_rrag_line_and_a_failure(app, args, code, message):
    proc = rrag(*args, "--root", str(app), check=False)
    assert proc.returncode == code, proc
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rrag: ") and message in lines[0], lines
    assert proc.stdout == ""


def test_siblings_are_said_to_share_what_holds_them(app):
    """Top-level functions of the cursor's file are "in the same file", not "in the same impl"."""
    items = rrag_json("context", "--root", str(app), "--file", "src/main.rs", "--line", "5",
                      "--budget", "4096")["items"]
    siblings = [it for it in items if it["path"] == "src/main.rs" and it["kind"] == "function"]
    assert siblings, items
    assert all(it["why"] == "in the same file" for it in siblings), siblings
