"""Drives a real Vim 9 (Debian's vim-nox, /usr/bin/vim) headless, without X or tmux.

Vim runs as a full-screen editor in a pseudo terminal of its own (popups are really drawn; a
thread drains the screen output), and the test talks to it two ways:

* keys typed into the terminal (``keys()``), exactly what a user does;
* Vim's own JSON channel: the test vimrc ``ch_open()``s a socket this driver listens on, and
  the driver sends ``["call", "TestEval", [expr], -n]`` messages, which Vim evaluates in its
  main loop and answers. A blocked Vim would answer neither.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import socket
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
VIM = shutil.which("vim") or "/usr/bin/vim"
ROWS, COLS = 40, 150

VIMRC = r"""
set nocompatible
set runtimepath^={repo}
let g:rrag_python = '{python}'
let g:rrag_debounce_ms = 200
set shortmess+=I noswapfile nobackup nowritebackup cmdheight=2 laststatus=2 hidden
set statusline=%f\ %{{rrag#statusline()}}
{extra}
function! TestEval(expr) abort
  try
    return {{'ok': 1, 'value': eval(a:expr)}}
  catch
    return {{'ok': 0, 'error': v:exception . ' @ ' . v:throwpoint}}
  endtry
endfunction
function! TestEx(cmd) abort
  try
    return {{'ok': 1, 'value': execute(a:cmd)}}
  catch
    return {{'ok': 0, 'error': v:exception . ' @ ' . v:throwpoint}}
  endtry
endfunction
let g:test_channel = ch_open('127.0.0.1:{port}', {{'mode': 'json', 'waittime': 10000}})
"""


class VimError(AssertionError):
    pass


class Vim:
    def __init__(self, home: Path, python: str, extra: str = "") -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(30)
        port = self.server.getsockname()[1]
        home.mkdir(parents=True, exist_ok=True)
        vimrc = home / "vimrc"
        vimrc.write_text(VIMRC.format(repo=REPO, python=python, port=port, extra=extra))
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("VIMINIT", "MYVIMRC", "EXINIT")}
        # Vim gets a HOME of its own; rustup's toolchain (cargo check, std's names) stays the
        # user's, as it would be in a real session.
        for name, folder in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo")):
            if not env.get(name) and (Path.home() / folder).is_dir():
                env[name] = str(Path.home() / folder)
        env.update(HOME=str(home), TERM="xterm-256color")
        self.proc = subprocess.Popen([VIM, "-N", "-u", str(vimrc), "-i", "NONE", "-n"],
                                     stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=home, start_new_session=True, close_fds=True)
        os.close(slave)
        self.screen = bytearray()
        self._drain = threading.Thread(target=self._read_screen, daemon=True)
        self._drain.start()
        try:
            self.conn, _ = self.server.accept()
        except socket.timeout as exc:
            self.close()
            raise VimError(f"Vim did not connect; screen:\n{self.screen_text()}") from exc
        self.conn.settimeout(30)
        self._buffer = ""
        self._next = 0
        self._lock = threading.Lock()

    def _read_screen(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.screen += data
            del self.screen[:-200_000]

    def screen_text(self, tail: int = 4000) -> str:
        """What Vim drew on its terminal lately (escape sequences included)."""
        return bytes(self.screen).decode("utf-8", "replace")[-tail:]

    # -- the JSON channel -----------------------------------------------------------------------
    def _receive(self, number: int, timeout: float) -> Any:
        decoder = json.JSONDecoder()
        deadline = time.monotonic() + timeout
        while True:
            text = self._buffer.lstrip()
            while text:
                try:
                    message, end = decoder.raw_decode(text)
                except ValueError:
                    break
                text = text[end:].lstrip()
                if isinstance(message, list) and message and message[0] == number:
                    self._buffer = text
                    return message[1]
            self._buffer = text
            left = deadline - time.monotonic()
            if left <= 0:
                raise VimError(f"Vim did not answer within {timeout} s; screen:\n"
                               f"{self.screen_text()}")
            self.conn.settimeout(left)
            try:
                chunk = self.conn.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                raise VimError(f"Vim closed the channel; screen:\n{self.screen_text()}")
            self._buffer += chunk.decode("utf-8")

    def _call(self, func: str, arg: str, timeout: float) -> Any:
        with self._lock:
            self._next -= 1
            number = self._next
            self.conn.sendall(json.dumps(["call", func, [arg], number]).encode())
            reply = self._receive(number, timeout)
        if not isinstance(reply, dict) or not reply.get("ok"):
            raise VimError(f"{func}({arg!r}) failed: {reply}")
        return reply["value"]

    def eval(self, expr: str, timeout: float = 10) -> Any:
        return self._call("TestEval", expr, timeout)

    def ex(self, command: str, timeout: float = 10) -> str:
        return self._call("TestEx", command, timeout)

    # -- the terminal ---------------------------------------------------------------------------
    def keys(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        try:
            if self.proc.poll() is None and hasattr(self, "conn"):
                self.conn.sendall(json.dumps(["ex", "qa!"]).encode())
                self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for closer in (getattr(self, "conn", None), self.server):
            if closer is not None:
                closer.close()
        try:
            os.close(self.master)
        except OSError:
            pass


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "the condition",
             interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} "
                                 f"(last: {value!r})")
        time.sleep(interval)
