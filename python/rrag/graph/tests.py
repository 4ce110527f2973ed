"""Graph layer: ``tests`` edges — which tests exercise an item (issue 18).

A test is a function with ``#[test]``, ``#[bench]`` or a ``*::test`` attribute
(``#[tokio::test]``), any function under ``#[cfg(test)]``, any function of a file under a
``tests/`` or ``benches/`` directory, or a doc-test block (its calls arrive as ``tests`` rows
from the resolver, owned by the documented item). Each test gets one ``tests`` edge per
workspace item it calls, directly or through a test helper one level down (a test-only function
it calls: ``fn check(re: &str)`` in a test module), at the line of its call. Derived from the
pass's resolved ``calls`` rows, so incremental and clean indexes agree by construction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable

from ..store.edges import EdgeRow, GraphItem

CALLABLE = frozenset(("function", "method"))
TEST_ATTRS = frozenset(("test", "bench", "rstest", "test_case", "quickcheck", "proptest"))
TEST_DIRS = ("/tests/", "/benches/")


def _attr_name(attr: str) -> str:
    return attr.split("(", 1)[0].strip()


def is_test_attr(attrs: Iterable[str]) -> bool:
    for attr in attrs:
        name = _attr_name(attr)
        if name in TEST_ATTRS or name.endswith("::test"):
            return True
    return False


def _cfg_test(cfg: Iterable[str]) -> bool:
    # `cfg(test)`, `cfg(all(test, feature = "x"))`; never `cfg(not(test))`.
    return any(c == "test" or ("test" in c.replace("(", " ").replace(",", " ").split()
                               and "not(" not in c) for c in cfg)


class TestScope:
    """Which items are test code (memoized walk up the parents)."""

    def __init__(self, by_id: dict[str, GraphItem]) -> None:
        self.by_id = by_id
        self._memo: dict[str, bool] = {}

    def test_code(self, it: GraphItem) -> bool:
        found = self._memo.get(it.id)
        if found is None:
            found = _cfg_test(it.cfg) or is_test_attr(it.attrs) or \
                any(d in f"/{it.path}" for d in TEST_DIRS)
            if not found and it.parent:
                parent = self.by_id.get(it.parent)
                found = parent is not None and self.test_code(parent)
            self._memo[it.id] = found
        return found

    def is_test(self, it: GraphItem) -> bool:
        return it.kind in CALLABLE and self.test_code(it)


def test_edges(rows: list[EdgeRow], by_id: dict[str, GraphItem],
               helper_calls: Callable[[set[str]], dict[str, list[EdgeRow]]]) -> list[EdgeRow]:
    """``tests`` rows from the pass's ``calls`` rows (and the doc tests' ``tests`` rows, which
    are folded in and deduplicated: one edge per test and item, at its first line).
    ``helper_calls(ids)``: the resolved calls of helpers whose rows this pass did not make."""
    scope = TestScope(by_id)
    calls_from: dict[str, list[EdgeRow]] = defaultdict(list)
    doc_rows: list[EdgeRow] = []
    for row in rows:
        if row[0] == "calls" and row[2] is not None:
            calls_from[row[1]].append(row)
        elif row[0] == "tests":
            doc_rows.append(row)
    helpers: dict[str, list[EdgeRow]] = {}
    missing: set[str] = set()
    tests = [(s, r) for s, r in calls_from.items() if s in by_id and scope.is_test(by_id[s])]
    for _, calls in tests:
        for row in calls:
            target = by_id.get(row[2] or "")
            if target is not None and scope.test_code(target) and row[2] not in calls_from:
                missing.add(target.id)
    if missing:
        helpers = helper_calls(missing)
    out: list[EdgeRow] = []
    seen: set[tuple[str, str]] = set()

    def add(source: str, target: GraphItem, path: str, line: int) -> None:
        if (source, target.id) not in seen and source != target.id:
            seen.add((source, target.id))
            out.append(("tests", source, target.id, target.qualname, path, line, None))

    reach: dict[str, list[GraphItem]] = {}  # helper -> the non-test items it calls, once

    def reached(helper: str) -> list[GraphItem]:
        found = reach.get(helper)
        if found is None:
            found, ids = [], set()
            for sub in calls_from.get(helper) or helpers.get(helper, []):
                inner = by_id.get(sub[2] or "")
                if inner is not None and inner.id not in ids and not scope.test_code(inner):
                    ids.add(inner.id)
                    found.append(inner)
            reach[helper] = found
        return found

    for source, calls in tests:
        for row in calls:
            target = by_id.get(row[2] or "")
            if target is None:
                continue
            if not scope.test_code(target):
                add(source, target, row[4], row[5])
                continue
            for inner in reached(target.id):
                add(source, inner, row[4], row[5])
    for row in doc_rows:
        target = by_id.get(row[2] or "")
        if target is not None and (row[1], target.id) not in seen and row[1] != target.id:
            seen.add((row[1], target.id))
            out.append(row)
    return out
