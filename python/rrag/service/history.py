"""Service layer: when each file last changed according to git, for the recency score.

Runs ``git log`` once per HEAD (cached) when the workspace is a git repository; elsewhere, or
when git is missing or slow, returns nothing and the ranker falls back to the files' mtimes.
Uncommitted edits count as "now" so the file being worked on is the most recent one.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

MAX_COMMITS = 2000
TIMEOUT_S = 5.0


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


class GitHistory:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._head: str | None = None
        self._times: dict[str, float] = {}
        self._top: str | None = None

    def change_times(self) -> dict[str, float]:
        """Root-relative path -> unix time of its last commit (or now, when modified)."""
        if self._top is None:  # asked once: not being a repository does not change often
            top = _git(self.root, "rev-parse", "--show-toplevel")
            self._top = top.strip() if top is not None else ""
        if not self._top:
            return {}
        head = _git(self.root, "rev-parse", "HEAD")
        if head is None:
            return {}
        if head != self._head:
            self._times = self._read_log()
            self._head = head
        times = dict(self._times)
        prefix = (_git(self.root, "rev-parse", "--show-prefix") or "").strip()
        status = _git(self.root, "status", "--porcelain", "--", ".") or ""
        now = time.time()
        for line in status.splitlines():  # paths from the repository's top folder
            path = line[3:].split(" -> ")[-1].strip('"').removeprefix(prefix)
            if path.endswith(".rs"):
                times[path] = now
        return times

    def _read_log(self) -> dict[str, float]:
        out = _git(self.root, "log", f"-{MAX_COMMITS}", "--format=@%ct", "--name-only",
                   "--relative", "--", ".")
        times: dict[str, float] = {}
        stamp = 0.0
        for line in (out or "").splitlines():
            if line.startswith("@"):
                stamp = float(line[1:] or 0)
            elif line.strip() and line.strip() not in times:
                times[line.strip()] = stamp  # newest first: the first sighting is the latest
        return times
