"""Parse layer: the exact dependency versions a workspace locks in ``Cargo.lock``.

The model is told which versions of its dependencies the project really uses (its training
data mixes many). A missing or unreadable lock file means "unknown", never an error.
"""

from __future__ import annotations

import tomllib
from pathlib import Path


def locked_versions(folder: Path) -> dict[str, list[str]]:
    """Package name -> the versions ``folder/Cargo.lock`` locks (two majors can coexist)."""
    try:
        with open(folder / "Cargo.lock", "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    out: dict[str, list[str]] = {}
    for pkg in data.get("package") or []:
        if isinstance(pkg, dict) and isinstance(pkg.get("name"), str):
            out.setdefault(pkg["name"], []).append(str(pkg.get("version", "")))
    return out


def dependency_versions(root: Path, manifest_dirs: list[str],
                        deps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(dependency, version) for declared dependencies: the locked version when a lock file
    says so, else the requirement as written (``^1.0``)."""
    locked: dict[str, list[str]] = {}
    for folder in ["", *manifest_dirs]:
        for name, versions in locked_versions(root / folder).items():
            locked.setdefault(name, [])
            locked[name] += [v for v in versions if v not in locked[name]]
    out: list[tuple[str, str]] = []
    for name, req in deps:
        versions = locked.get(name)
        entry = (name, ", ".join(versions) if versions else req)
        if entry not in out:
            out.append(entry)
    return out
