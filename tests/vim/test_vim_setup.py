"""The Vim 9 front end loads in a real Vim, finds its host, and never needs +python3."""

from __future__ import annotations

import re
import subprocess

from .vim_driver import REPO, VIM, wait_for

COMMANDS = ("RragAsk", "RragExplain", "RragRefactor", "RragIndex", "RragStatus", "RragCancel",
            "RragSources", "RragAccept", "RragReject")


def test_plugin_defines_the_commands(vim):
    assert vim.eval("v:version") >= 900
    assert vim.eval("get(g:, 'loaded_rrag', 0)") == 1
    for name in COMMANDS:
        assert vim.eval(f"exists(':{name}')") == 2, name
    assert vim.eval("exists('#rrag#BufWritePost#*.rs')") == 1


def test_host_discovery(start_vim):
    vim = start_vim(python="")  # g:rrag_python empty: the checkout's own virtualenv
    assert vim.eval("rrag#channel#python()") == str(REPO / ".venv" / "bin" / "python")
    vim.ex("let g:rrag_python = '/nonexistent/python'")
    vim.ex("RragStatus")
    messages = vim.eval("rrag#state().messages")
    assert any("Python interpreter '/nonexistent/python' not found" in m for m in messages)
    assert vim.eval("rrag#state().channel.running") == 0


def test_a_host_that_exits_fails_the_request_with_its_stderr(start_vim, tmp_path):
    broken = tmp_path / "broken-python"
    broken.write_text("#!/bin/sh\necho 'No module named rrag' >&2\nexit 3\n")
    broken.chmod(0o755)
    vim = start_vim(python=str(broken))
    vim.ex("RragStatus")
    wait_for(lambda: vim.eval("rrag#state().status.done"), timeout=10, what="the failure")
    error = vim.eval("rrag#state().status.error.text")
    assert error.startswith("rrag: the Python host exited (code 3): No module named rrag")
    assert str(broken) in error and "g:rrag_python" in error
    assert vim.eval("rrag#state().channel.running") == 0


def test_the_front_end_never_uses_the_python_interface():
    """Vim is talked to only through job_start and a channel, so a Vim without +python3 works."""
    sources = [REPO / "plugin" / "rrag.vim", *sorted((REPO / "autoload").rglob("*.vim"))]
    assert len(sources) >= 4
    pattern = re.compile(r"^\s*(py3|python3|pyx|pythonx|py|python)(do|file)?\b|py3eval|pyxeval",
                         re.M)
    for path in sources:
        assert not pattern.search(path.read_text()), path
    assert "job_start" in (REPO / "autoload" / "rrag" / "channel.vim").read_text()


def test_neovim_skips_the_vim_plugin():
    first = (REPO / "plugin" / "rrag.vim").read_text().splitlines()
    code = [l for l in first if l.strip() and not l.lstrip().startswith('"')]
    assert code[0].strip() == "if has('nvim')" and code[1].strip() == "finish"


def test_scripts_parse_in_vim(tmp_path):
    """Every autoload script loads without an error in Vim itself (ex mode, no terminal)."""
    out = tmp_path / "out.txt"
    script = tmp_path / "load.vim"
    script.write_text(
        f"set rtp^={REPO}\nruntime plugin/rrag.vim\n"
        "let errors = []\n"
        "for f in ['rrag#state', 'rrag#channel#python', 'rrag#popup#valid', 'rrag#util#split']\n"
        "  try | call call(f, f ==# 'rrag#popup#valid' ? [0] : "
        "f ==# 'rrag#util#split' ? ['a'] : [])"
        " | catch | call add(errors, f . ': ' . v:exception) | endtry\n"
        "endfor\n"
        f"call writefile(errors + ['done'], '{out}')\nqa!\n")
    subprocess.run([VIM, "-N", "-u", "NONE", "-i", "NONE", "-n", "-es", "-S", str(script)],
                   timeout=30, check=False, capture_output=True)
    assert out.read_text().splitlines() == ["done"]


def test_help_documents_the_vim_commands_and_options(vim, tmp_path):
    text = (REPO / "doc" / "rrag.txt").read_text()
    for name in COMMANDS:
        assert f"*:{name}*" in text, f":{name} is not documented"
    sources = "\n".join(p.read_text() for p in [REPO / "plugin" / "rrag.vim",
                                                 *(REPO / "autoload").rglob("*.vim")])
    options = set(re.findall(r"\bg:rrag_(\w+)", sources)) - {"loaded_rrag"}
    options |= set(re.findall(r"get\(g:, '(rrag_\w+)'", sources))
    options = {o.removeprefix("rrag_") for o in options}
    assert {"python", "engine", "auto_index", "debounce_ms"} <= options
    for option in options:
        assert f"g:rrag_{option}" in text, f"g:rrag_{option} is not documented"
    assert "*rrag-vim*" in text and "rrag-vim" in (REPO / "README.md").read_text()
    docdir = tmp_path / "rt" / "doc"
    docdir.mkdir(parents=True)
    (docdir / "rrag.txt").write_text(text)
    vim.ex(f"set rtp^={tmp_path / 'rt'}")
    vim.ex(f"helptags {docdir}")
    vim.ex("help rrag-vim")
    assert vim.eval("expand('%:t')") == "rrag.txt"
    assert "*rrag-vim*" in vim.eval("getline('.')")


def test_saving_in_a_project_never_indexed_does_not_index_it(vim, workspace):
    vim.ex(f"edit {workspace / 'src' / 'bits.rs'}")
    vim.ex("silent write")
    done = wait_for(lambda: vim.eval("rrag#state().index"), timeout=30, what="the re-index")
    assert done["kind"] == "reindex" and done["result"]["skipped"] == "not indexed yet"
    assert done["summary"] == "rrag: re-index skipped: not indexed yet"
    assert not [m for m in vim.eval("rrag#state().messages") if "error" in m], \
        vim.eval("rrag#state().messages")
    assert vim.eval("rrag#statusline()") == ""


def test_requests_carry_the_text_of_modified_rust_buffers_once_per_change(vim, workspace):
    """The Vim half of bridge/buffers.py's protocol: every modified Rust buffer as {path,
    tick}, its text only when its changedtick moved since the last send."""
    path = str(workspace / "src" / "bits.rs")
    vim.ex(f"edit {path}")
    assert vim.eval("rrag#buffers#collect()") == []
    vim.ex("call append(line('$'), '// typed one')")
    first = vim.eval("rrag#buffers#collect()")
    assert [(e["path"], e["text"].endswith("// typed one\n")) for e in first] == [(path, True)]
    assert vim.eval("rrag#buffers#collect()") == [{"path": path, "tick": first[0]["tick"]}]
    vim.ex("call append(line('$'), '// typed two')")
    assert vim.eval("rrag#buffers#collect()")[0]["text"].endswith("// typed two\n")
    vim.ex("call rrag#buffers#reset()")  # a new host: the text goes again
    assert "text" in vim.eval("rrag#buffers#collect()")[0]
    vim.ex("silent write")
    assert vim.eval("rrag#buffers#collect()") == []
