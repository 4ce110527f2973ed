"""Service layer: `fix` for one upgrade site — the model's edit, checked like a refactor.

The site's holding item (its lines from ``graph.upgrade_sites``) is handed to the ordinary
refactor (``Assistant.refactor``: the ranked context of the workspace, which now holds the new
version's items, a proposal, a tree-sitter parse and ``cargo check`` on a scratch copy), with
an instruction that carries both versions' definitions: the old signature the code was written
for, the new one (or that it is gone) and the new version's docs. Nothing is applied; the
editors show it as the usual diff to accept or reject.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from .upgrade import upgrade

if TYPE_CHECKING:
    from .engine import Engine

DOC_LINES = 8  # of the new version's docs, in the instruction

WHAT = {"removed": "was removed", "moved": "moved", "renamed": "was renamed",
        "signature": "changed its parameters", "bounds": "changed its generic bounds",
        "kind_changed": "is another kind of item now", "impl_removed": "is no longer implemented",
        "field_changed": "changed its type", "field_removed": "was removed",
        "variant_changed": "changed its fields", "variant_removed": "was removed",
        "required_method": "has a new required method",
        "generics": "changed its generic parameters (the same written type names another "
                    "type now)", "return_type": "returns another type"}


def fix_instruction(site: dict[str, Any], report: dict[str, Any]) -> str:
    """What the model is asked: the change, with the old and the new definition."""
    crate, old_v, new_v = report["crate"], report["from"], report["to"]
    what = WHAT.get(site["change"], f"changed ({site['change']})")
    lines = [f"This code was written for {crate} {old_v}; the project now uses {crate} {new_v}, "
             f"where `{site['old']}` {what}. Update the code so it compiles with {crate} "
             f"{new_v}, keeping what it does.",
             f"In {crate} {old_v}: {site.get('old_signature') or site['old']}"]
    if site.get("new_signature"):
        where = f" (now `{site['new']}`)" if site.get("new") and site["new"] != site["old"] else ""
        lines.append(f"In {crate} {new_v}{where}: {site['new_signature']}")
    else:
        lines.append(f"In {crate} {new_v}: no item of that name; use the {crate} {new_v} API "
                     "shown in the context instead.")
    docs = [d for d in (site.get("new_docs") or "").strip().splitlines() if d.strip()]
    if docs:
        lines.append(f"{crate} {new_v} docs: " + " ".join(docs[:DOC_LINES]))
    return "\n".join(lines)


def find_site(report: dict[str, Any], path: str, line: int) -> dict[str, Any]:
    for site in report["sites"] + report["follows"]:
        if site["path"] == path and site["line"] == line:
            return site
    raise NotFound(f"no upgrade site at {path}:{line} for {report['crate']} {report['from']} "
                   f"-> {report['to']}", "run `rrag upgrade` to list the sites, and pass one "
                   "as --fix PATH:LINE")


def fix(engine: "Engine", path: str, line: int, crate: str | None = None,
        old: str | None = None, new: str | None = None, on_token: Any = None,
        cancel: Any = None) -> dict[str, Any]:
    """The refactor proposal for the site at ``path``:``line`` (root-relative), plus the
    site and the instruction the model was given."""
    report = upgrade(engine, crate, old, new).to_json()
    site = find_site(report, path, line)
    instruction = fix_instruction(site, report)
    start, end = site["item_start"] or line, site["item_end"] or line
    result = engine.refactor(path, start, end, instruction, on_token=on_token, cancel=cancel)
    return result | {"site": site, "instruction": instruction}
