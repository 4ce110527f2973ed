"""The real path: the real engine in the host started by the plugin (`python -m rrag.host`),
real SQLite with sqlite-vec, real tree-sitter: :RragIndex, :RragStatus, re-index on :w,
:checkhealth rrag."""

from __future__ import annotations


import pytest
from .nvim_helpers import wait_for

from rrag.service.engine import Engine


def health_lines(editor) -> list[str]:
    editor.nvim.command("checkhealth rrag")
    wait_for(lambda: any("models and index" in l for l in editor.nvim.current.buffer[:]),
             timeout=60, what="the health report")
    return [strip_icons(l) for l in editor.nvim.current.buffer[:]]


def strip_icons(line: str) -> str:
    for icon in ("✅ ", "❌ ", "⚠️ "):
        line = line.replace(icon, "")
    return line


def index_and_wait(editor, timeout: float = 120) -> dict:
    editor.nvim.command("RragIndex")
    return wait_for(lambda: editor.lua("return require('rrag.ui.status').last_index"),
                    timeout=timeout, what="the index to finish")


@pytest.mark.slow
def test_index_then_status_shows_counts(editor, crate):
    editor.nvim.command(f"edit {crate / 'src' / 'shapes.rs'}")
    done = index_and_wait(editor)
    assert done["root"] == str(crate) and "error" not in done, done
    stats = done["result"]["stats"]
    assert stats["files"] == 2 and stats["items"] >= 6
    editor.wait_notification("rrag: indexing the workspace of")
    editor.wait_notification(f"rrag: indexed {crate}: 2 files parsed")
    editor.nvim.command("RragStatus")
    wait_for(lambda: editor.view("status", "result"), what="the status")
    lines = editor.float_lines("status")
    assert f"root            {crate}" in lines
    assert "files           2" in lines
    assert f"items           {stats['items']}" in lines
    assert any(l.startswith("host ") and "(job, pid" in l for l in lines)


@pytest.mark.slow
def test_write_reindexes_the_file_in_the_background(editor, crate):
    editor.lua("require('rrag').setup({ debounce_ms = 50 })")
    editor.nvim.command(f"edit {crate / 'src' / 'lib.rs'}")
    index_and_wait(editor)
    with Engine(crate) as engine:
        assert "geo::perimeter_sum" not in {i.qualname for i in engine.items("src/lib.rs")}
    buf = editor.nvim.current.buffer
    buf.append(["", "pub fn perimeter_sum(r: f64) -> f64 {", "    2.0 * r", "}"])
    editor.nvim.command("write")

    def indexed() -> bool:
        with Engine(crate) as engine:
            return "geo::perimeter_sum" in {i.qualname for i in engine.items("src/lib.rs")}

    wait_for(indexed, timeout=60, interval=0.05, what="the saved function in the index")
    # No notification for a background re-index (only the one of :RragIndex), and the
    # statusline is idle again.
    assert sum(n.startswith("rrag: indexed ") for n in editor.notifications()) == 1
    wait_for(lambda: editor.lua("return require('rrag').statusline()") == "", what="idle")


@pytest.mark.slow
def test_write_in_a_never_indexed_project_does_not_index_it(editor, crate):
    editor.lua("require('rrag').setup({ debounce_ms = 10 })")
    editor.nvim.command(f"edit {crate / 'src' / 'lib.rs'}")
    editor.nvim.command("write")
    done = wait_for(lambda: editor.lua("return require('rrag.ui.status').last_index"),
                    what="the re-index answer")
    assert done["kind"] == "reindex" and done["result"] == {"skipped": "not indexed yet"}


@pytest.mark.slow
def test_checkhealth_is_ok_on_a_fresh_setup(editor, crate):
    editor.nvim.command(f"edit {crate / 'src' / 'lib.rs'}")
    lines = health_lines(editor)
    text = "\n".join(lines)
    assert "ERROR" not in text, text
    # The warnings of a fresh setup: the bundled demo model answers (issue 23), and std's
    # sources (Debian's rust-src, installed by the setup) are not indexed: the tests turn std
    # indexing off (tests/conftest.py), and on this machine they are not the compiler's release.
    warnings = sorted(l.split("WARNING ", 1)[1].split(":", 1)[0] for l in lines if "WARNING" in l)
    assert warnings == ["chat model", "std sources"], text
    assert "chat model: SmolLM2-135M, the bundled demo model" in text
    for needle in ("- OK Neovim 0.", "- OK python: ", "- OK sqlite-vec loads: v",
                   "- OK default chat model: ", "- OK default embedding model: ",
                   "- OK pynvim: ", "- OK llama-cpp-python: "):
        assert needle in text, f"{needle!r} missing from:\n{text}"
    assert f"{crate}: not indexed yet" in text
    editor.nvim.command(f"tabclose | edit {crate / 'src' / 'lib.rs'}")
    index_and_wait(editor)
    text = "\n".join(health_lines(editor))
    assert f"- OK index: {crate}: 2 files, " in text


@pytest.mark.slow
def test_checkhealth_names_the_fix_when_the_model_file_is_missing(editor, crate, tmp_path):
    missing = tmp_path / "models" / "gone.gguf"
    editor.lua(f"require('rrag').setup({{ engine = {{ llm = {{ model_path = '{missing}' }} }} }})")
    editor.nvim.command(f"edit {crate / 'src' / 'lib.rs'}")
    text = "\n".join(health_lines(editor))
    assert f"- ERROR llm.model_path: {missing}" in text
    assert "set engine.llm.model_path in require('rrag').setup() to an existing GGUF file" in text


@pytest.mark.slow
def test_checkhealth_names_the_fix_when_python_is_unusable(start_nvim, crate, tmp_path):
    editor = start_nvim()
    editor.lua("require('rrag').setup({ python = '/nonexistent/python3' })")
    text = "\n".join(health_lines_no_index(editor))
    assert "ERROR python '/nonexistent/python3' is not executable" in text
    assert "g:rrag_python" in text


def health_lines_no_index(editor) -> list[str]:
    editor.nvim.command("checkhealth rrag")
    wait_for(lambda: any("Python host" in l for l in editor.nvim.current.buffer[:]),
             what="the health report")
    return editor.nvim.current.buffer[:]


@pytest.mark.slow
def test_example_bevy_game_index_and_fresh_results_after_write(editor, tmp_path):
    """On (a copy of) the example workspace: :RragIndex, then an edit + :w reaches the index
    (how fast: bench/editor_responsiveness.py)."""
    import shutil

    from .nvim_helpers import REPO

    root = tmp_path / "bevy_game"
    shutil.copytree(REPO / "examples" / "bevy_game", root)
    editor.lua("require('rrag').setup({ debounce_ms = 50 })")
    editor.nvim.command(f"edit {root / 'src' / 'game_loop.rs'}")
    done = index_and_wait(editor)
    assert "error" not in done, done
    assert done["result"]["stats"]["files"] >= 15 and done["result"]["stats"]["items"] > 50
    editor.nvim.command("RragStatus")
    wait_for(lambda: editor.view("status", "result"), what="the status")
    assert f"files           {done['result']['stats']['files']}" in editor.float_lines("status")
    editor.nvim.command("fclose!")

    buf = editor.nvim.current.buffer
    buf.append(["", "pub fn frames_per_second_hint() -> u32 {", "    60", "}"])
    editor.nvim.command("write")

    def fresh() -> bool:
        with Engine(root) as engine:
            return any(i.name == "frames_per_second_hint"
                       for i in engine.items("src/game_loop.rs"))

    wait_for(fresh, timeout=60, interval=0.05, what="the new function in the index")
