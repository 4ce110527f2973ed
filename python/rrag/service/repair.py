"""Service layer: the repair loop of refactor and generate proposals (issue 21).

A proposal is an ``Attempt``: the model's answer, the code extracted from it, the tree-sitter
parse result, ``cargo check`` on a scratch copy (refactor) and the grounding of its names.
When an attempt fails any of them, the model gets one more turn carrying what failed and the
real definitions the failure points at (signatures, struct fields and trait methods read from
the index at the locked versions, std's members by name), up to ``llm.repair_attempts`` more
times. Every attempt is kept and shown; nothing is ever applied.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from ..graph.name_table import NameTable
from ..llm.loop_guard import generate_guarded, said_once
from ..llm.prompts import repair_message
from ..llm.response import CheckResult
from ..store import Store
from ..store import names as names_db

MAX_DEFINITIONS = 14  # lines of real definitions per repair turn: enough to act on, small
_NO_MEMBER = re.compile(r"no (?:method|function or associated item|associated item) named "
                        r"`(\w+)` found for (?:\w+ )*`&?(?:mut )?(?:[\w:]+::)?(\w+)")
_NO_FIELD = re.compile(r"no field `(\w+)` on type `&?(?:mut )?(?:[\w:]+::)?(\w+)")
_NOT_FOUND = re.compile(r"cannot find (?:function|value|type|struct|macro|trait) `(\w+)`")
_BOUND = re.compile(r"the trait bound `[^`]+: (?:[\w:]+::)?(\w+)[^`]*` is not satisfied")


@dataclass
class Attempt:
    number: int  # 0: the first proposal; 1..: repairs
    text: str
    code: str
    parses: bool
    check: CheckResult | None  # None: no cargo check for this kind of proposal (generate)
    grounding: list[dict] = field(default_factory=list)

    @property
    def missing(self) -> list[dict]:
        return [g for g in self.grounding if not g["found"]]

    @property
    def passed(self) -> bool:
        checked = self.check is None or not self.check.ran or self.check.ok
        return self.parses and checked and not self.missing

    def errors(self) -> list[str]:
        if self.check is None:
            return []
        return [d for d in self.check.diagnostics if "error" in d
                and not d.startswith("error: could not compile")][:8]

    def problems(self) -> list[str]:
        out = [] if self.parses else ["the code does not parse as Rust"]
        out += self.errors() + [g["message"] for g in self.missing]
        return out or ["the code was empty"]

    def summary(self) -> str:
        check = "not run" if self.check is None or not self.check.ran else \
            "ok" if self.check.ok else f"failed ({len(self.errors())} errors)"
        return (f"parse: {'ok' if self.parses else 'FAILED'}; cargo check: {check}; "
                f"unknown names: {len(self.missing)}")

    def to_json(self) -> dict[str, Any]:
        return {"attempt": self.number, "code": self.code, "parses": self.parses,
                "check": asdict(self.check) if self.check is not None else None,
                "grounding": self.grounding, "passed": self.passed, "summary": self.summary()}


def definitions(attempt: Attempt, table: NameTable, store: Store) -> list[str]:
    """The real definitions an attempt's problems point at, one line each."""
    owners: list[tuple[str, str]] = []  # (type, the member it lacked)
    wanted: list[str] = []  # Owner::member or names whose signatures to show
    for entry in attempt.missing:
        owner, _, member = entry["name"].rpartition("::")
        if owner:
            owners.append((owner, member))
        wanted += entry["nearest"]
    for line in attempt.errors():
        for regex in (_NO_MEMBER, _NO_FIELD):
            for member, owner in regex.findall(line):
                owners.append((owner, member))
        wanted += _NOT_FOUND.findall(line)
        owners += [(trait, "") for trait in _BOUND.findall(line)]
    out: list[str] = []
    for owner, member in dict.fromkeys(owners):
        out += _type_lines(owner, member, table, store)
    for name in dict.fromkeys(wanted):
        out += _signature_lines(name, table)
    return list(dict.fromkeys(out))[:MAX_DEFINITIONS]


def _signature_lines(name: str, table: NameTable) -> list[str]:
    owner, _, member = name.rpartition("::")
    rows = table.members.get(owner, {}).get(member, []) if owner else \
        [r for r in table.by_name.get(member, []) if r.kind in ("function", "macro")]
    if rows:
        return [f"{rows[0].signature}  // {rows[0].qualname}, {rows[0].source}"]
    if owner and table.std is not None and member in table.std.types.get(owner, ()):
        return [f"// {name} exists in {table.std.label}"]
    return []


def _type_lines(owner: str, member: str, table: NameTable, store: Store) -> list[str]:
    """A struct's definition head (its fields), or the owner's methods nearest ``member``."""
    rows = table.types.get(owner, [])
    out: list[str] = []
    for row in rows[:1]:
        if row.kind in ("struct", "enum", "union", "trait"):
            text = names_db.definition_text(store, row.id).splitlines()
            out.append(f"// {row.qualname}, {row.source}")
            out += [l for l in text[:8] if not l.strip().startswith("///")]
    from ..graph.grounding import nearest

    owned = table.members.get(owner, {})
    for name in nearest(member, list(owned), 4) if member else list(owned)[:6]:
        row = owned[name][0]
        out.append(f"{row.signature}  // {row.qualname}, {row.source}")
    return out


def repair(first: Attempt, evaluate: Callable[[str, int], Attempt], backend: Any,
           messages: list[dict], max_repairs: int, table: Callable[[], NameTable],
           store: Callable[[], Store], on_token: Callable[[str], None] | None = None,
           cancel: threading.Event | None = None) -> list[Attempt]:
    """Up to ``max_repairs`` more attempts while the last one fails; each follow-up turn is the
    task without its context block (the definitions replace it), the failed answer and what
    failed, so the prompt stays small for a small model's context."""
    attempts = [first]
    while not attempts[-1].passed and len(attempts) <= max_repairs:
        if cancel is not None and cancel.is_set():
            break
        last = attempts[-1]
        if on_token is not None:
            on_token(f"\n\n[rrag: attempt {last.number + 1}: {last.summary()}; asking for a "
                     f"repair ({len(attempts)} of {max_repairs})]\n\n")
        turn = messages + [{"role": "assistant", "content": said_once(last.text)},
                           repair_message(last.problems(), definitions(last, table(), store()))]
        done = generate_guarded(backend, turn, on_token=on_token, cancel_event=cancel)
        attempts.append(evaluate(done.text, len(attempts)))
        if done.finish_reason == "cancelled":
            break
    return attempts
