"""The Vim host (``python -m rrag.vimhost``) over a real pipe, and the text it shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rrag.bridge.views import (answer_view, context_popup, refactor_view, search_view,
                               split_text, status_lines)

from .vim_driver import REPO


def test_refactor_view_diffs_exactly_the_requested_lines():
    params = {"selection": [22, 24], "instruction": "rename",
              "original": "pub fn f(value: f32) -> bool {\n    value < 0.0\n}\n"}
    result = {"replacement": "pub fn f(x: f32) -> bool {\n    x < 0.0\n}\n", "parses": True,
              "check": {"ran": True, "ok": False, "diagnostics": ["error[E0425]:\n nope"]}}
    view = refactor_view(result, params)
    assert view["replacement"] == ["pub fn f(x: f32) -> bool {", "    x < 0.0", "}"]
    assert (view["first"], view["last"], view["identical"]) == (22, 24, False)
    preview = view["lines"]
    assert preview[:4] == ["Lines 22-24: rename", "parse: ok", "cargo check: FAILED",
                           "  error[E0425]: nope"]
    diff = preview[view["diff_start"] - 1:]
    assert diff[:3] == ["--- a/lines 22-24", "+++ b/proposal", "@@ -1,3 +1,3 @@"]
    assert "-    value < 0.0" in diff and "+    x < 0.0" in diff and " }" in diff
    same = refactor_view({"replacement": params["original"], "parses": True}, params)
    assert same["identical"] and same["lines"][-1].startswith("(the proposal is identical")


def test_answer_view_lists_sources_with_absolute_paths(tmp_path):
    view = answer_view({"text": "It checks.\n", "ttft_s": 0.25, "tokens_per_s": 41.6,
                        "sources": [{"path": "src/a.rs", "name": "f", "start_line": 3,
                                     "end_line": 9, "why": "cursor"}]}, str(tmp_path),
                       inline_marks=True)
    assert view["lines"] == ["It checks.", "", "## Sources", "- src/a.rs:3-9  f"]
    assert view["sources"] == [{"lnum": 4, "path": str(tmp_path / "src/a.rs"), "line": 3,
                                "end_line": 9, "text": "f (cursor)"}]
    assert view["meta"] == "0.2 s to first token · 42 tok/s"
    assert answer_view({"text": ""}, None, inline_marks=True)["lines"][-1] == "(none)"
    assert split_text("a\n") == ["a"] and split_text("") == [""]


def test_dependency_sources_name_their_crate_and_jump_to_its_folder(tmp_path):
    dep = {"path": "src/re.rs", "name": "regex::Regex::new", "start_line": 40, "end_line": 52,
           "why": "called here", "crate": "regex", "version": "1.7.1",
           "file": "/usr/share/cargo/registry/regex-1.7.1/src/re.rs"}
    view = answer_view({"text": "x", "sources": [dep]}, str(tmp_path), inline_marks=True)
    assert view["lines"][-1] == "- regex 1.7.1 src/re.rs:40-52  regex::Regex::new"
    assert view["sources"][0]["path"] == dep["file"]  # not <workspace>/src/re.rs


def test_context_view_lists_items_with_cost_mode_and_why(tmp_path):
    own = {"path": "src/a.rs", "name": "a::f", "start_line": 3, "end_line": 9, "mode": "full",
           "tokens": 120, "why": "the cursor is\nin it", "pinned": True}
    dep = {"path": "src/re.rs", "name": "regex::Regex", "start_line": 1, "end_line": 30,
           "mode": "signature", "tokens": 14, "why": "type used by a::f", "crate": "regex",
           "version": "1.7.1", "file": "/reg/regex-1.7.1/src/re.rs"}
    left = {"id": "e" * 32, "path": "src/b.rs", "name": "a::g", "start_line": 5, "end_line": 7,
            "mode": "signature", "tokens": 31, "score": 0.52,
            "components": {"link": 0.45, "usage": 0.2, "docs": 0.0, "graph": 0.1,
                           "recency": 0.05}}
    view = context_popup({"budget": 512, "tokens": 134, "items": [own, dep], "left_out": [left]},
                        str(tmp_path))
    assert view["lines"][0] == "Budget: 134 / 512 tokens (26 %)"
    assert view["lines"][3:] == [
        "[P]   120 tok  full      src/a.rs:3-9  a::f", "      why: the cursor is in it",
        "[ ]    14 tok  signature regex 1.7.1 src/re.rs:1-30  regex::Regex",
        "      why: type used by a::f", "",
        "Did not fit (best first; pin one to pack it on refresh):",
        " 1.    31 tok  signature src/b.rs:5-7  a::g  "
        "score 0.52 (link 0.45 usage 0.20 graph 0.10 recency 0.05)"]
    assert [(s["lnum"], s["path"], s["line"]) for s in view["sources"]] == [
        (4, str(tmp_path / "src/a.rs"), 3), (6, "/reg/regex-1.7.1/src/re.rs", 1)]
    assert view["left_out"] == [{"id": "e" * 32, "name": "a::g"}]
    assert view["meta"] == "2 items · 134 tokens"
    empty = context_popup({"budget": 0, "tokens": 0, "items": []}, None)
    assert empty["sources"] == [] and empty["lines"][-1].startswith("(nothing was chosen")


def test_search_view_gives_quickfix_entries_best_first(tmp_path):
    hits = [{"path": "src/a.rs", "name": "a::area", "kind": "method", "start_line": 4,
             "end_line": 6, "score": 0.91},
            {"path": "src/re.rs", "name": "regex::Regex::new", "kind": "method", "start_line": 9,
             "end_line": 20, "score": 0.5, "crate": "regex", "version": "1.7.1",
             "file": "/reg/regex-1.7.1/src/re.rs"}]
    view = search_view({"query": "area", "results": hits}, str(tmp_path))
    assert view["title"] == "rrag search: area"
    assert view["sources"] == [
        {"lnum": 1, "path": str(tmp_path / "src/a.rs"), "line": 4, "end_line": 6,
         "text": "method   a::area  (0.91)"},
        {"lnum": 2, "path": "/reg/regex-1.7.1/src/re.rs", "line": 9, "end_line": 20,
         "text": "method   regex::Regex::new  (0.50, regex 1.7.1 src/re.rs:9-20)"}]


def test_status_lines_show_counts_host_and_errors():
    lines = status_lines({"items": 5, "files": 2, "last_errors": [{"text": "rrag: boom"}],
                          "host": {"python": "/py", "transport": "vim-job", "pid": 7,
                                   "jobs_queued": 1, "running": "ask"}})
    assert lines[0].split() == ["files", "2"] and lines[1].split() == ["items", "5"]
    assert "host            /py (vim-job, pid 7)" in lines
    assert "jobs            1 queued, running: ask" in lines
    assert lines[-1] == "  rrag: boom"


def host(tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    return subprocess.Popen([sys.executable, "-m", "rrag.vimhost"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path)


def send(proc: subprocess.Popen, method: str, params: dict) -> None:
    proc.stdin.write(json.dumps({"method": method, "params": params}) + "\n")
    proc.stdin.flush()


def read_until(proc: subprocess.Popen, done) -> list[dict]:
    events = []
    while True:
        line = proc.stdout.readline()
        assert line, f"the host ended early: {proc.stderr.read()}"
        events.append(json.loads(line))  # every stdout line is one JSON object
        if done(events[-1]):
            return events


def test_host_indexes_reports_status_and_exits_on_eof(tmp_path, workspace):
    proc = host(tmp_path)
    try:
        proc.stdin.write("this is not json\n")
        proc.stdin.flush()
        bad = read_until(proc, lambda e: True)[0]
        assert bad["type"] == "error" and "unreadable message from Vim" in bad["error"]["text"]
        send(proc, "index", {"id": 1, "path": str(workspace / "src" / "bits.rs"),
                             "embed": False})
        events = read_until(proc, lambda e: e.get("id") == 1 and e["type"] != "progress")
        assert events[-1]["type"] == "result", events[-1]
        assert events[-1]["view"]["summary"].startswith(f"rrag: indexed {workspace}: 12 files")
        assert any(e["type"] == "progress" and e["text"].startswith("rrag: ") for e in events)
        send(proc, "status", {"id": 2, "path": str(workspace / "src" / "bits.rs")})
        status = read_until(proc, lambda e: e.get("id") == 2)[-1]
        assert status["type"] == "result" and status["result"]["files"] == 12
        assert any(l.startswith("items") for l in status["view"]["lines"])
        send(proc, "nonsense", {"id": 3})
        unknown = read_until(proc, lambda e: e.get("id") == 3)[-1]
        assert unknown["type"] == "error" and "unknown method rrag_nonsense" in \
            unknown["error"]["text"]
        proc.stdin.close()
        assert proc.wait(60) == 0  # stdin closed: the host ends by itself
    finally:
        if proc.poll() is None:
            proc.kill()


def test_answer_view_marks_names_missing_from_the_index(tmp_path):
    result = {"text": "Use it.\n```rust\nre.find_all(x)\n```\n", "sources": [],
              "grounding": [
                  {"name": "Regex::find_all", "found": False, "line": 3, "lines": [3],
                   "message": "`Regex::find_all` is not in regex 1.7.1; nearest: "
                              "`Regex::find_iter`",
                   "nearest_items": [{"path": "src/re_unicode.rs", "start_line": 280,
                                      "file": "/reg/regex-1.7.1/src/re_unicode.rs"}]},
                  {"name": "Regex::new", "found": True, "line": 3, "lines": [3],
                   "message": "found"}]}
    view = answer_view(result, str(tmp_path), inline_marks=True)
    assert view["lines"][2] == "re.find_all(x)  « rrag: `Regex::find_all` not found"
    section = view["lines"].index("## Not in the index")
    assert view["lines"][section + 1] == ("- line 3: `Regex::find_all` is not in regex 1.7.1; "
                                          "nearest: `Regex::find_iter`")
    assert view["grounding"] == [{"lnum": section + 2, "path": "/reg/regex-1.7.1/src/re_unicode.rs",
                                  "line": 280, "end_line": 280,
                                  "text": result["grounding"][0]["message"]}]
    assert view["diagnostics"][0]["line"] == 3 and view["diagnostics"][0]["target"]["line"] == 280
    plain = answer_view(result, str(tmp_path), inline_marks=False)  # Neovim: virtual text instead
    assert plain["lines"][2] == "re.find_all(x)"
    assert answer_view({"text": "x"}, None, inline_marks=True)["grounding"] == []
