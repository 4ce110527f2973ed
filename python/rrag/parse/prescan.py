"""Parse layer: a fast guess at a file's out-of-line ``mod x;`` declarations, before parsing.

The module path of a file comes from the ``mod`` lines of its parents, and qualified names and
NodeIds need it. Waiting for every parse before writing anything would leave the single writer
idle while the parse processes work, and the processes idle while it writes. A line-based
scan (a few percent of a parse) gives the module tree up front, so files are written as their
parses arrive; the indexer then compares against the declarations tree-sitter actually found
and rewrites the rare file the guess placed wrongly (a ``mod`` inside a macro or a comment
block, an out-of-line ``mod`` nested in an inline one).
"""

from __future__ import annotations

import re

from .cfg_eval import cfg_if_branches
from .model import ModDecl

_MOD = re.compile(
    rb"^[ \t]*((?:#\[[^\n]*?\][ \t]*)*)(?:pub(?:[ \t]*\([^)\n]*\))?[ \t]+)?"
    rb"mod[ \t]+((?:r#)?[A-Za-z_][A-Za-z0-9_]*)[ \t]*;", re.M)
_SAME_LINE_ATTR = re.compile(rb"#\[(.*?)\][ \t]*(?=#\[|$)")
_ATTR_LINE = re.compile(rb"^[ \t]*#\[(.*)\][ \t]*$", re.M)
_PATH = re.compile(rb'^path[ \t]*=[ \t]*"([^"]*)"')
_CFG = re.compile(rb"^cfg[ \t]*\((.*)\)$")


def scan_mod_decls(data: bytes) -> list[ModDecl]:
    if b"mod" not in data:
        return []
    decls: list[ModDecl] = []
    # A `mod x;` inside a cfg_if! branch is declared under that branch's predicate.
    branches = cfg_if_branches(data) if b"cfg_if" in data else []
    for match in _MOD.finditer(data):
        start = match.start()
        line = data.count(b"\n", 0, start) + 1
        path_attr, cfg, macro_use = None, [], False
        attrs = [m.group(1).strip() for m in _SAME_LINE_ATTR.finditer(match.group(1))]
        # Attributes on the lines right above the declaration.
        cursor = start
        while cursor > 0:
            prev_end = cursor - 1
            prev_start = data.rfind(b"\n", 0, prev_end) + 1
            attr = _ATTR_LINE.match(data, prev_start, prev_end)
            if not attr:
                break
            attrs.append(attr.group(1).strip())
            cursor = prev_start
        for inner in attrs:
            if m := _PATH.match(inner):
                path_attr = m.group(1).decode("utf-8", "replace")
            elif m := _CFG.match(inner):
                cfg.append(m.group(1).decode("utf-8", "replace"))
            elif inner == b"macro_use":
                macro_use = True
        cfg += [pred for a, b, pred in branches if a < start < b]
        decls.append(ModDecl(name=match.group(2).decode(), inline=False, module_rel="",
                             path_attr=path_attr, cfg=tuple(cfg), line=line,
                             macro_use=macro_use))
    return decls
