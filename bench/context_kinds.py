"""Context quality by task kind, and the switch arms (bench/context_quality.py, issue 18).

A task is a function or method whose body was replaced by ``todo!()``; its *kind* says what
sort of code it is, because the graph changes of issue 18 (calls inside macro arguments,
``tests`` edges, receiver types) reach some kinds more than others:

  test          a test function (``#[test]`` and friends, under ``#[cfg(test)]``, or a file
                under ``tests/`` / ``benches/``: rrag.graph.tests' rule)
  trait method  a default method written in a trait
  method        a method of an impl
  function      any other function

A task's targets are the definitions in other files its body references by the resolved graph
(``targets_of``: calls, uses_type, invokes_macro, trait_bound, implements edges).
``by_kind`` sums the per-task rows of every crate into recall per kind (and overall), per
budget. ``arm_env`` sets one arm's environment (``RRAG_MACRO_ARGS=0``: issue 18's wrapper
passes off, doc/graph.md) for the engine and the parse processes it spawns, and restores it.
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from typing import Any, Iterator

KINDS = ("function", "method", "trait method", "test")
DEF_KINDS = {"function", "method", "struct", "enum", "union", "trait", "const", "static", "type",
             "macro"}
REF_KINDS = {"calls", "uses_type", "invokes_macro", "trait_bound", "implements"}
SWITCH = "RRAG_MACRO_ARGS"
ARMS = {"off": "0", "on": "1"}  # arm name -> value of the switch


def task_kind(row: Any, items: dict[str, Any]) -> str:
    """The kind of the task whose item is ``row`` (an ItemRow; ``items`` by id)."""
    from rrag.graph.tests import TestScope

    if TestScope(items).test_code(row):
        return "test"
    parent = items.get(row.parent) if row.parent else None
    if row.kind == "method" and parent is not None and parent.kind == "trait":
        return "trait method"
    return "method" if row.kind == "method" else "function"


def graph_of(engine: Any) -> tuple[dict, dict[str, list[dict]]]:
    """Items by id and the reference edges (REF_KINDS, resolved) by source id."""
    from rrag.store import edges as edges_db

    by_source: dict[str, list[dict]] = {}
    for edge in edges_db.list_edges(engine.store):
        if edge["type"] in REF_KINDS and edge.get("target_id"):
            by_source.setdefault(edge["source_id"], []).append(edge)
    return {r.id: r for r in engine.items()}, by_source


def targets_of(row: Any, body_line: int, items: dict, by_source: dict) -> dict:
    """Definitions in other files the body (from ``body_line``) references."""
    targets = {}
    for edge in by_source.get(row.id, []):
        target = items.get(edge["target_id"])
        if target is None or target.path == row.path or target.kind not in DEF_KINDS:
            continue
        if edge["line"] >= body_line:
            targets[target.id] = (target.path, target.qualname, target.start_line,
                                  target.end_line)
    return targets


@contextlib.contextmanager
def arm_env(arm: str) -> Iterator[None]:
    """The switch set for one arm (inherited by the spawned parse processes), then restored;
    arm "" leaves the environment as it is."""
    if not arm:
        yield
        return
    saved = os.environ.get(SWITCH)
    os.environ[SWITCH] = ARMS[arm]
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(SWITCH, None)
        else:
            os.environ[SWITCH] = saved


def by_kind(results: list[dict], budgets: list[int], key: str = "rrag_default",
            targets: str = "targets") -> dict:
    """{budget: {kind: {tasks, targets, found, share}}} over every crate's per-task rows,
    with an "all" row (``key``/``targets``: the found and target counts of a row)."""
    out: dict[str, dict] = {}
    for budget in budgets:
        acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for res in results:
            for row in res["per_task"]:
                if row["budget"] != budget or targets not in row:
                    continue
                for kind in (row.get("kind", "?"), "all"):
                    acc[kind][0] += 1
                    acc[kind][1] += row[targets]
                    acc[kind][2] += row[key]
        order = [k for k in (*KINDS, "?") if k in acc] + ["all"]
        out[str(budget)] = {k: {"tasks": acc[k][0], "targets": acc[k][1], "found": acc[k][2],
                                "share": round(acc[k][2] / max(1, acc[k][1]), 4)}
                            for k in order}
    return out


def table(kinds_by_arm: dict[str, dict], budgets: list[int]) -> str:
    """Markdown: one row per budget and kind, one column per arm (found/targets, share)."""
    arms = list(kinds_by_arm)
    lines = ["| budget | kind | tasks | targets | " + " | ".join(arms) + " |",
             "|---|---|---|---|" + "---|" * len(arms)]
    for budget in map(str, budgets):
        first = kinds_by_arm[arms[0]][budget]
        for kind, cell in first.items():
            shares = [kinds_by_arm[a][budget].get(kind, {}) for a in arms]
            lines.append(f"| {budget} | {kind} | {cell['tasks']} | {cell['targets']} | " +
                         " | ".join(f"{100 * s.get('share', 0):.1f} % ({s.get('found', 0)})"
                                    for s in shares) + " |")
    return "\n".join(lines)
