"""Rank layer: the ContextWindowManager — pack ranked items under an exact token budget.

Each item is rendered in the best mode that still fits, in rank order: ``full`` (its code),
``signature`` (signature and first doc line) or ``summary`` (one line naming it). Every section
starts with ``path:start-end`` (and crate version for dependencies) so answers can cite it.
The assembled text puts the stable part first (crate map, pinned items, supporting
definitions in path order) and the volatile part last (the item at the cursor), so llama.cpp
can reuse its KV cache across requests on the same code. Token counts come from the model's own
tokenizer; the final text is counted whole and trimmed until it fits, so the budget is never
exceeded even where tokens merge across section boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

CountMany = Callable[[Sequence[str]], list[int]]
MODES = ("full", "signature", "summary")
SEPARATOR = "\n\n"


@dataclass
class Candidate:
    id: str
    path: str
    name: str
    kind: str
    start_line: int
    end_line: int
    content: str
    signature: str = ""
    docs: str = ""
    score: float = 0.0
    why: str = ""
    components: dict[str, float] = field(default_factory=dict)
    crate: str = ""
    version: str = ""  # set for dependency items
    pinned: bool = False
    volatile: bool = False  # the cursor's own item: goes last
    best_mode: str = "full"  # the richest mode this candidate may use


@dataclass
class Packed:
    candidate: Candidate
    mode: str
    text: str
    tokens: int

    def to_json(self) -> dict:
        c = self.candidate
        out = {"id": c.id, "path": c.path, "name": c.name, "kind": c.kind,
               "start_line": c.start_line, "end_line": c.end_line, "mode": self.mode,
               "why": c.why, "tokens": self.tokens, "score": round(c.score, 4),
               "components": {k: round(v, 4) for k, v in c.components.items()}}
        if c.version:
            out["crate"], out["version"] = c.crate, c.version
        return out


@dataclass
class ContextPack:
    budget: int
    tokens: int
    items: list[Packed]
    prompt: str

    def to_json(self) -> dict:
        return {"budget": self.budget, "tokens": self.tokens,
                "items": [p.to_json() for p in self.items], "prompt": self.prompt}


def header(c: Candidate) -> str:
    where = f"{c.path}:{c.start_line}-{c.end_line}"
    crate = f"{c.crate} {c.version} " if c.version else ""
    return f"// {crate}{where} {c.kind} {c.name}"


def render(c: Candidate, mode: str) -> str:
    if mode == "full":
        return f"{header(c)}\n{c.content.rstrip()}"
    if mode == "signature":
        doc = c.docs.strip().splitlines()[0] if c.docs.strip() else ""
        doc_line = f"/// {doc}\n" if doc else ""
        first_line = c.content.strip().splitlines()[0] if c.content.strip() else c.name
        return f"{header(c)}\n{doc_line}{c.signature or first_line}"
    return header(c)


def _modes_for(c: Candidate) -> tuple[str, ...]:
    return MODES[MODES.index(c.best_mode):]


def pack(ranked: list[Candidate], budget: int, count_many: CountMany,
         preamble: str = "") -> ContextPack:
    """Greedy in rank order (pinned first): the richest mode that fits the remaining budget."""
    budget = max(0, budget)
    order = sorted(ranked, key=lambda c: (not c.pinned, -c.score))
    renders = [[render(c, m) for m in _modes_for(c)] for c in order]
    flat = [text for options in renders for text in options]
    counts = iter(count_many(([preamble] if preamble else []) + flat))
    pre_tokens = next(counts) if preamble else 0
    sep_tokens = 1  # a blank line costs about one token; the final count below is exact
    used = pre_tokens
    chosen: list[Packed] = []
    for c, options in zip(order, renders):
        costs = [next(counts) for _ in options]
        for mode, text, cost in zip(_modes_for(c), options, costs):
            if used + cost + sep_tokens <= budget:
                chosen.append(Packed(c, mode, text, cost))
                used += cost + sep_tokens
                break
    return _fit(chosen, budget, count_many, preamble)


SMALL_FULL = 120  # a type this small is worth its fields even in the first pass


def pack_hierarchical(ranked: list[Candidate], budget: int, count_many: CountMany,
                      preamble: str = "", first_share: float = 0.55) -> ContextPack:
    """Signatures first, full bodies for the most relevant: (1) pinned items and the cursor's
    item in the richest mode that fits; (2) in rank order, each candidate's signature (a small
    type in full) until ``first_share`` of the budget is used; (3) upgrades to full in rank
    order where the difference fits; (4) what is left, in the richest mode that fits."""
    budget = max(0, budget)
    order = sorted(ranked, key=lambda c: (not c.pinned, -c.score))
    modes = [_modes_for(c) for c in order]
    renders = [[render(c, m) for m in ms] for c, ms in zip(order, modes)]
    flat = [text for options in renders for text in options]
    counts = iter(count_many(([preamble] if preamble else []) + flat))
    used = next(counts) if preamble else 0
    costs = [[next(counts) for _ in options] for options in renders]
    sep = 1
    pick: dict[int, int] = {}  # candidate index -> index into its modes

    def take(i: int, m: int) -> bool:
        nonlocal used
        old = costs[i][pick[i]] + sep if i in pick else 0
        if used - old + costs[i][m] + sep > budget:
            return False
        used += costs[i][m] + sep - old
        pick[i] = m
        return True

    def richest(i: int) -> None:
        for m in range(len(modes[i])):
            if take(i, m):
                return

    for i, c in enumerate(order):
        if c.pinned or c.volatile:
            richest(i)
    for i, c in enumerate(order):
        if i in pick or used >= first_share * budget:
            continue
        first = modes[i].index("signature") if "signature" in modes[i] else 0
        small = modes[i][0] == "full" and costs[i][0] <= SMALL_FULL and \
            c.kind in ("struct", "enum", "union", "const", "static", "type")
        if not (small and take(i, 0)):
            take(i, first)
    for i in range(len(order)):
        if i in pick and pick[i] > 0 and modes[i][0] == "full":
            take(i, 0)
    for i in range(len(order)):
        if i not in pick:
            richest(i)
    chosen = [Packed(order[i], modes[i][m], renders[i][m], costs[i][m])
              for i, m in sorted(pick.items())]
    return _fit(chosen, budget, count_many, preamble)


def _assemble(chosen: list[Packed], preamble: str) -> str:
    stable = sorted((p for p in chosen if p.candidate.pinned),
                    key=lambda p: (p.candidate.path, p.candidate.start_line))
    middle = sorted((p for p in chosen if not p.candidate.pinned and not p.candidate.volatile),
                    key=lambda p: (p.candidate.path, p.candidate.start_line))
    last = [p for p in chosen if p.candidate.volatile and not p.candidate.pinned]
    parts = ([preamble] if preamble else []) + [p.text for p in stable + middle + last]
    return SEPARATOR.join(parts)


def _fit(chosen: list[Packed], budget: int, count_many: CountMany, preamble: str) -> ContextPack:
    """Count the assembled text exactly; drop the lowest-ranked sections until it fits."""
    while True:
        text = _assemble(chosen, preamble)
        tokens = count_many([text])[0] if text else 0
        if tokens <= budget or not chosen:
            if tokens > budget:  # only the preamble is left and it does not fit
                text, tokens = "", 0
            ordered = sorted(chosen, key=lambda p: (not p.candidate.pinned, -p.candidate.score))
            return ContextPack(budget, tokens, ordered, text)
        worst = min(chosen, key=lambda p: (p.candidate.pinned, p.candidate.score))
        chosen = [p for p in chosen if p is not worst]
