"""Front end (bridge): what :RragUpgrade shows, the same in Neovim and Vim.

The sites of ``rrag upgrade`` as quickfix entries (file, line, one line of text: the change and
the API path behind it), and for each site the lines of its float or popup (the change, the
old and the new signature, where the new one is defined, the new version's docs) and what `F`
sends to the refactor (the holding item's lines, the instruction with both definitions).
Built here once so both editors show exactly the same text.
"""

from __future__ import annotations

from typing import Any

from ..service.upgrade_fix import fix_instruction

DOC_LINES = 16  # the new version's docs, cut: the float is a reminder, not the docs page


def entry_text(site: dict[str, Any]) -> str:
    """``removed semver::Version::increment_patch`` / ``moved a::B -> a::c::B``."""
    moved = site.get("new") and site["new"] != site.get("old")
    return f"{site['change']} {site.get('old') or '?'}" + (f" -> {site['new']}" if moved else "")


def site_detail(site: dict[str, Any], report: dict[str, Any]) -> list[str]:
    """The float's lines for one site (markdown)."""
    lines = [f"# {report['crate']} {report['from']} -> {report['to']}: {site['change']}",
             "", f"`{site.get('old') or '?'}` used by `{site.get('name') or '?'}`", "",
             f"## old ({report['from']})", "```rust", site.get("old_signature") or "?", "```",
             "", f"## new ({report['to']})"]
    if site.get("new_signature"):
        lines += ["```rust", site["new_signature"], "```"]
        if site.get("new") and site["new"] != site.get("old"):
            lines.append(f"now at `{site['new']}`")
    else:
        lines.append("(gone: no item of that name in the new version)")
    docs = (site.get("new_docs") or "").strip().splitlines()
    if docs:
        lines += ["", "## docs", *docs[:DOC_LINES]]
        if len(docs) > DOC_LINES:
            lines.append(f"… {len(docs) - DOC_LINES} more lines")
    if site.get("follows"):
        lines += ["", f"(cargo reports this only once the `use` at {site['follows']} is fixed)"]
    return lines


def upgrade_body(report: dict[str, Any]) -> dict[str, Any]:
    """{title, entries: [{file, path, lnum, text, detail, fix}]}: the sites, then the ones a failed
    `use` hides (marked), in file order."""
    entries = []
    for site in report.get("sites", []) + report.get("follows", []):
        text = entry_text(site) + (f"  (after {site['follows']})" if site.get("follows") else "")
        entries.append({"file": site.get("file") or site["path"], "path": site["path"],
                        "lnum": site["line"], "text": text,
                        "detail": site_detail(site, report),
                        # `F`: the refactor of the site's item, with both definitions
                        "fix": {"start": site.get("item_start") or site["line"],
                                "end": site.get("item_end") or site["line"],
                                "instruction": fix_instruction(site, report)}})
    title = (f"rrag upgrade: {report['crate']} {report['from']} -> {report['to']} "
             f"({len(report.get('changes', []))} API changes, "
             f"{len(report.get('sites', []))} sites)")
    return {"title": title, "entries": entries}
