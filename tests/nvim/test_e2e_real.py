"""Every model command end to end: real headless Neovim, the plugin's RPC job, the real engine
with the real default model (SmolLM2 through llama.cpp) and the real index of our crate."""

from __future__ import annotations

import pytest
from .nvim_helpers import wait_for


MODEL_TIMEOUT_S = 240  # first use loads the model in its worker; 2 slow cores in CI


@pytest.fixture
def indexed(editor, crate):
    return index_and_open(editor, crate)


def index_and_open(editor, crate):
    editor.nvim.command(f"edit {crate / 'src' / 'shapes.rs'}")
    editor.nvim.command("RragIndex")
    done = wait_for(lambda: editor.lua("return require('rrag.ui.status').last_index"),
                    timeout=MODEL_TIMEOUT_S, what="the index")
    assert "error" not in done, done
    editor.nvim.command(f"edit {crate / 'src' / 'shapes.rs'}")
    editor.nvim.current.window.cursor = (8, 0)
    return editor


def answer_text(lines: list[str]) -> str:
    return "\n".join(lines[: lines.index("## Sources")]).strip()


def sources(lines: list[str]) -> list[str]:
    return [l for l in lines[lines.index("## Sources") + 1:] if l.startswith("- ")]


@pytest.mark.slow
def test_ask_streams_an_answer_with_sources(indexed):
    ed = indexed
    ed.nvim.command("RragAsk What does Circle::area compute?")
    assert ed.lua("return vim.api.nvim_win_get_config(0).relative") == "editor"
    wait_for(lambda: ed.view("answer", "tokens"), timeout=MODEL_TIMEOUT_S, what="streamed tokens")
    streamed = "\n".join(ed.float_lines("answer")).strip()
    wait_for(lambda: ed.view("answer", "done"), timeout=MODEL_TIMEOUT_S, what="the answer")
    assert not ed.view("answer", "error"), ed.view("answer", "error")
    lines = ed.float_lines("answer")
    assert streamed and answer_text(lines)
    found = sources(lines)
    assert found and all(":" in s for s in found), lines
    assert any("src/shapes.rs" in s for s in found), found
    # <CR> on a source opens that file at that line.
    first = next(i for i, l in enumerate(lines) if l.startswith("- src/shapes.rs")) + 1
    ed.nvim.current.window.cursor = (first, 0)
    ed.nvim.input("<CR>")
    wait_for(lambda: ed.nvim.current.buffer.name.endswith("src/shapes.rs")
             and ed.lua("return vim.api.nvim_win_get_config(0).relative") == "", what="the jump")


@pytest.mark.slow
def test_explain_a_range_beside_the_cursor(indexed):
    ed = indexed
    ed.nvim.command("7,11RragExplain")
    assert ed.lua("return vim.api.nvim_win_get_config(0).relative") in ("cursor", "win")
    wait_for(lambda: ed.view("answer", "tokens"), timeout=MODEL_TIMEOUT_S, what="streamed tokens")
    wait_for(lambda: ed.view("answer", "done"), timeout=MODEL_TIMEOUT_S, what="the explanation")
    assert not ed.view("answer", "error"), ed.view("answer", "error")
    lines = ed.float_lines("answer")
    assert answer_text(lines) and sources(lines)


def request_refactor(ed):
    ed.nvim.command("7,11RragRefactor rename the local variable a to area")
    wait_for(lambda: ed.view("refactor", "result") or ed.view("refactor", "error"),
             timeout=MODEL_TIMEOUT_S, what="the refactor proposal")
    assert not ed.view("refactor", "error"), ed.view("refactor", "error")
    return ed.view("refactor", "result")


@pytest.mark.slow
def test_refactor_accept_edited_range_and_reject(indexed):
    ed = indexed
    buf = ed.nvim.current.buffer
    original = buf[:]
    result = request_refactor(ed)
    preview = ed.float_lines("refactor")
    assert preview[1] in ("parse: ok", "parse: FAILED (the proposal is not valid Rust)")
    assert preview[2].startswith("cargo check: ")
    assert (result["parses"] is True) == (preview[1] == "parse: ok")

    # The user edits inside the range while the preview is open: accept changes nothing.
    buf[8] = "        a = 1.0;"
    edited = buf[:]
    ed.nvim.input("a")
    ed.wait_notification("changed since the refactor was requested; nothing was changed")
    assert buf[:] == edited
    # Put the line back: now the range is what the request saw, and accept applies.
    buf[8] = original[8]
    assert buf[:] == original
    ed.lua("vim.api.nvim_set_current_win(vim.fn.bufwinid(require('rrag.ui.refactor').last.buf))")
    ed.nvim.input("a")
    wait_for(lambda: ed.view("refactor", "outcome") == "accepted", what="accept")
    replacement = result["replacement"].split("\n")
    if replacement and replacement[-1] == "":
        replacement.pop()
    after = buf[:]
    assert after[:6] == original[:6] and after[6:6 + len(replacement)] == replacement
    assert after[6 + len(replacement):] == original[11:]
    ed.nvim.command(f"buffer {buf.number}")
    ed.nvim.command("undo")
    assert buf[:] == original  # exactly one undo step

    # Reject leaves the buffer and its changedtick alone.
    tick = ed.lua(f"return vim.b[{buf.number}].changedtick")
    ed.nvim.current.window.cursor = (8, 0)
    request_refactor(ed)
    ed.nvim.input("r")
    wait_for(lambda: ed.view("refactor", "outcome") == "rejected", what="reject")
    assert buf[:] == original and ed.lua(f"return vim.b[{buf.number}].changedtick") == tick


@pytest.mark.slow
def test_context_float_shows_items_why_tokens_and_budget(indexed):
    ed = indexed
    ed.nvim.command("RragContext")
    result = wait_for(lambda: ed.view("context", "result") or ed.view("context", "error"),
                      timeout=MODEL_TIMEOUT_S, what="the context")
    assert not ed.view("context", "error"), result
    lines = ed.float_lines("context")
    assert lines[0].startswith("Budget ▕")
    assert f"{result['tokens']} / {result['budget']} tokens" in lines[0]
    assert result["tokens"] <= result["budget"]
    assert result["items"], "the context of a cursor inside Circle::area is not empty"
    assert any("why: " in l for l in lines)
    assert any("Circle" in l for l in lines)
    # Exclude the first item: the refreshed context no longer contains it.
    first = result["items"][0]
    ed.nvim.current.window.cursor = (4, 0)
    ed.nvim.input("x")
    wait_for(lambda: any(l.startswith("[X]") for l in ed.float_lines("context")),
             timeout=MODEL_TIMEOUT_S, what="the refreshed context")
    refreshed = ed.view("context", "result")
    assert first["id"] not in {i["id"] for i in refreshed["items"]}


@pytest.mark.slow
def test_search_fills_the_quickfix_list_and_jumps(indexed):
    ed = indexed
    ed.nvim.command("RragSearch area of a circle")
    view = wait_for(lambda: ed.lua("local s = require('rrag.ui.search').last "
                                   "return s and s.done and s or nil"),
                    timeout=MODEL_TIMEOUT_S, what="the search")
    assert not view.get("error"), view
    results = view["result"]["results"]
    assert any(r["name"].endswith("Circle::area") for r in results[:5]), results[:5]
    qf = ed.lua("return vim.fn.getqflist({ title = 1, items = 1 })")
    assert qf["title"] == "rrag search: area of a circle"
    assert [(ed.lua(f"return vim.api.nvim_buf_get_name({e['bufnr']})"), e["lnum"])
            for e in qf["items"]] == [(r["file"], r["start_line"]) for r in results]
    assert ed.lua("return vim.bo.buftype") == "quickfix"  # the list is open
    ed.nvim.command("cfirst")
    assert ed.nvim.current.buffer.name == results[0]["file"]



@pytest.mark.slow
def test_context_float_lists_what_did_not_fit_and_pinning_packs_it(editor, crate):
    # A budget this small leaves ranked items out: the float lists them under the packed ones
    # (cost and score parts), and pinning one packs it on the refresh.
    editor.lua("require('rrag').setup({ engine = { context = { budget = 60 } } })")
    ed = index_and_open(editor, crate)
    ed.nvim.command("RragContext")
    result = wait_for(lambda: ed.view("context", "result") or ed.view("context", "error"),
                      timeout=MODEL_TIMEOUT_S, what="the context")
    assert not ed.view("context", "error"), result
    assert result["budget"] == 60 and result["tokens"] <= 60 and result["left_out"], result
    first = result["left_out"][0]
    lines = ed.float_lines("context")
    heading = lines.index("Did not fit (best first; pin one to pack it on refresh):")
    assert lines[heading + 1].startswith(" 1.") and first["name"] in lines[heading + 1]
    assert f"{first['tokens']} tok" in lines[heading + 1] and "score " in lines[heading + 1]
    ed.nvim.current.window.cursor = (heading + 2, 0)
    ed.nvim.input("p")
    refreshed = wait_for(lambda: (r := ed.view("context", "result")) and any(
        i["id"] == first["id"] and i.get("pinned") for i in r["items"]) and r,
        timeout=MODEL_TIMEOUT_S, what="the refreshed context with the pinned item")
    assert refreshed["tokens"] <= 60
    assert any(l.startswith("[P]") and first["name"] in l for l in ed.float_lines("context"))


TYPED = ["", "/// Typed into the buffer, never saved.", "pub fn typed_quoll_count() -> u32 {",
         "    40 + 2", "}"]


@pytest.mark.slow
def test_unsaved_typing_reaches_context_and_ask(indexed, crate):
    """A function typed into the buffer without saving: :RragContext on it shows the typed
    text (the engine overlays the buffer's text for the request), :RragAsk's sources include
    it, and neither the file nor the index took it."""
    ed = indexed
    on_disk = (crate / "src" / "shapes.rs").read_text()
    buf = ed.nvim.current.buffer
    buf.append(TYPED)
    assert ed.nvim.eval("&modified")
    ed.nvim.current.window.cursor = (len(buf) - 1, 4)  # inside the typed body
    ed.nvim.command("RragContext")
    result = wait_for(lambda: ed.view("context", "result") or ed.view("context", "error"),
                      timeout=MODEL_TIMEOUT_S, what="the context")
    assert not ed.view("context", "error"), result
    assert result["items"][0]["name"] == "geo::shapes::typed_quoll_count"
    assert "40 + 2" in result["prompt"]
    assert any("typed_quoll_count" in l for l in ed.float_lines("context"))
    footer = ed.lua("local v = require('rrag.ui.context').last; "
                    "return vim.api.nvim_win_get_config(v.float.win).footer")
    assert "index up to date as of" in "".join(part[0] for part in footer), footer
    ed.nvim.command("close")
    ed.nvim.command("RragAsk What does typed_quoll_count return?")
    wait_for(lambda: ed.view("answer", "done") or ed.view("answer", "error"),
             timeout=MODEL_TIMEOUT_S, what="the answer")
    assert not ed.view("answer", "error"), ed.view("answer", "error")
    assert any("typed_quoll_count" in s for s in sources(ed.float_lines("answer")))
    assert (crate / "src" / "shapes.rs").read_text() == on_disk


@pytest.mark.slow
def test_a_checkout_in_a_shell_is_used_by_the_next_ask(editor, crate):
    """`git checkout` of another branch in a shell while Neovim is open: the next :RragAsk
    answers from that branch's code (the engine re-indexes what the checkout changed)."""
    import subprocess

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "PATH": "/usr/bin:/bin"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=crate, check=True, capture_output=True, env=env)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "main")
    git("checkout", "-qb", "feature")
    lib = crate / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\npub fn branch_wombat_total() -> f64 {\n    7.0\n}\n")
    git("commit", "-qam", "feature")
    git("checkout", "-q", "main")
    editor.nvim.command(f"edit {lib}")
    editor.nvim.command("RragIndex")
    wait_for(lambda: editor.lua("return require('rrag.ui.status').last_index"),
             timeout=MODEL_TIMEOUT_S, what="the index")
    git("checkout", "-q", "feature")
    editor.nvim.command("checktime")  # the buffer follows the file, as on FocusGained
    editor.nvim.command("RragAsk What does branch_wombat_total return?")
    wait_for(lambda: editor.view("answer", "done") or editor.view("answer", "error"),
             timeout=MODEL_TIMEOUT_S, what="the answer")
    assert not editor.view("answer", "error"), editor.view("answer", "error")
    assert any("branch_wombat_total" in s for s in sources(editor.float_lines("answer")))


def test_bufenter_brings_the_index_up_to_date_in_the_background(indexed, crate):
    """A file changed outside Neovim: entering a Rust buffer schedules the freshness check
    (debounced), which re-indexes it before any request is made."""
    ed = indexed
    lib = crate / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\npub fn outside_edit_dingo() -> u8 {\n    3\n}\n")
    ed.nvim.command(f"edit {lib}")  # BufEnter
    check = wait_for(lambda: ed.lua("return require('rrag').last_check"),
                     timeout=MODEL_TIMEOUT_S, what="the freshness check")
    assert check == {"fresh": False, "reason": "src/lib.rs changed"}
    ed.lua("require('rrag').last_check = nil")
    ed.nvim.command(f"edit {crate / 'src' / 'shapes.rs'}")  # nothing changed since
    check = wait_for(lambda: ed.lua("return require('rrag').last_check"),
                     timeout=MODEL_TIMEOUT_S, what="the second check")
    assert check == {"fresh": True, "reason": ""}
