"""Service layer: the crates a workspace's code is written against, for the model's prompt.

(crate, version) of the workspace's own packages, then their direct dependencies at the
versions Cargo.lock pins, so an answer can name the API of the version really compiled.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import RragError
from ..parse.cargo_lock import dependency_versions
from ..parse.workspace import discover


def prompt_crates(root: Path) -> list[tuple[str, str]]:
    try:
        ws = discover(root)
    except RragError:
        return []
    own = [(p.crate, p.version) for p in ws.packages]
    names = {p.name for p in ws.packages}
    deps = [(d.package or d.name, d.req) for p in ws.packages for d in p.dependencies
            if (d.package or d.name) not in names]
    return own + dependency_versions(root, [p.manifest_dir for p in ws.packages], deps)
