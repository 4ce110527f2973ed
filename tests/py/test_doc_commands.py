"""Every shell command the documentation marks as runnable works against the examples.

README.md and doc/examples.md mark a fenced ``sh`` block runnable with an HTML comment line
``<!-- runnable -->`` right above it. Each line of such a block (``\\`` continues a line,
``#`` starts a comment) runs from a scratch copy of the repository's examples with the project's
``rrag`` first on PATH and must exit 0; ``rrag ... --json`` lines must print one JSON object.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, REPO

DOCS = [REPO / "README.md", REPO / "doc" / "examples.md"]
BLOCK = re.compile(r"<!-- runnable -->\s*\n```sh\n(.*?)```", re.S)


def runnable_commands(path: Path) -> list[str]:
    commands = []
    for block in BLOCK.findall(path.read_text()):
        logical = ""
        for line in block.splitlines():
            code = line.split("  #", 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
            if code.endswith("\\"):
                logical += code[:-1] + " "
                continue
            logical += code
            if logical.strip():
                commands.append(logical.strip())
            logical = ""
    return commands


def test_the_docs_mark_commands_runnable():
    found = {p.name: runnable_commands(p) for p in DOCS}
    assert all(found.values()), f"no runnable block in {[n for n, c in found.items() if not c]}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("docs")
    shutil.copytree(REPO / "examples", work / "examples",
                    ignore=shutil.ignore_patterns("target"))
    return work


@pytest.mark.slow
@pytest.mark.parametrize("command", [c for p in DOCS for c in runnable_commands(p)])
def test_documented_command_runs(command, workdir):
    argv = shlex.split(command)
    assert argv[0] == "rrag", f"only rrag commands are marked runnable: {command}"
    # One cache for the module: commands build on the index earlier commands made.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "XDG_CACHE_HOME": str(workdir / "cache")}
    proc = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"{command}\n{proc.stderr[-2000:]}"
    if "--json" in argv:
        json.loads(proc.stdout)
