"""Parse layer: where std's sources (std, core, alloc) are on this machine, and their version.

Looked for in the order that matches the compiler best: the toolchain's own sysroot
(``$(rustc --print sysroot)/lib/rustlib/src/rust/library``, rustup's ``rust-src`` component),
then Debian's ``rust-src`` package (``/usr/lib/rustlib/src/rust/library``), which may be another
Rust release than the compiler. ``RRAG_STD_SRC`` names a ``library`` folder instead (empty:
none), for machines with sources elsewhere and for tests.

The version: the sysroot's sources are the toolchain's (``rustc -V``); elsewhere the
``version`` file a source tarball carries, else the newest ``Version X.Y.Z`` heading of the
``RELEASES.md`` beside ``library/`` (Debian ships it: ``Version 1.63.0 (2022-08-11)``). The
crates' own ``Cargo.toml`` say ``0.0.0`` and cannot be used. The caller passes the sysroot
and the compiler's version (running rustc is the service layer's business).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

CRATES = ("core", "alloc", "std")  # in dependency order
DEBIAN_LIBRARY = Path("/usr/lib/rustlib/src/rust/library")
_RELEASE = re.compile(r"^Version (\d+\.\d+\.\d+)", re.M)
_SEMVER = re.compile(r"(\d+\.\d+\.\d+)")


@dataclass(frozen=True, slots=True)
class StdSource:
    library: Path  # holds core/, alloc/, std/
    version: str  # "1.63.0"; "" when nothing says
    origin: str  # "toolchain" (the sysroot's rust-src), "debian", "RRAG_STD_SRC"
    matches_toolchain: bool  # the compiler is this very release

    @property
    def label(self) -> str:
        return f"std {self.version}" if self.version else "std"

    @property
    def short_label(self) -> str:
        """``std 1.63`` (the release, for messages about another version than the compiler)."""
        return "std " + ".".join(self.version.split(".")[:2]) if self.version else "std"

    def folder(self, crate: str) -> Path:
        return self.library / crate


def _has_crates(library: Path) -> bool:
    return all((library / c / "src" / "lib.rs").is_file() for c in CRATES)


def source_version(library: Path) -> str:
    """The Rust release of a ``library`` folder not in the toolchain's sysroot ("" unknown)."""
    for candidate in (library / "version", library.parent / "version"):
        try:
            found = _SEMVER.search(candidate.read_text(encoding="utf-8"))
        except OSError:
            continue
        if found:
            return found.group(1)
    try:
        with open(library.parent / "RELEASES.md", encoding="utf-8") as fh:
            head = fh.read(4096)  # the newest release comes first
    except OSError:
        return ""
    found = _RELEASE.search(head)
    return found.group(1) if found else ""


def compiler_release(rustc_version: str) -> str:
    """``rustc 1.95.0 (59807616e 2026-04-14)`` -> ``1.95.0``."""
    found = _SEMVER.search(rustc_version)
    return found.group(1) if found else ""


def candidates(sysroot: Path | None) -> list[tuple[Path, str]]:
    """(library folder, origin) in order of preference."""
    explicit = os.environ.get("RRAG_STD_SRC")
    if explicit is not None:
        return [(Path(explicit), "RRAG_STD_SRC")] if explicit else []
    out = []
    if sysroot is not None:
        out.append((sysroot / "lib" / "rustlib" / "src" / "rust" / "library", "toolchain"))
    out.append((DEBIAN_LIBRARY, "debian"))
    return out


def find_std(sysroot: Path | None, compiler: str) -> StdSource | None:
    """The best std sources here; ``compiler`` is the toolchain's release ("1.95.0", or "")."""
    for library, origin in candidates(sysroot):
        if not _has_crates(library):
            continue
        version = compiler if origin == "toolchain" and compiler else source_version(library)
        return StdSource(library.resolve(), version, origin,
                         bool(compiler) and version == compiler)
    return None


def searched(sysroot: Path | None) -> list[str]:
    """The folders ``find_std`` looks in, for messages."""
    return [str(p) for p, _ in candidates(sysroot)]
