"""Graph layer: where a change to the type a value carries breaks, which is where the value
is used rather than where the name is written.

Two such changes: a type whose generic parameters changed (``generic_params``: a mention that
still fits compiles, but may name another type, and a function whose parameter it types then
rejects the arguments its callers build from the crate's values) and a method whose return
type changed (the call compiles; the value breaks where it is used on: ``get_about()
.unwrap_or("")`` once ``Option<&str>`` became ``Option<&StyledStr>``, while
``poll.poll(..).unwrap();`` drops it). Both are judged from the site's line: no type
inference beyond what the line shows.
"""

from __future__ import annotations

import re

from ..store.edges import EdgeRow
from .api_diff import ApiChange
from .generic_params import in_parameters, mention

# What a caller does to a value without depending on its type: error handling (the error part
# of a `Result` is no part of the compared return type).
HANDLED = re.compile(r"\s*(\?|\.\s*unwrap\(\s*\)|\.\s*expect\((?:[^()]|\([^()]*\))*\))")


def verdict(change: ApiChange, edge: str, line: str, written: str,
            holder_signature: str) -> str:
    """"site" (the reference breaks), "skip" (it compiles) or "retyped" (it compiles, and
    the holding fn's parameter now names another type: its calls break)."""
    name = written.rsplit("::", 1)[-1]
    if change.kind == "generics" and edge == "uses_type":
        found = mention(change.old_generics, change.new_generics, line, name)
        if found == "retyped" and in_parameters(holder_signature, name):
            return "retyped"
        return "site" if found == "breaks" else "skip"
    if change.kind == "return_type" and edge == "calls":
        return "site" if value_used(line, name) else "skip"
    return "site"


def value_used(line: str, name: str) -> bool:
    """Is the value of a call of ``name`` on ``line`` used on by a method or field (past the
    error handling): ``x.name(..).unwrap().len()``, not ``x.name(..)?;``."""
    for match in re.finditer(rf"\b{re.escape(name)}\s*(?:::<[^()]*>)?\s*\(", line):
        depth, end = 0, None
        for n in range(match.end() - 1, len(line)):
            depth += line[n] == "("
            depth -= line[n] == ")"
            if depth == 0:
                end = n + 1
                break
        if end is None:
            return True  # the call goes on past the line: no evidence either way, keep it
        rest = line[end:]
        while (handled := HANDLED.match(rest)) is not None:
            rest = rest[handled.end():]
        if re.match(r"\s*\.", rest):
            return True
    return False


def calls_of_retyped(rows: list[EdgeRow], retyped: dict[str, ApiChange]
                     ) -> list[tuple[str, int, str, ApiChange]]:
    """(path, line, caller, change) of the workspace's calls of a fn whose parameter type now
    names another type: the argument, built from the crate's values, has the new meaning; the
    parameter spells the old one. A caller whose own parameters were retyped alike passes its
    value on and is left out."""
    return [(path, line, source, retyped[target])
            for kind, source, target, _w, path, line, _c in rows
            if kind == "calls" and target in retyped and source not in retyped]
