"""UI mechanics in a real headless Neovim through the real Lua code, RPC job and bridge, with the
fake engine in the host so each test takes a second, not a model run: floats, streaming,
sources, stale-result dropping, refactor accept / reject / edited range, pin / exclude,
cancellation. The same commands run against the real engine in test_e2e_real.py."""

from __future__ import annotations

from .nvim_helpers import wait_for


def open_shapes(ed, crate, line: int = 8):
    ed.nvim.command(f"edit {crate / 'src' / 'shapes.rs'}")
    ed.nvim.current.window.cursor = (line, 0)
    return ed.nvim.current.buffer


def test_ask_streams_into_a_float_and_lists_sources(fake_editor, crate):
    ed = fake_editor
    open_shapes(ed, crate)
    ed.nvim.command("RragAsk what does area do?")
    assert ed.lua("return vim.api.nvim_win_get_config(0).relative") == "editor"  # the float
    wait_for(lambda: ed.view("answer", "tokens"), what="streamed tokens")
    wait_for(lambda: ed.view("answer", "done"), what="the answer to finish")
    lines = ed.float_lines("answer")
    text = "\n".join(lines)
    assert "Q: what does area do?" in text and "pi r squared" in text
    assert "## Sources" in lines
    assert "- src/shapes.rs:7-11  geo::shapes::Circle::area" in lines
    assert ed.lua("return vim.bo.filetype") == "markdown"
    # <CR> on a source jumps there, closing the float.
    ed.nvim.current.window.cursor = (lines.index("- src/lib.rs:3-5  geo::total_area") + 1, 0)
    ed.nvim.input("<CR>")
    wait_for(lambda: ed.nvim.current.buffer.name.endswith("src/lib.rs"), what="the jump")
    assert ed.nvim.current.window.cursor[0] == 3
    assert ed.lua("return vim.api.nvim_win_get_config(0).relative") == ""


def test_names_missing_from_the_index_are_marked_and_jump_to_the_real_item(fake_editor, crate):
    ed = fake_editor
    open_shapes(ed, crate)
    ed.nvim.command("RragAsk grounded question")
    wait_for(lambda: ed.view("answer", "done"), what="the answer to finish")
    lines = ed.float_lines("answer")
    marks = ed.lua("local v = require('rrag.ui.answer').last; "
                   "return vim.diagnostic.get(v.buf, { namespace = require('rrag.ui.answer')"
                   ".ns_grounding })")
    assert [(m["lnum"], m["message"]) for m in marks] == [
        (2, "`Circle::area_of` is not in workspace; nearest: `Circle::area`")]
    assert lines[lines.index("## Not in the index") + 1] == \
        "- line 3: `Circle::area_of` is not in workspace; nearest: `Circle::area`"
    virt = ed.lua("local v = require('rrag.ui.answer').last; local ns = "
                  "require('rrag.ui.answer').ns_grounding; local out = {} for _, m in ipairs("
                  "vim.api.nvim_buf_get_extmarks(v.buf, -1, 0, -1, { details = true })) do "
                  "if m[4].virt_text then out[#out + 1] = m[2] end end return out")
    assert 2 in virt, "the mark shows as virtual text on the answer's line"
    ed.nvim.current.window.cursor = (3, 0)  # the marked answer line
    ed.nvim.input("<CR>")
    wait_for(lambda: ed.nvim.current.buffer.name.endswith("src/shapes.rs")
             and ed.lua("return vim.api.nvim_win_get_config(0).relative") == "",
             what="the jump to the real item")
    assert ed.nvim.current.window.cursor[0] == 7


def test_explain_of_a_range_opens_beside_the_cursor(fake_editor, crate):
    ed = fake_editor
    open_shapes(ed, crate)
    ed.nvim.command("7,11RragExplain")
    wait_for(lambda: ed.view("answer", "done"), what="the explanation")
    assert "Explaining shapes.rs:" in ed.float_lines("answer")[0]
    assert "[7, 11]" in ed.float_lines("answer")[0] or "(7, 11)" in ed.float_lines("answer")[0]
    # relative='cursor' floats report themselves as relative to the window they opened from
    assert ed.lua("return vim.api.nvim_win_get_config(0).relative") in ("cursor", "win")


def test_q_closes_the_float_and_cancels_a_running_answer(fake_editor, crate):
    ed = fake_editor
    open_shapes(ed, crate)
    ed.nvim.command("RragAsk slow question")
    request_id = ed.view("answer", "id")
    assert ed.lua("return require('rrag.rpc').is_pending(...)", request_id)
    ed.nvim.input("q")
    wait_for(lambda: ed.lua("return vim.api.nvim_win_get_config(0).relative") == "",
             what="the float to close")
    assert not ed.lua("return require('rrag.rpc').is_pending(...)", request_id)
    (crate / "release-ask").touch()
    # The host reports the cancellation; Lua drops it (the request is no longer pending).
    wait_for(lambda: any(f"for request {request_id}:" in l for l in ed.log_lines()),
             what="the late event of the cancelled request to be dropped and logged")


# The two stale branches are reached through rpc.request itself: the UI closes (and so cancels)
# its own older float, which would end the request before any staleness could be judged.
DROPS = """
_G.rrag_test_drops = {}
return function(tag)
  return function(reason) table.insert(_G.rrag_test_drops, tag .. ': ' .. reason) end
end
"""


def test_a_newer_request_of_the_same_kind_makes_the_older_stale(fake_editor, crate):
    ed = fake_editor
    open_shapes(ed, crate)
    first, second = ed.lua("""
      local on_drop = (loadstring or load)(...)()
      local rpc, path = require('rrag.rpc'), vim.fn.expand('%:p')
      local first = rpc.request('ask', { question = 'slow first', path = path, line = 8 },
                                { on_drop = on_drop('first') })
      local second = rpc.request('ask', { question = 'second', path = path, line = 8 },
                                 { on_result = function() _G.rrag_test_second = true end })
      return { first, second }
    """, DROPS)
    wait_for(lambda: ed.lua("return _G.rrag_test_second"), what="the second answer")
    # The engine interrupts the older ask (protocol: cancels_older); its final event is dropped.
    wait_for(lambda: ed.lua("return #_G.rrag_test_drops") == 1, what="the first answer's drop")
    assert ed.lua("return _G.rrag_test_drops") == ["first: a newer ask request replaced it"]
    assert not ed.lua("return require('rrag.rpc').is_pending(...)", first)


def test_a_result_for_a_deleted_buffer_is_dropped(fake_editor, crate):
    ed = fake_editor
    buf = open_shapes(ed, crate, line=7)
    lines = buf[6:11]
    request_id = ed.lua("""
      local source, bufnr, lines = ...
      local on_drop = (loadstring or load)(source)()
      return require('rrag.rpc').request('refactor', {
        instruction = 'wait then rename a', path = vim.api.nvim_buf_get_name(bufnr),
        selection = { 7, 11 }, line = 7, bufnr = bufnr, changedtick = vim.b[bufnr].changedtick,
      }, { on_drop = on_drop('refactor'),
           guard = { bufnr = bufnr, first = 7, last = 11, lines = lines } })
    """, DROPS, buf.number, lines)
    ed.nvim.command("enew")
    ed.nvim.command(f"bwipeout! {buf.number}")
    (crate / "release-refactor").touch()
    wait_for(lambda: ed.lua("return #_G.rrag_test_drops") == 1, what="the refactor's drop")
    assert ed.lua("return _G.rrag_test_drops") == [f"refactor: buffer {buf.number} is gone"]
    assert not ed.lua("return require('rrag.rpc').is_pending(...)", request_id)


def test_refactor_accept_replaces_exactly_the_range_in_one_undo_step(fake_editor, crate):
    ed = fake_editor
    buf = open_shapes(ed, crate)
    before = buf[:]
    ed.nvim.command("7,11RragRefactor rename a to area")
    wait_for(lambda: ed.view("refactor", "result"), what="the proposal")
    preview = ed.float_lines("refactor")
    assert preview[1] == "parse: ok" and preview[2] == "cargo check: ok"
    assert "-        let mut a = 0.0;" in preview and "+        let mut area = 0.0;" in preview
    ed.nvim.input("a")
    wait_for(lambda: ed.view("refactor", "outcome") == "accepted", what="accept")
    after = buf[:]
    assert after[:6] == before[:6] and after[11:] == before[11:]  # outside the range: untouched
    assert after[6:11] == ["    pub fn area(&self) -> f64 {", "        let mut area = 0.0;",
                           "        area = std::f64::consts::PI * self.r * self.r;",
                           "        area", "    }"]
    ed.nvim.command(f"buffer {buf.number}")
    ed.nvim.command("undo")
    assert buf[:] == before  # one undo step restores everything
    ed.nvim.command("redo")
    assert buf[:] == after


def test_refactor_on_a_range_edited_meanwhile_changes_nothing(fake_editor, crate):
    ed = fake_editor
    buf = open_shapes(ed, crate)
    ed.nvim.command("7,11RragRefactor rename a to area")
    wait_for(lambda: ed.view("refactor", "result"), what="the proposal")
    buf[8] = "        a = 2.0 * self.r;"  # the user edits inside the range
    edited = buf[:]
    ed.nvim.input("a")
    ed.wait_notification("changed since the refactor was requested; nothing was changed")
    assert buf[:] == edited
    assert ed.view("refactor", "outcome") == "range-changed"


def test_refactor_result_for_a_range_edited_during_the_request_is_dropped(fake_editor, crate):
    ed = fake_editor
    buf = open_shapes(ed, crate)
    ed.nvim.command("7,11RragRefactor wait, rename a to area")
    buf[7] = "        let mut b = 0.0;"
    edited = buf[:]
    (crate / "release-refactor").touch()
    ed.wait_notification("rrag: refactor dropped, lines 7-11 changed since the request")
    assert buf[:] == edited
    assert ed.view("refactor", "outcome") == "dropped"


def test_refactor_reject_changes_nothing(fake_editor, crate):
    ed = fake_editor
    buf = open_shapes(ed, crate)
    before, tick = buf[:], ed.lua(f"return vim.b[{buf.number}].changedtick")
    ed.nvim.command("7,11RragRefactor rename a to area")
    wait_for(lambda: ed.view("refactor", "result"), what="the proposal")
    ed.nvim.input("r")
    wait_for(lambda: ed.view("refactor", "outcome") == "rejected", what="reject")
    assert buf[:] == before
    assert ed.lua(f"return vim.b[{buf.number}].changedtick") == tick


def test_context_float_pin_and_exclude_apply_to_the_next_request(fake_editor, crate):
    ed = fake_editor
    open_shapes(ed, crate)
    ed.nvim.command("RragContext")
    wait_for(lambda: ed.view("context", "result"), what="the context")
    lines = ed.float_lines("context")
    assert lines[0].startswith("Budget ▕") and "72 / 100 tokens (72%)" in lines[0]
    assert any("why: calls the cursor item" in l for l in lines)
    item_line = next(i for i, l in enumerate(lines) if "geo::total_area" in l) + 1
    ed.nvim.current.window.cursor = (item_line, 0)
    ed.nvim.input("x")  # exclude total_area
    wait_for(lambda: any(l.startswith("[X]") for l in ed.float_lines("context")),
             what="the excluded item")
    assert "60 / 100 tokens" in ed.float_lines("context")[0]
    circle = next(i for i, l in enumerate(ed.float_lines("context")) if l.endswith("Circle")) + 1
    ed.nvim.current.window.cursor = (circle, 0)
    ed.nvim.input("p")
    wait_for(lambda: any(l.startswith("[P]") and "Circle" in l for l in ed.float_lines("context")),
             what="the pinned item")
    # The best item that did not fit is shown under the packed ones, with its cost and score
    # parts; pinning it packs it on the refresh.
    lines = ed.float_lines("context")
    heading = lines.index("Did not fit (best first; pin one to pack it on refresh):")
    square = heading + 1
    assert lines[square].startswith(" 1.") and "30 tok" in lines[square]
    assert "geo::Square" in lines[square] and "score 0.41 (graph 0.30 usage 0.11)" in lines[square]
    assert not any("geo::Square" in l for l in lines[:heading])
    ed.nvim.current.window.cursor = (square + 1, 0)
    ed.nvim.input("p")
    wait_for(lambda: any(l.startswith("[P]") and "geo::Square" in l
                         for l in ed.float_lines("context")), what="the pinned left-out item")
    assert not any(l.startswith("Did not fit") for l in ed.float_lines("context"))
    ed.nvim.input("q")
    ed.nvim.command("RragAsk which items?")
    wait_for(lambda: ed.view("answer", "done"), what="the answer")
    assert f"pinned=['{'b' * 32}', '{'d' * 32}']" in "\n".join(ed.float_lines("answer"))


def test_cancel_stops_a_running_index_and_the_statusline_shows_progress(fake_editor, crate):
    ed = fake_editor
    (crate / "slow-index").touch()
    open_shapes(ed, crate)
    assert ed.lua("return require('rrag').statusline()") == ""
    ed.nvim.command("RragIndex")
    wait_for(lambda: ed.lua("return require('rrag').statusline()").startswith("rrag: parsing "),
             what="progress in the statusline")
    ed.nvim.command("RragCancel")
    ed.wait_notification("rrag: cancelled 1 request")
    wait_for(lambda: ed.lua("return require('rrag').statusline()") == "", what="idle statusline")
    assert ed.lua("return require('rrag.ui.status').last_index") is None


def test_host_exit_is_reported_with_the_fix(fake_editor, crate):
    ed = fake_editor
    open_shapes(ed, crate)
    ed.nvim.command("RragStatus")
    wait_for(lambda: ed.view("status", "result"), what="the status")
    assert "items           3" in ed.float_lines("status")
    ed.lua("vim.fn.jobstop(require('rrag.rpc').state.job)")
    msg = ed.wait_notification("rrag: the Python host exited")
    assert "checkhealth rrag" in msg and "g:rrag_python" in msg
    assert not ed.lua("return require('rrag.rpc').running()")


def test_ask_without_a_question_prompts_for_one(fake_editor, crate):
    ed = fake_editor
    open_shapes(ed, crate)
    ed.lua("vim.ui.input = function(opts, cb) _G.prompt = opts.prompt cb('typed question') end")
    ed.nvim.command("RragAsk")
    assert ed.lua("return _G.prompt") == "rrag ask: "
    wait_for(lambda: ed.view("answer", "done"), what="the answer")
    assert "Q: typed question" in "\n".join(ed.float_lines("answer"))
    # An empty answer to the prompt sends nothing.
    ed.lua("vim.ui.input = function(opts, cb) cb('') end")
    before = ed.lua("return require('rrag.rpc').state.next_id")
    ed.nvim.command("RragAsk")
    assert ed.lua("return require('rrag.rpc').state.next_id") == before


def test_requests_carry_the_text_of_modified_rust_buffers_once_per_change(fake_editor, crate):
    """Every modified Rust buffer travels with a request as {path, tick}, its text only when
    its changedtick moved since the last send; the host keeps the last text, so the engine
    gets the buffer's text on every request (bridge/buffers.py)."""
    ed = fake_editor
    path = str(crate / "src" / "shapes.rs")
    ed.nvim.command(f"edit {path}")
    assert ed.lua("return require('rrag.buffers').collect()") == []  # nothing modified
    ed.nvim.current.buffer.append(["// typed one"])
    first = ed.lua("return require('rrag.buffers').collect()")
    assert [(e["path"], e["text"].endswith("// typed one\n")) for e in first] == [(path, True)]
    again = ed.lua("return require('rrag.buffers').collect()")
    assert again == [{"path": path, "tick": first[0]["tick"]}]  # same tick: no text
    ed.nvim.current.buffer.append(["// typed two"])
    ed.nvim.command("RragContext")
    result = wait_for(lambda: ed.view("context", "result"), what="the context")
    assert result["prompt"].startswith(f"// {path}\n") and "// typed two" in result["prompt"]
    ed.nvim.command("close")
    # The next request sends no text (nothing changed); the host still has it.
    assert ed.lua("return require('rrag.buffers').collect()")[0].get("text") is None
    ed.lua("require('rrag.ui.context').last = nil")
    ed.nvim.command("RragContext")
    result = wait_for(lambda: ed.view("context", "result"), what="the second context")
    assert "// typed two" in result["prompt"]
    ed.nvim.command("close")
    # Saved: no longer modified, so no longer sent; the file on disk counts again.
    ed.nvim.command("write")
    assert ed.lua("return require('rrag.buffers').collect()") == []


def test_why_shows_an_items_score_parts_in_the_generic_float(fake_editor, crate):
    """:RragWhy is only a protocol entry, a job and a view: the float is the generic one."""
    ed = fake_editor
    open_shapes(ed, crate)
    ed.nvim.command("RragWhy square")
    wait_for(lambda: ed.lua("return require('rrag.ui.view').last.done"), what="the why view")
    lines = ed.lua("local v = require('rrag.ui.view').last; "
                   "return vim.api.nvim_buf_get_lines(v.buf, 0, -1, false)")
    assert lines[:6] == ["geo::Square  (src/lib.rs:8-10)", "  did not fit the budget",
                         "  score 0.4100", "    graph      0.3000", "    usage      0.1100",
                         "  why: graph neighbour"]
    ed.nvim.current.window.cursor = (1, 0)
    ed.nvim.input("<CR>")
    wait_for(lambda: ed.nvim.current.buffer.name.endswith("src/lib.rs"), what="the jump")
    # the double's item starts at line 8 of a shorter file: the jump stops at its last line
    assert ed.nvim.current.window.cursor[0] == min(8, len(ed.nvim.current.buffer))
