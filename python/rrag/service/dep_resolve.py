"""Service layer: asking cargo and rustc which dependencies this host builds, and how.

``host()`` runs ``rustc -vV`` and ``rustc --print cfg`` once per process (the host triple and
the cfg values rustc sets; Python's view of the platform when rustc is absent). ``resolve``
runs ``cargo metadata --offline --locked --filter-platform <host>`` (never writes Cargo.lock:
``--locked`` fails instead of updating it) and falls back to walking ``Cargo.lock`` itself
(``parse.dep_closure.from_lock``) when cargo is missing or cannot resolve offline.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..parse import dep_closure
from ..parse.cfg_eval import CfgEnv, Evaluator, env_from_platform, env_from_rustc
from ..parse.dep_sources import DepSource, Missing, finder, not_found, origin_of
from ..parse.workspace import Workspace

log = logging.getLogger("rrag.deps")
CARGO_TIMEOUT_S = 120


@dataclass(frozen=True, slots=True)
class Host:
    triple: str
    env: CfgEnv  # without features: each package adds its own


@functools.lru_cache(maxsize=1)
def host() -> Host:
    rustc = shutil.which("rustc")
    if rustc is not None:
        try:
            version = subprocess.run([rustc, "-vV"], capture_output=True, text=True,
                                     timeout=30, check=True).stdout
            printed = subprocess.run([rustc, "--print", "cfg"], capture_output=True,
                                     text=True, timeout=30, check=True).stdout
            triple = next((line.split(":", 1)[1].strip() for line in version.splitlines()
                           if line.startswith("host:")), "")
            if triple:
                return Host(triple, env_from_rustc(printed))
        except (OSError, subprocess.SubprocessError) as exc:
            log.info("rustc could not describe the host (%s); guessing from Python", exc)
    env = env_from_platform()
    arch = next(v for k, v in env.pairs if k == "target_arch")
    os_name = next(v for k, v in env.pairs if k == "target_os")
    return Host(f"{arch}-unknown-{os_name}-gnu" if os_name == "linux" else f"{arch}-{os_name}",
                env)


@dataclass
class Resolution:
    sources: list[DepSource] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    via: str = ""  # "cargo metadata" or "Cargo.lock"
    note: str = ""  # why cargo metadata was not used, when it was not


def cargo_metadata(root: Path, triple: str) -> tuple[dict | None, str]:
    cargo = shutil.which("cargo")
    if cargo is None:
        return None, "cargo is not installed"
    if not (root / "Cargo.toml").is_file():
        return None, "no Cargo.toml at the root"
    try:
        proc = subprocess.run(
            [cargo, "metadata", "--offline", "--locked", "--format-version", "1",
             "--filter-platform", triple, "--manifest-path", str(root / "Cargo.toml")],
            capture_output=True, text=True, timeout=CARGO_TIMEOUT_S, cwd=root)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"cargo metadata failed: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[0]
        return None, f"cargo metadata failed: {last}"
    try:
        return json.loads(proc.stdout), ""
    except ValueError:
        return None, "cargo metadata printed no JSON"


def resolve(workspace: Workspace, use_cargo: bool = True) -> Resolution:
    h = host()
    out = Resolution()
    meta, out.note = cargo_metadata(workspace.root, h.triple) if use_cargo else (None, "off")
    if meta is not None:
        out.via = "cargo metadata"
        for r in dep_closure.from_metadata(meta):
            assert r.folder is not None
            out.sources.append(DepSource(r.name, r.version, r.folder.resolve(),
                                         origin_of(r.folder.resolve(), r.source,
                                                   workspace.root), r.role, r.features))
        return out
    out.via = "Cargo.lock"
    try:
        with open(workspace.root / "Cargo.lock", "rb") as fh:
            lock = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        lock = {}
    find = finder(workspace)
    members = {p.name: workspace.root / p.manifest_dir for p in workspace.packages}

    def folder_of(name: str, version: str, source: str) -> Path | None:
        hit = find(name, version, source)
        return hit[0] if hit else None
    for r in dep_closure.from_lock(lock, members, folder_of, h.triple, Evaluator(h.env)):
        hit = find(r.name, r.version, r.source)
        if hit is None:
            out.missing.append(not_found(r.name, r.version))
        else:
            out.sources.append(DepSource(r.name, r.version, hit[0], hit[1], r.role, None))
    return out
