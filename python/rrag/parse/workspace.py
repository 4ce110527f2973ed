"""Parse layer: what to index — the packages of a Cargo workspace, crate or folder of crates.

``discover`` reads the root Cargo.toml: a [workspace] contributes its members (globs, minus
``exclude``), a [package] itself. Without a root manifest (or with a root package that is no
workspace) every package found below the root is indexed, nested ones included; a folder of
plain .rs files is one pseudo-crate named after the folder. A manifest that does not parse is a
``Problem`` and only its package is skipped. ``rust_files`` lists the .rs files of those packages
(each file belongs to the package of its nearest manifest); ``assign_modules`` (in
``rrag.parse.modtree``) gives each file its module path.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..errors import WorkspaceError
from .cargo_toml import Dependency, FileIndex, Package, Target, read_package
from .model import Problem
from .modtree import FileModule, assign_modules, nearest
from .scan import MANIFEST, scan, source_roots

__all__ = ["Dependency", "FileModule", "Package", "Target", "Workspace", "assign_modules",
           "discover", "rust_files"]


@dataclass(slots=True)
class Workspace:
    root: Path
    packages: list[Package] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The scan behind this snapshot: every .rs file found, and package folders that must not
    # be indexed (a broken manifest, a package outside the workspace's members).
    scanned: list[str] = field(default_factory=list)
    skipped_dirs: list[str] = field(default_factory=list)
    # What the freshness check watches (see parse.scan.ScanResult): folder mtimes, manifests
    # and ignore files; and the symlinks to outside the workspace that were not followed.
    dirs: dict[str, int] = field(default_factory=dict)
    watched: list[str] = field(default_factory=list)
    outside_links: list[str] = field(default_factory=list)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        out.append("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch))
    return re.compile("".join(out) + r"\Z")


def _norm(path: str) -> str:
    path = posixpath.normpath(path.replace("\\", "/").strip())
    return "" if path == "." else path


def _under(path: str, folder: str) -> bool:
    return not folder or path == folder or path.startswith(folder + "/")


def _load(root: Path, folder: str, problems: list[Problem]) -> dict | None:
    rel = f"{folder}/{MANIFEST}" if folder else MANIFEST
    try:
        with open(root / rel, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, f"unreadable Cargo.toml, package skipped: {exc}"))
        return None


def _members(root: Path, workspace: dict, manifest_dirs: list[str]) -> list[str]:
    members: list[str] = []
    for raw in workspace.get("members") or []:
        if not isinstance(raw, str):
            continue
        pattern = _norm(raw)
        if pattern.startswith(".."):
            continue  # outside the indexed folder
        if any(ch in pattern for ch in "*?["):
            regex = _glob_regex(pattern)
            members += [d for d in manifest_dirs if d and regex.match(d)]
        elif (root / pattern / MANIFEST).is_file():
            members.append(pattern)
    excluded = [_norm(e) for e in workspace.get("exclude") or [] if isinstance(e, str)]
    return sorted({m for m in members if not any(_under(m, e) for e in excluded)})


def discover(root: Path, extra_ignores: Iterable[str] = (),
             follow_outside_links: bool = False) -> Workspace:
    """``extra_ignores``: gitignore-style patterns to skip on top of .gitignore
    (``index.exclude`` of the configuration); ``follow_outside_links``: follow symlinks to
    anywhere (``index.follow_outside_links``), not only into the root and dependency sources."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise WorkspaceError(f"rrag: {root} is not a folder",
                             "point --root at a Cargo workspace, a crate or a folder of crates")
    found = scan(root, extra_ignores, source_roots(root), follow_outside_links)
    ws = Workspace(root=root, scanned=found.rust_files, dirs=found.dirs, watched=found.watched,
                   outside_links=found.outside_links)
    files = FileIndex(found.rust_files)
    manifests: dict[str, dict | None] = {}
    root_manifest = _load(root, "", ws.problems) if "" in found.manifest_dirs else None
    workspace = root_manifest.get("workspace") if root_manifest else None
    if isinstance(workspace, dict):
        folders = ([""] if "package" in root_manifest else []) + \
            _members(root, workspace, found.manifest_dirs)
        # Packages below the root that are not members stay out, files and all.
        ws.skipped_dirs += [d for d in found.manifest_dirs if d and d not in folders]
        manifests[""] = root_manifest
    else:
        workspace = {}
        folders = [d for d in found.manifest_dirs if d or root_manifest is not None]
        if root_manifest is not None:
            manifests[""] = root_manifest
        elif "" in found.manifest_dirs:
            ws.skipped_dirs.append("")
            folders = [d for d in folders if d]
    for folder in folders:
        manifest = manifests[folder] if folder in manifests else _load(root, folder, ws.problems)
        if manifest is None or "package" not in manifest:
            if manifest is None:
                ws.skipped_dirs.append(folder)
            continue  # a virtual manifest: its members are found by the scan
        try:
            ws.packages.append(read_package(manifest, folder, workspace, files))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            rel = f"{folder}/{MANIFEST}" if folder else MANIFEST
            ws.problems.append(Problem(rel, f"invalid Cargo.toml, package skipped: {exc}"))
            ws.skipped_dirs.append(folder)
    ws.skipped_dirs = [d for d in ws.skipped_dirs if d not in {p.manifest_dir for p in ws.packages}]
    if not ws.packages and not found.manifest_dirs and found.rust_files:
        ws.packages.append(_pseudo_crate(root, files))
    if not ws.packages:
        detail = f": {ws.problems[0].path}: {ws.problems[0].message}" if ws.problems else ""
        raise WorkspaceError(f"rrag: no Rust package or .rs file to index in {root}{detail}",
                             "point --root at a Cargo workspace, a crate or a folder of crates")
    return ws


def _pseudo_crate(root: Path, files: FileIndex) -> Package:
    """A folder of .rs files without Cargo.toml: one crate named after the folder."""
    pkg = Package(name=root.name, version="", manifest_dir="")
    for lib in ("src/lib.rs", "lib.rs"):
        if files.has(lib):
            pkg.targets.append(Target(root.name, "lib", lib))
            break
    for main in ("src/main.rs", "main.rs"):
        if files.has(main):
            pkg.targets.append(Target(root.name, "bin", main))
            break
    return pkg


def rust_files(ws: Workspace) -> list[str]:
    """The .rs files of the workspace's packages: sorted, relative, '/' separators."""
    indexed = {d: False for d in ws.skipped_dirs}
    indexed.update((p.manifest_dir, True) for p in ws.packages)
    return [path for path in ws.scanned if nearest(path, indexed)]

