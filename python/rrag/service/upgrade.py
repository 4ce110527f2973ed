"""Service layer: the upgrade assistant — what a dependency's version change breaks here.

Which versions: the change the index last saw in Cargo.lock (``deps.sync_dependencies``
records it in ``meta.upgrade_versions``), or two versions asked for by name. Each version's
rows come from its shared per-machine cache database (built now from its sources when no
project indexed it yet), so nothing is re-parsed for a second look. The API diff
(``graph.api_diff``) is joined with the workspace's references resolved against the old
version (``graph.upgrade_sites``) into the list of affected sites.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFound
from ..graph.api_diff import ApiChange, diff
from ..graph.api_surface import Surface
from ..graph.upgrade_sites import Graphs, Site, find_sites
from ..parse.dep_sources import DepSource, finder
from ..store import api_rows
from .dep_cache import deps_dir, ensure_cached, source_env
from .dep_resolve import host

if TYPE_CHECKING:
    from .engine import Engine

META_KEY = "upgrade_versions"  # crate -> [old version, new version], written by deps.py
REGISTRY = "registry+https://github.com/rust-lang/crates.io-index"


@dataclass
class UpgradeReport:
    crate: str
    from_version: str
    to_version: str
    changes: list[ApiChange]
    sites: list[Site]
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        counted = [s for s in self.sites if not s.follows]
        return {"crate": self.crate, "from": self.from_version, "to": self.to_version,
                "changes": [c.to_json() for c in self.changes],
                "sites": [s.to_json() for s in counted],
                "follows": [s.to_json() | {"follows": s.follows} for s in self.sites
                            if s.follows],
                "seconds": self.seconds}


def recorded_changes(engine: "Engine") -> dict[str, list[str]]:
    try:
        return json.loads(engine.store.meta(META_KEY) or "{}")
    except ValueError:
        return {}


def pick_versions(engine: "Engine", crate: str | None, old: str | None,
                  new: str | None) -> tuple[str, str, str]:
    """(crate, from, to): what was asked, completed from the change the index saw last and
    the version locked now."""
    seen = recorded_changes(engine)
    if crate is None:
        if not seen:
            raise NotFound("no dependency version change was seen in Cargo.lock since the "
                           "index was built", "name one: rrag upgrade --crate NAME --from V "
                           "--to V (both versions must be on this machine)")
        if len(seen) > 1:
            raise NotFound(f"several dependencies changed version: {', '.join(sorted(seen))}",
                           "pick one with --crate NAME")
        crate = next(iter(seen))
    ident = crate.replace("-", "_")
    locked = [v for v, _ in api_rows.imported_versions(engine.store, ident)]
    old = old or next(iter(seen.get(ident) or seen.get(crate) or []), None)
    new = new or (locked[-1] if locked else None)
    if old is None or new is None:
        raise NotFound(f"no version change of {crate} is known",
                       f"give both: rrag upgrade --crate {crate} --from V --to V")
    return crate, old, new


def cache_db(engine: "Engine", crate: str, version: str) -> Path:
    """The shared cache database of ``crate`` at ``version``: the one this workspace imports,
    one another project built, or one built now from the version's sources."""
    ident = crate.replace("-", "_")
    for v, key in api_rows.imported_versions(engine.store, ident):
        if v == version and (deps_dir() / key / "index.sqlite").is_file():
            return deps_dir() / key / "index.sqlite"
    for name in {crate, crate.replace("_", "-")}:
        built = sorted(deps_dir().glob(f"{name}-{version}-*/index.sqlite"),
                       key=lambda p: p.stat().st_mtime)
        if built:
            return built[-1]
    find = finder(engine.workspace())
    hit = find(crate, version, REGISTRY) or find(crate.replace("_", "-"), version, REGISTRY)
    if hit is None:
        raise NotFound(f"{crate} {version} is neither in rrag's dependency cache nor its "
                       "sources on this machine", f"lock it once in some project and run "
                       f"`rrag index` there, or run `cargo fetch` for {crate} {version}")
    src = DepSource(crate, version, hit[0], hit[1])
    db, _ = ensure_cached(src, source_env(src, host().env), engine.config.index)
    return db


def upgrade(engine: "Engine", crate: str | None = None, old: str | None = None,
            new: str | None = None) -> UpgradeReport:
    engine.refresh()  # a Cargo.lock edited since the last run is seen (and recorded) first
    crate, old, new = pick_versions(engine, crate, old, new)
    ident = crate.replace("-", "_")
    started = time.perf_counter()
    old_db, new_db = cache_db(engine, crate, old), cache_db(engine, crate, new)
    ready = time.perf_counter()
    old_items, old_uses = api_rows.crate_rows(old_db)
    new_items, new_uses = api_rows.crate_rows(new_db)
    changes = diff(Surface(ident, old, old_items, old_uses),
                   Surface(ident, new, new_items, new_uses))
    diffed = time.perf_counter()
    items, refs = api_rows.graph_without(engine.store, ident)
    old_graph = api_rows.cache_graph(old_db, f"<upgrade-from>/{old}/")
    new_graph_items, _ = api_rows.cache_graph(new_db, f"<upgrade-to>/{new}/")
    graphs = Graphs(items, refs, api_rows.workspace_paths(engine.store), *old_graph,
                    new_graph_items, engine.workspace())
    sites = find_sites(graphs, changes, api_rows.workspace_sources(engine.store))
    done = time.perf_counter()
    return UpgradeReport(crate, old, new, changes, sites, {
        "caches": round(ready - started, 3), "diff": round(diffed - ready, 3),
        "sites": round(done - diffed, 3)})
