"""The baselines bench/context_quality.py compares rrag's context with: aider's repo map (served
by bench/aider_runner.py in .venv-aider, counting tokens in rrag's tokenizer through a pipe) and
the cursor's file alone; and how a map's text is scored (definition lines under file headings).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
AIDER_PY = REPO / ".venv-aider" / "bin" / "python"


def definition_line(lines: list[str], name: str, start: int, end: int) -> str:
    """The first line of an item's span naming it (aider shows definition lines)."""
    word = re.compile(r"\b" + re.escape(name.split("::")[-1]) + r"\b")
    code = [lines[no - 1].strip() for no in range(start, min(end, len(lines)) + 1)
            if not lines[no - 1].strip().startswith(("//", "#[", "#!["))]
    for text in code:
        if word.search(text):
            return text
    return code[0] if code else lines[start - 1].strip()


def map_present(text: str, task: Any, file_lines: dict[str, list[str]]) -> int:
    """Definitions whose definition line the map shows under the right file heading."""
    shown: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        if line and not line.startswith(("│", "⋮", " ")) and line.rstrip().endswith(":"):
            current = line.rstrip()[:-1]
            shown.setdefault(current, set())
        elif current is not None and line.startswith("│"):
            shown[current].add(line[1:].strip())
    found = 0
    for path, name, start, end in task.targets.values():
        if definition_line(file_lines[path], name, start, end) in shown.get(path, set()):
            found += 1
    return found


class Aider:
    def __init__(self, count) -> None:
        self.count = count
        self.proc = subprocess.Popen([str(AIDER_PY), str(REPO / "bench" / "aider_runner.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     stderr=subprocess.DEVNULL)

    def repo_map(self, root: Path, chat: str, others: list[str], budget: int) -> tuple[str, float]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"root": str(root), "chat": chat, "others": others,
                                          "budget": budget}) + "\n")
        self.proc.stdin.flush()
        while True:
            reply = json.loads(self.proc.stdout.readline())
            if "count" in reply:
                self.proc.stdin.write(json.dumps({"n": self.count([reply["count"]])[0]}) + "\n")
                self.proc.stdin.flush()
            else:
                return reply["map"], reply["seconds"]

    def close(self) -> None:
        self.proc.kill()


def same_file_window(text: str, line: int, budget: int, count) -> str:
    """The file's lines around the cursor, grown outwards while the budget allows."""
    lines = text.splitlines()
    lo = hi = line - 1
    step = 8
    while True:
        nlo, nhi = max(0, lo - step), min(len(lines), hi + step)
        if (nlo, nhi) == (lo, hi) or count(["\n".join(lines[nlo:nhi])])[0] > budget:
            return "\n".join(lines[lo:hi])
        lo, hi = nlo, nhi
