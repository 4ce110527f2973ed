"""Service layer: is the index still what is on disk? The check every request runs first.

A no-change check must cost milliseconds, so it does not walk the tree with ignore rules: it
compares what the last index run saw (``Snapshot``, kept in the store's meta table) with the
disk: the git HEAD and the branch it points to (a checkout forces a full re-index), the mtime of
every folder the scan entered (a file added, deleted or renamed changes its folder's mtime),
the manifests, ignore files and Cargo.lock (stat), and every indexed file's stored mtime and
size (stat; the indexer then hashes what differs, so a touch without a change re-parses
nothing). Measured in bench/freshness.py against a plain stat walk of the same tree.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from ..config import IndexConfig
from ..parse.workspace import Workspace
from ..store import Store
from ..store import files as files_db
from .watch import FolderWatch

META_KEY = "freshness"
LINKS_KEY = "outside_links_reported"
LOCK = "Cargo.lock"


@dataclass
class Snapshot:
    head: str = ""  # git HEAD text and the commit it names
    dirs: dict[str, int] = field(default_factory=dict)  # folder -> mtime_ns
    watched: dict[str, list[int]] = field(default_factory=dict)  # file -> [mtime_ns, size]
    at: float = 0.0  # when the index was last brought up to date (epoch seconds)
    scan: str = ""  # the scan settings it was built with (index.exclude, follow_outside_links)


@dataclass
class Verdict:
    fresh: bool
    reason: str = ""  # what the check found first, e.g. "src/lib.rs changed"
    full: bool = False  # git HEAD moved or no snapshot: the whole tree is suspect
    dependencies: bool = False  # Cargo.lock or a manifest changed: run the dependency step


def git_head(root: Path) -> str:
    """HEAD's text plus the commit its branch names ("" outside a repository): reads two small
    files, no git process."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.exists():
            break
    else:
        return ""
    try:
        git_dir = dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text().strip()
            git_dir = (folder / text.removeprefix("gitdir:").strip()).resolve()
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return ""
    if not head.startswith("ref:"):
        return head
    ref = head[4:].strip()
    common = git_dir
    try:
        common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    except OSError:
        pass
    for base in (git_dir, common):
        try:
            return f"{head} {(base / ref).read_text().strip()}"
        except OSError:
            continue
    try:
        for line in (common / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return f"{head} {line.split()[0]}"
    except OSError:
        pass
    return head


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class Freshness:
    """One per engine. ``check`` is the per-request test; ``record`` runs after an index."""

    def __init__(self, root: Path, store: Callable[[], Store],
                 cfg: IndexConfig | None = None) -> None:
        self.root = root
        self._store = store
        cfg = cfg or IndexConfig()
        self._scan = json.dumps([sorted(cfg.exclude), cfg.follow_outside_links])
        self._snapshot: Snapshot | None = None
        self._files: list[tuple[str, int, int]] | None = None  # (full path, mtime_ns, size)
        self.checked_at = 0.0  # the last check that found nothing to do (not persisted)
        self.runs = 0  # index runs recorded: the editor host embeds after a request that ran one
        # A long-lived engine (a second check in one process: the editor's) watches the
        # folders; ``_trusted``: the watch was live through a stat walk that found no change.
        self._checks = 0
        self._watch: FolderWatch | None = None
        self._trusted = False
        self._unwatchable = False

    def snapshot(self) -> Snapshot | None:
        if self._snapshot is None:
            text = self._store().meta(META_KEY)
            if not text:
                return None
            try:
                self._snapshot = Snapshot(**json.loads(text))
            except (TypeError, ValueError):
                return None
        return self._snapshot

    def check(self) -> Verdict:
        snap = self.snapshot()
        if snap is None:
            return Verdict(False, "never checked", full=True, dependencies=True)
        if git_head(self.root) != snap.head:
            return Verdict(False, "git HEAD moved", full=True, dependencies=True)
        if snap.scan != self._scan:
            return Verdict(False, "the scan settings changed", full=True)
        self._checks += 1
        if self._watch is not None:
            quiet = not self._watch.changed()  # also empties the queue before the walk
            if quiet and self._trusted:
                self.checked_at = time.time()
                return Verdict(True)
        elif self._checks >= 2 and not self._unwatchable:
            base = str(self.root) + os.sep
            self._watch = FolderWatch.start(base + rel if rel else str(self.root)
                                            for rel in snap.dirs)
            self._unwatchable = self._watch is None  # no inotify here: stat walks only
        verdict = self._walk(snap)
        self._trusted = verdict.fresh and self._watch is not None
        if verdict.fresh:
            self.checked_at = time.time()
        return verdict

    def _walk(self, snap: Snapshot) -> Verdict:
        """The stat walk: watched files, folders, then every indexed file."""
        base = str(self.root) + os.sep
        for rel, (mtime, size) in snap.watched.items():
            if _stat(base + rel) != (mtime, size):
                return Verdict(False, f"{rel} changed",
                               dependencies=rel.endswith(("Cargo.toml", LOCK)))
        for rel, mtime in snap.dirs.items():
            try:
                if os.stat(base + rel if rel else str(self.root)).st_mtime_ns != mtime:
                    # A Cargo.lock created at the root shows only as the root's mtime.
                    return Verdict(False, f"folder {rel or '.'} changed",
                                   dependencies=not rel)
            except OSError:
                return Verdict(False, f"folder {rel} vanished")
        if self._files is None:
            self._files = [(base + rel, m, s)
                           for rel, (m, s) in files_db.file_stats(self._store()).items()]
        stat = os.stat
        for full, mtime, size in self._files:  # the hot loop: ~10k stats, nothing else
            try:
                st = stat(full)
            except OSError:
                return Verdict(False, f"{full[len(base):]} vanished")
            if st.st_mtime_ns != mtime or st.st_size != size:
                return Verdict(False, f"{full[len(base):]} changed")
        return Verdict(True)

    def record(self, workspace: Workspace | None, head: str) -> None:
        """After an index run: what it saw becomes the reference of the next checks. ``head``
        is read before the run, so a checkout during the run is seen by the next check."""
        if workspace is None:
            return
        base = str(self.root) + os.sep
        watched = {rel: list(st) for rel in [*workspace.watched, LOCK]
                   if (st := _stat(base + rel)) is not None}
        snap = Snapshot(head, dict(workspace.dirs), watched, time.time(), self._scan)
        self._store().set_meta(META_KEY, json.dumps(asdict(snap), separators=(",", ":")))
        self._snapshot = snap
        self._files = None
        self._unwatch()  # the folders may differ: watched again from the next check
        self.checked_at = snap.at
        self.runs += 1

    def new_outside_links(self, workspace: Workspace | None) -> list[dict]:
        """The symlinks to outside the workspace the scan did not follow, each reported once
        (remembered in the store) rather than on every request's refresh."""
        if workspace is None or not workspace.outside_links:
            return []
        try:
            seen = set(json.loads(self._store().meta(LINKS_KEY) or "[]"))
        except ValueError:
            seen = set()
        new = [p for p in workspace.outside_links if p not in seen]
        if new:
            self._store().set_meta(LINKS_KEY, json.dumps(sorted(seen | set(new))))
        return [{"path": p, "message": "not followed: the symlink points outside the workspace "
                 "(set index.follow_outside_links to follow it)"} for p in new]

    def forget(self) -> None:
        """Another writer may have changed the store: read it again on the next check."""
        self._snapshot = None
        self._files = None
        self._unwatch()

    def _unwatch(self) -> None:
        if self._watch is not None:
            self._watch.close()
        self._watch, self._trusted = None, False

    def close(self) -> None:
        self._unwatch()

    def last_fresh(self) -> float:
        snap = self.snapshot()
        return max(self.checked_at, snap.at if snap else 0.0)
