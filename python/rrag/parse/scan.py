"""Parse layer: one walk of the workspace folder -> its .rs files and Cargo.toml manifests.

Skips hidden entries, Cargo build directories and whatever .gitignore / .git/info/exclude
ignore. Symlinked directories are followed once: every directory's real path is remembered, so
a link back up the tree (``src/loop -> ..``) cannot loop. A non-directory entry named ``*.rs``
is listed even when it is not a regular file (a FIFO, a dangling link is not): the parse step
reports it by path instead of it silently vanishing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .ignore import RuleSet, is_ignored, load, outer_rulesets, parse_rules

MANIFEST = "Cargo.toml"


@dataclass(slots=True)
class ScanResult:
    rust_files: list[str] = field(default_factory=list)  # sorted, relative, '/' separators
    manifest_dirs: list[str] = field(default_factory=list)  # "" for the root


def _is_build_dir(path: str, name: str, parent_has_manifest: bool, at_root: bool) -> bool:
    """Cargo's ``target`` directory, but not a source module that happens to be named so."""
    if name != "target":
        return False
    return parent_has_manifest or at_root or os.path.exists(os.path.join(path, "CACHEDIR.TAG"))


def scan(root: Path, extra_ignores: Iterable[str] = ()) -> ScanResult:
    """``extra_ignores``: more gitignore-style patterns, relative to the root (config)."""
    result = ScanResult()
    base_rules = outer_rulesets(root)
    extra = parse_rules("\n".join(extra_ignores))
    if extra:
        base_rules += (RuleSet("", "", extra),)
    seen_dirs: set[str] = {os.path.realpath(root)}
    # Stack of (absolute dir, relative dir, rule sets in force there).
    stack: list[tuple[str, str, tuple[RuleSet, ...]]] = [(str(root), "", base_rules)]
    while stack:
        path, rel, rules = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable directory: nothing we can index there
        names = {e.name for e in entries}
        if ".gitignore" in names:
            own = load(Path(path) / ".gitignore", rel)
            if own is not None:
                rules = rules + (own,)
        has_manifest = MANIFEST in names
        if has_manifest:
            result.manifest_dirs.append(rel)
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            child_rel = f"{rel}/{name}" if rel else name
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if _is_build_dir(entry.path, name, has_manifest, not rel):
                    continue
                if rules and is_ignored(rules, child_rel, True):
                    continue
                real = os.path.realpath(entry.path)
                if real in seen_dirs:
                    continue
                seen_dirs.add(real)
                subdirs.append((entry.path, child_rel))
            elif name.endswith(".rs"):
                if entry.is_symlink() and not os.path.exists(entry.path):
                    continue
                if rules and is_ignored(rules, child_rel, False):
                    continue
                result.rust_files.append(child_rel)
        for sub in reversed(subdirs):
            stack.append((sub[0], sub[1], rules))
    result.rust_files.sort()
    result.manifest_dirs.sort()
    return result
