"""How the editor feels while rrag works, measured in a real headless Neovim with the plugin:

* ``eval_while_indexing``: round trips of ``nvim_eval('1')`` while a full index of tokio (Debian's
  registry, copied to tmp) runs in the host: n, median, p95, max (the goal is p95 < 100 ms);
* ``write_to_fresh``: on a copy of examples/bevy_game, ``:w`` of a new function until the index
  (read by a separate engine) holds it: median and max over ``--writes`` saves.

Speed goals live here, not in tests (tests/nvim/test_responsiveness.py checks the behaviour).

    .venv/bin/python bench/editor_responsiveness.py [--writes 5] [--out bench/results/editor.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "tests"))

import pynvim  # noqa: E402

from nvim.nvim_helpers import Editor, nvim_binary, registry_crate, wait_for  # noqa: E402
from rrag.service.engine import Engine  # noqa: E402


def start_editor(home: Path) -> Editor:
    for name in ("data", "state", "runtime", "cache", "config"):
        (home / name).mkdir(parents=True, exist_ok=True)
    os.environ.update({"XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state"),
                       "XDG_RUNTIME_DIR": str(home / "runtime"),
                       "XDG_CACHE_HOME": str(home / "cache"),
                       "XDG_CONFIG_HOME": str(home / "config")})
    nvim = pynvim.attach("child", argv=[
        str(nvim_binary()), "--clean", "-n", "--embed", "--headless",
        "--cmd", f"set rtp^={REPO}", "--cmd", f"let g:rrag_python = '{sys.executable}'"])
    nvim.command("set columns=160 lines=50")
    return Editor(nvim)


def eval_while_indexing(editor: Editor, root: Path) -> dict:
    editor.nvim.command(f"edit {root / 'src' / 'lib.rs'}")
    editor.nvim.command("RragIndex")
    wait_for(lambda: editor.lua("return require('rrag').statusline()") != "", timeout=120,
             what="indexing to start")
    samples: list[float] = []
    while not editor.lua("return require('rrag.ui.status').last_index"):
        started = time.perf_counter()
        editor.nvim.eval("1")
        samples.append(time.perf_counter() - started)
        time.sleep(0.005)
    samples.sort()
    return {"n": len(samples), "median_ms": statistics.median(samples) * 1000,
            "p95_ms": samples[int(0.95 * (len(samples) - 1))] * 1000, "max_ms": samples[-1] * 1000}


def write_to_fresh(editor: Editor, root: Path, writes: int) -> dict:
    editor.lua("require('rrag').setup({ debounce_ms = 50 })")
    editor.nvim.command(f"edit {root / 'src' / 'game_loop.rs'}")
    editor.nvim.command("RragIndex")
    wait_for(lambda: editor.lua("return require('rrag.ui.status').last_index"), timeout=300,
             what="the first index")
    took: list[float] = []
    for k in range(writes):
        name = f"bench_hint_{k}"
        editor.nvim.current.buffer.append(["", f"pub fn {name}() -> u32 {{", "    60", "}"])
        written = time.monotonic()
        editor.nvim.command("write")

        def fresh(name: str = name) -> bool:
            with Engine(root) as engine:
                return any(i.name == name for i in engine.items("src/game_loop.rs"))

        wait_for(fresh, timeout=60, interval=0.02, what=f"{name} in the index")
        took.append(time.monotonic() - written)
    return {"writes": writes, "median_ms": statistics.median(took) * 1000,
            "max_ms": max(took) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "editor.json")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tokio = work / "tokio"
        shutil.copytree(registry_crate("tokio"), tokio)
        editor = start_editor(work / "home1")
        indexing = eval_while_indexing(editor, tokio)
        editor.nvim.command("qa!", async_=True)
        game = work / "bevy_game"
        shutil.copytree(REPO / "examples" / "bevy_game", game)
        editor = start_editor(work / "home2")
        writing = write_to_fresh(editor, game, args.writes)
        editor.nvim.command("qa!", async_=True)
    result = {"eval_while_indexing_tokio": indexing, "write_to_fresh_bevy_game": writing,
              "load": [load_before, os.getloadavg()[0]], "cores": os.cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
