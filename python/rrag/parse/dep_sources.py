"""Parse layer: where the source of each package ``Cargo.lock`` locks lives on this machine.

Looked up offline, in cargo's own order of places: ``vendor/`` folders, directory sources from
``.cargo/config.toml`` (the workspace's and its parents', then ``$CARGO_HOME``'s; Debian's
``/usr/share/cargo/registry`` is one), the registry cache
``$CARGO_HOME/registry/src/*/NAME-VERSION``, git checkouts under ``$CARGO_HOME/git/checkouts``
and path dependencies. A folder counts only if its Cargo.toml names the locked package and
version. What cannot be found is returned as ``Missing``, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .scan import cargo_home, directory_sources, read_toml
from .workspace import Workspace


@dataclass(frozen=True, slots=True)
class LockedPackage:
    name: str
    version: str
    source: str  # "registry+...", "git+URL#rev", "" for path dependencies and members


@dataclass(frozen=True, slots=True)
class DepSource:
    name: str
    version: str
    folder: Path  # the crate root (holds its Cargo.toml)
    origin: str  # vendor, directory, registry, git, path
    role: str = "direct"  # direct, transitive, build (see parse.dep_closure)
    features: tuple[str, ...] | None = None  # enabled features; None: not known


@dataclass(frozen=True, slots=True)
class Missing:
    name: str
    version: str
    message: str


def locked_packages(root: Path) -> list[LockedPackage]:
    out: list[LockedPackage] = []
    for pkg in read_toml(root / "Cargo.lock").get("package") or []:
        if isinstance(pkg, dict) and isinstance(pkg.get("name"), str):
            out.append(LockedPackage(pkg["name"], str(pkg.get("version", "")),
                                     str(pkg.get("source") or "")))
    return out


def _package_of(folder: Path) -> tuple[str, str] | None:
    pkg = read_toml(folder / "Cargo.toml").get("package")
    if not isinstance(pkg, dict):
        return None
    return str(pkg.get("name", "")), str(pkg.get("version", ""))


def _matches(folder: Path, name: str, version: str) -> bool:
    return folder.is_dir() and _package_of(folder) == (name, version)


def _path_dependencies(workspace: Workspace) -> dict[str, Path]:
    """Package name -> folder of every path dependency reachable from the workspace's
    manifests (path dependencies of path dependencies included)."""
    found: dict[str, Path] = {}
    todo = [(workspace.root / p.manifest_dir, dep.path)
            for p in workspace.packages for dep in p.dependencies if dep.path]
    while todo:
        base, rel = todo.pop()
        folder = (base / rel).resolve()
        package = _package_of(folder)
        if package is None or package[0] in found:
            continue
        found[package[0]] = folder
        for table in ("dependencies", "dev-dependencies", "build-dependencies"):
            for spec in (read_toml(folder / "Cargo.toml").get(table) or {}).values():
                if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                    todo.append((folder, spec["path"]))
    return found


def _git_checkout(name: str, version: str, source: str) -> Path | None:
    rev = source.rsplit("#", 1)[-1] if "#" in source else ""
    repo = source.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    for checkout in sorted((cargo_home() / "git" / "checkouts").glob(f"{repo}-*/*")):
        if rev and not rev.startswith(checkout.name):
            continue
        for manifest in [checkout / "Cargo.toml", *checkout.glob("*/Cargo.toml"),
                         *checkout.glob("*/*/Cargo.toml")]:
            if _matches(manifest.parent, name, version):
                return manifest.parent
    return None


def origin_of(folder: Path, source: str, root: Path) -> str:
    """How cargo got a package whose folder it told us (``cargo metadata``)."""
    if not source:
        return "path"
    if source.startswith("git+"):
        return "git"
    if folder.parent == (root / "vendor").resolve() or folder.parent.name == "vendor":
        return "vendor"
    if any(folder.parent == d for d in directory_sources(root)):
        return "directory"
    return "registry"


def finder(workspace: Workspace):
    """``find(name, version, source) -> folder or None``, looking where cargo would."""
    root = workspace.root
    directories = directory_sources(root)
    vendors = [root / "vendor", *(d for d in directories if d.name == "vendor")]
    registries = sorted((cargo_home() / "registry" / "src").glob("*"))
    paths = _path_dependencies(workspace)
    places = [("vendor", d) for d in vendors] + \
        [("directory", d) for d in directories] + [("registry", d) for d in registries]
    memo: dict[tuple[str, str, str], tuple[Path, str] | None] = {}

    def find(name: str, version: str, source: str) -> tuple[Path, str] | None:
        if (name, version, source) in memo:
            return memo[(name, version, source)]
        hit: tuple[Path, str] | None = None
        if not source:
            folder = paths.get(name)
            if folder is not None and _matches(folder, name, version):
                hit = (folder, "path")
        elif source.startswith("git+"):
            folder = _git_checkout(name, version, source)
            if folder is not None:
                hit = (folder, "git")
        if hit is None and source:
            for origin, base in places:
                for folder in (base / f"{name}-{version}", base / name):
                    if _matches(folder, name, version):
                        hit = (folder.resolve(), origin)
                        break
                if hit is not None:
                    break
        memo[(name, version, source)] = hit
        return hit
    return find


def not_found(name: str, version: str) -> Missing:
    return Missing(name, version,
                   f"rrag: the source of {name} {version} was not found "
                   "(vendor/, .cargo/config.toml directory sources, "
                   "$CARGO_HOME/registry/src, git checkouts); run `cargo fetch` "
                   "or `cargo vendor` to get it, then index again")


def locate(workspace: Workspace) -> tuple[list[DepSource], list[Missing]]:
    """Every locked package that is not a workspace member: its folder, or why not found."""
    members = {p.name for p in workspace.packages}
    find = finder(workspace)
    found: list[DepSource] = []
    missing: list[Missing] = []
    for pkg in locked_packages(workspace.root):
        if pkg.name in members and not pkg.source:
            continue
        hit = find(pkg.name, pkg.version, pkg.source)
        if hit is None:
            missing.append(not_found(pkg.name, pkg.version))
        else:
            found.append(DepSource(pkg.name, pkg.version, hit[0], hit[1]))
    return found, missing
