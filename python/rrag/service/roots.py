"""Service layer: which workspace a file belongs to.

The editor hosts keep one engine per workspace root, so every buffer must map to the same root
the command line would index: the outermost ``Cargo.toml`` above the file that declares a
``[workspace]`` (a member crate belongs to its workspace), or else the nearest ``Cargo.toml``'s
folder (a lone crate). ``store_path`` maps a file to the path its index knows it by: relative
to the root, or the internal path of an imported dependency's file.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..errors import NotFound, WorkspaceError
from ..store import Store
from ..store import deps as deps_db

_WORKSPACE_TABLE = re.compile(r"^\s*\[\s*workspace(\s*\]|\.)", re.MULTILINE)


def declares_workspace(manifest: Path) -> bool:
    """True when ``manifest`` has a ``[workspace]`` table (or any ``workspace.*`` table)."""
    try:
        text = manifest.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    try:
        return "workspace" in tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # A manifest being edited may not parse; the header line is still a good signal.
        return bool(_WORKSPACE_TABLE.search(text))


def find_root(path: Path | str) -> Path:
    """The workspace root of ``path`` (a file or folder), resolved and absolute."""
    start = Path(path).expanduser().resolve()
    folder = start if start.is_dir() else start.parent
    nearest: Path | None = None
    outermost_workspace: Path | None = None
    for candidate in (folder, *folder.parents):
        manifest = candidate / "Cargo.toml"
        if not manifest.is_file():
            continue
        if nearest is None:
            nearest = candidate
        if declares_workspace(manifest):
            outermost_workspace = candidate
    root = outermost_workspace or nearest
    if root is None:
        raise WorkspaceError(f"no Cargo.toml in {folder} or above it",
                             "open a file inside a Rust crate, or :cd to one")
    return root


def store_path(root: Path, store: Store | None, path: str, strict: bool = True) -> str:
    """``path`` (relative to ``root`` or absolute) as the index knows it: root-relative, or for
    a file inside an imported dependency's folder (a buffer opened from a jump or by the
    language server) that file's internal path. Outside both: NotFound, or "" if not strict."""
    if Path(path).is_absolute() and store is not None:
        internal = deps_db.internal_path(store, Path(path).resolve())
        if internal is not None:
            return internal
    rel = _inside(root, path)
    if rel is None:
        if not strict:
            return ""
        raise NotFound(f"{path} is not in the workspace {root} nor in one of its dependencies",
                       "open a file of this workspace, or pass --root of the one that holds it")
    return rel


def _inside(root: Path, path: str) -> str | None:
    """``path`` (relative to the root, or absolute) relative to the root; None outside it."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(root)
        except ValueError:
            return None
    rel = p.as_posix().removeprefix("./")
    return None if rel == ".." or rel.startswith("../") else rel

