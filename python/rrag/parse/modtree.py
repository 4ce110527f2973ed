"""Parse layer: the crate module tree — which module path each .rs file has.

Walks every target root through its ``mod x;`` declarations with rustc's rules: ``x.rs`` or
``x/mod.rs`` next to a mod-rs file (a crate root, a ``mod.rs``, or a file loaded by
``#[path]``), in the ``stem/`` folder for any other file; inline modules add a folder level
(their own ``#[path]`` renames it); a ``#[path]`` outside inline modules is relative to the
declaring file's folder, inside them to the inline module's folder. Each file is visited once,
so cyclic declarations end. Files no target reaches (behind ``cfg_if!``, ``include!``d,
stale) still get a module path, guessed from the nearest reachable folder or from the layout,
with ``reachable=False``.
"""

from __future__ import annotations

import posixpath
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Protocol, Sequence

from .cargo_toml import KIND_ORDER, Package, Target
from .cargo_toml import crate_name as _identifier
from .model import ModDecl


class PackagesOf(Protocol):
    """What module assignment reads of a ``workspace.Workspace`` (which imports this module)."""

    @property
    def root(self) -> Path: ...

    @property
    def packages(self) -> Sequence[Package]: ...


@dataclass(frozen=True, slots=True)
class FileModule:
    package: str
    crate: str
    module_path: str
    reachable: bool


def nearest(path: str, by_folder: dict[str, Any]) -> Any:
    """The value of the deepest folder of ``by_folder`` holding ``path`` ("" is the root);
    None if none does. Walks up the path: it costs its depth, not the number of folders."""
    folder = path
    while folder:
        folder = posixpath.dirname(folder)
        if folder in by_folder:
            return by_folder[folder]
    return None


def _child_dir(path: str, mod_rs: bool) -> str:
    """Where the ``mod x;`` files of ``path`` live: its folder for a mod-rs file (crate root,
    ``mod.rs``, a #[path] file), else the folder named after its stem."""
    folder = posixpath.dirname(path)
    return folder if mod_rs else posixpath.join(folder, posixpath.basename(path)[:-3])


def _inline_dirs(decls: list[ModDecl]) -> dict[str, str]:
    """Inline module path ("a::b") -> its folder relative to the file's child folder."""
    dirs: dict[str, str] = {"": ""}
    for decl in decls:
        if not decl.inline:
            continue
        parent = dirs.get(decl.module_rel)
        if parent is None:
            continue
        key = f"{decl.module_rel}::{decl.name}" if decl.module_rel else decl.name
        segment = decl.path_attr if decl.path_attr else _file_name(decl.name)
        dirs.setdefault(key, posixpath.join(parent, segment) if parent else segment)
    return dirs


def _file_name(name: str) -> str:
    return name[2:] if name.startswith("r#") else name


def _children(path: str, child_dir: str, decls: list[ModDecl],
              files: set[str]) -> list[tuple[ModDecl, str, bool]]:
    """(declaration, file it loads, loaded via #[path]) for each ``mod x;`` found on disk."""
    folder = posixpath.dirname(path)
    inline = _inline_dirs(decls)
    out = []
    for decl in decls:
        if decl.inline:
            continue
        sub = inline.get(decl.module_rel)
        if sub is None:
            continue
        base = posixpath.join(child_dir, sub) if sub else child_dir
        if decl.path_attr:
            anchor = base if decl.module_rel else folder
            candidates = [posixpath.normpath(posixpath.join(anchor, decl.path_attr))]
        else:
            name = _file_name(decl.name)
            candidates = [posixpath.join(base, f"{name}.rs"), posixpath.join(base, name, "mod.rs")]
        found = next((c for c in candidates if c in files), None)
        if found is not None:
            out.append((decl, found, bool(decl.path_attr)))
    return out


def _ordered_targets(pkg: Package) -> list[Target]:
    return sorted(pkg.targets, key=lambda t: KIND_ORDER.index(t.kind))


def assign_modules(ws: PackagesOf, mod_decls: dict[str, list[ModDecl]],
                   files: Iterable[str]) -> dict[str, FileModule]:
    file_list = list(files)
    file_set = set(file_list)
    out: dict[str, FileModule] = {}
    # Folder -> (package folder, package, crate, module path) of the module whose children
    # live there; orphans are guessed below the nearest such folder.
    folder_modules: dict[str, tuple[str, str, str, str]] = {}
    for pkg in ws.packages:
        for target in _ordered_targets(pkg):
            if target.root_file not in file_set or target.root_file in out:
                continue
            queue = deque([(target.root_file, target.crate, True, True)])
            while queue:
                path, module_path, via_attr, is_root = queue.popleft()
                if path in out:
                    continue
                out[path] = FileModule(pkg.name, target.crate, module_path, True)
                mod_rs = is_root or via_attr or posixpath.basename(path) == "mod.rs"
                child_dir = _child_dir(path, mod_rs)
                if target.kind != "build":  # build.rs owns no folder of modules
                    folder_modules.setdefault(
                        child_dir, (pkg.manifest_dir, pkg.name, target.crate, module_path))
                for decl, child, by_attr in _children(path, child_dir,
                                                      mod_decls.get(path, []), file_set):
                    inner = f"{module_path}::{decl.module_rel}" if decl.module_rel else module_path
                    queue.append((child, f"{inner}::{decl.name}", by_attr, False))
    by_dir = {p.manifest_dir: p for p in reversed(ws.packages)}
    fallback = _identifier(ws.root.name)
    for path in file_list:
        if path not in out:
            out[path] = _guess(path, nearest(path, by_dir), folder_modules, fallback)
    return out


def _guess(path: str, pkg: Package | None,
           folder_modules: dict[str, tuple[str, str, str, str]], fallback: str) -> FileModule:
    """An unreachable file's module path: below the nearest folder whose module is known,
    else from the layout under the package (``src/`` dropped, ``mod.rs`` is its folder)."""
    stem = path[:-3] if path.endswith(".rs") else path
    parts = stem.split("/")
    if parts[-1] == "mod":
        parts.pop()
    for cut in range(len(parts) - 1, -1, -1):
        known = folder_modules.get("/".join(parts[:cut]))
        if known is not None and (pkg is None or known[0] == pkg.manifest_dir):
            rest = [_identifier(p) for p in parts[cut:]]
            return FileModule(known[1], known[2], "::".join([known[3], *rest]), False)
    package = pkg.name if pkg is not None else fallback
    crate = pkg.crate if pkg is not None else fallback
    if pkg is not None and pkg.manifest_dir:
        parts = parts[len(pkg.manifest_dir.split("/")):]
    if parts[:1] == ["src"]:
        parts = parts[1:]
    if parts in (["lib"], ["main"]):
        parts = []
    return FileModule(package, crate, "::".join([crate, *map(_identifier, parts)]), False)
