"""Parse layer: std's names from the toolchain's rustdoc HTML (rustup's ``rust-docs``).

Without std's sources (no ``rust-src``) the installed documentation is the only description of
std at the toolchain's own version. Grounding needs names, not bodies: each type, trait and
primitive page lists every member callable on it (inherent methods, trait impls, blanket impls
and, through ``Deref``, the target's methods: ``Vec`` carries the slice methods), so one regex
over the anchors of those pages gives ``Vec -> {push, len, iter, ...}``. Free functions and
macros come from their page names. About 3,000 pages, 1 s; the service caches the result per
machine (rrag.service.std_names).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

STD_ORDER = ("std", "core", "alloc")  # the toolchain's library crates, std first
STD_CRATES = frozenset(STD_ORDER)
_PAGE = re.compile(r"^(struct|enum|trait|primitive|union|type|fn|macro|constant|traitalias)"
                   r"\.(\w+)\.html$")
_MEMBER = re.compile(rb'id="(?:method|tymethod|associatedconstant|variant|structfield|'
                     rb'associatedtype)\.(\w+)"')
_UNSTABLE = b'class="stab unstable"'
# Per-architecture intrinsics (thousands of `_mm_*` pages): no answer means those by accident.
SKIPPED_MODULES = {"arch", "core_arch", "intrinsics", "simd", "std_detect"}
_VERSION = re.compile(r"crates(\d+\.\d+\.\d+)\.js$")


@dataclass
class StdNames:
    """std/core/alloc as rustdoc documents them at ``version``: ``types`` maps a type, trait
    or primitive name to its members; ``modules`` are the module names (``collections``)."""
    version: str = ""
    types: dict[str, set[str]] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    macros: set[str] = field(default_factory=set)
    constants: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"std {self.version}" if self.version else "std"

    def to_json(self) -> dict:
        return {"version": self.version, "types": {k: sorted(v) for k, v in self.types.items()},
                "functions": sorted(self.functions), "macros": sorted(self.macros),
                "constants": sorted(self.constants), "modules": sorted(self.modules)}

    @classmethod
    def from_json(cls, data: dict) -> "StdNames":
        return cls(data.get("version", ""), {k: set(v) for k, v in data["types"].items()},
                   set(data["functions"]), set(data["macros"]), set(data["constants"]),
                   set(data.get("modules", ())))


def docs_version(html_root: Path) -> str:
    """The rustdoc's version from its ``crates1.95.0.js`` file name ("" if not found)."""
    try:
        for entry in os.scandir(html_root):
            match = _VERSION.search(entry.name)
            if match:
                return match.group(1)
    except OSError:
        pass
    return ""


def read_std_docs(html_root: Path) -> StdNames | None:
    """The names of std, core and alloc under ``html_root`` (``<sysroot>/share/doc/rust/html``);
    None when the documentation is not installed."""
    if not (html_root / "std" / "index.html").is_file():
        return None
    names = StdNames(docs_version(html_root))
    for crate in STD_ORDER:
        for folder, dirs, files in os.walk(html_root / crate):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_MODULES]
            names.modules.update(dirs)
            for file in files:
                match = _PAGE.match(file)
                if match:
                    _read_page(names, Path(folder) / file, match.group(1), match.group(2))
    return names


def _read_page(names: StdNames, page: Path, kind: str, name: str) -> None:
    if kind == "fn":
        # An unstable free function (`core::f64::math::sqrt`) is not what a plain `sqrt(x)`
        # can call on stable Rust.
        try:
            if _UNSTABLE not in page.read_bytes():
                names.functions.add(name)
        except OSError:
            pass
    elif kind == "macro":
        names.macros.add(name)
    elif kind == "constant":
        names.constants.add(name)
    else:
        try:
            data = page.read_bytes()
        except OSError:
            return
        members = names.types.setdefault(name, set())
        members.update(m.decode("ascii", "replace") for m in _MEMBER.findall(data))
