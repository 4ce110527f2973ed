"""Parse layer: the tree-sitter Rust grammar — a parser per thread, compiled queries, error counts.

Every module that parses Rust text (items, references, macro arguments, doc tests, answers,
API surfaces) gets its tree and its ``queries/*.scm`` here, so the grammar is loaded once per
process and no parse module needs another one just for the parser.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

_LOCAL = threading.local()


def _parser() -> Any:
    """One parser per thread (a tree-sitter parser is not thread-safe), built on first use:
    worker processes pay for the grammar once, and only if they parse."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        import tree_sitter
        import tree_sitter_rust

        parser = _LOCAL.parser = tree_sitter.Parser(
            tree_sitter.Language(tree_sitter_rust.language()))
    return parser


@functools.cache
def query(name: str) -> Any:
    """The compiled tree-sitter query ``queries/<name>.scm``, built once per process."""
    import tree_sitter
    import tree_sitter_rust

    text = (Path(__file__).with_name("queries") / f"{name}.scm").read_text(encoding="utf-8")
    return tree_sitter.Query(tree_sitter.Language(tree_sitter_rust.language()), text)


def parse_tree(source: bytes) -> Any:
    """The raw tree-sitter tree of ``source`` (for callers that need more than items)."""
    return _parser().parse(source)


def count_errors(root: Any) -> int:
    """ERROR and MISSING nodes, visiting only subtrees that contain one."""
    if not root.has_error:
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
        stack.extend(child for child in node.children if child.has_error)
    return count
