"""Service layer: std, core and alloc as dependencies of every workspace, from rust-src.

``std_source()`` asks rustc for its sysroot and release once per process and finds std's
sources (``parse.std_sources``: the toolchain's ``rust-src`` first, then Debian's package).
``std_deps()`` turns them into dependency sources labelled with their own version
(``std 1.63.0`` when only Debian's 1.63 is here, whatever the compiler is), which
``service.deps`` builds into the shared per-machine cache like any locked crate: structure and
BM25 only (``role="std"`` queues no vectors), cfg evaluated against the host. ``std_status()`` is
what ``rrag doctor`` and ``:checkhealth rrag`` say about them.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from pathlib import Path

from ..parse.dep_sources import DepSource
from ..parse.std_sources import CRATES, StdSource, compiler_release, find_std, searched

log = logging.getLogger("rrag.deps")
ROLE = "std"  # dependency role of std's crates: imported for the graph and BM25, no vectors
FIX = ("rustup component add rust-src (the toolchain's own version), or apt install rust-src "
       "(Debian's), then index again")


@functools.lru_cache(maxsize=1)
def toolchain() -> tuple[Path | None, str]:
    """(the toolchain's sysroot, its release "1.95.0"); (None, "") without rustc."""
    rustc = shutil.which("rustc")
    if rustc is None:
        return None, ""
    try:
        sysroot = subprocess.run([rustc, "--print", "sysroot"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
        version = subprocess.run([rustc, "-V"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("rustc did not say where its sysroot is (%s)", exc)
        return None, ""
    return (Path(sysroot) if sysroot else None), compiler_release(version)


def std_source() -> StdSource | None:
    """std's sources on this machine (re-read per call: ``RRAG_STD_SRC`` may change)."""
    sysroot, release = toolchain()
    return find_std(sysroot, release)


def enabled() -> bool:
    """``RRAG_STD_INDEX=0`` leaves std out of the index (a machine where its one-time cost is
    unwanted)."""
    return os.environ.get("RRAG_STD_INDEX", "1") != "0"


def std_deps() -> list[DepSource]:
    """std's crates as dependency sources, or [] when no sources are here."""
    found = std_source() if enabled() else None
    if found is None:
        return []
    return [DepSource(crate, found.version or "0.0.0", found.folder(crate), found.origin,
                      ROLE, None) for crate in CRATES]


def std_status() -> dict:
    """The doctor's check: which std sources are indexed, at which version, and why not."""
    sysroot, release = toolchain()
    found = std_source()
    if found is None:
        where = ", ".join(searched(sysroot)) or "(RRAG_STD_SRC is empty)"
        return {"ok": False, "value": f"no std sources (rust-src) in {where}: calls into std "
                "have no edges and std items are not searched", "fix": FIX}
    other = "" if found.matches_toolchain else \
        (f"; not the compiler's {release}: a std name only these sources can check is "
         f"'not found in {found.short_label}', never called wrong") if release else ""
    value = f"{found.label} at {found.library} ({found.origin}): std, core and alloc are " \
        f"indexed once per machine{other}"
    if not enabled():
        value = f"{found.label} sources at {found.library}, not indexed (RRAG_STD_INDEX=0)"
    return {"ok": True, "value": value,
            "fix": "" if found.matches_toolchain or not release else
            "rustup component add rust-src: sources at the toolchain's own version"}
