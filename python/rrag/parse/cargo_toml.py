"""Parse layer: one Cargo.toml -> a ``Package`` with its targets and dependencies.

Targets follow Cargo's auto-discovery (src/lib.rs, src/main.rs, src/bin/*.rs,
src/bin/*/main.rs, tests/, examples/, benches/ and build.rs) plus the explicit [lib], [[bin]],
[[test]], [[example]] and [[bench]] tables, which win over a discovered target of the same name.
Fields inherited from the workspace (``version.workspace = true``) are looked up in the root
manifest's [workspace.package] / [workspace.dependencies].
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Callable

AUTO_DIRS = {"bin": "src/bin", "example": "examples", "test": "tests", "bench": "benches"}
TABLES = {"bin": "bin", "example": "example", "test": "test", "bench": "bench"}
AUTO_FLAGS = {"bin": "autobins", "example": "autoexamples", "test": "autotests",
              "bench": "autobenches"}
# The order in which targets claim files reachable from several of them: the lib first.
KIND_ORDER = ("lib", "bin", "example", "test", "bench", "build")
DEP_TABLES = {"dependencies": "normal", "dev-dependencies": "dev", "dev_dependencies": "dev",
              "build-dependencies": "build", "build_dependencies": "build"}


_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")


def crate_name(name: str) -> str:
    """A package or target name as the crate identifier rustc uses (``my-app`` -> ``my_app``;
    a pseudo-crate named after a folder may hold anything else too)."""
    ident = _NOT_IDENT.sub("_", name) or "crate"
    return f"_{ident}" if ident[0].isdigit() else ident


@dataclass(slots=True)
class Target:
    name: str
    kind: str  # lib, bin, test, example, bench, build
    root_file: str  # relative to the workspace root, '/' separators

    @property
    def crate(self) -> str:
        return "build_script_build" if self.kind == "build" else crate_name(self.name)


@dataclass(slots=True)
class Dependency:
    name: str  # the name used in code (the table key), as written
    req: str = ""  # version requirement, "" for path/git-only dependencies
    package: str = ""  # the real package name when renamed (``package = "..."``)
    path: str = ""  # as written in the manifest, relative to the manifest's directory
    kind: str = "normal"  # normal, dev, build


@dataclass(slots=True)
class Package:
    name: str
    version: str
    manifest_dir: str  # relative to the workspace root; "" for the root
    targets: list[Target] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    edition: str = "2015"

    @property
    def lib(self) -> Target | None:
        return next((t for t in self.targets if t.kind == "lib"), None)

    @property
    def crate(self) -> str:
        """The crate other packages use: the lib's, else the package name as an identifier."""
        lib = self.lib
        return lib.crate if lib is not None else crate_name(self.name)


def _inherited(value: Any, key: str, workspace: dict) -> Any:
    if isinstance(value, dict) and value.get("workspace") is True:
        return workspace.get("package", {}).get(key)
    return value


def _dependencies(manifest: dict, workspace: dict) -> list[Dependency]:
    tables: list[tuple[str, dict]] = [(k, manifest.get(k)) for k in DEP_TABLES]
    for spec in (manifest.get("target") or {}).values():
        if isinstance(spec, dict):
            tables += [(k, spec.get(k)) for k in DEP_TABLES]
    shared = workspace.get("dependencies") or {}
    out: list[Dependency] = []
    for table_name, table in tables:
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            if isinstance(spec, dict) and spec.get("workspace") is True:
                base = shared.get(name, {})
                base = {"version": base} if isinstance(base, str) else dict(base)
                spec = {**base, **{k: v for k, v in spec.items() if k != "workspace"}}
            if isinstance(spec, str):
                spec = {"version": spec}
            if not isinstance(spec, dict):
                continue
            out.append(Dependency(name=name, req=str(spec.get("version", "")),
                                  package=str(spec.get("package", "")),
                                  path=str(spec.get("path", "")),
                                  kind=DEP_TABLES[table_name]))
    return out


def read_package(manifest: dict, manifest_dir: str, workspace: dict,
                 files: FileIndex) -> Package:
    """``workspace``: the root manifest's [workspace] table (inherited fields), or {}."""
    has_file = files.has
    package = manifest["package"]
    if not isinstance(package, dict) or not isinstance(package.get("name"), str):
        raise ValueError("[package] has no name")
    name = package["name"]
    version = _inherited(package.get("version", ""), "version", workspace)
    edition = _inherited(package.get("edition", "2015"), "edition", workspace)
    pkg = Package(name=name, version=str(version or ""), manifest_dir=manifest_dir,
                  edition=str(edition or "2015"),
                  dependencies=_dependencies(manifest, workspace))

    def rel(path: str) -> str:
        joined = posixpath.join(manifest_dir, path.replace("\\", "/")) if manifest_dir else path
        return posixpath.normpath(joined)

    lib = manifest.get("lib")
    lib = lib if isinstance(lib, dict) else None
    lib_path = (lib or {}).get("path") or ("src/lib.rs" if has_file(rel("src/lib.rs")) else None)
    if lib_path and (lib is not None or has_file(rel(lib_path))):
        pkg.targets.append(Target(str((lib or {}).get("name") or name), "lib", rel(lib_path)))
    for kind in ("bin", "example", "test", "bench"):
        pkg.targets += _targets_of(kind, manifest, name, rel, files)
    build = package.get("build")
    if isinstance(build, str):
        pkg.targets.append(Target("build-script-build", "build", rel(build)))
    elif build is None and has_file(rel("build.rs")):
        pkg.targets.append(Target("build-script-build", "build", rel("build.rs")))
    return pkg


def _targets_of(kind: str, manifest: dict, package_name: str, rel: Callable[[str], str],
                files: FileIndex) -> list[Target]:
    folder = AUTO_DIRS[kind]
    has_file = files.has
    explicit: list[Target] = []
    for entry in manifest.get(TABLES[kind]) or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        tname = entry["name"]
        path = entry.get("path")
        if not isinstance(path, str):
            candidates = [f"{folder}/{tname}.rs", f"{folder}/{tname}/main.rs"]
            if kind == "bin" and tname == package_name:
                candidates.insert(0, "src/main.rs")
            path = next((c for c in candidates if has_file(rel(c))), candidates[0])
        explicit.append(Target(tname, kind, rel(path)))
    auto_on = (manifest.get("package") or {}).get(AUTO_FLAGS[kind], True) is not False
    found: list[Target] = []
    if auto_on:
        if kind == "bin" and has_file(rel("src/main.rs")):
            found.append(Target(package_name, "bin", rel("src/main.rs")))
        found += _discovered(kind, folder, rel, files)
    taken_names = {t.name for t in explicit}
    taken_files = {t.root_file for t in explicit}
    return explicit + [t for t in found
                       if t.name not in taken_names and t.root_file not in taken_files]


class FileIndex:
    """The scanned .rs files, for target discovery: membership and a folder's candidates."""

    def __init__(self, files: list[str]) -> None:
        self.files = set(files)
        self._children: dict[str, list[str]] = {}
        for f in files:
            folder, base = posixpath.split(f)
            self._children.setdefault(folder, []).append(base)
            if base == "main.rs" and folder:
                parent, sub = posixpath.split(folder)
                self._children.setdefault(parent, []).append(f"{sub}/main.rs")

    def has(self, rel: str) -> bool:
        return rel in self.files

    def children(self, folder: str) -> list[str]:
        """``x.rs`` and ``x/main.rs`` entries of ``folder`` (relative to it)."""
        return self._children.get(folder, [])


def _discovered(kind: str, folder: str, rel: Callable[[str], str],
                files: FileIndex) -> list[Target]:
    """``folder/*.rs`` and ``folder/*/main.rs``."""
    out: list[Target] = []
    for child in files.children(rel(folder)):
        if child.endswith(".rs") and "/" not in child:
            out.append(Target(child[:-3], kind, rel(f"{folder}/{child}")))
        elif child.endswith("/main.rs"):
            out.append(Target(child.split("/")[0], kind, rel(f"{folder}/{child}")))
    return sorted(out, key=lambda t: t.name)
