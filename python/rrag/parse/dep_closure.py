"""Parse layer: which locked packages cargo builds on this host, and in what role.

The answer comes from ``cargo metadata --filter-platform <host>`` when cargo could give one
(``from_metadata``: its resolve graph, with each package's enabled features), else from
``Cargo.lock`` (``from_lock``): the lock lists every package of every platform, so the walk
from the workspace members follows a dependency edge only if the depending package's Cargo.toml
declares it somewhere that applies here (not only under a ``[target.'cfg(windows)']`` table).

Roles decide what a package costs: ``direct`` (a normal or dev dependency of a member: its
public API gets vectors), ``transitive`` (reached at run time through others: structure and
BM25), ``build`` (proc-macro crates, everything only they or build scripts use, and
build-dependencies: structure and BM25 too, never vectors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .scan import read_toml
from .cfg_eval import Evaluator

DIRECT, TRANSITIVE, BUILD = "direct", "transitive", "build"


@dataclass(frozen=True, slots=True)
class Resolved:
    name: str
    version: str
    source: str  # "" for path packages
    role: str  # direct, transitive, build
    folder: Path | None = None  # from cargo metadata (its manifest's folder), else located later
    features: tuple[str, ...] | None = None  # None: not known (Cargo.lock fallback)


def from_metadata(meta: dict) -> list[Resolved]:
    """Every non-member package of ``cargo metadata``'s (platform-filtered) resolve graph."""
    members = set(meta.get("workspace_members") or [])
    packages = {p["id"]: p for p in meta.get("packages") or []}
    nodes = {n["id"]: n for n in (meta.get("resolve") or {}).get("nodes") or []}

    def proc_macro(pid: str) -> bool:
        return any("proc-macro" in t.get("kind", []) for t in packages[pid].get("targets", []))

    runtime: set[str] = set()
    direct: set[str] = set()
    todo = list(members)
    while todo:
        pid = todo.pop()
        for dep in (nodes.get(pid) or {}).get("deps") or []:
            kinds = {k.get("kind") for k in dep.get("dep_kinds") or [{}]}
            target = dep["pkg"]
            usable = None in kinds or (pid in members and "dev" in kinds)
            if not usable or target not in packages or proc_macro(target):
                continue
            if pid in members:
                direct.add(target)
            if target not in runtime:
                runtime.add(target)
                todo.append(target)
    out: list[Resolved] = []
    for pid, node in sorted(nodes.items()):
        if pid in members or pid not in packages:
            continue
        pkg = packages[pid]
        role = DIRECT if pid in direct else TRANSITIVE if pid in runtime else BUILD
        out.append(Resolved(pkg["name"], pkg["version"], pkg.get("source") or "", role,
                            Path(pkg["manifest_path"]).parent,
                            tuple(sorted(node.get("features") or []))))
    return out


def declared_kinds(manifest: dict, host_triple: str, ev: Evaluator) -> dict[str, set[str]]:
    """Package name -> the dependency kinds (normal, dev, build) under which ``manifest``
    declares it on this host: target tables whose cfg (or triple) does not match are skipped."""
    tables: list[tuple[str, object]] = []
    for key in ("dependencies", "dev-dependencies", "build-dependencies"):
        tables.append((key, manifest.get(key)))
    for spec, table in (manifest.get("target") or {}).items():
        m = re.fullmatch(r"\s*cfg\s*\((.*)\)\s*", spec, re.S)
        applies = ev.active(m.group(1)) if m else spec == host_triple
        if applies and isinstance(table, dict):
            tables += [(key, table.get(key)) for key in
                       ("dependencies", "dev-dependencies", "build-dependencies")]
    out: dict[str, set[str]] = {}
    for key, table in tables:
        if not isinstance(table, dict):
            continue
        kind = {"dependencies": "normal", "dev-dependencies": "dev"}.get(key, "build")
        for name, spec in table.items():
            real = spec.get("package", name) if isinstance(spec, dict) else name
            out.setdefault(str(real), set()).add(kind)
    return out


def from_lock(lock: dict, members: dict[str, Path], folder_of, host_triple: str,
              ev: Evaluator) -> list[Resolved]:
    """The packages of a parsed ``Cargo.lock`` cargo would build here. ``members``: member
    name -> its folder; ``folder_of(name, version, source)``: a locked package's folder or
    None. A lock without dependency lists (written by hand) keeps every package."""
    entries = [p for p in lock.get("package") or [] if isinstance(p, dict) and "name" in p]
    by_name: dict[str, list[dict]] = {}
    for p in entries:
        by_name.setdefault(p["name"], []).append(p)
    if not any(p.get("dependencies") for p in entries):
        return [Resolved(p["name"], str(p.get("version", "")), str(p.get("source") or ""),
                         DIRECT) for p in entries if not (p["name"] in members
                                                          and not p.get("source"))]

    def key(p: dict) -> tuple[str, str]:
        return p["name"], str(p.get("version", ""))

    def resolve_ref(ref: str) -> dict | None:
        parts = ref.split(" ")
        cands = by_name.get(parts[0], [])
        if len(parts) > 1:
            cands = [c for c in cands if str(c.get("version")) == parts[1]] or cands
        return cands[0] if cands else None

    roles: dict[tuple[str, str], str] = {}
    rank = {DIRECT: 0, TRANSITIVE: 1, BUILD: 2}
    start = [p for p in entries if p["name"] in members and not p.get("source")]
    todo = [(p, None) for p in start]
    seen_member = {key(p) for p in start}
    while todo:
        pkg, role = todo.pop()
        is_member = key(pkg) in seen_member and role is None
        folder = members.get(pkg["name"]) if is_member else \
            folder_of(pkg["name"], str(pkg.get("version", "")), str(pkg.get("source") or ""))
        manifest = read_toml(folder / "Cargo.toml") if folder is not None else {}
        kinds = declared_kinds(manifest, host_triple, ev) if manifest else None
        proc = bool((manifest.get("lib") or {}).get("proc-macro")) if manifest else False
        for ref in pkg.get("dependencies") or []:
            dep = resolve_ref(ref)
            if dep is None or key(dep) in seen_member:
                continue
            how = kinds.get(dep["name"]) if kinds is not None else {"normal"}
            if not how or (not is_member and how == {"dev"}):
                continue  # only under another platform's table, or a dev-dependency of a dep
            if is_member:
                new = DIRECT if how & {"normal", "dev"} else BUILD
            else:
                new = BUILD if role == BUILD or proc or how == {"build"} else TRANSITIVE
            if _is_proc_macro(dep, folder_of):
                new = BUILD
            old = roles.get(key(dep))
            if old is None or rank[new] < rank[old]:
                roles[key(dep)] = new
                todo.append((dep, new))
    return [Resolved(p["name"], str(p.get("version", "")), str(p.get("source") or ""),
                     roles[key(p)]) for p in entries if key(p) in roles]


def _is_proc_macro(pkg: dict, folder_of) -> bool:
    folder = folder_of(pkg["name"], str(pkg.get("version", "")), str(pkg.get("source") or ""))
    return folder is not None and bool(
        (read_toml(folder / "Cargo.toml").get("lib") or {}).get("proc-macro"))
