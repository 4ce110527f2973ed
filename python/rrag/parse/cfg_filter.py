"""Parse layer: a dependency file's parse result without the items its build leaves out.

Applied to a dependency's files only (the workspace keeps everything, active or not): an item
whose ``#[cfg]`` (or ``cfg_attr``-given cfg) is false on the host goes, with everything inside
it; a file whose own ``#![cfg]`` is false keeps only its file item. The parallel lists of the
result (content hashes, lexical rows, references by item index) follow.
"""

from __future__ import annotations

from .cfg_eval import Evaluator, attrs_active
from .task import FileResult


def drop_inactive(res: FileResult, ev: Evaluator) -> int:
    """Remove the inactive items of ``res`` in place; returns how many went."""
    parsed = res.parsed
    if parsed is None or not parsed.items:
        return 0
    items = parsed.items
    file_active = attrs_active(items[0].attrs, ev)
    keep: list[int] = [0]
    kept_index: dict[int, int] = {0: 0}
    for index in range(1, len(items)):
        item = items[index]
        parent = item.parent_index
        if not file_active or (parent is not None and parent not in kept_index):
            continue
        if item.cfg or any("cfg" in a for a in item.attrs):
            if not attrs_active(item.attrs, ev):
                continue
        kept_index[index] = len(keep)
        keep.append(index)
    dropped = len(items) - len(keep)
    if not dropped:
        return 0
    new_items = [items[i] for i in keep]
    for item in new_items:
        if item.parent_index is not None:
            item.parent_index = kept_index[item.parent_index]
    parsed.items = new_items
    if res.item_hashes is not None:
        res.item_hashes = [res.item_hashes[i] for i in keep]
    if res.lexical_rows is not None:
        res.lexical_rows = [res.lexical_rows[i] for i in keep]
    parsed.refs = [(r[0], kept_index[r[1]], *r[2:]) for r in parsed.refs if r[1] in kept_index]
    return dropped


def mark_active(res: FileResult, ev: Evaluator) -> int:
    """Workspace files keep every item; each records whether the host compiles it (its own
    cfg and every enclosing one hold). Returns the number of inactive items."""
    parsed = res.parsed
    if parsed is None or not parsed.items:
        return 0
    items = parsed.items
    inactive = 0
    for index, item in enumerate(items):
        parent = items[item.parent_index] if item.parent_index is not None else \
            (items[0] if index else None)
        active = parent.active if parent is not None else True
        if active and (item.cfg or any("cfg" in a for a in item.attrs)):
            active = attrs_active(item.attrs, ev)
        item.active = active
        inactive += not active
    return inactive
