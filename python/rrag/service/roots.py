"""Service layer: which workspace a file belongs to.

The editor hosts keep one engine per workspace root, so every buffer must map to the same root
the command line would index: the outermost ``Cargo.toml`` above the file that declares a
``[workspace]`` (a member crate belongs to its workspace), or else the nearest ``Cargo.toml``'s
folder (a lone crate). Imports only the base layer.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..errors import WorkspaceError

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
