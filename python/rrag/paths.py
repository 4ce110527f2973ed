"""Base layer: where rrag keeps its files.

The index of a workspace lives outside the indexed tree, under ``$XDG_CACHE_HOME/rrag/`` in a
folder named after the workspace root (readable name + short hash, so two checkouts with the same
name never share an index). ``RRAG_CACHE_DIR`` or ``index.db_dir`` override it. Everything is
created readable by the user only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import blake3


def cache_home() -> Path:
    explicit = os.environ.get("RRAG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rrag"


def workspace_key(root: Path) -> str:
    resolved = str(root.resolve())
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", root.resolve().name)[:40] or "root"
    return f"{slug}-{blake3.blake3(resolved.encode()).hexdigest()[:12]}"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 and return it."""
    # mkdir(parents=True) gives the parents it creates the umask's mode (0777 under umask 0):
    # create each missing level private instead (existing ones are left as they are).
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for level in reversed(missing):
        level.mkdir(exist_ok=True, mode=0o700)
        try:
            os.chmod(level, 0o700)
        except OSError:
            pass
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def index_dir(root: Path, db_dir: str = "") -> Path:
    if db_dir:
        return Path(db_dir).expanduser()
    return cache_home() / workspace_key(root)


def index_db_path(root: Path, db_dir: str = "") -> Path:
    return index_dir(root, db_dir) / "index.sqlite"


def models_dir() -> Path:
    """Models unpacked or converted from PyPI packages (shared by every workspace)."""
    explicit = os.environ.get("RRAG_MODEL_DIR")
    if explicit:
        return Path(explicit)
    base = (os.environ.get("XDG_DATA_HOME")
            or os.path.join(os.path.expanduser("~"), ".local", "share"))
    return Path(base) / "rrag" / "models"


def installed_package_dir(module: str) -> Path | None:
    """The folder of an installed package, found without importing it (the model packages
    import things we do not install, and importing is not needed to read their files)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])
