"""Parse layer: one walk of the workspace folder -> its .rs files and Cargo.toml manifests.

Skips hidden entries, Cargo build directories and whatever .gitignore / .git/info/exclude
ignore. Symlinked directories are followed once: every directory's real path is remembered, so
a link back up the tree (``src/loop -> ..``) cannot loop. A symlink whose target lies outside
the root (and outside ``allowed`` folders: the dependency sources) is not followed unless
``follow_outside``: a cloned repository must not pull the user's other files into a prompt; each
such link is listed in ``outside_links``. A non-directory entry named ``*.rs`` is listed even
when it is not a regular file (a FIFO, a dangling link is not): the parse step reports it by
path instead of it silently vanishing.

The result also records what a later change check needs: each entered folder's mtime (taken
before it is listed, so a change made during the scan still shows) and the manifests and
ignore files found (``watched``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .ignore import RuleSet, is_ignored, load, outer_rulesets, parse_rules

MANIFEST = "Cargo.toml"


@dataclass(slots=True)
class ScanResult:
    rust_files: list[str] = field(default_factory=list)  # sorted, relative, '/' separators
    manifest_dirs: list[str] = field(default_factory=list)  # "" for the root
    dirs: dict[str, int] = field(default_factory=dict)  # folder entered -> its mtime_ns
    watched: list[str] = field(default_factory=list)  # Cargo.toml and .gitignore files found
    outside_links: list[str] = field(default_factory=list)  # symlinks not followed (outside)


def _is_build_dir(path: str, name: str, parent_has_manifest: bool, at_root: bool) -> bool:
    """Cargo's ``target`` directory, but not a source module that happens to be named so."""
    if name != "target":
        return False
    return parent_has_manifest or at_root or os.path.exists(os.path.join(path, "CACHEDIR.TAG"))


def _within(real: str, folders: tuple[str, ...]) -> bool:
    return any(real == f or real.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def scan(root: Path, extra_ignores: Iterable[str] = (), allowed: Iterable[Path] = (),
         follow_outside: bool = False) -> ScanResult:
    """``extra_ignores``: more gitignore-style patterns, relative to the root (config);
    ``allowed``: folders outside the root a symlink may point into."""
    result = ScanResult()
    inside = (os.path.realpath(root), *(os.path.realpath(a) for a in allowed))
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
            result.dirs[rel] = os.stat(path).st_mtime_ns
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable directory: nothing we can index there
        names = {e.name for e in entries}
        if ".gitignore" in names:
            own = load(Path(path) / ".gitignore", rel)
            result.watched.append(f"{rel}/.gitignore" if rel else ".gitignore")
            if own is not None:
                rules = rules + (own,)
        has_manifest = MANIFEST in names
        if has_manifest:
            result.manifest_dirs.append(rel)
            result.watched.append(f"{rel}/{MANIFEST}" if rel else MANIFEST)
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            child_rel = f"{rel}/{name}" if rel else name
            try:
                is_dir = entry.is_dir()
                link = entry.is_symlink()
            except OSError:
                continue
            if link and not follow_outside and (is_dir or name.endswith(".rs")) \
                    and os.path.exists(entry.path) \
                    and not _within(os.path.realpath(entry.path), inside):
                if not (rules and is_ignored(rules, child_rel, is_dir)):
                    result.outside_links.append(child_rel)
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


# -- where dependency sources live (a workspace symlink may point there) ---------------------
def read_toml(path: Path) -> dict:
    """A TOML file's table; {} when it is missing or unreadable (cargo reports those)."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def cargo_home() -> Path:
    return Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")


def source_roots(root: Path) -> list[Path]:
    """Folders holding dependency sources a workspace symlink may point into: the registry
    cache, git checkouts, Debian's registry, and the cargo configs' directory sources."""
    home = cargo_home()
    return [home / "registry", home / "git", Path("/usr/share/cargo/registry"),
            *directory_sources(root)]


def directory_sources(root: Path) -> list[Path]:
    """``[source.X] directory = ...`` of every cargo config that applies to ``root``."""
    configs: list[Path] = []
    for folder in [root, *root.parents]:
        configs += [folder / ".cargo" / "config.toml", folder / ".cargo" / "config"]
    configs += [cargo_home() / "config.toml", cargo_home() / "config"]
    out: list[Path] = []
    for config in configs:
        for source in (read_toml(config).get("source") or {}).values():
            directory = source.get("directory") if isinstance(source, dict) else None
            if isinstance(directory, str):
                # Relative paths in a config are relative to the folder holding `.cargo/`.
                path = (config.parent.parent / directory).resolve()
                if path not in out:
                    out.append(path)
    return out
